//! In-memory storage for tests: logs every operation, keeps what a real
//! file system would have made durable, and fails on request.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;

use camino::{Utf8Path, Utf8PathBuf};

use super::{Access, Storage, StorageError};

/// One operation as [`MemStorage`] logged it, in the order performed.
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// What an injected fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The operation fails with this errno and changes nothing.
    Errno(i32),
    /// (Appends only) the first `keep` bytes land, then the write fails
    /// with `ENOSPC`, as on a full disk.
    ShortWrite {
        /// Bytes that land.
        keep: usize,
    },
}

/// A fault aimed at the `nth` (0-based) operation of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The kind of operation.
    pub op: OpKind,
    /// Which occurrence of it, counting from 0 on this disk.
    pub nth: usize,
    /// What happens.
    pub kind: FaultKind,
}

/// The shared state behind [`MemStorage`] handles: one directory holding at
/// most one journal.
#[derive(Clone, Debug, Default)]
pub struct MemDisk {
    /// What a reader sees now; `None` when there is no journal.
    pub live: Option<Vec<u8>>,
    /// Every operation since the disk was made.
    pub ops: Vec<Op>,
    temp: Vec<u8>,
    faults: Vec<Fault>,
    seen: Vec<OpKind>,
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

    fn fault(&mut self, kind: OpKind) -> Option<FaultKind> {
        let nth = self.seen.iter().filter(|&&seen| seen == kind).count();
        self.seen.push(kind);
        self.faults
            .iter()
            .find(|fault| fault.op == kind && fault.nth == nth)
            .map(|fault| fault.kind)
    }
}

fn errno(raw: i32) -> StorageError {
    io::Error::from_raw_os_error(raw).into()
}

/// A journal in memory. Handles made by [`MemStorage::reopen`] share one
/// [`MemDisk`], like processes sharing a file system.
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
        Self::from_disk(MemDisk {
            live: Some(bytes.to_vec()),
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
    pub fn ops(&self) -> Vec<Op> {
        self.disk.borrow().ops.clone()
    }

    /// A new disk holding only what survives a power cut now, with every
    /// unsynced byte lost.
    pub fn crash(&self) -> MemStorage {
        let disk = self.disk.borrow();
        let start = disk.ops.is_empty().then(|| disk.live.clone()).flatten();
        let durable = if disk.ops.is_empty() {
            start
        } else {
            MemDisk::durable_after(None, &disk.ops)
        };
        Self::from_disk(MemDisk {
            live: durable,
            ..MemDisk::default()
        })
    }

    /// Makes a later operation fail.
    pub fn inject(&self, fault: Fault) {
        self.disk.borrow_mut().faults.push(fault);
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
                return Err(StorageError::Locked);
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
            return Err(StorageError::Locked);
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
            if let Some(fault) = disk.fault(op.kind()) {
                return Err(match fault {
                    FaultKind::Errno(raw) => errno(raw),
                    FaultKind::ShortWrite { .. } => errno(libc_enospc()),
                });
            }
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
        let (landed, result) = match disk.fault(OpKind::Append) {
            None => (bytes, Ok(())),
            Some(FaultKind::Errno(raw)) => return Err(errno(raw)),
            Some(FaultKind::ShortWrite { keep }) => {
                (&bytes[..keep.min(bytes.len())], Err(errno(libc_enospc())))
            }
        };
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
        if let Some(fault) = disk.fault(OpKind::SyncData) {
            return Err(match fault {
                FaultKind::Errno(raw) => errno(raw),
                FaultKind::ShortWrite { .. } => errno(libc_enospc()),
            });
        }
        disk.ops.push(Op::SyncData);
        Ok(())
    }

    fn truncate(&mut self, len: u64) -> Result<(), StorageError> {
        self.live_len()?;
        let mut disk = self.disk.borrow_mut();
        if let Some(fault) = disk.fault(OpKind::Truncate) {
            return Err(match fault {
                FaultKind::Errno(raw) => errno(raw),
                FaultKind::ShortWrite { .. } => errno(libc_enospc()),
            });
        }
        disk.live.as_mut().expect("length checked").truncate(len as usize);
        disk.ops.push(Op::Truncate { len });
        Ok(())
    }
}

fn libc_enospc() -> i32 {
    rustix::io::Errno::NOSPC.raw_os_error()
}
