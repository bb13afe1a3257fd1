//! Which record a failure log belongs to: the failure or the stop it was
//! kept for, as its header names it, and which log replaces which.

use crate::model::event::{BootId, Event};
use crate::model::stage::Stage;

/// What the record a log is kept for did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// A stage failed (`fail STAGE`), or a call did after `check`.
    Failed,
    /// `check` stopped provisioning (its poisoning or its refusal).
    Stopped,
}

/// Whether a failure log may be kept for a record of this kind, and as
/// what. The one place that names those records: a new record of what
/// stopped a boot is added here.
pub(crate) fn anchor(event: &Event) -> Option<Anchor> {
    match event {
        Event::StageFailed { .. } | Event::CallFailed { .. } => Some(Anchor::Failed),
        Event::Poisoned { .. } | Event::BootRefused => Some(Anchor::Stopped),
        Event::AttemptStarted { .. }
        | Event::Restarted { .. }
        | Event::ConfigFetched { .. }
        | Event::StageBegan { .. }
        | Event::StageEnded { .. }
        | Event::RebootPlanned { .. }
        | Event::Completed
        | Event::Reset { .. }
        | Event::TailRepaired { .. }
        | Event::ConfigKept { .. }
        | Event::ConfigRestored { .. }
        | Event::KeptConfigRemoved { .. } => None,
    }
}

/// The record a failure log is kept for, as its header names it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Binding {
    /// The record's sequence number.
    pub seq: u64,
    /// The attempt it belongs to.
    pub attempt: u32,
    /// The boot that wrote it (and whose log this is).
    pub boot: BootId,
    /// Its kind, as `dump --json` names it (`stage_failed`).
    pub event: String,
    /// The stage that failed, for a failure.
    pub stage: Option<Stage>,
}

impl Binding {
    /// What the record did, from its kind.
    pub(crate) fn anchor(&self) -> Anchor {
        match self.event.as_str() {
            "stage_failed" | "call_failed" => Anchor::Failed,
            _ => Anchor::Stopped,
        }
    }
}

/// Whether a log for a record of kind `new` in attempt `attempt` replaces
/// the log on disk (bound to `existing`, `None` for none or one that
/// cannot be read). A failure's log replaces any: the latest failure is
/// the one to read. A stop's log (`check` poisoning or refusing) is kept
/// only when the attempt has none yet, so that refused boots never replace
/// the log of the failure that stopped the attempt, nor the first stop's.
pub(crate) fn replaces(new: Anchor, attempt: u32, existing: Option<&Binding>) -> bool {
    match (new, existing) {
        (_, None) | (Anchor::Failed, Some(_)) => true,
        (Anchor::Stopped, Some(old)) => old.attempt != attempt,
    }
}
