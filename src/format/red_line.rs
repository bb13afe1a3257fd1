//! The red line in bytes: the fewest bytes of whole records that could take
//! an attempt across the red line, which a torn tail must be shorter than
//! for a retry to be proven safe (`spec/STATES.md`, row 10). The records
//! that could follow are the transition function's to say; their length
//! is the format's.

use crate::format::codec;
use crate::format::frame::FRAME_HEADER_LEN;
use crate::model::event::{BootId, Event, Record, Stamp, Trigger};
use crate::model::stage::Stage;
use crate::model::state::Progress;
use crate::model::transition::transition;

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
        // A developer's rerun, with the shortest token there is.
        Event::AttemptStarted {
            epoch: from.epoch.wrapping_add(1),
            trigger: Trigger::ForcedRerun {
                token: "x".to_owned(),
            },
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
