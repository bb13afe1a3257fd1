//! Damaged and hostile journals: each gets a typed error or a recognised
//! torn tail, never a panic, never a guess, and never an unbounded
//! allocation.

mod common;

use common::Machine;
use provision_journal::testing::{
    FRAME_HEADER_LEN, HEADER_LEN, encode_frame, encode_header, encode_payload,
};
use provision_journal::{
    BootId, Corruption, Event, Journal, JournalError, MemStorage, Stage, Stamp, Verdict,
};

fn sample() -> Vec<u8> {
    let mut machine = Machine::new();
    machine.boot().check();
    machine.fetched().stage(Stage::Kargs).stage(Stage::Disks);
    machine.bytes()
}

fn open(bytes: &[u8]) -> Result<Journal<MemStorage>, JournalError> {
    Journal::open(MemStorage::with_bytes(bytes))
}

fn corruption(bytes: &[u8]) -> (u64, Corruption) {
    match open(bytes) {
        Err(JournalError::Corrupt {
            offset, problem, ..
        }) => (offset, problem),
        Err(other) => panic!("expected corruption, got {other}"),
        Ok(journal) => panic!(
            "expected corruption, got a journal of {} records",
            journal.record_count()
        ),
    }
}

/// Offsets of every record frame in `bytes`.
fn frame_offsets(bytes: &[u8]) -> Vec<usize> {
    let mut offsets = vec![];
    let mut at = HEADER_LEN;
    while at + FRAME_HEADER_LEN <= bytes.len() {
        offsets.push(at);
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        at += FRAME_HEADER_LEN + len;
    }
    offsets
}

#[test]
fn zeroed_and_empty_files_are_not_journals() {
    for len in [0, 1, 23, 24, 100, 4096] {
        let (offset, problem) = corruption(&vec![0; len]);
        assert_eq!(offset, 0);
        assert!(
            matches!(problem, Corruption::NotAJournal | Corruption::BadHeader(_)),
            "{len}: {problem}"
        );
    }
}

#[test]
fn wrong_magic_is_not_a_journal() {
    let mut bytes = sample();
    bytes[0] = b'X';
    assert_eq!(corruption(&bytes), (0, Corruption::NotAJournal));
    assert_eq!(
        corruption(b"#!/bin/sh\necho hello\n"),
        (0, Corruption::BadHeader("file is shorter than a header"))
    );
}

#[test]
fn a_future_version_is_refused_by_name() {
    let mut bytes = sample();
    bytes[8..10].copy_from_slice(&7u16.to_le_bytes());
    let error = open(&bytes).err().expect("refused");
    assert!(matches!(
        error,
        JournalError::UnsupportedVersion { found: 7, .. }
    ));
    let message = error.to_string();
    assert!(
        message.contains("format version 7") && message.contains("upgrade"),
        "{message}"
    );
}

#[test]
fn a_damaged_header_is_corruption() {
    let mut bytes = sample();
    bytes[14] ^= 0x01;
    assert_eq!(
        corruption(&bytes),
        (0, Corruption::BadHeader("checksum mismatch"))
    );
    let mut flags = sample();
    flags[10] = 1;
    let crc = crc32fast::hash(&flags[..20]);
    flags[20..24].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(
        corruption(&flags),
        (0, Corruption::BadHeader("unknown flags"))
    );
}

#[test]
fn a_bit_flip_before_the_last_record_is_corruption_at_that_record() {
    let bytes = sample();
    let offsets = frame_offsets(&bytes);
    for (index, &frame) in offsets.iter().enumerate().take(offsets.len() - 1) {
        for at in [frame, frame + 5, frame + 9, frame + 17, frame + 30] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x20;
            let (offset, _) = corruption(&damaged);
            assert_eq!(offset as usize, frame, "record {index}, byte {at}");
        }
    }
}

#[test]
fn an_oversized_length_is_bounded_before_any_allocation() {
    let bytes = sample();
    let offsets = frame_offsets(&bytes);
    let mut middle = bytes.clone();
    middle[offsets[2] + 4..offsets[2] + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    let (offset, problem) = corruption(&middle);
    assert_eq!(offset as usize, offsets[2]);
    assert!(matches!(
        problem,
        Corruption::BadFrame {
            why: "length out of bounds",
            ..
        }
    ));

    let last = *offsets.last().unwrap();
    let mut tail = bytes.clone();
    tail[last + 4..last + 8].copy_from_slice(&u32::MAX.to_le_bytes());
    let journal = open(&tail).unwrap();
    assert_eq!(
        journal.torn_tail().map(|torn| torn.offset as usize),
        Some(last)
    );
}

#[test]
fn more_garbage_than_one_append_can_leave_is_corruption() {
    let mut bytes = sample();
    let end = bytes.len();
    bytes.extend(std::iter::repeat_n(0xa5, 4096));
    let (offset, problem) = corruption(&bytes);
    assert_eq!(offset as usize, end);
    assert!(matches!(problem, Corruption::BadFrame { .. }), "{problem}");
}

#[test]
fn garbage_followed_by_a_valid_record_is_corruption_not_a_torn_tail() {
    let bytes = sample();
    let offsets = frame_offsets(&bytes);
    let last = *offsets.last().unwrap();
    let mut damaged = bytes[..last].to_vec();
    damaged.extend_from_slice(&[0xee; 7]);
    damaged.extend_from_slice(&bytes[last..]);
    let (offset, problem) = corruption(&damaged);
    assert_eq!(offset as usize, last);
    assert!(
        matches!(
            problem,
            Corruption::BadFrame {
                followed_by: "a valid record",
                ..
            }
        ),
        "{problem}"
    );
}

#[test]
fn duplicated_reordered_and_lost_records_are_detected() {
    let bytes = sample();
    let offsets = frame_offsets(&bytes);
    let last = *offsets.last().unwrap();

    let mut duplicated = bytes.clone();
    duplicated.extend_from_slice(&bytes[last..]);
    assert!(matches!(
        corruption(&duplicated).1,
        Corruption::Sequence { .. }
    ));

    let (second, third) = (offsets[1], offsets[2]);
    let mut lost = bytes[..second].to_vec();
    lost.extend_from_slice(&bytes[third..]);
    assert_eq!(
        corruption(&lost),
        (
            second as u64,
            Corruption::Sequence {
                expected: 1,
                found: 2
            }
        )
    );

    let mut swapped = bytes[..second].to_vec();
    swapped.extend_from_slice(&bytes[third..offsets[3]]);
    swapped.extend_from_slice(&bytes[second..third]);
    swapped.extend_from_slice(&bytes[offsets[3]..]);
    assert!(matches!(
        corruption(&swapped).1,
        Corruption::Sequence { .. }
    ));
}

fn stamp() -> Stamp {
    Stamp {
        boot_id: BootId([3; 16]),
        wall_ms: 1,
        mono_ns: 1,
    }
}

/// A journal holding exactly the given payloads, each in a valid frame.
fn forged(payloads: &[Vec<u8>]) -> Vec<u8> {
    let header = encode_header(0);
    let mut bytes = header.to_vec();
    let mut prev = u32::from_le_bytes(header[20..24].try_into().unwrap());
    for (seq, payload) in payloads.iter().enumerate() {
        let frame = encode_frame(seq as u64, prev, payload);
        prev = u32::from_le_bytes(frame[0..4].try_into().unwrap());
        bytes.extend_from_slice(&frame);
    }
    bytes
}

#[test]
fn a_valid_record_the_rules_reject_is_corruption() {
    let payload = encode_payload(&stamp(), &Event::Completed).unwrap();
    let (offset, problem) = corruption(&forged(&[payload]));
    assert_eq!(offset as usize, HEADER_LEN);
    assert!(
        matches!(problem, Corruption::InvalidTransition { seq: 0, .. }),
        "{problem}"
    );
}

#[test]
fn a_valid_frame_with_an_unknown_kind_or_trailing_bytes_is_corruption() {
    let mut unknown = encode_payload(&stamp(), &Event::Completed).unwrap();
    unknown[32] = 77;
    assert!(matches!(
        corruption(&forged(&[unknown])).1,
        Corruption::Undecodable { seq: 0, .. }
    ));
    let mut trailing = encode_payload(
        &stamp(),
        &Event::AttemptStarted {
            epoch: 1,
            trigger: provision_journal::Trigger::Firstboot,
        },
    )
    .unwrap();
    trailing.push(0);
    assert!(matches!(
        corruption(&forged(&[trailing])).1,
        Corruption::Undecodable { seq: 0, .. }
    ));
}

#[test]
fn a_corrupt_journal_is_never_written_to() {
    let mut bytes = sample();
    bytes[HEADER_LEN + 3] ^= 0xff;
    let storage = MemStorage::with_bytes(&bytes);
    assert!(Journal::open(storage.reopen()).is_err());
    assert_eq!(storage.contents().unwrap(), bytes);
    assert!(storage.ops().is_empty());
}

#[test]
fn a_torn_tail_of_zeros_or_garbage_is_recognised() {
    for filler in [0x00u8, 0x5a] {
        for len in [1, 19, 20, 59, 200] {
            let mut bytes = sample();
            let end = bytes.len() as u64;
            bytes.extend(std::iter::repeat_n(filler, len));
            let journal = open(&bytes).unwrap();
            let torn = journal.torn_tail().expect("torn");
            assert_eq!((torn.offset, torn.len), (end, len as u64));
        }
    }
}

#[test]
fn an_empty_journal_of_only_a_header_classifies_as_a_first_run() {
    let header = encode_header(0);
    let mut machine = Machine::from_bytes(&header);
    assert_eq!(
        machine.boot().decide().verdict,
        Verdict::FirstRun { epoch: 1 }
    );
}
