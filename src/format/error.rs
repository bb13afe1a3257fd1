//! The journal's errors: each names the journal's path, and where it helps,
//! the offset and the cause.

use camino::Utf8PathBuf;

pub use crate::format::codec::CodecError;
use crate::format::frame::{HeaderProblem, VERSION};
use crate::model::transition::TransitionError;
use crate::storage::{Storage, StorageError};

/// The storage operation that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageOp {
    /// Opening the journal.
    Open,
    /// Creating the journal.
    Create,
    /// Reading it.
    Read,
    /// Cutting off a torn tail.
    Truncate,
    /// Making the journal's name durable (`fsync` of its directory).
    SyncDir,
    /// Appending a record.
    Append,
}

impl std::fmt::Display for StorageOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StorageOp::Open => "open",
            StorageOp::Create => "create",
            StorageOp::Read => "read",
            StorageOp::Truncate => "cut the torn tail of",
            StorageOp::SyncDir => "sync the directory entry of",
            StorageOp::Append => "append to",
        })
    }
}

/// What is wrong with a corrupt journal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Corruption {
    /// The file does not start with the provision-journal magic.
    #[error("not a provision-journal file (bad magic)")]
    NotAJournal,
    /// The file header is damaged.
    #[error("damaged file header ({0})")]
    BadHeader(&'static str),
    /// Bytes that are not a valid record, followed by more data than one
    /// interrupted append could have left, or by a valid record.
    #[error("invalid record ({why}) followed by {followed_by}")]
    BadFrame {
        /// What is wrong with it.
        why: &'static str,
        /// What follows it.
        followed_by: &'static str,
    },
    /// A valid record with an unexpected sequence number (lost, duplicated
    /// or reordered records).
    #[error("record has sequence number {found}, expected {expected}")]
    Sequence {
        /// The number that should follow.
        expected: u64,
        /// The number found.
        found: u64,
    },
    /// A valid record that does not link to its predecessor.
    #[error("record {seq} does not link to the record before it")]
    BrokenLink {
        /// Its sequence number.
        seq: u64,
    },
    /// A record whose checksum is right but whose payload is not.
    #[error("record {seq} cannot be decoded: {error}")]
    Undecodable {
        /// Its sequence number.
        seq: u64,
        /// Why.
        error: CodecError,
    },
    /// A record the transition rules reject.
    #[error("record {seq} breaks the rules: {error}")]
    InvalidTransition {
        /// Its sequence number.
        seq: u64,
        /// Which rule.
        error: TransitionError,
    },
}

/// An error from opening, reading or appending to a journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// A storage operation failed.
    #[error("failed to {op} journal `{path}`: {source}")]
    Storage {
        /// What was being done.
        op: StorageOp,
        /// The journal.
        path: Utf8PathBuf,
        /// Why it failed.
        #[source]
        source: StorageError,
    },
    /// Writing a record, or cutting off a torn tail before one, failed.
    /// Whatever landed from `offset` on is not durable; this handle refuses
    /// further appends.
    #[error(
        "failed to {op} journal `{path}` at offset {offset}: {source}; the record is not written and this process appends nothing more"
    )]
    WriteFailed {
        /// What was being done.
        op: StorageOp,
        /// The journal.
        path: Utf8PathBuf,
        /// Where the record (or the torn tail) starts.
        offset: u64,
        /// Why it failed.
        #[source]
        source: StorageError,
    },
    /// `fdatasync` failed. The record may or may not be on disk; it is not
    /// retried, and this handle refuses further appends.
    #[error(
        "failed to sync journal `{path}` at offset {offset}: {source}; the record may not be durable and the sync is not retried"
    )]
    SyncFailed {
        /// The journal.
        path: Utf8PathBuf,
        /// Where the unsynced record starts.
        offset: u64,
        /// Why it failed.
        #[source]
        source: StorageError,
    },
    /// The journal is damaged in a way a crash cannot explain.
    #[error("journal `{path}` is corrupt at offset {offset}: {problem}")]
    Corrupt {
        /// The journal.
        path: Utf8PathBuf,
        /// Where the damage starts.
        offset: u64,
        /// What it is.
        problem: Corruption,
    },
    /// The journal was written by a newer, incompatible version.
    #[error(
        "journal `{path}` has format version {found}; this provision-journal reads version {VERSION} only (upgrade it to read this journal)"
    )]
    UnsupportedVersion {
        /// The journal.
        path: Utf8PathBuf,
        /// The version found.
        found: u16,
    },
    /// The record may not follow the journal's state; nothing was written.
    #[error("journal `{path}`: {source}")]
    Rejected {
        /// The journal.
        path: Utf8PathBuf,
        /// Which rule.
        #[source]
        source: TransitionError,
    },
    /// The record is too large to write; nothing was written.
    #[error("journal `{path}`: {source}")]
    Encode {
        /// The journal.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: CodecError,
    },
    /// The journal was opened read-only ([`crate::Journal::read`]).
    #[error("journal `{path}` was opened read-only and cannot be appended to")]
    ReadOnly {
        /// The journal.
        path: Utf8PathBuf,
    },
    /// An earlier write or sync through this handle failed.
    #[error("journal `{path}` is not writable by this process after an earlier failure")]
    Unusable {
        /// The journal.
        path: Utf8PathBuf,
    },
}

impl JournalError {
    /// The failure of storage operation `op` on the journal in `storage`:
    /// the one constructor of [`JournalError::Storage`].
    pub(crate) fn storage<S: Storage + ?Sized>(
        storage: &S,
        op: StorageOp,
        source: StorageError,
    ) -> Self {
        JournalError::Storage {
            op,
            path: storage.path().to_owned(),
            source,
        }
    }

    /// Whether the error says the journal's content is damaged.
    pub fn is_corruption(&self) -> bool {
        matches!(self, JournalError::Corrupt { .. })
    }
}

pub(crate) fn header_corruption(problem: HeaderProblem) -> Result<Corruption, u16> {
    match problem {
        HeaderProblem::Short { .. } => Ok(Corruption::BadHeader("file is shorter than a header")),
        HeaderProblem::BadMagic => Ok(Corruption::NotAJournal),
        HeaderProblem::Version { found } if found > VERSION => Err(found),
        HeaderProblem::Version { .. } => Ok(Corruption::BadHeader("version 0 does not exist")),
        HeaderProblem::Flags { .. } => Ok(Corruption::BadHeader("unknown flags")),
        HeaderProblem::Crc => Ok(Corruption::BadHeader("checksum mismatch")),
    }
}
