//! The kept copy of the config: its protocol (keep, tidy, restore) on the
//! in-memory journal and copy store, and a crash at every step of it.
//!
//! Invariants, checked on every state a power cut may leave (the copy
//! store's crash model: any prefix of the name changes since the last
//! directory `fsync`, unsynced bytes lost or kept) and after the next
//! writer ran on it:
//!
//! 1. the copy on disk is never other bytes than a record names: a copy the
//!    journal names is there with exactly the recorded size and digest, or
//!    (only when a crash cut its removal between the unlink and the record)
//!    absent; after the next writer, a copy the journal names is there;
//! 2. no copy outlives its attempt: after the next writer that can remove
//!    it, a complete, poisoned or reset journal (or one naming no copy)
//!    leaves no copy;
//! 3. a retry restores exactly the bound bytes, or restores nothing;
//! 4. a removal that fails (the copy is immutable, a directory, on a
//!    read-only mount) appends nothing: the writer's own record is durable
//!    exactly when the writer says so, and the journal names what it named.
//!
//! The removal rows of `spec/STATES.md`, "The kept copy", have one test
//! each, named by the row (`k1_` to `k9_`); a test of the protocol that
//! carries a row out carries its name too.

mod support;

use provision_journal::classify::{CopyOnDisk, kept_copy_removal, kept_copy_to_restore};
use provision_journal::event::RemovalCause;
use provision_journal::hooks::{self, Hook, sha256_of};
use provision_journal::kept::{
    self, CopyStep, CopyStore, KeptError, MemCopyStore, RestoreTarget, Restored, Tidied,
};
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
    fn try_check(&mut self) -> Result<(provision_journal::Verdict, Tidied), KeptError> {
        self.boot += 1;
        let mut clock = provision_journal::FixedClock::new(BootId([self.boot; 16]), 0);
        let (decision, tidied) = kept::check(
            &mut self.journal,
            &mut self.store,
            &context(self.boot),
            true,
            &mut clock,
        )?;
        Ok((decision.verdict, tidied))
    }

    /// `check` with the kept copy, whole, on the current boot: decided,
    /// tidied, and restored to `target` with keeping on.
    fn check_and_restore(
        &mut self,
        target: &RestoreTarget,
        clock: &mut provision_journal::FixedClock,
    ) -> Result<kept::Checked, KeptError> {
        kept::check_and_restore(
            &mut self.journal,
            &mut self.store,
            &context(self.boot),
            true,
            target,
            clock,
        )
    }

    fn check(&mut self) -> provision_journal::Verdict {
        let (verdict, tidied) = self.try_check().unwrap();
        assert!(tidied.left.is_none(), "{:?}", tidied.left);
        verdict
    }

    /// A hook of the boot running the attempt, as the binary runs it.
    fn hook(
        &mut self,
        hook: &Hook,
        keep: Option<&[u8]>,
        keeping: bool,
    ) -> Result<Tidied, KeptError> {
        self.clock += 1;
        let mut clock = provision_journal::FixedClock::new(BootId([self.boot; 16]), self.clock);
        kept::record(
            &mut self.journal,
            &mut self.store,
            hook,
            keep,
            keeping,
            &mut clock,
        )
    }

    fn keep(&mut self, bytes: &[u8]) -> Result<(), KeptError> {
        let stamp = self.stamp();
        kept::keep(&mut self.journal, &mut self.store, bytes, stamp).map(|_| ())
    }

    fn tidy(&mut self, completing: bool) -> Result<Option<RemovalCause>, KeptError> {
        let stamp = self.stamp();
        kept::tidy(&mut self.journal, &mut self.store, true, completing, stamp)
    }

    fn journal_bytes(&self) -> Option<Vec<u8>> {
        self.journal.storage().contents()
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
            other => panic!("a restore this test does not know: {other:?}"),
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

    /// Invariant 1, before the next writer: a copy the journal names is on
    /// disk, whole, or absent; never other bytes.
    fn assert_named_copy_whole_or_absent(&self, why: &str) {
        if let (Some(copy), Some(bytes)) = (self.journal.progress().kept, self.store.copy()) {
            assert_eq!(bytes.len() as u64, copy.size, "{why}: size");
            assert_eq!(digest(&bytes), copy.sha256, "{why}: digest");
        }
    }

    /// Invariant 1, after the next writer: a copy the journal names is on
    /// disk, whole.
    fn assert_named_copy_present(&mut self, why: &str) {
        if self.journal.progress().kept.is_some() {
            assert!(
                self.store.copy().is_some(),
                "{why}: the journal names a missing copy"
            );
        }
        self.assert_named_copy_whole_or_absent(why);
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
    }

    /// The next writer while removals are still refused: a new boot's
    /// `check`. Invariant 4: what it could not remove it did not record,
    /// it says so, and it fails only before its own record, writing
    /// nothing then.
    fn check_while_removal_is_refused(&mut self, why: &str) {
        let before = self.journal_bytes();
        match self.try_check() {
            Err(error) => {
                assert!(
                    matches!(
                        error,
                        KeptError::Storage {
                            step: CopyStep::Remove,
                            ..
                        }
                    ),
                    "{why}: {error}"
                );
                assert_eq!(
                    self.journal_bytes(),
                    before,
                    "{why}: a check that failed wrote to the journal"
                );
            }
            Ok((_, tidied)) => {
                if self.store.has_copy() {
                    assert!(
                        tidied.removed.is_empty(),
                        "{why}: recorded the removal of a copy still there"
                    );
                }
                let on_disk = self.store.inspect().unwrap();
                let due = kept_copy_removal(self.journal.progress(), on_disk, true, false);
                match &tidied.left {
                    Some(left) => assert!(
                        matches!(
                            left,
                            KeptError::Storage {
                                step: CopyStep::Remove,
                                ..
                            }
                        ) && due.is_some(),
                        "{why}: {left}"
                    ),
                    None => assert_eq!(due, None, "{why}: a due removal failed silently"),
                }
            }
        }
        self.assert_named_copy_present(why);
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
            state.assert_named_copy_whole_or_absent(&why);
            if state.store.refuses_removal() {
                state.check_while_removal_is_refused(&why);
                state.store.allow_removal();
            }
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
        steps >= 2,
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
    assert!(states >= 8, "{states}");
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
fn k5_a_crash_at_every_step_of_the_removal_before_completion() {
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
fn k3_a_crash_at_every_step_of_the_removal_after_poisoning() {
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
fn k4_a_crash_at_every_step_of_the_removal_after_reset() {
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
        let (verdict, _) = machine.try_check()?;
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

/// Whether `dir` is on a file system in memory (tmpfs or ramfs).
fn in_memory(dir: &std::path::Path) -> bool {
    // `f_type` is signed on some architectures and unsigned on others.
    #[allow(clippy::unnecessary_cast)]
    rustix::fs::statfs(dir)
        .is_ok_and(|fs| matches!((fs.f_type as i64) & 0xffff_ffff, 0x0102_1994 | 0x8584_58f6))
}

/// A directory in memory for a restore target, or why there is none here.
fn memory_dir(name: &str) -> Option<std::path::PathBuf> {
    let shm = std::path::Path::new("/dev/shm");
    if !in_memory(shm) {
        support::skip::skip("/dev/shm is not a tmpfs: no restore target in memory");
        return None;
    }
    let dir = shm.join(format!(
        "provision-journal-kept.{}.{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    Some(dir)
}

#[test]
fn check_and_restore_decides_tidies_and_restores_in_one_call() {
    let Some(dir) = memory_dir("restore") else {
        return;
    };
    let target = RestoreTarget::new(camino::Utf8PathBuf::try_from(dir.join("user.ign")).unwrap());
    let mut machine = Machine::new();
    kept_a_then_kargs_reboot(&mut machine);
    // A leftover of a restore cut off before: the restore writes over it.
    machine.boot += 1;
    let mut clock = provision_journal::FixedClock::new(BootId([machine.boot; 16]), 0);
    let checked = machine.check_and_restore(&target, &mut clock).unwrap();
    assert!(checked.decision.verdict.may_proceed());
    let (seq, _) = checked.tidied.recorded.expect("the decision was recorded");
    assert_eq!(seq, machine.journal.record_count() - 2, "then the restore");
    assert!(checked.leftover.is_none());
    let restored = checked.restored.expect("a retry restores").unwrap();
    assert_eq!(
        restored,
        Restored::Applied(machine.journal.progress().kept.unwrap())
    );
    assert_eq!(std::fs::read(target.path()).unwrap(), A);
    assert!(machine.journal.progress().restored);
    assert_eq!(target.leftover(), None);
    // The same boot again: nothing new to restore, and with keeping on a
    // leftover is removed.
    let leftover = dir.join(".user.ign.provision-journal.new");
    std::fs::write(&leftover, A).unwrap();
    let checked = machine.check_and_restore(&target, &mut clock).unwrap();
    assert!(checked.restored.is_none());
    assert_eq!(
        checked
            .leftover
            .map(|removed| removed.unwrap().into_std_path_buf()),
        Some(leftover.clone())
    );
    assert!(!leftover.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_and_restore_refuses_a_target_on_a_disk_and_records_nothing_for_it() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("kept-on-disk.{}", std::process::id()));
    let target = RestoreTarget::new(camino::Utf8PathBuf::try_from(dir.join("user.ign")).unwrap());
    if in_memory(std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))) {
        support::skip::skip("the build directory is in memory: no target on a disk");
        return;
    }
    let mut machine = Machine::new();
    kept_a_then_kargs_reboot(&mut machine);
    machine.boot += 1;
    let mut clock = provision_journal::FixedClock::new(BootId([machine.boot; 16]), 0);
    let checked = machine.check_and_restore(&target, &mut clock).unwrap();
    let records = machine.journal.record_count();
    let error = checked.restored.expect("a retry restores").unwrap_err();
    assert!(
        matches!(&error, KeptError::Target { problem, .. } if problem.contains("persistent")),
        "{error}"
    );
    assert_eq!(
        checked.tidied.recorded.map(|(seq, _)| seq),
        Some(records - 1)
    );
    assert!(!machine.journal.progress().restored);
    assert!(!target.path().exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn provisioning_keeps_the_config_restores_it_on_a_retry_and_removes_it_on_completion() {
    use provision_journal::provisioning::{Provisioning, Start};
    use provision_journal::{FsStorage, SystemClock};

    let Some(memory) = memory_dir("provisioning") else {
        return;
    };
    let target =
        RestoreTarget::new(camino::Utf8PathBuf::try_from(memory.join("user.ign")).unwrap());
    let dir = camino::Utf8PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("kept-provisioning.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("provision-journal");
    let copy = dir.join(kept::copy_name("provision-journal"));
    let store = || Box::new(kept::FsCopyStore::new(copy.clone()));
    let boot = |n: u8| {
        let journal = Journal::open(FsStorage::new(path.clone())).unwrap();
        (journal, SystemClock::new(BootId([n; 16])), context(n))
    };

    // The first boot keeps the config, then reboots for kernel arguments.
    let (journal, clock, context_1) = boot(1);
    let (start, checked) =
        Provisioning::start_keeping(journal, clock, &context_1, store(), true, &target).unwrap();
    assert!(checked.restored.is_none());
    let Start::Proceed { provisioning, .. } = start else {
        panic!("a first run proceeds");
    };
    let fetched = provisioning.fetched_keeping(A).unwrap();
    assert_eq!(std::fs::read(&copy).unwrap(), A);
    fetched
        .begin(Stage::Kargs)
        .unwrap()
        .end()
        .unwrap()
        .reboot(RebootReason::Kargs)
        .unwrap();

    // The next boot restores it, applies it, and completion removes it.
    let (journal, clock, context_2) = boot(2);
    let (start, checked) =
        Provisioning::start_keeping(journal, clock, &context_2, store(), true, &target).unwrap();
    assert!(matches!(checked.restored, Some(Ok(Restored::Applied(_)))));
    assert_eq!(std::fs::read(target.path()).unwrap(), A);
    let Start::Proceed { provisioning, .. } = start else {
        panic!("a resume after a planned reboot proceeds");
    };
    let journal = provisioning
        .fetched_keeping(A)
        .unwrap()
        .begin(Stage::Disks)
        .unwrap()
        .end()
        .unwrap()
        .complete()
        .unwrap();
    assert_eq!(journal.progress().state, State::Complete);
    assert_eq!(journal.progress().kept, None);
    assert!(!copy.exists(), "completion left the kept copy");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&memory).unwrap();
}

#[test]
fn k7_k8_a_missing_or_tampered_copy_is_removed_and_never_restored() {
    for tamper in [
        "symlink",
        "hard link",
        "truncated",
        "same size, other bytes",
        "missing",
    ] {
        let mut machine = Machine::new();
        kept_a_then_kargs_reboot(&mut machine);
        machine.store = match tamper {
            "symlink" => MemCopyStore::with_symlink(),
            "hard link" => MemCopyStore::with_hard_linked_copy(A),
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

// The removal rows of `spec/STATES.md`, "The kept copy", one test each,
// K1 to K9, tried in that order.

/// The progress of an open attempt that names no copy, and of the same
/// attempt once it keeps `A`.
fn open_and_bound() -> (provision_journal::Progress, provision_journal::Progress) {
    let mut machine = Machine::new();
    started(&mut machine);
    let open = machine.journal.progress().clone();
    machine.keep(A).unwrap();
    (open, machine.journal.progress().clone())
}

/// That every writer (whatever is on disk, keeping and completing) removes
/// the copy `progress` names, for `cause`.
fn assert_every_writer_removes(progress: &provision_journal::Progress, cause: RemovalCause) {
    for (on_disk, keeping, completing) in any_writer() {
        assert_eq!(
            kept_copy_removal(progress, on_disk, keeping, completing),
            Some(cause),
            "{on_disk:?}, keeping {keeping}, completing {completing}"
        );
    }
}

/// Every combination of what is on disk, keeping and completing.
fn any_writer() -> Vec<(CopyOnDisk, bool, bool)> {
    let on_disk = [
        CopyOnDisk::Absent,
        CopyOnDisk::NotRegular,
        CopyOnDisk::HardLinked,
        CopyOnDisk::File { size: 1 },
        CopyOnDisk::File {
            size: A.len() as u64,
        },
    ];
    let mut writers = Vec::new();
    for on_disk in on_disk {
        for (keeping, completing) in [(true, false), (false, false), (true, true), (false, true)] {
            writers.push((on_disk, keeping, completing));
        }
    }
    writers
}

#[test]
fn k1_no_copy_named_and_none_on_disk_removes_nothing() {
    let (open, _) = open_and_bound();
    assert_eq!(
        kept_copy_removal(&open, CopyOnDisk::Absent, true, false),
        None
    );
}

#[test]
fn k2_anything_under_the_name_of_a_copy_no_record_binds_is_unbound() {
    let (open, _) = open_and_bound();
    assert_eq!(
        kept_copy_removal(&open, CopyOnDisk::NotRegular, true, false),
        Some(RemovalCause::Unbound)
    );
    assert_eq!(
        kept_copy_removal(&open, CopyOnDisk::HardLinked, true, false),
        Some(RemovalCause::Unbound)
    );
}

#[test]
fn k2_the_next_writer_removes_a_copy_nobody_binds() {
    let mut machine = Machine::new();
    started(&mut machine);
    machine.store = MemCopyStore::with_copy(B);
    assert_eq!(machine.tidy(false).unwrap(), Some(RemovalCause::Unbound));
    assert!(!machine.store.has_copy());
    let removed = machine.journal.progress().kept;
    assert_eq!(removed, None);
}

#[test]
fn k3_a_poisoned_attempt_removes_its_copy_whatever_the_writer() {
    let mut machine = Machine::new();
    started(&mut machine);
    machine.keep(A).unwrap();
    machine.append(Event::StageBegan {
        stage: Stage::Disks,
    });
    machine.boot += 1;
    let mut clock = provision_journal::FixedClock::new(BootId([machine.boot; 16]), 0);
    let _ = hooks::check(&mut machine.journal, &context(machine.boot), &mut clock).unwrap();
    let poisoned = machine.journal.progress().clone();
    assert_eq!(poisoned.state, State::Poisoned);
    assert!(poisoned.kept.is_some());
    assert_every_writer_removes(&poisoned, RemovalCause::Poisoned);
}

#[test]
fn k4_a_reset_attempt_removes_its_copy_whatever_the_writer() {
    let mut machine = Machine::new();
    started(&mut machine);
    machine.keep(A).unwrap();
    machine.boot += 1;
    machine.append(Event::Reset {
        reason: "operator".into(),
    });
    let reset = machine.journal.progress().clone();
    assert!(reset.awaits_attempt());
    assert!(reset.kept.is_some());
    assert_every_writer_removes(&reset, RemovalCause::Reset);
}

#[test]
fn k5_complete_removes_the_named_copy_before_its_record() {
    let (_, bound) = open_and_bound();
    let whole = CopyOnDisk::File {
        size: A.len() as u64,
    };
    assert_eq!(
        kept_copy_removal(&bound, whole, true, true),
        Some(RemovalCause::Completed)
    );
}

#[test]
fn k6_keeping_switched_off_removes_the_named_copy() {
    let (_, bound) = open_and_bound();
    let whole = CopyOnDisk::File {
        size: A.len() as u64,
    };
    assert_eq!(
        kept_copy_removal(&bound, whole, false, false),
        Some(RemovalCause::Disabled)
    );
}

#[test]
fn k7_a_named_copy_that_is_gone_is_missing() {
    let (_, bound) = open_and_bound();
    assert_eq!(
        kept_copy_removal(&bound, CopyOnDisk::Absent, true, false),
        Some(RemovalCause::Missing)
    );
}

#[test]
fn k8_a_named_copy_that_is_not_the_bound_one_is_a_mismatch() {
    let (_, bound) = open_and_bound();
    assert_eq!(
        kept_copy_removal(&bound, CopyOnDisk::File { size: 1 }, true, false),
        Some(RemovalCause::Mismatch)
    );
    assert_eq!(
        kept_copy_removal(&bound, CopyOnDisk::NotRegular, true, false),
        Some(RemovalCause::Mismatch)
    );
    assert_eq!(
        kept_copy_removal(&bound, CopyOnDisk::HardLinked, true, false),
        Some(RemovalCause::Mismatch)
    );
}

#[test]
fn k9_the_named_copy_of_the_recorded_size_stays() {
    let (_, bound) = open_and_bound();
    let whole = CopyOnDisk::File {
        size: A.len() as u64,
    };
    assert_eq!(kept_copy_removal(&bound, whole, true, false), None);
}

#[test]
fn keeping_is_refused_before_anything_is_written_when_the_record_would_be() {
    let mut machine = Machine::new();
    // No attempt: `fetched` is out of order, and no copy may appear.
    let error = machine.keep(A).unwrap_err();
    assert!(matches!(error, KeptError::Journal(_)), "{error}");
    assert!(!machine.store.has_copy());
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
fn k3_a_stopped_attempt_records_the_refusal_of_the_boot_that_removes_its_copy() {
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

/// A copy named by an open attempt before the red line (kept, then
/// `kargs`), whose removal is refused from now on.
fn kept_a_before_the_red_line_unremovable(machine: &mut Machine) {
    started(machine);
    machine.keep(A).unwrap();
    machine
        .append(Event::StageBegan {
            stage: Stage::Kargs,
        })
        .append(Event::StageEnded {
            stage: Stage::Kargs,
        });
    machine.store.refuse_removal();
}

/// The same past the red line: `disks` ended.
fn kept_a_past_the_red_line_unremovable(machine: &mut Machine) {
    started(machine);
    machine.keep(A).unwrap();
    machine
        .append(Event::StageBegan {
            stage: Stage::Disks,
        })
        .append(Event::StageEnded {
            stage: Stage::Disks,
        });
    machine.store.refuse_removal();
}

/// Runs a hook whose removal before its record is refused: it must fail
/// there and write nothing (a power cut before the removal, too).
fn refused_before_the_record(
    machine: &mut Machine,
    hook: &Hook,
    keep: Option<&[u8]>,
) -> Result<(), KeptError> {
    let before = machine.journal_bytes();
    match machine.hook(hook, keep, true) {
        Err(KeptError::Storage {
            step: CopyStep::Remove,
            ..
        }) => {
            assert_eq!(
                machine.journal_bytes(),
                before,
                "{hook:?}: a failed removal before the record wrote to the journal"
            );
            Ok(())
        }
        Err(other) => Err(other),
        Ok(_) => panic!("{hook:?}: a refused removal before the record succeeded"),
    }
}

#[test]
fn a_crash_at_every_step_of_a_hook_whose_removal_after_its_record_is_refused() {
    // Keeping switched off: `begin disks` records, then cannot remove.
    explore(
        "begin disks, copy unremovable",
        kept_a_before_the_red_line_unremovable,
        |machine| {
            machine
                .hook(&Hook::Begin(Stage::Disks), None, false)
                .map(|_| ())
        },
    );
    // A poisoning record, then the poisoned attempt's copy.
    explore(
        "fail files, copy unremovable",
        |machine| {
            kept_a_past_the_red_line_unremovable(machine);
            machine.append(Event::StageBegan {
                stage: Stage::Files,
            });
        },
        |machine| {
            machine
                .hook(
                    &Hook::Fail(Stage::Files, "exit status 1".into()),
                    None,
                    true,
                )
                .map(|_| ())
        },
    );
    // A reset, then the reset attempt's copy; the next check cannot
    // start a new attempt until it is gone.
    explore(
        "reset, copy unremovable",
        |machine| {
            kept_a_past_the_red_line_unremovable(machine);
            machine.boot += 1;
        },
        |machine| {
            machine
                .hook(&Hook::Reset("operator".into()), None, true)
                .map(|_| ())
        },
    );
}

#[test]
fn a_crash_at_every_step_of_a_hook_whose_removal_before_its_record_is_refused() {
    explore(
        "complete, copy unremovable",
        kept_a_past_the_red_line_unremovable,
        |machine| refused_before_the_record(machine, &Hook::Complete, None),
    );
    explore(
        "keep B over an unremovable A",
        |machine| {
            started(machine);
            machine.keep(A).unwrap();
            machine.check();
            machine.store.refuse_removal();
        },
        |machine| refused_before_the_record(machine, &Hook::Fetched(digest(B)), Some(B)),
    );
}

#[test]
fn k6_a_removal_refused_after_the_record_leaves_the_record_durable_and_the_copy_named() {
    let mut machine = Machine::new();
    kept_a_before_the_red_line_unremovable(&mut machine);
    let tidied = machine
        .hook(&Hook::Begin(Stage::Disks), None, false)
        .unwrap();
    let left = tidied.left.expect("the failed removal is reported");
    assert!(
        matches!(
            left,
            KeptError::Storage {
                step: CopyStep::Remove,
                ..
            }
        ),
        "{left}"
    );
    assert!(tidied.removed.is_empty());
    // The hook's own record is the last one, and the copy is still named.
    let progress = machine.journal.progress().clone();
    assert_eq!(
        progress.state,
        State::Mutating {
            stage: Stage::Disks,
            step: provision_journal::Step::Running
        }
    );
    assert_eq!(progress.kept.map(|kept| kept.sha256), Some(digest(A)));
    assert_eq!(machine.store.copy().as_deref(), Some(A));
    // Once it can be removed, the next writer removes it and records why.
    machine.store.allow_removal();
    let tidied = machine.hook(&Hook::End(Stage::Disks), None, false).unwrap();
    assert_eq!(tidied.removed, [RemovalCause::Disabled]);
    assert!(!machine.store.has_copy());
}

#[test]
fn k5_complete_with_a_copy_that_cannot_be_removed_writes_nothing() {
    let mut machine = Machine::new();
    kept_a_past_the_red_line_unremovable(&mut machine);
    let before = machine.journal_bytes();
    let error = machine.hook(&Hook::Complete, None, true).unwrap_err();
    assert!(
        matches!(
            error,
            KeptError::Storage {
                step: CopyStep::Remove,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(machine.journal_bytes(), before);
    machine.store.allow_removal();
    let tidied = machine.hook(&Hook::Complete, None, true).unwrap();
    assert_eq!(tidied.removed, [RemovalCause::Completed]);
    assert_eq!(machine.journal.progress().state, State::Complete);
    assert!(!machine.store.has_copy());
}

#[test]
fn k9_keeping_the_same_config_again_keeps_the_copy_as_it_is() {
    let mut machine = Machine::new();
    kept_a_then_kargs_reboot(&mut machine);
    let verdict = machine.check();
    assert_eq!(machine.restore(&verdict).as_deref(), Some(A));
    let ops = machine.store.ops().len();
    machine.keep(A).unwrap();
    // Looked at and read back, never written again or removed.
    assert_eq!(
        &machine.store.ops()[ops..],
        [CopyStep::Inspect, CopyStep::Read]
    );
    assert_eq!(
        machine.journal.progress().kept.map(|kept| kept.sha256),
        Some(digest(A))
    );
}

#[test]
fn a_hook_with_keeping_off_and_no_copy_only_looks_once() {
    // The hook path stays short: one `lstat` of the copy's name, no unlink
    // of anything that cannot be there.
    let mut machine = Machine::new();
    started(&mut machine);
    machine
        .hook(&Hook::Fetched(digest(A)), None, false)
        .unwrap();
    machine
        .hook(&Hook::Begin(Stage::Disks), None, false)
        .unwrap();
    assert_eq!(machine.store.ops(), [CopyStep::Inspect, CopyStep::Inspect]);
}
