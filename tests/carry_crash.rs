//! A power cut anywhere while the journal is put back on a recreated boot
//! file system (`Journal::carry`) and the hook's own record appended leaves
//! no journal, the whole saved journal, or the saved journal and the
//! record: never a part of it, never a journal that lost `begin disks`.

use provision_journal::storage::MemDisk;
use provision_journal::{BootId, Event, Journal, MemStorage, Sha256, Stage, Stamp, Trigger};

fn stamp(n: u64) -> Stamp {
    Stamp {
        boot_id: BootId([1; 16]),
        wall_ms: 1_700_000_000_000 + n as i64,
        mono_ns: n,
    }
}

/// The journal a boot leaves on the old file system up to `begin disks`.
fn saved_journal() -> Vec<u8> {
    let disk = MemStorage::new();
    let mut journal = Journal::open(disk.reopen()).unwrap();
    let events = [
        Event::AttemptStarted {
            epoch: 1,
            trigger: Trigger::Firstboot,
        },
        Event::ConfigFetched {
            sha256: Sha256([7; 32]),
        },
        Event::StageBegan {
            stage: Stage::Kargs,
        },
        Event::StageEnded {
            stage: Stage::Kargs,
        },
        Event::StageBegan {
            stage: Stage::Disks,
        },
    ];
    for (n, event) in events.into_iter().enumerate() {
        journal.append(event, stamp(n as u64)).unwrap();
    }
    disk.contents().unwrap()
}

#[test]
fn a_cut_anywhere_in_the_carry_leaves_nothing_or_all_of_the_saved_journal() {
    let saved = saved_journal();
    let target = MemStorage::new();
    let mut journal = Journal::carry(target.reopen(), &saved).unwrap();
    assert_eq!(journal.record_count(), 5);
    journal
        .append(
            Event::StageEnded {
                stage: Stage::Disks,
            },
            stamp(9),
        )
        .unwrap();
    let ended = target.contents().unwrap();
    let ops = target.ops();
    let mut seen = Vec::new();
    for cut in 0..=ops.len() {
        let durable = MemDisk::durable_after(None, &ops[..cut]);
        match &durable {
            None => {}
            Some(bytes) => assert!(
                bytes == &saved || bytes == &ended,
                "a cut after {cut} operations leaves {} bytes: neither the saved journal ({}) nor it with `end disks` ({})",
                bytes.len(),
                saved.len(),
                ended.len()
            ),
        }
        if !seen.contains(&durable) {
            seen.push(durable);
        }
    }
    assert_eq!(
        seen,
        [None, Some(saved), Some(ended)],
        "every outcome is reachable, in this order"
    );
}

#[test]
fn a_corrupt_saved_journal_is_refused_and_nothing_is_written() {
    let mut saved = saved_journal();
    // A flipped bit in the first record, with whole records after it.
    saved[40] ^= 0x01;
    let target = MemStorage::new();
    let result = Journal::carry(target.reopen(), &saved).map(|journal| journal.record_count());
    assert!(
        matches!(result, Err(provision_journal::JournalError::Corrupt { .. })),
        "{result:?}"
    );
    assert!(target.contents().is_none() && target.ops().is_empty());
}

#[test]
fn an_existing_journal_is_never_replaced() {
    let saved = saved_journal();
    let target = MemStorage::with_bytes(&saved_journal()[..saved.len() - 60]);
    let before = target.contents();
    assert!(Journal::carry(target.reopen(), &saved).is_err());
    assert_eq!(target.contents(), before);
}
