//! The one read window over a journal's storage: a read-ahead buffer, so
//! that reading a journal costs one read per 64 KiB, not one per record.
//!
//! Every reader fixes the length it reads up to (the file's length when it
//! started, or a report's snapshot of it) and the window never returns a
//! byte past it, so bytes a writer appends meanwhile are never mixed into
//! what was read.

use crate::format::error::{JournalError, StorageOp};
use crate::storage::Storage;

/// How much one read fetches, at least.
const WINDOW_LEN: usize = 64 * 1024;

/// A read-ahead buffer over one storage.
#[derive(Default)]
pub(crate) struct Window {
    start: u64,
    bytes: Vec<u8>,
}

impl Window {
    /// Up to `len` bytes at `pos` of the first `file_len` bytes of
    /// `storage` (fewer at that end, none past it).
    pub(crate) fn get<S: Storage + ?Sized>(
        &mut self,
        storage: &mut S,
        pos: u64,
        len: usize,
        file_len: u64,
    ) -> Result<&[u8], JournalError> {
        let end = self.start + self.bytes.len() as u64;
        let wanted_end = pos.saturating_add(len as u64).min(file_len);
        if pos < self.start || wanted_end > end {
            let room = usize::try_from(file_len.saturating_sub(pos)).unwrap_or(usize::MAX);
            self.bytes.resize(len.max(WINDOW_LEN).min(room), 0);
            let read = storage
                .read_at(pos, &mut self.bytes)
                .map_err(|source| JournalError::storage(storage, StorageOp::Read, source))?;
            self.bytes.truncate(read);
            self.start = pos;
        }
        let from = usize::try_from(pos - self.start)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        let to = from.saturating_add(len).min(self.bytes.len());
        Ok(&self.bytes[from..to])
    }
}
