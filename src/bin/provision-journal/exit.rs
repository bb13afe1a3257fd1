//! The exit statuses, one per outcome, as `spec/CLI.md` lists them, and the
//! failure type every command returns.
//!
//! systemd reserves 200 and above, so every status stays below it. Clap
//! exits with 2 on a usage error; nothing else uses 2.

use std::process::ExitCode;

use provision_journal::boot_context::BootContextError;
use provision_journal::config::ConfigError;
use provision_journal::kept::KeptError;
use provision_journal::recreated::CarryError;
use provision_journal::report;
use provision_journal::storage::StorageError;
use provision_journal::{FsStorage, JournalError};
use rustix::io::Errno;

/// Defines [`Exit`] and [`Exit::ALL`] from one list: each status's
/// documentation is also its meaning in `--help` and in the man page.
macro_rules! exit_statuses {
    ($($(#[doc = $doc:literal])+ $variant:ident = $status:literal,)+) => {
        /// Why the command exits, as a number scripts and units can act on.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Exit {
            $($(#[doc = $doc])+ $variant = $status,)+
        }

        impl Exit {
            /// Every status, in increasing order, with its meaning in words
            /// (the variant's documentation).
            pub const ALL: &[(Exit, &str)] = &[$((Exit::$variant, concat!($($doc),+)),)+];
        }
    };
}

exit_statuses! {
    /// Success; for `check`, provisioning may go on.
    Ok = 0,
    /// A usage error: clap's own, or a configuration file that is wrong.
    Usage = 2,
    /// `check`: this boot found an interruption past the red line (or a
    /// torn tail that could hide the start of the disks stage), or the
    /// retry or planned-reboot budget spent, and poisoned the journal.
    FatalInterruption = 10,
    /// `check`: the journal was already poisoned.
    Poisoned = 11,
    /// `check`: provisioning already completed.
    AlreadyComplete = 12,
    /// A hook's own record stopped provisioning: it poisoned the attempt
    /// (`fetched` with a different config after a mutating stage). The
    /// record is durable.
    RecordPoisoned = 13,
    /// The journal is damaged in a way a crash cannot explain.
    Corrupt = 20,
    /// The journal was written by a newer format version.
    UnsupportedVersion = 21,
    /// The journal path is a symlink, directory, FIFO or other non-file,
    /// or, for a writer, a file with more than one hard link.
    NotRegularFile = 22,
    /// Another process held the journal's lock for the whole lock timeout.
    Locked = 23,
    /// `dump`: the journal ends in a torn tail (the trace of an interrupted
    /// append; `check` handles it). Everything before it was shown.
    TornTail = 24,
    /// The hook may not follow the journal's state (out of order, or
    /// nothing to reset); nothing was written.
    Rejected = 30,
    /// The record is too large to write; nothing was written.
    TooLarge = 31,
    /// A hook found no journal where `check` had found one on this boot:
    /// the file system holding it was recreated (or the file removed)
    /// during the boot, and no saved copy of it was there to put back
    /// (`[Boot] SavedCopyDir`). Nothing was written.
    JournalVanished = 32,
    /// Any other I/O error.
    Io = 40,
    /// The journal's directory (or, for `dump`, the journal) does not exist.
    NotFound = 41,
    /// The file system is read-only.
    ReadOnly = 42,
    /// Permission denied (including an immutable file).
    PermissionDenied = 43,
    /// The file system is full.
    NoSpace = 44,
    /// `fdatasync` (or a directory's `fsync`) failed: the record, or the
    /// journal being created, may not be durable; not retried.
    SyncFailed = 45,
    /// The boot ID, kernel command line or firstboot stamp could not be read,
    /// or an override (`PROVISION_JOURNAL_*`, a budget's kernel argument) is
    /// malformed.
    BootContext = 50,
    /// The `--boot-device` did not appear in time.
    BootDeviceMissing = 51,
    /// The `--boot-device` could not be mounted or unmounted.
    Mount = 52,
    /// The config file given to `fetched --config` could not be read.
    ConfigUnreadable = 53,
    /// The kept copy of the config could not be restored: `[Cache]
    /// RestoreTo` is on a persistent file system or cannot be written.
    /// Nothing was applied.
    RestoreRefused = 54,
    /// `fetched --config` with `[Cache] KeepConfig=yes`: the config is
    /// larger than `[Cache] MaxSize`. Nothing was kept; the failure is
    /// recorded.
    ConfigTooLarge = 55,
}

/// The status Rust's runtime exits with after a panic: an internal error.
/// No variant of [`Exit`] is returned with it.
pub const PANIC: (u8, &str) = (101, "An internal error (a panic); please report it.");

impl Exit {
    /// The status as a number.
    pub fn status(self) -> u8 {
        self as u8
    }
}

/// The exit statuses as a table for `--help`: one entry per status, each
/// meaning wrapped to `width` columns under a hanging indent.
pub fn status_table(width: usize) -> String {
    let rows = Exit::ALL
        .iter()
        .map(|(exit, meaning)| (exit.status(), *meaning))
        .chain([PANIC]);
    let mut table = String::new();
    for (status, meaning) in rows {
        let mut line = format!("  {status:>3}  ");
        let indent = line.len();
        for word in meaning.split_whitespace() {
            if line.len() > indent && line.len() + 1 + word.len() > width {
                table.push_str(line.trim_end());
                table.push('\n');
                line = " ".repeat(indent);
            }
            if line.len() > indent {
                line.push(' ');
            }
            line.push_str(word);
        }
        table.push_str(&line);
        table.push('\n');
    }
    table.pop();
    table
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.status())
    }
}

/// A command's failure: its exit status and the message for stderr.
#[derive(Debug)]
pub struct Failure {
    /// The exit status.
    pub exit: Exit,
    /// What went wrong, in words, with the path.
    pub message: String,
    /// The cause in a few words, for the journal's record of a call that
    /// failed (`CallFailed`), when the failure is worth one.
    pub brief: Option<String>,
}

impl Failure {
    /// A failure with this status and message.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Failure {
            exit,
            message: message.into(),
            brief: None,
        }
    }

    /// The same failure, with its cause in a few words for the record.
    pub fn with_brief(self, brief: impl Into<String>) -> Self {
        Failure {
            brief: Some(brief.into()),
            ..self
        }
    }
}

fn storage_exit(source: &StorageError) -> Exit {
    match source {
        StorageError::NotRegularFile { .. } | StorageError::HardLinked { .. } => {
            Exit::NotRegularFile
        }
        StorageError::Locked { .. } | StorageError::AlreadyExists => Exit::Locked,
        StorageError::SyncFailed { .. } => Exit::SyncFailed,
        StorageError::Io(_) => match source.raw_os_error().map(Errno::from_raw_os_error) {
            Some(Errno::NOENT | Errno::NOTDIR) => Exit::NotFound,
            Some(Errno::ROFS) => Exit::ReadOnly,
            Some(Errno::ACCESS | Errno::PERM) => Exit::PermissionDenied,
            Some(Errno::NOSPC | Errno::DQUOT) => Exit::NoSpace,
            _ => Exit::Io,
        },
        // The error enums are non-exhaustive for library users: a variant
        // this binary does not know yet is an I/O failure.
        _ => Exit::Io,
    }
}

impl From<JournalError> for Failure {
    fn from(error: JournalError) -> Self {
        let exit = match &error {
            JournalError::Storage { source, .. } | JournalError::WriteFailed { source, .. } => {
                storage_exit(source)
            }
            JournalError::SyncFailed { .. } => Exit::SyncFailed,
            JournalError::Corrupt { .. } => Exit::Corrupt,
            JournalError::UnsupportedVersion { .. } => Exit::UnsupportedVersion,
            JournalError::Rejected { .. } => Exit::Rejected,
            JournalError::Encode { .. } => Exit::TooLarge,
            JournalError::Unusable { .. } | JournalError::ReadOnly { .. } | _ => Exit::Io,
        };
        let mut message = match &error {
            // Said in words, with the kind of the record that cannot be
            // decoded read back from the file.
            JournalError::Corrupt {
                path,
                offset,
                problem,
            } => {
                let words =
                    report::describe_damage_at(&mut FsStorage::new(path), *offset, problem.clone())
                        .map_or_else(|_| problem.to_string(), |damage| damage.words);
                format!(
                    "journal `{path}` is corrupt at offset {offset}: {words}. Nothing was written, and nothing can be: `provision-journal status` says what to do by every record it can read, and `dump` shows them. Do not move the file away before reading what `status` says: on a machine that was provisioned, moving it away makes the next provisioning boot provision it again"
                )
            }
            _ => error.to_string(),
        };
        if exit == Exit::Rejected || exit == Exit::TooLarge {
            message.push_str("; nothing was written");
        }
        Failure::new(exit, message)
    }
}

impl Failure {
    /// The same failure, saying which boot device the journal is on.
    pub fn on_device(self, device: &camino::Utf8Path) -> Self {
        Failure {
            message: format!("boot device `{device}`: {}", self.message),
            ..self
        }
    }
}

impl From<KeptError> for Failure {
    fn from(error: KeptError) -> Self {
        let exit = match &error {
            KeptError::Journal(_) => None,
            KeptError::Storage { source, .. } => Some(storage_exit(source)),
            KeptError::TooLarge { .. } => Some(Exit::ConfigTooLarge),
            KeptError::Target { .. } => Some(Exit::RestoreRefused),
            // A failure this binary does not know yet.
            _ => None,
        };
        match (exit, error) {
            (_, KeptError::Journal(error)) => Failure::from(error),
            (exit, error) => Failure::new(exit.unwrap_or(Exit::Io), error.to_string()),
        }
    }
}

impl From<CarryError> for Failure {
    fn from(error: CarryError) -> Self {
        match error {
            CarryError::Journal(error) => Failure::from(error),
            CarryError::ReadSaved { ref source, .. }
            | CarryError::Companion { ref source, .. }
            | CarryError::RemoveSaved { ref source, .. } => {
                Failure::new(storage_exit(source), error.to_string())
            }
            _ => Failure::new(Exit::Io, error.to_string()),
        }
    }
}

impl From<ConfigError> for Failure {
    fn from(error: ConfigError) -> Self {
        let exit = match error {
            ConfigError::KernelArgument { .. } => Exit::BootContext,
            ConfigError::Read { .. }
            | ConfigError::Line { .. }
            | ConfigError::Inconsistent { .. }
            | _ => Exit::Usage,
        };
        Failure::new(exit, error.to_string())
    }
}

impl From<BootContextError> for Failure {
    fn from(error: BootContextError) -> Self {
        Failure::new(Exit::BootContext, error.to_string())
    }
}

impl From<provision_journal::failure_log::FailureLogError> for Failure {
    fn from(error: provision_journal::failure_log::FailureLogError) -> Self {
        Failure::new(storage_exit(&error.source), error.to_string())
    }
}
