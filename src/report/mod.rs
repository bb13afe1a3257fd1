//! The post-mortem report behind `dump` and `status`: what happened, on
//! which boot, in which stage, and why the machine now does (or does not)
//! provision.
//!
//! A support engineer often gets nothing but the journal file, copied off a
//! machine that will not boot. So the report must answer from the file
//! alone, and must cope with any file:
//!
//! - It never writes: the journal is opened [`Access::Read`], without the
//!   lock a running hook takes, so it works on a copy, on a read-only
//!   mount, and next to a running provisioning.
//! - It streams: each part of the report is one pass over the file
//!   (`walk`), which holds one read window and one boot's summary, never
//!   the records, so memory is flat for a journal of any size.
//! - It keeps reading past damage (`salvage`) and marks what it finds
//!   there as untrusted.
//! - It trusts no byte of the file: every string from it is escaped before
//!   it reaches a terminal (`escape`), and record kinds of a newer version
//!   are shown as unknown.
//! - It decides nothing itself: the trusted records go through the one
//!   [`transition`](crate::transition()) function, and the verdict is the
//!   one [`classify`](crate::classify()) gives for the next boot.
//!
//! Wall-clock times are shown in UTC, so the report reads the same on every
//! machine; durations come from each boot's monotonic clock. The JSON
//! schema is `spec/DUMP.md`.

mod boot_end;
pub(crate) mod escape;
mod failure;
mod human;
mod json;
mod salvage;
mod snapshot;
mod status;
mod time;
mod timeline;
mod verdict;
mod walk;

use std::io::Write;

use crate::format::error::{JournalError, StorageOp};
use crate::host::config::PolicySettings;

use crate::storage::{Access, Storage};

use self::snapshot::Snapshot;

pub use self::escape::defang;
pub use self::failure::{FailureLogView, is_bound, stopped_on};
pub use self::status::{
    JournalState, KeptConfig, LastRecord, OVERVIEW_BOOTS, STATUS_SCHEMA, Status, Unread, status,
    status_with,
};
pub use self::verdict::{
    NextVerdict, StopCause, describe_poison_cause, next_provisioning_boot, stop_advice,
};
pub use self::walk::{Damage, Outcome, ReportError};

use self::walk::walk;

fn open_for_reading<S: Storage + ?Sized>(storage: &mut S) -> Result<bool, JournalError> {
    storage
        .open(Access::Read)
        .map_err(|source| JournalError::storage(storage, StorageOp::Open, source))
}

/// Fixes the length every pass of a report reads up to.
fn take_snapshot<S: Storage + ?Sized>(storage: &mut S) -> Result<Snapshot<'_, S>, ReportError> {
    let len = storage
        .file_len()
        .map_err(|source| JournalError::storage(storage, StorageOp::Read, source))?;
    Ok(Snapshot::new(storage, len))
}

fn require_journal<S: Storage + ?Sized>(storage: &mut S) -> Result<(), ReportError> {
    if open_for_reading(storage)? {
        return Ok(());
    }
    Err(ReportError::NoJournal {
        path: storage.path().to_owned(),
    })
}

/// Writes the human report of the journal in `storage` (not yet opened) to
/// `out`, and says how far the journal can be trusted. A missing journal is
/// [`ReportError::NoJournal`].
///
/// # Errors
///
/// [`ReportError::NoJournal`] for a missing journal,
/// [`ReportError::Journal`] when reading its storage fails (damage in the
/// file is reported, not an error), [`ReportError::Output`] when
/// writing to `out` fails.
pub fn dump_human<S: Storage + ?Sized>(
    storage: &mut S,
    policy: &PolicySettings,
    out: &mut dyn Write,
) -> Result<Outcome, ReportError> {
    dump_human_with(storage, policy, None, out)
}

/// [`dump_human`], with the failure log found beside the journal shown in
/// a FAILURE LOG part before NEXT CHECK.
///
/// # Errors
///
/// As [`dump_human`].
pub fn dump_human_with<S: Storage + ?Sized>(
    storage: &mut S,
    policy: &PolicySettings,
    failure_log: Option<&FailureLogView>,
    out: &mut dyn Write,
) -> Result<Outcome, ReportError> {
    require_journal(storage)?;
    let mut snapshot = take_snapshot(storage)?;
    Ok(human::write(&mut snapshot, policy, failure_log, out)?.outcome)
}

/// Writes the JSON report (`spec/DUMP.md`) of the journal in `storage` (not
/// yet opened) to `out`. A missing journal is [`ReportError::NoJournal`].
///
/// # Errors
///
/// [`ReportError::NoJournal`] for a missing journal,
/// [`ReportError::Journal`] when reading its storage fails (damage in the
/// file is reported, not an error), [`ReportError::Output`] when
/// writing to `out` fails.
pub fn dump_json<S: Storage + ?Sized>(
    storage: &mut S,
    policy: &PolicySettings,
    out: &mut dyn Write,
) -> Result<Outcome, ReportError> {
    dump_json_with(storage, policy, None, out)
}

/// [`dump_json`], with the failure log found beside the journal as the
/// `failure_log` field (present only then).
///
/// # Errors
///
/// As [`dump_json`].
pub fn dump_json_with<S: Storage + ?Sized>(
    storage: &mut S,
    policy: &PolicySettings,
    failure_log: Option<&FailureLogView>,
    out: &mut dyn Write,
) -> Result<Outcome, ReportError> {
    require_journal(storage)?;
    let mut snapshot = take_snapshot(storage)?;
    Ok(json::write(&mut snapshot, policy, failure_log, out)?.outcome)
}

/// How far the journal in `storage` (not yet opened) can be trusted, from
/// one silent pass: the outcome [`dump_human`] would report. A missing
/// journal is [`ReportError::NoJournal`].
///
/// # Errors
///
/// [`ReportError::NoJournal`] for a missing journal,
/// [`ReportError::Journal`] when reading its storage fails (damage in the
/// file is reported, not an error).
pub fn outcome<S: Storage + ?Sized>(storage: &mut S) -> Result<Outcome, ReportError> {
    require_journal(storage)?;
    Ok(walk(storage, &mut |_| Ok(()))?.outcome)
}

/// Why the attempt in the journal in `storage` (not yet opened) is
/// poisoned, in words, from one silent pass; `None` when it is not. A
/// missing journal is [`ReportError::NoJournal`].
///
/// # Errors
///
/// [`ReportError::NoJournal`] for a missing journal,
/// [`ReportError::Journal`] when reading its storage fails (damage in the
/// file is reported, not an error).
pub fn poison_cause<S: Storage + ?Sized>(storage: &mut S) -> Result<Option<String>, ReportError> {
    require_journal(storage)?;
    let summary = walk(storage, &mut |_| Ok(()))?;
    Ok(summary
        .progress
        .poison
        .as_ref()
        .map(|poison| verdict::describe_poison_cause(poison, summary.mutated_stage)))
}

/// `problem`, found at `offset` of the journal in `storage` (not yet
/// opened), in the words the report uses (`describe_corruption`): the
/// damaged record is read again to name its kind.
///
/// # Errors
///
/// The storage's failure to open or read the file.
pub fn describe_damage_at<S: Storage + ?Sized>(
    storage: &mut S,
    offset: u64,
    problem: crate::format::error::Corruption,
) -> Result<Damage, ReportError> {
    require_journal(storage)?;
    let file_len = storage
        .file_len()
        .map_err(|source| JournalError::storage(storage, StorageOp::Read, source))?;
    Ok(walk::damage(storage, offset, problem, file_len)?)
}
