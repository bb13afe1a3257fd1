//! The simulated machine every test and fuzz body boots: a disk in memory,
//! a clock per boot, and the journal code driven the way the stage hooks
//! drive it. Scenarios chain its hooks (`boot().check()`, `fetched()`,
//! `stage(…)`); the crash exploration runs one [`Call`] at a time and asks
//! what a power cut during it could have left.

use std::ops::Range;

use super::Call;
use crate::classify::{BootContext, Decision, Policy, Verdict, classify};
use crate::format::error::JournalError;
use crate::journal::Journal;
use crate::journal::clock::{Clock, FixedClock};
use crate::journal::hooks::Hook;
use crate::model::event::{BootId, Event, RebootReason, Record, Sha256, Stamp};
use crate::model::stage::Stage;
use crate::model::state::Progress;
use crate::storage::{CrashState, MemDisk, MemStorage};

use super::{
    CrashPoint, OPERATOR_RESET, boot_id, provisioning_hooks, read_records, step_event, valid_hooks,
};

/// The config digest the scenarios fetch.
pub const CONFIG: Sha256 = Sha256([0xc0; 32]);
/// A different config.
pub const OTHER_CONFIG: Sha256 = Sha256([0xd1; 32]);
/// 2026-11-25T08:00:00Z, the scenarios' first boot.
pub const START_MS: i64 = 1_795_593_600_000;

/// A machine with a journal, booting again and again.
#[expect(
    clippy::exhaustive_structs,
    reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
)]
pub struct Machine {
    /// The disk, shared by every process of every boot.
    pub storage: MemStorage,
    /// This boot's clock.
    pub clock: FixedClock,
    /// How many boots so far; the current one's number.
    pub boots: u8,
    /// The retry and planned-reboot budgets `check` applies.
    pub policy: Policy,
    /// The kernel's `provision_journal.rerun=` token, if any.
    pub rerun_token: Option<String>,
    /// Every record whose append returned during [`Machine::run`] (so whose
    /// `fdatasync` did), after those on the disk it booted on.
    pub acknowledged: Vec<Record>,
    /// The verdict of this boot's `check`, once [`Machine::run`] ran it.
    pub verdict: Option<Verdict>,
}

/// What running one step did.
#[derive(Clone, Debug)]
#[expect(
    clippy::exhaustive_structs,
    reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
)]
pub struct HookRun {
    /// The range of the disk's operation log the step performed.
    pub ops: Range<usize>,
    /// The records the step appended (none, one, or a repair and one).
    pub appended: Vec<Record>,
}

impl Default for Machine {
    fn default() -> Self {
        Self::new()
    }
}

impl Machine {
    /// A machine without a journal, not booted yet.
    pub fn new() -> Self {
        Machine {
            storage: MemStorage::new(),
            clock: FixedClock::new(boot_id(0), START_MS),
            boots: 0,
            policy: Policy::default(),
            rerun_token: None,
            acknowledged: Vec::new(),
            verdict: None,
        }
    }

    /// A machine whose disk holds a copy of a journal; its boots get IDs no
    /// recorded boot has.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Machine {
            storage: MemStorage::with_bytes(bytes),
            boots: 100,
            ..Machine::new()
        }
    }

    /// Boot number `index` on a disk holding `journal`, all durable (`None`:
    /// no journal), with the kernel's rerun token `rerun_token`.
    pub fn on_disk(journal: Option<&[u8]>, index: u8, rerun_token: Option<&str>) -> Self {
        let (acknowledged, _) = read_records(journal).unwrap_or_else(|_| (Vec::new(), None));
        let mut machine = Machine {
            storage: MemStorage::with_journal(journal),
            boots: index.wrapping_sub(1),
            rerun_token: rerun_token.map(str::to_owned),
            acknowledged,
            ..Machine::new()
        };
        machine.boot();
        machine
    }

    /// The boot ID of the n-th boot (1-based).
    pub fn boot_id(n: u8) -> BootId {
        boot_id(n)
    }

    /// Starts a new boot: new boot ID, wall clock ten minutes later,
    /// monotonic clock back near zero, no verdict yet.
    pub fn boot(&mut self) -> &mut Self {
        self.boots = self.boots.wrapping_add(1);
        self.clock = FixedClock::new(
            boot_id(self.boots),
            START_MS + (i64::from(self.boots) - 1) * 600_000,
        );
        self.verdict = None;
        self
    }

    /// What this boot's `check` is told.
    pub fn context(&self) -> BootContext {
        BootContext {
            boot_id: Some(self.clock.boot_id),
            live: false,
            firstboot: true,
            rerun_token: self.rerun_token.clone(),
            policy: self.policy,
        }
    }

    /// The journal, as a new process opens it.
    pub fn journal(&self) -> Journal<MemStorage> {
        Journal::open(self.storage.reopen()).expect("journal opens")
    }

    /// What `check` does, for a scenario that does not look at the verdict.
    pub fn check(&mut self) -> &mut Self {
        let _verdict_not_needed = self.decide();
        self
    }

    /// What `check` does: classify, record the decision.
    pub fn decide(&mut self) -> Decision {
        let mut journal = self.journal();
        let decision = classify(journal.progress(), journal.torn_tail(), &self.context());
        if let Some(event) = decision.record.clone() {
            journal
                .append(event, self.clock.stamp())
                .expect("check records its decision");
        }
        decision
    }

    /// What a hook does: append one event.
    pub fn hook(&mut self, event: Event) -> &mut Self {
        self.try_hook(event.clone())
            .unwrap_or_else(|error| panic!("hook {event:?} failed: {error}"));
        self
    }

    /// What a hook does, when the rules may refuse it.
    pub fn try_hook(&mut self, event: Event) -> Result<(), JournalError> {
        let mut journal = self.journal();
        journal.append(event, self.clock.stamp()).map(|_| ())
    }

    /// `fetched` with [`CONFIG`].
    pub fn fetched(&mut self) -> &mut Self {
        self.hook(Event::ConfigFetched { sha256: CONFIG })
    }

    /// `begin` and `end` of `stage`.
    pub fn stage(&mut self, stage: Stage) -> &mut Self {
        self.hook(Event::StageBegan { stage });
        self.hook(Event::StageEnded { stage })
    }

    /// `begin` of `stage`.
    pub fn begin(&mut self, stage: Stage) -> &mut Self {
        self.hook(Event::StageBegan { stage })
    }

    /// `reboot --reason kargs`.
    pub fn reboot_for_kargs(&mut self) -> &mut Self {
        self.hook(Event::RebootPlanned {
            reason: RebootReason::Kargs,
        })
    }

    /// A full, uninterrupted provisioning boot after `check`.
    pub fn provision_all(&mut self) -> &mut Self {
        self.fetched();
        for stage in Stage::MUTATING {
            self.stage(stage);
        }
        self.hook(Event::Completed)
    }

    /// The journal's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        self.storage.contents().expect("journal exists")
    }

    /// Boots again and says what `check` would decide, recording nothing.
    pub fn classify_next_boot(&mut self) -> Decision {
        self.boot();
        let journal = self.journal();
        classify(journal.progress(), journal.torn_tail(), &self.context())
    }

    /// A separate copy of this machine, to explore another branch from.
    pub fn fork(&self) -> Self {
        Machine {
            storage: self.storage.fork(),
            clock: self.clock,
            boots: self.boots,
            policy: self.policy,
            rerun_token: self.rerun_token.clone(),
            acknowledged: self.acknowledged.clone(),
            verdict: self.verdict.clone(),
        }
    }

    /// The progress the acknowledged records replay to.
    pub fn progress(&self) -> Progress {
        crate::model::transition::replay(&self.acknowledged).expect("acknowledged records replay")
    }

    /// The steps that may run next in this boot: `check` first, then the
    /// provisioning hooks if it let the boot go on, else the operator's
    /// reset; nothing once a call of this boot failed and recorded it (its
    /// unit failed, and the boot stops).
    pub fn next_hooks(&self, configs: &[Sha256]) -> Vec<Call> {
        let stopped = self.acknowledged.last().is_some_and(|last| {
            matches!(last.event, Event::CallFailed { .. })
                && last.stamp.boot_id == self.clock.boot_id
        });
        if stopped {
            return Vec::new();
        }
        let candidates = match &self.verdict {
            None => return vec![Call::Check],
            Some(verdict) if verdict.may_proceed() => provisioning_hooks(configs),
            Some(_) => vec![Call::Hook(Hook::Reset(OPERATOR_RESET.to_owned()))],
        };
        let probe = Stamp {
            boot_id: self.clock.boot_id,
            wall_ms: 0,
            mono_ns: 0,
        };
        valid_hooks(&self.progress(), probe, &candidates)
    }

    /// Runs `step` as its own process would: open the journal, append.
    pub fn run(&mut self, step: &Call) -> Result<HookRun, JournalError> {
        let before = self.storage.ops().len();
        let mut journal = Journal::open(self.storage.reopen())?;
        let event = match step {
            Call::Check => {
                let decision = classify(journal.progress(), journal.torn_tail(), &self.context());
                self.verdict = Some(decision.verdict);
                decision.record
            }
            call @ (Call::Hook(_) | Call::Failed(_)) => step_event(call),
        };
        if let Some(event) = event {
            journal.append(event, self.clock.stamp())?;
        }
        drop(journal);
        let (records, torn) = read_records(self.storage.contents().as_deref())?;
        assert!(torn.is_none(), "a successful append leaves no torn tail");
        let appended = records[self.acknowledged.len()..].to_vec();
        assert_eq!(
            records[..self.acknowledged.len()],
            self.acknowledged[..],
            "an append keeps every earlier record"
        );
        self.acknowledged = records;
        Ok(HookRun {
            ops: before..self.storage.ops().len(),
            appended,
        })
    }

    /// Every crash state of every crash point during `run` (after each of
    /// its operations), with the records that were in flight.
    pub fn crash_states(&self, run: &HookRun) -> Vec<(CrashPoint, CrashState)> {
        let ops = self.storage.ops();
        let start = self.storage.start();
        let mut states = Vec::new();
        for cut in run.ops.start + 1..=run.ops.end {
            let done = cut == run.ops.end;
            let point = CrashPoint {
                ops: cut,
                acknowledged: if done {
                    self.acknowledged.len()
                } else {
                    self.acknowledged.len() - run.appended.len()
                },
                in_flight: if done { 0 } else { run.appended.len() },
            };
            for state in MemDisk::crash_states(start.as_deref(), &ops[..cut]) {
                states.push((point, state));
            }
        }
        states
    }
}
