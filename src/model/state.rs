//! The typed states of a provisioning attempt, and [`Progress`]: the state
//! together with the few facts about the attempt that the rules need.
//!
//! `Progress` is only ever produced by [`crate::model::transition::transition`]
//! from the journal's records, so it is exactly what replaying the journal
//! gives back.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::event::{BootId, CallName, Event, PoisonReason, RebootReason, Sha256};
use crate::model::stage::Stage;

/// Where a mutating stage is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[expect(
    clippy::exhaustive_enums,
    reason = "the state machine of spec/STATES.md: a new step changes what every caller must decide, a breaking change by design (the crate docs, \"Stability\")"
)]
pub enum Step {
    /// Its `begin` record is durable; no `end` or `fail` yet.
    Running,
    /// It finished successfully.
    Ended,
    /// It failed (only before the red line; past it a failure poisons).
    Failed,
}

impl Step {
    /// The step's name as `status`, `dump`, their JSON and the journald
    /// entries spell it: `running`, `ended` or `failed`.
    pub fn name(self) -> &'static str {
        match self {
            Step::Running => "running",
            Step::Ended => "ended",
            Step::Failed => "failed",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The state of the current provisioning attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "state")]
#[expect(
    clippy::exhaustive_enums,
    reason = "the state machine of spec/STATES.md: a new state changes what every caller must decide, a breaking change by design (the crate docs, \"Stability\")"
)]
pub enum State {
    /// No config fetched yet in this attempt's current boot (also the state
    /// of an empty journal, and after an operator's reset).
    #[default]
    Fresh,
    /// The config is fetched; no mutating stage has begun in this boot.
    Fetched,
    /// A mutating stage has begun.
    Mutating {
        /// The stage.
        stage: Stage,
        /// Where it is.
        step: Step,
    },
    /// Provisioning finished.
    Complete,
    /// Provisioning must not run again until an operator acts: `reset`
    /// once the disks are back to their state before provisioning, or the
    /// first-boot marker removed from a machine that is provisioned.
    Poisoned,
}

impl State {
    /// The lower-case name `status --json` uses: `fresh`, `fetched`,
    /// `mutating`, `complete` or `poisoned`.
    pub fn name(&self) -> &'static str {
        match self {
            State::Fresh => "fresh",
            State::Fetched => "fetched",
            State::Mutating { .. } => "mutating",
            State::Complete => "complete",
            State::Poisoned => "poisoned",
        }
    }

    /// The stage of a `Mutating` state.
    pub fn stage(&self) -> Option<Stage> {
        match self {
            State::Mutating { stage, .. } => Some(*stage),
            State::Fresh | State::Fetched | State::Complete | State::Poisoned => None,
        }
    }

    /// Whether a stage at or past the red line has begun and the attempt
    /// has neither completed nor been poisoned.
    pub fn is_past_red_line(&self) -> bool {
        self.stage().is_some_and(Stage::is_past_red_line)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            State::Mutating { stage, step } => write!(f, "mutating ({stage} {step})"),
            other => f.write_str(other.name()),
        }
    }
}

/// Where a boot stopped, when its records end inside a stage or right
/// after a stage past the red line: the one rule behind `status`'s last
/// boot, `dump`'s `stopped_mid_stage` and `stopped_after_stage` and the
/// anomalies of the same names. A boot that ended a stage before the red
/// line goes on by design (to the next stage, or a planned reboot), so
/// only a stage at or past it leaves the boot stopped after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BootStop {
    /// The stage began and no end or fail record followed.
    InStage(Stage),
    /// The stage, at or past the red line, ended, and no later stage or
    /// completion followed.
    AfterStage(Stage),
}

impl BootStop {
    /// The stage the boot stopped in or after.
    pub(crate) fn stage(self) -> Stage {
        match self {
            BootStop::InStage(stage) | BootStop::AfterStage(stage) => stage,
        }
    }

    /// Where records that leave `stage` at `step` leave their boot.
    pub(crate) fn at(stage: Stage, step: Step) -> Option<BootStop> {
        match step {
            Step::Running => Some(BootStop::InStage(stage)),
            Step::Ended if stage.is_past_red_line() => Some(BootStop::AfterStage(stage)),
            Step::Ended | Step::Failed => None,
        }
    }

    /// Where a boot stopped whose records replay to `state`.
    pub(crate) fn of_state(state: &State) -> Option<BootStop> {
        match state {
            State::Mutating { stage, step } => BootStop::at(*stage, *step),
            State::Fresh | State::Fetched | State::Complete | State::Poisoned => None,
        }
    }

    /// Where a boot stopped whose last record is `event` (a salvaged
    /// record has no state to replay to, only its event).
    pub(crate) fn of_event(event: &Event) -> Option<BootStop> {
        match event {
            Event::StageBegan { stage } => BootStop::at(*stage, Step::Running),
            Event::StageEnded { stage } => BootStop::at(*stage, Step::Ended),
            Event::AttemptStarted { .. }
            | Event::Restarted { .. }
            | Event::BootRefused
            | Event::ConfigFetched { .. }
            | Event::StageFailed { .. }
            | Event::RebootPlanned { .. }
            | Event::Completed
            | Event::Poisoned { .. }
            | Event::Reset { .. }
            | Event::TailRepaired { .. }
            | Event::ConfigKept { .. }
            | Event::ConfigRestored { .. }
            | Event::KeptConfigRemoved { .. }
            | Event::CallFailed { .. } => None,
        }
    }
}

/// Why the attempt is poisoned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PoisonCause {
    /// `check` recorded a `Poisoned` event.
    Recorded(PoisonReason),
    /// A stage at or past the red line failed.
    StageFailed {
        /// The stage.
        stage: Stage,
        /// The reason the hook gave.
        reason: String,
    },
    /// A different config was fetched after a mutating stage had begun
    /// under the first one.
    ConfigChanged {
        /// The digest the attempt was bound to.
        bound: Sha256,
        /// The digest fetched now.
        fetched: Sha256,
    },
}

/// The record that poisoned the attempt, and why.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Poison {
    /// Sequence number of the poisoning record.
    pub seq: u64,
    /// The boot that wrote it.
    pub boot: BootId,
    /// Its wall-clock time (Unix milliseconds).
    pub wall_ms: i64,
    /// Why.
    pub cause: PoisonCause,
}

/// The last record replayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LastRecord {
    /// Its sequence number.
    pub seq: u64,
    /// The boot that wrote it.
    pub boot: BootId,
    /// Its wall-clock time (Unix milliseconds).
    pub wall_ms: i64,
}

/// The state the transition function works on: the typed [`State`] plus the
/// attempt's facts that the rules depend on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub struct Progress {
    /// The typed state.
    pub state: State,
    /// The current attempt's number; 0 before the first attempt.
    pub epoch: u32,
    /// Boots the current attempt has run (0 before its first `check`).
    pub boots: u32,
    /// The boot running the current attempt, if any.
    pub boot: Option<BootId>,
    /// Unplanned restarts in this attempt (the retry budget spends these).
    pub unplanned_restarts: u32,
    /// Planned reboots in this attempt.
    pub planned_reboots: u32,
    /// A planned reboot was announced and its boot has not come yet.
    pub reboot_pending: Option<RebootReason>,
    /// The config digest the attempt is bound to.
    pub config: Option<Sha256>,
    /// How often the fetched digest differed from the bound one before any
    /// mutation (allowed, but shown).
    pub config_changes: u32,
    /// Whether a mutating stage has begun in this attempt.
    pub mutated: bool,
    /// The stage before the red line that failed on the boot running the
    /// attempt (a fetch stage or `kargs`), so that the next boot's retry is
    /// told as a failure, not an interruption.
    pub failed_stage: Option<Stage>,
    /// Boots refused and recorded since the attempt stopped.
    pub refused_boots: u32,
    /// The last boot whose `check` refused provisioning on the record (by
    /// poisoning the attempt, or by a recorded refusal), so that its hooks
    /// are told so rather than that they skipped `check`.
    pub refused_boot: Option<BootId>,
    /// Why the attempt is poisoned, once it is.
    pub poison: Option<Poison>,
    /// Forced-rerun tokens already honoured (each is honoured once).
    pub rerun_tokens: Vec<String>,
    /// The last record replayed.
    pub last: Option<LastRecord>,
    /// The copy of the config kept beside the journal, if a record names
    /// one (`ConfigKept`, until `KeptConfigRemoved`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept: Option<KeptCopy>,
    /// Whether the kept copy was restored on the boot running the attempt.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restored: bool,
    /// The last call of this attempt that failed after its boot's `check`
    /// and recorded it (`CallFailed`): at most one per boot, so that boot's
    /// own, when it is the boot running the attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_failure: Option<CallFailure>,
}

/// A call that failed after its boot's `check`, as its record says.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallFailure {
    /// Sequence number of the record.
    pub seq: u64,
    /// The boot it failed on.
    pub boot: BootId,
    /// Its wall-clock time (Unix milliseconds).
    pub wall_ms: i64,
    /// The call.
    pub call: CallName,
    /// The exit status it failed with.
    pub status: u8,
    /// Why, in brief.
    pub reason: String,
}

/// A kept copy of the config, as its record names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeptCopy {
    /// SHA-256 of its bytes.
    pub sha256: Sha256,
    /// Its size in bytes.
    pub size: u64,
}

impl Progress {
    /// Whether no attempt is open: an empty journal, or right after a reset.
    pub fn awaits_attempt(&self) -> bool {
        self.state == State::Fresh && self.boots == 0
    }

    /// The call failure recorded on the boot running the attempt, if any:
    /// what stopped that boot, when its records end there.
    pub fn running_boot_call_failure(&self) -> Option<&CallFailure> {
        self.call_failure
            .as_ref()
            .filter(|failure| Some(failure.boot) == self.boot)
    }
}
