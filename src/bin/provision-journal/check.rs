//! `check`: classify this boot, record the decision, say it in one sentence;
//! then bring the kept copy of the config in line with the journal and, on
//! a retry of an attempt that kept one, restore it for Ignition.

use std::time::Duration;

use crate::journald::{Entry, Field, MessageId};
use camino::Utf8Path;
use provision_journal::boot_context::BootInputs;
use provision_journal::config::CacheSettings;
use provision_journal::event::CallName;
use provision_journal::kept::{self, KeptError, RestoreTarget, Restored};
use provision_journal::report::describe_poison_cause;
use provision_journal::{
    Clock, Event, FsStorage, Journal, NotApplicable, Progress, SystemClock, Verdict, hooks,
};

use crate::evidence;
use crate::exit::{Exit, Failure};
use crate::hook::{copy_path, copy_store, say_removed, say_tail_repaired, warn_left};
use crate::location::require_directory;
use crate::restore::say_leftover;

/// Decides the boot described by `inputs` for the journal at `path`,
/// records the decision durably, prints it, and returns the exit status.
/// The decision stands even if stdout cannot be written. With `cache` (a
/// journal on a boot partition, not a live system), the kept copy is then
/// tidied and restored as `spec/STATES.md` says.
pub fn run(
    path: &Utf8Path,
    inputs: &BootInputs,
    lock_wait: Duration,
    cache: Option<&CacheSettings>,
) -> Result<Exit, Failure> {
    let mut clock = SystemClock::new(inputs.boot_id);
    let context = inputs.context();
    if context.live || cache.is_none() {
        let verdict = decide_at(path, inputs, &mut clock, lock_wait)?;
        say_verdict(&verdict, inputs, None);
        return Ok(exit_for(&verdict));
    }
    let cache = cache.expect("checked above");
    require_directory(path)?;
    let mut journal = Journal::open(FsStorage::new(path).waiting_for_lock(lock_wait))?;
    let keeping = cache.keep_config.value;
    let mut store = copy_store(path);
    let target = RestoreTarget::new(&cache.restore_to.value);
    let torn = journal.torn_tail();
    let checked = kept::check_and_restore(
        &mut journal,
        &mut store,
        &context,
        keeping,
        &target,
        &mut clock,
    )
    .map_err(|error| {
        // Before its decision, `check` touches the copy only to remove
        // the last attempt's, which a new attempt must not find.
        let removal = matches!(error, kept::KeptError::Storage { .. });
        let mut failure = Failure::from(error);
        if removal {
            failure.message.push_str(
                "; `check` recorded no decision: a new attempt starts only once the last attempt's kept copy is removed",
            );
        }
        failure
    })?;
    let verdict = checked.decision.verdict;
    let recorded = checked
        .decision
        .record
        .zip(checked.tidied.recorded.as_ref().map(|(seq, _)| *seq));
    if verdict.may_proceed() {
        crate::recreated::note_check(path, inputs.boot_id);
    }
    say_verdict(&verdict, inputs, Some((recorded, journal.progress())));
    say_tail_repaired(torn.filter(|_| journal.torn_tail().is_none()));
    for cause in checked.tidied.removed {
        say_removed(path, Some(cause));
    }
    warn_left(path, "`check`'s decision", checked.tidied.left);
    say_leftover(checked.leftover);
    match checked.restored {
        None => {}
        Some(Err(error)) => {
            // After this boot's decision: the boot stops here, and the
            // record says why.
            let failed = restore_failure(error);
            let call = Some(CallName::Check);
            return Err(crate::failure::record(
                &mut journal,
                call,
                failed,
                &mut clock,
            ));
        }
        Some(Ok(Restored::Applied(copy))) => evidence::tell(
            Entry::new(MessageId::ConfigRestored, format!(
                "restored the kept config (SHA-256 {}, {} bytes) to `{}` and recorded it: this boot applies exactly the config the attempt is bound to, without fetching it",
                copy.sha256, copy.size, target.path()
            ))
            .with(Field::ConfigSha256, copy.sha256)
            .with(Field::Seq, journal.record_count() - 1)
            .with(Field::File, target.path()),
        ),
        Some(Ok(Restored::Discarded { cause, why, left })) => {
            let removed = match left {
                None => format!("it was removed and the removal recorded ({cause})"),
                Some(left) => format!(
                    "it could not be removed ({left}): nothing was recorded for it, the journal still names it, and the next writer tries again"
                ),
            };
            evidence::tell_failure(
                Entry::new(MessageId::KeptConfigRemoved, format!(
                    "{why}: it is not restored; {removed}. This boot fetches the config afresh, and the attempt stays bound to SHA-256 {}: a different config is accepted only while no stage has changed the machine (`{}`)",
                    journal.progress().config.map(|config| config.to_string()).unwrap_or_default(),
                    copy_path(path)
                ))
                .with(Field::Reason, cause)
                .with(Field::Seq, journal.record_count() - 1)
                .with(Field::File, copy_path(path)),
            )
        }
        // An outcome this binary does not know yet: the journal's record
        // says it (`dump`).
        Some(Ok(_)) => {}
    }
    Ok(exit_for(&verdict))
}

/// The failure of a restore; a refused target is worth a record, in brief:
/// the first clause of why (`/usr/lib/ignition` is on a persistent file
/// system).
fn restore_failure(error: KeptError) -> Failure {
    let brief = match &error {
        KeptError::Target { problem, .. } => {
            let clause = problem.split(" (").next().unwrap_or(problem);
            Some(clause.split("; ").next().unwrap_or(clause).to_owned())
        }
        _ => None,
    };
    let failure = Failure::from(error);
    match brief {
        Some(brief) => failure.with_brief(brief),
        None => failure,
    }
}

/// Tells the verdict: its sentence, and an entry whose kind says whether
/// provisioning goes on, and why not. `journal` is the decision's record
/// (with its sequence number), if it wrote one, and the state after the
/// call; `None` on a live system, where no journal is read.
fn say_verdict(
    verdict: &Verdict,
    inputs: &BootInputs,
    journal: Option<(Option<(Event, u64)>, &Progress)>,
) {
    let message = match verdict {
        Verdict::NotApplicable {
            why: NotApplicable::NotFirstBoot,
        } => format!(
            "not a provisioning boot (this system marks one with {}): nothing to do",
            inputs.signals.describe_firstboot()
        ),
        Verdict::AlreadyComplete { .. } => format!(
            "{verdict}; this boot stops here because {} still marks it as a provisioning boot, although provisioning completed: remove that marker, and the next boot is an ordinary one (do not run `reset`: it would provision the machine again)",
            inputs.firstboot_markers().join(" and ")
        ),
        _ => verdict.to_string(),
    };
    let id = match verdict {
        Verdict::FatalInterruption { .. } => MessageId::FatalInterruption,
        Verdict::Poisoned { .. } => MessageId::Poisoned,
        Verdict::AlreadyComplete { .. } => MessageId::AlreadyComplete,
        other if other.may_proceed() => MessageId::Proceed,
        _ => MessageId::FatalInterruption,
    };
    let mut entry = Entry::new(id, message)
        .with(Field::Verdict, verdict.name())
        .with(Field::ExitStatus, exit_for(verdict).status());
    if let Some((record, progress)) = journal {
        if let Some((event, seq)) = record {
            entry = entry
                .with(Field::Event, event.kind().replace('-', "_"))
                .with(Field::Seq, seq);
        }
        entry = evidence::with_progress(entry, progress);
        if let Some(poison) = &progress.poison {
            entry = entry.with(Field::Reason, describe_poison_cause(poison, None));
        }
    }
    evidence::tell(entry);
}

/// Decides the boot described by `inputs` for the journal at `path` and
/// records the decision durably, stamped with `clock` (`simulate` keeps its
/// simulated time), waiting up to `lock_wait` for another writer's lock.
pub fn decide_at(
    path: &Utf8Path,
    inputs: &BootInputs,
    clock: &mut impl Clock,
    lock_wait: Duration,
) -> Result<Verdict, Failure> {
    let context = inputs.context();
    let verdict = if context.live {
        // A live system has no boot partition: there is no journal to read.
        provision_journal::classify(&Default::default(), None, &context).verdict
    } else {
        require_directory(path)?;
        let mut journal = Journal::open(FsStorage::new(path).waiting_for_lock(lock_wait))?;
        hooks::check(&mut journal, &context, clock)?.verdict
    };
    Ok(verdict)
}

/// The exit status of a verdict: success exactly when provisioning may go on.
pub fn exit_for(verdict: &Verdict) -> Exit {
    match verdict {
        Verdict::FatalInterruption { .. } => Exit::FatalInterruption,
        Verdict::Poisoned { .. } => Exit::Poisoned,
        Verdict::AlreadyComplete { .. } => Exit::AlreadyComplete,
        Verdict::NotApplicable { .. }
        | Verdict::FirstRun { .. }
        | Verdict::ForcedRerun { .. }
        | Verdict::SafeRetry { .. }
        | Verdict::ResumeAfterPlannedReboot { .. }
        | Verdict::SameBoot { .. } => Exit::Ok,
        // `Verdict` is non-exhaustive for library users; a verdict this
        // binary does not know yet goes by the classifier's own answer.
        other if other.may_proceed() => Exit::Ok,
        _ => Exit::FatalInterruption,
    }
}
