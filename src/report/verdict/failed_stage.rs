//! The advice on a safe retry after a stage failed before the red line (a
//! fetch stage, or `kargs`). Nothing goes on by itself: the failed unit put
//! that boot in emergency mode, where it stays until someone reboots it,
//! and a cause that stays (a wrong config URL, no network) fails each retry
//! the same way, spending the retry budget until the attempt is poisoned.
//! So the advice says to reboot, and to fix a lasting cause first, with
//! where that stage's log is. Once a mutating stage began, the config is
//! not a cause to fix: a different one poisons the attempt.

use crate::model::event::BootId;
use crate::model::stage::Stage;

use super::{DUMP_SHOWS_LOG, KeptLog, kept_for};

/// What the advice knows of the failure.
pub(super) struct FailedStage {
    /// The stage that failed.
    pub stage: Stage,
    /// The boot it failed on (the boot running the attempt), when the
    /// journal names it.
    pub boot: Option<BootId>,
    /// The furthest mutating stage the attempt began, whose config is
    /// then bound for good.
    pub mutated_stage: Option<Stage>,
    /// The next provisioning boot is restart `restarts` of `limit`.
    pub restarts: u32,
    /// The retry budget.
    pub limit: u32,
}

/// The advice on a retry after `failed.stage` failed.
pub(super) fn retry_advice(failed: FailedStage, log: &KeptLog<'_>) -> String {
    let FailedStage {
        stage,
        boot,
        mutated_stage,
        restarts,
        limit,
    } = failed;
    let unit = format!("ignition-{stage}.service");
    let (on_boot, read) = match boot {
        Some(boot) => {
            let hex = boot.to_hex();
            let journalctl = format!("`journalctl -b {hex} -u {unit}`");
            let read = match log.of(boot) {
                Some(binding) => format!(
                    "Its log of that boot ends beside the journal, kept for {}, and {DUMP_SHOWS_LOG}; all of it is in {journalctl} on that machine, if that boot's journal survived, or on the console.",
                    kept_for(binding)
                ),
                None => format!(
                    "Its log of that boot is in {journalctl} on that machine, if that boot's journal survived, or on the console."
                ),
            };
            (format!(" on boot {hex}"), read)
        }
        None => (
            String::new(),
            format!("Its log is in `journalctl -u {unit}` for that boot, or on the console."),
        ),
    };
    let last = match restarts >= limit {
        true => ", the last one the retry budget allows",
        false => "",
    };
    let causes = match mutated_stage {
        Some(began) => format!(
            "the machine or the network, not the config: stage {began} already ran under it, and a different config now poisons the attempt"
        ),
        None => "a wrong config URL, no network, a config the stage refuses".to_owned(),
    };
    format!(
        "Stage {stage} failed{on_boot}, before the red line: the disks were not touched. \
The failed unit put that boot in emergency mode, where it stays until someone reboots it; \
the reboot retries provisioning (restart {restarts} of {limit}{last}). \
If the failure will repeat, fix its cause first ({causes}): \
each boot that fails again spends one more restart of the budget, and once it is spent the attempt is poisoned. {read}"
    )
}
