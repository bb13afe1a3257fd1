//! Generates the journals the benchmarks read, through the library's own
//! `check` and hooks (so every record passed the transition function), with
//! writes buffered and not synced: a generated file is an input, not a
//! record of anything.
//!
//! ```text
//! journals year-loop PATH        the largest journal one attempt reaches in a
//!                                year of reboots every five minutes
//! journals attempts PATH BYTES   attempt after attempt, each ended and reset,
//!                                until the journal holds at least BYTES
//! ```
//!
//! Prints `records BYTES_ON_DISK RECORD_COUNT`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use camino::{Utf8Path, Utf8PathBuf};
use provision_journal::hooks::{self, Hook};
use provision_journal::storage::{Access, Storage, StorageError};
use provision_journal::{
    BootContext, BootId, FixedClock, Journal, JournalError, RebootReason, Sha256, Stage,
};

/// A write-only file that never syncs: the journal's append path, minus the
/// durability a generated input does not need.
struct UnsyncedFile {
    path: Utf8PathBuf,
    out: Option<BufWriter<File>>,
    len: u64,
}

impl UnsyncedFile {
    fn new(path: &Utf8Path) -> Self {
        UnsyncedFile {
            path: path.to_owned(),
            out: None,
            len: 0,
        }
    }

    fn out(&mut self) -> Result<&mut BufWriter<File>, StorageError> {
        self.out
            .as_mut()
            .ok_or_else(|| io::Error::other("not created").into())
    }

    fn finish(mut self) -> io::Result<u64> {
        if let Some(out) = &mut self.out {
            out.flush()?;
        }
        Ok(self.len)
    }
}

impl Storage for UnsyncedFile {
    fn path(&self) -> &Utf8Path {
        &self.path
    }

    fn open(&mut self, _access: Access) -> Result<bool, StorageError> {
        // Every generated journal starts from nothing.
        Ok(false)
    }

    fn create(&mut self, initial: &[u8]) -> Result<(), StorageError> {
        let file = File::create(self.path.as_std_path())?;
        self.out = Some(BufWriter::with_capacity(1 << 20, file));
        self.append(initial)
    }

    fn file_len(&mut self) -> Result<u64, StorageError> {
        Ok(self.len)
    }

    fn read_at(&mut self, _offset: u64, _buf: &mut [u8]) -> Result<usize, StorageError> {
        Err(io::Error::other("a generated journal is write-only").into())
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        self.out()?.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    fn sync_data(&mut self) -> Result<(), StorageError> {
        Ok(())
    }

    fn truncate(&mut self, _len: u64) -> Result<(), StorageError> {
        Err(io::Error::other("a generated journal has no torn tail").into())
    }

    fn sync_dir(&mut self) -> Result<(), StorageError> {
        Ok(())
    }
}

/// The longest free text a record keeps.
fn long_text(what: &str) -> String {
    provision_journal::testing::clip_text(&format!("{what}: {}", "x".repeat(300)))
}

/// A machine that boots again and again, five minutes apart.
struct Machine {
    journal: Journal<UnsyncedFile>,
    boots: u64,
    clock: FixedClock,
}

impl Machine {
    fn new(path: &Utf8Path) -> Result<Self, JournalError> {
        Ok(Machine {
            journal: Journal::open(UnsyncedFile::new(path))?,
            boots: 0,
            clock: FixedClock::new(BootId([0; 16]), 1_767_225_600_000),
        })
    }

    /// Boots and runs `check`; says whether provisioning may go on.
    fn boot(&mut self) -> Result<bool, JournalError> {
        self.boots += 1;
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&self.boots.to_le_bytes());
        id[15] = 0xb0;
        self.clock = FixedClock::new(
            BootId(id),
            1_767_225_600_000 + self.boots as i64 * 5 * 60 * 1000,
        );
        let context = BootContext {
            boot_id: Some(BootId(id)),
            firstboot: true,
            ..Default::default()
        };
        Ok(hooks::check(&mut self.journal, &context, &mut self.clock)?
            .verdict
            .may_proceed())
    }

    fn hooks(&mut self, hooks: &[Hook]) -> Result<(), JournalError> {
        for hook in hooks {
            hooks::record(&mut self.journal, hook, &mut self.clock)?;
        }
        Ok(())
    }

    fn finish(self) -> io::Result<(u64, u64)> {
        let records = self.journal.record_count();
        Ok((self.journal.into_storage().finish()?, records))
    }
}

fn config(n: u8) -> Sha256 {
    Sha256([n; 32])
}

fn stage_through(stages: &[Stage]) -> Vec<Hook> {
    stages
        .iter()
        .flat_map(|stage| [Hook::Begin(*stage), Hook::End(*stage)])
        .collect()
}

/// Every boot writes as much as the rules let it: a fetch failure and the
/// longest texts; four planned reboots, five failed `kargs` retries, then a
/// boot that fails past the red line; then the refused boots, for a year.
fn year_loop(path: &Utf8Path) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    const BOOTS_IN_A_YEAR: u32 = 365 * 24 * 12;
    let mut machine = Machine::new(path)?;
    for _ in 0..BOOTS_IN_A_YEAR {
        if !machine.boot()? {
            continue;
        }
        let progress = machine.journal.progress().clone();
        let mut hooks = vec![
            Hook::Fail(Stage::FetchOffline, long_text("fetch-offline")),
            Hook::Fetched(config(1)),
            Hook::Begin(Stage::Kargs),
        ];
        if progress.planned_reboots < 4 {
            hooks.push(Hook::End(Stage::Kargs));
            hooks.push(Hook::Reboot(RebootReason::Other(long_text("reboot"))));
        } else if progress.unplanned_restarts < 5 {
            hooks.push(Hook::Fail(Stage::Kargs, long_text("kargs")));
        } else {
            hooks.push(Hook::End(Stage::Kargs));
            hooks.extend(stage_through(&[Stage::Disks, Stage::Mount, Stage::Files]));
            hooks.push(Hook::Begin(Stage::Umount));
            hooks.push(Hook::Fail(Stage::Umount, long_text("umount")));
        }
        machine.hooks(&hooks)?;
    }
    Ok(machine.finish()?)
}

/// Attempts one after another: a `kargs` reboot, a full provisioning, and on
/// every tenth attempt a `files` failure; each ended attempt is reset.
fn attempts(path: &Utf8Path, bytes: u64) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    let mut machine = Machine::new(path)?;
    let mut attempt: u64 = 0;
    while machine.journal.len() < bytes {
        attempt += 1;
        let digest = config(attempt as u8);
        machine.boot()?;
        let mut hooks = vec![Hook::Fetched(digest)];
        hooks.extend(stage_through(&[Stage::Kargs]));
        hooks.push(Hook::Reboot(RebootReason::Kargs));
        machine.hooks(&hooks)?;
        machine.boot()?;
        let mut hooks = vec![Hook::Fetched(digest)];
        if attempt % 10 == 0 {
            hooks.extend(stage_through(&[Stage::Kargs, Stage::Disks, Stage::Mount]));
            hooks.push(Hook::Begin(Stage::Files));
            hooks.push(Hook::Fail(
                Stage::Files,
                "ignition-files.service: exit status 1".into(),
            ));
        } else {
            hooks.extend(stage_through(&[
                Stage::Kargs,
                Stage::Disks,
                Stage::Mount,
                Stage::Files,
                Stage::Umount,
            ]));
            hooks.push(Hook::Complete);
        }
        hooks.push(Hook::Reset(format!("reprovision {attempt}")));
        machine.hooks(&hooks)?;
    }
    Ok(machine.finish()?)
}

fn run(args: &[String]) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    match args {
        [kind, path] if kind == "year-loop" => year_loop(Utf8Path::new(path)),
        [kind, path, bytes] if kind == "attempts" => attempts(Utf8Path::new(path), bytes.parse()?),
        _ => Err("usage: journals year-loop PATH | journals attempts PATH BYTES".into()),
    }
}

fn main() -> ExitCode {
    // `cargo bench` appends `--bench` to a harness-less bench's arguments.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| arg != "--bench")
        .collect();
    match run(&args) {
        Ok((bytes, records)) => {
            println!("records {bytes} {records}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("journals: {error}");
            ExitCode::FAILURE
        }
    }
}
