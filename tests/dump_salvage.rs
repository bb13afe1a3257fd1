//! Damage anywhere: the report shows everything readable before and after
//! it, marks what follows the damage as untrusted, and agrees with `check`
//! on where trust ends.

mod dump_common;

use dump_common::{
    RawJournal, Writer, all_stages, config, first_check, reboot_loop, render, stamp,
};
use provision_journal::Policy;
use provision_journal::config::PolicySettings;
use provision_journal::report::{self, JournalState, NextVerdict, Outcome};
use provision_journal::{Event, Journal, MemStorage, Stage};
use serde_json::Value;

fn report_of(bytes: &[u8]) -> (Value, String, Outcome) {
    let (human, json, outcome) = render(bytes);
    (
        serde_json::from_str(&json).expect("valid JSON"),
        human,
        outcome,
    )
}

fn seqs(document: &Value, trusted: bool) -> Vec<u64> {
    document["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|record| record["trusted"] == trusted)
        .map(|record| record["seq"].as_u64().unwrap())
        .collect()
}

fn clean_run() -> Vec<u8> {
    let mut writer = Writer::new();
    all_stages(first_check(&mut writer));
    writer.bytes()
}

#[test]
fn records_on_both_sides_of_damage_in_the_middle() {
    let bytes = clean_run();
    let records = Journal::read(MemStorage::with_bytes(&bytes))
        .unwrap()
        .record_count();
    let (document, human, _) = report_of(&bytes);
    let offsets: Vec<u64> = document["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["offset"].as_u64().unwrap())
        .collect();
    // Damage the whole of the sixth record.
    let (start, end) = (offsets[5] as usize, offsets[6] as usize);
    let mut damaged = bytes.clone();
    damaged[start..end].fill(0xa5);
    let (after, human_after, outcome) = report_of(&damaged);
    assert_eq!(outcome, Outcome::Corrupt);
    assert_eq!(seqs(&after, true), (0..5).collect::<Vec<_>>());
    assert_eq!(seqs(&after, false), (6..records).collect::<Vec<_>>());
    let kinds: Vec<&str> = after["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|anomaly| anomaly["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["corrupt", "unreadable", "sequence_gap"]);
    assert_eq!(after["anomalies"][0]["offset"], start as u64);
    assert_eq!(after["anomalies"][1]["len"], (end - start) as u64);
    assert_eq!(after["summary"]["corruption"]["offset"], start as u64);
    assert_eq!(after["next_check"]["verdict"], "corrupt_journal");
    assert!(human_after.contains("SALVAGED"), "{human_after}");
    assert!(!human.contains("SALVAGED"));

    // `check` stops trusting at the same offset.
    let error = Journal::read(MemStorage::with_bytes(&damaged))
        .err()
        .expect("corrupt");
    assert!(
        error.to_string().contains(&format!("offset {start}")),
        "{error}"
    );
}

#[test]
fn a_large_garbage_region_is_skipped_in_one_piece() {
    let mut raw = RawJournal::new();
    reboot_loop(&mut raw, 3);
    let cut = raw.bytes.len();
    let mut tail = RawJournal::new();
    reboot_loop(&mut tail, 6);
    let mut bytes = raw.bytes.clone();
    let mut state = 0x2545_f491_u32;
    let garbage: Vec<u8> = (0..200_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect();
    bytes.extend_from_slice(&garbage);
    bytes.extend_from_slice(&tail.bytes[cut..]);
    let (document, _, outcome) = report_of(&bytes);
    assert_eq!(outcome, Outcome::Corrupt);
    assert_eq!(seqs(&document, true), (0..15).collect::<Vec<_>>());
    assert_eq!(seqs(&document, false), (15..30).collect::<Vec<_>>());
    let unreadable: Vec<&Value> = document["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|anomaly| anomaly["kind"] == "unreadable")
        .collect();
    assert_eq!(unreadable.len(), 1);
    assert_eq!(unreadable[0]["len"], 200_000);
    assert_eq!(unreadable[0]["offset"], cut as u64);
}

#[test]
fn a_damaged_header_still_shows_every_record_as_salvaged() {
    let mut bytes = clean_run();
    bytes[14] ^= 0x40;
    let (document, human, outcome) = report_of(&bytes);
    assert_eq!(outcome, Outcome::Corrupt);
    assert!(seqs(&document, true).is_empty());
    assert_eq!(seqs(&document, false).len(), 13);
    assert_eq!(document["anomalies"][0]["kind"], "corrupt");
    assert_eq!(document["anomalies"][0]["offset"], 0);
    assert_eq!(document["journal"]["format_version"], Value::Null);
    assert!(human.contains("damaged file header"), "{human}");
}

#[test]
fn a_newer_format_version_is_named() {
    let mut bytes = clean_run();
    bytes[8] = 7;
    let (document, human, outcome) = report_of(&bytes);
    assert_eq!(outcome, Outcome::UnsupportedVersion);
    assert_eq!(document["next_check"]["verdict"], "unsupported_version");
    assert!(human.contains("format version 7"), "{human}");
    assert_no_state(&bytes, &document);
}

/// A file whose header cannot be read has no state: `status` and `dump`
/// say null, not `fresh`.
#[track_caller]
fn assert_no_state(bytes: &[u8], document: &Value) {
    assert_eq!(document["state"]["state"], Value::Null, "{document}");
    let status = report::status(
        &mut MemStorage::with_bytes(bytes),
        &PolicySettings::default(),
    )
    .unwrap();
    assert_eq!(status.state, None);
    let mut line = Vec::new();
    status.write_json(&mut line).unwrap();
    let parsed: Value = serde_json::from_slice(&line).unwrap();
    assert_eq!(parsed["state"], Value::Null, "{parsed}");
}

#[test]
fn unknown_kinds_are_shown_and_reading_goes_on() {
    let mut raw = RawJournal::new();
    raw.record(
        stamp(1, 1000),
        &Event::AttemptStarted {
            epoch: 1,
            trigger: provision_journal::Trigger::Firstboot,
        },
    );
    let mut payload =
        provision_journal::testing::encode_payload(&stamp(1, 1100), &Event::Completed).unwrap();
    payload[32] = 99;
    raw.frame(&payload);
    raw.record(stamp(1, 1200), &Event::ConfigFetched { sha256: config() });
    let (document, human, outcome) = report_of(&raw.bytes);
    assert_eq!(outcome, Outcome::Corrupt);
    assert_eq!(document["records"][1]["event"]["kind"], "unknown");
    assert_eq!(document["records"][1]["event"]["index"], 99);
    assert_eq!(seqs(&document, false), [1, 2]);
    let kinds: Vec<&str> = document["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|anomaly| anomaly["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["corrupt", "unknown_kind"]);
    assert!(human.contains("unknown kind #99"), "{human}");
    // The timeline marks what it took from salvaged records.
    let timeline = human.split_once("\nTIMELINE").unwrap().1;
    assert!(
        timeline.contains("unknown kind #99 (salvaged)"),
        "{timeline}"
    );
    assert!(
        timeline.contains("fetched 3b3b3b3b3b3b (salvaged)"),
        "{timeline}"
    );
    assert!(
        !timeline.contains("attempt 1 started (salvaged)"),
        "{timeline}"
    );
}

#[test]
fn dump_writes_nothing_and_takes_no_lock() {
    let mut torn = clean_run();
    torn.extend_from_slice(&[1, 2, 3]);
    let storage = MemStorage::with_bytes(&torn);
    // A writer holds the journal's lock meanwhile.
    let writer = Journal::open(storage.reopen()).expect("lock");
    let ops_before = storage.ops();
    let mut out = Vec::new();
    let outcome = report::dump_human(&mut storage.reopen(), &PolicySettings::default(), &mut out)
        .expect("dump");
    assert_eq!(outcome, Outcome::TornTail);
    report::dump_json(&mut storage.reopen(), &PolicySettings::default(), &mut out)
        .expect("dump --json");
    report::status(&mut storage.reopen(), &PolicySettings::default()).expect("status");
    assert_eq!(storage.ops(), ops_before);
    assert_eq!(storage.contents().unwrap(), torn);
    drop(writer);
}

#[test]
fn a_missing_journal_is_an_error_for_dump_and_absent_for_status() {
    let error = report::dump_human(
        &mut MemStorage::new(),
        &PolicySettings::default(),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(
        matches!(error, report::ReportError::NoJournal { .. }),
        "{error}"
    );
    let status = report::status(&mut MemStorage::new(), &PolicySettings::default()).unwrap();
    assert_eq!(status.state, Some(JournalState::Absent));
    assert_eq!(status.verdict.name(), "first_run");
}

#[test]
fn status_agrees_with_the_journal_and_the_classifier() {
    let mut writer = Writer::new();
    first_check(&mut writer)
        .stage(Stage::Kargs, 10)
        .add(Event::StageBegan {
            stage: Stage::Disks,
        });
    let bytes = writer.bytes();
    let status = report::status(
        &mut MemStorage::with_bytes(&bytes),
        &PolicySettings::default(),
    )
    .unwrap();
    let journal = Journal::read(MemStorage::with_bytes(&bytes)).unwrap();
    let decision = provision_journal::classify(
        journal.progress(),
        journal.torn_tail(),
        &report::next_provisioning_boot(Policy::default()),
    );
    assert_eq!(status.verdict, NextVerdict::Verdict(decision.verdict));
    assert_eq!(status.verdict.name(), "fatal_interruption");
    assert_eq!(status.state.map(|state| state.name()), Some("mutating"));
    assert_eq!(
        status.stage_step(),
        Some((Stage::Disks, provision_journal::Step::Running))
    );
    assert_eq!(status.records, journal.record_count());
    let mut line = Vec::new();
    status.write_json(&mut line).unwrap();
    let parsed: Value = serde_json::from_slice(&line).unwrap();
    assert_eq!(parsed["stage"], "disks");
    assert_eq!(parsed["verdict"], "fatal_interruption");
}

#[test]
fn a_torn_tail_says_which_record_it_lost_and_the_verdict_is_the_classifiers() {
    let mut writer = Writer::new();
    first_check(&mut writer).stage(Stage::Kargs, 10);
    let whole = writer.bytes();
    writer.add(Event::StageBegan {
        stage: Stage::Disks,
    });
    let longer = writer.bytes();
    let torn = &longer[..whole.len() + 57];
    let (document, human, outcome) = report_of(torn);
    assert_eq!(outcome, Outcome::TornTail);
    let anomaly = &document["anomalies"][0];
    assert_eq!(anomaly["kind"], "torn_tail");
    assert_eq!(anomaly["offset"], whole.len() as u64);
    assert_eq!(anomaly["len"], 57);
    assert_eq!(anomaly["lost"]["seq"], 4);
    assert_eq!(anomaly["lost"]["kind"], "stage_began");
    assert_eq!(
        anomaly["lost"]["frame_len"],
        (longer.len() - whole.len()) as u64
    );
    assert!(human.contains("record #4 (stage-began)"), "{human}");

    let journal = Journal::read(MemStorage::with_bytes(torn)).unwrap();
    let decision = provision_journal::classify(
        journal.progress(),
        journal.torn_tail(),
        &report::next_provisioning_boot(Policy::default()),
    );
    assert_eq!(document["next_check"]["verdict"], decision.verdict.name());
    assert_eq!(document["summary"]["torn_tail"]["len"], 57);
}

#[test]
fn files_that_are_not_journals_are_described_not_fatal() {
    for (bytes, words) in [
        (&b""[..], "shorter than a header"),
        (
            &b"hello world, this is not a journal at all\n"[..],
            "bad magic",
        ),
        (&[0u8; 4096][..], "bad magic"),
    ] {
        let (document, human, outcome) = report_of(bytes);
        assert_eq!(outcome, Outcome::Corrupt);
        assert!(human.contains(words), "{human}");
        assert!(human.contains("No record is trusted."), "{human}");
        assert!(
            human.contains("\nRECORDS\n") && human.contains("(no records)"),
            "{human}"
        );
        let advice = document["next_check"]["advice"].as_str().unwrap();
        assert!(!advice.contains("Find out from them"), "{advice}");
        assert!(
            advice.contains("cannot tell how far provisioning got"),
            "{advice}"
        );
        assert_eq!(document["summary"]["trusted_records"], 0);
        assert_eq!(document["next_check"]["verdict"], "corrupt_journal");
        assert_no_state(bytes, &document);
    }
}

#[test]
fn counts_of_one_are_singular() {
    let mut raw = RawJournal::new();
    raw.record(
        stamp(1, 1000),
        &Event::AttemptStarted {
            epoch: 1,
            trigger: provision_journal::Trigger::Firstboot,
        },
    );
    let mut torn = raw.bytes.clone();
    torn.push(0x11);
    let (_, human, outcome) = report_of(&torn);
    assert_eq!(outcome, Outcome::TornTail);
    // Wrapped lines joined again.
    let flat = human.split_whitespace().collect::<Vec<_>>().join(" ");
    for words in [
        "torn tail: 1 byte to the end",
        "ends in 1 byte at offset",
        " 1 trusted record.",
        " 1 record (#0) ",
    ] {
        assert!(flat.contains(words), "{words:?} in {human}");
    }
    let mut corrupt = raw.bytes.clone();
    raw.record(stamp(1, 1100), &Event::ConfigFetched { sha256: config() });
    raw.record(stamp(1, 1200), &Event::ConfigFetched { sha256: config() });
    let second = corrupt.len();
    corrupt = raw.bytes.clone();
    corrupt[second + 20] ^= 0x01;
    let (document, human, outcome) = report_of(&corrupt);
    assert_eq!(outcome, Outcome::Corrupt);
    let flat = human.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("The record before offset 88 is trusted; nothing"),
        "{human}"
    );
    let advice = document["next_check"]["advice"].as_str().unwrap();
    assert!(
        advice.contains("The record before offset") && advice.contains("is intact and ends"),
        "{advice}"
    );
}

#[test]
fn event_labels_never_run_into_the_state_column() {
    // A planned reboot's label fits the column; an attempt number no
    // journal reaches (salvaged, since it cannot follow attempt 0) does
    // not, and is still kept apart from the state.
    let mut raw = RawJournal::new();
    raw.record(
        stamp(1, 1000),
        &Event::AttemptStarted {
            epoch: 4_000_000_000,
            trigger: provision_journal::Trigger::Firstboot,
        },
    );
    let (_, human, _) = report_of(&raw.bytes);
    assert!(
        human.contains("attempt 4000000000 started  (salvaged)"),
        "{human}"
    );
    let golden = std::fs::read_to_string(dump_common::golden_dir().join("planned-reboot.dump.txt"))
        .expect("golden report");
    let row = golden
        .lines()
        .find(|line| line.contains("reboot for kargs"))
        .expect("the planned reboot's row");
    assert!(row.ends_with("reboot for kargs      kargs ended"), "{row}");
}
