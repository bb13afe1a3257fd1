//! The hooks that append one event: `fetched`, `begin`, `end`, `fail`,
//! `reboot`, `complete`, and the operator's `reset`.

use std::time::Duration;

use camino::Utf8Path;
use provision_journal::boot_context::read_boot_id;
use provision_journal::event::MAX_TEXT_LEN;
use provision_journal::event::RemovalCause;
use provision_journal::hooks::{self, Hook};
use provision_journal::kept::{self, FsCopyStore, copy_name};
use provision_journal::report::{self, StopCause, describe_poison_cause, stop_advice};
use provision_journal::{
    BootContext, Clock, FsStorage, Journal, JournalError, State, SystemClock, TransitionError,
    classify,
};

use crate::exit::{Exit, Failure};
use crate::location::{journal_dir, require_directory};
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
        )
        .with_brief(*why),
        JournalError::Rejected { source, .. } => {
            let rule = source.to_string();
            let brief = rule.split_once(": ").map_or(rule.as_str(), |(first, _)| first);
            let brief = brief.to_owned();
            Failure::from(error).with_brief(brief)
        }
        _ => Failure::from(error),
    }
}

/// What a hook does about the kept copy of the config.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cache<'a> {
    /// `[Cache] KeepConfig`.
    pub keeping: bool,
    /// For `fetched --config` with keeping on: the config's bytes, kept as
    /// the copy the record binds.
    pub keep: Option<&'a [u8]>,
}

/// The kept copy's path beside the journal at `path`.
pub fn copy_path(path: &Utf8Path) -> camino::Utf8PathBuf {
    let name = path.file_name().unwrap_or("provision-journal");
    journal_dir(path).join(copy_name(name))
}

/// The kept copy's store beside the journal at `path`.
pub fn copy_store(path: &Utf8Path) -> FsCopyStore {
    FsCopyStore::new(copy_path(path))
}

/// Says what a writer's tidying removed, if anything, and why.
pub fn say_removed(path: &Utf8Path, cause: Option<RemovalCause>) {
    let Some(cause) = cause else {
        return;
    };
    let why = match cause {
        RemovalCause::Completed => "provisioning completed",
        RemovalCause::Poisoned => "the attempt is poisoned",
        RemovalCause::Reset => "an operator reset the attempt",
        RemovalCause::Disabled => "[Cache] KeepConfig is off",
        RemovalCause::Unbound => {
            "no record binds it: a writer was cut off before or after its record"
        }
        RemovalCause::Missing => {
            "the journal names it but it is gone; a retry fetches the config afresh, still bound to the attempt's digest"
        }
        RemovalCause::Mismatch => {
            "it is not the copy the journal recorded (not a regular file, or another size); it is never restored, and a retry fetches the config afresh, still bound to the attempt's digest"
        }
        RemovalCause::Replaced => "another config is kept in its place",
    };
    say(format_args!(
        "removed the kept copy of the config `{}` ({cause}: {why}) and recorded it",
        copy_path(path)
    ));
}

/// Appends `hook`'s record with the kept copy brought in line around it
/// (see [`run`]); returns the cause of a removal after the record.
fn record_hook(
    path: &Utf8Path,
    journal: &mut Journal<FsStorage>,
    hook: &Hook,
    clock: &mut SystemClock,
    cache: Cache<'_>,
) -> Result<Option<RemovalCause>, Failure> {
    let mut store = copy_store(path);
    if let Hook::Complete = hook {
        let removed = kept::tidy(journal, &mut store, cache.keeping, true, clock.stamp())
            .map_err(|error| kept_refused(error, hook))?;
        say_removed(path, removed);
    }
    match (hook, cache.keep) {
        (Hook::Fetched(_), Some(bytes)) => {
            kept::keep(journal, &mut store, bytes, clock.stamp())
                .map_err(|error| kept_refused(error, hook))?;
        }
        _ => {
            hooks::record(journal, hook, clock).map_err(|error| refused(error, hook))?;
        }
    }
    Ok(kept::tidy(
        journal,
        &mut store,
        cache.keeping,
        false,
        clock.stamp(),
    )?)
}

/// The failure of a hook whose copy or record failed: a refusal is told as
/// [`refused`] tells it.
fn kept_refused(error: kept::KeptError, hook: &Hook) -> Failure {
    match error {
        kept::KeptError::Journal(error) => refused(error, hook),
        other => Failure::from(other),
    }
}

/// Appends `hook`'s event to the journal at `path`, stamped with this boot.
/// Once the record is durable, a stdout that cannot be written does not
/// change the outcome. A record that poisons the attempt (a different
/// config after a mutating stage) is [`Exit::RecordPoisoned`], so the unit
/// fails; `fail`, which reports a failure that already happened, is not.
/// A writer waits up to `lock_wait` for another hook's lock.
///
/// Around the record, the kept copy is brought in line with the journal
/// (`kept::tidy`): `complete` removes it before its record, every hook
/// after its own (a poisoning record, a reset). `fetched` with
/// [`Cache::keep`] keeps the copy, then records `ConfigKept`.
pub fn run(
    path: &Utf8Path,
    hook: &Hook,
    lock_wait: Duration,
    cache: Cache<'_>,
) -> Result<Exit, Failure> {
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
    let mut clock = SystemClock::new(boot_id);
    let removed = match record_hook(path, &mut journal, hook, &mut clock, cache) {
        Ok(removed) => removed,
        Err(failed) => {
            let call = crate::failure::call_of(hook);
            return Err(crate::failure::record(
                &mut journal,
                call,
                failed,
                &mut clock,
            ));
        }
    };
    let progress = journal.progress();
    say(format_args!(
        "recorded `{}`: the attempt is now {}",
        hook.command(),
        progress.state
    ));
    if let (Some(kept), Some(_)) = (progress.kept, cache.keep) {
        say(format_args!(
            "kept a copy of the config beside the journal ({} bytes, SHA-256 {}) for a retry of this attempt",
            kept.size, kept.sha256
        ));
    }
    say_removed(path, removed);
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
                    .map(|poison| stop_advice(StopCause::Recorded(poison), None))
                    .unwrap_or_default()
            ),
        ));
    }
    Ok(Exit::Ok)
}
