//! The advice on a completed attempt: nothing to do, unless boots were
//! refused since. Provisioning again takes a provisioning boot: `reset`
//! and `provision_journal.rerun=TOKEN` act only on a boot that carries
//! the first-boot marker. Those mean that the first-boot marker outlived the first
//! boot, and every boot stops in emergency mode until it is removed. Never
//! `reset` for that: with the marker in place, the next boot would
//! provision the machine a second time.

use crate::classify::REFUSED_BOOTS_RECORDED;
use crate::model::state::Progress;

use super::super::human::{agreeing, count};
use super::{FIRSTBOOT_MARKER, REMOVE_MARKER, RESET};

/// What the operator can do about the completed attempt `progress` holds.
pub(super) fn advice(progress: &Progress) -> String {
    let refused = progress.refused_boots;
    if refused == 0 {
        return format!(
            "Nothing to do. To provision again on purpose, the boot must be a provisioning boot: put back {FIRSTBOOT_MARKER}, which the first boot removed once it completed, and either run `{RESET}` before that boot or give it the kernel argument `provision_journal.rerun=TOKEN` too (a token not used before). Without the marker, neither does anything: the boot is an ordinary one."
        );
    }
    let recorded = match refused >= REFUSED_BOOTS_RECORDED {
        true => format!(" (only the first {REFUSED_BOOTS_RECORDED} are recorded)"),
        false => String::new(),
    };
    let boots = match (refused, progress.refused_boot) {
        (1, Some(boot)) => format!("a later boot, {},", boot.to_hex()),
        (1, None) => "a later boot".to_owned(),
        (n, Some(boot)) => format!("{}, the last {},", count(n, "later boot"), boot.to_hex()),
        (n, None) => count(n, "later boot"),
    };
    format!(
        "Provisioning completed, and nothing needs to run again; but {boots} {} refused since{recorded}. \
{} in emergency mode, and every boot will, as long as {FIRSTBOOT_MARKER} is still there. \
The first boot removes it once it completed (on Fedora CoreOS from the real root, by `coreos-ignition-firstboot-complete.service`), \
unless a power cut or a failure comes first. Remove it: {REMOVE_MARKER}. \
Do not run `reset` for this: with the marker still there, the next boot would provision the machine a second time.",
        agreeing(refused, "was", "were"),
        agreeing(refused, "It stopped", "Each of them stopped"),
    )
}
