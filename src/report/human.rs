//! The human report: fits an 80-column terminal, says everything in words.
//!
//! It is written in four parts, each from its own pass over the file so
//! that memory stays flat: the records, the per-boot timeline, the
//! anomalies, and what the next `check` will decide.

use std::io::{self, Write};

use crate::classify::describe_poison;
use crate::config::PolicySettings;
use crate::event::{Event, RebootReason, Trigger};
use crate::frame::VERSION;
use crate::state::{State, Step};
use crate::storage::Storage;

use super::escape::{defang, excerpt_total, hex_excerpt, quoted};
use super::time::{Utc, seconds};
use super::timeline::{BootSummary, StageResult, Timeline};
use super::verdict::{next_check, next_provisioning_boot, policy_words};
use super::walk::{
    Anomaly, Body, Entry, Item, Outcome, ReportError, Summary, Trust, kind_name, walk,
};

/// The width the report fits in.
pub const WIDTH: usize = 80;

/// Writes lines, each defanged, none wider than [`WIDTH`] when words allow.
struct Lines<'w> {
    out: &'w mut dyn Write,
}

impl Lines<'_> {
    fn line(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.out, "{}", defang(text))
    }

    /// Writes `text` word-wrapped, the first line after `first`, the others
    /// indented to the same width.
    fn wrapped(&mut self, first: &str, text: &str) -> io::Result<()> {
        let indent = " ".repeat(first.chars().count());
        let room = WIDTH.saturating_sub(indent.len()).max(20);
        let mut line = String::new();
        let mut prefix = first.to_owned();
        let flush = |line: &mut String, prefix: &mut String, lines: &mut Self| {
            let text = format!("{prefix}{line}");
            *prefix = indent.clone();
            line.clear();
            lines.line(text.trim_end())
        };
        for word in text.split(' ').filter(|word| !word.is_empty()) {
            let mut word: Vec<char> = word.chars().collect();
            loop {
                let used = line.chars().count();
                let need = word.len() + usize::from(used > 0);
                if used + need <= room {
                    if used > 0 {
                        line.push(' ');
                    }
                    line.extend(word.iter());
                    break;
                }
                if used > 0 {
                    flush(&mut line, &mut prefix, self)?;
                    continue;
                }
                let rest = word.split_off(split_point(&word, room));
                line.extend(word.iter());
                flush(&mut line, &mut prefix, self)?;
                word = rest;
            }
        }
        if !line.is_empty() || prefix == first {
            flush(&mut line, &mut prefix, self)?;
        }
        Ok(())
    }
}

/// Writes `text` defanged and word-wrapped to [`WIDTH`] columns, the first
/// line after `first`, the others indented to its width (as `dump` lays out
/// its closing sections; `status` uses it too).
///
/// # Errors
///
/// The writer's error.
pub fn write_wrapped(out: &mut dyn Write, first: &str, text: &str) -> io::Result<()> {
    Lines { out }.wrapped(first, text)
}

/// `n` and `noun`, with the noun's plural when `n` is not 1: `1 trusted
/// record`, `2 trusted records`.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    match n.into() {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// `The record` or `The N records`, for the trusted ones before damage.
pub fn the_records(n: u64) -> String {
    match n {
        1 => "The record".to_owned(),
        n => format!("The {n} records"),
    }
}

/// Where to cut a word too long for a line of `room` characters: at most
/// `room`, and never inside an escape `quoted` wrote (`\u{1b}`, `\n`,
/// `\"`), so each half still reads as what it is.
fn split_point(word: &[char], room: usize) -> usize {
    let mut at = 0;
    let mut last_fit = 0;
    while at < word.len() && at <= room {
        last_fit = at;
        at += match word[at..] {
            ['\\', 'u', '{', ..] => word[at..]
                .iter()
                .take(12)
                .position(|&c| c == '}')
                .map_or(1, |close| close + 1),
            ['\\', _, ..] => 2,
            _ => 1,
        };
    }
    if last_fit == 0 { room } else { last_fit }
}

/// The state column: short enough for the table.
pub fn state_label(state: &State) -> String {
    match state {
        State::Mutating { stage, step } => {
            let step = match step {
                Step::Running => "running",
                Step::Ended => "ended",
                Step::Failed => "failed",
            };
            format!("{stage} {step}")
        }
        other => other.name().to_owned(),
    }
}

/// The event column (at most 20 characters for known events but an
/// attempt number above 99 999), and a detail line for what does not fit:
/// free text, always quoted and escaped.
pub fn event_label(body: &Body) -> (String, Option<String>) {
    let event = match body {
        Body::Known(event) => event,
        Body::UnknownKind(kind) => {
            return match kind_name(*kind) {
                Some(name) => (
                    "undecodable record".to_owned(),
                    Some(format!(
                        "a {name} record whose fields this version cannot decode"
                    )),
                ),
                None => (
                    format!("unknown kind #{kind}"),
                    Some("an event kind this version does not know".to_owned()),
                ),
            };
        }
        Body::Unreadable => return ("unreadable payload".to_owned(), None),
    };
    let short = |text: &str| (text.to_owned(), None);
    match event {
        Event::AttemptStarted {
            epoch,
            trigger: Trigger::Firstboot,
        } => short(&format!("attempt {epoch} started")),
        Event::AttemptStarted {
            epoch,
            trigger: Trigger::ForcedRerun { token },
        } => (
            format!("attempt {epoch} (rerun)"),
            Some(format!("forced rerun, token {}", quoted(token))),
        ),
        Event::Restarted { planned: None } => short("restart (unplanned)"),
        Event::Restarted {
            planned: Some(RebootReason::Other(reason)),
        } => (
            "restart (planned)".to_owned(),
            Some(format!("after the planned reboot for {}", quoted(reason))),
        ),
        Event::Restarted {
            planned: Some(reason),
        } => short(&format!("restart after {reason}")),
        Event::BootRefused => short("boot refused"),
        Event::ConfigFetched { sha256 } => short(&format!("fetched {}", &sha256.to_hex()[..12])),
        Event::StageBegan { stage } => short(&format!("begin {stage}")),
        Event::StageEnded { stage } => short(&format!("end {stage}")),
        Event::StageFailed { stage, reason } => (
            format!("fail {stage}"),
            Some(format!("reason {}", quoted(reason))),
        ),
        Event::RebootPlanned {
            reason: RebootReason::Other(reason),
        } => (
            "reboot planned".to_owned(),
            Some(format!("reason {}", quoted(reason))),
        ),
        Event::RebootPlanned { reason } => short(&format!("reboot for {reason}")),
        Event::Completed => short("completed"),
        Event::Poisoned { reason } => {
            let mut why = String::new();
            describe_poison(reason, &mut why).expect("writing to a String");
            ("POISONED".to_owned(), Some(why))
        }
        Event::Reset { reason } => (
            "reset".to_owned(),
            Some(format!("operator's reason {}", quoted(reason))),
        ),
        Event::TailRepaired { offset, dropped } => (
            "tail repaired".to_owned(),
            Some(format!(
                "cut off {} at offset {offset}",
                count(*dropped, "torn byte")
            )),
        ),
        Event::ConfigKept { sha256, size } => (
            format!("fetched {}", &sha256.to_hex()[..12]),
            Some(format!("a copy is kept ({})", count(*size, "byte"))),
        ),
        Event::ConfigRestored { sha256 } => short(&format!("restored {}", &sha256.to_hex()[..12])),
        Event::KeptConfigRemoved { sha256, cause } => (
            "kept copy removed".to_owned(),
            Some(format!("copy {} removed: {cause}", &sha256.to_hex()[..12])),
        ),
    }
}

const DETAIL_INDENT: &str = "                ";

/// The width of the event column.
const EVENT_WIDTH: usize = 21;

fn record_row(lines: &mut Lines, entry: &Entry, date: &mut Option<String>) -> io::Result<()> {
    let time = entry.stamp.map(|stamp| Utc::from_unix_ms(stamp.wall_ms));
    if let Some(time) = time
        && date.as_deref() != Some(time.date().as_str())
    {
        lines.line(&format!("-- {} --", time.date()))?;
        *date = Some(time.date());
    }
    let boot = match (entry.boot_number, entry.stamp) {
        (Some(number), Some(stamp)) => format!("#{number} {}", stamp.boot_id.short()),
        _ => "?".to_owned(),
    };
    let (attempt, state) = match (&entry.after, entry.trust) {
        (Some((epoch, state)), _) => (epoch.to_string(), state_label(state)),
        (None, Trust::Salvaged) => ("?".to_owned(), "(salvaged)".to_owned()),
        (None, Trust::Trusted) => ("?".to_owned(), "?".to_owned()),
    };
    let (mut event, detail) = event_label(&entry.body);
    if event.chars().count() >= EVENT_WIDTH {
        // Never run into the state column.
        event.push(' ');
    }
    let time = time.map_or_else(|| "?".to_owned(), |time| time.time());
    lines.line(
        format!(
            "{:>7} {:>5} {attempt:>2} {boot:<12} {time:<8} {event:<EVENT_WIDTH$} {state}",
            entry.offset, entry.seq
        )
        .trim_end(),
    )?;
    if let Some(detail) = detail {
        lines.wrapped(DETAIL_INDENT, &detail)?;
    }
    Ok(())
}

fn anomaly_marker(anomaly: &Anomaly) -> Option<String> {
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
        Anomaly::StoppedMidStage {
            boot_number,
            stage,
            at_end,
            ..
        } => match at_end {
            false => format!("boot #{boot_number} stops during {stage}"),
            true => format!("the records end during {stage}"),
        },
        Anomaly::StoppedAfterStage {
            boot_number,
            stage,
            at_end,
            ..
        } => match at_end {
            false => format!("boot #{boot_number} stops after {stage} ended, before complete"),
            true => format!("the records end after {stage} ended, before complete"),
        },
        Anomaly::UnplannedRestart {
            boot_number, after, ..
        } => format!("boot #{boot_number} stops after `{after}`: unplanned restart"),
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
                        "They are the start of record #{}{kind}{boot}, {} bytes when whole; that record was lost.",
                        lost.seq, lost.frame_len
                    )
                }
                None => "Too little of it survived to tell which record was lost.".to_owned(),
            };
            format!(
                "Torn tail: the journal ends in {} at offset {} that are not a whole record, the trace of an append interrupted by a power cut or crash. {what} Everything before offset {} is intact; the next write cuts these bytes off and records that it did.",
                count(tail.len, "byte"),
                tail.offset,
                tail.offset
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
                    if *records == 1 { "is" } else { "are" }
                ),
            };
            format!(
                "Corruption at offset {offset}: {words}. An interrupted append cannot leave this. {trusted}"
            )
        }
        Anomaly::UnsupportedVersion { found } => format!(
            "The file has format version {found}; this provision-journal reads version {VERSION} only."
        ),
        Anomaly::Unreadable { offset, len, .. } => format!(
            "Salvage skipped {} at offsets {offset} to {}: no record starts in them.",
            count(*len, "unreadable byte"),
            offset + len - 1
        ),
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
            "Repaired tail: record #{seq} says a writer cut off {} at offset {torn_offset}. An earlier append had been interrupted by a crash; the record it was writing was lost then.",
            count(*dropped, "torn byte")
        ),
        Anomaly::StoppedMidStage {
            seq,
            boot_number,
            boot,
            stage,
            at_end: false,
            ..
        } => format!(
            "Boot #{boot_number} ({}) stops in the middle of stage {stage}: its last record, #{seq}, began the stage and no end or fail record follows. The boot was interrupted (power cut, reset or crash) while {stage} ran.",
            boot.short()
        ),
        Anomaly::StoppedMidStage {
            seq,
            boot_number,
            boot,
            stage,
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
            ..
        } => format!(
            "Boot #{boot_number} ({}) stops after `{after}` (its last record, #{seq}) with no end, fail or reboot record: an unplanned restart (power cut, reset or crash) before the red line (a later boot followed it); before the red line a restart is a safe retry, counted against the retry budget.",
            boot.short()
        ),
        Anomaly::StoppedAfterStage {
            seq,
            boot_number,
            boot,
            stage,
            at_end: false,
            ..
        } => format!(
            "Boot #{boot_number} ({}) stops after stage {stage} ended, past the red line: its last record, #{seq}, ended the stage, and neither a later stage nor a complete record follows. The boot was interrupted (power cut, reset or crash) between stages.",
            boot.short()
        ),
        Anomaly::StoppedAfterStage {
            seq,
            boot_number,
            boot,
            stage,
            at_end: true,
            ..
        } => format!(
            "The records end after stage {stage} ended, past the red line, with no complete record: the last record, #{seq} of boot #{boot_number} ({}), ended it. Either that boot is still running, or it was interrupted before its next record.",
            boot.short()
        ),
    }
}

fn anomaly_excerpt(anomaly: &Anomaly) -> Option<String> {
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
    Some(format!("bytes at {offset}: {}", hex_excerpt(bytes, total)))
}

fn boot_heading(lines: &mut Lines, boot: &BootSummary) -> io::Result<()> {
    let attempt = boot
        .attempt
        .map(|epoch| format!(", attempt {epoch}"))
        .unwrap_or_default();
    lines.line(&format!(
        "Boot #{} {}, from {}{attempt}",
        boot.number,
        boot.boot.short(),
        Utc::from_unix_ms(boot.first_wall_ms).long()
    ))
}

fn boot_footer(lines: &mut Lines, boot: &BootSummary) -> io::Result<()> {
    if let Some(span) = boot
        .stages
        .last()
        .filter(|span| span.result == StageResult::Running)
    {
        lines.line(&format!(
            "   {:>9}  {}: began, no end or fail record: STOPPED MID-STAGE",
            format!("+{}", seconds(span.start_ns)),
            span.stage
        ))?;
    }
    if let Some(stage) = boot.stopped_after() {
        lines.line(&format!(
            "   {:>9}  no record after {stage} ended, and no complete: STOPPED BETWEEN STAGES",
            format!("+{}", seconds(boot.span_ns)),
        ))?;
    }
    let salvaged = if boot.salvaged { ", some salvaged" } else { "" };
    let span = match boot.records {
        1 => format!("(#{})", boot.first_seq),
        _ => format!(
            "(#{}-#{}) over {}",
            boot.first_seq,
            boot.last_seq,
            seconds(boot.span_ns)
        ),
    };
    lines.line(&format!(
        "   {} {span}{salvaged}",
        count(boot.records, "record")
    ))?;
    lines.line(&format!(
        "   boot ID {} (for journalctl -b)",
        boot.boot.to_hex()
    ))?;
    if let Some(config) = boot.config {
        lines.line(&format!("   config {config}"))?;
    }
    if boot.more_stages > 0 {
        lines.line(&format!(
            "   ({} not shown)",
            count(boot.more_stages, "more stage")
        ))?;
    }
    lines.line("")
}

fn table_heading(lines: &mut Lines) -> io::Result<()> {
    lines.line("RECORDS")?;
    lines.line(&format!(
        "{:>7} {:>5} {:>2} {:<12} {:<8} {:<EVENT_WIDTH$} {}",
        "offset", "seq", "at", "boot", "time", "event", "state after"
    ))
}

fn records_part(lines: &mut Lines, item: Item, state: &mut RecordsPart) -> io::Result<()> {
    match item {
        Item::Header(header) => {
            lines.line(&format!(
                "Format version {}, created {}.",
                header.version,
                Utc::from_unix_ms(header.created_wall_ms).long()
            ))?;
            lines.line("")?;
            table_heading(lines)?;
            state.heading_done = true;
        }
        Item::Record(entry) => {
            headerless_heading(lines, state)?;
            state.records += 1;
            if entry.trust == Trust::Salvaged && !state.salvage_banner {
                lines.line("== SALVAGED: read past the damage; NOT trusted, not replayed ==")?;
                state.salvage_banner = true;
            }
            record_row(lines, &entry, &mut state.date)?;
        }
        Item::Anomaly(anomaly) => {
            headerless_heading(lines, state)?;
            if let Some(marker) = anomaly_marker(&anomaly) {
                lines.line(&marker)?;
            }
        }
    }
    Ok(())
}

/// The table heading of a file whose header could not be read.
fn headerless_heading(lines: &mut Lines, state: &mut RecordsPart) -> io::Result<()> {
    if !state.heading_done {
        lines.line("The file header cannot be read (see ANOMALIES).")?;
        lines.line("")?;
        table_heading(lines)?;
        state.heading_done = true;
    }
    Ok(())
}

#[derive(Default)]
struct RecordsPart {
    heading_done: bool,
    salvage_banner: bool,
    date: Option<String>,
    records: u64,
}

fn outcome_words(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Clean => "clean: every byte belongs to a whole, valid record",
        Outcome::TornTail => "ends in a torn tail (an interrupted append)",
        Outcome::Corrupt => "CORRUPT",
        Outcome::UnsupportedVersion => "written by a newer format version",
    }
}

/// Writes the human report of the journal in `storage` (opened for reading).
pub fn write<S: Storage + ?Sized>(
    storage: &mut S,
    policy: &PolicySettings,
    out: &mut dyn Write,
) -> Result<Summary, ReportError> {
    let context = &next_provisioning_boot(policy.policy());
    let path = storage.path().to_string();
    let mut lines = Lines { out };
    lines.line(&format!("provision-journal dump of {path}"))?;
    lines.line("Times are UTC; durations come from each boot's monotonic clock.")?;
    lines.line("")?;

    let mut part = RecordsPart::default();
    walk(storage, &mut |item| {
        records_part(&mut lines, item, &mut part)
    })?;
    headerless_heading(&mut lines, &mut part)?;
    if part.records == 0 {
        lines.line("(no records)")?;
    }

    lines.line("")?;
    lines.line("TIMELINE (per boot, monotonic time since the boot's first record)")?;
    let mut timeline = Timeline::default();
    let mut any_boot = false;
    walk(storage, &mut |item| {
        let Item::Record(entry) = item else {
            return Ok(());
        };
        let Some(pushed) = timeline.push(&entry) else {
            return Ok(());
        };
        if let Some(finished) = &pushed.finished {
            boot_footer(&mut lines, finished)?;
        }
        if pushed.starts_boot {
            any_boot = true;
            let boot = timeline.current().expect("a boot is in progress");
            boot_heading(&mut lines, boot)?;
        }
        if let Some(span) = pushed.left_open {
            lines.line(&format!(
                "   {:>9}  {}: began; its end or fail record is not among the records read (the next stage began at +{})",
                format!("+{}", seconds(span.start_ns)),
                span.stage,
                seconds(pushed.rel_ns)
            ))?;
        }
        let at = format!("+{}", seconds(pushed.rel_ns));
        let text = match (&entry.body, pushed.closed) {
            (Body::Known(Event::StageBegan { .. }), _) => return Ok(()),
            (
                Body::Known(Event::ConfigFetched { sha256 } | Event::ConfigKept { sha256, .. }),
                _,
            ) => match entry.config_changed_from {
                Some(old) => format!(
                    "fetched {}: CONFIG CHANGED from {}",
                    &sha256.to_hex()[..12],
                    &old.to_hex()[..12]
                ),
                None => event_label(&entry.body).0,
            },
            (_, Some(span)) => format!(
                "{}: {} after {}{}",
                span.stage,
                match span.result {
                    StageResult::Failed => "FAILED",
                    StageResult::Ended | StageResult::Running => "ended",
                },
                seconds(span.duration_ns.unwrap_or_default()),
                format_args!(" (began at +{})", seconds(span.start_ns)),
            ),
            (body, None) => event_label(body).0,
        };
        let salvaged = match entry.trust {
            Trust::Salvaged => " (salvaged)",
            Trust::Trusted => "",
        };
        lines.line(&format!("   {at:>9}  {text}{salvaged}"))
    })?;
    if let Some(last) = timeline.finish() {
        boot_footer(&mut lines, &last)?;
    }
    if !any_boot {
        lines.line("(no records)")?;
        lines.line("")?;
    }

    lines.line("ANOMALIES")?;
    let mut numbered = 0;
    let summary = walk(storage, &mut |item| {
        let Item::Anomaly(anomaly) = item else {
            return Ok(());
        };
        numbered += 1;
        let number = format!("{numbered:>2}. ");
        lines.wrapped(
            &format!("{number}[{}] ", anomaly.offset()),
            &describe_anomaly(&anomaly),
        )?;
        if let Some(excerpt) = anomaly_excerpt(&anomaly) {
            lines.line(&format!("    {excerpt}"))?;
        }
        Ok(())
    })?;
    if numbered == 0 {
        lines.line("None.")?;
    }

    lines.line("")?;
    lines.line("NEXT CHECK")?;
    let salvaged = match summary.salvaged_records {
        0 => String::new(),
        n => format!(", {n} salvaged"),
    };
    lines.wrapped(
        "Journal: ",
        &format!(
            "{}; {}, {}{salvaged}.",
            outcome_words(summary.outcome),
            count(summary.file_len, "byte"),
            count(summary.trusted_records, "trusted record")
        ),
    )?;
    let next = next_check(&summary, context);
    lines.wrapped("Decision: ", &format!("{}.", next.explanation))?;
    lines.wrapped("Policy: ", &format!("{}.", policy_words(policy)))?;
    lines.wrapped("To do: ", &next.advice)?;
    Ok(summary)
}
