//! `dump`: every record of a journal, one per line, read-only.
//!
//! Opens the file without a lock, so it never blocks a running hook, and
//! replays records through the transition function only to show the state
//! after each one.

use std::fmt::Write as _;

use camino::Utf8Path;
use provision_journal::scan::{End, Scanner};
use provision_journal::storage::{Access, Storage};
use provision_journal::{Event, FsStorage, JournalError, Progress, Trigger, transition};
use serde_json::json;

use crate::exit::{Exit, Failure};

/// How reading the journal ended.
enum Ending {
    Clean,
    Torn {
        offset: u64,
        len: u64,
    },
    Damaged {
        offset: Option<u64>,
        problem: String,
    },
}

/// Prints the journal at `path` and returns the exit status: success for a
/// clean journal or one with a torn tail, [`Exit::Corrupt`] after printing
/// what precedes corruption.
pub fn run(path: &Utf8Path, json: bool) -> Result<Exit, Failure> {
    let mut storage = FsStorage::new(path);
    let exists = storage
        .open(Access::Read)
        .map_err(|source| Failure::from(open_error(path, source)))?;
    if !exists {
        return Err(Failure::new(
            Exit::NotFound,
            format!("there is no journal at `{path}`"),
        ));
    }
    let mut scanner = Scanner::start(&mut storage)?;
    let header = scanner.header();
    let mut progress = Progress::default();
    let mut lines = Vec::new();
    let mut records = Vec::new();
    let ending = loop {
        match scanner.next_record() {
            Ok(Some(scanned)) => {
                let record = &scanned.record;
                match transition(&progress, record) {
                    Ok(next) => progress = next,
                    Err(error) => {
                        break Ending::Damaged {
                            offset: Some(scanned.offset),
                            problem: format!("record {} breaks the rules: {error}", record.seq),
                        };
                    }
                }
                lines.push(format!(
                    "{:>7} {:>5}  {}  {}  {:<44} {}",
                    scanned.offset,
                    record.seq,
                    record.stamp.boot_id.short(),
                    utc(record.stamp.wall_ms),
                    describe(&record.event),
                    progress.state
                ));
                records.push(json!({
                    "offset": scanned.offset,
                    "seq": record.seq,
                    "boot_id": record.stamp.boot_id.to_hex(),
                    "wall_ms": record.stamp.wall_ms,
                    "mono_ns": record.stamp.mono_ns,
                    "event": record.event,
                    "state_after": progress.state.name(),
                    "stage_after": progress.state.stage().map(|stage| stage.name()),
                }));
            }
            Ok(None) => match scanner.end() {
                Some(End::Torn(torn)) => {
                    break Ending::Torn {
                        offset: torn.offset,
                        len: torn.len,
                    };
                }
                Some(End::Clean) | None => break Ending::Clean,
            },
            Err(error) => {
                let offset = match &error {
                    JournalError::Corrupt { offset, .. } => Some(*offset),
                    _ => None,
                };
                if offset.is_none() {
                    return Err(error.into());
                }
                break Ending::Damaged {
                    offset,
                    problem: error.to_string(),
                };
            }
        }
    };
    let exit = match ending {
        Ending::Damaged { .. } => Exit::Corrupt,
        Ending::Clean | Ending::Torn { .. } => Exit::Ok,
    };
    if json {
        let end = match &ending {
            Ending::Clean => json!({"kind": "clean"}),
            Ending::Torn { offset, len } => {
                json!({"kind": "torn_tail", "offset": offset, "len": len})
            }
            Ending::Damaged { offset, problem } => {
                json!({"kind": "corrupt", "offset": offset, "problem": problem})
            }
        };
        let document = json!({
            "path": path.as_str(),
            "format_version": header.version,
            "created_wall_ms": header.created_wall_ms,
            "records": records,
            "end": end,
            "state": progress.state.name(),
            "epoch": progress.epoch,
        });
        println!("{document:#}");
        return Ok(exit);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "journal {path}: format version {}, created {}",
        header.version,
        utc(header.created_wall_ms)
    );
    let _ = writeln!(
        out,
        "{:>7} {:>5}  {:<8}  {:<24}  {:<44} state after",
        "offset", "seq", "boot", "time (UTC)", "event"
    );
    for line in &lines {
        let _ = writeln!(out, "{line}");
    }
    match &ending {
        Ending::Clean => {
            let _ = writeln!(out, "end: clean, {} records", lines.len());
        }
        Ending::Torn { offset, len } => {
            let _ = writeln!(
                out,
                "end: torn tail of {len} bytes at offset {offset} (an append interrupted by a crash; the next write cuts it off)"
            );
        }
        Ending::Damaged { offset, problem } => {
            let at = offset.map_or(String::new(), |offset| format!(" at offset {offset}"));
            let _ = writeln!(
                out,
                "CORRUPTION{at}: {problem}; only the {} records above are trusted",
                lines.len()
            );
        }
    }
    print!("{out}");
    Ok(exit)
}

fn open_error(path: &Utf8Path, source: provision_journal::storage::StorageError) -> JournalError {
    JournalError::Storage {
        op: provision_journal::error::StorageOp::Open,
        path: path.to_owned(),
        source,
    }
}

/// The event in a few words; free text from the file is escaped.
pub fn describe(event: &Event) -> String {
    match event {
        Event::AttemptStarted { epoch, trigger } => match trigger {
            Trigger::Firstboot => format!("attempt-started {epoch} (firstboot)"),
            Trigger::ForcedRerun { token } => {
                format!("attempt-started {epoch} (rerun {token:?})")
            }
        },
        Event::Restarted {
            planned: Some(reason),
        } => format!("restarted (planned: {reason})"),
        Event::Restarted { planned: None } => "restarted (unplanned)".to_owned(),
        Event::ConfigFetched { sha256 } => format!("config-fetched {}", &sha256.to_hex()[..16]),
        Event::StageBegan { stage } => format!("begin {stage}"),
        Event::StageEnded { stage } => format!("end {stage}"),
        Event::StageFailed { stage, reason } => format!("fail {stage} {reason:?}"),
        Event::RebootPlanned { reason } => format!("reboot-planned ({reason})"),
        Event::Poisoned { reason } => {
            let mut text = String::from("poisoned: ");
            let _ = provision_journal::classify::describe_poison(reason, &mut text);
            text
        }
        Event::Reset { reason } => format!("reset {reason:?}"),
        Event::TailRepaired { offset, dropped } => {
            format!("tail-repaired ({dropped} bytes at {offset})")
        }
        Event::BootRefused | Event::Completed => event.kind().to_owned(),
    }
}

/// Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn utc(wall_ms: i64) -> String {
    let seconds = wall_ms.div_euclid(1000);
    let millis = wall_ms.rem_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc(1_735_689_600_250), "2025-01-01T00:00:00.250Z");
        assert_eq!(utc(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(utc(-1), "1969-12-31T23:59:59.999Z");
    }
}
