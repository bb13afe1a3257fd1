//! The rule of each event kind: in which states its record may follow, and
//! what it changes. Each is an exhaustive match on the state, so a new state
//! must be placed in every rule.

use crate::model::event::{CallName, Event, PoisonReason, RebootReason, Record, Sha256, Trigger};
use crate::model::stage::Stage;
use crate::model::state::{CallFailure, LastRecord, Poison, PoisonCause, Progress, State, Step};

use super::TransitionError;

/// One record about to follow one progress: what every rule needs to know.
pub(super) struct Rule<'a> {
    pub(super) progress: &'a Progress,
    record: &'a Record,
    /// A boot of the attempt is running, and no reboot was announced in it.
    pub(super) open_boot: bool,
    /// The record comes from the boot that ran `check` for the attempt.
    pub(super) this_boot: bool,
}

/// What a rule gives: the progress after the record, or why it may not
/// follow.
pub(super) type Outcome = Result<Progress, TransitionError>;

const REBOOT_ANNOUNCED: &str = "a reboot was announced; nothing else may run in this boot";
pub(super) const STOPPED: &str = "the attempt has stopped";

impl<'a> Rule<'a> {
    pub(super) fn new(progress: &'a Progress, record: &'a Record) -> Self {
        Rule {
            progress,
            record,
            open_boot: progress.boots > 0 && progress.reboot_pending.is_none(),
            this_boot: progress.boot == Some(record.stamp.boot_id),
        }
    }

    /// The progress as it is, with the record as its last one: what every
    /// rule starts from.
    pub(super) fn next(&self) -> Progress {
        let mut next = self.progress.clone();
        next.last = Some(LastRecord {
            seq: self.record.seq,
            boot: self.record.stamp.boot_id,
            wall_ms: self.record.stamp.wall_ms,
        });
        next
    }

    pub(super) fn reject(&self, why: &'static str) -> TransitionError {
        TransitionError::OutOfOrder {
            state: self.progress.state,
            event: Box::new(self.record.event.clone()),
            why,
        }
    }

    fn poison(&self, cause: PoisonCause) -> Poison {
        Poison {
            seq: self.record.seq,
            boot: self.record.stamp.boot_id,
            wall_ms: self.record.stamp.wall_ms,
            cause,
        }
    }

    /// A hook's record needs a running attempt, on the boot that ran
    /// `check` for it.
    pub(super) fn hook_of_running_boot(&self) -> Result<(), TransitionError> {
        let progress = self.progress;
        if !is_hook_of_running_boot(&self.record.event) {
            return Ok(());
        }
        if matches!(progress.state, State::Complete | State::Poisoned) {
            return Err(TransitionError::AttemptStopped {
                state: progress.state,
                refused_this_boot: progress.refused_boot == Some(self.record.stamp.boot_id),
            });
        }
        if progress.boots > 0 && !self.this_boot {
            return Err(TransitionError::NotCheckedBoot {
                epoch: progress.epoch,
                running: progress.boot,
                this: self.record.stamp.boot_id,
            });
        }
        Ok(())
    }

    pub(super) fn attempt_started(&self, next: Progress, epoch: u32, trigger: &Trigger) -> Outcome {
        let progress = self.progress;
        if progress.kept.is_some() {
            return Err(self.reject(
                "the copy of the last attempt's config is still kept; it must be removed first",
            ));
        }
        let allowed = match (&progress.state, trigger) {
            (State::Fresh, Trigger::Firstboot) => progress.boots == 0,
            (State::Complete, Trigger::ForcedRerun { token }) => {
                !progress.rerun_tokens.contains(token)
            }
            (State::Fresh, Trigger::ForcedRerun { .. })
            | (State::Fetched | State::Mutating { .. }, _)
            | (State::Complete, Trigger::Firstboot)
            | (State::Poisoned, _) => false,
        };
        if !allowed {
            return Err(self.reject(
                "a first boot needs no attempt in progress, and a forced rerun a complete attempt and an unused token",
            ));
        }
        if epoch != progress.epoch.wrapping_add(1) {
            return Err(TransitionError::EpochOutOfOrder {
                current: progress.epoch,
                found: epoch,
            });
        }
        let mut rerun_tokens = next.rerun_tokens;
        if let Trigger::ForcedRerun { token } = trigger {
            rerun_tokens.push(token.clone());
        }
        Ok(Progress {
            epoch,
            boots: 1,
            boot: Some(self.record.stamp.boot_id),
            rerun_tokens,
            last: next.last,
            ..Progress::default()
        })
    }

    pub(super) fn restarted(&self, mut next: Progress, planned: Option<&RebootReason>) -> Outcome {
        let progress = self.progress;
        match progress.state {
            State::Fresh | State::Fetched => {}
            State::Mutating { stage, .. } if !stage.is_past_red_line() => {}
            State::Mutating { .. } => {
                return Err(self.reject("past the red line a restart is fatal, not a retry"));
            }
            State::Complete | State::Poisoned => return Err(self.reject(STOPPED)),
        }
        if progress.boots == 0 {
            return Err(self.reject("no attempt is in progress"));
        }
        if planned != progress.reboot_pending.as_ref() {
            return Err(self.reject(
                "a restart is planned exactly when a reboot was announced, for its reason",
            ));
        }
        next.state = State::Fresh;
        next.boots = progress.boots.saturating_add(1);
        next.boot = Some(self.record.stamp.boot_id);
        next.reboot_pending = None;
        next.failed_stage = None;
        next.restored = false;
        match planned {
            Some(_) => next.planned_reboots = progress.planned_reboots.saturating_add(1),
            None => next.unplanned_restarts = progress.unplanned_restarts.saturating_add(1),
        }
        Ok(next)
    }

    pub(super) fn boot_refused(&self, mut next: Progress) -> Outcome {
        match self.progress.state {
            State::Complete | State::Poisoned => {
                next.refused_boots = self.progress.refused_boots.saturating_add(1);
                next.refused_boot = Some(self.record.stamp.boot_id);
                Ok(next)
            }
            State::Fresh | State::Fetched | State::Mutating { .. } => {
                Err(self.reject("only a stopped attempt refuses boots"))
            }
        }
    }

    pub(super) fn config_fetched(&self, mut next: Progress, sha256: Sha256) -> Outcome {
        let progress = self.progress;
        if progress.reboot_pending.is_some() {
            return Err(self.reject(REBOOT_ANNOUNCED));
        }
        match progress.state {
            State::Fresh if self.open_boot => {}
            State::Fresh => return Err(self.reject("no boot of an attempt is running")),
            State::Fetched | State::Mutating { .. } => {
                return Err(self.reject("the config was already fetched in this boot"));
            }
            State::Complete | State::Poisoned => return Err(self.reject(STOPPED)),
        }
        match progress.config {
            Some(bound) if bound != sha256 && progress.mutated => {
                next.state = State::Poisoned;
                next.poison = Some(self.poison(PoisonCause::ConfigChanged {
                    bound,
                    fetched: sha256,
                }));
            }
            Some(bound) => {
                if bound != sha256 {
                    next.config_changes = progress.config_changes.saturating_add(1);
                }
                next.config = Some(sha256);
                next.state = State::Fetched;
            }
            None => {
                next.config = Some(sha256);
                next.state = State::Fetched;
            }
        }
        Ok(next)
    }

    pub(super) fn stage_began(&self, mut next: Progress, stage: Stage) -> Outcome {
        if !stage.is_mutating() {
            return Err(TransitionError::NotMutating { stage });
        }
        if self.progress.reboot_pending.is_some() {
            return Err(self.reject(REBOOT_ANNOUNCED));
        }
        match self.progress.state {
            State::Fetched => {}
            State::Mutating {
                stage: last,
                step: Step::Ended,
            } => {
                if stage <= last {
                    return Err(TransitionError::StageOrder {
                        after: last,
                        next: stage,
                    });
                }
            }
            State::Mutating {
                stage: running,
                step: Step::Running,
            } if running == stage => return Err(self.reject("this stage has already begun")),
            State::Mutating {
                step: Step::Running,
                ..
            } => return Err(self.reject("the previous stage has not ended")),
            State::Mutating {
                step: Step::Failed, ..
            } => {
                return Err(self.reject(
                    "a stage failed on this boot: no other stage begins until the next boot",
                ));
            }
            State::Fresh => return Err(self.reject("the config has not been fetched in this boot")),
            State::Complete | State::Poisoned => return Err(self.reject(STOPPED)),
        }
        next.state = State::Mutating {
            stage,
            step: Step::Running,
        };
        next.mutated = true;
        Ok(next)
    }

    pub(super) fn stage_ended(&self, mut next: Progress, stage: Stage) -> Outcome {
        if !stage.is_mutating() {
            return Err(TransitionError::NotMutating { stage });
        }
        match self.progress.state {
            State::Mutating {
                stage: running,
                step: Step::Running,
            } if running == stage => {}
            State::Fresh
            | State::Fetched
            | State::Mutating { .. }
            | State::Complete
            | State::Poisoned => return Err(self.reject("that stage is not running")),
        }
        next.state = State::Mutating {
            stage,
            step: Step::Ended,
        };
        Ok(next)
    }

    pub(super) fn stage_failed(&self, mut next: Progress, stage: Stage, reason: &str) -> Outcome {
        let running = match self.progress.state {
            State::Fresh => !stage.is_mutating() && self.open_boot,
            State::Mutating {
                stage: running,
                step: Step::Running,
            } => running == stage,
            State::Fetched | State::Mutating { .. } | State::Complete | State::Poisoned => false,
        };
        if !running {
            return Err(self.reject(
                "only a running stage can fail (a fetch stage runs while the attempt is fresh)",
            ));
        }
        if self.progress.state == State::Fresh && self.progress.failed_stage.is_some() {
            return Err(self.reject("this boot already recorded a failed stage"));
        }
        if stage.is_past_red_line() {
            next.state = State::Poisoned;
            next.poison = Some(self.poison(PoisonCause::StageFailed {
                stage,
                reason: reason.to_owned(),
            }));
            return Ok(next);
        }
        next.failed_stage = Some(stage);
        if stage.is_mutating() {
            next.state = State::Mutating {
                stage,
                step: Step::Failed,
            };
        }
        Ok(next)
    }

    pub(super) fn reboot_planned(&self, mut next: Progress, reason: &RebootReason) -> Outcome {
        match self.progress.state {
            State::Fresh | State::Fetched if self.open_boot => {}
            State::Mutating {
                stage,
                step: Step::Ended,
            } if !stage.is_past_red_line() && self.open_boot => {}
            State::Fresh | State::Fetched | State::Mutating { .. } => {
                return Err(self.reject(
                    "a planned reboot is only possible before the red line, between stages, once per boot",
                ));
            }
            State::Complete | State::Poisoned => return Err(self.reject(STOPPED)),
        }
        next.reboot_pending = Some(reason.clone());
        Ok(next)
    }

    pub(super) fn completed(&self, mut next: Progress) -> Outcome {
        match self.progress.state {
            State::Mutating { .. } if self.progress.kept.is_some() => {
                Err(self.reject("the kept copy of the config must be removed before completion"))
            }
            State::Mutating {
                step: Step::Ended, ..
            } if self.progress.reboot_pending.is_none() => {
                next.state = State::Complete;
                Ok(next)
            }
            State::Fresh
            | State::Fetched
            | State::Mutating { .. }
            | State::Complete
            | State::Poisoned => Err(self.reject("completion needs the last stage ended")),
        }
    }

    pub(super) fn poisoned(&self, mut next: Progress, reason: &PoisonReason) -> Outcome {
        // Torn bytes where no attempt is open (or after a completed one) may
        // be a whole attempt that began and crossed the red line.
        let torn = matches!(reason, PoisonReason::TornTailAtRedLine { .. });
        match self.progress.state {
            State::Fresh if self.progress.boots == 0 && !torn => {
                return Err(self.reject("no attempt is in progress"));
            }
            State::Complete if torn => {}
            State::Fresh | State::Fetched | State::Mutating { .. } => {}
            State::Complete | State::Poisoned => return Err(self.reject(STOPPED)),
        }
        next.state = State::Poisoned;
        next.poison = Some(self.poison(PoisonCause::Recorded(reason.clone())));
        next.refused_boot = Some(self.record.stamp.boot_id);
        Ok(next)
    }

    pub(super) fn call_failed(
        &self,
        mut next: Progress,
        call: CallName,
        status: u8,
        reason: &str,
    ) -> Outcome {
        match self.progress.state {
            State::Fresh | State::Fetched | State::Mutating { .. } if self.open_boot => {}
            State::Fresh | State::Fetched | State::Mutating { .. } => {
                return Err(self.reject(
                    "a failed call is recorded in a running boot of the attempt, before any planned reboot",
                ));
            }
            State::Complete | State::Poisoned => return Err(self.reject(STOPPED)),
        }
        if self.progress.running_boot_call_failure().is_some() {
            return Err(self.reject("this boot already recorded the call that stopped it"));
        }
        if let State::Mutating {
            step: Step::Failed, ..
        } = self.progress.state
        {
            return Err(self.reject("this boot already recorded the stage failure that stopped it"));
        }
        next.call_failure = Some(CallFailure {
            seq: self.record.seq,
            boot: self.record.stamp.boot_id,
            wall_ms: self.record.stamp.wall_ms,
            call,
            status,
            reason: reason.to_owned(),
        });
        Ok(next)
    }

    pub(super) fn reset(&self, next: Progress) -> Outcome {
        match self.progress.state {
            State::Fresh if self.progress.awaits_attempt() => {
                return Err(self.reject("there is no attempt to reset"));
            }
            State::Fresh | State::Fetched | State::Mutating { .. } if self.this_boot => {
                return Err(self.reject(
                    "the attempt is running on this boot; reset is for an attempt that stopped: poisoned, complete, or interrupted on an earlier boot",
                ));
            }
            State::Fresh
            | State::Fetched
            | State::Mutating { .. }
            | State::Complete
            | State::Poisoned => {}
        }
        Ok(Progress {
            epoch: self.progress.epoch,
            rerun_tokens: next.rerun_tokens,
            last: next.last,
            // The copy is still on disk until its removal is recorded.
            kept: self.progress.kept,
            ..Progress::default()
        })
    }
}

/// Whether `event` is a hook's record, which only the boot that ran `check`
/// for the attempt may write.
fn is_hook_of_running_boot(event: &Event) -> bool {
    match event {
        Event::ConfigFetched { .. }
        | Event::ConfigKept { .. }
        | Event::ConfigRestored { .. }
        | Event::StageBegan { .. }
        | Event::StageEnded { .. }
        | Event::StageFailed { .. }
        | Event::RebootPlanned { .. }
        | Event::Completed
        | Event::CallFailed { .. } => true,
        Event::TailRepaired { .. }
        | Event::AttemptStarted { .. }
        | Event::Restarted { .. }
        | Event::BootRefused
        | Event::Poisoned { .. }
        | Event::Reset { .. }
        | Event::KeptConfigRemoved { .. } => false,
    }
}
