//! Golden journals: the bytes of eight histories, pinned.
//!
//! Each golden file is regenerated here from the library with a fixed clock
//! and compared byte for byte, so any change to the encoding, framing or
//! configuration of bincode fails this test. After an intended format change
//! (which also needs a new format version and a spec update), regenerate
//! with `UPDATE_GOLDEN=1 cargo test --test golden`.

mod common;
mod support;

use common::{CONFIG, Machine};
use provision_journal::event::CallName;
use provision_journal::testing::HEADER_LEN;
use provision_journal::{
    BootContext, Event, Journal, JournalError, MemStorage, PoisonReason, Progress, RebootReason,
    Stage, State, Step, Verdict, classify,
};

fn clean_run() -> Vec<u8> {
    let mut machine = Machine::new();
    machine.boot().check();
    machine.provision_all();
    machine.bytes()
}

fn interrupted_before_red_line() -> Vec<u8> {
    let mut machine = Machine::new();
    machine.boot().check();
    machine.fetched().begin(Stage::Kargs);
    machine.bytes()
}

fn interrupted_after_red_line() -> Vec<u8> {
    let mut machine = Machine::new();
    machine.boot().check();
    machine
        .fetched()
        .stage(Stage::Kargs)
        .stage(Stage::Disks)
        .begin(Stage::Mount);
    machine.bytes()
}

fn planned_reboot() -> Vec<u8> {
    let mut machine = Machine::new();
    machine.boot().check();
    machine.fetched().stage(Stage::Kargs).reboot_for_kargs();
    machine.boot().check();
    machine.provision_all();
    machine.bytes()
}

fn poisoned_then_reset() -> Vec<u8> {
    let mut machine = Machine::new();
    machine.boot().check();
    machine.fetched().stage(Stage::Kargs).begin(Stage::Disks);
    machine.boot().check();
    machine.boot().check();
    machine.hook(Event::Reset {
        reason: "disks wiped by hand; provision again".into(),
    });
    machine.boot().check();
    machine.provision_all();
    machine.bytes()
}

/// Interrupted before the red line, with half of an `end kargs` record on
/// disk: the append in flight when power was lost.
fn torn_tail() -> Vec<u8> {
    let mut machine = Machine::new();
    machine.boot().check();
    machine.fetched().stage(Stage::Kargs);
    let mut bytes = machine.bytes();
    bytes.truncate(bytes.len() - 30);
    bytes
}

/// A clean run with one bit flipped in the fifth record: damage a crash
/// cannot explain.
fn mid_file_corruption() -> Vec<u8> {
    let mut bytes = clean_run();
    bytes[CORRUPT_AT] ^= 0x04;
    bytes
}

/// The flipped byte: inside record 4 (offset 24 + 4 records before it).
const CORRUPT_AT: usize = 320;

/// The reason `fetched` records when the config Ignition left is missing.
const MISSING_CONFIG: &str = "No such file or directory reading `/run/ignition.json`";

/// After a planned kargs reboot, `fetched` fails on the next boot (the
/// config Ignition should have left is missing) and records it: the boot
/// stops, and the record says which call failed, its exit status and why.
fn call_failed() -> Vec<u8> {
    let mut machine = Machine::new();
    machine.boot().check();
    machine.fetched().stage(Stage::Kargs).reboot_for_kargs();
    machine.boot().check();
    machine.hook(Event::CallFailed {
        call: CallName::Fetched,
        status: 53,
        reason: MISSING_CONFIG.into(),
    });
    machine.bytes()
}

type Builder = fn() -> Vec<u8>;

const GOLDENS: [(&str, Builder, &[u8]); 8] = [
    (
        "clean-run",
        clean_run,
        include_bytes!("golden/clean-run.journal"),
    ),
    (
        "interrupted-before-red-line",
        interrupted_before_red_line,
        include_bytes!("golden/interrupted-before-red-line.journal"),
    ),
    (
        "interrupted-after-red-line",
        interrupted_after_red_line,
        include_bytes!("golden/interrupted-after-red-line.journal"),
    ),
    (
        "planned-reboot",
        planned_reboot,
        include_bytes!("golden/planned-reboot.journal"),
    ),
    (
        "poisoned-then-reset",
        poisoned_then_reset,
        include_bytes!("golden/poisoned-then-reset.journal"),
    ),
    (
        "torn-tail",
        torn_tail,
        include_bytes!("golden/torn-tail.journal"),
    ),
    (
        "mid-file-corruption",
        mid_file_corruption,
        include_bytes!("golden/mid-file-corruption.journal"),
    ),
    (
        "call-failed",
        call_failed,
        include_bytes!("golden/call-failed.journal"),
    ),
];

#[test]
fn golden_files_pin_the_bytes() {
    for (name, build, pinned) in GOLDENS {
        let bytes = build();
        let path = format!("{}/tests/golden/{name}.journal", env!("CARGO_MANIFEST_DIR"));
        if support::golden::update(std::path::Path::new(&path), &bytes) {
            continue;
        }
        assert_eq!(
            bytes, pinned,
            "the encoding of golden journal `{name}` changed; see spec/FORMAT.md"
        );
    }
}

fn open(bytes: &[u8]) -> Result<Journal<MemStorage>, JournalError> {
    Journal::read(MemStorage::with_bytes(bytes))
}

fn next_boot_verdict(journal: &Journal<MemStorage>) -> Verdict {
    let context = BootContext {
        boot_id: Some(Machine::boot_id(99)),
        firstboot: true,
        ..BootContext::default()
    };
    classify(journal.progress(), journal.torn_tail(), &context).verdict
}

fn golden(name: &str) -> &'static [u8] {
    GOLDENS
        .iter()
        .find(|(golden, _, _)| *golden == name)
        .map(|(_, _, bytes)| *bytes)
        .unwrap()
}

#[test]
fn header_bytes_are_the_documented_ones() {
    let bytes = golden("clean-run");
    assert_eq!(&bytes[0..8], b"PROVJRNL");
    assert_eq!(&bytes[8..12], &[1, 0, 0, 0]);
    assert_eq!(
        i64::from_le_bytes(bytes[12..20].try_into().unwrap()),
        common::START_MS
    );
    let crc = u32::from_le_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!(crc, crc32fast::hash(&bytes[..20]));
    // The first record's link field holds the header's CRC.
    assert_eq!(&bytes[HEADER_LEN + 16..HEADER_LEN + 20], &bytes[20..24]);
}

#[test]
fn clean_run_is_complete_and_refuses_a_rerun() {
    let journal = open(golden("clean-run")).unwrap();
    assert_eq!(journal.progress().state, State::Complete);
    assert_eq!(journal.progress().config, Some(CONFIG));
    assert_eq!(journal.record_count(), 13);
    assert_eq!(
        next_boot_verdict(&journal),
        Verdict::AlreadyComplete { epoch: 1 }
    );
}

#[test]
fn interrupted_before_red_line_is_a_safe_retry() {
    let journal = open(golden("interrupted-before-red-line")).unwrap();
    assert_eq!(
        journal.progress().state,
        State::Mutating {
            stage: Stage::Kargs,
            step: Step::Running
        }
    );
    assert_eq!(
        next_boot_verdict(&journal),
        Verdict::SafeRetry {
            epoch: 1,
            restarts: 1,
            limit: 5,
            failed_stage: None,
            failed_call: None,
        }
    );
}

#[test]
fn interrupted_after_red_line_is_fatal_and_names_the_boot() {
    let journal = open(golden("interrupted-after-red-line")).unwrap();
    let Verdict::FatalInterruption { reason } = next_boot_verdict(&journal) else {
        panic!("expected a fatal interruption");
    };
    let PoisonReason::Interrupted {
        stage,
        stage_running,
        boot,
        last_seq,
        ..
    } = reason
    else {
        panic!("expected an interruption, got {reason:?}");
    };
    assert_eq!(
        (stage, stage_running, boot, last_seq),
        (Stage::Mount, true, Machine::boot_id(1), 6)
    );
}

#[test]
fn planned_reboot_resumed_and_completed() {
    let journal = open(golden("planned-reboot")).unwrap();
    let progress: &Progress = journal.progress();
    assert_eq!(progress.state, State::Complete);
    assert_eq!(
        (progress.planned_reboots, progress.unplanned_restarts),
        (1, 0)
    );
    assert_eq!(progress.boots, 2);
}

#[test]
fn poisoned_then_reset_completed_a_second_attempt() {
    let journal = open(golden("poisoned-then-reset")).unwrap();
    let progress = journal.progress();
    assert_eq!(progress.state, State::Complete);
    assert_eq!(progress.epoch, 2);
    assert!(progress.poison.is_none());
}

#[test]
fn torn_tail_is_recognised_and_retry_stays_safe() {
    let journal = open(golden("torn-tail")).unwrap();
    let torn = journal.torn_tail().expect("a torn tail");
    assert_eq!(torn.len, 30);
    assert_eq!(torn.offset + 30, golden("torn-tail").len() as u64);
    assert!(matches!(
        next_boot_verdict(&journal),
        Verdict::SafeRetry { .. }
    ));
}

#[test]
fn torn_tail_is_cut_by_the_next_writer_which_records_it() {
    let mut machine = Machine::from_bytes(golden("torn-tail"));
    let decision = machine.boot().decide();
    assert!(matches!(decision.verdict, Verdict::SafeRetry { .. }));
    let journal = open(&machine.bytes()).unwrap();
    assert!(journal.torn_tail().is_none());
    let torn_at = golden("torn-tail").len() as u64 - 30;
    let mut scan_storage = MemStorage::with_bytes(&machine.bytes());
    let mut kinds = Vec::new();
    use provision_journal::storage::{Access, Storage};
    scan_storage.open(Access::Read).unwrap();
    let mut scanner = provision_journal::testing::Scanner::start(&mut scan_storage).unwrap();
    while let Some(scanned) = scanner.next_record().unwrap() {
        kinds.push(scanned.record.event);
    }
    assert_eq!(
        kinds[kinds.len() - 2],
        Event::TailRepaired {
            offset: torn_at,
            dropped: 30
        }
    );
    assert_eq!(kinds[kinds.len() - 1], Event::Restarted { planned: None });
}

#[test]
fn mid_file_corruption_is_reported_with_its_offset() {
    let error = open(golden("mid-file-corruption")).err().expect("corrupt");
    let JournalError::Corrupt { offset, .. } = &error else {
        panic!("expected corruption, got {error}");
    };
    assert!(*offset <= CORRUPT_AT as u64 && CORRUPT_AT as u64 - offset < 100);
    let message = error.to_string();
    assert!(message.contains("mem/provision-journal"), "{message}");
    assert!(message.contains(&format!("offset {offset}")), "{message}");
}

/// Every byte-prefix of every golden journal (but the corrupt one) reads
/// back as its last whole record, with the rest a torn tail.
#[test]
fn every_prefix_recovers_to_the_last_whole_record() {
    for (name, _, bytes) in GOLDENS {
        if name == "mid-file-corruption" {
            continue;
        }
        let full = open(bytes).unwrap();
        let whole_end = full.len() as usize;
        let mut boundaries = vec![HEADER_LEN];
        let mut replayed = Vec::new();
        {
            use provision_journal::storage::{Access, Storage};
            let mut storage = MemStorage::with_bytes(bytes);
            storage.open(Access::Read).unwrap();
            let mut scanner = provision_journal::testing::Scanner::start(&mut storage).unwrap();
            while let Some(scanned) = scanner.next_record().unwrap() {
                boundaries.push((scanned.offset + scanned.frame_len) as usize);
                replayed.push(scanned.record);
            }
        }
        for cut in HEADER_LEN..=bytes.len() {
            let journal =
                open(&bytes[..cut]).unwrap_or_else(|error| panic!("{name} cut at {cut}: {error}"));
            let whole = boundaries.iter().filter(|&&end| end <= cut).count() - 1;
            assert_eq!(
                journal.record_count() as usize,
                whole,
                "{name} cut at {cut}"
            );
            let expected_torn = cut - boundaries[whole];
            assert_eq!(
                journal.torn_tail().map_or(0, |torn| torn.len as usize),
                expected_torn.min(cut.saturating_sub(boundaries[whole])),
                "{name} cut at {cut}"
            );
            let expected = provision_journal::testing::replay(&replayed[..whole]).unwrap();
            assert_eq!(journal.progress(), &expected, "{name} cut at {cut}");
        }
        assert!(whole_end <= bytes.len());
        for cut in 0..HEADER_LEN {
            assert!(
                matches!(
                    open(&bytes[..cut]),
                    Err(JournalError::Corrupt { offset: 0, .. })
                ),
                "{name}: a file shorter than the header is corrupt, never a journal"
            );
        }
    }
}

#[test]
fn a_planned_reboot_golden_resumes_not_retries() {
    let bytes = planned_reboot();
    let journal = open(&bytes).unwrap();
    assert_eq!(journal.progress().reboot_pending, None);
    let mut machine = Machine::new();
    machine.boot().check();
    machine.fetched().stage(Stage::Kargs).reboot_for_kargs();
    assert_eq!(
        machine.boot().decide().verdict,
        Verdict::ResumeAfterPlannedReboot {
            epoch: 1,
            reason: RebootReason::Kargs
        }
    );
}

#[test]
fn a_failed_call_is_recorded_as_spec_format_lays_it_out() {
    let bytes = golden("call-failed");
    let journal = open(bytes).unwrap();
    assert_eq!(journal.progress().state, State::Fresh);
    let failure = journal
        .progress()
        .running_boot_call_failure()
        .expect("the boot running the attempt recorded its failure");
    assert_eq!(
        (failure.call, failure.status, failure.reason.as_str()),
        (CallName::Fetched, 53, MISSING_CONFIG)
    );
    // The last frame: frame header (20), stamp (32), the event's index 15,
    // the call's index 1 (`Fetched`, no stage), the status, the reason.
    let reason = MISSING_CONFIG.as_bytes();
    let frame_len = 20 + 32 + 4 + 4 + 1 + 8 + reason.len();
    let frame = &bytes[bytes.len() - frame_len..];
    assert_eq!(&frame[4..8], &((frame_len - 20) as u32).to_le_bytes());
    let event = &frame[52..];
    assert_eq!(&event[0..4], &15u32.to_le_bytes());
    assert_eq!(&event[4..8], &1u32.to_le_bytes());
    assert_eq!(event[8], 53);
    assert_eq!(&event[9..17], &(reason.len() as u64).to_le_bytes());
    assert_eq!(&event[17..], reason);
    match next_boot_verdict(&journal) {
        Verdict::SafeRetry {
            failed_call: Some(failed),
            restarts: 1,
            ..
        } => assert_eq!(failed.call, CallName::Fetched),
        other => panic!("{other:?}"),
    }
}
