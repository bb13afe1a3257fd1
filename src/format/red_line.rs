//! The red line in bytes: the fewest bytes of whole records that could take
//! an attempt across the red line, which a torn tail must be shorter than
//! for a retry to be proven safe (`spec/STATES.md`, row 10). The records
//! that could follow are the transition function's to say; their length
//! is the format's.
//!
//! The search assumes nothing about which records a crossing needs: every
//! kind of record, each with its shortest payload, is tried from every
//! state reached, cheapest first, until a record begins a stage past the
//! red line or the bytes spent exceed the longest torn tail a crash can
//! leave ([`MAX_APPEND_LEN`]). A state whose crossing needs a record
//! nobody had thought of (a kept copy's removal before a new attempt, say)
//! is therefore weighed like any other.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use crate::format::codec;
use crate::format::frame::{FRAME_HEADER_LEN, MAX_APPEND_LEN};
use crate::model::event::{
    BootId, CallName, Event, PoisonReason, RebootReason, Record, RemovalCause, Sha256, Stamp,
    Trigger,
};
use crate::model::stage::Stage;
use crate::model::state::Progress;
use crate::model::transition::transition;

/// The most states [`min_bytes_to_cross_red_line`] expands before it
/// answers with the cost it has reached, a bound no crossing can be
/// cheaper than (so a search cut short errs towards a fatal verdict).
pub const CROSSING_SEARCH_STATES: usize = 20_000;

/// The fewest bytes of whole records that could take `progress` across the
/// red line (to a durable `begin` of a stage at or past it), or `None` if
/// no run of records as long as the longest torn tail ([`MAX_APPEND_LEN`])
/// can.
///
/// A torn tail shorter than this cannot be hiding such a record, whatever
/// damaged it; one at least this long might be, and is treated as if it
/// were.
pub fn min_bytes_to_cross_red_line(progress: &Progress) -> Option<u64> {
    let limit = MAX_APPEND_LEN as u64;
    let mut states = vec![progress.clone()];
    let mut expanded: HashSet<Progress> = HashSet::new();
    // (bytes spent, index into `states`, or `None` for a crossing).
    let mut queue = BinaryHeap::from([Reverse((0u64, Some(0usize)))]);
    while let Some(Reverse((spent, state))) = queue.pop() {
        let Some(index) = state else {
            return Some(spent);
        };
        if expanded.len() >= CROSSING_SEARCH_STATES {
            return Some(spent);
        }
        let from = states[index].clone();
        if !expanded.insert(from.clone()) {
            continue;
        }
        for event in shortest_of_every_kind(&from) {
            let record = Record {
                seq: 0,
                stamp: Stamp {
                    boot_id: writer(&event, &from),
                    ..PROBE
                },
                event,
            };
            let Ok(after) = transition(&from, &record) else {
                continue;
            };
            let spent = spent.saturating_add(frame_len(&record.event));
            if spent > limit {
                continue;
            }
            match record.event {
                Event::StageBegan { stage } if stage.is_past_red_line() => {
                    queue.push(Reverse((spent, None)));
                }
                _ => {
                    states.push(after);
                    queue.push(Reverse((spent, Some(states.len() - 1))));
                }
            }
        }
    }
    None
}

const PROBE: Stamp = Stamp {
    boot_id: BootId([0xff; 16]),
    wall_ms: 0,
    mono_ns: 0,
};

fn frame_len(event: &Event) -> u64 {
    codec::encode(&PROBE, event).map_or(u64::MAX, |payload| {
        (FRAME_HEADER_LEN + payload.len()) as u64
    })
}

/// The boot a record would come from: a new boot starts with `check`'s
/// record; the other records come from the boot running the attempt.
/// Boot IDs have a fixed size, so the choice changes no frame's length.
fn writer(event: &Event, from: &Progress) -> BootId {
    match (event, from.boot) {
        (Event::AttemptStarted { .. } | Event::Restarted { .. }, _) | (_, None) => PROBE.boot_id,
        (_, Some(running)) => running,
    }
}

/// Every kind of record, each with the shortest payload a writer could
/// give it from `from` (the shortest token, reason and cause), and the
/// digest `from` is bound to.
fn shortest_of_every_kind(from: &Progress) -> Vec<Event> {
    let epoch = from.epoch.wrapping_add(1);
    let bound = from.config.unwrap_or_default();
    let kept = from
        .kept
        .as_ref()
        .map_or(Sha256::default(), |kept| kept.sha256);
    let mut events = vec![
        Event::AttemptStarted {
            epoch,
            trigger: Trigger::Firstboot,
        },
        Event::AttemptStarted {
            epoch,
            trigger: Trigger::ForcedRerun {
                token: "x".to_owned(),
            },
        },
        Event::Restarted {
            planned: from.reboot_pending.clone(),
        },
        Event::Restarted { planned: None },
        Event::BootRefused,
        Event::ConfigFetched { sha256: bound },
        Event::ConfigKept {
            sha256: bound,
            size: 0,
        },
        Event::ConfigRestored { sha256: kept },
        Event::RebootPlanned {
            reason: RebootReason::Kargs,
        },
        Event::Completed,
        Event::Poisoned {
            reason: PoisonReason::RetriesExhausted {
                restarts: 0,
                limit: 0,
            },
        },
        Event::Reset {
            reason: String::new(),
        },
        Event::TailRepaired {
            offset: 0,
            dropped: 0,
        },
        Event::CallFailed {
            call: CallName::Check,
            status: 0,
            reason: String::new(),
        },
    ];
    for cause in RemovalCause::ALL {
        events.push(Event::KeptConfigRemoved {
            sha256: kept,
            cause,
        });
    }
    for stage in Stage::MUTATING {
        events.push(Event::StageEnded { stage });
        events.push(Event::StageFailed {
            stage,
            reason: String::new(),
        });
        events.push(Event::StageBegan { stage });
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new kind of record does not compile here until it is added to
    /// [`shortest_of_every_kind`], which this test then holds to it.
    #[test]
    fn every_kind_of_record_is_tried() {
        let kind = |event: &Event| match event {
            Event::AttemptStarted { .. } => 0,
            Event::Restarted { .. } => 1,
            Event::BootRefused => 2,
            Event::ConfigFetched { .. } => 3,
            Event::StageBegan { .. } => 4,
            Event::StageEnded { .. } => 5,
            Event::StageFailed { .. } => 6,
            Event::RebootPlanned { .. } => 7,
            Event::Completed => 8,
            Event::Poisoned { .. } => 9,
            Event::Reset { .. } => 10,
            Event::TailRepaired { .. } => 11,
            Event::ConfigKept { .. } => 12,
            Event::ConfigRestored { .. } => 13,
            Event::KeptConfigRemoved { .. } => 14,
            Event::CallFailed { .. } => 15,
        };
        let mut seen = [false; 16];
        for event in shortest_of_every_kind(&Progress::default()) {
            seen[kind(&event)] = true;
        }
        assert_eq!(seen, [true; 16]);
    }
}
