//! How each boot ended, by its records: what the overview at the top of
//! `dump`, the one-line form of `status` and `boots[].ended` in the JSON
//! say for it. A boot ends by a record (completion, a planned reboot, a
//! refusal, a failure, a reset) or by none, and then it was cut (a later
//! boot followed) or may still be running (the journal's last boot).

use crate::model::event::{CallName, Event, RebootReason};
use crate::model::stage::Stage;
use crate::model::state::State;

use super::timeline::{BootSummary, StageResult};
use super::walk::{Body, Entry};

/// The record a boot's records end with, when one says how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BootEnd {
    /// `complete`.
    Complete,
    /// A planned reboot, for this reason.
    Reboot(RebootReason),
    /// `check` refused the boot (a complete or poisoned attempt).
    Refused,
    /// `check` poisoned the attempt, and so refused the boot.
    Poisoned,
    /// A stage failed.
    StageFailed(Stage),
    /// A call failed after `check`, with this exit status.
    CallFailed(CallName, u8),
    /// `fetched` found another config after a mutating stage, which
    /// poisoned the attempt.
    ConfigChanged,
    /// An operator's `reset`.
    Reset,
}

impl BootEnd {
    /// How the boot has ended after one more of its records: a record that
    /// ends a boot says how; the others leave it as it was.
    pub fn after(end: Option<BootEnd>, entry: &Entry) -> Option<BootEnd> {
        let Body::Known(event) = &entry.body else {
            return end;
        };
        let poisoned = matches!(entry.after, Some((_, State::Poisoned)));
        match event {
            Event::Completed => Some(BootEnd::Complete),
            Event::RebootPlanned { reason } => Some(BootEnd::Reboot(reason.clone())),
            Event::BootRefused => Some(BootEnd::Refused),
            Event::Poisoned { .. } => Some(BootEnd::Poisoned),
            Event::StageFailed { stage, .. } => Some(BootEnd::StageFailed(*stage)),
            Event::CallFailed { call, status, .. } => Some(BootEnd::CallFailed(*call, *status)),
            Event::ConfigFetched { .. } | Event::ConfigKept { .. } if poisoned => {
                Some(BootEnd::ConfigChanged)
            }
            Event::Reset { .. } => Some(BootEnd::Reset),
            Event::AttemptStarted { .. }
            | Event::Restarted { .. }
            | Event::ConfigFetched { .. }
            | Event::ConfigKept { .. }
            | Event::StageBegan { .. }
            | Event::StageEnded { .. }
            | Event::TailRepaired { .. }
            | Event::ConfigRestored { .. }
            | Event::KeptConfigRemoved { .. } => end,
        }
    }
}

/// The name `boots[].ended` of `dump --json` gives how `boot` ended;
/// `followed` when a later boot came after it.
pub fn ended_name(boot: &BootSummary, followed: bool) -> &'static str {
    match (&boot.end, followed) {
        (Some(BootEnd::Complete), _) => "complete",
        (Some(BootEnd::Reboot(_)), _) => "planned_reboot",
        (Some(BootEnd::Refused), _) => "refused",
        (Some(BootEnd::Poisoned), _) => "poisoned",
        (Some(BootEnd::StageFailed(_)), _) => "stage_failed",
        (Some(BootEnd::CallFailed(..)), _) => "call_failed",
        (Some(BootEnd::ConfigChanged), _) => "config_changed",
        (Some(BootEnd::Reset), _) => "reset",
        (None, true) => "cut",
        (None, false) => "open",
    }
}

/// The end column of the overview: at most 19 characters, which keeps its
/// lines within 80 columns, but for a failed call whose name is long
/// (`begin umount: exit 30`), shown in its one form all the same. A failed
/// stage's column says `FAIL` already; a failure past the red line
/// poisoned the attempt.
pub fn end_column(boot: &BootSummary, followed: bool) -> String {
    match (&boot.end, followed) {
        (Some(BootEnd::Complete), _) => "complete".to_owned(),
        (Some(BootEnd::Reboot(reason)), _) => format!("reboot ({})", reboot_word(reason)),
        (Some(BootEnd::Refused), _) => "refused".to_owned(),
        (Some(BootEnd::Poisoned), _) => "refused, poisoned".to_owned(),
        (Some(BootEnd::StageFailed(stage)), _) if stage.is_past_red_line() => {
            "failed, poisoned".to_owned()
        }
        (Some(BootEnd::StageFailed(_)), _) => "failed".to_owned(),
        // The one form of a failed call, even where it is wider than the
        // column (`begin umount: exit 30`): the last column may run past.
        (Some(BootEnd::CallFailed(call, status)), _) => call.failed_with(*status),
        (Some(BootEnd::ConfigChanged), _) => "config changed".to_owned(),
        (Some(BootEnd::Reset), _) => "reset".to_owned(),
        (None, true) => "cut".to_owned(),
        (None, false) => "running or cut".to_owned(),
    }
}

/// How `boot` ended, in a few words for the one-line form of `status`:
/// where it got to, and how it ended.
pub fn in_words(boot: &BootSummary, followed: bool) -> String {
    let last_stage = boot.stages.last();
    let place = match last_stage {
        Some(span) if span.result == StageResult::Running => format!("in {}", span.stage),
        Some(span) => format!("after {}", span.stage),
        None if boot.config.is_some() => "after fetch".to_owned(),
        None => "after check".to_owned(),
    };
    match (&boot.end, followed) {
        (Some(BootEnd::Complete), _) => "complete".to_owned(),
        (Some(BootEnd::Reboot(reason)), _) => format!("reboot ({})", reboot_word(reason)),
        (Some(BootEnd::Refused), _) => "refused".to_owned(),
        (Some(BootEnd::Poisoned), _) => "refused, poisoned".to_owned(),
        (Some(BootEnd::StageFailed(stage)), _) => format!("{stage} failed"),
        (Some(BootEnd::CallFailed(call, status)), _) => call.failed_with(*status),
        (Some(BootEnd::ConfigChanged), _) => "config changed".to_owned(),
        (Some(BootEnd::Reset), _) => "reset".to_owned(),
        (None, true) => format!("cut {place}"),
        (None, false) => format!("running or cut {place}"),
    }
}

fn reboot_word(reason: &RebootReason) -> &'static str {
    match reason {
        RebootReason::Kargs => "kargs",
        RebootReason::Fips => "fips",
        RebootReason::Other(_) => "other",
    }
}
