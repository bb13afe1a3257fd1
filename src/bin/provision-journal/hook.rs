//! The hooks that append one event: `fetched`, `begin`, `end`, `fail`,
//! `reboot`, `complete`, and the operator's `reset`.

use std::time::Duration;

use camino::Utf8Path;
use provision_journal::boot_context::read_boot_id;
use provision_journal::event::MAX_TEXT_LEN;
use provision_journal::hooks::{self, Hook};
use provision_journal::report::{self, StopCause, describe_poison_cause, stop_advice};
use provision_journal::{
    BootContext, FsStorage, Journal, JournalError, State, SystemClock, TransitionError, classify,
};

use crate::exit::{Exit, Failure};
use crate::location::require_directory;
use crate::output::say;

/// The failure of a hook whose record the journal refused, naming the
/// command as it was typed rather than the event it records.
fn refused(error: JournalError, hook: &Hook) -> Failure {
    match &error {
        JournalError::Rejected {
            path,
            source: TransitionError::OutOfOrder { state, why, .. },
        } => Failure::new(
            Exit::Rejected,
            format!(
                "journal `{path}`: cannot run `{}` while the attempt is {state}: {why}; nothing was written",
                hook.name()
            ),
        ),
        _ => Failure::from(error),
    }
}

/// Appends `hook`'s event to the journal at `path`, stamped with this boot.
/// Once the record is durable, a stdout that cannot be written does not
/// change the outcome. A record that poisons the attempt (a different
/// config after a mutating stage) is [`Exit::RecordPoisoned`], so the unit
/// fails; `fail`, which reports a failure that already happened, is not.
/// A writer waits up to `lock_wait` for another hook's lock.
pub fn run(path: &Utf8Path, hook: &Hook, lock_wait: Duration) -> Result<Exit, Failure> {
    let boot_id = read_boot_id()?;
    require_directory(path)?;
    let mut journal = Journal::open(FsStorage::new(path).waiting_for_lock(lock_wait))?;
    if !matches!(hook, Hook::Reset(_)) && journal.progress().awaits_attempt() {
        let why = match journal.exists() {
            false => format!("there is no journal at `{path}` yet"),
            true => format!("journal `{path}` has no provisioning attempt open"),
        };
        return Err(Failure::new(
            Exit::Rejected,
            format!(
                "{why}: `check` must run first on this boot, before `{}`; nothing was written",
                hook.name()
            ),
        ));
    }
    let progress = hooks::record(&mut journal, hook, &mut SystemClock::new(boot_id))
        .map_err(|error| refused(error, hook))?;
    say(format_args!(
        "recorded `{}`: the attempt is now {}",
        hook.command(),
        progress.state
    ));
    if hook.text_was_cut() {
        say(format_args!(
            "(the reason was cut to the {MAX_TEXT_LEN} bytes a record keeps)"
        ));
    }
    if let Hook::Reset(_) = hook {
        let next = BootContext {
            boot_id: None,
            firstboot: true,
            ..Default::default()
        };
        let verdict = classify(progress, None, &next).verdict;
        say(format_args!(
            "the next provisioning boot decides: {verdict}"
        ));
    }
    if progress.state == State::Poisoned && !matches!(hook, Hook::Fail(..)) {
        let poison = progress.poison.clone();
        drop(journal);
        // The cause names the stage that ran before, which only the
        // records say; a failure to read them back loses only that word.
        let cause = report::poison_cause(&mut FsStorage::new(path))
            .ok()
            .flatten()
            .or_else(|| {
                poison
                    .as_ref()
                    .map(|poison| describe_poison_cause(poison, None))
            })
            .unwrap_or_default();
        return Err(Failure::new(
            Exit::RecordPoisoned,
            format!(
                "this record stopped provisioning: the attempt in `{path}` is poisoned: {cause}. {}",
                poison
                    .as_ref()
                    .map(|poison| stop_advice(StopCause::Recorded(&poison.cause), None))
                    .unwrap_or_default()
            ),
        ));
    }
    Ok(Exit::Ok)
}
