//! The typed settings: every value with where it came from ([`Source`]),
//! grouped as the files' sections are, and their built-in defaults.

use std::fmt;

use camino::Utf8PathBuf;
use serde::Serialize;

use crate::classify::{DEFAULT_MAX_PLANNED_REBOOTS, DEFAULT_MAX_RETRIES, Policy};
use crate::kept::DEFAULT_MAX_SIZE;

/// The largest retry or planned-reboot budget accepted: beyond it a machine
/// loops for hours, and the journal's growth bound (`spec/STATES.md`) grows
/// with it.
pub const MAX_BUDGET: u32 = 50;
/// The longest wait for the boot device accepted, in seconds.
pub const MAX_DEVICE_TIMEOUT_SEC: u64 = 3600;
/// The longest wait for another writer's lock accepted, in seconds.
pub const MAX_LOCK_TIMEOUT_SEC: u64 = 600;
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
#[non_exhaustive]
pub struct Setting<T> {
    /// The value in force.
    pub value: T,
    /// Where it came from.
    pub source: Source,
}

impl<T> Setting<T> {
    pub(super) fn default(value: T) -> Self {
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
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
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
}

/// Where Ignition reads a system config before asking the platform: the
/// default of `[Cache] RestoreTo`.
const DEFAULT_RESTORE_TO: &str = "/usr/lib/ignition/user.ign";

/// The kept copy of the config (`[Cache]`), off by default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CacheSettings {
    /// `[Cache] KeepConfig`: whether `fetched --config` keeps a copy beside
    /// the journal for a retry to restore.
    pub keep_config: Setting<bool>,
    /// `[Cache] RestoreTo`: where `check` restores the copy; it must be in
    /// memory (tmpfs or ramfs), never on a persistent disk.
    pub restore_to: Setting<Utf8PathBuf>,
    /// `[Cache] MaxSize`: the largest config kept, in bytes (at most
    /// [`MAX_SIZE_CAP`](crate::kept::MAX_SIZE_CAP)).
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
#[non_exhaustive]
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
#[non_exhaustive]
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
