//! The advice on a recorded call failure (`CallFailed`): a boot that
//! stopped because a provision-journal call failed after its `check`, not
//! because of a power cut. The retry that follows stops the same way until
//! the cause is fixed, so the advice names it, and where its whole message
//! is, before the retry budget is spent on it.

use crate::model::state::CallFailure;

use super::super::escape::quoted;

/// What stopped the boot, in words: the call, its exit status, the
/// recorded reason, and where the whole message is.
pub(super) fn what_stopped(failure: &CallFailure) -> String {
    format!(
        "Boot {} recorded what stopped it: `{}` failed with exit status {} ({}; `provision-journal --help` lists what each status means); `journalctl -b {}` on that machine shows the whole message, in the lines that begin with `provision-journal:`.",
        failure.boot.to_hex(),
        failure.call,
        failure.status,
        quoted(&failure.reason),
        failure.boot.to_hex()
    )
}

/// The advice on a safe retry after a boot that a failed call stopped.
pub(super) fn retry_advice(failure: &CallFailure) -> String {
    format!(
        "{} The next boot retries, and stops the same way unless that is fixed, until the retry budget is spent: fix it first{}. The disks were not touched.",
        what_stopped(failure),
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
