//! One snapshot of a journal per report.
//!
//! A report reads the file in several passes (records, timeline,
//! anomalies). A hook may append meanwhile, so each pass must stop at the
//! same length, or the RECORDS table and NEXT CHECK would describe
//! different journals. [`Snapshot`] takes the length once and clamps every
//! read to it; the journal is append-only, so the bytes before that length
//! do not change under a reader.

use camino::Utf8Path;

use crate::storage::{Access, Storage, StorageError};

/// A read-only view of `inner` as long as it was when the view was taken.
pub struct Snapshot<'s, S: Storage + ?Sized> {
    inner: &'s mut S,
    len: u64,
}

impl<'s, S: Storage + ?Sized> Snapshot<'s, S> {
    /// The first `len` bytes of the (open) storage: its length, taken once.
    pub fn new(inner: &'s mut S, len: u64) -> Self {
        Snapshot { inner, len }
    }
}

fn read_only() -> StorageError {
    std::io::Error::new(
        std::io::ErrorKind::PermissionDenied,
        "a report's snapshot is read-only",
    )
    .into()
}

impl<S: Storage + ?Sized> Storage for Snapshot<'_, S> {
    fn path(&self) -> &Utf8Path {
        self.inner.path()
    }

    fn open(&mut self, access: Access) -> Result<bool, StorageError> {
        match access {
            Access::Read => Ok(true),
            Access::Write => Err(read_only()),
        }
    }

    fn create(&mut self, _initial: &[u8]) -> Result<(), StorageError> {
        Err(read_only())
    }

    fn file_len(&mut self) -> Result<u64, StorageError> {
        Ok(self.len)
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, StorageError> {
        let room = usize::try_from(self.len.saturating_sub(offset)).unwrap_or(usize::MAX);
        let want = buf.len().min(room);
        if want == 0 {
            return Ok(0);
        }
        self.inner.read_at(offset, &mut buf[..want])
    }

    fn append(&mut self, _bytes: &[u8]) -> Result<(), StorageError> {
        Err(read_only())
    }

    fn sync_data(&mut self) -> Result<(), StorageError> {
        Err(read_only())
    }

    fn truncate(&mut self, _len: u64) -> Result<(), StorageError> {
        Err(read_only())
    }

    fn sync_dir(&mut self) -> Result<(), StorageError> {
        Err(read_only())
    }
}
