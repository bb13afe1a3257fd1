//! The settings a command runs with: the configuration files, then the
//! kernel command line, then the flags, each overriding the one before
//! (`provision_journal::config`).

use std::io::{self, Write};

use provision_journal::config::{CONFIG_SCHEMA, Config, Setting, Source};
use serde::Serialize;

use crate::args::Cli;
use crate::exit::{Exit, Failure};
use crate::output::Report;

/// Reads the configuration and applies the kernel command line's budget
/// overrides (from `cmdline`, for the commands that read it) and the
/// flags.
pub fn load(cli: &Cli, cmdline: Option<&str>) -> Result<Config, Failure> {
    let mut config = Config::load()?;
    if let Some(cmdline) = cmdline {
        config.policy.apply_cmdline(cmdline)?;
    }
    if let Some(device) = &cli.boot_device {
        let flag = Source::Flag(format!("--boot-device {device}"));
        config.device.set(Some(device.clone()), flag);
    } else if cli.journal_given {
        let flag = Source::Flag(format!("--journal {}", cli.journal));
        config.device.set(None, flag);
    }
    let flag = |name: &str, value: &dyn std::fmt::Display| Source::Flag(format!("{name} {value}"));
    if let Some(seconds) = cli.boot_device_timeout {
        let source = flag("--boot-device-timeout", &seconds);
        config.device_timeout_sec.set(seconds, source);
    }
    if let Some(seconds) = cli.lock_timeout {
        let source = flag("--lock-timeout", &seconds);
        config.lock_timeout_sec.set(seconds, source);
    }
    if let Some(budget) = cli.max_retries {
        let source = flag("--max-retries", &budget);
        config.policy.max_retries.set(budget, source);
    }
    if let Some(budget) = cli.max_planned_reboots {
        let source = flag("--max-planned-reboots", &budget);
        config.policy.max_planned_reboots.set(budget, source);
    }
    Ok(config)
}

/// `config`: every setting in force and where it came from, as INI text
/// (with the source as a comment), as JSON, or one value alone.
pub fn show(config: &Config, json: bool, get: Option<&str>) -> Result<Exit, Failure> {
    let rows = rows(config);
    if let Some(key) = get {
        let Some((_, value, _)) = rows
            .iter()
            .find(|(name, _, _)| name.eq_ignore_ascii_case(key))
        else {
            let known: Vec<&str> = rows.iter().map(|(name, _, _)| *name).collect();
            return Err(Failure::new(
                Exit::Usage,
                format!(
                    "unknown setting {key:?}: the settings are {}",
                    known.join(", ")
                ),
            ));
        };
        let mut out = Report::stdout();
        let written = writeln!(out, "{value}");
        return out.finish(written, Exit::Ok);
    }
    let mut out = Report::stdout();
    let written = if json {
        let document = ConfigDocument {
            schema: CONFIG_SCHEMA,
            config,
        };
        serde_json::to_writer(&mut out, &document)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        write_text(&rows, config, &mut out)
    };
    out.finish(written, Exit::Ok)
}

/// `config --json`: the settings, named by their schema.
#[derive(Serialize)]
struct ConfigDocument<'a> {
    schema: &'static str,
    #[serde(flatten)]
    config: &'a Config,
}

type Row = (&'static str, String, Source);

/// Every setting as `config` prints it, in the order of
/// [`provision_journal::config::KEYS`] (a test holds them to it).
fn rows(config: &Config) -> Vec<Row> {
    fn row<T>(name: &'static str, setting: &Setting<T>, show: impl Fn(&T) -> String) -> Row {
        (name, show(&setting.value), setting.source.clone())
    }
    let list = |arguments: &Vec<provision_journal::config::KernelArgument>| {
        arguments
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let path = |path: &Option<camino::Utf8PathBuf>| {
        path.as_ref().map(ToString::to_string).unwrap_or_default()
    };
    let signals = &config.signals;
    vec![
        row("Boot.Device", &config.device, path),
        row(
            "Boot.DeviceTimeoutSec",
            &config.device_timeout_sec,
            u64::to_string,
        ),
        row(
            "Boot.LockTimeoutSec",
            &config.lock_timeout_sec,
            u64::to_string,
        ),
        row("Boot.SavedCopyDir", &config.saved_copy_dir, path),
        row(
            "Boot.FirstbootArguments",
            &signals.firstboot_arguments,
            list,
        ),
        row("Boot.FirstbootStamp", &signals.firstboot_stamp, path),
        row("Boot.LiveArguments", &signals.live_arguments, list),
        row(
            "Policy.MaxRetries",
            &config.policy.max_retries,
            u32::to_string,
        ),
        row(
            "Policy.MaxPlannedReboots",
            &config.policy.max_planned_reboots,
            u32::to_string,
        ),
        row("Cache.KeepConfig", &config.cache.keep_config, |keep| {
            if *keep { "yes" } else { "no" }.to_owned()
        }),
        row(
            "Cache.RestoreTo",
            &config.cache.restore_to,
            ToString::to_string,
        ),
        row("Cache.MaxSize", &config.cache.max_size, u64::to_string),
        row("FailureLog.Keep", &config.failure_log.keep, |keep| {
            if *keep { "yes" } else { "no" }.to_owned()
        }),
        row(
            "FailureLog.MaxSize",
            &config.failure_log.max_size,
            u64::to_string,
        ),
    ]
}

fn write_text(rows: &[Row], config: &Config, out: &mut dyn Write) -> io::Result<()> {
    match config.files.as_slice() {
        [] => writeln!(out, "# No configuration file: every value is built in.")?,
        files => {
            let files: Vec<String> = files.iter().map(ToString::to_string).collect();
            writeln!(out, "# Read, in order: {}", files.join(", "))?;
        }
    }
    let mut section = "";
    for (name, value, source) in rows {
        let (this, key) = name.split_once('.').expect("Section.Key");
        if this != section {
            writeln!(out, "\n[{this}]")?;
            section = this;
        }
        writeln!(out, "{key}={value}  # {source}")?;
    }
    Ok(())
}
