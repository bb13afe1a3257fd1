//! `status --prometheus FILE`: the status as metrics for node_exporter's
//! textfile collector, which reads every `*.prom` file of a directory on
//! each scrape.
//!
//! The file is written whole to a hidden temporary file in the same
//! directory (node_exporter reads only `*.prom`) and renamed over FILE, so a
//! scrape never sees half of it. Names follow Prometheus' conventions: the
//! `provision_journal_` prefix, one `_info` metric whose labels carry the
//! state and the verdict, base units (`_timestamp_seconds`). The per-attempt
//! counts are gauges, not counters: they start again at 0 with each attempt,
//! and a counter may only go up.

use std::fmt::Write as _;
use std::io::Write as _;

use camino::{Utf8Path, Utf8PathBuf};
use provision_journal::report::Status;

use crate::exit::{Exit, Failure};

/// The metrics of one journal's status, each series labelled with its path.
pub fn text(statuses: &[Status]) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, help: &str, value: &dyn Fn(&Status) -> Option<String>| {
        let _ = writeln!(out, "# HELP provision_journal_{name} {help}");
        let _ = writeln!(out, "# TYPE provision_journal_{name} gauge");
        for status in statuses {
            if let Some(value) = value(status) {
                let _ = writeln!(
                    out,
                    "provision_journal_{name}{{journal=\"{}\"}} {value}",
                    label(&status.journal)
                );
            }
        }
    };
    let count = |n: u32| Some(n.to_string());
    metric(
        "attempt",
        "The current provisioning attempt's number (0 before the first).",
        &|s| count(s.epoch),
    );
    metric("boots", "Boots the current attempt has run.", &|s| {
        count(s.boots)
    });
    metric(
        "unplanned_restarts",
        "Unplanned restarts (interruptions and failures before the red line) in the current attempt.",
        &|s| count(s.unplanned_restarts),
    );
    metric(
        "planned_reboots",
        "Planned reboots (kargs, FIPS) in the current attempt.",
        &|s| count(s.planned_reboots),
    );
    metric(
        "refused_boots",
        "Boots refused, and recorded, since the attempt stopped.",
        &|s| count(s.refused_boots),
    );
    metric("records", "Trusted records in the journal.", &|s| {
        Some(s.records.to_string())
    });
    metric(
        "may_proceed",
        "1 if the next provisioning boot's check lets provisioning run, else 0.",
        &|s| Some(u8::from(s.may_proceed).to_string()),
    );
    metric(
        "last_record_timestamp_seconds",
        "Wall-clock time of the journal's last trusted record, in Unix seconds.",
        &|s| {
            s.last_record
                .as_ref()
                .map(|last| format!("{:.3}", last.wall_ms as f64 / 1000.0))
        },
    );
    let _ = writeln!(
        out,
        "# HELP provision_journal_info The journal's state and what the next check decides; the value is always 1."
    );
    let _ = writeln!(out, "# TYPE provision_journal_info gauge");
    for status in statuses {
        let outcome = status.outcome.map_or("absent", |outcome| outcome.name());
        let (stage, step) = status.stage_step().unzip();
        let _ = writeln!(
            out,
            "provision_journal_info{{journal=\"{}\",state=\"{}\",stage=\"{}\",step=\"{}\",verdict=\"{}\",outcome=\"{outcome}\"}} 1",
            label(&status.journal),
            status.state.map_or("unreadable", |state| state.name()),
            stage.map_or("", |stage| stage.name()),
            step.map_or("", |step| step.name()),
            status.verdict.name(),
        );
    }
    out
}

/// A label value as the exposition format writes it: backslash, double
/// quote and newline escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Writes `text` to `file` atomically: a hidden temporary file beside it,
/// then a rename over it. Readable by all (0644): node_exporter runs as
/// its own user.
pub fn write_atomically(file: &Utf8Path, text: &str) -> Result<(), Failure> {
    let fail = |what: &str, error: std::io::Error| {
        let exit = match error.kind() {
            std::io::ErrorKind::NotFound => Exit::NotFound,
            std::io::ErrorKind::PermissionDenied => Exit::PermissionDenied,
            _ => Exit::Io,
        };
        Failure::new(
            exit,
            format!("cannot write the metrics file `{file}`: {what}: {error}"),
        )
    };
    let name = file
        .file_name()
        .ok_or_else(|| fail("it names no file", std::io::ErrorKind::InvalidInput.into()))?;
    let dir = match file.parent() {
        Some(dir) if !dir.as_str().is_empty() => dir,
        _ => Utf8Path::new("."),
    };
    let temporary: Utf8PathBuf = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        use std::os::unix::fs::OpenOptionsExt;
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&temporary)?;
        out.write_all(text.as_bytes())?;
        out.flush()
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(fail("writing its temporary file", error));
    }
    std::fs::rename(&temporary, file).map_err(|error| {
        let _ = std::fs::remove_file(&temporary);
        fail("renaming its temporary file over it", error)
    })
}
