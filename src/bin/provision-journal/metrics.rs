//! `status --prometheus FILE`: the status as metrics for node_exporter's
//! textfile collector, which reads every `*.prom` file of a directory on
//! each scrape.
//!
//! The file is written whole to a hidden temporary file in the same
//! directory (node_exporter reads only `*.prom`), synced, and renamed over
//! FILE, so a scrape never sees half of it and a crash never leaves it
//! empty; the directory is synced after the rename. Names follow Prometheus' conventions: the
//! `provision_journal_` prefix, one `_info` metric whose labels carry the
//! state and the verdict, base units (`_timestamp_seconds`). The per-attempt
//! counts are gauges, not counters: they start again at 0 with each attempt,
//! and a counter may only go up.
//!
//! Every call replaces the file, a journal that cannot be read at all
//! included: a dashboard must not go on showing a machine as fine from
//! what an earlier call read. What such a journal's series say is in
//! `spec/EVIDENCE.md`, "Prometheus metrics".

use std::fmt::Write as _;
use std::io::Write as _;

use camino::{Utf8Path, Utf8PathBuf};
use provision_journal::report::{Status, Unread};

use crate::exit::{Exit, Failure};

/// A journal as the metrics describe it: its status, or what is known of
/// one that could not be read at all.
pub enum Journal {
    /// A journal `status` read: its series say all it knows.
    Read(Box<Status>),
    /// A journal `status` could not read (no file where a `PATH` pointed, a
    /// directory, no permission, no boot device): the file still gets its
    /// series, so that it never goes on saying what an earlier call read.
    Unread(Unread),
}

impl Journal {
    /// The journal's path, the `journal` label of its series.
    fn path(&self) -> &str {
        match self {
            Journal::Read(status) => &status.journal,
            Journal::Unread(unread) => &unread.journal,
        }
    }

    /// The journal's status, if it could be read.
    fn status(&self) -> Option<&Status> {
        match self {
            Journal::Read(status) => Some(status),
            Journal::Unread(_) => None,
        }
    }
}

/// The metrics of each journal, each series labelled with its path. A
/// journal that could not be read has its `_info` series (outcome and state
/// `absent` or `unreadable`, no stage, step or verdict), `may_proceed 0` and
/// `read_error 1`, and none of the series whose values are unknown.
pub fn text(journals: &[Journal]) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, help: &str, value: &dyn Fn(&Journal) -> Option<String>| {
        let _ = writeln!(out, "# HELP provision_journal_{name} {help}");
        let _ = writeln!(out, "# TYPE provision_journal_{name} gauge");
        for journal in journals {
            if let Some(value) = value(journal) {
                let _ = writeln!(
                    out,
                    "provision_journal_{name}{{journal=\"{}\"}} {value}",
                    label(journal.path())
                );
            }
        }
    };
    let read = |value: fn(&Status) -> u32| {
        move |journal: &Journal| journal.status().map(|status| value(status).to_string())
    };
    let flag = |value: bool| Some(u8::from(value).to_string());
    metric(
        "attempt",
        "The current provisioning attempt's number (0 before the first).",
        &read(|s| s.epoch),
    );
    metric(
        "boots",
        "Boots the current attempt has run.",
        &read(|s| s.boots),
    );
    metric(
        "unplanned_restarts",
        "Unplanned restarts (interruptions and failures before the red line) in the current attempt.",
        &read(|s| s.unplanned_restarts),
    );
    metric(
        "planned_reboots",
        "Planned reboots (kargs, FIPS) in the current attempt.",
        &read(|s| s.planned_reboots),
    );
    metric(
        "refused_boots",
        "Boots refused, and recorded, since the attempt stopped.",
        &read(|s| s.refused_boots),
    );
    metric("records", "Trusted records in the journal.", &|journal| {
        journal.status().map(|status| status.records.to_string())
    });
    metric(
        "may_proceed",
        "1 if the next provisioning boot's check lets provisioning run, else 0 (0 for a journal that could not be read).",
        &|journal| flag(journal.status().is_some_and(|status| status.may_proceed)),
    );
    metric(
        "read_error",
        "1 if the journal could not be read at all (its outcome absent or unreadable; the error is on the command's stderr), else 0.",
        &|journal| flag(journal.status().is_none()),
    );
    metric(
        "last_record_timestamp_seconds",
        "Wall-clock time of the journal's last trusted record, in Unix seconds.",
        &|journal| {
            journal
                .status()?
                .last_record
                .as_ref()
                .map(|last| format!("{:.3}", last.wall_ms as f64 / 1000.0))
        },
    );
    let _ = writeln!(
        out,
        "# HELP provision_journal_info The journal's state and what the next check decides; the value is always 1."
    );
    let _ = writeln!(out, "# TYPE provision_journal_info gauge");
    for journal in journals {
        let (state, stage, step, verdict, outcome) = match journal {
            Journal::Read(status) => {
                let (stage, step) = status.stage_step().unzip();
                (
                    status.state.map_or("unreadable", |state| state.name()),
                    stage.map_or("", |stage| stage.name()),
                    step.map_or("", |step| step.name()),
                    status.verdict.name(),
                    status.outcome.map_or("absent", |outcome| outcome.name()),
                )
            }
            Journal::Unread(unread) => (unread.outcome(), "", "", "", unread.outcome()),
        };
        let _ = writeln!(
            out,
            "provision_journal_info{{journal=\"{}\",state=\"{state}\",stage=\"{stage}\",step=\"{step}\",verdict=\"{verdict}\",outcome=\"{outcome}\"}} 1",
            label(journal.path()),
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

/// Writes `text` to `file` atomically and durably: a hidden temporary file
/// beside it, synced, then a rename over it, then the directory synced.
/// Readable by all (0644): node_exporter runs as its own user.
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
            .open(&temporary)
            .map_err(|error| ("creating its temporary file", error))?;
        out.write_all(text.as_bytes())
            .map_err(|error| ("writing its temporary file", error))?;
        // On disk before the rename, so that a crash leaves the old FILE
        // or the new one, never an empty one. A failed sync is not retried.
        out.sync_data()
            .map_err(|error| ("syncing its temporary file", error))
    })();
    if let Err((what, error)) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(fail(what, error));
    }
    std::fs::rename(&temporary, file).map_err(|error| {
        let _ = std::fs::remove_file(&temporary);
        fail("renaming its temporary file over it", error)
    })?;
    // The rename is durable once the directory is.
    std::fs::File::open(dir)
        .and_then(|dir| dir.sync_all())
        .map_err(|error| fail("syncing its directory after the rename", error))
}
