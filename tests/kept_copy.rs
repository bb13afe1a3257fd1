//! The kept copy of the config: its protocol (keep, tidy, restore) on the
//! in-memory journal and copy store, and a crash at every step of it.
//!
//! Invariants, checked on every state a power cut may leave (the copy
//! store's crash model: any prefix of the name changes since the last
//! directory `fsync`, unsynced bytes lost or kept) and after the next
//! writer ran on it:
//!
//! 1. no record names a missing copy: a copy the journal names is on disk
//!    with exactly the recorded size and digest;
//! 2. no copy outlives its attempt: after the next writer, a complete,
//!    poisoned or reset journal (or one naming no copy) leaves no copy and
//!    no temporary file;
//! 3. a retry restores exactly the bound bytes, or restores nothing.

use provision_journal::classify::{CopyOnDisk, kept_copy_removal, kept_copy_to_restore};
use provision_journal::event::RemovalCause;
use provision_journal::hooks::{self, sha256_of};
use provision_journal::kept::{self, CopyStore, KeptError, MemCopyStore, Restored};
use provision_journal::{
    BootContext, BootId, Event, Journal, MemStorage, RebootReason, Sha256, Stage, Stamp, State,
    Trigger,
};

const A: &[u8] = b"{\"ignition\":{\"version\":\"3.4.0\"},\"config\":\"A\"}";
const B: &[u8] = b"{\"ignition\":{\"version\":\"3.4.0\"},\"config\":\"B, longer\"}";

fn digest(bytes: &[u8]) -> Sha256 {
    sha256_of(bytes).unwrap()
}

fn stamp(boot: u8, at: i64) -> Stamp {
    Stamp {
        boot_id: BootId([boot; 16]),
        wall_ms: 1_700_000_000_000 + at,
        mono_ns: at as u64,
    }
}

fn context(boot: u8) -> BootContext {
    BootContext {
        boot_id: Some(BootId([boot; 16])),
        firstboot: true,
        ..Default::default()
    }
}

/// A journal and its copy store, written on boot `boot`.
struct Machine {
    journal: Journal<MemStorage>,
    store: MemCopyStore,
    boot: u8,
    clock: i64,
}

impl Machine {
    fn new() -> Self {
        Machine {
            journal: Journal::open(MemStorage::new()).unwrap(),
            store: MemCopyStore::new(),
            boot: 1,
            clock: 0,
        }
    }

    fn stamp(&mut self) -> Stamp {
        self.clock += 1;
        stamp(self.boot, self.clock)
    }

    fn append(&mut self, event: Event) -> &mut Self {
        let stamp = self.stamp();
        self.journal.append(event, stamp).unwrap();
        self
    }

    /// `check` on a new boot: the decision, with the tidy around it.
    fn try_check(&mut self) -> Result<provision_journal::Verdict, KeptError> {
        self.boot += 1;
        let mut clock = provision_journal::FixedClock::new(BootId([self.boot; 16]), 0);
        let (decision, _) = kept::check(
            &mut self.journal,
            &mut self.store,
            &context(self.boot),
            true,
            &mut clock,
        )?;
        Ok(decision.verdict)
    }

    fn check(&mut self) -> provision_journal::Verdict {
        self.try_check().unwrap()
    }

    fn keep(&mut self, bytes: &[u8]) -> Result<(), KeptError> {
        let stamp = self.stamp();
        kept::keep(&mut self.journal, &mut self.store, bytes, stamp).map(|_| ())
    }

    fn tidy(&mut self, completing: bool) -> Result<Option<RemovalCause>, KeptError> {
        let stamp = self.stamp();
        kept::tidy(&mut self.journal, &mut self.store, true, completing, stamp)
    }

    fn restore(&mut self, verdict: &provision_journal::Verdict) -> Option<Vec<u8>> {
        self.try_restore(verdict).unwrap()
    }

    fn try_restore(
        &mut self,
        verdict: &provision_journal::Verdict,
    ) -> Result<Option<Vec<u8>>, KeptError> {
        let Some(copy) = kept_copy_to_restore(self.journal.progress(), verdict) else {
            return Ok(None);
        };
        let stamp = self.stamp();
        let mut applied = None;
        let outcome = kept::restore(
            &mut self.journal,
            &mut self.store,
            copy,
            |bytes| {
                applied = Some(bytes.to_vec());
                Ok(())
            },
            stamp,
        )?;
        Ok(match outcome {
            Restored::Applied(copy) => {
                let bytes = applied.expect("an applied copy reached the target");
                assert_eq!(digest(&bytes), copy.sha256);
                Some(bytes)
            }
            Restored::Discarded { .. } => {
                assert!(applied.is_none(), "a discarded copy reached the target");
                None
            }
        })
    }

    /// The machine after a power cut now, one per state the copy store may
    /// be left in (the journal keeps what was synced).
    fn crash_states(&self) -> Vec<Machine> {
        self.store
            .crash_states()
            .into_iter()
            .map(|store| Machine {
                journal: Journal::open(self.journal.storage().crash()).unwrap(),
                store,
                boot: self.boot,
                clock: self.clock + 1_000,
            })
            .collect()
    }

    /// Invariant 1: a copy the journal names is on disk, whole.
    fn assert_named_copy_present(&mut self, why: &str) {
        if let Some(copy) = self.journal.progress().kept {
            let bytes = self
                .store
                .copy()
                .unwrap_or_else(|| panic!("{why}: the journal names a missing copy"));
            assert_eq!(bytes.len() as u64, copy.size, "{why}: size");
            assert_eq!(digest(&bytes), copy.sha256, "{why}: digest");
        }
    }

    /// Invariant 2: where no attempt holds a copy, there is none.
    fn assert_no_stray_copy(&self, why: &str) {
        let progress = self.journal.progress();
        let ended = matches!(progress.state, State::Complete | State::Poisoned)
            || progress.awaits_attempt();
        if ended || progress.kept.is_none() {
            assert!(
                !self.store.has_copy(),
                "{why}: a copy outlived its attempt ({:?})",
                progress.state
            );
        }
        assert!(
            !self.store.has_temp(),
            "{why}: a temporary file outlived the next writer"
        );
    }
}

/// Runs `setup`, then `protocol` cut before each of its copy operations
/// (and once whole), and checks the invariants on every state the cut may
/// leave, before and after the next writer, which is a new boot's `check`
/// (with its restore) followed, when it proceeds, by `fetched` of `next`.
fn explore(
    name: &str,
    setup: impl Fn(&mut Machine),
    protocol: impl Fn(&mut Machine) -> Result<(), KeptError>,
) -> usize {
    let mut whole = Machine::new();
    setup(&mut whole);
    let before = whole.store.ops().len();
    protocol(&mut whole).unwrap_or_else(|error| panic!("{name}: {error}"));
    let steps = whole.store.ops().len() - before;
    let mut states = 0;
    for cut in before..=before + steps {
        let mut machine = Machine::new();
        setup(&mut machine);
        machine.store.fail_at(cut);
        let _ = protocol(&mut machine);
        for mut state in machine.crash_states() {
            states += 1;
            let why = format!("{name}, cut before copy operation {}", cut - before);
            state.assert_named_copy_present(&why);
            let bound = state.journal.progress().config;
            let verdict = state.check();
            state.assert_named_copy_present(&why);
            state.assert_no_stray_copy(&why);
            if let Some(bytes) = state.restore(&verdict) {
                assert_eq!(
                    Some(digest(&bytes)),
                    bound,
                    "{why}: restored bytes the attempt is not bound to"
                );
                assert!(
                    bytes == A || bytes == B,
                    "{why}: restored bytes no config had"
                );
            }
            state.assert_named_copy_present(&why);
            state.assert_no_stray_copy(&why);
        }
    }
    assert!(
        steps >= 3,
        "{name}: the protocol made {steps} copy operations"
    );
    states
}

fn started(machine: &mut Machine) {
    machine.append(Event::AttemptStarted {
        epoch: 1,
        trigger: Trigger::Firstboot,
    });
}

fn kept_a_then_kargs_reboot(machine: &mut Machine) {
    started(machine);
    machine.keep(A).unwrap();
    machine
        .append(Event::StageBegan {
            stage: Stage::Kargs,
        })
        .append(Event::StageEnded {
            stage: Stage::Kargs,
        })
        .append(Event::RebootPlanned {
            reason: RebootReason::Kargs,
        });
}

#[test]
fn a_crash_at_every_step_of_keeping_the_copy() {
    let states = explore("keep", started, |machine| machine.keep(A));
    assert!(states > 10, "{states}");
}

#[test]
fn a_crash_at_every_step_of_keeping_another_config_before_mutation() {
    explore(
        "keep B over A",
        |machine| {
            started(machine);
            machine.keep(A).unwrap();
            machine.check();
        },
        |machine| machine.keep(B),
    );
}

#[test]
fn a_crash_at_every_step_of_the_removal_before_completion() {
    explore(
        "complete",
        |machine| {
            started(machine);
            machine.keep(A).unwrap();
            machine
                .append(Event::StageBegan {
                    stage: Stage::Disks,
                })
                .append(Event::StageEnded {
                    stage: Stage::Disks,
                });
        },
        |machine| {
            assert_eq!(machine.tidy(true)?, Some(RemovalCause::Completed));
            machine.append(Event::Completed);
            Ok(())
        },
    );
}

#[test]
fn a_crash_at_every_step_of_the_removal_after_poisoning() {
    explore(
        "poisoned",
        |machine| {
            started(machine);
            machine.keep(A).unwrap();
            machine.append(Event::StageBegan {
                stage: Stage::Disks,
            });
            machine.boot += 1;
            let mut clock = provision_journal::FixedClock::new(BootId([machine.boot; 16]), 0);
            let _ = hooks::check(&mut machine.journal, &context(machine.boot), &mut clock).unwrap();
        },
        |machine| machine.tidy(false).map(|_| ()),
    );
}

#[test]
fn a_crash_at_every_step_of_the_removal_after_reset() {
    explore(
        "reset",
        |machine| {
            started(machine);
            machine.keep(A).unwrap();
            machine.boot += 1;
            machine.append(Event::Reset {
                reason: "operator".into(),
            });
        },
        |machine| machine.tidy(false).map(|_| ()),
    );
}

#[test]
fn a_crash_at_every_step_of_a_restore() {
    explore("restore", kept_a_then_kargs_reboot, |machine| {
        let verdict = machine.try_check()?;
        let restored = machine.try_restore(&verdict)?;
        assert_eq!(restored.as_deref(), Some(A));
        Ok(())
    });
}

#[test]
fn a_retry_restores_exactly_the_bound_bytes() {
    let mut machine = Machine::new();
    kept_a_then_kargs_reboot(&mut machine);
    let verdict = machine.check();
    assert_eq!(machine.restore(&verdict).as_deref(), Some(A));
    assert!(machine.journal.progress().restored);
    // Ignition renders the restored config to the same bytes.
    machine.keep(A).unwrap();
    machine
        .append(Event::StageBegan {
            stage: Stage::Disks,
        })
        .append(Event::StageEnded {
            stage: Stage::Disks,
        });
    assert_eq!(machine.tidy(true).unwrap(), Some(RemovalCause::Completed));
    machine.append(Event::Completed);
    assert!(!machine.store.has_copy());
    assert_eq!(machine.journal.progress().kept, None);
}

#[test]
fn a_tampered_copy_is_removed_and_never_restored() {
    for tamper in ["symlink", "truncated", "same size, other bytes", "missing"] {
        let mut machine = Machine::new();
        kept_a_then_kargs_reboot(&mut machine);
        machine.store = match tamper {
            "symlink" => MemCopyStore::with_symlink(),
            "truncated" => MemCopyStore::with_copy(&A[..A.len() - 1]),
            "same size, other bytes" => {
                let mut other = A.to_vec();
                other[5] ^= 1;
                MemCopyStore::with_copy(&other)
            }
            _ => MemCopyStore::new(),
        };
        machine.boot += 1;
        let mut clock = provision_journal::FixedClock::new(BootId([machine.boot; 16]), 0);
        let verdict = hooks::check(&mut machine.journal, &context(machine.boot), &mut clock)
            .unwrap()
            .verdict;
        // The restore is asked without the tidy before it, so the restore
        // itself must refuse the copy.
        assert_eq!(machine.restore(&verdict), None, "{tamper}");
        assert!(!machine.store.has_copy(), "{tamper}: the copy was left");
        let last = machine.journal.progress().kept;
        assert_eq!(last, None, "{tamper}");
        // The attempt goes on: the config is fetched afresh, still bound.
        let stamp = machine.stamp();
        machine
            .journal
            .append(Event::ConfigFetched { sha256: digest(A) }, stamp)
            .unwrap();
    }
}

#[test]
fn the_next_writer_removes_a_copy_and_a_temporary_file_nobody_binds() {
    let mut machine = Machine::new();
    started(&mut machine);
    machine.store = MemCopyStore::with_copy(B).with_temp(A);
    assert_eq!(machine.tidy(false).unwrap(), Some(RemovalCause::Unbound));
    assert!(!machine.store.has_copy() && !machine.store.has_temp());
    let removed = machine.journal.progress().kept;
    assert_eq!(removed, None);
}

#[test]
fn removal_rules_in_order() {
    let mut machine = Machine::new();
    started(&mut machine);
    let open = machine.journal.progress().clone();
    assert_eq!(
        kept_copy_removal(&open, CopyOnDisk::Absent, true, false),
        None
    );
    assert_eq!(
        kept_copy_removal(&open, CopyOnDisk::NotRegular, true, false),
        Some(RemovalCause::Unbound)
    );
    machine.keep(A).unwrap();
    let bound = machine.journal.progress().clone();
    let whole = CopyOnDisk::File {
        size: A.len() as u64,
    };
    assert_eq!(kept_copy_removal(&bound, whole, true, false), None);
    assert_eq!(
        kept_copy_removal(&bound, whole, false, false),
        Some(RemovalCause::Disabled)
    );
    assert_eq!(
        kept_copy_removal(&bound, whole, true, true),
        Some(RemovalCause::Completed)
    );
    assert_eq!(
        kept_copy_removal(&bound, CopyOnDisk::Absent, true, false),
        Some(RemovalCause::Missing)
    );
    assert_eq!(
        kept_copy_removal(&bound, CopyOnDisk::File { size: 1 }, true, false),
        Some(RemovalCause::Mismatch)
    );
    assert_eq!(
        kept_copy_removal(&bound, CopyOnDisk::NotRegular, true, false),
        Some(RemovalCause::Mismatch)
    );
}

#[test]
fn keeping_is_refused_before_anything_is_written_when_the_record_would_be() {
    let mut machine = Machine::new();
    // No attempt: `fetched` is out of order, and no copy may appear.
    let error = machine.keep(A).unwrap_err();
    assert!(matches!(error, KeptError::Journal(_)), "{error}");
    assert!(!machine.store.has_copy() && !machine.store.has_temp());
    assert!(machine.store.ops().is_empty());
}

#[test]
fn copy_store_path_is_beside_the_journal() {
    assert_eq!(
        kept::copy_name("provision-journal"),
        "provision-journal.config"
    );
    assert_eq!(MemCopyStore::new().path(), "provision-journal.config");
}

#[test]
fn a_stopped_attempt_records_the_refusal_of_the_boot_that_removes_its_copy() {
    // A crash between the poisoning record and the copy's removal: the next
    // boot's `check` removes the copy and still records that it refused.
    let mut machine = Machine::new();
    started(&mut machine);
    machine.keep(A).unwrap();
    machine.append(Event::StageBegan {
        stage: Stage::Disks,
    });
    machine.boot += 1;
    let mut clock = provision_journal::FixedClock::new(BootId([machine.boot; 16]), 0);
    let _ = hooks::check(&mut machine.journal, &context(machine.boot), &mut clock).unwrap();
    assert_eq!(machine.journal.progress().state, State::Poisoned);
    assert!(machine.store.has_copy());

    let refused_before = machine.journal.progress().refused_boots;
    let verdict = machine.check();
    assert!(!verdict.may_proceed(), "{verdict:?}");
    assert!(
        !machine.store.has_copy(),
        "the poisoned attempt's copy stayed"
    );
    assert_eq!(
        machine.journal.progress().refused_boots,
        refused_before + 1,
        "the refusing boot was not recorded"
    );
}
