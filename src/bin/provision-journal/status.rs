//! `status`: the journal's state and what the next `check` would decide,
//! read-only and without a lock.

use camino::Utf8Path;
use provision_journal::{BootContext, FsStorage, Journal, classify};
use serde_json::json;

use crate::exit::{Exit, Failure};

/// Prints the status of the journal at `path`.
pub fn run(path: &Utf8Path, json: bool) -> Result<Exit, Failure> {
    let journal = Journal::read(FsStorage::new(path))?;
    let progress = journal.progress();
    let next_boot = BootContext {
        boot_id: None,
        firstboot: true,
        ..Default::default()
    };
    let verdict = classify(progress, journal.torn_tail(), &next_boot).verdict;
    let state = if journal.exists() {
        progress.state.name()
    } else {
        "absent"
    };
    let stage = progress.state.stage().map(|stage| stage.name());
    if json {
        let document = json!({
            "journal": path.as_str(),
            "state": state,
            "stage": stage,
            "epoch": progress.epoch,
            "verdict": verdict.name(),
            "verdict_detail": verdict,
            "summary": verdict.to_string(),
            "records": journal.record_count(),
            "torn_tail": journal.torn_tail(),
            "boots": progress.boots,
            "unplanned_restarts": progress.unplanned_restarts,
            "planned_reboots": progress.planned_reboots,
            "config_sha256": progress.config.map(|digest| digest.to_hex()),
        });
        println!("{document:#}");
        return Ok(Exit::Ok);
    }
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
