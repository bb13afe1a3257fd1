//! The hooks that append one event: `fetched`, `begin`, `end`, `fail`,
//! `reboot`, `complete`, and the operator's `reset`.

use std::time::Duration;

use crate::journald::{Entry, Field, MessageId};
use camino::Utf8Path;
use provision_journal::boot_context::read_boot_id;
use provision_journal::event::MAX_TEXT_LEN;
use provision_journal::event::RemovalCause;
use provision_journal::hooks::Hook;
use provision_journal::kept::{self, CopyStep, FsCopyStore, RestoreTarget, copy_name};
use provision_journal::report::{self, StopCause, describe_poison_cause, stop_advice};
use provision_journal::{
    BootContext, Event, FsStorage, Journal, JournalError, State, SystemClock, TornTail,
    TransitionError, classify,
};

use crate::evidence;
use crate::exit::{Exit, Failure};
use crate::location::{journal_dir, require_directory};
use crate::output::{complain, say};
use crate::recreated;
use crate::restore::remove_leftover;

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
#[derive(Clone, Copy, Debug)]
pub struct Cache<'a> {
    /// `[Cache] KeepConfig`.
    pub keeping: bool,
    /// For `fetched --config` with keeping on: the config's bytes, kept as
    /// the copy the record binds.
    pub keep: Option<&'a [u8]>,
    /// `[Cache] RestoreTo`, beside which a restore that was cut off may
    /// have left its temporary file.
    pub restore_to: &'a Utf8Path,
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
            "it is not the copy the journal recorded (not a regular file, hard-linked to another name, or another size); it is never restored, and a retry fetches the config afresh, still bound to the attempt's digest"
        }
        RemovalCause::Replaced => "another config is kept in its place",
        // A cause this binary does not know yet: its name says it.
        _ => "",
    };
    let cause_words = match why {
        "" => cause.to_string(),
        why => format!("{cause}: {why}"),
    };
    let file = copy_path(path);
    let message =
        format!("removed the kept copy of the config `{file}` ({cause_words}) and recorded it");
    evidence::tell(
        Entry::new(MessageId::KeptConfigRemoved, message)
            .with(Field::Reason, cause)
            .with(Field::File, file),
    );
}

/// Tells that the writer cut off `torn`, a torn tail an interrupted append
/// left, and recorded it (`TailRepaired`, spec/FORMAT.md).
pub fn say_tail_repaired(torn: Option<TornTail>) {
    let Some(torn) = torn else {
        return;
    };
    evidence::tell(Entry::new(
        MessageId::TailRepaired,
        format!(
            "cut off a torn tail of {} at offset {} (left by an interrupted append, or damaged) and recorded it",
            crate::output::bytes(torn.len),
            torn.offset
        ),
    ));
}

/// The failure of a hook whose copy or record failed: a refusal is told as
/// [`refused`] tells it, and any other failure says that the hook's record
/// was not written.
fn kept_refused(error: kept::KeptError, hook: &Hook) -> Failure {
    let removal = matches!(
        error,
        kept::KeptError::Storage {
            step: CopyStep::Inspect | CopyStep::Remove | CopyStep::SyncDir,
            ..
        }
    );
    match error {
        kept::KeptError::Journal(error) => refused(error, hook),
        other => {
            let mut failure = Failure::from(other);
            failure.message = match (hook, removal) {
                (Hook::Complete, true) => format!(
                    "{}; `complete` was not recorded: it records completion only once the kept copy is removed. Clear what keeps the copy (an immutable flag, a read-only mount, a directory in its place) and run `complete` again; a boot that goes on without it is taken for one interrupted past the red line",
                    failure.message
                ),
                _ => format!("{}; `{}` was not recorded", failure.message, hook.name()),
            };
            failure
        }
    }
}

/// Warns that a removal after the writer's durable record failed, and what
/// that leaves: the journal names the copy until a writer can remove it.
pub fn warn_left(path: &Utf8Path, what: &str, left: Option<kept::KeptError>) {
    let Some(error) = left else {
        return;
    };
    let copy = copy_path(path);
    match error {
        kept::KeptError::Journal(error) => complain(format_args!(
            "provision-journal: warning: {what} is recorded, but the removal of the kept copy of the config `{copy}` could not be recorded: {error}. The next writer records it"
        )),
        other => complain(format_args!(
            "provision-journal: warning: {what} is recorded, but the kept copy of the config could not be removed: {other}. Nothing was recorded for it (the journal is as that record left it), and the next writer tries again; until one can, it stays beside the journal"
        )),
    }
}

/// Appends `hook`'s event to the journal at `path`, stamped with this boot.
/// Once the record is durable, a stdout that cannot be written does not
/// change the outcome. A record that poisons the attempt (a different
/// config after a mutating stage) is [`Exit::RecordPoisoned`], so the unit
/// fails; `fail`, which reports a failure that already happened, is not.
/// A writer waits up to `lock_wait` for another hook's lock. A journal
/// that is gone from a boot file system recreated during this boot is put
/// back first from `recreated`'s saved copy (or the hook says it vanished).
///
/// Around the record, the kept copy is brought in line with the journal
/// (`kept::record`): `complete` removes it before its record, every hook
/// after its own (a poisoning record, a reset). `fetched` with
/// [`Cache::keep`] keeps the copy, then records `ConfigKept`. A removal
/// that fails after the record is a warning: the exit status is the
/// record's.
pub fn run(
    path: &Utf8Path,
    hook: &Hook,
    lock_wait: Duration,
    cache: Cache<'_>,
    recreated: recreated::Settings<'_>,
) -> Result<Exit, Failure> {
    let boot_id = read_boot_id()?;
    require_directory(path)?;
    let mut journal = Journal::open(FsStorage::new(path).waiting_for_lock(lock_wait))?;
    if !journal.exists() && matches!(hook, Hook::Reset(_)) {
        return Err(Failure::new(
            Exit::Rejected,
            format!(
                "there is no journal at `{path}`: nothing to reset (a reinstall leaves none; the next provisioning boot starts a new attempt); nothing was written"
            ),
        ));
    }
    if !journal.exists() {
        journal = recreated::take_back(journal, path, recreated, lock_wait, boot_id)?;
    }
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
    let torn = journal.torn_tail();
    let mut clock = SystemClock::new(boot_id);
    let mut store = copy_store(path);
    let recorded = kept::record(
        &mut journal,
        &mut store,
        hook,
        cache.keep,
        cache.keeping,
        &mut clock,
    );
    let tidied = match recorded {
        Ok(tidied) => tidied,
        Err(error) => {
            // The boot stops here: when the failure is worth it, the
            // journal says why.
            let failed = kept_refused(error, hook);
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
    let (seq, recorded_progress) = tidied
        .recorded
        .clone()
        .unwrap_or_else(|| (journal.record_count() - 1, progress.clone()));
    let id = match hook {
        Hook::Fail(..) => MessageId::StageFailed,
        _ => MessageId::Recorded,
    };
    let message = format!(
        "recorded `{}`: the attempt is now {}",
        hook.command(),
        progress.state
    );
    let event = match (hook, recorded_progress.kept) {
        (Hook::Fetched(sha256), Some(kept)) if cache.keep.is_some() => Event::ConfigKept {
            sha256: *sha256,
            size: kept.size,
        },
        _ => hook.event(),
    };
    evidence::tell(evidence::record_entry(
        id,
        message,
        &event,
        seq,
        &recorded_progress,
    ));
    say_tail_repaired(torn);
    if let (Some(kept), Some(_)) = (progress.kept, cache.keep) {
        say(format_args!(
            "kept a copy of the config beside the journal ({} bytes, SHA-256 {}) for a retry of this attempt",
            kept.size, kept.sha256
        ));
    }
    for cause in tidied.removed {
        say_removed(path, Some(cause));
    }
    if matches!(hook, Hook::Reset(_)) && tidied.left.is_some() {
        warn_left(path, "`reset`", tidied.left);
        complain(format_args!(
            "provision-journal: the next provisioning boot's `check` starts a new attempt only once the last attempt's kept copy is gone, and fails until then"
        ));
    } else {
        warn_left(path, &format!("`{}`", hook.name()), tidied.left);
    }
    if cache.keeping {
        remove_leftover(&RestoreTarget::new(cache.restore_to));
    }
    if hook.text_was_cut() {
        say(format_args!(
            "(the reason was cut to the {MAX_TEXT_LEN} bytes a record keeps)"
        ));
    }
    if let Hook::Reset(_) = hook {
        // The failure log belongs to the attempt the operator just closed.
        if provision_journal::failure_log::remove(&mut crate::keep_log::store(path))? {
            say(format_args!(
                "removed the failure log `{}`: it belonged to the attempt before the reset",
                crate::keep_log::log_path(path)
            ));
        }
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
