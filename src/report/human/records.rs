//! The RECORDS part: one row per record, anomalies marked where they are
//! found.

use std::io;

use crate::storage::Storage;

use super::super::time::Utc;
use super::super::walk::{Entry, Item, ReportError, Trust, walk};
use super::anomaly_words::anomaly_marker;
use super::lines::Lines;
use super::words::{event_label, state_label};

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

fn table_heading(lines: &mut Lines) -> io::Result<()> {
    lines.line("RECORDS")?;
    lines.line(&format!(
        "{:>7} {:>5} {:>2} {:<12} {:<8} {:<EVENT_WIDTH$} {}",
        "offset", "seq", "at", "boot", "time", "event", "state after"
    ))
}

fn row(lines: &mut Lines, item: Item, state: &mut RecordsPart) -> io::Result<()> {
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

/// Writes the RECORDS part, from one pass.
pub(super) fn part<S: Storage + ?Sized>(
    storage: &mut S,
    lines: &mut Lines<'_>,
) -> Result<(), ReportError> {
    let mut part = RecordsPart::default();
    walk(storage, &mut |item| row(lines, item, &mut part))?;
    headerless_heading(lines, &mut part)?;
    if part.records == 0 {
        lines.line("(no records)")?;
    }
    Ok(())
}
