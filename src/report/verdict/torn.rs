//! What torn bytes at the red line could have been. A torn tail long enough
//! to hold the start of the disks stage poisons the attempt, though most
//! often it held another record; the advice names the records that could
//! have followed the last whole one, as the transition function says, and
//! are long enough to leave that many torn bytes.

use crate::format::codec;
use crate::format::frame::FRAME_HEADER_LEN;
use crate::model::event::{BootId, Event, RebootReason, Record, Stamp, Trigger};
use crate::model::stage::Stage;
use crate::model::state::Progress;
use crate::model::text::MAX_TEXT_LEN;
use crate::model::transition::transition;

/// The records other than a `begin` of a stage at or past the red line
/// that could follow `progress` and leave `torn_len` torn bytes, by the
/// command that writes them (`reboot`, the next boot's `check`), each once.
pub(super) fn other_records(progress: &Progress, torn_len: u64) -> Vec<String> {
    let longest = "x".repeat(MAX_TEXT_LEN);
    let running = progress.boot.unwrap_or(BootId([0xfe; 16]));
    let next_boot = BootId([0xff; 16]);
    let mut candidates = vec![
        (
            next_boot,
            Event::Restarted {
                planned: progress.reboot_pending.clone(),
            },
        ),
        (
            next_boot,
            Event::AttemptStarted {
                epoch: progress.epoch.wrapping_add(1),
                trigger: Trigger::Firstboot,
            },
        ),
        (
            running,
            Event::ConfigFetched {
                sha256: progress.config.unwrap_or_default(),
            },
        ),
        (
            running,
            Event::RebootPlanned {
                reason: RebootReason::Other(longest.clone()),
            },
        ),
        (running, Event::Completed),
    ];
    for stage in Stage::MUTATING {
        candidates.push((running, Event::StageBegan { stage }));
        candidates.push((running, Event::StageEnded { stage }));
    }
    for stage in Stage::ALL {
        let reason = longest.clone();
        candidates.push((running, Event::StageFailed { stage, reason }));
    }
    let mut named: Vec<String> = Vec::new();
    for (boot_id, event) in candidates {
        if let Event::StageBegan { stage } = event {
            if stage.is_past_red_line() {
                continue;
            }
        }
        let stamp = Stamp {
            boot_id,
            wall_ms: 0,
            mono_ns: 0,
        };
        let long_enough = codec::encode(&stamp, &event)
            .is_ok_and(|payload| (FRAME_HEADER_LEN + payload.len()) as u64 >= torn_len);
        let record = Record {
            seq: 0,
            stamp,
            event,
        };
        if !long_enough || transition(progress, &record).is_err() {
            continue;
        }
        let name = command(&record.event);
        if !named.contains(&name) {
            named.push(name);
        }
    }
    named
}

/// Whether one `begin` of the first stage past the red line could follow
/// `progress` and leave `torn_len` torn bytes.
pub(super) fn red_line_record_fits(progress: &Progress, torn_len: u64) -> bool {
    let Some(stage) = Stage::MUTATING
        .into_iter()
        .find(|stage| stage.is_past_red_line())
    else {
        return false;
    };
    let record = Record {
        seq: 0,
        stamp: Stamp {
            boot_id: progress.boot.unwrap_or(BootId([0xfe; 16])),
            wall_ms: 0,
            mono_ns: 0,
        },
        event: Event::StageBegan { stage },
    };
    let long_enough = codec::encode(&record.stamp, &record.event)
        .is_ok_and(|payload| (FRAME_HEADER_LEN + payload.len()) as u64 >= torn_len);
    long_enough && transition(progress, &record).is_ok()
}

/// The command that writes `event`, as the advice names it.
fn command(event: &Event) -> String {
    match event {
        Event::StageBegan { stage } => format!("`begin {stage}`"),
        Event::StageEnded { stage } => format!("`end {stage}`"),
        Event::StageFailed { stage, .. } => format!("`fail {stage}`"),
        Event::RebootPlanned { .. } => "`reboot`".to_owned(),
        Event::ConfigFetched { .. } => "`fetched`".to_owned(),
        Event::Completed => "`complete`".to_owned(),
        _ => "the next boot's `check`".to_owned(),
    }
}
