//! In-memory storage: logs every operation and keeps what a real file
//! system would have made durable, so [`MemStorage::crash`] can cut the
//! power. `dump -` reads standard input through it, and `simulate` runs a
//! whole provisioning on it, as a provisioner's own tests may.
//!
//! With the `testing` feature it also fails on request (`faults`) and,
//! from the operation log, builds every state a power cut may leave on
//! disk under the ALICE file-system model (`crash`; see `spec/FORMAT.md`,
//! "Crash model this journal is proven against").

use std::cell::RefCell;
use std::io;
use std::rc::Rc;

use camino::{Utf8Path, Utf8PathBuf};

use super::{Access, Storage, StorageError};

#[cfg(feature = "testing")]
mod crash;
#[cfg(feature = "testing")]
mod faults;

#[cfg(feature = "testing")]
pub use self::crash::{CrashState, Fill, SECTOR_SIZES, Tearing};
#[cfg(feature = "testing")]
pub use self::faults::{Attempt, Fault, FaultKind};
/// What an append leaves: the bytes that landed, and how the write ended.
type Landed<'b> = (&'b [u8], Result<(), StorageError>);

/// Without the `testing` feature no fault can be aimed at an operation:
/// every one proceeds.
#[cfg(not(feature = "testing"))]
impl MemDisk {
    fn fail(&mut self, _kind: OpKind) -> Result<(), StorageError> {
        Ok(())
    }

    fn short_write<'b>(&mut self, bytes: &'b [u8]) -> Result<Landed<'b>, StorageError> {
        Ok((bytes, Ok(())))
    }
}

/// One operation as [`MemStorage`] logged it, in the order performed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "testing",
    expect(
        clippy::exhaustive_enums,
        reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
    )
)]
pub enum Op {
    /// Created the temporary file of a journal creation and wrote these bytes.
    WriteTemp {
        /// The initial content.
        bytes: Vec<u8>,
    },
    /// `fdatasync` of the temporary file.
    SyncTemp,
    /// Renamed the temporary file to the journal's name.
    Rename,
    /// `fsync` of the directory.
    SyncDir,
    /// Appended bytes at `offset` (the end of the file at the time).
    Append {
        /// Where they went.
        offset: u64,
        /// What was written.
        bytes: Vec<u8>,
    },
    /// Cut the file to `len`.
    Truncate {
        /// The new length.
        len: u64,
    },
    /// `fdatasync` of the journal.
    SyncData,
}

impl Op {
    /// The operation's kind.
    pub fn kind(&self) -> OpKind {
        match self {
            Op::WriteTemp { .. } => OpKind::WriteTemp,
            Op::SyncTemp => OpKind::SyncTemp,
            Op::Rename => OpKind::Rename,
            Op::SyncDir => OpKind::SyncDir,
            Op::Append { .. } => OpKind::Append,
            Op::Truncate { .. } => OpKind::Truncate,
            Op::SyncData => OpKind::SyncData,
        }
    }
}

/// The kinds of [`Op`], for aiming faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "testing",
    expect(
        clippy::exhaustive_enums,
        reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
    )
)]
pub enum OpKind {
    /// See [`Op::WriteTemp`].
    WriteTemp,
    /// See [`Op::SyncTemp`].
    SyncTemp,
    /// See [`Op::Rename`].
    Rename,
    /// See [`Op::SyncDir`].
    SyncDir,
    /// See [`Op::Append`].
    Append,
    /// See [`Op::Truncate`].
    Truncate,
    /// See [`Op::SyncData`].
    SyncData,
}

/// The shared state behind [`MemStorage`] handles: one directory holding at
/// most one journal.
#[derive(Clone, Debug, Default)]
pub struct MemDisk {
    /// What a reader sees now; `None` when there is no journal.
    pub live: Option<Vec<u8>>,
    /// What was durable when the disk was made, before `ops`.
    pub start: Option<Vec<u8>>,
    /// Every operation since the disk was made.
    pub ops: Vec<Op>,
    temp: Vec<u8>,
    #[cfg(feature = "testing")]
    faults: Vec<Fault>,
    #[cfg(feature = "testing")]
    attempts: Vec<Attempt>,
    locked: bool,
}

impl MemDisk {
    /// The journal as it would be after a crash that lost everything not
    /// made durable by an explicit sync (`None`: no durable directory entry).
    /// `start` is what was durable before `ops` began.
    pub fn durable_after(start: Option<&[u8]>, ops: &[Op]) -> Option<Vec<u8>> {
        let mut entry_live = start.is_some();
        let mut entry_durable = entry_live;
        let mut file_live = start.map(<[u8]>::to_vec).unwrap_or_default();
        let mut file_durable = file_live.clone();
        let (mut temp_live, mut temp_durable) = (Vec::new(), Vec::new());
        for op in ops {
            match op {
                Op::WriteTemp { bytes } => {
                    temp_live = bytes.clone();
                    temp_durable.clear();
                }
                Op::SyncTemp => temp_durable = temp_live.clone(),
                Op::Rename => {
                    entry_live = true;
                    file_live = temp_live.clone();
                    file_durable = temp_durable.clone();
                }
                Op::SyncDir => entry_durable = entry_live,
                Op::Append { bytes, .. } => file_live.extend_from_slice(bytes),
                Op::Truncate { len } => file_live.truncate(*len as usize),
                Op::SyncData => file_durable = file_live.clone(),
            }
        }
        entry_durable.then_some(file_durable)
    }
}

/// A journal in memory. Handles made by [`MemStorage::reopen`] share one
/// disk (`MemDisk`), like processes sharing a file system.
#[derive(Debug)]
pub struct MemStorage {
    disk: Rc<RefCell<MemDisk>>,
    path: Utf8PathBuf,
    open: Option<Access>,
}

impl Default for MemStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl MemStorage {
    /// An empty directory: no journal yet.
    pub fn new() -> Self {
        Self::from_disk(MemDisk::default())
    }

    /// A directory holding a journal with these bytes, all durable.
    pub fn with_bytes(bytes: &[u8]) -> Self {
        Self::with_journal(Some(bytes))
    }

    /// A directory holding this journal, all durable (`None`: no journal).
    pub fn with_journal(bytes: Option<&[u8]>) -> Self {
        Self::from_disk(MemDisk {
            live: bytes.map(<[u8]>::to_vec),
            start: bytes.map(<[u8]>::to_vec),
            ..MemDisk::default()
        })
    }

    fn from_disk(disk: MemDisk) -> Self {
        MemStorage {
            disk: Rc::new(RefCell::new(disk)),
            path: Utf8PathBuf::from("mem/provision-journal"),
            open: None,
        }
    }

    /// The same storage, named `path` in messages and reports (`dump -`
    /// names standard input so).
    #[must_use]
    pub fn named(mut self, path: impl Into<Utf8PathBuf>) -> Self {
        self.path = path.into();
        self
    }

    /// Another handle on the same disk, not yet open.
    pub fn reopen(&self) -> MemStorage {
        MemStorage {
            disk: Rc::clone(&self.disk),
            path: self.path.clone(),
            open: None,
        }
    }

    /// What a reader sees now.
    pub fn contents(&self) -> Option<Vec<u8>> {
        self.disk.borrow().live.clone()
    }

    /// Every operation so far.
    #[cfg(feature = "testing")]
    pub fn ops(&self) -> Vec<Op> {
        self.disk.borrow().ops.clone()
    }

    /// A new disk holding only what survives a power cut now, with every
    /// unsynced byte lost.
    pub fn crash(&self) -> MemStorage {
        let disk = self.disk.borrow();
        let durable = MemDisk::durable_after(disk.start.as_deref(), &disk.ops);
        Self::with_journal(durable.as_deref())
    }

    /// What was durable when the disk was made.
    #[cfg(feature = "testing")]
    pub fn start(&self) -> Option<Vec<u8>> {
        self.disk.borrow().start.clone()
    }

    fn live_len(&self) -> Result<u64, StorageError> {
        let disk = self.disk.borrow();
        let file = disk
            .live
            .as_ref()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        Ok(file.len() as u64)
    }
}

impl Drop for MemStorage {
    fn drop(&mut self) {
        if self.open == Some(Access::Write) {
            self.disk.borrow_mut().locked = false;
        }
    }
}

impl Storage for MemStorage {
    fn path(&self) -> &Utf8Path {
        &self.path
    }

    fn open(&mut self, access: Access) -> Result<bool, StorageError> {
        let mut disk = self.disk.borrow_mut();
        if disk.live.is_none() {
            return Ok(false);
        }
        if access == Access::Write {
            if disk.locked {
                return Err(StorageError::Locked {
                    holder: None,
                    timeout_ms: 0,
                });
            }
            disk.locked = true;
        }
        self.open = Some(access);
        Ok(true)
    }

    fn create(&mut self, initial: &[u8]) -> Result<(), StorageError> {
        let mut disk = self.disk.borrow_mut();
        if disk.live.is_some() {
            return Err(StorageError::AlreadyExists);
        }
        if disk.locked {
            return Err(StorageError::Locked {
                holder: None,
                timeout_ms: 0,
            });
        }
        let steps = [
            Op::WriteTemp {
                bytes: initial.to_vec(),
            },
            Op::SyncTemp,
            Op::Rename,
            Op::SyncDir,
        ];
        for op in steps {
            disk.fail(op.kind())?;
            match &op {
                Op::WriteTemp { bytes } => disk.temp = bytes.clone(),
                Op::Rename => disk.live = Some(disk.temp.clone()),
                Op::SyncTemp | Op::SyncDir => {}
                Op::Append { .. } | Op::Truncate { .. } | Op::SyncData => unreachable!(),
            }
            disk.ops.push(op);
        }
        disk.locked = true;
        self.open = Some(Access::Write);
        Ok(())
    }

    fn file_len(&mut self) -> Result<u64, StorageError> {
        self.live_len()
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, StorageError> {
        let disk = self.disk.borrow();
        let file = disk
            .live
            .as_ref()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        let start = (offset as usize).min(file.len());
        let end = (start + buf.len()).min(file.len());
        buf[..end - start].copy_from_slice(&file[start..end]);
        Ok(end - start)
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        let offset = self.live_len()?;
        let mut disk = self.disk.borrow_mut();
        let (landed, result) = disk.short_write(bytes)?;
        if !landed.is_empty() {
            disk.live
                .as_mut()
                .expect("length checked")
                .extend_from_slice(landed);
            disk.ops.push(Op::Append {
                offset,
                bytes: landed.to_vec(),
            });
        }
        result
    }

    fn sync_data(&mut self) -> Result<(), StorageError> {
        let mut disk = self.disk.borrow_mut();
        disk.fail(OpKind::SyncData)?;
        disk.ops.push(Op::SyncData);
        Ok(())
    }

    fn truncate(&mut self, len: u64) -> Result<(), StorageError> {
        self.live_len()?;
        let mut disk = self.disk.borrow_mut();
        disk.fail(OpKind::Truncate)?;
        disk.live
            .as_mut()
            .expect("length checked")
            .truncate(len as usize);
        disk.ops.push(Op::Truncate { len });
        Ok(())
    }

    fn sync_dir(&mut self) -> Result<(), StorageError> {
        let mut disk = self.disk.borrow_mut();
        disk.fail(OpKind::SyncDir)?;
        disk.ops.push(Op::SyncDir);
        Ok(())
    }
}
