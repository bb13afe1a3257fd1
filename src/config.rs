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

use std::fmt;
use std::io;

use camino::{Utf8Path, Utf8PathBuf};
use rustix::fs::{FileType, Mode, OFlags};
use serde::Serialize;

use crate::classify::{DEFAULT_MAX_PLANNED_REBOOTS, DEFAULT_MAX_RETRIES, Policy};
use crate::kept::{DEFAULT_MAX_SIZE, MAX_SIZE_CAP};

mod keys;

pub use keys::{KEYS, Key};

/// The files read, in order, when `PROVISION_JOURNAL_CONF` is not set:
/// the distribution's default, the administrator's file, then every
/// `*.conf` in [`DROP_IN_DIR`] in lexical order.
pub const SEARCH_PATH: [&str; 2] = [
    "/usr/lib/provision-journal/provision-journal.conf",
    "/etc/provision-journal.conf",
];
/// The administrator's drop-in directory.
pub const DROP_IN_DIR: &str = "/etc/provision-journal.conf.d";
/// The environment variable naming the one configuration file to read.
pub const CONF_ENV: &str = "PROVISION_JOURNAL_CONF";
/// The kernel argument that overrides `[Policy] MaxRetries`.
pub const MAX_RETRIES_ARG: &str = "provision_journal.max_retries";
/// The kernel argument that overrides `[Policy] MaxPlannedReboots`.
pub const MAX_PLANNED_REBOOTS_ARG: &str = "provision_journal.max_planned_reboots";
/// The largest retry or planned-reboot budget accepted: beyond it a machine
/// loops for hours, and the journal's growth bound (`spec/STATES.md`) grows
/// with it.
pub const MAX_BUDGET: u32 = 50;
/// The longest wait for the boot device accepted, in seconds.
pub const MAX_DEVICE_TIMEOUT_SEC: u64 = 3600;
/// The longest wait for another writer's lock accepted, in seconds.
pub const MAX_LOCK_TIMEOUT_SEC: u64 = 600;
/// The largest configuration file read, in bytes (256 KiB: a generous
/// INI file is a few hundred bytes). A larger one is refused unread.
pub const MAX_FILE_SIZE: u64 = 256 * 1024;
/// The most `*.conf` drop-ins read from [`DROP_IN_DIR`].
pub const MAX_DROP_INS: usize = 64;
/// The longest line of a configuration file, in bytes.
pub const MAX_LINE_LEN: usize = 4096;

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// Compiled in.
    Default,
    /// A line of a configuration file.
    File {
        /// The file.
        path: Utf8PathBuf,
        /// Its line, from 1.
        line: usize,
    },
    /// The kernel command line (the argument as given).
    KernelArgument(String),
    /// A command-line flag (as typed).
    Flag(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("built-in default"),
            Source::File { path, line } => write!(f, "{path}:{line}"),
            Source::KernelArgument(argument) => write!(f, "kernel argument {argument}"),
            Source::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Setting<T> {
    /// The value in force.
    pub value: T,
    /// Where it came from.
    pub source: Source,
}

impl<T> Setting<T> {
    fn default(value: T) -> Self {
        Setting {
            value,
            source: Source::Default,
        }
    }

    /// Replaces the value, remembering where the new one came from.
    pub fn set(&mut self, value: T, source: Source) {
        *self = Setting { value, source };
    }
}

/// A kernel argument to look for: `key` matches the key with any value or
/// none, `key=value` matches exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelArgument {
    /// The key.
    pub key: String,
    /// The value it must have, if any.
    pub value: Option<String>,
}

impl KernelArgument {
    /// Parses `key` or `key=value`; `None` for an empty key.
    pub fn parse(text: &str) -> Option<Self> {
        let (key, value) = match text.split_once('=') {
            Some((key, value)) => (key, Some(value.to_owned())),
            None => (text, None),
        };
        (!key.is_empty()).then(|| KernelArgument {
            key: key.to_owned(),
            value,
        })
    }

    /// Whether the command-line argument `argument` is this one.
    pub fn matches(&self, argument: &str) -> bool {
        let (key, value) = match argument.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            None => (argument, None),
        };
        key == self.key
            && self
                .value
                .as_deref()
                .is_none_or(|wanted| value == Some(wanted))
    }
}

impl fmt::Display for KernelArgument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "{}={value}", self.key),
            None => f.write_str(&self.key),
        }
    }
}

impl Serialize for KernelArgument {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// How a boot is recognised: the first-boot and live signals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Signals {
    /// Kernel arguments that mark a provisioning boot.
    pub firstboot_arguments: Setting<Vec<KernelArgument>>,
    /// The stamp file, relative to the journal's directory, that also marks
    /// one; `None` for no stamp.
    pub firstboot_stamp: Setting<Option<Utf8PathBuf>>,
    /// Kernel arguments that mark a live system.
    pub live_arguments: Setting<Vec<KernelArgument>>,
}

impl Default for Signals {
    fn default() -> Self {
        let arguments = |list: &[&str]| {
            list.iter()
                .filter_map(|a| KernelArgument::parse(a))
                .collect()
        };
        Signals {
            firstboot_arguments: Setting::default(arguments(&["ignition.firstboot"])),
            firstboot_stamp: Setting::default(Some("ignition.firstboot".into())),
            live_arguments: Setting::default(arguments(&[
                "coreos.liveiso",
                "coreos.live.rootfs_url",
            ])),
        }
    }
}

impl Signals {
    /// The first-boot signals in words, for messages: "the kernel argument
    /// `ignition.firstboot` or the stamp `ignition.firstboot`".
    pub fn describe_firstboot(&self) -> String {
        let arguments: Vec<String> = self
            .firstboot_arguments
            .value
            .iter()
            .map(|argument| format!("`{argument}`"))
            .collect();
        let arguments = match arguments.len() {
            0 => None,
            1 => Some(format!("the kernel argument {}", arguments[0])),
            _ => Some(format!(
                "one of the kernel arguments {}",
                arguments.join(", ")
            )),
        };
        let stamp = self
            .firstboot_stamp
            .value
            .as_ref()
            .map(|stamp| format!("the stamp `{stamp}` beside the journal"));
        match (arguments, stamp) {
            (Some(arguments), Some(stamp)) => format!("{arguments} or {stamp}"),
            (Some(only), None) | (None, Some(only)) => only,
            (None, None) => "nothing (no first-boot signal is configured)".to_owned(),
        }
    }
}

/// The retry budgets, with their sources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicySettings {
    /// `[Policy] MaxRetries`.
    pub max_retries: Setting<u32>,
    /// `[Policy] MaxPlannedReboots`.
    pub max_planned_reboots: Setting<u32>,
}

impl Default for PolicySettings {
    fn default() -> Self {
        PolicySettings {
            max_retries: Setting::default(DEFAULT_MAX_RETRIES),
            max_planned_reboots: Setting::default(DEFAULT_MAX_PLANNED_REBOOTS),
        }
    }
}

impl PolicySettings {
    /// The limits the classifier enforces.
    pub fn policy(&self) -> Policy {
        Policy {
            max_retries: self.max_retries.value,
            max_planned_reboots: self.max_planned_reboots.value,
        }
    }

    /// Applies `provision_journal.max_retries=N` and
    /// `provision_journal.max_planned_reboots=N` from a kernel command line
    /// (the last of each wins).
    ///
    /// # Errors
    ///
    /// [`ConfigError::KernelArgument`] for a value that is not a whole
    /// number from 0 to [`MAX_BUDGET`].
    pub fn apply_cmdline(&mut self, cmdline: &str) -> Result<(), ConfigError> {
        for argument in cmdline.split_whitespace() {
            let Some((key, value)) = argument.split_once('=') else {
                continue;
            };
            let setting = match key {
                MAX_RETRIES_ARG => &mut self.max_retries,
                MAX_PLANNED_REBOOTS_ARG => &mut self.max_planned_reboots,
                _ => continue,
            };
            let budget = parse_budget(value).map_err(|problem| ConfigError::KernelArgument {
                argument: argument.to_owned(),
                problem,
            })?;
            setting.set(budget, Source::KernelArgument(argument.to_owned()));
        }
        Ok(())
    }
}

/// Where Ignition reads a system config before asking the platform: the
/// default of `[Cache] RestoreTo`.
pub const DEFAULT_RESTORE_TO: &str = "/usr/lib/ignition/user.ign";

/// The kept copy of the config (`[Cache]`), off by default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CacheSettings {
    /// `[Cache] KeepConfig`: whether `fetched --config` keeps a copy beside
    /// the journal for a retry to restore.
    pub keep_config: Setting<bool>,
    /// `[Cache] RestoreTo`: where `check` restores the copy; it must be in
    /// memory (tmpfs or ramfs), never on a persistent disk.
    pub restore_to: Setting<Utf8PathBuf>,
    /// `[Cache] MaxSize`: the largest config kept, in bytes (at most
    /// [`MAX_SIZE_CAP`]).
    pub max_size: Setting<u64>,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings {
            keep_config: Setting::default(false),
            restore_to: Setting::default(Utf8PathBuf::from(DEFAULT_RESTORE_TO)),
            max_size: Setting::default(DEFAULT_MAX_SIZE),
        }
    }
}

/// The failure log kept beside the journal (`[FailureLog]`), on by
/// default (`crate::failure_log`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureLogSettings {
    /// `[FailureLog] Keep`: whether `keep-log` keeps the end of a failed
    /// boot's log beside the journal.
    pub keep: Setting<bool>,
    /// `[FailureLog] MaxSize`: the most log bytes kept, in bytes (at most
    /// [`crate::failure_log::MAX_SIZE_CAP`]).
    pub max_size: Setting<u64>,
}

impl Default for FailureLogSettings {
    fn default() -> Self {
        FailureLogSettings {
            keep: Setting::default(true),
            max_size: Setting::default(crate::failure_log::DEFAULT_MAX_SIZE),
        }
    }
}

/// The `schema` field of `config --json` (`spec/provision-journal.schema.json`).
pub const CONFIG_SCHEMA: &str = "provision-journal/config/1";

/// Everything the configuration decides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Config {
    /// `[Boot] Device`: the boot partition `--boot-device` defaults to;
    /// `None` uses the `--journal` path as it is.
    pub device: Setting<Option<Utf8PathBuf>>,
    /// `[Boot] DeviceTimeoutSec`.
    pub device_timeout_sec: Setting<u64>,
    /// `[Boot] LockTimeoutSec`: how long a writer waits for another's lock.
    pub lock_timeout_sec: Setting<u64>,
    /// `[Boot] SavedCopyDir`: where the distribution keeps the boot file
    /// system's files while a stage recreates it, from which a hook puts
    /// the journal back (`recreated`); `None`: nowhere.
    pub saved_copy_dir: Setting<Option<Utf8PathBuf>>,
    /// The first-boot and live signals.
    pub signals: Signals,
    /// The budgets.
    pub policy: PolicySettings,
    /// The kept copy of the config.
    pub cache: CacheSettings,
    /// The failure log.
    pub failure_log: FailureLogSettings,
    /// The files read, in order.
    pub files: Vec<Utf8PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            device: Setting::default(None),
            device_timeout_sec: Setting::default(30),
            lock_timeout_sec: Setting::default(5),
            saved_copy_dir: Setting::default(None),
            signals: Signals::default(),
            policy: PolicySettings::default(),
            cache: CacheSettings::default(),
            failure_log: FailureLogSettings::default(),
            files: Vec::new(),
        }
    }
}

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

impl Config {
    /// Reads the configuration: the one file `PROVISION_JOURNAL_CONF` names
    /// (which must exist), or else every file of the search path that
    /// exists, in order.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] for a file that cannot be read, a line that is
    /// wrong, or settings that contradict each other.
    pub fn load() -> Result<Self, ConfigError> {
        match std::env::var_os(CONF_ENV) {
            Some(path) => {
                let path = Utf8PathBuf::from(path.to_string_lossy().into_owned());
                Self::from_files(&[path], false)
            }
            None => {
                let files: Vec<Utf8PathBuf> = SEARCH_PATH.iter().map(Utf8PathBuf::from).collect();
                Self::from_search_path(&files, Utf8Path::new(DROP_IN_DIR))
            }
        }
    }

    /// Reads `files` that exist, in order, then the `*.conf` drop-ins of
    /// `drop_in_dir` in lexical order: [`Config::load`] with
    /// [`SEARCH_PATH`] and [`DROP_IN_DIR`].
    ///
    /// # Errors
    ///
    /// As [`Config::load`], and [`ConfigError::TooManyDropIns`].
    pub fn from_search_path(
        files: &[Utf8PathBuf],
        drop_in_dir: &Utf8Path,
    ) -> Result<Self, ConfigError> {
        let mut files = files.to_vec();
        files.extend(drop_ins(drop_in_dir)?);
        Self::from_files(&files, true)
    }

    /// Reads `files` in order over the built-in defaults; a missing file is
    /// skipped when `skip_missing`, an error otherwise.
    ///
    /// # Errors
    ///
    /// As [`Config::load`].
    pub fn from_files(files: &[Utf8PathBuf], skip_missing: bool) -> Result<Self, ConfigError> {
        let mut config = Config::default();
        for path in files {
            let text = match read_file(path)? {
                Some(bytes) => String::from_utf8(bytes).map_err(|_| ConfigError::Line {
                    path: path.clone(),
                    line: 1,
                    key: None,
                    problem: "the file is not UTF-8 text".to_owned(),
                })?,
                None if skip_missing => continue,
                None => {
                    return Err(ConfigError::Read {
                        path: path.clone(),
                        source: io::Error::from(rustix::io::Errno::NOENT),
                    });
                }
            };
            config.apply_text(path, &text)?;
            config.files.push(path.clone());
        }
        config.validate()?;
        Ok(config)
    }

    /// Applies the text of one file, named `path` in errors and sources.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Line`] for the first wrong line.
    pub fn apply_text(&mut self, path: &Utf8Path, text: &str) -> Result<(), ConfigError> {
        let mut section: Option<&str> = None;
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let error = |key: Option<String>, problem: String| ConfigError::Line {
                path: path.to_owned(),
                line,
                key,
                problem,
            };
            if raw.len() > MAX_LINE_LEN {
                return Err(error(
                    None,
                    format!(
                        "the line is {} bytes long, more than the {MAX_LINE_LEN} a line may hold",
                        raw.len()
                    ),
                ));
            }
            let content = strip_comment(raw).trim();
            if content.is_empty() {
                continue;
            }
            if let Some(name) = content.strip_prefix('[') {
                let name = name.strip_suffix(']').ok_or_else(|| {
                    error(
                        None,
                        format!(
                            "malformed section header {content:?}: expected [Boot], [Policy], [Cache] or [FailureLog]"
                        ),
                    )
                })?;
                section = Some(match name {
                    "Boot" => "Boot",
                    "Policy" => "Policy",
                    "Cache" => "Cache",
                    "FailureLog" => "FailureLog",
                    _ => {
                        return Err(error(
                            None,
                            format!(
                                "unknown section [{name}]: the sections are [Boot], [Policy], [Cache] and [FailureLog]"
                            ),
                        ));
                    }
                });
                continue;
            }
            let Some((key, value)) = content.split_once('=') else {
                return Err(error(
                    None,
                    format!("malformed line {content:?}: expected Key=Value"),
                ));
            };
            let (key, value) = (key.trim(), value.trim());
            let Some(section) = section else {
                return Err(error(
                    Some(key.to_owned()),
                    "a setting before any section: put it under [Boot], [Policy], [Cache] or [FailureLog]"
                        .to_owned(),
                ));
            };
            let qualified = format!("{section}.{key}");
            let source = Source::File {
                path: path.to_owned(),
                line,
            };
            self.apply_setting(section, key, value, source)
                .map_err(|problem| error(Some(qualified), problem))?;
        }
        Ok(())
    }

    fn apply_setting(
        &mut self,
        section: &str,
        key: &str,
        value: &str,
        source: Source,
    ) -> Result<(), String> {
        match (section, key) {
            ("Boot", "Device") => {
                let device = match value {
                    "" => None,
                    path if path.starts_with('/') => Some(Utf8PathBuf::from(path)),
                    other => {
                        return Err(format!(
                            "{other:?} is not an absolute path (or empty for none)"
                        ));
                    }
                };
                self.device.set(device, source);
            }
            ("Boot", "DeviceTimeoutSec") => {
                let seconds = parse_seconds(value, MAX_DEVICE_TIMEOUT_SEC)?;
                self.device_timeout_sec.set(seconds, source);
            }
            ("Boot", "LockTimeoutSec") => {
                let seconds = parse_seconds(value, MAX_LOCK_TIMEOUT_SEC)?;
                self.lock_timeout_sec.set(seconds, source);
            }
            ("Boot", "SavedCopyDir") => {
                let dir = match value {
                    "" => None,
                    path if path.starts_with('/') => Some(Utf8PathBuf::from(path)),
                    other => {
                        return Err(format!(
                            "{other:?} is not an absolute path (or empty for none)"
                        ));
                    }
                };
                self.saved_copy_dir.set(dir, source);
            }
            ("Boot", "FirstbootArguments") => {
                self.signals
                    .firstboot_arguments
                    .set(parse_arguments(value)?, source);
            }
            ("Boot", "FirstbootStamp") => {
                self.signals
                    .firstboot_stamp
                    .set(parse_stamp(value)?, source);
            }
            ("Boot", "LiveArguments") => {
                self.signals
                    .live_arguments
                    .set(parse_arguments(value)?, source);
            }
            ("Policy", "MaxRetries") => self.policy.max_retries.set(parse_budget(value)?, source),
            ("Policy", "MaxPlannedReboots") => {
                self.policy
                    .max_planned_reboots
                    .set(parse_budget(value)?, source);
            }
            ("Cache", "KeepConfig") => self.cache.keep_config.set(parse_bool(value)?, source),
            ("Cache", "RestoreTo") => {
                if !value.starts_with('/') || value.ends_with('/') {
                    return Err(format!("{value:?} is not an absolute path to a file"));
                }
                self.cache.restore_to.set(Utf8PathBuf::from(value), source);
            }
            ("Cache", "MaxSize") => self.cache.max_size.set(parse_size(value)?, source),
            ("FailureLog", "Keep") => self.failure_log.keep.set(parse_bool(value)?, source),
            ("FailureLog", "MaxSize") => {
                let size = parse_size(value)?;
                if size > crate::failure_log::MAX_SIZE_CAP {
                    return Err(format!(
                        "{value:?} is more than the {} bytes (1M) a failure log may keep",
                        crate::failure_log::MAX_SIZE_CAP
                    ));
                }
                self.failure_log.max_size.set(size, source);
            }
            (_, _) => {
                let known = match section {
                    "Boot" => {
                        "Device, DeviceTimeoutSec, LockTimeoutSec, SavedCopyDir, FirstbootArguments, FirstbootStamp, LiveArguments"
                    }
                    "Policy" => "MaxRetries, MaxPlannedReboots",
                    "FailureLog" => "Keep, MaxSize",
                    _ => "KeepConfig, RestoreTo, MaxSize",
                };
                return Err(format!(
                    "unknown key {key:?} in [{section}] (the keys are {known})"
                ));
            }
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.signals.firstboot_arguments.value.is_empty()
            && self.signals.firstboot_stamp.value.is_none()
        {
            return Err(ConfigError::Inconsistent {
                files: self.files.clone(),
                problem: "FirstbootArguments and FirstbootStamp are both empty: no boot would ever be a provisioning boot".to_owned(),
            });
        }
        Ok(())
    }
}

/// A duration: a whole number of seconds from 0 to `max`.
fn parse_seconds(value: &str, max: u64) -> Result<u64, String> {
    value
        .parse::<u64>()
        .ok()
        .filter(|seconds| *seconds <= max)
        .ok_or_else(|| format!("{value:?} is not a whole number of seconds from 0 to {max}"))
}

/// A boolean as systemd spells it: `yes`/`no`, `true`/`false`, `on`/`off`,
/// `1`/`0`.
fn parse_bool(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" | "on" | "1" => Ok(true),
        "no" | "false" | "off" | "0" => Ok(false),
        _ => Err(format!("{value:?} is not a boolean (yes or no)")),
    }
}

/// A size in bytes, optionally with a `K` or `M` suffix (1024-based), from
/// 1 byte to [`MAX_SIZE_CAP`].
fn parse_size(value: &str) -> Result<u64, String> {
    let (digits, unit) = match value.strip_suffix(['K', 'k']) {
        Some(digits) => (digits, 1024),
        None => match value.strip_suffix(['M', 'm']) {
            Some(digits) => (digits, 1024 * 1024),
            None => (value, 1),
        },
    };
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|number| number.checked_mul(unit))
        .filter(|size| (1..=MAX_SIZE_CAP).contains(size))
        .ok_or_else(|| format!("{value:?} is not a size from 1 byte to {MAX_SIZE_CAP} bytes (16M)"))
}

/// A budget: a whole number from 0 to [`MAX_BUDGET`].
fn parse_budget(value: &str) -> Result<u32, String> {
    value
        .parse::<u32>()
        .ok()
        .filter(|budget| *budget <= MAX_BUDGET)
        .ok_or_else(|| format!("{value:?} is not a whole number from 0 to {MAX_BUDGET}"))
}

fn parse_arguments(value: &str) -> Result<Vec<KernelArgument>, String> {
    value
        .split_whitespace()
        .map(|text| {
            KernelArgument::parse(text)
                .ok_or_else(|| format!("{text:?} is not a kernel argument (key or key=value)"))
        })
        .collect()
}

fn parse_stamp(value: &str) -> Result<Option<Utf8PathBuf>, String> {
    if value.is_empty() {
        return Ok(None);
    }
    let path = Utf8Path::new(value);
    let plain = path
        .components()
        .all(|component| matches!(component, camino::Utf8Component::Normal(_)));
    if !plain {
        return Err(format!(
            "{value:?} must be a path relative to the journal's directory, without `..` (or empty for none)"
        ));
    }
    Ok(Some(path.to_owned()))
}

/// A `#` at the start of the line, or after white space, starts a comment
/// (systemd only knows the first kind; the second is accepted because the
/// examples people copy have it).
fn strip_comment(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') || trimmed.starts_with(';') {
        return "";
    }
    let bytes = line.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        if *byte == b'#' && index > 0 && bytes[index - 1].is_ascii_whitespace() {
            return &line[..index];
        }
    }
    line
}

/// What a file of this type is, in words.
fn kind_of(file_type: FileType) -> &'static str {
    match file_type {
        FileType::RegularFile => "regular file",
        FileType::Directory => "directory",
        FileType::Symlink => "symbolic link",
        FileType::Fifo => "FIFO",
        FileType::Socket => "socket",
        FileType::CharacterDevice => "character device",
        FileType::BlockDevice => "block device",
        FileType::Unknown => "file of unknown type",
    }
}

/// What a configuration file's `stat` says about reading it: `Ok(true)` for
/// a regular file, `Ok(false)` for the null device (read as empty, as
/// systemd reads a drop-in linked to it), the error otherwise.
fn readable(path: &Utf8Path, stat: &rustix::fs::Stat) -> Result<bool, ConfigError> {
    let file_type = FileType::from_raw_mode(stat.st_mode);
    let null = file_type == FileType::CharacterDevice
        && (
            rustix::fs::major(stat.st_rdev),
            rustix::fs::minor(stat.st_rdev),
        ) == (1, 3);
    match file_type {
        FileType::RegularFile => Ok(true),
        _ if null => Ok(false),
        other => Err(ConfigError::NotRegularFile {
            path: path.to_owned(),
            kind: kind_of(other),
        }),
    }
}

/// Reads one configuration file, `None` if there is none. Symbolic links
/// are followed (distributions and administrators link configuration
/// files), but what they lead to must be a regular file: its type is
/// checked before it is opened (opening a FIFO would wait for a writer, a
/// device may act on being opened, as a watchdog does). Something swapped
/// in between cannot block or flood the call either: the file is opened
/// `O_NONBLOCK | O_NOCTTY`, and at most [`MAX_FILE_SIZE`] bytes are read,
/// whatever it is. (An `fstat` of the descriptor would close that window
/// for good, at one more system call on every hook.)
fn read_file(path: &Utf8Path) -> Result<Option<Vec<u8>>, ConfigError> {
    let failed = |error: rustix::io::Errno| ConfigError::Read {
        path: path.to_owned(),
        source: io::Error::from(error),
    };
    let stat = match rustix::fs::stat(path.as_std_path()) {
        Ok(stat) => stat,
        Err(rustix::io::Errno::NOENT) => return Ok(None),
        Err(error) => return Err(failed(error)),
    };
    if !readable(path, &stat)? {
        return Ok(Some(Vec::new()));
    }
    let fd = rustix::fs::open(
        path.as_std_path(),
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY,
        Mode::empty(),
    )
    .map_err(failed)?;
    let too_large = || ConfigError::TooLarge {
        path: path.to_owned(),
        limit: MAX_FILE_SIZE,
    };
    if stat.st_size as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(stat.st_size as usize);
    io::Read::read_to_end(
        &mut io::Read::take(std::fs::File::from(fd), MAX_FILE_SIZE + 1),
        &mut bytes,
    )
    .map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    Ok(Some(bytes))
}

/// The `*.conf` files of `dir` in lexical order, at most [`MAX_DROP_INS`];
/// none if it does not exist.
fn drop_ins(dir: &Utf8Path) -> Result<Vec<Utf8PathBuf>, ConfigError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ConfigError::Read {
                path: dir.to_owned(),
                source,
            });
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ConfigError::Read {
            path: dir.to_owned(),
            source,
        })?;
        let name = entry.file_name();
        if let Some(name) = name.to_str().filter(|name| name.ends_with(".conf")) {
            files.push(dir.join(name));
        }
    }
    if files.len() > MAX_DROP_INS {
        return Err(ConfigError::TooManyDropIns {
            dir: dir.to_owned(),
            count: files.len(),
            limit: MAX_DROP_INS,
        });
    }
    files.sort();
    Ok(files)
}
