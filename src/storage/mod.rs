//! The narrow seam between the journal and the disk.
//!
//! The journal needs only a handful of operations on one file and its
//! directory. Putting them behind [`Storage`] lets the real implementation
//! ([`FsStorage`], on rustix) be exact about durability, and lets tests swap
//! in [`MemStorage`], which records every operation and can cut the power
//! (with the `testing` feature, it also lists every state a power cut may
//! leave, tearing any operation, and fails any of them on request).

mod fs;
mod mem;

pub use fs::FsStorage;
pub(crate) use fs::kind_of;
pub use mem::MemStorage;
#[cfg(feature = "testing")]
pub use mem::{
    Attempt, CrashState, Fault, FaultKind, Fill, MemDisk, Op, OpKind, SECTOR_SIZES, Tearing,
};

use camino::Utf8Path;

/// How a journal is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_enums,
    reason = "read or write: the two ways a journal is opened, which every `Storage` implements"
)]
pub enum Access {
    /// Read only, taking no lock (for `dump` and `status`).
    Read,
    /// Read and append, holding an exclusive lock until dropped.
    Write,
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The operating system refused.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The path is not a regular file.
    #[error("it is a {kind}, not a regular file")]
    NotRegularFile {
        /// What it is instead.
        kind: &'static str,
    },
    /// The journal has more than one name: a write through one would
    /// silently change every other (refused for writers; readers read it).
    #[error(
        "it has {links} hard links: a write would change the file behind every one of its names"
    )]
    HardLinked {
        /// Its link count.
        links: u64,
    },
    /// Another process held the journal's lock (or, while the journal is
    /// being created, its directory's) for as long as a writer waits.
    #[error("another process{} holds its lock{}", holder.map(|pid| format!(" (PID {pid})")).unwrap_or_default(), lock_wait_words(*timeout_ms))]
    Locked {
        /// The holder's process ID, when `/proc/locks` tells it.
        holder: Option<u32>,
        /// How long this call was to wait for it (the lock timeout), in
        /// milliseconds.
        timeout_ms: u64,
    },
    /// The file appeared while it was being created.
    #[error("it was created by another process meanwhile")]
    AlreadyExists,
    /// A sync failed outside a record's append: the new journal's
    /// `fdatasync` before its rename, or the directory's `fsync` that makes
    /// a name durable. Whether it is durable is unknown; it is not retried.
    #[error(
        "{what} failed: {source}; it is not retried, and the journal may not survive a power cut"
    )]
    SyncFailed {
        /// What was being synced, in words.
        what: &'static str,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
}

/// How long a writer waited for a held lock, in words for
/// [`StorageError::Locked`].
fn lock_wait_words(timeout_ms: u64) -> String {
    match timeout_ms {
        0 => " (the lock timeout is 0: this call does not wait)".to_owned(),
        ms if ms % 1000 == 0 => format!(
            " and kept it for the whole lock timeout of {} s this call waits",
            ms / 1000
        ),
        ms => format!(" and kept it for the whole lock timeout of {ms} ms this call waits"),
    }
}

impl StorageError {
    /// The raw OS error number, if the failure came from the OS.
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            StorageError::Io(error) | StorageError::SyncFailed { source: error, .. } => {
                error.raw_os_error()
            }
            StorageError::NotRegularFile { .. }
            | StorageError::HardLinked { .. }
            | StorageError::Locked { .. }
            | StorageError::AlreadyExists => None,
        }
    }
}

/// The operations the journal performs on its file. Each method maps to one
/// system call (or a loop of one, for short writes and `EINTR`).
pub trait Storage {
    /// The journal's path, for messages.
    fn path(&self) -> &Utf8Path;

    /// Opens the existing journal; `Ok(false)` if there is none. `Write`
    /// takes an exclusive lock; when there is no journal, `Write` takes the
    /// lock that serializes its creation instead, so that of two writers
    /// that find none, the second waits and then opens what the first
    /// created.
    fn open(&mut self, access: Access) -> Result<bool, StorageError>;

    /// Creates the journal with `initial` as its whole content, atomically:
    /// write a temporary file, `fdatasync` it, rename it into place, `fsync`
    /// the directory. Leaves it open for appending and locked.
    fn create(&mut self, initial: &[u8]) -> Result<(), StorageError>;

    /// The file's current length.
    fn file_len(&mut self) -> Result<u64, StorageError>;

    /// Reads at `offset`; fewer bytes than asked only at the end.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, StorageError>;

    /// Appends all of `bytes` at the end, in one write where the OS allows.
    fn append(&mut self, bytes: &[u8]) -> Result<(), StorageError>;

    /// `fdatasync`: makes the data and the size durable. Never retried.
    fn sync_data(&mut self) -> Result<(), StorageError>;

    /// Cuts the file to `len` bytes (durable with the next `sync_data`).
    fn truncate(&mut self, len: u64) -> Result<(), StorageError>;

    /// `fsync` of the journal's directory: makes its name durable. Needed
    /// before the first record of a journal whose creation did not finish
    /// (see [`crate::Journal::append`]).
    fn sync_dir(&mut self) -> Result<(), StorageError>;
}
