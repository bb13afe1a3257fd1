//! `check`: classify this boot, record the decision, say it in one sentence.

use std::time::Duration;

use camino::Utf8Path;
use provision_journal::boot_context::BootInputs;
use provision_journal::{Clock, FsStorage, Journal, NotApplicable, SystemClock, Verdict, hooks};

use crate::exit::{Exit, Failure};
use crate::location::require_directory;
use crate::output::say;

/// Decides the boot described by `inputs` for the journal at `path`,
/// records the decision durably, prints it, and returns the exit status.
/// The decision stands even if stdout cannot be written.
pub fn run(path: &Utf8Path, inputs: &BootInputs, lock_wait: Duration) -> Result<Exit, Failure> {
    let verdict = decide_at(
        path,
        inputs,
        &mut SystemClock::new(inputs.boot_id),
        lock_wait,
    )?;
    match verdict {
        Verdict::NotApplicable {
            why: NotApplicable::NotFirstBoot,
        } => say(format_args!(
            "not a provisioning boot (this system marks one with {}): nothing to do",
            inputs.signals.describe_firstboot()
        )),
        _ => say(&verdict),
    }
    Ok(exit_for(&verdict))
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
