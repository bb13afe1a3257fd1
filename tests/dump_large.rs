//! A large journal: the streaming report stays correct (the memory figure
//! is printed by `benches/dump.rs`, not asserted here).

mod dump_common;

use std::io::{self, Write};

use dump_common::{RawJournal, reboot_loop};
use provision_journal::MemStorage;
use provision_journal::config::PolicySettings;
use provision_journal::report::{self, Outcome};

/// Counts lines and checks each record line of the JSON as it streams past.
#[derive(Default)]
struct RecordCounter {
    partial: Vec<u8>,
    records: u64,
    next_seq: u64,
    lines: u64,
}

impl Write for RecordCounter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        for &byte in bytes {
            if byte != b'\n' {
                self.partial.push(byte);
                continue;
            }
            self.lines += 1;
            let line = std::mem::take(&mut self.partial);
            if line.starts_with(b"{\"attempt\"") {
                let record: serde_json::Value =
                    serde_json::from_slice(line.strip_suffix(b",").unwrap_or(&line)).unwrap();
                if record.get("event").is_none() {
                    continue;
                }
                assert_eq!(record["seq"], self.next_seq);
                assert_eq!(record["trusted"], true);
                self.next_seq += 1;
                self.records += 1;
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn fifty_thousand_records_stream_through() {
    let boots = 10_000;
    let mut raw = RawJournal::new();
    reboot_loop(&mut raw, boots);
    let mut counter = RecordCounter::default();
    let outcome = report::dump_json(
        &mut MemStorage::with_bytes(&raw.bytes),
        &PolicySettings::default(),
        &mut counter,
    )
    .unwrap();
    assert_eq!(outcome, Outcome::Clean);
    assert_eq!(counter.records, boots * 5);

    let mut human = RecordCounter::default();
    report::dump_human(
        &mut MemStorage::with_bytes(&raw.bytes),
        &PolicySettings::default(),
        &mut human,
    )
    .unwrap();
    // Every record has a line, every boot a heading and a footer.
    assert!(human.lines > boots * 5 + boots * 2, "{} lines", human.lines);

    let status = report::status(
        &mut MemStorage::with_bytes(&raw.bytes),
        &PolicySettings::default(),
    )
    .unwrap();
    assert_eq!(status.records, boots * 5);
    assert_eq!(status.planned_reboots, (boots - 1) as u32);
    assert_eq!(status.verdict.name(), "fatal_interruption");
}
