//! The real storage on a real file system: creation, permissions, locking,
//! and refusal of anything that is not a regular file.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use camino::Utf8PathBuf;
use common::Machine;
use provision_journal::storage::{Access, Storage, StorageError};
use provision_journal::{
    BootContext, Clock, FixedClock, FsStorage, Journal, JournalError, Stage, Verdict, classify,
};

/// A fresh directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "provision-journal-test-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn journal(&self) -> Utf8PathBuf {
        Utf8PathBuf::from_path_buf(self.0.join("provision-journal")).unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn first_boot(path: &Utf8PathBuf) -> Journal<FsStorage> {
    let mut clock = FixedClock::new(Machine::boot_id(1), common::START_MS);
    let context = BootContext {
        boot_id: Some(clock.boot_id),
        firstboot: true,
        ..BootContext::default()
    };
    let mut journal = Journal::open(FsStorage::new(path.clone())).unwrap();
    let decision = classify(journal.progress(), journal.torn_tail(), &context);
    assert_eq!(decision.verdict, Verdict::FirstRun { epoch: 1 });
    journal
        .append(decision.record.unwrap(), clock.stamp())
        .unwrap();
    journal
}

#[test]
fn creation_is_atomic_private_and_leaves_no_temporary_file() {
    let dir = TempDir::new("create");
    let path = dir.journal();
    drop(first_boot(&path));
    let metadata = std::fs::metadata(&path).unwrap();
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    let names: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["provision-journal"]);
    let journal = Journal::read(FsStorage::new(path.clone())).unwrap();
    assert_eq!(journal.record_count(), 1);
}

#[test]
fn a_stale_temporary_file_from_a_crashed_creation_is_replaced() {
    let dir = TempDir::new("stale");
    std::fs::write(dir.0.join(".provision-journal.new"), b"half a header").unwrap();
    let path = dir.journal();
    drop(first_boot(&path));
    assert!(!dir.0.join(".provision-journal.new").exists());
    assert_eq!(
        Journal::read(FsStorage::new(path)).unwrap().record_count(),
        1
    );
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
    let dir = TempDir::new("lock");
    let path = dir.journal();
    let holder = first_boot(&path);
    let error = Journal::open(FsStorage::new(path.clone()))
        .err()
        .expect("locked");
    assert!(matches!(
        error,
        JournalError::Storage {
            source: StorageError::Locked { .. },
            ..
        }
    ));
    assert!(error.to_string().contains(path.as_str()));
    // Readers take no lock.
    assert!(Journal::read(FsStorage::new(path.clone())).is_ok());
    drop(holder);
    assert!(Journal::open(FsStorage::new(path)).is_ok());
}

#[test]
fn a_writer_that_finds_no_journal_waits_for_one_creating_it() {
    let dir = TempDir::new("create-race");
    let path = dir.journal();
    let boot = Machine::boot_id(1);
    let context = BootContext {
        boot_id: Some(boot),
        firstboot: true,
        ..BootContext::default()
    };
    // The first writer finds no journal and is about to create it.
    let mut first = Journal::open(FsStorage::new(path.clone())).unwrap();
    assert!(!first.exists());
    // A second one, meanwhile, finds none either.
    let second = {
        let (path, context) = (path.clone(), context.clone());
        std::thread::spawn(move || {
            let mut journal = Journal::open(
                FsStorage::new(path).waiting_for_lock(std::time::Duration::from_secs(10)),
            )?;
            let mut clock = FixedClock::new(boot, common::START_MS + 1);
            provision_journal::hooks::check(&mut journal, &context, &mut clock)
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut clock = FixedClock::new(boot, common::START_MS);
    let decision = provision_journal::hooks::check(&mut first, &context, &mut clock).unwrap();
    assert_eq!(decision.verdict, Verdict::FirstRun { epoch: 1 });
    drop(first);
    // The second waited for the first, then read what it wrote.
    let decision = second.join().unwrap().unwrap();
    assert!(
        matches!(decision.verdict, Verdict::SameBoot { .. }),
        "{:?}",
        decision.verdict
    );
    assert_eq!(
        Journal::read(FsStorage::new(path)).unwrap().record_count(),
        1
    );
}

#[test]
fn a_creator_that_waits_too_long_is_refused_with_its_timeout() {
    let dir = TempDir::new("create-timeout");
    let path = dir.journal();
    let first = Journal::open(FsStorage::new(path.clone())).unwrap();
    let error = Journal::open(
        FsStorage::new(path.clone()).waiting_for_lock(std::time::Duration::from_millis(300)),
    )
    .err()
    .expect("the first writer is creating the journal");
    let message = error.to_string();
    assert!(
        matches!(
            error,
            JournalError::Storage {
                source: StorageError::Locked {
                    timeout_ms: 300,
                    ..
                },
                ..
            }
        ),
        "{message}"
    );
    assert!(
        message.contains(&format!("(PID {})", std::process::id()))
            && message.contains("the whole lock timeout of 300 ms"),
        "{message}"
    );
    drop(first);
    assert!(Journal::open(FsStorage::new(path)).is_ok());
}

fn open_error(path: Utf8PathBuf) -> StorageError {
    let mut storage = FsStorage::new(path);
    storage.open(Access::Write).expect_err("refused")
}

#[test]
fn symlinks_directories_and_fifos_are_refused() {
    let dir = TempDir::new("kinds");
    let target = dir.0.join("target");
    std::fs::write(&target, b"").unwrap();
    let link = Utf8PathBuf::from_path_buf(dir.0.join("link")).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert!(matches!(
        open_error(link),
        StorageError::NotRegularFile {
            kind: "symbolic link"
        }
    ));

    let subdir = Utf8PathBuf::from_path_buf(dir.0.join("subdir")).unwrap();
    std::fs::create_dir(&subdir).unwrap();
    assert!(matches!(
        open_error(subdir.clone()),
        StorageError::NotRegularFile { kind: "directory" }
    ));
    let mut reader = FsStorage::new(subdir);
    assert!(matches!(
        reader.open(Access::Read),
        Err(StorageError::NotRegularFile { kind: "directory" })
    ));

    let fifo = Utf8PathBuf::from_path_buf(dir.0.join("fifo")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        fifo.as_std_path(),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    assert!(matches!(
        open_error(fifo.clone()),
        StorageError::NotRegularFile { kind: "FIFO" }
    ));
    let mut reader = FsStorage::new(fifo);
    assert!(matches!(
        reader.open(Access::Read),
        Err(StorageError::NotRegularFile { kind: "FIFO" })
    ));
}

#[test]
fn a_missing_directory_is_a_clear_error_naming_the_path() {
    let dir = TempDir::new("missing");
    let path = Utf8PathBuf::from_path_buf(dir.0.join("no-such-dir/provision-journal")).unwrap();
    let mut journal = Journal::open(FsStorage::new(path.clone())).unwrap();
    assert!(!journal.exists());
    let mut clock = FixedClock::new(Machine::boot_id(1), 0);
    let error = journal
        .append(
            provision_journal::Event::AttemptStarted {
                epoch: 1,
                trigger: provision_journal::Trigger::Firstboot,
            },
            clock.stamp(),
        )
        .expect_err("no directory");
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("failed to create journal `{path}`")),
        "{message}"
    );
    assert!(!dir.0.join("no-such-dir").exists());
}

#[test]
fn a_whole_boot_on_disk_replays_to_the_same_progress() {
    let dir = TempDir::new("replay");
    let path = dir.journal();
    let mut journal = first_boot(&path);
    let mut clock = FixedClock::new(Machine::boot_id(1), common::START_MS + 1000);
    use provision_journal::Event;
    for event in [
        Event::ConfigFetched {
            sha256: common::CONFIG,
        },
        Event::StageBegan {
            stage: Stage::Disks,
        },
    ] {
        journal.append(event, clock.stamp()).unwrap();
    }
    let written = journal.progress().clone();
    drop(journal);
    let read = Journal::read(FsStorage::new(path)).unwrap();
    assert_eq!(read.progress(), &written);
}
