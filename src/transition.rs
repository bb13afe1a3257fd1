//! The one transition function: which record may follow which, and what the
//! attempt looks like afterwards.
//!
//! Every writer validates its record here before writing it, and every
//! reader replays records through it, so a record the rules reject is never
//! written and, if found on disk, is reported as corruption. The table this
//! implements is `spec/STATES.md`.

use crate::event::{Event, Record, RemovalCause, Trigger};
use crate::stage::Stage;
use crate::state::{KeptCopy, LastRecord, Poison, PoisonCause, Progress, State, Step};

/// Why a record may not follow the journal's current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The event is not allowed in this state.
    #[error("cannot record {event} while the attempt is {state}: {why}")]
    OutOfOrder {
        /// The state, in words.
        state: String,
        /// The event, in words.
        event: String,
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
    #[error("{}", stopped_words(state, *refused_this_boot))]
    AttemptStopped {
        /// `complete` or `poisoned`.
        state: String,
        /// Whether this very boot's `check` refused provisioning.
        refused_this_boot: bool,
    },
    /// A hook's record from a boot that has not run `check`.
    #[error(
        "boot {this} has not run `check`: attempt {epoch} belongs to boot {running}; `check` must classify this boot before any hook"
    )]
    NotCheckedBoot {
        /// The attempt.
        epoch: u32,
        /// The boot running the attempt.
        running: String,
        /// The boot the record comes from.
        this: String,
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

fn stopped_words(state: &str, refused_this_boot: bool) -> String {
    if refused_this_boot {
        format!(
            "this boot's `check` refused provisioning (the attempt is {state}): no hook runs on this boot"
        )
    } else {
        format!("the attempt is {state}: no hook runs until an operator's `reset` or a new attempt")
    }
}

fn describe(event: &Event) -> String {
    match event {
        Event::StageBegan { stage } => format!("`begin {stage}`"),
        Event::StageEnded { stage } => format!("`end {stage}`"),
        Event::StageFailed { stage, .. } => format!("`fail {stage}`"),
        other => format!("`{}`", other.kind()),
    }
}

/// Returns the progress after `record`, or why `record` may not follow
/// `progress`. Pure: no I/O, no clock; the record's own stamp is all the
/// time it knows.
pub fn transition(progress: &Progress, record: &Record) -> Result<Progress, TransitionError> {
    let reject = |why: &'static str| TransitionError::OutOfOrder {
        state: progress.state.to_string(),
        event: describe(&record.event),
        why,
    };
    let mut next = progress.clone();
    next.last = Some(LastRecord {
        seq: record.seq,
        boot: record.stamp.boot_id,
        wall_ms: record.stamp.wall_ms,
    });
    let poison = |cause: PoisonCause| Poison {
        seq: record.seq,
        boot: record.stamp.boot_id,
        wall_ms: record.stamp.wall_ms,
        cause,
    };
    let open_boot = progress.boots > 0 && progress.reboot_pending.is_none();
    let this_boot = progress.boot == Some(record.stamp.boot_id);
    let stopped = matches!(progress.state, State::Complete | State::Poisoned);
    if is_hook_of_running_boot(&record.event) && stopped {
        return Err(TransitionError::AttemptStopped {
            state: progress.state.to_string(),
            refused_this_boot: progress.refused_boot == Some(record.stamp.boot_id),
        });
    }
    if is_hook_of_running_boot(&record.event) && progress.boots > 0 && !this_boot {
        return Err(TransitionError::NotCheckedBoot {
            epoch: progress.epoch,
            running: progress
                .boot
                .map_or_else(|| "none".to_owned(), |boot| boot.to_hex()),
            this: record.stamp.boot_id.to_hex(),
        });
    }

    match &record.event {
        Event::TailRepaired { .. } => {}

        Event::AttemptStarted { epoch, trigger } => {
            if progress.kept.is_some() {
                return Err(reject(
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
                return Err(reject(
                    "a first boot needs no attempt in progress, and a forced rerun a complete attempt and an unused token",
                ));
            }
            if *epoch != progress.epoch.wrapping_add(1) {
                return Err(TransitionError::EpochOutOfOrder {
                    current: progress.epoch,
                    found: *epoch,
                });
            }
            let mut rerun_tokens = std::mem::take(&mut next.rerun_tokens);
            if let Trigger::ForcedRerun { token } = trigger {
                rerun_tokens.push(token.clone());
            }
            next = Progress {
                epoch: *epoch,
                boots: 1,
                boot: Some(record.stamp.boot_id),
                rerun_tokens,
                last: next.last,
                ..Progress::default()
            };
        }

        Event::Restarted { planned } => {
            match progress.state {
                State::Fresh | State::Fetched => {}
                State::Mutating { stage, .. } if !stage.is_past_red_line() => {}
                State::Mutating { .. } => {
                    return Err(reject("past the red line a restart is fatal, not a retry"));
                }
                State::Complete | State::Poisoned => {
                    return Err(reject("the attempt has stopped"));
                }
            }
            if progress.boots == 0 {
                return Err(reject("no attempt is in progress"));
            }
            if *planned != progress.reboot_pending {
                return Err(reject(
                    "a restart is planned exactly when a reboot was announced, for its reason",
                ));
            }
            next.state = State::Fresh;
            next.boots = progress.boots.saturating_add(1);
            next.boot = Some(record.stamp.boot_id);
            next.reboot_pending = None;
            next.failed_stage = None;
            next.restored = false;
            match planned {
                Some(_) => next.planned_reboots = progress.planned_reboots.saturating_add(1),
                None => next.unplanned_restarts = progress.unplanned_restarts.saturating_add(1),
            }
        }

        Event::BootRefused => match progress.state {
            State::Complete | State::Poisoned => {
                next.refused_boots = progress.refused_boots.saturating_add(1);
                next.refused_boot = Some(record.stamp.boot_id);
            }
            State::Fresh | State::Fetched | State::Mutating { .. } => {
                return Err(reject("only a stopped attempt refuses boots"));
            }
        },

        Event::ConfigFetched { sha256 } | Event::ConfigKept { sha256, .. } => {
            if let Event::ConfigKept { sha256, size } = &record.event {
                next.kept = Some(KeptCopy {
                    sha256: *sha256,
                    size: *size,
                });
            }
            if progress.reboot_pending.is_some() {
                return Err(reject(
                    "a reboot was announced; nothing else may run in this boot",
                ));
            }
            match progress.state {
                State::Fresh if open_boot => {}
                State::Fresh => return Err(reject("no boot of an attempt is running")),
                State::Fetched | State::Mutating { .. } => {
                    return Err(reject("the config was already fetched in this boot"));
                }
                State::Complete | State::Poisoned => {
                    return Err(reject("the attempt has stopped"));
                }
            }
            match progress.config {
                Some(bound) if bound != *sha256 && progress.mutated => {
                    next.state = State::Poisoned;
                    next.poison = Some(poison(PoisonCause::ConfigChanged {
                        bound,
                        fetched: *sha256,
                    }));
                }
                Some(bound) => {
                    if bound != *sha256 {
                        next.config_changes = progress.config_changes.saturating_add(1);
                    }
                    next.config = Some(*sha256);
                    next.state = State::Fetched;
                }
                None => {
                    next.config = Some(*sha256);
                    next.state = State::Fetched;
                }
            }
        }

        Event::StageBegan { stage } => {
            if !stage.is_mutating() {
                return Err(TransitionError::NotMutating { stage: *stage });
            }
            if progress.reboot_pending.is_some() {
                return Err(reject(
                    "a reboot was announced; nothing else may run in this boot",
                ));
            }
            match progress.state {
                State::Fetched => {}
                State::Mutating {
                    stage: last,
                    step: Step::Ended,
                } => {
                    if *stage <= last {
                        return Err(TransitionError::StageOrder {
                            after: last,
                            next: *stage,
                        });
                    }
                }
                State::Mutating {
                    step: Step::Running | Step::Failed,
                    ..
                } => return Err(reject("the previous stage has not ended")),
                State::Fresh => return Err(reject("the config has not been fetched in this boot")),
                State::Complete | State::Poisoned => {
                    return Err(reject("the attempt has stopped"));
                }
            }
            next.state = State::Mutating {
                stage: *stage,
                step: Step::Running,
            };
            next.mutated = true;
        }

        Event::StageEnded { stage } => {
            if !stage.is_mutating() {
                return Err(TransitionError::NotMutating { stage: *stage });
            }
            match progress.state {
                State::Mutating {
                    stage: running,
                    step: Step::Running,
                } if running == *stage => {}
                State::Fresh
                | State::Fetched
                | State::Mutating { .. }
                | State::Complete
                | State::Poisoned => return Err(reject("that stage is not running")),
            }
            next.state = State::Mutating {
                stage: *stage,
                step: Step::Ended,
            };
        }

        Event::StageFailed { stage, reason } => {
            let running = match progress.state {
                State::Fresh => !stage.is_mutating() && open_boot,
                State::Mutating {
                    stage: running,
                    step: Step::Running,
                } => running == *stage,
                State::Fetched | State::Mutating { .. } | State::Complete | State::Poisoned => {
                    false
                }
            };
            if !running {
                return Err(reject(
                    "only a running stage can fail (a fetch stage runs while the attempt is fresh)",
                ));
            }
            if stage.is_past_red_line() {
                next.state = State::Poisoned;
                next.poison = Some(poison(PoisonCause::StageFailed {
                    stage: *stage,
                    reason: reason.clone(),
                }));
            } else {
                next.failed_stage = Some(*stage);
                if stage.is_mutating() {
                    next.state = State::Mutating {
                        stage: *stage,
                        step: Step::Failed,
                    };
                }
            }
        }

        Event::RebootPlanned { reason } => {
            match progress.state {
                State::Fresh | State::Fetched if open_boot => {}
                State::Mutating {
                    stage,
                    step: Step::Ended,
                } if !stage.is_past_red_line() && open_boot => {}
                State::Fresh | State::Fetched | State::Mutating { .. } => {
                    return Err(reject(
                        "a planned reboot is only possible before the red line, between stages, once per boot",
                    ));
                }
                State::Complete | State::Poisoned => {
                    return Err(reject("the attempt has stopped"));
                }
            }
            next.reboot_pending = Some(reason.clone());
        }

        Event::Completed => match progress.state {
            State::Mutating { .. } if progress.kept.is_some() => {
                return Err(reject(
                    "the kept copy of the config must be removed before completion",
                ));
            }
            State::Mutating {
                step: Step::Ended, ..
            } if progress.reboot_pending.is_none() => next.state = State::Complete,
            State::Fresh
            | State::Fetched
            | State::Mutating { .. }
            | State::Complete
            | State::Poisoned => {
                return Err(reject("completion needs the last stage ended"));
            }
        },

        Event::Poisoned { reason } => {
            match progress.state {
                State::Fresh if progress.boots == 0 => {
                    return Err(reject("no attempt is in progress"));
                }
                State::Fresh | State::Fetched | State::Mutating { .. } => {}
                State::Complete | State::Poisoned => {
                    return Err(reject("the attempt has stopped"));
                }
            }
            next.state = State::Poisoned;
            next.poison = Some(poison(PoisonCause::Recorded(reason.clone())));
            next.refused_boot = Some(record.stamp.boot_id);
        }

        Event::Reset { .. } => {
            match progress.state {
                State::Fresh if progress.awaits_attempt() => {
                    return Err(reject("there is no attempt to reset"));
                }
                State::Fresh | State::Fetched | State::Mutating { .. } if this_boot => {
                    return Err(reject(
                        "the attempt is running on this boot; reset is for an attempt that stopped: poisoned, complete, or interrupted on an earlier boot",
                    ));
                }
                State::Fresh
                | State::Fetched
                | State::Mutating { .. }
                | State::Complete
                | State::Poisoned => {}
            }
            next = Progress {
                epoch: progress.epoch,
                rerun_tokens: std::mem::take(&mut next.rerun_tokens),
                last: next.last,
                // The copy is still on disk until its removal is recorded.
                kept: progress.kept,
                ..Progress::default()
            };
        }

        Event::ConfigRestored { sha256 } => {
            let bound = progress
                .kept
                .is_some_and(|kept| kept.sha256 == *sha256 && progress.config == Some(*sha256));
            match progress.state {
                State::Fresh if open_boot && bound && !progress.restored => {}
                State::Fresh if open_boot && bound => {
                    return Err(reject("the copy was already restored on this boot"));
                }
                State::Fresh if open_boot => {
                    return Err(reject(
                        "only the kept copy of the config the attempt is bound to can be restored",
                    ));
                }
                State::Fresh | State::Fetched | State::Mutating { .. } => {
                    return Err(reject(
                        "a kept copy is restored by `check`, before the config is fetched",
                    ));
                }
                State::Complete | State::Poisoned => {
                    return Err(reject("the attempt has stopped"));
                }
            }
            next.restored = true;
        }

        Event::KeptConfigRemoved { sha256, cause } => {
            let open_attempt = !progress.awaits_attempt() && !stopped;
            let allowed = match (progress.kept, cause) {
                (None, RemovalCause::Unbound) => true,
                (None, _) | (Some(_), RemovalCause::Unbound) => false,
                (Some(kept), _) if kept.sha256 != *sha256 => false,
                (Some(_), RemovalCause::Completed) => {
                    this_boot
                        && matches!(
                            progress.state,
                            State::Mutating {
                                step: Step::Ended,
                                ..
                            }
                        )
                }
                (Some(_), RemovalCause::Poisoned) => progress.state == State::Poisoned,
                (Some(_), RemovalCause::Reset) => progress.awaits_attempt(),
                (
                    Some(_),
                    RemovalCause::Disabled
                    | RemovalCause::Missing
                    | RemovalCause::Mismatch
                    | RemovalCause::Replaced,
                ) => open_attempt,
            };
            if !allowed {
                return Err(reject(
                    "a removal names the kept copy and a cause its state allows (a copy the journal does not bind is `unbound`)",
                ));
            }
            next.kept = None;
            next.restored = false;
        }
    }
    Ok(next)
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
        | Event::Completed => true,
        Event::TailRepaired { .. }
        | Event::AttemptStarted { .. }
        | Event::Restarted { .. }
        | Event::BootRefused
        | Event::Poisoned { .. }
        | Event::Reset { .. }
        | Event::KeptConfigRemoved { .. } => false,
    }
}

/// Replays records from the start; the first rejected record stops it.
pub fn replay<'a>(
    records: impl IntoIterator<Item = &'a Record>,
) -> Result<Progress, (u64, TransitionError)> {
    records
        .into_iter()
        .try_fold(Progress::default(), |progress, record| {
            transition(&progress, record).map_err(|error| (record.seq, error))
        })
}
