//! Fault injection (with the `testing` feature): make the `nth` operation
//! of a kind fail, or an append land short, and log every operation asked
//! for, whether it happened or not.

use std::io;

use super::{Landed, MemDisk, MemStorage, OpKind};
use crate::storage::StorageError;

/// What an injected fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_enums,
    reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
)]
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
#[expect(
    clippy::exhaustive_structs,
    reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
)]
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
#[expect(
    clippy::exhaustive_structs,
    reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
)]
pub struct Attempt {
    /// The kind of operation.
    pub kind: OpKind,
    /// The fault that made it fail, if one did.
    pub fault: Option<FaultKind>,
}

impl MemDisk {
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

    /// Fails the operation of `kind` if a fault is aimed at it.
    pub(super) fn fail(&mut self, kind: OpKind) -> Result<(), StorageError> {
        match self.fault(kind) {
            None => Ok(()),
            Some(FaultKind::Errno(raw)) => Err(errno(raw)),
            Some(FaultKind::ShortWrite { .. }) => Err(errno(libc_enospc())),
        }
    }

    /// What lands of an append of `bytes`, if a fault is aimed at it.
    pub(super) fn short_write<'b>(&mut self, bytes: &'b [u8]) -> Result<Landed<'b>, StorageError> {
        match self.fault(OpKind::Append) {
            None => Ok((bytes, Ok(()))),
            Some(FaultKind::Errno(raw)) => Err(errno(raw)),
            Some(FaultKind::ShortWrite { keep }) => {
                Ok((&bytes[..keep.min(bytes.len())], Err(errno(libc_enospc()))))
            }
        }
    }
}

impl MemStorage {
    /// Every operation asked for so far, including those an injected fault
    /// made fail.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.disk.borrow().attempts.clone()
    }

    /// Makes a later operation fail.
    pub fn inject(&self, fault: Fault) {
        self.disk.borrow_mut().faults.push(fault);
    }
}

fn errno(raw: i32) -> StorageError {
    io::Error::from_raw_os_error(raw).into()
}

fn libc_enospc() -> i32 {
    rustix::io::Errno::NOSPC.raw_os_error()
}
