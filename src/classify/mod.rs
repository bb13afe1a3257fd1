//! The one restart classifier: given what the journal replays to and what
//! this boot looks like, decide whether provisioning may run, and what
//! `check` records about it.
//!
//! Pure, like the transition function it leans on. The table it implements,
//! with the reason for every row, is `spec/STATES.md`.

pub(crate) mod context;
mod kept;
mod verdict;

pub use self::context::{BootContext, Policy};
pub(crate) use self::context::{
    DEFAULT_MAX_PLANNED_REBOOTS, DEFAULT_MAX_RETRIES, REFUSED_BOOTS_RECORDED,
};
pub use self::kept::{CopyOnDisk, kept_copy_removal, kept_copy_to_restore};
pub(crate) use self::verdict::describe_poison;
pub use self::verdict::{NotApplicable, Verdict};
use crate::format::red_line::min_bytes_to_cross_red_line;

use crate::format::scan::TornTail;
use crate::model::event::{Event, PoisonReason, Trigger};
use crate::model::state::{Progress, State, Step};

/// The classifier's answer: the verdict, and the record `check` appends
/// (none when nothing is to be recorded).
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "the verdict says whether provisioning may go on"]
#[non_exhaustive]
pub struct Decision {
    /// The verdict.
    pub verdict: Verdict,
    /// What `check` records.
    pub record: Option<Event>,
}

fn decide(verdict: Verdict, record: Option<Event>) -> Decision {
    Decision { verdict, record }
}

/// Classifies a boot. `torn` is the torn tail the journal ended in, if any.
#[must_use = "classifying records nothing: append `Decision::record` (see `hooks::check`)"]
pub fn classify(progress: &Progress, torn: Option<TornTail>, context: &BootContext) -> Decision {
    if context.live {
        return decide(
            Verdict::NotApplicable {
                why: NotApplicable::LiveSystem,
            },
            None,
        );
    }
    if !context.firstboot {
        return decide(
            Verdict::NotApplicable {
                why: NotApplicable::NotFirstBoot,
            },
            None,
        );
    }
    let epoch = progress.epoch;
    let refusal = || {
        let new_boot =
            context.boot_id.is_some() && context.boot_id != progress.last.map(|last| last.boot);
        (new_boot && progress.refused_boots < REFUSED_BOOTS_RECORDED).then_some(Event::BootRefused)
    };
    let same_boot = context.boot_id.is_some() && context.boot_id == progress.boot;
    let poison = |reason: PoisonReason| {
        decide(
            Verdict::FatalInterruption {
                reason: reason.clone(),
            },
            Some(Event::Poisoned { reason }),
        )
    };
    // Row 10: a torn tail long enough to hide a crossing of the red line
    // from this state is treated as one.
    let torn_at_red_line = || {
        torn.filter(|torn| {
            min_bytes_to_cross_red_line(progress).is_some_and(|bytes| torn.len >= bytes)
        })
        .map(|torn| {
            poison(PoisonReason::TornTailAtRedLine {
                offset: torn.offset,
                len: torn.len,
            })
        })
    };

    match progress.state {
        State::Poisoned => decide(Verdict::Poisoned { epoch }, refusal()),
        State::Complete => {
            // Row 10 before rows 5 and 6: a refusal's record would cut the
            // torn tail off, and with it the only sign of a rerun that crossed.
            if let Some(fatal) = torn_at_red_line() {
                return fatal;
            }
            match &context.rerun_token {
                Some(token) if !progress.rerun_tokens.contains(token) => {
                    let epoch = epoch + 1;
                    let trigger = Trigger::ForcedRerun {
                        token: token.clone(),
                    };
                    decide(
                        Verdict::ForcedRerun {
                            epoch,
                            token: token.clone(),
                        },
                        Some(Event::AttemptStarted { epoch, trigger }),
                    )
                }
                Some(_) | None => decide(Verdict::AlreadyComplete { epoch }, refusal()),
            }
        }
        State::Fresh if progress.awaits_attempt() => {
            if let Some(fatal) = torn_at_red_line() {
                return fatal;
            }
            let epoch = epoch + 1;
            decide(
                Verdict::FirstRun { epoch },
                Some(Event::AttemptStarted {
                    epoch,
                    trigger: Trigger::Firstboot,
                }),
            )
        }
        State::Fresh | State::Fetched | State::Mutating { .. } if same_boot => {
            decide(Verdict::SameBoot { epoch }, None)
        }
        State::Mutating { stage, step } if stage.is_past_red_line() => {
            let last = progress.last.expect("a mutating attempt has records");
            poison(PoisonReason::Interrupted {
                stage,
                stage_running: step == Step::Running,
                boot: last.boot,
                last_seq: last.seq,
                last_wall_ms: last.wall_ms,
            })
        }
        State::Fresh | State::Fetched | State::Mutating { .. } => {
            if let Some(fatal) = torn_at_red_line() {
                return fatal;
            }
            match &progress.reboot_pending {
                Some(reason) => {
                    let reboots = progress.planned_reboots + 1;
                    let limit = context.policy.max_planned_reboots;
                    if reboots > limit {
                        return poison(PoisonReason::PlannedRebootsExhausted { reboots, limit });
                    }
                    decide(
                        Verdict::ResumeAfterPlannedReboot {
                            epoch,
                            reason: reason.clone(),
                        },
                        Some(Event::Restarted {
                            planned: Some(reason.clone()),
                        }),
                    )
                }
                None => {
                    let restarts = progress.unplanned_restarts + 1;
                    let limit = context.policy.max_retries;
                    if restarts > limit {
                        return poison(PoisonReason::RetriesExhausted { restarts, limit });
                    }
                    decide(
                        Verdict::SafeRetry {
                            epoch,
                            restarts,
                            limit,
                            failed_stage: progress.failed_stage,
                            failed_call: progress.running_boot_call_failure().cloned(),
                        },
                        Some(Event::Restarted { planned: None }),
                    )
                }
            }
        }
    }
}
