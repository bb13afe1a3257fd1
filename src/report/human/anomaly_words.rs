//! The words of the anomalies: the marker in the records table, the
//! numbered paragraph, the bytes shown, and the journal's outcome.

use crate::format::frame::VERSION;
use crate::model::state::BootStop;

use super::super::escape::{excerpt_total, hex_excerpt};
use super::super::walk::{Anomaly, Outcome, kind_name};
use super::words::{agreeing, count, the_records};

pub(super) fn anomaly_marker(anomaly: &Anomaly) -> Option<String> {
    let text = match anomaly {
        Anomaly::TornTail { tail, .. } => {
            format!(
                "torn tail: {} to the end of the file",
                count(tail.len, "byte")
            )
        }
        Anomaly::Corrupt { offset, .. } => {
            format!("CORRUPTION at offset {offset}: nothing from here on is trusted")
        }
        Anomaly::UnsupportedVersion { found } => format!("format version {found} is not readable"),
        Anomaly::Unreadable { len, .. } => {
            format!("{} skipped", count(*len, "unreadable byte"))
        }
        Anomaly::SequenceGap {
            expected, found, ..
        } => {
            format!("sequence gap: #{expected} expected, #{found} found")
        }
        Anomaly::BrokenLink { seq, .. } => format!("#{seq} does not link to the record before"),
        Anomaly::Stopped {
            boot_number,
            stop,
            at_end,
            ..
        } => match (stop, at_end) {
            (BootStop::InStage(stage), false) => {
                format!("boot #{boot_number} stops during {stage}")
            }
            (BootStop::InStage(stage), true) => format!("the records end during {stage}"),
            (BootStop::AfterStage(stage), false) => {
                format!("boot #{boot_number} stops after {stage} ended, before complete")
            }
            (BootStop::AfterStage(stage), true) => {
                format!("the records end after {stage} ended, before complete")
            }
        },
        Anomaly::UnplannedRestart {
            boot_number,
            after,
            torn_at_red_line: false,
            ..
        } => format!("boot #{boot_number} stops after `{after}`: unplanned restart"),
        Anomaly::UnplannedRestart {
            boot_number,
            after,
            torn_at_red_line: true,
            ..
        } => format!(
            "boot #{boot_number} stops after `{after}`, its next append torn: counted past the red line"
        ),
        Anomaly::ConfigChanged { old, new, .. } => format!(
            "config changed: {} before, {} now",
            &old.to_hex()[..12],
            &new.to_hex()[..12]
        ),
        Anomaly::UnknownKind { .. } | Anomaly::TailRepaired { .. } => return None,
    };
    Some(format!("{:>7} !! {text}", anomaly.offset()))
}

/// Says an anomaly in words.
pub fn describe_anomaly(anomaly: &Anomaly) -> String {
    match anomaly {
        Anomaly::TornTail { tail, lost, .. } => {
            let what = match lost {
                Some(lost) => {
                    let kind = lost
                        .kind
                        .map(|kind| kind_name(kind).unwrap_or("unknown kind"))
                        .map(|kind| format!(" ({kind})"))
                        .unwrap_or_default();
                    let boot = lost
                        .boot
                        .map(|boot| format!(" of boot {}", boot.short()))
                        .unwrap_or_default();
                    format!(
                        "{} the start of record #{}{kind}{boot}, {} when whole; that record was lost (unless only the copy is short).",
                        agreeing(tail.len, "It is", "They are"),
                        lost.seq,
                        count(lost.frame_len, "byte")
                    )
                }
                None => "Too little of it survived to tell which record was lost.".to_owned(),
            };
            format!(
                "Torn tail: the journal ends in {} at offset {} that {} not a whole record, the trace of an append interrupted by a power cut or crash, or the copy is incomplete (taken while a hook appended, or cut short on its way). {what} Everything before offset {} is intact; the next write cuts {} off and records that it did.",
                count(tail.len, "byte"),
                tail.offset,
                agreeing(tail.len, "is", "are"),
                tail.offset,
                agreeing(tail.len, "this byte", "these bytes"),
            )
        }
        Anomaly::Corrupt {
            offset,
            words,
            trusted_records,
            ..
        } => {
            let trusted = match trusted_records {
                0 => "No record is trusted.".to_owned(),
                records => format!(
                    "{} before offset {offset} {} trusted; nothing from here on is.",
                    the_records(*records),
                    agreeing(*records, "is", "are")
                ),
            };
            format!(
                "Corruption at offset {offset}: {words}. An interrupted append cannot leave this. {trusted}"
            )
        }
        Anomaly::UnsupportedVersion { found } => format!(
            "The file has format version {found}; this provision-journal reads version {VERSION} only."
        ),
        Anomaly::Unreadable { offset, len, .. } => match len {
            1 => format!(
                "Salvage skipped {} at offset {offset}: no record starts in it.",
                count(*len, "unreadable byte"),
            ),
            _ => format!(
                "Salvage skipped {} at offsets {offset} to {}: no record starts in them.",
                count(*len, "unreadable byte"),
                offset + len - 1
            ),
        },
        Anomaly::SequenceGap {
            expected, found, ..
        } => format!(
            "Sequence gap: salvaged record #{found} comes where #{expected} was expected; records are missing or out of order."
        ),
        Anomaly::BrokenLink { seq, .. } => format!(
            "Salvaged record #{seq} does not link to the record before it: the two do not belong to the same history."
        ),
        Anomaly::UnknownKind { seq, kind, .. } => match kind_name(*kind) {
            Some(name) => format!(
                "Record #{seq} is a {name} record whose fields this version cannot decode; it is shown as unknown."
            ),
            None => format!(
                "Record #{seq} has event kind #{kind}, which this version does not know (written by a newer version?); it is shown as unknown, and `check` will not replay past it."
            ),
        },
        Anomaly::TailRepaired {
            seq,
            torn_offset,
            dropped,
            ..
        } => format!(
            "Repaired tail: record #{seq} says a writer cut off {} at offset {torn_offset}. An earlier append was interrupted by a crash, or the bytes were damaged later; whatever record (or records) they held was lost.",
            count(*dropped, "torn byte")
        ),
        Anomaly::Stopped {
            seq,
            boot_number,
            boot,
            stop: BootStop::InStage(stage),
            at_end: false,
            ..
        } => format!(
            "Boot #{boot_number} ({}) stops in the middle of stage {stage}: its last record, #{seq}, began the stage and no end or fail record follows. The boot was interrupted (power cut, reset or crash) while {stage} ran.",
            boot.short()
        ),
        Anomaly::Stopped {
            seq,
            boot_number,
            boot,
            stop: BootStop::InStage(stage),
            at_end: true,
            ..
        } => format!(
            "The records end in the middle of stage {stage}: the last record, #{seq} of boot #{boot_number} ({}), began it. Either that boot is still running {stage}, or it was interrupted.",
            boot.short()
        ),
        Anomaly::ConfigChanged {
            seq,
            old,
            new,
            after_stage,
            poisoned,
            ..
        } => {
            let (old, new) = (&old.to_hex()[..12], &new.to_hex()[..12]);
            let consequence = match (poisoned, after_stage) {
                (false, _) => "No mutating stage had run yet in this attempt, so it goes on with the new config, whole. A config that changes between boots usually means its source served different content.".to_owned(),
                (true, Some(stage)) => format!("Stage {stage} had already changed the machine under the old config, so this record poisoned the attempt."),
                (true, None) => "A mutating stage had already changed the machine under the old config, so this record poisoned the attempt.".to_owned(),
            };
            format!(
                "Config changed: record #{seq} fetched config {new}.., not the config {old}.. this attempt had fetched before. {consequence}"
            )
        }
        Anomaly::UnplannedRestart {
            seq,
            boot_number,
            boot,
            after,
            torn_at_red_line: false,
            ..
        } => format!(
            "Boot #{boot_number} ({}) stops after `{after}` (its last record, #{seq}) with no end, fail or reboot record: an unplanned restart (power cut, reset or crash) before the red line (a later boot followed it); before the red line a restart is a safe retry, counted against the retry budget.",
            boot.short()
        ),
        Anomaly::UnplannedRestart {
            seq,
            boot_number,
            boot,
            after,
            torn_at_red_line: true,
            ..
        } => format!(
            "Boot #{boot_number} ({}) stops after `{after}` (its last record, #{seq}) with no end, fail or reboot record, and the append after that record was torn (power cut, reset or crash): the next boot cut the torn bytes off (the repaired tail below). They could have been the start of the disks stage, so that boot's `check` counted the restart as past the red line and poisoned the attempt instead of retrying it.",
            boot.short()
        ),
        Anomaly::Stopped {
            seq,
            boot_number,
            boot,
            stop: BootStop::AfterStage(stage),
            at_end: false,
            ..
        } => format!(
            "Boot #{boot_number} ({}) stops after stage {stage} ended, past the red line: its last record, #{seq}, ended the stage, and neither a later stage nor a complete record follows. The boot was interrupted (power cut, reset or crash) between stages.",
            boot.short()
        ),
        Anomaly::Stopped {
            seq,
            boot_number,
            boot,
            stop: BootStop::AfterStage(stage),
            at_end: true,
            ..
        } => format!(
            "The records end after stage {stage} ended, past the red line, with no complete record: the last record, #{seq} of boot #{boot_number} ({}), ended it. Either that boot is still running, or it was interrupted before its next record.",
            boot.short()
        ),
    }
}

pub(super) fn anomaly_excerpt(anomaly: &Anomaly) -> Option<String> {
    let (offset, bytes, total) = match anomaly {
        Anomaly::TornTail { tail, excerpt, .. } => (tail.offset, excerpt, tail.len),
        Anomaly::Corrupt {
            offset, excerpt, ..
        } => (*offset, excerpt, excerpt_total(excerpt)),
        Anomaly::Unreadable {
            offset,
            len,
            excerpt,
        } => (*offset, excerpt, *len),
        _ => return None,
    };
    let shown = match bytes.is_empty() {
        true => "(end of file)".to_owned(),
        false => hex_excerpt(bytes, total),
    };
    Some(format!("bytes at {offset}: {shown}"))
}

pub(super) fn outcome_words(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Clean => "clean: every byte belongs to a whole, valid record",
        Outcome::TornTail => {
            "ends in a torn tail (an interrupted append, or the copy is incomplete)"
        }
        Outcome::Corrupt => "CORRUPT",
        Outcome::UnsupportedVersion => "written by a newer format version",
    }
}
