//! Why a record may not follow the journal's current state, in words.

use crate::model::event::{BootId, Event};
use crate::model::stage::Stage;
use crate::model::state::State;

/// Why a record may not follow the journal's current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransitionError {
    /// The event is not allowed in this state.
    #[error("cannot record {} while the attempt is {state}: {why}", describe(.event))]
    OutOfOrder {
        /// The state.
        state: State,
        /// The event that was to be recorded.
        event: Box<Event>,
        /// The rule that forbids it.
        why: &'static str,
    },
    /// `begin`/`end` name a stage that is not mutating.
    #[error("stage `{stage}` does not mutate the machine, so it has no begin/end records")]
    NotMutating {
        /// The stage.
        stage: Stage,
    },
    /// A stage may only begin after the stages before it.
    #[error(
        "stage `{next}` cannot begin after `{after}`: stages run in boot order, each once per boot"
    )]
    StageOrder {
        /// The stage that ran last.
        after: Stage,
        /// The stage that was to begin.
        next: Stage,
    },
    /// A hook's record after the attempt stopped (complete or poisoned).
    #[error("{}", stopped_words(*state, *refused_this_boot))]
    AttemptStopped {
        /// [`State::Complete`] or [`State::Poisoned`].
        state: State,
        /// Whether this very boot's `check` refused provisioning.
        refused_this_boot: bool,
    },
    /// A hook's record from a boot that has not run `check`.
    #[error(
        "boot {this} has not run `check`: attempt {epoch} belongs to boot {}; `check` must classify this boot before any hook",
        running.map_or_else(|| "none".to_owned(), |boot| boot.to_hex())
    )]
    NotCheckedBoot {
        /// The attempt.
        epoch: u32,
        /// The boot running the attempt, if any.
        running: Option<BootId>,
        /// The boot the record comes from.
        this: BootId,
    },
    /// An attempt number that does not follow the current one.
    #[error("attempt {found} cannot follow attempt {current}")]
    EpochOutOfOrder {
        /// The current attempt.
        current: u32,
        /// The attempt in the record.
        found: u32,
    },
}

fn stopped_words(state: State, refused_this_boot: bool) -> String {
    if refused_this_boot {
        format!(
            "this boot's `check` refused provisioning (the attempt is {state}): no hook runs on this boot"
        )
    } else {
        format!("the attempt is {state}: no hook runs until an operator's `reset` or a new attempt")
    }
}

/// The event as an error names it: the command that writes it.
fn describe(event: &Event) -> String {
    match event {
        Event::StageBegan { stage } => format!("`begin {stage}`"),
        Event::StageEnded { stage } => format!("`end {stage}`"),
        Event::StageFailed { stage, .. } => format!("`fail {stage}`"),
        other => format!("`{}`", other.kind()),
    }
}
