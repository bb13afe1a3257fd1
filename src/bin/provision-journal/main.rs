//! `provision-journal`: the stage hooks Ignition's units call, and the
//! commands operators and support engineers use. Every rule lives in the
//! library; this binary reads the boot's context, finds the journal, calls
//! the library and maps the outcome to an exit status (`spec/CLI.md`).

mod args;
mod check;
mod dump;
mod evidence;
mod exit;
mod failure;
mod fetched;
mod hook;
mod journald;
mod keep_log;
mod location;
mod many;
mod metrics;
mod mount;
mod output;
mod recreated;
mod restore;
mod settings;
mod simulate;
mod status;
mod stdin;

use std::process::ExitCode;

use provision_journal::RebootReason;
use provision_journal::boot_context::{
    BootInputs, firstboot_stamp_exists, read_cmdline, running_system_is_live,
};
use provision_journal::hooks::Hook;

use crate::args::{Cli, Command};
use crate::exit::{Exit, Failure};
use crate::location::{Access, with_journal};

fn main() -> ExitCode {
    let cli = args::parse();
    // The writers' outcomes are also journald entries; the reports' are not.
    if let Some(name) = writer_name(&cli.command) {
        evidence::set_command(name);
    }
    match run(&cli) {
        Ok(exit) => exit.into(),
        Err(failure) => {
            match writer_name(&cli.command) {
                Some(_) => {
                    evidence::tell_failure(evidence::failure_entry(failure.exit, &failure.message))
                }
                None => output::complain(format_args!("provision-journal: {}", failure.message)),
            }
            failure.exit.into()
        }
    }
}

fn run(cli: &Cli) -> Result<Exit, Failure> {
    if let Command::Simulate { cut_at, keep } = &cli.command {
        return simulate::run(cut_at, keep.as_deref());
    }
    // Read once per call: the budgets' overrides, live detection and
    // `check`'s context all come from it. `reset` needs none of them.
    let cmdline = match cli.command {
        Command::Reset { .. } => None,
        _ => Some(read_cmdline()?),
    };
    let config = settings::load(cli, cmdline.as_deref())?;
    let lock_wait = std::time::Duration::from_secs(config.lock_timeout_sec.value);
    if let (Some(name), Some(cmdline)) = (hook_name(&cli.command), &cmdline)
        && running_system_is_live(&config.signals, cmdline)?
    {
        // Before anything else a hook would do (such as reading the config
        // `fetched --config` names, which a live system may not have).
        output::say(format_args!(
            "live system: provisioning runs on every boot, `{name}` records nothing"
        ));
        return Ok(Exit::Ok);
    }
    let mut keep: Option<Vec<u8>> = None;
    let hook = match &cli.command {
        Command::Simulate { .. } => unreachable!("simulate reads no configuration"),
        Command::Config { json, get } => return settings::show(&config, *json, get.as_deref()),
        Command::Dump { json, paths } if !paths.is_empty() => {
            stdin::read_once(paths)?;
            return Ok(many::each(
                paths,
                |path| dump::run(path, *json, &config.policy),
                !*json,
            ));
        }
        Command::Dump { json, .. } => {
            return with_journal(cli, &config, Access::Read, |path| {
                dump::run(path, *json, &config.policy)
            });
        }
        Command::Status {
            prometheus: Some(file),
            paths,
            ..
        } => {
            stdin::read_once(paths)?;
            return status::write_metrics(cli, &config, paths, file);
        }
        Command::Status {
            json,
            oneline,
            paths,
            ..
        } => {
            let form = status::Form::of(*json, *oneline);
            if !paths.is_empty() {
                stdin::read_once(paths)?;
                let headers = form == status::Form::Text;
                return Ok(many::each(
                    paths,
                    |path| status::run(path, form, &config, true),
                    headers,
                ));
            }
            return status::run_at_location(cli, form, &config);
        }
        Command::KeepLog { log } => {
            if !config.failure_log.keep.value {
                output::say(format_args!(
                    "failure logs are switched off ([FailureLog] Keep=no, {}): nothing was kept",
                    config.failure_log.keep.source
                ));
                return Ok(Exit::Ok);
            }
            // Read before the boot partition is mounted: the log may come
            // from a pipe that is slow to end.
            let input = keep_log::read_input(log, &config.failure_log)?;
            return with_journal(cli, &config, Access::Write, |path| {
                keep_log::run(path, input)
            });
        }
        Command::Reset { reason } => {
            let hook = Hook::Reset(reason.clone());
            let cache = hook::Cache {
                keeping: config.cache.keep_config.value,
                keep: None,
                restore_to: &config.cache.restore_to.value,
            };
            return with_journal(cli, &config, Access::Write, |path| {
                hook::run(path, &hook, lock_wait, cache, Default::default())
            });
        }
        Command::Check => {
            let signals = &config.signals;
            let cmdline = cmdline.clone().unwrap_or_default();
            let mut inputs = BootInputs::read_system(cmdline, signals, config.policy.policy())?;
            if inputs.is_live() {
                // A live system has no boot partition to hold a stamp.
                return check::run(&cli.journal, &inputs, lock_wait, None);
            }
            return with_journal(cli, &config, Access::Write, |path| {
                inputs.firstboot_stamp = firstboot_stamp_exists(path, signals)?;
                check::run(path, &inputs, lock_wait, Some(&config.cache))
            });
        }
        Command::Fetched(fetched) => match (&fetched.sha256, &fetched.config) {
            (Some(sha256), _) => Hook::Fetched(*sha256),
            (None, Some(path)) => {
                let cache = &config.cache;
                let read = match fetched::read(path, cache.keep_config.value, cache.max_size.value)
                {
                    Ok(read) => read,
                    Err(failed) => return Err(record_fetched_failure(cli, &config, failed)),
                };
                keep = read.keep;
                Hook::Fetched(read.sha256)
            }
            (None, None) => unreachable!("clap requires --config or --sha256"),
        },
        Command::Begin { stage } => Hook::Begin(*stage),
        Command::End { stage } => Hook::End(*stage),
        Command::Fail { stage, reason } => Hook::Fail(*stage, reason.clone()),
        Command::Reboot { reason } => Hook::Reboot(RebootReason::parse(reason)),
        Command::Complete => Hook::Complete,
    };
    let cache = hook::Cache {
        keeping: config.cache.keep_config.value,
        keep: keep.as_deref(),
        restore_to: &config.cache.restore_to.value,
    };
    let recreated = recreated::Settings {
        saved_copy_dir: config.saved_copy_dir.value.as_deref(),
        stamp: config.signals.firstboot_stamp.value.as_deref(),
    };
    with_journal(cli, &config, Access::Write, |path| {
        hook::run(path, &hook, lock_wait, cache, recreated)
    })
}

/// Records the failure of `fetched` to read or keep its config, which comes
/// before it opens the journal, on the journal wherever it is (mounting the
/// boot device for it).
fn record_fetched_failure(
    cli: &Cli,
    config: &provision_journal::config::Config,
    failed: Failure,
) -> Failure {
    if failed.brief.is_none() {
        return failed;
    }
    let lock_wait = std::time::Duration::from_secs(config.lock_timeout_sec.value);
    let (exit, message, brief) = (failed.exit, failed.message.clone(), failed.brief.clone());
    let recorded = with_journal(cli, config, Access::Write, |path| {
        Ok(failure::record_at(
            path,
            Some(provision_journal::event::CallName::Fetched),
            failed,
            lock_wait,
        ))
    });
    recorded.unwrap_or_else(|unrecorded| Failure {
        exit,
        message: format!(
            "{message}; the failure could not be recorded: {}",
            unrecorded.message
        ),
        brief,
    })
}

/// The name of a command that writes the journal (`check`, a hook,
/// `reset`), or `None` for the reports, `config` and `simulate`.
fn writer_name(command: &Command) -> Option<String> {
    match command {
        Command::Check => Some("check".to_owned()),
        Command::Reset { .. } => Some("reset".to_owned()),
        other => hook_name(other),
    }
}

/// The name of a hook command as typed (`fetched`, `begin disks`), or
/// `None` for the commands that are not hooks.
fn hook_name(command: &Command) -> Option<String> {
    match command {
        Command::Fetched(_) => Some("fetched".to_owned()),
        Command::Begin { stage } => Some(format!("begin {stage}")),
        Command::End { stage } => Some(format!("end {stage}")),
        Command::Fail { stage, .. } => Some(format!("fail {stage}")),
        Command::Reboot { .. } => Some("reboot".to_owned()),
        Command::Complete => Some("complete".to_owned()),
        Command::KeepLog { .. } => Some("keep-log".to_owned()),
        Command::Check
        | Command::Status { .. }
        | Command::Reset { .. }
        | Command::Dump { .. }
        | Command::Config { .. }
        | Command::Simulate { .. } => None,
    }
}
