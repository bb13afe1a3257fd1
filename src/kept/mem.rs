//! The kept copy in memory, for tests (with the `testing` feature): every
//! operation is logged, any one
//! can be made to fail (a crash at that point), and [`MemCopyStore::crash_states`]
//! lists what a power cut may leave.
//!
//! The crash model is the journal's (`spec/FORMAT.md`, "Crash model"),
//! for names and whole files: a name is durable once the directory is
//! synced; of the name changes since, any prefix in order survives; a
//! file's bytes are durable once it is `fdatasync`ed, and before that it
//! may survive empty or whole.

use std::collections::BTreeMap;
use std::io;

use camino::{Utf8Path, Utf8PathBuf};

use super::{CopyContent, CopyStep, CopyStore};
use crate::classify::CopyOnDisk;
use crate::storage::StorageError;

/// A name in the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Name {
    Copy,
    Temp,
}

/// A file: its bytes, whether they are durable, or a symbolic link (for
/// hostile tests).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    File { bytes: Vec<u8>, synced: bool },
    Symlink,
}

/// A name change not yet made durable by a directory `fsync`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DirOp {
    Create(Name, Node),
    Rename,
    Unlink(Name),
}

/// The kept copy and its temporary file in memory.
#[derive(Clone, Debug)]
pub struct MemCopyStore {
    path: Utf8PathBuf,
    live: BTreeMap<Name, Node>,
    durable: BTreeMap<Name, Node>,
    pending: Vec<DirOp>,
    ops: Vec<CopyStep>,
    fail_at: Option<usize>,
}

impl Default for MemCopyStore {
    fn default() -> Self {
        MemCopyStore {
            path: Utf8PathBuf::from("provision-journal.config"),
            live: BTreeMap::new(),
            durable: BTreeMap::new(),
            pending: Vec::new(),
            ops: Vec::new(),
            fail_at: None,
        }
    }
}

fn apply(dir: &mut BTreeMap<Name, Node>, op: &DirOp) {
    match op {
        DirOp::Create(name, node) => {
            dir.insert(*name, node.clone());
        }
        DirOp::Rename => {
            if let Some(node) = dir.remove(&Name::Temp) {
                dir.insert(Name::Copy, node);
            }
        }
        DirOp::Unlink(name) => {
            dir.remove(name);
        }
    }
}

impl MemCopyStore {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// A directory holding a durable copy with these bytes.
    pub fn with_copy(bytes: &[u8]) -> Self {
        let mut store = Self::default();
        let node = Node::File {
            bytes: bytes.to_vec(),
            synced: true,
        };
        store.live.insert(Name::Copy, node.clone());
        store.durable.insert(Name::Copy, node);
        store
    }

    /// A directory holding a durable, leftover temporary file.
    pub fn with_temp(mut self, bytes: &[u8]) -> Self {
        let node = Node::File {
            bytes: bytes.to_vec(),
            synced: true,
        };
        self.live.insert(Name::Temp, node.clone());
        self.durable.insert(Name::Temp, node);
        self
    }

    /// A directory where a symbolic link stands under the copy's name.
    pub fn with_symlink() -> Self {
        let mut store = Self::default();
        store.live.insert(Name::Copy, Node::Symlink);
        store.durable.insert(Name::Copy, Node::Symlink);
        store
    }

    /// Makes the operation with this index (counting every operation from
    /// 0, as [`MemCopyStore::ops`] lists them) and every later one fail, as
    /// if power were cut just before it.
    pub fn fail_at(&mut self, index: usize) {
        self.fail_at = Some(index);
    }

    /// Every operation done (or tried) so far.
    pub fn ops(&self) -> &[CopyStep] {
        &self.ops
    }

    /// The copy's bytes as a reader sees them now; `None` when there is no
    /// regular file.
    pub fn copy(&self) -> Option<Vec<u8>> {
        match self.live.get(&Name::Copy) {
            Some(Node::File { bytes, .. }) => Some(bytes.clone()),
            Some(Node::Symlink) | None => None,
        }
    }

    /// Whether anything is under the copy's name now.
    pub fn has_copy(&self) -> bool {
        self.live.contains_key(&Name::Copy)
    }

    /// Whether the temporary file exists now.
    pub fn has_temp(&self) -> bool {
        self.live.contains_key(&Name::Temp)
    }

    /// Every state a power cut now may leave: each prefix of the name
    /// changes since the last directory `fsync`, with each file whose bytes
    /// were not synced either empty or whole.
    pub fn crash_states(&self) -> Vec<MemCopyStore> {
        let mut states = Vec::new();
        for cut in 0..=self.pending.len() {
            let mut dir = self.durable.clone();
            for op in &self.pending[..cut] {
                apply(&mut dir, op);
            }
            let unsynced: Vec<Name> = dir
                .iter()
                .filter(|(_, node)| matches!(node, Node::File { synced: false, .. }))
                .map(|(name, _)| *name)
                .collect();
            for mask in 0..(1u32 << unsynced.len()) {
                let mut dir = dir.clone();
                for (bit, name) in unsynced.iter().enumerate() {
                    if let Some(Node::File { bytes, synced }) = dir.get_mut(name) {
                        if mask & (1 << bit) != 0 {
                            bytes.clear();
                        }
                        *synced = true;
                    }
                }
                states.push(MemCopyStore {
                    path: self.path.clone(),
                    live: dir.clone(),
                    durable: dir,
                    pending: Vec::new(),
                    ops: Vec::new(),
                    fail_at: None,
                });
            }
        }
        states.dedup_by(|a, b| a.live == b.live);
        states
    }

    fn op(&mut self, op: CopyStep) -> Result<(), StorageError> {
        let index = self.ops.len();
        self.ops.push(op);
        if self.fail_at.is_some_and(|at| index >= at) {
            return Err(io::Error::other("power cut (injected)").into());
        }
        Ok(())
    }

    fn change(&mut self, op: DirOp) {
        apply(&mut self.live, &op);
        self.pending.push(op);
    }
}

impl CopyStore for MemCopyStore {
    fn path(&self) -> &Utf8Path {
        &self.path
    }

    fn inspect(&mut self) -> Result<CopyOnDisk, StorageError> {
        self.op(CopyStep::Inspect)?;
        Ok(match self.live.get(&Name::Copy) {
            None => CopyOnDisk::Absent,
            Some(Node::Symlink) => CopyOnDisk::NotRegular,
            Some(Node::File { bytes, .. }) => CopyOnDisk::File {
                size: bytes.len() as u64,
            },
        })
    }

    fn read(&mut self, limit: u64) -> Result<CopyContent, StorageError> {
        self.op(CopyStep::Read)?;
        Ok(match self.live.get(&Name::Copy) {
            None => CopyContent::Absent,
            Some(Node::Symlink) => CopyContent::NotRegular {
                kind: "symbolic link",
            },
            Some(Node::File { bytes, .. }) => CopyContent::File {
                size: bytes.len() as u64,
                bytes: (bytes.len() as u64 <= limit).then(|| bytes.clone()),
            },
        })
    }

    fn write_temp(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        self.op(CopyStep::WriteTemp)?;
        if self.live.contains_key(&Name::Temp) {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists).into());
        }
        self.change(DirOp::Create(
            Name::Temp,
            Node::File {
                bytes: bytes.to_vec(),
                synced: false,
            },
        ));
        Ok(())
    }

    fn sync_temp(&mut self) -> Result<(), StorageError> {
        self.op(CopyStep::SyncTemp)?;
        let mark = |node: Option<&mut Node>| {
            if let Some(Node::File { synced, .. }) = node {
                *synced = true;
            }
        };
        mark(self.live.get_mut(&Name::Temp));
        // The file's bytes are durable under whichever name it has.
        for op in &mut self.pending {
            if let DirOp::Create(Name::Temp, node) = op {
                mark(Some(node));
            }
        }
        mark(self.durable.get_mut(&Name::Temp));
        Ok(())
    }

    fn rename_temp(&mut self) -> Result<(), StorageError> {
        self.op(CopyStep::Rename)?;
        if !self.live.contains_key(&Name::Temp) {
            return Err(io::Error::from(io::ErrorKind::NotFound).into());
        }
        self.change(DirOp::Rename);
        Ok(())
    }

    fn remove_temp(&mut self) -> Result<bool, StorageError> {
        self.op(CopyStep::RemoveTemp)?;
        if !self.live.contains_key(&Name::Temp) {
            return Ok(false);
        }
        self.change(DirOp::Unlink(Name::Temp));
        Ok(true)
    }

    fn remove_copy(&mut self) -> Result<bool, StorageError> {
        self.op(CopyStep::RemoveCopy)?;
        if !self.live.contains_key(&Name::Copy) {
            return Ok(false);
        }
        self.change(DirOp::Unlink(Name::Copy));
        Ok(true)
    }

    fn sync_dir(&mut self) -> Result<(), StorageError> {
        self.op(CopyStep::SyncDir)?;
        for op in std::mem::take(&mut self.pending) {
            apply(&mut self.durable, &op);
        }
        Ok(())
    }
}
