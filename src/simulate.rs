//! A whole first boot, run hook by hook against in-memory storage, with the
//! power cut at a chosen point.
//!
//! Each hook opens the journal afresh, as each hook process does on a real
//! machine. The cut goes through [`MemStorage::crash`], so whatever was not
//! made durable by a sync is really lost: what survives is exactly what the
//! next boot would find on `/boot`.

use crate::classify::BootContext;
use crate::clock::FixedClock;
use crate::error::JournalError;
use crate::event::{BootId, Sha256};
use crate::hooks::{Hook, check, record};
use crate::journal::Journal;
use crate::stage::Stage;
use crate::storage::MemStorage;

/// The boot the simulated provisioning runs in.
pub const SIMULATED_BOOT: BootId = BootId([0x51; 16]);
/// The boot that comes after the power cut.
pub const NEXT_BOOT: BootId = BootId([0x52; 16]);
/// Wall-clock time of the simulated boot (2025-01-01T00:00:00Z).
pub const SIMULATED_WALL_MS: i64 = 1_735_689_600_000;

/// One step of the simulated boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `check`, before fetch.
    Check,
    /// Any other hook.
    Hook(Hook),
}

impl Step {
    /// The step as it is typed on the command line.
    pub fn command(&self) -> String {
        match self {
            Step::Check => "check".to_owned(),
            Step::Hook(hook) => hook.command(),
        }
    }
}

/// The hooks of a first boot, in the order Ignition's units call them.
pub fn script() -> Vec<Step> {
    let mut steps = vec![Step::Check, Step::Hook(Hook::Fetched(Sha256([0xc0; 32])))];
    for stage in Stage::MUTATING {
        steps.push(Step::Hook(Hook::Begin(stage)));
        steps.push(Step::Hook(Hook::End(stage)));
    }
    steps.push(Step::Hook(Hook::Complete));
    steps
}

/// Where the power can be cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CutPoint {
    /// The name `--cut-at` takes.
    pub name: &'static str,
    /// How many steps of [`script`] have returned when the power goes.
    pub steps_done: usize,
}

/// Every cut point, in boot order. `during-STAGE` cuts after `begin STAGE`
/// returned, while the stage runs; `after-X` after hook X returned.
pub const CUT_POINTS: [CutPoint; 14] = [
    CutPoint {
        name: "before-check",
        steps_done: 0,
    },
    CutPoint {
        name: "after-check",
        steps_done: 1,
    },
    CutPoint {
        name: "after-fetched",
        steps_done: 2,
    },
    CutPoint {
        name: "during-kargs",
        steps_done: 3,
    },
    CutPoint {
        name: "after-kargs",
        steps_done: 4,
    },
    CutPoint {
        name: "during-disks",
        steps_done: 5,
    },
    CutPoint {
        name: "after-disks",
        steps_done: 6,
    },
    CutPoint {
        name: "during-mount",
        steps_done: 7,
    },
    CutPoint {
        name: "after-mount",
        steps_done: 8,
    },
    CutPoint {
        name: "during-files",
        steps_done: 9,
    },
    CutPoint {
        name: "after-files",
        steps_done: 10,
    },
    CutPoint {
        name: "during-umount",
        steps_done: 11,
    },
    CutPoint {
        name: "after-umount",
        steps_done: 12,
    },
    CutPoint {
        name: "after-complete",
        steps_done: 13,
    },
];

/// The cut point `simulate` uses when none is given: while the disks
/// stage runs, just past the red line.
pub const DEFAULT_CUT_POINT: &str = "during-disks";

impl CutPoint {
    /// The cut point with this name.
    pub fn named(name: &str) -> Option<CutPoint> {
        CUT_POINTS.into_iter().find(|point| point.name == name)
    }

    /// All names, comma-separated, for messages.
    pub fn names() -> String {
        CUT_POINTS.map(|point| point.name).join(", ")
    }
}

/// What a simulated boot did before the power went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Simulation {
    /// The commands that returned, each with what it printed or recorded.
    pub transcript: Vec<(String, String)>,
    /// Bytes a reader saw in the journal just before the cut (`None`: no
    /// journal file).
    pub before_cut: Option<Vec<u8>>,
    /// Bytes that survive the cut (`None`: no durable journal file).
    pub surviving: Option<Vec<u8>>,
}

/// Runs the first `point.steps_done` steps of [`script`] on a fresh
/// in-memory disk, then cuts the power.
pub fn run(point: CutPoint) -> Result<Simulation, JournalError> {
    let disk = MemStorage::new();
    let mut clock = FixedClock::new(SIMULATED_BOOT, SIMULATED_WALL_MS);
    let context = BootContext {
        boot_id: Some(SIMULATED_BOOT),
        firstboot: true,
        ..Default::default()
    };
    let mut transcript = Vec::new();
    for step in script().into_iter().take(point.steps_done) {
        let mut journal = Journal::open(disk.reopen())?;
        let said = match &step {
            Step::Check => check(&mut journal, &context, &mut clock)?
                .verdict
                .to_string(),
            Step::Hook(hook) => {
                let progress = record(&mut journal, hook, &mut clock)?;
                format!("recorded; state is now {}", progress.state)
            }
        };
        transcript.push((step.command(), said));
    }
    Ok(Simulation {
        transcript,
        before_cut: disk.contents(),
        surviving: disk.crash().contents(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{Verdict, classify};

    fn next_boot_verdict(point: &str) -> Verdict {
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
        classify(journal.progress(), journal.torn_tail(), &context).verdict
    }

    #[test]
    fn every_cut_point_is_a_distinct_prefix_of_the_script() {
        assert_eq!(CUT_POINTS.len(), script().len() + 1);
        for (index, point) in CUT_POINTS.iter().enumerate() {
            assert_eq!(point.steps_done, index);
        }
        assert!(CutPoint::named(DEFAULT_CUT_POINT).is_some());
        assert!(CutPoint::named("during-lunch").is_none());
    }

    #[test]
    fn synced_records_survive_the_cut() {
        let simulation = run(CutPoint::named("after-complete").unwrap()).unwrap();
        assert_eq!(simulation.surviving, simulation.before_cut);
        let journal =
            Journal::read(MemStorage::with_bytes(&simulation.surviving.unwrap())).unwrap();
        assert_eq!(journal.record_count(), script().len() as u64);
        let none = run(CutPoint::named("before-check").unwrap()).unwrap();
        assert_eq!(none.surviving, None);
    }

    #[test]
    fn the_next_boot_retries_before_the_red_line_and_stops_past_it() {
        assert_eq!(
            next_boot_verdict("before-check"),
            Verdict::FirstRun { epoch: 1 }
        );
        for point in [
            "after-check",
            "after-fetched",
            "during-kargs",
            "after-kargs",
        ] {
            let verdict = next_boot_verdict(point);
            assert!(
                matches!(verdict, Verdict::SafeRetry { .. }),
                "{point}: {verdict:?}"
            );
        }
        for point in CUT_POINTS.iter().skip(5).take(8) {
            let verdict = next_boot_verdict(point.name);
            assert!(
                matches!(verdict, Verdict::FatalInterruption { .. }),
                "{}: {verdict:?}",
                point.name
            );
        }
        assert_eq!(
            next_boot_verdict("after-complete"),
            Verdict::AlreadyComplete { epoch: 1 }
        );
    }
}
