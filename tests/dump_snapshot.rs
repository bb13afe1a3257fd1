//! A report reads its journal in several passes; a hook appending meanwhile
//! must not make them disagree (one snapshot per report).

mod dump_common;

use camino::Utf8Path;
use dump_common::{Writer, all_stages, first_check};
use provision_journal::MemStorage;
use provision_journal::config::PolicySettings;
use provision_journal::report;
use provision_journal::storage::{Access, Storage, StorageError};

/// A journal that grows between a report's passes (each pass starts by
/// reading the header at offset 0), as if a hook appended meanwhile.
struct Growing {
    inner: MemStorage,
    lengths: Vec<u64>,
    passes: usize,
    current: u64,
}

impl Storage for Growing {
    fn path(&self) -> &Utf8Path {
        self.inner.path()
    }
    fn open(&mut self, access: Access) -> Result<bool, StorageError> {
        self.inner.open(access)
    }
    fn create(&mut self, initial: &[u8]) -> Result<(), StorageError> {
        self.inner.create(initial)
    }
    fn file_len(&mut self) -> Result<u64, StorageError> {
        self.current = self.lengths[self.passes.min(self.lengths.len() - 1)];
        Ok(self.current)
    }
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, StorageError> {
        if offset == 0 {
            self.passes += 1;
        }
        let room = usize::try_from(self.current.saturating_sub(offset)).unwrap();
        let want = buf.len().min(room);
        self.inner.read_at(offset, &mut buf[..want])
    }
    fn append(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        self.inner.append(bytes)
    }
    fn sync_data(&mut self) -> Result<(), StorageError> {
        self.inner.sync_data()
    }
    fn truncate(&mut self, len: u64) -> Result<(), StorageError> {
        self.inner.truncate(len)
    }
    fn sync_dir(&mut self) -> Result<(), StorageError> {
        self.inner.sync_dir()
    }
}

#[test]
fn every_pass_of_a_report_sees_the_same_records() {
    let mut writer = Writer::new();
    first_check(&mut writer);
    let early = writer.bytes().len() as u64;
    all_stages(&mut writer);
    let bytes = writer.bytes();
    let growing = || Growing {
        inner: MemStorage::with_bytes(&bytes),
        lengths: vec![early, bytes.len() as u64],
        passes: 0,
        current: early,
    };
    let mut human = Vec::new();
    report::dump_human(&mut growing(), &PolicySettings::default(), &mut human).unwrap();
    let human = String::from_utf8(human).unwrap();
    let rows = human
        .split_once("RECORDS")
        .and_then(|(_, rest)| rest.split_once("TIMELINE"))
        .map(|(records, _)| records.lines().filter(|line| line.contains(" #1 ")).count())
        .unwrap();
    let trusted = human
        .split_once("NEXT CHECK")
        .map(|(_, rest)| rest.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap();
    assert!(
        trusted.contains(&format!("{rows} trusted record")),
        "{rows} rows in RECORDS, but NEXT CHECK says: {trusted}"
    );

    let mut json = Vec::new();
    report::dump_json(&mut growing(), &PolicySettings::default(), &mut json).unwrap();
    let document: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let records = document["records"].as_array().unwrap().len();
    assert_eq!(
        document["summary"]["trusted_records"], records,
        "{document}"
    );
}
