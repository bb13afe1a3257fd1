//! The OVERVIEW part: one line per boot, the red line a column of its
//! own, so that a support engineer reading many boots sees at a glance
//! which boots crossed it, where each stopped, and how: a planned reboot, a
//! cut, a refusal, a failure.

use std::io;

use crate::model::stage::Stage;
use crate::storage::Storage;

use super::super::boot_end::end_column;
use super::super::time::Utc;
use super::super::timeline::{BootSummary, FetchMark, StageResult, Timeline};
use super::super::walk::{Item, ReportError, walk};
use super::lines::Lines;

/// The stages with a column, before and after the red line.
const BEFORE: [Stage; 1] = [Stage::Kargs];
const AFTER: [Stage; 4] = [Stage::Disks, Stage::Mount, Stage::Files, Stage::Umount];

/// A column's cell: left-aligned to the width of the stage's name.
fn cell(text: &str, stage_name: &str) -> String {
    format!("{text:<width$} ", width = stage_name.len().max(5))
}

fn stage_cell(boot: &BootSummary, stage: Stage) -> String {
    let mark = boot
        .stages
        .iter()
        .rev()
        .find(|span| span.stage == stage)
        .map_or("", |span| match span.result {
            StageResult::Ended => "ok",
            StageResult::Failed => "FAIL",
            StageResult::Running => ">>",
        });
    cell(mark, stage.name())
}

/// One boot's line; `followed` when a later boot came after it.
fn boot_line(boot: &BootSummary, followed: bool) -> String {
    let fetch = match boot.fetch {
        FetchMark::None => "",
        FetchMark::Fetched => "ok",
        FetchMark::Changed => "NEW",
        FetchMark::Failed => "FAIL",
    };
    let mut line = format!(
        "{:<12} {} {}",
        format!("#{} {}", boot.number, boot.boot.short()),
        Utc::from_unix_ms(boot.first_wall_ms).time(),
        cell(fetch, "fetch")
    );
    for stage in BEFORE {
        line.push_str(&stage_cell(boot, stage));
    }
    line.push_str("| ");
    for stage in AFTER {
        line.push_str(&stage_cell(boot, stage));
    }
    line.push_str(&end_column(boot, followed));
    line
}

/// What the overview has printed so far.
#[derive(Default)]
struct Printed {
    date: Option<String>,
    salvage_banner: bool,
    boots: u32,
}

fn print(
    lines: &mut Lines<'_>,
    boot: &BootSummary,
    followed: bool,
    printed: &mut Printed,
) -> io::Result<()> {
    if boot.salvaged && !printed.salvage_banner {
        lines.line("== SALVAGED: boots from here on have records read past the damage ==")?;
        printed.salvage_banner = true;
    }
    let date = Utc::from_unix_ms(boot.first_wall_ms).date();
    if printed.date.as_deref() != Some(date.as_str()) {
        lines.line(&format!("-- {date} --"))?;
        printed.date = Some(date);
    }
    printed.boots += 1;
    lines.line(boot_line(boot, followed).trim_end())
}

/// Writes the OVERVIEW part, from one pass.
pub(super) fn part<S: Storage + ?Sized>(
    storage: &mut S,
    lines: &mut Lines<'_>,
) -> Result<(), ReportError> {
    lines.line("OVERVIEW (one line per boot; | is the red line, the start of disks)")?;
    lines.line("Stages: ok ended, FAIL failed, >> began with no end or fail record after.")?;
    lines.line("Fetch: ok fetched, FAIL failed, NEW fetched a config other than the attempt's.")?;
    lines
        .line("End: cut if no record ended it and a later boot came (power cut, reset, crash).")?;
    let mut heading = format!("{:<12} {:<8} {}", "boot", "time", cell("fetch", "fetch"));
    for stage in BEFORE {
        heading.push_str(&cell(stage.name(), stage.name()));
    }
    heading.push_str("| ");
    for stage in AFTER {
        heading.push_str(&cell(stage.name(), stage.name()));
    }
    heading.push_str("end");
    lines.line(&heading)?;
    let mut timeline = Timeline::default();
    let mut printed = Printed::default();
    walk(storage, &mut |item| {
        let Item::Record(entry) = item else {
            return Ok(());
        };
        if let Some(finished) = timeline.push(&entry).and_then(|pushed| pushed.finished) {
            print(lines, &finished, true, &mut printed)?;
        }
        Ok(())
    })?;
    if let Some(last) = timeline.finish() {
        print(lines, &last, false, &mut printed)?;
    }
    if printed.boots == 0 {
        lines.line("(no records)")?;
    }
    Ok(())
}
