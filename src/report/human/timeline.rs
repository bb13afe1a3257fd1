//! The TIMELINE part: per boot, what ran when, on the boot's monotonic
//! clock.

use std::io;

use crate::model::event::Event;
use crate::storage::Storage;

use super::super::escape::quoted;
use super::super::time::{Utc, seconds};
use super::super::timeline::{BootSummary, StageResult, Timeline};
use super::super::walk::{Body, Item, ReportError, Trust, walk};
use super::lines::Lines;
use super::words::{count, event_label};

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

/// Writes the TIMELINE part, from one pass.
pub(super) fn part<S: Storage + ?Sized>(
    storage: &mut S,
    lines: &mut Lines<'_>,
) -> Result<(), ReportError> {
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
            boot_footer(lines, finished)?;
        }
        if pushed.starts_boot {
            any_boot = true;
            let boot = timeline.current().expect("a boot is in progress");
            boot_heading(lines, boot)?;
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
        let salvaged = match entry.trust {
            Trust::Salvaged => " (salvaged)",
            Trust::Trusted => "",
        };
        let text = match (&entry.body, pushed.closed) {
            (Body::Known(Event::StageBegan { .. }), _) => return Ok(()),
            (
                Body::Known(Event::CallFailed {
                    call,
                    status,
                    reason,
                }),
                _,
            ) => {
                let text = format!(
                    "FAILED {}, {}{salvaged}",
                    call.failed_with(*status),
                    quoted(reason)
                );
                return lines.wrapped(&format!("   {at:>9}  "), &text);
            }
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
        lines.line(&format!("   {at:>9}  {text}{salvaged}"))
    })?;
    if let Some(last) = timeline.finish() {
        boot_footer(lines, &last)?;
    }
    if !any_boot {
        lines.line("(no records)")?;
        lines.line("")?;
    }
    Ok(())
}
