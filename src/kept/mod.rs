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
//! - **keep**: whatever stands under the copy's name goes first (as below:
//!   a copy of another config, cause `replaced`; one no record binds,
//!   `unbound`; a named copy that is missing or not what its record says),
//!   unless it is already exactly this config's named copy, which is kept
//!   as it is. A config whose record would poison the attempt is not kept
//!   at all. Then the copy is written under its own name (`O_CREAT |
//!   O_EXCL | O_NOFOLLOW`, 0600), `fdatasync`ed, the directory `fsync`ed,
//!   and only then `ConfigKept` appended. A crash before the append leaves
//!   a copy no record binds; the next writer removes it. There is no
//!   temporary name: a copy that is not yet durable has no record, so it
//!   is unbound like any leftover, and a writer looks at one name only.
//! - **remove**: unlink the copy and `fsync` the directory, then append
//!   `KeptConfigRemoved`. A removal that fails appends nothing: the journal
//!   still names the copy, and the next writer tries again. A crash
//!   between leaves the journal naming a copy that is gone; the next
//!   writer records the removal.
//! - **restore**: read the copy (`O_NOFOLLOW`, a regular file with one
//!   name only), check its size and SHA-256 against the record, hand
//!   exactly those bytes to the target, then append `ConfigRestored`. A
//!   copy that does not match is removed and never handed on.
//!
//! So the copy on disk is only ever exactly the bytes a record names, or
//! absent; a copy the journal does not bind never outlives the next writer
//! that can remove it and is never restored; and a writer's exit says
//! truthfully whether its own record is durable, whatever happened to the
//! copy (`spec/STATES.md`, "The kept copy").

mod check;
mod fs;
#[cfg(feature = "testing")]
mod mem;
mod target;
mod writer;

pub use check::{Checked, check, check_and_restore};
pub use fs::FsCopyStore;
#[cfg(feature = "testing")]
pub use mem::MemCopyStore;
pub use target::RestoreTarget;
pub use writer::{Tidied, record};

use camino::{Utf8Path, Utf8PathBuf};

use crate::classify::{CopyOnDisk, kept_copy_removal};
use crate::format::error::JournalError;
use crate::journal::Journal;
use crate::journal::hooks::sha256_of;
use crate::model::event::{Event, RemovalCause, Sha256, Stamp};
use crate::model::state::{KeptCopy, State};
use crate::storage::{Storage, StorageError};

/// The largest copy `[Cache] MaxSize` may allow, in bytes (16 MiB). The
/// growth bound of the boot partition counts one copy of at most this.
pub const MAX_SIZE_CAP: u64 = 16 * 1024 * 1024;
/// `[Cache] MaxSize` by default, in bytes (1 MiB).
pub const DEFAULT_MAX_SIZE: u64 = 1024 * 1024;

/// What a [`CopyStore`] finds under the copy's name when it reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CopyContent {
    /// Nothing.
    Absent,
    /// Something that is not a regular file (a symbolic link, a directory,
    /// a FIFO…): never opened.
    NotRegular {
        /// What it is.
        kind: &'static str,
    },
    /// A regular file with more than one name: another name shares its
    /// bytes. Never read.
    HardLinked {
        /// Its link count.
        links: u64,
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

/// The operations on the kept copy. Each maps to one system call (or a
/// loop of one, for short writes and `EINTR`).
pub trait CopyStore {
    /// The copy's path, for messages.
    fn path(&self) -> &Utf8Path;

    /// What is under the copy's name (`lstat`: a link is not followed).
    fn inspect(&mut self) -> Result<CopyOnDisk, StorageError>;

    /// Reads the copy (`open(O_NOFOLLOW)`, `fstat`: a regular file with one
    /// name only), keeping its bytes when it holds at most `limit`.
    fn read(&mut self, limit: u64) -> Result<CopyContent, StorageError>;

    /// Creates the copy under its name (`O_CREAT | O_EXCL | O_NOFOLLOW`,
    /// mode 0600) and writes `bytes` to it.
    fn write(&mut self, bytes: &[u8]) -> Result<(), StorageError>;

    /// `fdatasync` of the copy just written. Never retried.
    fn sync(&mut self) -> Result<(), StorageError>;

    /// Unlinks whatever is under the copy's name (a link itself, never
    /// its target); `Ok(false)` if there was nothing.
    fn remove(&mut self) -> Result<bool, StorageError>;

    /// `fsync` of the directory: makes the name's creation or removal
    /// durable.
    fn sync_dir(&mut self) -> Result<(), StorageError>;
}

/// A step of the copy's protocol: the one that failed, or one the
/// in-memory store logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CopyStep {
    /// Looking at the copy.
    Inspect,
    /// Reading it.
    Read,
    /// Creating and writing it.
    Write,
    /// `fdatasync` of it.
    Sync,
    /// Removing it.
    Remove,
    /// `fsync` of the directory.
    SyncDir,
}

impl std::fmt::Display for CopyStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CopyStep::Inspect => "lstat",
            CopyStep::Read => "read",
            CopyStep::Write => "writing it",
            CopyStep::Sync => "fdatasync",
            CopyStep::Remove => "unlink",
            CopyStep::SyncDir => "fsync of the directory",
        })
    }
}

/// Why the kept copy could not be kept, removed or restored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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

fn step<T, C: CopyStore + ?Sized>(
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
/// refuses writes no copy. Whatever stands under the copy's name is removed
/// first (and recorded), unless it is already exactly this config's named
/// copy, which is then kept as it is. Returns the cause of that removal,
/// if there was one.
///
/// On failure `ConfigKept` is not written. A copy this call wrote before
/// the failure is unlinked again (best effort: no record ever named it,
/// and the next writer removes it if this cannot); a failure of the
/// append itself leaves the copy, since the record may be durable.
///
/// # Errors
///
/// [`KeptError::Journal`] when the journal refuses or fails a record,
/// [`KeptError::Storage`] with the step that failed (a copy that cannot be
/// removed first fails the keep, with nothing written for it).
pub fn keep<S: Storage, C: CopyStore + ?Sized>(
    journal: &mut Journal<S>,
    store: &mut C,
    bytes: &[u8],
    stamp: Stamp,
) -> Result<Option<RemovalCause>, KeptError> {
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
        journal.append(Event::ConfigFetched { sha256 }, stamp)?;
        return Ok(None);
    }
    let on_disk = step(store, CopyStep::Inspect, |store| store.inspect())?;
    let named = journal.progress().kept;
    let cause = match named {
        Some(old) if old.sha256 != sha256 => Some(RemovalCause::Replaced),
        _ => kept_copy_removal(journal.progress(), on_disk, true, false),
    };
    let cause = match (cause, named) {
        // The named copy of this very config, by its size: kept as it is
        // if its bytes are this config's too.
        (None, Some(old)) => match step(store, CopyStep::Read, |store| store.read(old.size))? {
            CopyContent::File {
                bytes: Some(held), ..
            } if held == bytes => {
                journal.append(event, stamp)?;
                return Ok(None);
            }
            _ => Some(RemovalCause::Mismatch),
        },
        (cause, _) => cause,
    };
    if let Some(cause) = cause {
        let digest = removal_digest(journal, store)?;
        remove(journal, store, digest, cause, stamp)?;
    }
    let written = step(store, CopyStep::Write, |store| store.write(bytes))
        .and_then(|()| step(store, CopyStep::Sync, |store| store.sync()))
        .and_then(|()| step(store, CopyStep::SyncDir, |store| store.sync_dir()));
    if let Err(error) = written {
        // What this call created no record names: it goes again. A name
        // taken before the exclusive create is not this call's to remove.
        let taken = matches!(
            &error,
            KeptError::Storage {
                step: CopyStep::Write,
                source: StorageError::Io(io),
                ..
            } if io.kind() == std::io::ErrorKind::AlreadyExists
        );
        if !taken {
            let _ = store.remove();
        }
        return Err(error);
    }
    journal.append(event, stamp)?;
    Ok(cause)
}

/// Brings the copy on disk in line with the journal, as every writer does
/// after its own record (and `complete` before it, with `completing`):
/// removes the copy, and records that, when [`kept_copy_removal`] says so.
/// Returns the cause of the removal recorded. With keeping off and neither
/// a copy named nor one on disk, this is one `lstat`.
///
/// # Errors
///
/// [`KeptError::Storage`] with the step that failed, or
/// [`KeptError::Journal`] for the removal's record. A removal that fails
/// before its record (the copy cannot be unlinked, or the directory
/// synced) appends nothing: the journal still names what it named.
pub fn tidy<S: Storage, C: CopyStore + ?Sized>(
    journal: &mut Journal<S>,
    store: &mut C,
    keeping: bool,
    completing: bool,
    stamp: Stamp,
) -> Result<Option<RemovalCause>, KeptError> {
    let on_disk = step(store, CopyStep::Inspect, |store| store.inspect())?;
    let Some(cause) = kept_copy_removal(journal.progress(), on_disk, keeping, completing) else {
        return Ok(None);
    };
    let sha256 = removal_digest(journal, store)?;
    remove(journal, store, sha256, cause, stamp)?;
    Ok(Some(cause))
}

/// The digest a removal records: the named copy's, or for a copy no record
/// binds, the SHA-256 of what is there (zeros for what cannot be read as a
/// regular file of at most [`MAX_SIZE_CAP`] bytes).
fn removal_digest<S: Storage, C: CopyStore + ?Sized>(
    journal: &Journal<S>,
    store: &mut C,
) -> Result<Sha256, KeptError> {
    if let Some(kept) = journal.progress().kept {
        return Ok(kept.sha256);
    }
    Ok(
        match step(store, CopyStep::Read, |store| store.read(MAX_SIZE_CAP))? {
            CopyContent::File {
                bytes: Some(bytes), ..
            } => sha256_of(bytes.as_slice()).expect("reading from memory cannot fail"),
            CopyContent::File { bytes: None, .. }
            | CopyContent::HardLinked { .. }
            | CopyContent::NotRegular { .. }
            | CopyContent::Absent => Sha256::default(),
        },
    )
}

/// Unlinks the copy and syncs the directory, then records the removal. A
/// removal the journal refuses removes nothing; one that cannot unlink or
/// sync records nothing; a crash between the unlink and the record leaves
/// the journal naming a copy that is gone, whose removal the next writer
/// records.
fn remove<S: Storage, C: CopyStore + ?Sized>(
    journal: &mut Journal<S>,
    store: &mut C,
    sha256: Sha256,
    cause: RemovalCause,
    stamp: Stamp,
) -> Result<(), KeptError> {
    let event = Event::KeptConfigRemoved { sha256, cause };
    journal.validate(&event, stamp)?;
    step(store, CopyStep::Remove, |store| store.remove())?;
    step(store, CopyStep::SyncDir, |store| store.sync_dir())?;
    journal.append(event, stamp)?;
    Ok(())
}

/// What [`restore`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Restored {
    /// The copy matched its record; its bytes went to the target and
    /// `ConfigRestored` is recorded.
    Applied(KeptCopy),
    /// The copy was missing or did not match: nothing went to the target,
    /// and it was removed (recorded with this cause), unless `left` says
    /// why it could not be.
    Discarded {
        /// `missing` or `mismatch`.
        cause: RemovalCause,
        /// What was wrong, in words, with the path.
        why: String,
        /// Why the copy could not be removed, if it could not: nothing was
        /// recorded for it, and the journal still names it.
        left: Option<String>,
    },
}

/// Restores the kept copy `kept` (the one the journal binds): reads it,
/// checks it, hands exactly the checked bytes to `write_target`, then
/// records `ConfigRestored`. A copy that is missing, not a regular file,
/// hard-linked, or of another size or digest is removed and recorded
/// instead, and nothing reaches the target.
///
/// # Errors
///
/// What `write_target` returns (nothing is recorded then), the journal's
/// refusal or failure of a record, and a failure to read the copy.
pub fn restore<S: Storage, C: CopyStore + ?Sized>(
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
        CopyContent::HardLinked { links } => Some((
            RemovalCause::Mismatch,
            format!(
                "it has {links} hard links: another name shares its bytes, so it is not the private copy the journal recorded (that other name is not this tool's to find or remove)"
            ),
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
        let left = match remove(journal, store, kept.sha256, cause, stamp) {
            Ok(()) => None,
            Err(KeptError::Storage { step, source, .. }) => {
                Some(format!("{step} failed: {source}"))
            }
            Err(other) => return Err(other),
        };
        return Ok(Restored::Discarded {
            cause,
            why: format!("kept config copy `{path}`: {why}"),
            left,
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
