//! `status`: the journal's state and what the next `check` would decide,
//! read-only and without a lock.

use camino::Utf8Path;
use provision_journal::report::{self, Outcome};
use provision_journal::{BootContext, FsStorage, Journal, classify};

use crate::dump::report_failure;
use crate::exit::{Exit, Failure};

/// Prints the status of the journal at `path`.
pub fn run(path: &Utf8Path, json: bool) -> Result<Exit, Failure> {
    if json {
        return run_json(path);
    }
    let journal = Journal::read(FsStorage::new(path))?;
    let progress = journal.progress();
    let next_boot = BootContext {
        boot_id: None,
        firstboot: true,
        ..Default::default()
    };
    let verdict = classify(progress, journal.torn_tail(), &next_boot).verdict;
    println!("journal:    {path}");
    if journal.exists() {
        println!("state:      {}", progress.state);
        println!(
            "attempt:    {} (boot {} of it, {} unplanned restarts, {} planned reboots)",
            progress.epoch, progress.boots, progress.unplanned_restarts, progress.planned_reboots
        );
        if let Some(digest) = progress.config {
            println!("config:     sha256 {digest}");
        }
        println!("records:    {}", journal.record_count());
        if let Some(torn) = journal.torn_tail() {
            println!(
                "torn tail:  {} bytes at offset {} (cut off by the next write)",
                torn.len, torn.offset
            );
        }
    } else {
        println!("state:      absent (no journal yet)");
    }
    println!("next check: {verdict}");
    Ok(Exit::Ok)
}

/// `status --json`: the schema of `spec/DUMP.md`, from one streaming,
/// read-only pass. A journal `check` cannot read is still described; the
/// exit status then says why.
fn run_json(path: &Utf8Path) -> Result<Exit, Failure> {
    let status = report::status(&mut FsStorage::new(path), &report::next_provisioning_boot())
        .map_err(report_failure)?;
    status
        .write_json(&mut std::io::stdout().lock())
        .map_err(|error| Failure::new(Exit::Io, format!("failed to write the status: {error}")))?;
    Ok(match status.outcome {
        Some(Outcome::Corrupt) => Exit::Corrupt,
        Some(Outcome::UnsupportedVersion) => Exit::UnsupportedVersion,
        Some(Outcome::Clean | Outcome::TornTail) | None => Exit::Ok,
    })
}
