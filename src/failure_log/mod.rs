//! The failure log: the end of a failed boot's log, kept beside the journal.
//!
//! When a first boot fails, the initramfs's journal dies with it unless
//! someone was at the console. So when a stage fails, or `check` stops
//! provisioning, the unit that saw it hands the end of that boot's log to
//! `provision-journal keep-log`, which keeps it on the boot partition as
//! one file beside the journal, `NAME.failure-log` (spec/FORMAT.md, "The
//! failure log"): at most [`DEFAULT_MAX_SIZE`] bytes of log (`[FailureLog]
//! MaxSize`), mode 0600, bound by its header to the record the boot stopped
//! on (a failed stage or call, `check`'s poisoning or refusal). `dump`
//! shows it, the sos plugin collects it, `reset` removes it, and
//! `[FailureLog] Keep=no` switches it off.
//!
//! Keeping the log writes no record: the journal, and so every verdict, is
//! the same whether the log was kept, half written when the power went, or
//! never written. The file is written through the kept copy's
//! [`CopyStore`] seam under its own name, as the kept copy is (the old log
//! unlinked, the new one created exclusively, `fdatasync`, `fsync` of the
//! directory), so a crash leaves the old log, none, or the new one cut
//! short, and the header's length and CRC-32 tell a log that is
//! not whole. At most one log exists at a time: the partition's growth
//! bound grows by one file of at most `MaxSize` and its header.

use std::io::{self, Read};

use crate::kept::{CopyContent, CopyStep, CopyStore};
use crate::storage::StorageError;

mod binding;
mod file;

pub use self::binding::Binding;
pub(crate) use self::binding::{anchor, replaces};
pub use self::file::FailureLog;

/// `[FailureLog] MaxSize` by default: the most log bytes kept (64 KiB).
pub const DEFAULT_MAX_SIZE: u64 = 64 * 1024;
/// The largest `[FailureLog] MaxSize` allowed (1 MiB).
pub const MAX_SIZE_CAP: u64 = 1024 * 1024;
/// The longest header a failure log has (its first line).
pub(crate) const MAX_HEADER_LEN: usize = 256;

/// The failure log's file name beside the journal named `journal_name`.
pub fn file_name(journal_name: &str) -> String {
    format!("{journal_name}.failure-log")
}

/// Reads everything from `input`, keeping its last `max` bytes, from the
/// first line start inside them when there is one; returns them and how
/// many bytes were read in all. Memory stays within twice `max`.
///
/// # Errors
///
/// The reader's error (an interrupted read is retried).
pub fn read_tail(mut input: impl Read, max: u64) -> io::Result<(Vec<u8>, u64)> {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let mut kept = Vec::new();
    let mut total = 0u64;
    let mut buffer = [0u8; 8192];
    loop {
        let read = match input.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        total += read as u64;
        kept.extend_from_slice(&buffer[..read]);
        if kept.len() > max.saturating_mul(2).max(1 << 16) {
            kept.drain(..kept.len() - max);
        }
    }
    if kept.len() > max {
        kept.drain(..kept.len() - max);
        if let Some(newline) = kept.iter().position(|&b| b == b'\n')
            && newline + 1 < kept.len()
        {
            kept.drain(..=newline);
        }
    }
    Ok((kept, total))
}

/// What [`keep`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kept {
    /// The log is on disk, durable, bound to its record.
    Written,
    /// The attempt already has a log that this one does not replace (a
    /// stop's log replaces none of its attempt's): the one bound to this
    /// record.
    Skipped(Binding),
}

/// Why the failure log could not be kept or removed: the step that failed.
#[derive(Debug, thiserror::Error)]
#[error("failure log `{path}`: {step} failed: {source}")]
#[non_exhaustive]
pub struct FailureLogError {
    /// The log's path.
    pub path: String,
    /// The step.
    pub step: CopyStep,
    /// Why.
    #[source]
    pub source: StorageError,
}

fn step<C: CopyStore, T>(
    store: &mut C,
    step: CopyStep,
    operation: impl FnOnce(&mut C) -> Result<T, StorageError>,
) -> Result<T, FailureLogError> {
    operation(store).map_err(|source| FailureLogError {
        path: store.path().to_string(),
        step,
        source,
    })
}

/// The log on disk and the record it is bound to, if it reads as one.
///
/// # Errors
///
/// A step that failed (reading it).
pub fn read<C: CopyStore>(
    store: &mut C,
) -> Result<Option<Result<FailureLog, String>>, FailureLogError> {
    let limit = MAX_SIZE_CAP + MAX_HEADER_LEN as u64;
    Ok(
        match step(store, CopyStep::Read, |store| store.read(limit))? {
            CopyContent::Absent => None,
            CopyContent::NotRegular { kind } => Some(Err(format!("it is {kind}, not a file"))),
            CopyContent::HardLinked { links } => Some(Err(format!(
                "it has {links} names: another name shares its bytes, so it is not read"
            ))),
            CopyContent::File { bytes: None, size } => Some(Err(format!(
                "it is {size} bytes long, more than a failure log can be"
            ))),
            CopyContent::File {
                bytes: Some(bytes), ..
            } => Some(FailureLog::decode(&bytes)),
        },
    )
}

/// Keeps `log` on disk, unless the log there is one it does not replace (a
/// failure's log replaces any; a stop's only another attempt's): unlinks what is under the log's name, creates the log
/// (`O_CREAT | O_EXCL | O_NOFOLLOW`, 0600), writes it, `fdatasync`,
/// `fsync`s the directory. Writes no record. A crash meanwhile leaves no
/// log, or one its CRC shows cut short, which [`read`] reports and the
/// next failure replaces.
///
/// # Errors
///
/// The step that failed; nothing is retried.
pub fn keep<C: CopyStore>(store: &mut C, log: &FailureLog) -> Result<Kept, FailureLogError> {
    let existing = read(store)?.and_then(Result::ok).map(|old| old.binding);
    if !replaces(log.binding.anchor(), log.binding.attempt, existing.as_ref()) {
        let existing = existing.expect("only a log on disk is not replaced");
        return Ok(Kept::Skipped(existing));
    }
    step(store, CopyStep::Remove, |store| store.remove())?;
    step(store, CopyStep::Write, |store| store.write(&log.encode()))?;
    step(store, CopyStep::Sync, |store| store.sync())?;
    step(store, CopyStep::SyncDir, |store| store.sync_dir())?;
    Ok(Kept::Written)
}

/// Removes the log (`reset`), then `fsync`s the directory if it was there.
/// Returns whether a log was there.
///
/// # Errors
///
/// The step that failed.
pub fn remove<C: CopyStore>(store: &mut C) -> Result<bool, FailureLogError> {
    let log = step(store, CopyStep::Remove, |store| store.remove())?;
    if log {
        step(store, CopyStep::SyncDir, |store| store.sync_dir())?;
    }
    Ok(log)
}

#[cfg(test)]
mod tests {
    use super::binding::Anchor;
    use super::*;
    use crate::model::event::BootId;
    use crate::model::stage::Stage;

    fn binding(seq: u64, attempt: u32, event: &str) -> Binding {
        Binding {
            seq,
            attempt,
            boot: BootId([7; 16]),
            event: event.to_owned(),
            stage: (event == "stage_failed").then_some(Stage::Files),
        }
    }

    #[test]
    fn a_log_reads_back_and_a_torn_one_does_not() {
        let log = FailureLog {
            binding: binding(9, 2, "stage_failed"),
            total: 100_000,
            text: b"ignition[1]: files: op(3): [failed]\n".to_vec(),
        };
        let bytes = log.encode();
        assert_eq!(FailureLog::decode(&bytes).unwrap(), log);
        let torn = &bytes[..bytes.len() - 3];
        assert!(FailureLog::decode(torn).unwrap_err().contains("not whole"));
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(FailureLog::decode(&flipped).unwrap_err().contains("CRC-32"));
        assert!(FailureLog::decode(b"hello\n").is_err());
    }

    #[test]
    fn a_failure_replaces_any_log_and_a_stop_only_another_attempts() {
        let failed = binding(5, 1, "stage_failed");
        let refused = binding(6, 1, "boot_refused");
        assert!(replaces(Anchor::Failed, 1, None));
        assert!(replaces(Anchor::Stopped, 1, None));
        assert!(replaces(Anchor::Failed, 1, Some(&refused)));
        assert!(!replaces(Anchor::Stopped, 1, Some(&failed)));
        assert!(!replaces(Anchor::Stopped, 1, Some(&refused)));
        assert!(replaces(Anchor::Stopped, 2, Some(&failed)));
    }

    #[test]
    fn only_the_end_of_a_long_log_is_kept_from_a_line_start() {
        let mut input = Vec::new();
        for line in 0..10_000 {
            input.extend_from_slice(format!("line {line}\n").as_bytes());
        }
        let (kept, total) = read_tail(input.as_slice(), 1000).unwrap();
        assert_eq!(total, input.len() as u64);
        assert!(kept.len() <= 1000);
        assert!(kept.starts_with(b"line "), "{:?}", &kept[..10]);
        assert!(kept.ends_with(b"line 9999\n"));
        let (short, total) = read_tail(&b"one line"[..], 1000).unwrap();
        assert_eq!((short.as_slice(), total), (&b"one line"[..], 8));
    }
}
