//! `check`: classify this boot, record the decision, say it in one sentence;
//! then bring the kept copy of the config in line with the journal and, on
//! a retry of an attempt that kept one, restore it for Ignition.

use std::time::Duration;

use camino::Utf8Path;
use provision_journal::boot_context::BootInputs;
use provision_journal::classify::kept_copy_to_restore;
use provision_journal::config::CacheSettings;
use provision_journal::event::CallName;
use provision_journal::kept::{self, KeptError, Restored};
use provision_journal::{Clock, FsStorage, Journal, NotApplicable, SystemClock, Verdict, hooks};

use crate::exit::{Exit, Failure};
use crate::hook::{copy_path, copy_store, say_removed};
use crate::location::require_directory;
use crate::output::{complain, say};
use crate::restore::write_target;

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
        say_verdict(&verdict, inputs);
        return Ok(exit_for(&verdict));
    }
    let cache = cache.expect("checked above");
    require_directory(path)?;
    let mut journal = Journal::open(FsStorage::new(path).waiting_for_lock(lock_wait))?;
    let keeping = cache.keep_config.value;
    let mut store = copy_store(path);
    let (decision, removed) = kept::check(&mut journal, &mut store, &context, keeping, &mut clock)?;
    let verdict = decision.verdict;
    say_verdict(&verdict, inputs);
    for cause in removed {
        say_removed(path, Some(cause));
    }
    let restore = keeping
        .then(|| kept_copy_to_restore(journal.progress(), &verdict))
        .flatten();
    if let Some(copy) = restore {
        let target = &cache.restore_to.value;
        let restored = kept::restore(
            &mut journal,
            &mut store,
            copy,
            |bytes| write_target(target, bytes),
            clock.stamp(),
        );
        let outcome = match restored {
            Ok(outcome) => outcome,
            Err(error) => {
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
        };
        match outcome {
            Restored::Applied(copy) => say(format_args!(
                "restored the kept config (SHA-256 {}, {} bytes) to `{target}` and recorded it: this boot applies exactly the config the attempt is bound to, without fetching it",
                copy.sha256, copy.size
            )),
            Restored::Discarded { cause, why } => complain(format_args!(
                "provision-journal: {why}: it is not restored; it was removed and the removal recorded ({cause}). This boot fetches the config afresh, and the attempt stays bound to SHA-256 {}: a different config is accepted only while no stage has changed the machine (`{}`)",
                copy.sha256,
                copy_path(path)
            )),
        }
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

fn say_verdict(verdict: &Verdict, inputs: &BootInputs) {
    match verdict {
        Verdict::NotApplicable {
            why: NotApplicable::NotFirstBoot,
        } => say(format_args!(
            "not a provisioning boot (this system marks one with {}): nothing to do",
            inputs.signals.describe_firstboot()
        )),
        Verdict::AlreadyComplete { .. } => {
            say(verdict);
            let markers = inputs.firstboot_markers().join(" and ");
            say(format_args!(
                "this boot stops here because {markers} still marks it as a provisioning boot, although provisioning completed: remove that marker, and the next boot is an ordinary one (`provision-journal reset` would provision the machine again; `provision-journal status` says more)"
            ));
        }
        _ => say(verdict),
    }
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
