//! A whole first boot, run hook by hook against in-memory storage, with the
//! power cut at a chosen point.
//!
//! Each hook opens the journal afresh, as each hook process does on a real
//! machine. The cut goes through the in-memory storage's crash model, so
//! whatever was not made durable by a sync is really lost: what survives is
//! exactly what the next boot would find on `/boot`. A cut inside an append
//! keeps part of that append's bytes (a torn tail), as a power cut between
//! its `write` and the end of its `fdatasync` may.
//!
//! A step of provisioning is a [`Hook`]; every boot starts with `check`,
//! which is the first call of every script here.

use crate::classify::BootContext;
use crate::clock::FixedClock;
use crate::error::JournalError;
use crate::event::{BootId, RebootReason, Sha256};
use crate::hooks::{Hook, check, record};
use crate::journal::Journal;
use crate::scan::TornTail;
use crate::stage::Stage;
use crate::storage::{Fill, MemDisk, MemStorage, Op, Tearing};

/// The boot the simulated provisioning runs in.
pub const SIMULATED_BOOT: BootId = BootId([0x51; 16]);
/// The boot that comes after the power cut.
pub const NEXT_BOOT: BootId = BootId([0x52; 16]);
/// Wall-clock time of the simulated boot (2025-01-01T00:00:00Z).
pub const SIMULATED_WALL_MS: i64 = 1_735_689_600_000;
/// The digest of the simulated boot's config.
pub const SIMULATED_CONFIG: Sha256 = Sha256([0xc0; 32]);
/// The reason a simulated failing stage gives.
pub const FAILURE_REASON: &str = "exit status 1";

/// Which first boot is simulated: the hooks it calls after `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// Every stage runs and ends; provisioning completes.
    Provisioning,
    /// `kargs` changed kernel arguments: the boot announces a planned
    /// reboot after it and reboots.
    KargsReboot,
    /// `kargs` fails (its unit exits non-zero; the boot ends in the
    /// emergency shell).
    KargsFails,
    /// `disks` fails, past the red line.
    DisksFails,
}

impl Script {
    /// The hooks the boot calls after `check`, in the order Ignition's
    /// units call them.
    pub fn hooks(self) -> Vec<Hook> {
        let mut hooks = vec![Hook::Fetched(SIMULATED_CONFIG)];
        let fail = |stage| Hook::Fail(stage, FAILURE_REASON.to_owned());
        match self {
            Script::Provisioning => {
                for stage in Stage::MUTATING {
                    hooks.extend([Hook::Begin(stage), Hook::End(stage)]);
                }
                hooks.push(Hook::Complete);
            }
            Script::KargsReboot => hooks.extend([
                Hook::Begin(Stage::Kargs),
                Hook::End(Stage::Kargs),
                Hook::Reboot(RebootReason::Kargs),
            ]),
            Script::KargsFails => hooks.extend([Hook::Begin(Stage::Kargs), fail(Stage::Kargs)]),
            Script::DisksFails => hooks.extend([
                Hook::Begin(Stage::Kargs),
                Hook::End(Stage::Kargs),
                Hook::Begin(Stage::Disks),
                fail(Stage::Disks),
            ]),
        }
        hooks
    }
}

/// Where a cut point is, seen from the red line (the start of `disks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// No stage at or past the red line has begun.
    Before,
    /// `begin disks` (or a later stage's) returned: the disks may have
    /// changed.
    Past,
    /// Inside the append of `begin disks`: the disks have not changed, but
    /// the torn bytes cannot be told from an acknowledged `begin disks`.
    On,
}

impl Side {
    /// The side in words, for `--help` and the report.
    pub fn describe(self) -> &'static str {
        match self {
            Side::Before => "before the red line",
            Side::Past => "past the red line",
            Side::On => "on the red line: a torn `begin disks`, counted as past it",
        }
    }
}

/// Where the power can be cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CutPoint {
    /// The name `--cut-at` takes.
    pub name: &'static str,
    /// The boot that runs.
    pub script: Script,
    /// How many calls of the boot (`check`, then the script's hooks) had
    /// begun when the power goes.
    pub calls: usize,
    /// Whether the power goes inside the last call's append, while its
    /// `fdatasync` had not returned, and what of it landed. `None`: every
    /// call returned.
    pub torn: Option<Tear>,
}

/// What of an append that a power cut interrupted reached the disk: two of
/// the crash states of the storage's crash model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tear {
    /// The first half of its bytes.
    Half,
    /// The file's new size, but none of the data: the record's length in
    /// zeros (as on a file system that does not order data before
    /// metadata, such as vfat).
    SizeOnly,
}

impl Tear {
    /// The tear in words.
    pub fn describe(self) -> &'static str {
        match self {
            Tear::Half => "the first half of its bytes reached the disk",
            Tear::SizeOnly => {
                "the file's new size reached the disk, but none of the data: the record's length in zeros"
            }
        }
    }
}

const fn point(name: &'static str, script: Script, calls: usize) -> CutPoint {
    CutPoint {
        name,
        script,
        calls,
        torn: None,
    }
}

const fn inside(name: &'static str, script: Script, calls: usize, tear: Tear) -> CutPoint {
    CutPoint {
        name,
        script,
        calls,
        torn: Some(tear),
    }
}

/// Every cut point, in boot order. `during-STAGE` cuts after `begin STAGE`
/// returned, while the stage runs; `after-X` after hook X returned;
/// `inside-X` while hook X appends its record.
pub const CUT_POINTS: [CutPoint; 19] = [
    point("before-check", Script::Provisioning, 0),
    point("after-check", Script::Provisioning, 1),
    inside("inside-fetched", Script::Provisioning, 2, Tear::Half),
    point("after-fetched", Script::Provisioning, 2),
    point("during-kargs", Script::Provisioning, 3),
    point("after-fail-kargs", Script::KargsFails, 4),
    point("after-kargs", Script::Provisioning, 4),
    point("after-reboot-kargs", Script::KargsReboot, 5),
    inside(
        "inside-begin-disks",
        Script::Provisioning,
        5,
        Tear::SizeOnly,
    ),
    point("during-disks", Script::Provisioning, 5),
    point("after-fail-disks", Script::DisksFails, 6),
    point("after-disks", Script::Provisioning, 6),
    point("during-mount", Script::Provisioning, 7),
    point("after-mount", Script::Provisioning, 8),
    point("during-files", Script::Provisioning, 9),
    point("after-files", Script::Provisioning, 10),
    point("during-umount", Script::Provisioning, 11),
    point("after-umount", Script::Provisioning, 12),
    point("after-complete", Script::Provisioning, 13),
];

/// The cut point `simulate` uses when none is given: while the disks
/// stage runs, just past the red line.
pub const DEFAULT_CUT_POINT: &str = "during-disks";

impl CutPoint {
    /// The cut point with this name.
    pub fn named(name: &str) -> Option<CutPoint> {
        CUT_POINTS.into_iter().find(|point| point.name == name)
    }

    /// The hooks called after `check` up to the cut, the torn one last.
    pub fn hooks(&self) -> Vec<Hook> {
        let mut hooks = self.script.hooks();
        hooks.truncate(self.calls.saturating_sub(1));
        hooks
    }

    /// The cut's side of the red line, from the hooks that ran.
    pub fn side(&self) -> Side {
        let hooks = self.hooks();
        let crosses = |hook: &Hook| matches!(hook, Hook::Begin(stage) if stage.is_past_red_line());
        let (returned, torn) = match (self.torn, hooks.split_last()) {
            (Some(_), Some((last, returned))) => (returned, Some(last)),
            _ => (&hooks[..], None),
        };
        if returned.iter().any(crosses) {
            Side::Past
        } else if torn.is_some_and(crosses) {
            Side::On
        } else {
            Side::Before
        }
    }

    /// What the point is, for `--help`: its side of the red line, the boot
    /// it cuts, and whether it tears an append.
    pub fn help(&self) -> String {
        let boot = match self.script {
            Script::Provisioning => "",
            Script::KargsReboot => "; a boot whose kargs stage asks for a planned reboot",
            Script::KargsFails => "; a boot whose kargs stage fails",
            Script::DisksFails => "; a boot whose disks stage fails",
        };
        let torn = match self.torn {
            Some(_) => "; the power goes inside the hook's append (a torn tail)",
            None => "",
        };
        format!("{}{boot}{torn}", self.side().describe())
    }
}

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
    for (index, hook) in hooks.iter().enumerate() {
        let mut journal = Journal::open(disk.reopen())?;
        let progress = record(&mut journal, hook, &mut clock)?;
        let said = (point.torn.is_none() || index + 1 < hooks.len())
            .then(|| format!("recorded; state is now {}", progress.state));
        transcript.push((hook.command(), said));
    }
    let surviving = match point.torn {
        Some(tear) => torn_in_last_append(&disk, tear),
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
/// not returned and `tear` of it had reached the disk: one of the crash
/// states of the storage's crash model.
fn torn_in_last_append(disk: &MemStorage, tear: Tear) -> Option<Vec<u8>> {
    let ops = disk.ops();
    let (sync, unsynced) = ops.split_last().expect("the torn call appended");
    let Some(Op::Append { bytes, .. }) = unsynced.last() else {
        panic!("the torn call's last operations are an append and its fdatasync");
    };
    assert_eq!(sync, &Op::SyncData, "every append is followed by its sync");
    let wanted = match tear {
        Tear::Half => Tearing::Cut {
            ops: 0,
            kept: bytes.len() / 2,
            truncates_lost: false,
        },
        Tear::SizeOnly => Tearing::Extended {
            ops: 0,
            len: bytes.len(),
            fill: Fill::Zeros,
            truncates_lost: false,
        },
    };
    MemDisk::crash_states(disk.start().as_deref(), unsynced)
        .into_iter()
        .find(|state| state.tearing == wanted)
        .expect("the crash model tears an append anywhere")
        .journal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{Verdict, classify};
    use crate::event::Event;
    use crate::scan::Scanner;

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
            let mut storage = journal.into_storage();
            let mut scanner = Scanner::start(&mut storage).unwrap();
            let mut records = Vec::new();
            while let Some(scanned) = scanner.next_record().unwrap() {
                records.push(scanned.record);
            }
            assert!(
                records.iter().any(|record| record.event
                    == Event::TailRepaired {
                        offset: torn.offset,
                        dropped: torn.len
                    }),
                "{name}: {records:?}"
            );
        }
    }
}
