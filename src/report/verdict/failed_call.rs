//! The advice on a recorded call failure (`CallFailed`): a boot that
//! stopped because a provision-journal call failed after its `check`, not
//! because of a power cut. The retry that follows stops the same way until
//! the cause is fixed, so the advice names it, and where its whole message
//! is, before the retry budget is spent on it.

use crate::model::state::CallFailure;

use super::super::escape::quoted;
use super::{DUMP_SHOWS_LOG, KeptLog, kept_for};

/// What stopped the boot, in words: the call, its exit status, the
/// recorded reason, and where the whole message is: the failure log kept
/// for that boot, if there is one, and that boot's journal on the machine,
/// if it survived.
pub(super) fn what_stopped(failure: &CallFailure, log: &KeptLog<'_>) -> String {
    let boot = failure.boot.to_hex();
    let lines = "the lines that begin with `provision-journal:`";
    let message = match log.of(failure.boot) {
        Some(binding) => format!(
            "The end of that boot's log is kept beside the journal, for {}: {DUMP_SHOWS_LOG}, with the whole message in {lines}; `journalctl -b {boot}` on that machine shows them too, if that boot's journal survived.",
            kept_for(binding)
        ),
        None => format!(
            "`journalctl -b {boot}` on that machine shows the whole message, in {lines}, if that boot's journal survived."
        ),
    };
    format!(
        "Boot {boot} recorded what stopped it, a failed call ({}, {}; `provision-journal --help` lists what each exit status means). {message}",
        failure.call.failed_with(failure.status),
        quoted(&failure.reason),
    )
}

/// The advice on a safe retry after a boot that a failed call stopped.
pub(super) fn retry_advice(failure: &CallFailure, log: &KeptLog<'_>) -> String {
    format!(
        "{} The next boot retries, and stops the same way unless that is fixed, until the retry budget is spent: fix it first{}. The disks were not touched.",
        what_stopped(failure, log),
        fix_hint(failure.status)
    )
}

/// Where the fix usually is, for the statuses a failed call records
/// (`spec/CLI.md`).
fn fix_hint(status: u8) -> &'static str {
    match status {
        30 => " (the units call the hooks in an order the rules refuse: look at the drop-ins)",
        53 => " (why the config Ignition should have left cannot be read)",
        54 => {
            " (`[Cache] RestoreTo` must be on a tmpfs or ramfs, as the initramfs's / and /run are)"
        }
        55 => " (a larger `[Cache] MaxSize`, or `[Cache] KeepConfig=no`)",
        _ => "",
    }
}
