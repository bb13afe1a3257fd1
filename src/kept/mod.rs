//! The kept copy of the config (`[Cache] KeepConfig=yes`): one file beside
//! the journal that lets a retry of an attempt apply exactly the config the
//! attempt is bound to, without the network.
//!
//! Nothing here decides anything. The records go through the transition
//! function, and what a writer does about a copy it finds is
//! [`crate::classify::kept_copy_removal`]; what `check` restores is
//! [`crate::classify::kept_copy_to_restore`]. This module is the protocol
//! that carries those decisions out in a durable order, through the
//! narrow [`CopyStore`] seam:
//!
//! - **keep**: if the journal names a copy of another config, remove it
//!   first (as below, cause `replaced`); a config whose record would poison
//!   the attempt is not kept at all. Then remove a leftover temporary
//!   file, write the copy to a
//!   temporary name (`O_CREAT | O_EXCL | O_NOFOLLOW`, 0600), `fdatasync`,
//!   rename it over the copy's name, `fsync` the directory, and only then
//!   append `ConfigKept`. A crash before the append leaves a copy the
//!   journal does not bind; the next writer removes it.
//! - **remove**: append `KeptConfigRemoved`, then unlink the copy and
//!   `fsync` the directory. A crash between leaves a copy the journal no
//!   longer binds; the next writer removes it (and records that, as
//!   `unbound`).
//! - **restore**: read the copy (`O_NOFOLLOW`, a regular file only), check
//!   its size and SHA-256 against the record, hand exactly those bytes to
//!   the target, then append `ConfigRestored`. A copy that does not match
//!   is removed and never handed on.
//!
//! So a record never names a missing copy, and a copy the journal does not
//! bind never outlives the next writer and is never restored
//! (`spec/STATES.md`, "The kept copy").

mod fs;
#[cfg(feature = "testing")]
mod mem;

pub use fs::FsCopyStore;
#[cfg(feature = "testing")]
pub use mem::MemCopyStore;

use camino::{Utf8Path, Utf8PathBuf};

use crate::classify::{BootContext, CopyOnDisk, Decision, kept_copy_removal};
use crate::clock::Clock;
use crate::error::JournalError;
use crate::event::{Event, RemovalCause, Sha256, Stamp};
use crate::hooks;
use crate::hooks::sha256_of;
use crate::journal::Journal;
use crate::state::{KeptCopy, Progress, State};
use crate::storage::{Storage, StorageError};

/// The largest copy `[Cache] MaxSize` may allow, in bytes (16 MiB). The
/// growth bound of the boot partition counts one copy of at most this.
pub const MAX_SIZE_CAP: u64 = 16 * 1024 * 1024;
/// `[Cache] MaxSize` by default, in bytes (1 MiB).
pub const DEFAULT_MAX_SIZE: u64 = 1024 * 1024;

/// What a [`CopyStore`] finds under the copy's name when it reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopyContent {
    /// Nothing.
    Absent,
    /// Something that is not a regular file (a symbolic link, a directory,
    /// a FIFO…): never opened.
    NotRegular {
        /// What it is.
        kind: &'static str,
    },
    /// A regular file: its size, and its bytes if it is not larger than
    /// the limit read.
    File {
        /// Its size.
        size: u64,
        /// Its bytes, `None` when larger than the limit.
        bytes: Option<Vec<u8>>,
    },
}

/// The operations on the kept copy and its temporary file. Each maps to
/// one system call (or a loop of one, for short writes and `EINTR`).
pub trait CopyStore {
    /// The copy's path, for messages.
    fn path(&self) -> &Utf8Path;

    /// What is under the copy's name (`lstat`: a link is not followed).
    fn inspect(&mut self) -> Result<CopyOnDisk, StorageError>;

    /// Reads the copy (`open(O_NOFOLLOW)`, `fstat`: a regular file only),
    /// keeping its bytes when it holds at most `limit`.
    fn read(&mut self, limit: u64) -> Result<CopyContent, StorageError>;

    /// Creates the temporary file (`O_CREAT | O_EXCL | O_NOFOLLOW`, mode
    /// 0600) and writes `bytes` to it.
    fn write_temp(&mut self, bytes: &[u8]) -> Result<(), StorageError>;

    /// `fdatasync` of the temporary file. Never retried.
    fn sync_temp(&mut self) -> Result<(), StorageError>;

    /// Renames the temporary file over the copy's name.
    fn rename_temp(&mut self) -> Result<(), StorageError>;

    /// Unlinks the temporary file; `Ok(false)` if there was none.
    fn remove_temp(&mut self) -> Result<bool, StorageError>;

    /// Unlinks whatever is under the copy's name (a link itself, never
    /// its target); `Ok(false)` if there was nothing.
    fn remove_copy(&mut self) -> Result<bool, StorageError>;

    /// `fsync` of the directory: makes the names durable.
    fn sync_dir(&mut self) -> Result<(), StorageError>;
}

/// A step of the copy's protocol: the one that failed, or one the
/// in-memory store logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyStep {
    /// Looking at the copy.
    Inspect,
    /// Reading it.
    Read,
    /// Writing the temporary file.
    WriteTemp,
    /// `fdatasync` of the temporary file.
    SyncTemp,
    /// The rename into place.
    Rename,
    /// Removing the temporary file.
    RemoveTemp,
    /// Removing the copy.
    RemoveCopy,
    /// `fsync` of the directory.
    SyncDir,
}

impl std::fmt::Display for CopyStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CopyStep::Inspect => "lstat",
            CopyStep::Read => "read",
            CopyStep::WriteTemp => "writing the temporary file",
            CopyStep::SyncTemp => "fdatasync of the temporary file",
            CopyStep::Rename => "rename into place",
            CopyStep::RemoveTemp => "removing the temporary file",
            CopyStep::RemoveCopy => "unlink",
            CopyStep::SyncDir => "fsync of the directory",
        })
    }
}

/// Why the kept copy could not be kept, removed or restored.
#[derive(Debug, thiserror::Error)]
pub enum KeptError {
    /// A file operation on the copy failed.
    #[error("kept config copy `{path}`: {step} failed: {source}")]
    Storage {
        /// The step.
        step: CopyStep,
        /// The copy's path.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: StorageError,
    },
    /// The config is larger than a copy may be.
    #[error(
        "config `{path}` is {size} bytes, more than the {limit} bytes a kept copy may hold (`[Cache] MaxSize`)"
    )]
    TooLarge {
        /// The config.
        path: Utf8PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The target a copy is restored to refused it.
    #[error("cannot restore the kept config to `{path}`: {problem}")]
    Target {
        /// The target.
        path: Utf8PathBuf,
        /// Why, in words.
        problem: String,
    },
    /// The journal refused or failed the record.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

fn step<T, C: CopyStore>(
    store: &mut C,
    step: CopyStep,
    op: impl FnOnce(&mut C) -> Result<T, StorageError>,
) -> Result<T, KeptError> {
    op(store).map_err(|source| KeptError::Storage {
        step,
        path: store.path().to_owned(),
        source,
    })
}

/// Keeps `bytes` (the config whose digest is `sha256`) as the attempt's
/// copy and records `ConfigKept`, in the order the module documents. The
/// record is validated before anything is written: a hook the journal
/// refuses writes no copy. On failure no record is written; a copy that
/// reached its name before the failure is left for the next writer, which
/// removes it.
///
/// # Errors
///
/// [`KeptError::Journal`] when the journal refuses or fails the record (or
/// the removal of a replaced copy), [`KeptError::Storage`] with the step
/// that failed.
pub fn keep<S: Storage, C: CopyStore>(
    journal: &mut Journal<S>,
    store: &mut C,
    bytes: &[u8],
    stamp: Stamp,
) -> Result<Progress, KeptError> {
    let sha256 = sha256_of(bytes).expect("reading from memory cannot fail");
    let event = Event::ConfigKept {
        sha256,
        size: bytes.len() as u64,
    };
    let after = journal.validate(&event, stamp)?;
    if after.state == State::Poisoned {
        // The record stops the attempt: nothing is worth keeping. The
        // plain record poisons it alike; the caller's tidy removes a copy
        // it still names.
        return Ok(journal
            .append(Event::ConfigFetched { sha256 }, stamp)?
            .clone());
    }
    if let Some(old) = journal.progress().kept
        && old.sha256 != sha256
    {
        remove(journal, store, old.sha256, RemovalCause::Replaced, stamp)?;
    }
    step(store, CopyStep::RemoveTemp, |store| store.remove_temp())?;
    let written = step(store, CopyStep::WriteTemp, |store| store.write_temp(bytes))
        .and_then(|()| step(store, CopyStep::SyncTemp, |store| store.sync_temp()))
        .and_then(|()| step(store, CopyStep::Rename, |store| store.rename_temp()));
    if let Err(error) = written {
        // Best effort: a temporary file is never bound, and the next
        // writer removes it if this cannot.
        let _ = store.remove_temp();
        return Err(error);
    }
    step(store, CopyStep::SyncDir, |store| store.sync_dir())?;
    Ok(journal.append(event, stamp)?.clone())
}

/// `check` with the kept copy: classifies the boot and records the
/// decision ([`hooks::check`]), tidying the copy around it ([`tidy`]).
/// The tidy runs before the decision too when no attempt is open (a reset
/// left a copy named, and a new attempt starts only once it is removed).
/// Otherwise it runs after the decision only: a removal recorded first
/// would be this boot's last record, so the classifier would not record a
/// refusal for this boot, and a torn tail's repair would hide it from the
/// classifier. The restore runs after both. Returns the decision and the
/// causes of the removals recorded.
///
/// # Errors
///
/// As [`hooks::check`] and [`tidy`].
pub fn check<S: Storage, C: CopyStore>(
    journal: &mut Journal<S>,
    store: &mut C,
    context: &BootContext,
    keeping: bool,
    clock: &mut impl Clock,
) -> Result<(Decision, Vec<RemovalCause>), KeptError> {
    let mut removed = Vec::new();
    if journal.progress().awaits_attempt() {
        removed.extend(tidy(journal, store, keeping, false, clock.stamp())?);
    }
    let decision = hooks::check(journal, context, clock)?;
    removed.extend(tidy(journal, store, keeping, false, clock.stamp())?);
    Ok((decision, removed))
}

/// Brings the copy on disk in line with the journal, as every writer does
/// after its own record (and `complete` before it, with `completing`):
/// removes a leftover temporary file, and removes and records the copy when
/// [`kept_copy_removal`] says so. Returns the cause of a recorded removal.
///
/// # Errors
///
/// [`KeptError::Storage`] with the step that failed, or
/// [`KeptError::Journal`] for the removal's record.
pub fn tidy<S: Storage, C: CopyStore>(
    journal: &mut Journal<S>,
    store: &mut C,
    keeping: bool,
    completing: bool,
    stamp: Stamp,
) -> Result<Option<RemovalCause>, KeptError> {
    let removed_temp = step(store, CopyStep::RemoveTemp, |store| store.remove_temp())?;
    let on_disk = step(store, CopyStep::Inspect, |store| store.inspect())?;
    let Some(cause) = kept_copy_removal(journal.progress(), on_disk, keeping, completing) else {
        if removed_temp {
            step(store, CopyStep::SyncDir, |store| store.sync_dir())?;
        }
        return Ok(None);
    };
    let sha256 = match journal.progress().kept {
        Some(kept) => kept.sha256,
        None => match step(store, CopyStep::Read, |store| store.read(MAX_SIZE_CAP))? {
            CopyContent::File {
                bytes: Some(bytes), ..
            } => sha256_of(bytes.as_slice()).expect("reading from memory cannot fail"),
            CopyContent::File { bytes: None, .. }
            | CopyContent::NotRegular { .. }
            | CopyContent::Absent => Sha256::default(),
        },
    };
    remove(journal, store, sha256, cause, stamp)?;
    Ok(Some(cause))
}

/// Records the removal, then unlinks the copy and syncs the directory. A
/// removal the journal refuses removes nothing; a crash after the record
/// leaves a copy no record names, which the next writer removes.
fn remove<S: Storage, C: CopyStore>(
    journal: &mut Journal<S>,
    store: &mut C,
    sha256: Sha256,
    cause: RemovalCause,
    stamp: Stamp,
) -> Result<(), KeptError> {
    journal.append(Event::KeptConfigRemoved { sha256, cause }, stamp)?;
    step(store, CopyStep::RemoveCopy, |store| store.remove_copy())?;
    step(store, CopyStep::SyncDir, |store| store.sync_dir())?;
    Ok(())
}

/// What [`restore`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Restored {
    /// The copy matched its record; its bytes went to the target and
    /// `ConfigRestored` is recorded.
    Applied(KeptCopy),
    /// The copy was missing or did not match: it was removed (recorded with
    /// this cause) and nothing went to the target.
    Discarded {
        /// `missing` or `mismatch`.
        cause: RemovalCause,
        /// What was wrong, in words, with the path.
        why: String,
    },
}

/// Restores the kept copy `kept` (the one the journal binds): reads it,
/// checks it, hands exactly the checked bytes to `write_target`, then
/// records `ConfigRestored`. A copy that is missing, not a regular file, or
/// of another size or digest is removed and recorded instead, and nothing
/// reaches the target.
///
/// # Errors
///
/// What `write_target` returns (nothing is recorded then), and as
/// [`tidy`].
pub fn restore<S: Storage, C: CopyStore>(
    journal: &mut Journal<S>,
    store: &mut C,
    kept: KeptCopy,
    write_target: impl FnOnce(&[u8]) -> Result<(), KeptError>,
    stamp: Stamp,
) -> Result<Restored, KeptError> {
    let event = Event::ConfigRestored {
        sha256: kept.sha256,
    };
    journal.validate(&event, stamp)?;
    let path = store.path().to_owned();
    let content = step(store, CopyStep::Read, |store| store.read(kept.size))?;
    let problem = match &content {
        CopyContent::Absent => Some((RemovalCause::Missing, "it does not exist".to_owned())),
        CopyContent::NotRegular { kind } => Some((
            RemovalCause::Mismatch,
            format!("it is a {kind}, not a regular file"),
        )),
        CopyContent::File { size, .. } if *size != kept.size => Some((
            RemovalCause::Mismatch,
            format!(
                "it holds {size} bytes, the journal's record {} bytes",
                kept.size
            ),
        )),
        CopyContent::File { bytes: None, .. } => Some((
            RemovalCause::Mismatch,
            "it grew while it was read".to_owned(),
        )),
        CopyContent::File {
            bytes: Some(bytes), ..
        } => {
            let digest = sha256_of(bytes.as_slice()).expect("reading from memory cannot fail");
            (digest != kept.sha256).then(|| {
                (
                    RemovalCause::Mismatch,
                    format!(
                        "its SHA-256 is {digest}, the journal's record {}",
                        kept.sha256
                    ),
                )
            })
        }
    };
    if let Some((cause, why)) = problem {
        remove(journal, store, kept.sha256, cause, stamp)?;
        return Ok(Restored::Discarded {
            cause,
            why: format!("kept config copy `{path}`: {why}"),
        });
    }
    let CopyContent::File {
        bytes: Some(bytes), ..
    } = content
    else {
        unreachable!("every other content is a problem above")
    };
    write_target(&bytes)?;
    journal.append(event, stamp)?;
    Ok(Restored::Applied(kept))
}

/// The copy's file name beside a journal named `journal_name`.
pub fn copy_name(journal_name: &str) -> String {
    format!("{journal_name}.config")
}
