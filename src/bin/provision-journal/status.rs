//! `status`: the journal's state and what the next `check` would decide,
//! read-only and without a lock.

use std::io::{self, Write};

use camino::Utf8Path;
use provision_journal::report::{self, Outcome};
use provision_journal::{BootContext, FsStorage, Journal, classify};

use crate::dump::report_failure;
use crate::exit::{Exit, Failure};
use crate::location::require_directory;
use crate::output::Report;

/// Prints the status of the journal at `path`. A journal directory that
/// does not exist is [`Exit::NotFound`], as for `check`: a wrong path is not
/// an absent journal.
pub fn run(path: &Utf8Path, json: bool) -> Result<Exit, Failure> {
    require_directory(path)?;
    if json {
        return run_json(path);
    }
    let journal = Journal::read(FsStorage::new(path))?;
    let mut out = Report::stdout();
    let written = write_text(path, &journal, &mut out);
    out.finish(written, Exit::Ok)
}

fn write_text(
    path: &Utf8Path,
    journal: &Journal<FsStorage>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let progress = journal.progress();
    let next_boot = BootContext {
        boot_id: None,
        firstboot: true,
        ..Default::default()
    };
    let verdict = classify(progress, journal.torn_tail(), &next_boot).verdict;
    writeln!(out, "journal:    {path}")?;
    if journal.exists() {
        writeln!(out, "state:      {}", progress.state)?;
        writeln!(
            out,
            "attempt:    {} (boot {} of it, {} unplanned restarts, {} planned reboots)",
            progress.epoch, progress.boots, progress.unplanned_restarts, progress.planned_reboots
        )?;
        if let Some(digest) = progress.config {
            writeln!(out, "config:     sha256 {digest}")?;
        }
        writeln!(out, "records:    {}", journal.record_count())?;
        if let Some(torn) = journal.torn_tail() {
            writeln!(
                out,
                "torn tail:  {} bytes at offset {} (cut off by the next write)",
                torn.len, torn.offset
            )?;
        }
    } else {
        writeln!(out, "state:      absent (no journal yet)")?;
    }
    writeln!(out, "next check: {verdict}")
}

/// `status --json`: the schema of `spec/DUMP.md`, from one streaming,
/// read-only pass. A journal `check` cannot read is still described; the
/// exit status then says why.
fn run_json(path: &Utf8Path) -> Result<Exit, Failure> {
    let status = report::status(&mut FsStorage::new(path), &report::next_provisioning_boot())
        .map_err(report_failure)?;
    let exit = match status.outcome {
        Some(Outcome::Corrupt) => Exit::Corrupt,
        Some(Outcome::UnsupportedVersion) => Exit::UnsupportedVersion,
        Some(Outcome::Clean | Outcome::TornTail) | None => Exit::Ok,
    };
    let mut out = Report::stdout();
    let written = status.write_json(&mut out);
    out.finish(written, exit)
}
