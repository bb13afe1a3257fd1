//! The distribution's configuration: which device holds the journal, how a
//! provisioning boot and a live system are recognised, and the retry
//! budgets.
//!
//! Fedora CoreOS, Flatcar and others run the same Ignition but name these
//! things differently, so they are read from systemd-style INI files, the way
//! initramfs tools are configured, rather than compiled in:
//!
//! ```text
//! [Boot]
//! Device=/dev/disk/by-label/boot
//! DeviceTimeoutSec=30
//! LockTimeoutSec=5
//! FirstbootArguments=ignition.firstboot
//! FirstbootStamp=ignition.firstboot
//! LiveArguments=coreos.liveiso coreos.live.rootfs_url
//!
//! [Policy]
//! MaxRetries=5
//! MaxPlannedReboots=4
//!
//! [Cache]
//! KeepConfig=no
//! RestoreTo=/usr/lib/ignition/user.ign
//! MaxSize=1048576
//!
//! [FailureLog]
//! Keep=yes
//! MaxSize=64K
//! ```
//!
//! Files are read in [`SEARCH_PATH`] order, later ones winning key by key;
//! `PROVISION_JOURNAL_CONF=PATH` replaces the search with one file. Every
//! value remembers where it came from ([`Source`]), so `status` and `dump`
//! can say why a budget is what it is. Precedence, highest first: a
//! command-line flag, a kernel argument, the files, the built-in default.
//!
//! A mistake is an error, never a silent default: an unknown key or
//! section, a malformed line, a value out of range. A typo in a safety
//! budget must not pass unnoticed.
//!
//! Every call reads the configuration first, in the initramfs, before the
//! boot goes on; so reading it must never block and never grow without
//! bound, whatever stands under a configuration file's name. Only regular
//! files are read (and the null device, as empty), never more than
//! [`MAX_FILE_SIZE`] bytes of each, from at most [`MAX_DROP_INS`] drop-ins,
//! in lines of at most [`MAX_LINE_LEN`] bytes; anything else is an error
//! naming the file and what it is.

use std::io;

use camino::Utf8PathBuf;

mod discovery;
mod keys;
mod parse;
mod settings;

pub use self::discovery::{CONF_ENV, DROP_IN_DIR, MAX_DROP_INS, MAX_FILE_SIZE, SEARCH_PATH};
pub use self::keys::{KEYS, Key};
pub use self::parse::{MAX_LINE_LEN, MAX_PLANNED_REBOOTS_ARG, MAX_RETRIES_ARG};
pub use self::settings::{
    CONFIG_SCHEMA, CacheSettings, Config, FailureLogSettings, KernelArgument, MAX_BUDGET,
    MAX_DEVICE_TIMEOUT_SEC, MAX_LOCK_TIMEOUT_SEC, PolicySettings, Setting, Signals, Source,
};

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A file could not be read.
    #[error("failed to read configuration file `{path}`: {source}")]
    Read {
        /// The file.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// Something other than a regular file stands under a configuration
    /// file's name (a FIFO, a device, a directory, a socket): it is never
    /// read.
    #[error("configuration file `{path}` is a {kind}, not a regular file: it is not read")]
    NotRegularFile {
        /// The file.
        path: Utf8PathBuf,
        /// What it is.
        kind: &'static str,
    },
    /// A configuration file is larger than [`MAX_FILE_SIZE`].
    #[error(
        "configuration file `{path}` is larger than the {limit} bytes a configuration file may hold: it is not read"
    )]
    TooLarge {
        /// The file.
        path: Utf8PathBuf,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The drop-in directory holds more than [`MAX_DROP_INS`] `*.conf`
    /// files.
    #[error(
        "configuration directory `{dir}` holds {count} `*.conf` drop-ins, more than the {limit} read: none is read"
    )]
    TooManyDropIns {
        /// The directory.
        dir: Utf8PathBuf,
        /// How many it holds.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A line is wrong.
    #[error("configuration file `{path}`, line {line}{}: {problem}", key.as_ref().map(|key| format!(", key {key}")).unwrap_or_default())]
    Line {
        /// The file.
        path: Utf8PathBuf,
        /// The line, from 1.
        line: usize,
        /// The `Section.Key`, once known.
        key: Option<String>,
        /// What is wrong, in words.
        problem: String,
    },
    /// The files together say something impossible.
    #[error("configuration ({}): {problem}", files.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "))]
    Inconsistent {
        /// The files read.
        files: Vec<Utf8PathBuf>,
        /// What is wrong.
        problem: String,
    },
    /// A kernel argument that overrides a setting has a bad value.
    #[error("kernel argument `{argument}`: {problem}")]
    KernelArgument {
        /// The argument as given.
        argument: String,
        /// What is wrong.
        problem: String,
    },
}
