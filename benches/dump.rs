//! How fast `dump` reads, and how much memory it needs, at two journal
//! sizes an order of magnitude apart. Flat memory shows as the same peak
//! resident size for both.
//!
//! `cargo bench --bench dump` prints records/s, MB/s and the peak resident
//! set size (`VmHWM` of `/proc/self/status`, reset before each run through
//! `/proc/self/clear_refs`).

#[path = "../tests/dump_common/mod.rs"]
mod dump_common;

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::time::Instant;

use dump_common::{RawJournal, reboot_loop_with};
use provision_journal::FsStorage;
use provision_journal::config::PolicySettings;
use provision_journal::report;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn reset_peak_rss() {
    // "5" resets the peak resident set size (Linux 4.0 and later).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn write_journal(path: &std::path::Path, boots: u64) -> io::Result<u64> {
    let mut file = BufWriter::new(File::create(path)?);
    let mut raw = RawJournal::new();
    let mut result = Ok(());
    reboot_loop_with(&mut raw, boots, &mut |raw| {
        if result.is_ok() {
            result = file.write_all(&raw.bytes);
        }
        raw.bytes.clear();
    });
    result?;
    file.flush()?;
    Ok(boots * 5)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("provision-journal-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!(
        "{:>9} {:>9} {:>6} {:>12} {:>9} {:>14}",
        "records", "MB", "form", "records/s", "MB/s", "peak RSS KiB"
    );
    for boots in [20_000, 200_000] {
        let path = dir.join(format!("journal-{boots}"));
        let records = write_journal(&path, boots)?;
        let megabytes = std::fs::metadata(&path)?.len() as f64 / 1e6;
        for json in [false, true] {
            reset_peak_rss();
            let mut storage = FsStorage::new(path.to_str().expect("UTF-8 path"));
            let start = Instant::now();
            let mut sink = io::sink();
            let outcome = if json {
                report::dump_json(&mut storage, &PolicySettings::default(), &mut sink)?
            } else {
                report::dump_human(&mut storage, &PolicySettings::default(), &mut sink)?
            };
            let seconds = start.elapsed().as_secs_f64();
            assert_eq!(outcome, report::Outcome::Clean);
            println!(
                "{records:>9} {megabytes:>9.1} {:>6} {:>12.0} {:>9.1} {:>14}",
                if json { "json" } else { "human" },
                records as f64 / seconds,
                megabytes / seconds,
                peak_rss_kib().map_or_else(|| "?".to_owned(), |kib| kib.to_string())
            );
        }
        std::fs::remove_file(&path)?;
    }
    std::fs::remove_dir(&dir)?;
    Ok(())
}
