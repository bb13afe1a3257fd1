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
    /// An operator's `reset`, with how the same boot had ended before it
    /// (a refusal or a poisoning, when the operator reset from the
    /// emergency shell of the boot that stopped).
    Reset {
        /// How the boot had ended before the reset, if it had.
        before: Option<Box<BootEnd>>,
    },
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
            Event::Reset { .. } => Some(BootEnd::Reset {
                before: end.map(Box::new),
            }),
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
        (Some(BootEnd::Reset { .. }), _) => "reset",
        (None, true) => "cut",
        (None, false) => "open",
    }
}

/// The end column of the overview: at most 19 characters, which keeps its
/// lines within 80 columns, but for a failed call whose name is long
/// (`begin umount: exit 30`), shown in its one form all the same. A failed
/// stage's column says `FAIL` already; a failure past the red line
/// poisoned the attempt. A reset on a boot that had ended otherwise shows
/// both, the first in a word where the two would not fit (`poisoned;
/// reset`).
pub fn end_column(boot: &BootSummary, followed: bool) -> String {
    if let Some(BootEnd::Reset {
        before: Some(before),
    }) = &boot.end
    {
        let before = match before.as_ref() {
            BootEnd::Poisoned | BootEnd::StageFailed(_) | BootEnd::ConfigChanged => {
                "poisoned".to_owned()
            }
            other => column_word(other),
        };
        return format!("{before}; reset");
    }
    match (&boot.end, followed) {
        (Some(end), _) => column_word(end),
        (None, true) => "cut".to_owned(),
        (None, false) => "running or cut".to_owned(),
    }
}

/// [`end_column`] for a boot that ended by a record.
fn column_word(end: &BootEnd) -> String {
    match end {
        BootEnd::Complete => "complete".to_owned(),
        BootEnd::Reboot(reason) => format!("reboot ({})", reboot_word(reason)),
        BootEnd::Refused => "refused".to_owned(),
        BootEnd::Poisoned => "refused, poisoned".to_owned(),
        BootEnd::StageFailed(stage) if stage.is_past_red_line() => "failed, poisoned".to_owned(),
        BootEnd::StageFailed(_) => "failed".to_owned(),
        // The one form of a failed call, even where it is wider than the
        // column (`begin umount: exit 30`): the last column may run past.
        BootEnd::CallFailed(call, status) => call.failed_with(*status),
        BootEnd::ConfigChanged => "config changed".to_owned(),
        BootEnd::Reset { .. } => "reset".to_owned(),
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
        (Some(end), _) => ended_in_words(end),
        (None, true) => format!("cut {place}"),
        (None, false) => format!("running or cut {place}"),
    }
}

/// [`in_words`] for a boot that ended by a record; a reset after another
/// end shows both (`refused, poisoned, then reset`: `; ` parts boots).
fn ended_in_words(end: &BootEnd) -> String {
    match end {
        BootEnd::Complete => "complete".to_owned(),
        BootEnd::Reboot(reason) => format!("reboot ({})", reboot_word(reason)),
        BootEnd::Refused => "refused".to_owned(),
        BootEnd::Poisoned => "refused, poisoned".to_owned(),
        BootEnd::StageFailed(stage) => format!("{stage} failed"),
        BootEnd::CallFailed(call, status) => call.failed_with(*status),
        BootEnd::ConfigChanged => "config changed".to_owned(),
        BootEnd::Reset { before: None } => "reset".to_owned(),
        BootEnd::Reset {
            before: Some(before),
        } => format!("{}, then reset", ended_in_words(before)),
    }
}

fn reboot_word(reason: &RebootReason) -> &'static str {
    match reason {
        RebootReason::Kargs => "kargs",
        RebootReason::Fips => "fips",
        RebootReason::Other(_) => "other",
    }
}
