//! The files' syntax: systemd-style INI lines, each `Key=Value` under a
//! `[Section]`, and the value of each key; and the budgets' kernel
//! arguments. A mistake is an error naming the file, the line and the key.

use camino::{Utf8Path, Utf8PathBuf};

use crate::kept::MAX_SIZE_CAP;

use super::ConfigError;
use super::settings::{
    Config, KernelArgument, MAX_BUDGET, MAX_DEVICE_TIMEOUT_SEC, MAX_LOCK_TIMEOUT_SEC,
    PolicySettings, Source,
};

/// The kernel argument that overrides `[Policy] MaxRetries`.
pub const MAX_RETRIES_ARG: &str = "provision_journal.max_retries";
/// The kernel argument that overrides `[Policy] MaxPlannedReboots`.
pub const MAX_PLANNED_REBOOTS_ARG: &str = "provision_journal.max_planned_reboots";
/// The longest line of a configuration file, in bytes.
pub const MAX_LINE_LEN: usize = 4096;

impl PolicySettings {
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

impl Config {
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

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
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
