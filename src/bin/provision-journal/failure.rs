//! A call's own failure on the record (`CallFailed`): when `check` or a
//! hook fails after this boot's `check` recorded its decision, its unit
//! fails and the boot stops, and without a record the next boot would
//! count only an unplanned restart. So a failure that left the journal
//! writable (one built with a brief: a refused record, a config that
//! cannot be read or is too large, a restore target refused) is recorded
//! before the call exits; the transition function decides whether it may
//! be (the boot running an open attempt, once per boot). A failure of the
//! boot partition itself is never followed by another write: that could
//! only add torn bytes.

use std::time::Duration;

use camino::Utf8Path;
use provision_journal::boot_context::read_boot_id;
use provision_journal::event::CallName;
use provision_journal::hooks::{self, CallFailed, Hook};
use provision_journal::storage::Storage;
use provision_journal::{Clock, FsStorage, Journal, JournalError, SystemClock};

use crate::exit::Failure;

/// The call a hook is, as its failure is recorded; `None` for `reset`,
/// which belongs to no provisioning boot.
pub fn call_of(hook: &Hook) -> Option<CallName> {
    match hook {
        Hook::Fetched(_) => Some(CallName::Fetched),
        Hook::Begin(stage) => Some(CallName::Begin(*stage)),
        Hook::End(stage) => Some(CallName::End(*stage)),
        Hook::Fail(stage, _) => Some(CallName::Fail(*stage)),
        Hook::Reboot(_) => Some(CallName::Reboot),
        Hook::Complete => Some(CallName::Complete),
        // `reset`, and any hook this binary does not know.
        _ => None,
    }
}

/// Records `failure` of `call` in `journal`, if it is worth a record and
/// the rules accept one, and says so in its message.
pub fn record<S: Storage>(
    journal: &mut Journal<S>,
    call: Option<CallName>,
    failure: Failure,
    clock: &mut impl Clock,
) -> Failure {
    let (Some(call), Some(brief)) = (call, failure.brief.clone()) else {
        return failure;
    };
    let failed = CallFailed {
        call,
        status: failure.exit.status(),
        reason: brief,
    };
    let note = match hooks::record_failure(journal, &failed, clock) {
        Ok(_) => "; the failure itself is recorded in the journal, so `status` and `dump` say why this boot stopped".to_owned(),
        // Not this boot's attempt to speak for, or it already recorded
        // what stopped it.
        Err(JournalError::Rejected { .. }) => return failure,
        Err(error) => format!("; the failure could not be recorded: {error}"),
    };
    Failure {
        message: format!("{}{note}", failure.message),
        ..failure
    }
}

/// [`record`] for a call that failed before it opened the journal at
/// `path` (`fetched`, with a config it cannot read or keep).
pub fn record_at(
    path: &Utf8Path,
    call: Option<CallName>,
    failure: Failure,
    lock_wait: Duration,
) -> Failure {
    if failure.brief.is_none() {
        return failure;
    }
    let opened = read_boot_id()
        .map_err(|error| error.to_string())
        .and_then(|boot| {
            Journal::open(FsStorage::new(path).waiting_for_lock(lock_wait))
                .map(|journal| (boot, journal))
                .map_err(|error| error.to_string())
        });
    match opened {
        Ok((boot, mut journal)) => record(&mut journal, call, failure, &mut SystemClock::new(boot)),
        Err(error) => Failure {
            message: format!(
                "{}; the failure could not be recorded: {error}",
                failure.message
            ),
            ..failure
        },
    }
}

/// An I/O error in words, without the `(os error N)` the record has no
/// room for.
pub fn io_words(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}
