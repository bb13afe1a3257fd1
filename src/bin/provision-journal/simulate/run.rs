//! A whole first boot, run hook by hook against in-memory storage, with the
//! power cut at a chosen point.
//!
//! Each hook opens the journal afresh, as each hook process does on a real
//! machine. The cut goes through the in-memory storage, so whatever was not
//! made durable by a sync is really lost: what survives is exactly what the
//! next boot would find on `/boot`. A cut inside an append keeps part of
//! that append's bytes (a torn tail), as a power cut between its `write`
//! and the end of its `fdatasync` may: two of the states the crash model of
//! `spec/FORMAT.md` allows, which the crash exploration tests all of.

use provision_journal::hooks::{check, record};
use provision_journal::{BootContext, FixedClock, Journal, JournalError, MemStorage, TornTail};

use super::cut_points::{CutPoint, SIMULATED_BOOT, SIMULATED_WALL_MS, Tear};

/// What a simulated boot did before the power went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Simulation {
    /// The commands that ran, each with what it printed or recorded
    /// (`None`: the power went inside it).
    pub transcript: Vec<(String, Option<String>)>,
    /// Bytes a reader saw in the journal just before the cut (`None`: no
    /// journal file).
    pub before_cut: Option<Vec<u8>>,
    /// Bytes that survive the cut (`None`: no durable journal file).
    pub surviving: Option<Vec<u8>>,
    /// The torn tail the cut left, if any.
    pub torn_tail: Option<TornTail>,
}

/// Runs the calls of `point` on a fresh in-memory disk, then cuts the
/// power.
pub fn run(point: CutPoint) -> Result<Simulation, JournalError> {
    let disk = MemStorage::new();
    let mut clock = FixedClock::new(SIMULATED_BOOT, SIMULATED_WALL_MS);
    let context = BootContext {
        boot_id: Some(SIMULATED_BOOT),
        firstboot: true,
        ..Default::default()
    };
    let mut transcript = Vec::new();
    if point.calls > 0 {
        let mut journal = Journal::open(disk.reopen())?;
        let verdict = check(&mut journal, &context, &mut clock)?.verdict;
        transcript.push(("check".to_owned(), Some(verdict.to_string())));
    }
    let hooks = point.hooks();
    let mut before_torn = None;
    for (index, hook) in hooks.iter().enumerate() {
        if index + 1 == hooks.len() {
            // Every call before it returned, so every byte is durable.
            before_torn = disk.contents();
        }
        let mut journal = Journal::open(disk.reopen())?;
        let progress = record(&mut journal, hook, &mut clock)?;
        let said = (point.torn.is_none() || index + 1 < hooks.len())
            .then(|| format!("recorded; state is now {}", progress.state));
        transcript.push((hook.command(), said));
    }
    let surviving = match point.torn {
        Some(tear) => {
            let before = before_torn.expect("a torn call appends to the journal `check` created");
            let written = disk.contents().expect("the torn call wrote");
            Some(torn_append(before, written, tear))
        }
        None => disk.crash().contents(),
    };
    let torn_tail = match &surviving {
        Some(bytes) => Journal::read(MemStorage::with_bytes(bytes))?.torn_tail(),
        None => None,
    };
    Ok(Simulation {
        transcript,
        before_cut: disk.contents(),
        surviving,
        torn_tail,
    })
}

/// The journal a power cut leaves when the last append's `fdatasync` had
/// not returned and `tear` of it had reached the disk: `before`, the
/// durable journal, then the part of the record that `written` appended
/// to it.
fn torn_append(before: Vec<u8>, written: Vec<u8>, tear: Tear) -> Vec<u8> {
    let record = written
        .strip_prefix(before.as_slice())
        .expect("a hook only appends");
    let landed = match tear {
        Tear::Half => record[..record.len() / 2].to_vec(),
        Tear::SizeOnly => vec![0; record.len()],
    };
    [before, landed].concat()
}

#[cfg(test)]
mod tests {
    use provision_journal::config::PolicySettings;
    use provision_journal::{Event, Stage, Verdict, classify, report};

    use super::super::cut_points::{CUT_POINTS, DEFAULT_CUT_POINT, NEXT_BOOT, Script, Side};
    use super::*;

    fn next_boot(point: &str) -> (Verdict, Option<Event>) {
        let simulation = run(CutPoint::named(point).unwrap()).unwrap();
        let storage = match simulation.surviving {
            Some(bytes) => MemStorage::with_bytes(&bytes),
            None => MemStorage::new(),
        };
        let journal = Journal::open(storage).unwrap();
        let context = BootContext {
            boot_id: Some(NEXT_BOOT),
            firstboot: true,
            ..Default::default()
        };
        let decision = classify(journal.progress(), journal.torn_tail(), &context);
        (decision.verdict, decision.record)
    }

    fn next_boot_verdict(point: &str) -> Verdict {
        next_boot(point).0
    }

    #[test]
    fn cut_points_are_named_once_and_in_boot_order() {
        for (index, point) in CUT_POINTS.iter().enumerate() {
            assert_eq!(CutPoint::named(point.name), Some(*point));
            assert!(
                point.calls <= point.script.hooks().len() + 1,
                "{}",
                point.name
            );
            assert!(point.torn.is_none() || point.calls >= 2, "{}", point.name);
            // Within one script, a torn append comes before the same call
            // returned, and calls in their order.
            let key = |point: &CutPoint| (point.calls, point.torn.is_none());
            for later in CUT_POINTS[index + 1..]
                .iter()
                .filter(|later| later.script == point.script)
            {
                assert!(key(point) < key(later), "{} {}", point.name, later.name);
            }
        }
        assert!(CutPoint::named(DEFAULT_CUT_POINT).is_some());
        assert!(CutPoint::named("during-lunch").is_none());
        let whole = CUT_POINTS
            .iter()
            .filter(|point| point.script == Script::Provisioning && point.torn.is_none())
            .count();
        assert_eq!(whole, Script::Provisioning.hooks().len() + 2);
    }

    #[test]
    fn sides_follow_the_stages_that_began() {
        let side = |name| CutPoint::named(name).unwrap().side();
        assert_eq!(side("before-check"), Side::Before);
        assert_eq!(side("after-kargs"), Side::Before);
        assert_eq!(side("after-reboot-kargs"), Side::Before);
        assert_eq!(side("after-fail-kargs"), Side::Before);
        assert_eq!(side("inside-fetched"), Side::Before);
        assert_eq!(side("inside-begin-disks"), Side::On);
        assert_eq!(side("during-disks"), Side::Past);
        assert_eq!(side("after-fail-disks"), Side::Past);
        assert_eq!(side("after-complete"), Side::Past);
    }

    #[test]
    fn synced_records_survive_the_cut() {
        let simulation = run(CutPoint::named("after-complete").unwrap()).unwrap();
        assert_eq!(simulation.surviving, simulation.before_cut);
        assert_eq!(simulation.torn_tail, None);
        let journal =
            Journal::read(MemStorage::with_bytes(&simulation.surviving.unwrap())).unwrap();
        assert_eq!(
            journal.record_count(),
            Script::Provisioning.hooks().len() as u64 + 1
        );
        let none = run(CutPoint::named("before-check").unwrap()).unwrap();
        assert_eq!(none.surviving, None);
    }

    #[test]
    fn a_cut_inside_an_append_leaves_part_of_it_torn() {
        for point in CUT_POINTS.iter().filter(|point| point.torn.is_some()) {
            let name = point.name;
            let torn = run(*point).unwrap();
            let returned = CUT_POINTS
                .iter()
                .find(|other| {
                    other.torn.is_none()
                        && other.script == point.script
                        && other.calls == point.calls - 1
                })
                .unwrap();
            let before = run(*returned).unwrap().surviving.unwrap();
            let written = torn.before_cut.unwrap();
            let surviving = torn.surviving.unwrap();
            let record_len = written.len() - before.len();
            assert_eq!(surviving[..before.len()], before[..], "{name}");
            let tail = &surviving[before.len()..];
            match point.torn.unwrap() {
                Tear::Half => assert_eq!(tail, &written[before.len()..][..record_len / 2]),
                Tear::SizeOnly => assert_eq!(tail, vec![0; record_len]),
            }
            assert_eq!(
                torn.torn_tail,
                Some(TornTail {
                    offset: before.len() as u64,
                    len: tail.len() as u64
                }),
                "{name}"
            );
            assert_eq!(torn.transcript.last().unwrap().1, None, "{name}");
        }
    }

    #[test]
    fn the_next_boot_retries_before_the_red_line_and_stops_past_it() {
        assert_eq!(
            next_boot_verdict("before-check"),
            Verdict::FirstRun { epoch: 1 }
        );
        for point in CUT_POINTS {
            let verdict = next_boot_verdict(point.name);
            match (point.side(), point.script) {
                (Side::Before, Script::Provisioning) if point.calls > 0 => assert!(
                    matches!(
                        verdict,
                        Verdict::SafeRetry {
                            failed_stage: None,
                            ..
                        }
                    ),
                    "{}: {verdict:?}",
                    point.name
                ),
                (Side::Past | Side::On, Script::Provisioning) if point.name != "after-complete" => {
                    assert!(
                        matches!(verdict, Verdict::FatalInterruption { .. }),
                        "{}: {verdict:?}",
                        point.name
                    )
                }
                _ => {}
            }
        }
        assert_eq!(
            next_boot_verdict("after-complete"),
            Verdict::AlreadyComplete { epoch: 1 }
        );
    }

    #[test]
    fn a_planned_reboot_resumes_and_a_failure_is_retried_or_poisons_by_its_side() {
        assert!(matches!(
            next_boot_verdict("after-reboot-kargs"),
            Verdict::ResumeAfterPlannedReboot { .. }
        ));
        assert!(matches!(
            next_boot_verdict("after-fail-kargs"),
            Verdict::SafeRetry {
                failed_stage: Some(Stage::Kargs),
                ..
            }
        ));
        let (verdict, record) = next_boot("after-fail-disks");
        assert!(matches!(verdict, Verdict::Poisoned { .. }), "{verdict:?}");
        assert!(matches!(record, Some(Event::BootRefused)), "{record:?}");
    }

    #[test]
    fn the_next_writer_repairs_a_torn_tail() {
        for name in ["inside-fetched", "inside-begin-disks"] {
            let simulation = run(CutPoint::named(name).unwrap()).unwrap();
            let torn = simulation.torn_tail.unwrap();
            let mut journal =
                Journal::open(MemStorage::with_bytes(&simulation.surviving.unwrap())).unwrap();
            let context = BootContext {
                boot_id: Some(NEXT_BOOT),
                firstboot: true,
                ..Default::default()
            };
            let mut clock = FixedClock::new(NEXT_BOOT, SIMULATED_WALL_MS + 300_000);
            let _decision = check(&mut journal, &context, &mut clock).unwrap();
            assert_eq!(journal.torn_tail(), None, "{name}");
            // The records as `dump --json` reads them back.
            let mut storage = journal.into_storage();
            let mut json = Vec::new();
            report::dump_json(&mut storage, &PolicySettings::default(), &mut json).unwrap();
            let dump: serde_json::Value = serde_json::from_slice(&json).unwrap();
            let records = dump["records"].as_array().unwrap();
            assert!(
                records.iter().any(|record| record["event"]
                    == serde_json::json!({
                        "kind": "tail_repaired",
                        "offset": torn.offset,
                        "dropped": torn.len,
                    })),
                "{name}: {records:?}"
            );
        }
    }
}
