//! In-memory storage for tests: logs every operation, keeps what a real
//! file system would have made durable, and fails on request.
//!
//! From the operation log, [`MemDisk::crash_states`] builds every state a
//! power cut may leave on disk under the ALICE file-system model (see
//! `spec/FORMAT.md`, "Crash model this journal is proven against").

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

/// One operation a handle asked for, in order, whether it happened or an
/// injected fault made it fail (the log of what was tried, where
/// [`MemDisk::ops`] logs what was done).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The kind of operation.
    pub kind: OpKind,
    /// The fault that made it fail, if one did.
    pub fault: Option<FaultKind>,
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
    faults: Vec<Fault>,
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

    /// Every state a crash right after `ops` may leave on disk, following
    /// the ALICE model; `start` is what was durable before `ops` began. See
    /// [`Tearing`] for the states. The first is always the one where
    /// everything unsynced is lost.
    pub fn crash_states(start: Option<&[u8]>, ops: &[Op]) -> Vec<CrashState> {
        let mut entry_live = start.is_some();
        let mut entry_durable = entry_live;
        let mut file = FileImage::new(start.unwrap_or_default());
        let mut temp = FileImage::new(&[]);
        for op in ops {
            match op {
                Op::WriteTemp { bytes } => {
                    temp = FileImage::new(&[]);
                    temp.pending.push(Pending::Append {
                        offset: 0,
                        bytes: bytes.clone(),
                    });
                }
                Op::SyncTemp => temp.sync(),
                Op::Rename => {
                    entry_live = true;
                    file = temp.clone();
                }
                Op::SyncDir => entry_durable = entry_live,
                Op::Append { offset, bytes } => file.pending.push(Pending::Append {
                    offset: *offset,
                    bytes: bytes.clone(),
                }),
                Op::Truncate { len } => file.pending.push(Pending::Truncate { len: *len }),
                Op::SyncData => file.sync(),
            }
        }
        let mut states = Vec::new();
        if !entry_durable {
            states.push(CrashState {
                journal: None,
                tearing: Tearing::EntryMissing,
            });
        }
        if entry_live {
            file.tear(&mut states);
        }
        states
    }

    fn fault(&mut self, kind: OpKind) -> Option<FaultKind> {
        let nth = self
            .attempts
            .iter()
            .filter(|attempt| attempt.kind == kind)
            .count();
        let fault = self
            .faults
            .iter()
            .find(|fault| fault.op == kind && fault.nth == nth)
            .map(|fault| fault.kind);
        self.attempts.push(Attempt { kind, fault });
        fault
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

    /// A separate copy of the disk (its contents, log and pending faults),
    /// not shared with this one, with no lock held.
    pub fn fork(&self) -> MemStorage {
        let mut disk = self.disk.borrow().clone();
        disk.locked = false;
        MemStorage::from_disk(disk)
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
        let durable = MemDisk::durable_after(disk.start.as_deref(), &disk.ops);
        Self::with_journal(durable.as_deref())
    }

    /// Every state a power cut now may leave (see [`MemDisk::crash_states`]).
    pub fn crash_states(&self) -> Vec<CrashState> {
        let disk = self.disk.borrow();
        MemDisk::crash_states(disk.start.as_deref(), &disk.ops)
    }

    /// Every operation asked for so far, including those an injected fault
    /// made fail.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.disk.borrow().attempts.clone()
    }

    /// What was durable when the disk was made.
    pub fn start(&self) -> Option<Vec<u8>> {
        self.disk.borrow().start.clone()
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
                return Err(StorageError::Locked {
                    holder: None,
                    waited_ms: 0,
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
                waited_ms: 0,
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
        disk.live
            .as_mut()
            .expect("length checked")
            .truncate(len as usize);
        disk.ops.push(Op::Truncate { len });
        Ok(())
    }

    fn sync_dir(&mut self) -> Result<(), StorageError> {
        let mut disk = self.disk.borrow_mut();
        if let Some(fault) = disk.fault(OpKind::SyncDir) {
            return Err(match fault {
                FaultKind::Errno(raw) => errno(raw),
                FaultKind::ShortWrite { .. } => errno(libc_enospc()),
            });
        }
        disk.ops.push(Op::SyncDir);
        Ok(())
    }
}

fn libc_enospc() -> i32 {
    rustix::io::Errno::NOSPC.raw_os_error()
}

/// One state a crash may leave on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrashState {
    /// The journal's bytes; `None` when its directory entry is missing.
    pub journal: Option<Vec<u8>>,
    /// How the unsynced operations landed.
    pub tearing: Tearing,
}

impl CrashState {
    /// A disk holding this state, all of it durable.
    pub fn storage(&self) -> MemStorage {
        MemStorage::with_journal(self.journal.as_deref())
    }
}

/// What lands in place of data that was not synced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill {
    /// Zeros (a size change that landed before the data).
    Zeros,
    /// Garbage (stale blocks, as on vfat).
    Garbage,
}

/// How the unsynced operations at a crash landed (ALICE's model: an append
/// is a size change plus data written block by block, in any order; a
/// truncate may be lost; a new directory entry may be lost until its
/// directory is synced).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tearing {
    /// The new file's directory entry did not survive: no journal.
    EntryMissing,
    /// The first `ops` unsynced operations landed whole, the rest not at
    /// all (`truncates_lost`: the truncates among them did not land, though
    /// the data written after them did).
    Whole {
        /// How many unsynced operations landed.
        ops: usize,
        /// Whether the truncates among them were lost.
        truncates_lost: bool,
    },
    /// After `ops` whole operations, the next append landed cut after
    /// `kept` bytes.
    Cut {
        /// Whole operations before it.
        ops: usize,
        /// Bytes of it that landed.
        kept: usize,
        /// Whether earlier truncates were lost.
        truncates_lost: bool,
    },
    /// After `ops` whole operations, the next append extended the file by
    /// `len` bytes but none of its data landed.
    Extended {
        /// Whole operations before it.
        ops: usize,
        /// By how much the file grew.
        len: usize,
        /// What the new bytes hold.
        fill: Fill,
        /// Whether earlier truncates were lost.
        truncates_lost: bool,
    },
    /// After `ops` whole operations, the next append's size change landed
    /// and its data only on one side of the sector boundary `kept` bytes
    /// into it.
    Sector {
        /// Whole operations before it.
        ops: usize,
        /// Where the boundary falls in the append.
        kept: usize,
        /// Whether the data before the boundary landed (else after it).
        before: bool,
        /// What the other side holds.
        fill: Fill,
        /// Whether earlier truncates were lost.
        truncates_lost: bool,
    },
}

/// The sector sizes whose boundaries an append may be split at.
pub const SECTOR_SIZES: [u64; 2] = [512, 4096];

#[derive(Clone, Debug)]
enum Pending {
    Append { offset: u64, bytes: Vec<u8> },
    Truncate { len: u64 },
}

/// One file: its durable bytes and the operations on it since its last sync.
#[derive(Clone, Debug)]
struct FileImage {
    durable: Vec<u8>,
    pending: Vec<Pending>,
}

impl FileImage {
    fn new(durable: &[u8]) -> Self {
        FileImage {
            durable: durable.to_vec(),
            pending: Vec::new(),
        }
    }

    fn sync(&mut self) {
        self.durable = self.apply(self.pending.len(), false);
        self.pending.clear();
    }

    fn apply(&self, count: usize, truncates_lost: bool) -> Vec<u8> {
        let mut image = self.durable.clone();
        for op in &self.pending[..count] {
            match op {
                Pending::Append { offset, bytes } => place(&mut image, *offset, bytes),
                Pending::Truncate { len } if !truncates_lost => image.truncate(*len as usize),
                Pending::Truncate { .. } => {}
            }
        }
        image
    }

    fn tear(&self, states: &mut Vec<CrashState>) {
        let mut push = |journal: Vec<u8>, tearing: Tearing| {
            states.push(CrashState {
                journal: Some(journal),
                tearing,
            })
        };
        for truncates_lost in [false, true] {
            for ops in 0..=self.pending.len() {
                let truncated_before = self.pending[..ops]
                    .iter()
                    .any(|op| matches!(op, Pending::Truncate { .. }));
                if truncates_lost && !truncated_before {
                    continue;
                }
                let image = self.apply(ops, truncates_lost);
                push(
                    image.clone(),
                    Tearing::Whole {
                        ops,
                        truncates_lost,
                    },
                );
                let Some(Pending::Append { offset, bytes }) = self.pending.get(ops) else {
                    continue;
                };
                let len = bytes.len();
                for kept in 1..len {
                    let mut torn = image.clone();
                    place(&mut torn, *offset, &bytes[..kept]);
                    push(
                        torn,
                        Tearing::Cut {
                            ops,
                            kept,
                            truncates_lost,
                        },
                    );
                }
                for fill in [Fill::Zeros, Fill::Garbage] {
                    for grown in 1..=len {
                        let mut torn = image.clone();
                        place(&mut torn, *offset, &filler(fill, *offset, grown));
                        let tearing = Tearing::Extended {
                            ops,
                            len: grown,
                            fill,
                            truncates_lost,
                        };
                        push(torn, tearing);
                    }
                    for kept in sector_cuts(*offset, len) {
                        for before in [true, false] {
                            let mut data = bytes.clone();
                            let other = if before { kept..len } else { 0..kept };
                            let fill_at = *offset + other.start as u64;
                            data[other.clone()].copy_from_slice(&filler(
                                fill,
                                fill_at,
                                other.len(),
                            ));
                            let mut torn = image.clone();
                            place(&mut torn, *offset, &data);
                            let tearing = Tearing::Sector {
                                ops,
                                kept,
                                before,
                                fill,
                                truncates_lost,
                            };
                            push(torn, tearing);
                        }
                    }
                }
            }
        }
    }
}

/// Where, counted from the start of an append of `len` bytes at `offset`,
/// a sector boundary falls inside it.
fn sector_cuts(offset: u64, len: usize) -> Vec<usize> {
    let end = offset + len as u64;
    let mut cuts: Vec<usize> = SECTOR_SIZES
        .iter()
        .flat_map(|&sector| {
            let first = (offset / sector + 1) * sector;
            (first..end).step_by(sector as usize)
        })
        .map(|boundary| (boundary - offset) as usize)
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// Writes `bytes` at `offset`, growing the file as needed (a gap reads as
/// zeros).
fn place(image: &mut Vec<u8>, offset: u64, bytes: &[u8]) {
    let offset = offset as usize;
    if image.len() < offset + bytes.len() {
        image.resize(offset + bytes.len(), 0);
    }
    image[offset..offset + bytes.len()].copy_from_slice(bytes);
}

/// Deterministic filler for `len` bytes at file offset `at`.
fn filler(fill: Fill, at: u64, len: usize) -> Vec<u8> {
    match fill {
        Fill::Zeros => vec![0; len],
        Fill::Garbage => (at..at + len as u64)
            .map(|position| {
                let mixed = position
                    .wrapping_add(0x9e37_79b9)
                    .wrapping_mul(0x2545_f491_4f6c_dd1d);
                (mixed >> 56) as u8
            })
            .collect(),
    }
}
