//! The one restart classifier: given what the journal replays to and what
//! this boot looks like, decide whether provisioning may run, and what
//! `check` records about it.
//!
//! Pure, like the transition function it leans on. The table it implements,
//! with the reason for every row, is `spec/STATES.md`.

use std::fmt;

use serde::Serialize;

use crate::codec;
use crate::event::{
    BootId, Event, PoisonReason, RebootReason, Record, RemovalCause, Stamp, Trigger,
};
use crate::frame::FRAME_HEADER_LEN;
use crate::scan::TornTail;
use crate::stage::Stage;
use crate::state::{CallFailure, KeptCopy, Progress, State};
use crate::transition::transition;

/// Default number of unplanned restarts before the red line that one
/// attempt may take; the next one poisons it.
pub const DEFAULT_MAX_RETRIES: u32 = 5;
/// Default number of planned reboots one attempt may take; the next one
/// poisons it (a reboot loop).
pub const DEFAULT_MAX_PLANNED_REBOOTS: u32 = 4;
/// How many refused boots of a stopped attempt are recorded; later ones are
/// refused without a record, which bounds the journal's growth.
pub const REFUSED_BOOTS_RECORDED: u32 = 8;

/// The limits `check` enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Unplanned restarts allowed per attempt.
    pub max_retries: u32,
    /// Planned reboots allowed per attempt.
    pub max_planned_reboots: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_retries: DEFAULT_MAX_RETRIES,
            max_planned_reboots: DEFAULT_MAX_PLANNED_REBOOTS,
        }
    }
}

/// What the classifier knows about the boot it decides for.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BootContext {
    /// This boot's ID; `None` asks about "the next boot" (for `status`).
    pub boot_id: Option<BootId>,
    /// A live system (no boot partition): nothing to journal.
    pub live: bool,
    /// A provisioning boot: a first-boot kernel argument (`ignition.firstboot`
    /// on Fedora CoreOS), or the firstboot stamp beside the journal.
    pub firstboot: bool,
    /// The developer's `provision_journal.rerun=TOKEN`, if given.
    pub rerun_token: Option<String>,
    /// The limits.
    pub policy: Policy,
}

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
    /// The journal is poisoned; provisioning waits for an operator's reset.
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
                "safe retry: the last boot of attempt {epoch} stopped when `{}` failed (exit status {}), before any disk was touched (restart {restarts} of {limit})",
                failure.call, failure.status
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
                f.write_str("; provisioning must not run again until an operator runs `provision-journal reset`")
            }
            Verdict::AlreadyComplete { epoch } => write!(
                f,
                "attempt {epoch} already completed: provisioning will not run again without `provision-journal reset` or a rerun kernel argument"
            ),
            Verdict::Poisoned { epoch } => write!(
                f,
                "attempt {epoch} is poisoned: provisioning waits for an operator's `provision-journal reset`"
            ),
        }
    }
}

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
            "the journal ends in {len} torn bytes at offset {offset}, enough to hide the start of the disks stage"
        ),
        PoisonReason::RetriesExhausted { restarts, limit } => write!(
            f,
            "{restarts} unplanned restarts before the red line, more than the {limit} allowed"
        ),
        PoisonReason::PlannedRebootsExhausted { reboots, limit } => write!(
            f,
            "{reboots} planned reboots, more than the {limit} allowed (a reboot loop)"
        ),
    }
}

/// The classifier's answer: the verdict, and the record `check` appends
/// (none when nothing is to be recorded).
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "the verdict says whether provisioning may go on"]
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

    match progress.state {
        State::Poisoned => decide(Verdict::Poisoned { epoch }, refusal()),
        State::Complete => match &context.rerun_token {
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
        },
        State::Fresh if progress.awaits_attempt() => {
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
                stage_running: step == crate::state::Step::Running,
                boot: last.boot,
                last_seq: last.seq,
                last_wall_ms: last.wall_ms,
            })
        }
        State::Fresh | State::Fetched | State::Mutating { .. } => {
            if let Some(torn) = torn
                && min_bytes_to_cross_red_line(progress).is_some_and(|bytes| torn.len >= bytes)
            {
                return poison(PoisonReason::TornTailAtRedLine {
                    offset: torn.offset,
                    len: torn.len,
                });
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

/// How deep [`min_bytes_to_cross_red_line`] searches. From every state of
/// an attempt that has not crossed the red line, three records suffice
/// (restart, fetch, begin); a test walks every state to hold this true.
pub const CROSSING_SEARCH_DEPTH: usize = 3;

/// The fewest bytes of whole records that could take `progress` across the
/// red line (to a durable `begin` of a stage at or past it), or `None` if no
/// sequence of up to [`CROSSING_SEARCH_DEPTH`] records can.
///
/// A torn tail shorter than this cannot be hiding such a record, whatever
/// damaged it; one at least this long might be, and is treated as if it
/// were.
pub fn min_bytes_to_cross_red_line(progress: &Progress) -> Option<u64> {
    let probe = Stamp {
        boot_id: BootId([0xff; 16]),
        wall_ms: 0,
        mono_ns: 0,
    };
    let frame_len = |event: &Event| {
        codec::encode(&probe, event).map_or(u64::MAX, |payload| {
            (FRAME_HEADER_LEN + payload.len()) as u64
        })
    };
    let mut best: Option<u64> = None;
    let mut frontier = vec![(progress.clone(), 0u64)];
    for _ in 0..CROSSING_SEARCH_DEPTH {
        let mut next = Vec::new();
        for (from, spent) in frontier {
            for event in crossing_candidates(&from) {
                // Hooks come from the boot running the attempt; a new boot
                // starts with `check`'s record. Boot IDs have a fixed size,
                // so the choice does not change any frame's length.
                let boot_id = match (&event, from.boot) {
                    (Event::AttemptStarted { .. } | Event::Restarted { .. }, _) | (_, None) => {
                        probe.boot_id
                    }
                    (_, Some(running)) => running,
                };
                let record = Record {
                    seq: 0,
                    stamp: Stamp { boot_id, ..probe },
                    event,
                };
                let Ok(after) = transition(&from, &record) else {
                    continue;
                };
                let spent = spent.saturating_add(frame_len(&record.event));
                match record.event {
                    Event::StageBegan { stage } if stage.is_past_red_line() => {
                        best = Some(best.map_or(spent, |best| best.min(spent)));
                    }
                    _ => next.push((after, spent)),
                }
            }
        }
        frontier = next;
    }
    best
}

fn crossing_candidates(from: &Progress) -> Vec<Event> {
    let mut events = vec![
        Event::AttemptStarted {
            epoch: from.epoch.wrapping_add(1),
            trigger: Trigger::Firstboot,
        },
        Event::Restarted {
            planned: from.reboot_pending.clone(),
        },
        Event::ConfigFetched {
            sha256: from.config.unwrap_or_default(),
        },
    ];
    for stage in Stage::MUTATING {
        events.push(Event::StageEnded { stage });
        events.push(Event::StageBegan { stage });
    }
    events
}

/// What a writer finds under the kept copy's name (`lstat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyOnDisk {
    /// Nothing.
    Absent,
    /// Something that is not a regular file.
    NotRegular,
    /// A regular file with more than one name: another name shares its
    /// bytes (the config's secrets), so it is not the private copy a record
    /// names.
    HardLinked,
    /// A regular file of this size, with one name.
    File {
        /// Its size in bytes.
        size: u64,
    },
}

/// Whether a writer must remove the kept copy, and why: the rules of
/// `spec/STATES.md`, "The kept copy", tried in order. `keeping` is
/// `[Cache] KeepConfig`; `completing` is true for `complete`, which removes
/// the copy before its own record. Pure, like [`classify`]; the journal's
/// transition function accepts exactly the removal it names.
pub fn kept_copy_removal(
    progress: &Progress,
    on_disk: CopyOnDisk,
    keeping: bool,
    completing: bool,
) -> Option<RemovalCause> {
    let Some(kept) = progress.kept else {
        return match on_disk {
            CopyOnDisk::Absent => None,
            CopyOnDisk::NotRegular | CopyOnDisk::HardLinked | CopyOnDisk::File { .. } => {
                Some(RemovalCause::Unbound)
            }
        };
    };
    match progress.state {
        State::Poisoned => return Some(RemovalCause::Poisoned),
        State::Complete => return Some(RemovalCause::Completed),
        State::Fresh if progress.awaits_attempt() => return Some(RemovalCause::Reset),
        State::Fresh | State::Fetched | State::Mutating { .. } => {}
    }
    if completing {
        return Some(RemovalCause::Completed);
    }
    if !keeping {
        return Some(RemovalCause::Disabled);
    }
    match on_disk {
        CopyOnDisk::Absent => Some(RemovalCause::Missing),
        CopyOnDisk::NotRegular | CopyOnDisk::HardLinked => Some(RemovalCause::Mismatch),
        CopyOnDisk::File { size } if size != kept.size => Some(RemovalCause::Mismatch),
        CopyOnDisk::File { .. } => None,
    }
}

/// The kept copy `check` restores after its decision, if any: on a boot
/// that provisions a retry or a resume of an attempt (or runs `check` again
/// on the boot that does, before the config was fetched), when a copy of
/// the very config the attempt is bound to is kept and not yet restored on
/// this boot. A retry past the red line is never a verdict that proceeds,
/// so nothing is ever restored past it.
pub fn kept_copy_to_restore(progress: &Progress, verdict: &Verdict) -> Option<KeptCopy> {
    let retry = match verdict {
        Verdict::SafeRetry { .. }
        | Verdict::ResumeAfterPlannedReboot { .. }
        | Verdict::SameBoot { .. } => true,
        Verdict::NotApplicable { .. }
        | Verdict::FirstRun { .. }
        | Verdict::ForcedRerun { .. }
        | Verdict::FatalInterruption { .. }
        | Verdict::AlreadyComplete { .. }
        | Verdict::Poisoned { .. } => false,
    };
    let kept = progress.kept?;
    (retry
        && progress.state == State::Fresh
        && progress.config == Some(kept.sha256)
        && !progress.restored)
        .then_some(kept)
}
