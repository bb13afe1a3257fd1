//! Crash states: every state a power cut may leave on disk after the logged
//! operations, under the ALICE file-system model (see `spec/FORMAT.md`,
//! "Crash model this journal is proven against"). Test machinery, with the
//! `testing` feature: the crash exploration runs every hook through every
//! one of them.

use super::{MemDisk, MemStorage, Op};

impl MemDisk {
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
}

impl MemStorage {
    /// A separate copy of the disk (its contents, log and pending faults),
    /// not shared with this one, with no lock held.
    pub fn fork(&self) -> MemStorage {
        let mut disk = self.disk.borrow().clone();
        disk.locked = false;
        MemStorage::from_disk(disk)
    }

    /// Every state a power cut now may leave (see [`MemDisk::crash_states`]).
    pub fn crash_states(&self) -> Vec<CrashState> {
        let disk = self.disk.borrow();
        MemDisk::crash_states(disk.start.as_deref(), &disk.ops)
    }
}

/// One state a crash may leave on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_structs,
    reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
)]
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
#[expect(
    clippy::exhaustive_enums,
    reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
)]
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
#[expect(
    clippy::exhaustive_enums,
    reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
)]
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
