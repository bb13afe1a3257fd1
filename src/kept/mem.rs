//! The kept copy in memory, for tests (with the `testing` feature): every
//! operation is logged, any one can be made to fail (a crash at that
//! point), the removal can be refused for good (an immutable file, a
//! directory, a read-only mount), and [`MemCopyStore::crash_states`] lists
//! what a power cut may leave.
//!
//! The crash model is the journal's (`spec/FORMAT.md`, "Crash model"),
//! for a name and a whole file: the name is durable once the directory is
//! synced; of the name changes since, any prefix in order survives; a
//! file's bytes are durable once it is `fdatasync`ed, and before that it
//! may survive empty or whole.

use std::io;

use camino::{Utf8Path, Utf8PathBuf};

use super::{CopyContent, CopyStep, CopyStore};
use crate::classify::CopyOnDisk;
use crate::storage::StorageError;

/// What stands under the copy's name: a file (its bytes, whether they are
/// durable, its link count), or, for hostile tests, a symbolic link.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    File {
        bytes: Vec<u8>,
        synced: bool,
        links: u64,
    },
    Symlink,
}

/// A change of the name not yet made durable by a directory `fsync`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DirOp {
    Create(Node),
    Unlink,
}

/// The kept copy in memory.
#[derive(Clone, Debug)]
pub struct MemCopyStore {
    path: Utf8PathBuf,
    live: Option<Node>,
    durable: Option<Node>,
    pending: Vec<DirOp>,
    ops: Vec<CopyStep>,
    fail_at: Option<usize>,
    refuse_removal: bool,
}

impl Default for MemCopyStore {
    fn default() -> Self {
        MemCopyStore {
            path: Utf8PathBuf::from("provision-journal.config"),
            live: None,
            durable: None,
            pending: Vec::new(),
            ops: Vec::new(),
            fail_at: None,
            refuse_removal: false,
        }
    }
}

fn apply(name: &mut Option<Node>, op: &DirOp) {
    *name = match op {
        DirOp::Create(node) => Some(node.clone()),
        DirOp::Unlink => None,
    };
}

impl MemCopyStore {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_node(node: Node) -> Self {
        MemCopyStore {
            live: Some(node.clone()),
            durable: Some(node),
            ..Self::default()
        }
    }

    /// A directory holding a durable copy with these bytes.
    pub fn with_copy(bytes: &[u8]) -> Self {
        Self::with_node(Node::File {
            bytes: bytes.to_vec(),
            synced: true,
            links: 1,
        })
    }

    /// A directory holding a durable copy with these bytes and a second
    /// name elsewhere (a hard link).
    pub fn with_hard_linked_copy(bytes: &[u8]) -> Self {
        Self::with_node(Node::File {
            bytes: bytes.to_vec(),
            synced: true,
            links: 2,
        })
    }

    /// A directory where a symbolic link stands under the copy's name.
    pub fn with_symlink() -> Self {
        Self::with_node(Node::Symlink)
    }

    /// Makes the operation with this index (counting every operation from
    /// 0, as [`MemCopyStore::ops`] lists them) and every later one fail, as
    /// if power were cut just before it.
    pub fn fail_at(&mut self, index: usize) {
        self.fail_at = Some(index);
    }

    /// Makes every removal of a copy that is there fail (`EPERM`, as for an
    /// immutable file) and change nothing, until
    /// [`MemCopyStore::allow_removal`].
    pub fn refuse_removal(&mut self) {
        self.refuse_removal = true;
    }

    /// Lets removals succeed again (an operator cleared what refused them).
    pub fn allow_removal(&mut self) {
        self.refuse_removal = false;
    }

    /// Whether removals are refused.
    pub fn refuses_removal(&self) -> bool {
        self.refuse_removal
    }

    /// Every operation done (or tried) so far.
    pub fn ops(&self) -> &[CopyStep] {
        &self.ops
    }

    /// The copy's bytes as a reader sees them now; `None` when there is no
    /// regular file.
    pub fn copy(&self) -> Option<Vec<u8>> {
        match &self.live {
            Some(Node::File { bytes, .. }) => Some(bytes.clone()),
            Some(Node::Symlink) | None => None,
        }
    }

    /// Whether anything is under the copy's name now.
    pub fn has_copy(&self) -> bool {
        self.live.is_some()
    }

    /// Every state a power cut now may leave: each prefix of the name
    /// changes since the last directory `fsync`, with a file whose bytes
    /// were not synced either empty or whole. A refused removal stays
    /// refused.
    pub fn crash_states(&self) -> Vec<MemCopyStore> {
        let mut states: Vec<MemCopyStore> = Vec::new();
        for cut in 0..=self.pending.len() {
            let mut name = self.durable.clone();
            for op in &self.pending[..cut] {
                apply(&mut name, op);
            }
            let outcomes = match &name {
                Some(Node::File {
                    bytes,
                    synced: false,
                    links,
                }) => vec![
                    Some(Node::File {
                        bytes: Vec::new(),
                        synced: true,
                        links: *links,
                    }),
                    Some(Node::File {
                        bytes: bytes.clone(),
                        synced: true,
                        links: *links,
                    }),
                ],
                other => vec![other.clone()],
            };
            for node in outcomes {
                if states.iter().any(|state| state.live == node) {
                    continue;
                }
                states.push(MemCopyStore {
                    path: self.path.clone(),
                    live: node.clone(),
                    durable: node,
                    pending: Vec::new(),
                    ops: Vec::new(),
                    fail_at: None,
                    refuse_removal: self.refuse_removal,
                });
            }
        }
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
        Ok(match &self.live {
            None => CopyOnDisk::Absent,
            Some(Node::Symlink) => CopyOnDisk::NotRegular,
            Some(Node::File { links, .. }) if *links != 1 => CopyOnDisk::HardLinked,
            Some(Node::File { bytes, .. }) => CopyOnDisk::File {
                size: bytes.len() as u64,
            },
        })
    }

    fn read(&mut self, limit: u64) -> Result<CopyContent, StorageError> {
        self.op(CopyStep::Read)?;
        Ok(match &self.live {
            None => CopyContent::Absent,
            Some(Node::Symlink) => CopyContent::NotRegular {
                kind: "symbolic link",
            },
            Some(Node::File { links, .. }) if *links != 1 => {
                CopyContent::HardLinked { links: *links }
            }
            Some(Node::File { bytes, .. }) => CopyContent::File {
                size: bytes.len() as u64,
                bytes: (bytes.len() as u64 <= limit).then(|| bytes.clone()),
            },
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        self.op(CopyStep::Write)?;
        if self.live.is_some() {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists).into());
        }
        self.change(DirOp::Create(Node::File {
            bytes: bytes.to_vec(),
            synced: false,
            links: 1,
        }));
        Ok(())
    }

    fn sync(&mut self) -> Result<(), StorageError> {
        self.op(CopyStep::Sync)?;
        let mark = |node: Option<&mut Node>| {
            if let Some(Node::File { synced, .. }) = node {
                *synced = true;
            }
        };
        mark(self.live.as_mut());
        // The file's bytes are durable whether or not its name is.
        for op in &mut self.pending {
            if let DirOp::Create(node) = op {
                mark(Some(node));
            }
        }
        mark(self.durable.as_mut());
        Ok(())
    }

    fn remove(&mut self) -> Result<bool, StorageError> {
        self.op(CopyStep::Remove)?;
        if self.live.is_none() {
            return Ok(false);
        }
        if self.refuse_removal {
            return Err(io::Error::from_raw_os_error(1).into());
        }
        self.change(DirOp::Unlink);
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
