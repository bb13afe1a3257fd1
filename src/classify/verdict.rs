//! The classifier's verdicts, and each one in words.

use std::fmt;

use serde::Serialize;

use crate::model::event::{PoisonReason, RebootReason};
use crate::model::stage::Stage;
use crate::model::state::CallFailure;
use crate::model::words::count;

/// Why nothing is to be journaled on this boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NotApplicable {
    /// A live system: provisioning runs on every boot by design.
    LiveSystem,
    /// Not a provisioning boot.
    NotFirstBoot,
}

/// The classification of a boot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
#[non_exhaustive]
pub enum Verdict {
    /// Nothing to do on this boot.
    NotApplicable {
        /// Why.
        why: NotApplicable,
    },
    /// No attempt in progress: a new one starts.
    FirstRun {
        /// Its number.
        epoch: u32,
    },
    /// A complete attempt is rerun on the developer's explicit request.
    ForcedRerun {
        /// The new attempt's number.
        epoch: u32,
        /// The token that asked for it.
        token: String,
    },
    /// Interrupted before the red line: rerunning is safe.
    SafeRetry {
        /// The attempt.
        epoch: u32,
        /// Unplanned restarts so far, this one included.
        restarts: u32,
        /// The limit.
        limit: u32,
        /// The stage whose recorded failure ended the last boot, if one
        /// did; `None` for an interruption.
        failed_stage: Option<Stage>,
        /// The call whose recorded failure stopped the last boot, if one
        /// did (`check` refused to restore the kept config, say).
        failed_call: Option<CallFailure>,
    },
    /// A planned reboot before the red line: go on.
    ResumeAfterPlannedReboot {
        /// The attempt.
        epoch: u32,
        /// Why the reboot was planned.
        reason: RebootReason,
    },
    /// `check` already ran on this boot; provisioning is under way.
    SameBoot {
        /// The attempt.
        epoch: u32,
    },
    /// The restart cannot be proven safe: provisioning must stop, and the
    /// journal is poisoned.
    FatalInterruption {
        /// Why.
        reason: PoisonReason,
    },
    /// The attempt completed; a rerun needs an explicit act.
    AlreadyComplete {
        /// The attempt.
        epoch: u32,
    },
    /// The journal is poisoned; provisioning waits for an operator.
    Poisoned {
        /// The attempt.
        epoch: u32,
    },
}

impl Verdict {
    /// Whether provisioning may go on.
    pub fn may_proceed(&self) -> bool {
        match self {
            Verdict::NotApplicable { .. }
            | Verdict::FirstRun { .. }
            | Verdict::ForcedRerun { .. }
            | Verdict::SafeRetry { .. }
            | Verdict::ResumeAfterPlannedReboot { .. }
            | Verdict::SameBoot { .. } => true,
            Verdict::FatalInterruption { .. }
            | Verdict::AlreadyComplete { .. }
            | Verdict::Poisoned { .. } => false,
        }
    }

    /// The verdict's name, as JSON spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::NotApplicable { .. } => "not_applicable",
            Verdict::FirstRun { .. } => "first_run",
            Verdict::ForcedRerun { .. } => "forced_rerun",
            Verdict::SafeRetry { .. } => "safe_retry",
            Verdict::ResumeAfterPlannedReboot { .. } => "resume_after_planned_reboot",
            Verdict::SameBoot { .. } => "same_boot",
            Verdict::FatalInterruption { .. } => "fatal_interruption",
            Verdict::AlreadyComplete { .. } => "already_complete",
            Verdict::Poisoned { .. } => "poisoned",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::NotApplicable {
                why: NotApplicable::LiveSystem,
            } => f.write_str("live system: provisioning runs on every boot, nothing is journaled"),
            Verdict::NotApplicable {
                why: NotApplicable::NotFirstBoot,
            } => f.write_str(
                "not a provisioning boot (no first-boot kernel argument or stamp): nothing to do",
            ),
            Verdict::FirstRun { epoch } => {
                write!(f, "first run: provisioning attempt {epoch} starts")
            }
            Verdict::ForcedRerun { epoch, token } => write!(
                f,
                "forced rerun (token {token:?}): provisioning attempt {epoch} starts over a completed one"
            ),
            Verdict::SafeRetry {
                epoch,
                restarts,
                limit,
                failed_call: Some(failure),
                ..
            } => write!(
                f,
                "safe retry: the last boot of attempt {epoch} stopped at a failed call ({}), before any disk was touched (restart {restarts} of {limit})",
                failure.call.failed_with(failure.status)
            ),
            Verdict::SafeRetry {
                epoch,
                restarts,
                limit,
                failed_stage: None,
                failed_call: None,
            } => write!(
                f,
                "safe retry: attempt {epoch} was interrupted before any disk was touched (restart {restarts} of {limit})"
            ),
            Verdict::SafeRetry {
                epoch,
                restarts,
                limit,
                failed_stage: Some(stage),
                failed_call: None,
            } => write!(
                f,
                "safe retry: stage {stage} of attempt {epoch} failed before any disk was touched (restart {restarts} of {limit})"
            ),
            Verdict::ResumeAfterPlannedReboot { epoch, reason } => write!(
                f,
                "resume: attempt {epoch} goes on after its planned reboot ({reason})"
            ),
            Verdict::SameBoot { epoch } => write!(
                f,
                "attempt {epoch} is already under way on this boot: nothing new to record"
            ),
            Verdict::FatalInterruption { reason } => {
                f.write_str("fatal: ")?;
                describe_poison(reason, f)?;
                f.write_str("; provisioning stops for an operator ")?;
                f.write_str(WHAT_TO_DO)
            }
            Verdict::AlreadyComplete { epoch } => write!(
                f,
                "attempt {epoch} already completed: provisioning does not run again {WHAT_TO_DO}"
            ),
            Verdict::Poisoned { epoch } => write!(
                f,
                "attempt {epoch} is poisoned: provisioning stays stopped for an operator {WHAT_TO_DO}"
            ),
        }
    }
}

/// Where a verdict that stops provisioning sends the operator. The way out
/// depends on what became of the disks (`reset` only once they are wiped
/// back to their state before provisioning; otherwise removing the
/// first-boot marker), which one line cannot weigh: the report does.
const WHAT_TO_DO: &str = "(`provision-journal status` says what to do)";

/// Says why a `check` poisoned the journal, in words.
pub(crate) fn describe_poison(reason: &PoisonReason, f: &mut impl fmt::Write) -> fmt::Result {
    match reason {
        PoisonReason::Interrupted {
            stage,
            stage_running,
            boot,
            last_seq,
            ..
        } => {
            let during = if *stage_running { "during" } else { "after" };
            write!(
                f,
                "boot {} was interrupted {during} stage {stage}, past the red line (its last record is #{last_seq})",
                boot.short()
            )
        }
        PoisonReason::TornTailAtRedLine { offset, len } => write!(
            f,
            "the journal ends in {} at offset {offset}, enough to hide the start of the disks stage",
            count(*len, "torn byte")
        ),
        PoisonReason::RetriesExhausted { restarts, limit } => write!(
            f,
            "{} before the red line, more than the {limit} allowed",
            count(*restarts, "unplanned restart")
        ),
        PoisonReason::PlannedRebootsExhausted { reboots, limit } => write!(
            f,
            "{}, more than the {limit} allowed (a reboot loop)",
            count(*reboots, "planned reboot")
        ),
    }
}
