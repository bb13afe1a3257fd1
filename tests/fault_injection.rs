//! Deterministic fault injection through the in-memory storage seam.
//!
//! Over realistic hook sequences (a whole first boot that creates the
//! journal; a boot that finds a torn tail and cuts it), each fault is aimed
//! at every occurrence of its operation in turn: the Nth write failing with
//! `EIO` or `ENOSPC` or landing short, the Nth `fdatasync` returning `EIO`
//! or `ENOSPC`, and, at creation, a failed write of the temporary file, its
//! `fdatasync`, the rename and the directory `fsync`, and a failed
//! `ftruncate` of the torn tail. For each:
//!
//! - the hook fails with an error naming the path, the offset where one
//!   applies, and the cause;
//! - the failed operation was the last one tried, and the same handle then
//!   refuses to append without trying anything (a failed sync is never
//!   retried);
//! - every state a crash may leave afterwards holds every acknowledged
//!   record and, of the failed hook's records, a prefix, each whole; and the
//!   next boot classifies it safely (`fuzzing::check_crash_state`);
//! - a new process in the same boot may run the hook again and go on: the
//!   journal stays readable and every record acknowledged to a caller stays
//!   durable in every crash state;
//! - if a failed `fdatasync` lost its data while a later record became
//!   durable (the "fsyncgate" case), the reader reports corruption at the
//!   lost record, so `check` stops provisioning.
//!
//! The last test runs the real storage into `ENOSPC` on a small tmpfs
//! (needs root; skipped otherwise, and required under CI).

mod support;

use std::collections::BTreeMap;
use std::io;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use provision_journal::error::StorageOp;
use provision_journal::fuzzing::{
    CONFIG_A, Call, boot_context, boot_id, check_crash_state, read_records,
};
use provision_journal::hooks::Hook;
use provision_journal::storage::{Fault, FaultKind, OpKind};
use provision_journal::testing::{HEADER_LEN, encode_header};
use provision_journal::{
    BootContext, Clock, Event, FixedClock, FsStorage, Journal, JournalError, MemStorage,
    PoisonReason, Record, Stage, TornTail, classify,
};
use rustix::io::Errno;

const PATH: &str = "mem/provision-journal";

fn eio() -> i32 {
    Errno::IO.raw_os_error()
}

fn enospc() -> i32 {
    Errno::NOSPC.raw_os_error()
}

/// A boot's hooks, run one process each on a disk that starts with `start`.
#[derive(Clone)]
struct Scenario {
    name: &'static str,
    start: Option<Vec<u8>>,
    boot: u8,
    hooks: Vec<Call>,
}

/// A whole first boot: creation, every stage, completion.
fn first_boot() -> Scenario {
    let mut hooks = vec![Call::Check, Call::Hook(Hook::Fetched(CONFIG_A))];
    for stage in Stage::MUTATING {
        hooks.push(Call::Hook(Hook::Begin(stage)));
        hooks.push(Call::Hook(Hook::End(stage)));
    }
    hooks.push(Call::Hook(Hook::Complete));
    Scenario {
        name: "first boot",
        start: None,
        boot: 0,
        hooks,
    }
}

/// The boot after a crash that tore `end kargs`: `check` cuts the tail and
/// records that, then provisioning runs into `disks`.
fn boot_after_torn_tail() -> Scenario {
    let mut boot = Boot::new(&first_boot());
    for hook in &first_boot().hooks[..4] {
        boot.attempt(hook).result.expect("no fault is injected");
    }
    let mut bytes = boot.disk.contents().expect("the journal exists");
    bytes.truncate(bytes.len() - 30);
    let mut hooks = vec![Call::Check, Call::Hook(Hook::Fetched(CONFIG_A))];
    for stage in [Stage::Kargs, Stage::Disks] {
        hooks.push(Call::Hook(Hook::Begin(stage)));
        hooks.push(Call::Hook(Hook::End(stage)));
    }
    Scenario {
        name: "boot after a torn tail",
        start: Some(bytes),
        boot: 1,
        hooks,
    }
}

/// A boot on a journal that holds only its header, as a creation that
/// failed after its rename leaves it: the first record waits for the
/// directory `fsync`.
fn boot_on_header_only() -> Scenario {
    Scenario {
        name: "boot on a journal without records",
        start: Some(encode_header(1_600_000_000_000).to_vec()),
        boot: 0,
        hooks: vec![
            Call::Check,
            Call::Hook(Hook::Fetched(CONFIG_A)),
            Call::Hook(Hook::Begin(Stage::Kargs)),
        ],
    }
}

/// One boot of a simulated machine, every hook its own process.
struct Boot {
    disk: MemStorage,
    clock: FixedClock,
    context: BootContext,
    /// Every record whose append returned, in order.
    acknowledged: Vec<Record>,
}

/// What one hook process did.
struct Attempted {
    /// Its handle, still open.
    journal: Journal<MemStorage>,
    /// The event it appended (none: `check` had nothing to record).
    event: Option<Event>,
    /// The records it set out to append, and where each frame starts.
    planned: Vec<(Record, u64)>,
    /// The torn tail it found.
    torn: Option<TornTail>,
    /// Whether the journal existed when it opened it.
    existed: bool,
    /// How many operations had been tried before it ran.
    attempts_before: usize,
    result: Result<(), JournalError>,
}

impl Boot {
    fn new(scenario: &Scenario) -> Self {
        let boot = boot_id(scenario.boot);
        Boot {
            disk: MemStorage::with_journal(scenario.start.as_deref()),
            clock: FixedClock::new(boot, 1_700_000_000_000),
            context: boot_context(boot, None),
            acknowledged: read_records(scenario.start.as_deref())
                .expect("the start reads")
                .0,
        }
    }

    /// Runs `hook` as its own process would: open, decide, append.
    fn attempt(&mut self, hook: &Call) -> Attempted {
        let attempts_before = self.disk.attempts().len();
        let journal =
            Journal::open(self.disk.reopen()).expect("opening tries nothing that can fail here");
        let event = match hook {
            Call::Check => classify(journal.progress(), journal.torn_tail(), &self.context).record,
            call @ (Call::Hook(_) | Call::Failed(_)) => call.event(),
        };
        let torn = journal.torn_tail();
        let existed = journal.exists();
        let mut attempted = Attempted {
            journal,
            event: event.clone(),
            planned: Vec::new(),
            torn,
            existed,
            attempts_before,
            result: Ok(()),
        };
        let Some(event) = event else {
            return attempted;
        };
        let stamp = self.clock.stamp();
        let journal = &mut attempted.journal;
        let first_seq = journal.record_count();
        let mut at = if journal.exists() {
            journal.len()
        } else {
            HEADER_LEN as u64
        };
        let mut events = Vec::new();
        if let Some(torn) = torn {
            events.push(Event::TailRepaired {
                offset: torn.offset,
                dropped: torn.len,
            });
        }
        events.push(event.clone());
        for (seq, event) in (first_seq..).zip(events) {
            let frame_len = 20
                + provision_journal::testing::encode_payload(&stamp, &event)
                    .expect("encodes")
                    .len() as u64;
            attempted.planned.push((Record { seq, stamp, event }, at));
            at += frame_len;
        }
        attempted.result = journal.append(event, stamp).map(|_| ());
        if attempted.result.is_ok() {
            self.acknowledged
                .extend(attempted.planned.iter().map(|(record, _)| record.clone()));
        }
        attempted
    }
}

/// The next boot, which recovers from a crash state.
fn next_boot(scenario: &Scenario) -> (FixedClock, BootContext) {
    let next = boot_id(scenario.boot + 1);
    (
        FixedClock::new(next, 1_800_000_000_000),
        boot_context(next, None),
    )
}

/// Checks every state a crash may leave now, and the state a clean
/// shutdown leaves (everything written lands), with `acknowledged` records
/// durable and `in_flight` ones possibly landed. Returns how many.
fn check_states(
    scenario: &Scenario,
    disk: &MemStorage,
    acknowledged: &[Record],
    in_flight: &[Record],
    violations: &mut Vec<String>,
    what: &str,
) -> u64 {
    let mut states: Vec<(Option<Vec<u8>>, String)> = disk
        .crash_states()
        .into_iter()
        .map(|state| (state.journal, format!("{:?}", state.tearing)))
        .collect();
    states.push((disk.contents(), "clean shutdown".into()));
    for (journal, tearing) in &states {
        let (mut clock, context) = next_boot(scenario);
        if let Err(violation) = check_crash_state(
            journal.as_deref(),
            acknowledged,
            in_flight,
            &mut clock,
            &context,
        ) {
            violations.push(format!("{what}, crash state {tearing}: {violation}"));
        }
    }
    states.len() as u64
}

fn cause(kind: FaultKind) -> String {
    let raw = match kind {
        FaultKind::Errno(raw) => raw,
        FaultKind::ShortWrite { .. } => enospc(),
    };
    io::Error::from_raw_os_error(raw).to_string()
}

/// Checks the error of a failed hook against the fault that caused it.
fn check_error(
    error: &JournalError,
    fault: &Fault,
    attempted: &Attempted,
    synced: usize,
) -> Result<(), String> {
    let message = error.to_string();
    let cause = cause(fault.kind);
    if !message.contains(PATH) || !message.contains(&cause) {
        return Err(format!("the error lacks the path or the cause: {message}"));
    }
    let offset = match fault.op {
        OpKind::Append | OpKind::SyncData => Some(attempted.planned[synced].1),
        OpKind::Truncate => attempted.torn.map(|torn| torn.offset),
        OpKind::WriteTemp | OpKind::SyncTemp | OpKind::Rename | OpKind::SyncDir => None,
    };
    if let Some(offset) = offset
        && !message.contains(&format!("at offset {offset}"))
    {
        return Err(format!(
            "the error does not name offset {offset}: {message}"
        ));
    }
    let right_kind = match (fault.op, error) {
        (OpKind::Append, JournalError::WriteFailed { op, .. }) => *op == StorageOp::Append,
        (OpKind::Truncate, JournalError::WriteFailed { op, .. }) => *op == StorageOp::Truncate,
        (OpKind::SyncData, JournalError::SyncFailed { .. }) => true,
        (OpKind::SyncDir, JournalError::Storage { op, .. }) if attempted.existed => {
            *op == StorageOp::SyncDir
        }
        (
            OpKind::WriteTemp | OpKind::SyncTemp | OpKind::Rename | OpKind::SyncDir,
            JournalError::Storage { op, .. },
        ) => *op == StorageOp::Create,
        _ => false,
    };
    if !right_kind {
        return Err(format!("unexpected error for {fault:?}: {message}"));
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    runs: u64,
    crash_states: u64,
    continued: u64,
    lost_syncs: u64,
}

/// Runs `scenario` with `fault` injected; returns the violations.
fn run_with_fault(scenario: &Scenario, fault: Fault, tally: &mut Tally) -> Vec<String> {
    let mut violations = Vec::new();
    let what = format!(
        "{}, {:?} #{} {:?}",
        scenario.name, fault.op, fault.nth, fault.kind
    );
    let mut boot = Boot::new(scenario);
    boot.disk.inject(fault);
    tally.runs += 1;
    let mut failed = None;
    for (index, hook) in scenario.hooks.iter().enumerate() {
        let attempted = boot.attempt(hook);
        if attempted.result.is_err() {
            failed = Some((index, attempted));
            break;
        }
    }
    let Some((index, mut attempted)) = failed else {
        violations.push(format!("{what}: the fault never fired"));
        return violations;
    };
    let hook = &scenario.hooks[index];
    let what = format!("{what} (during `{}`)", hook.command());
    let error = attempted.result.as_ref().expect_err("it failed");

    // The failed operation is the last one tried, and the only faulty one.
    let attempts = boot.disk.attempts();
    let tried = &attempts[attempted.attempts_before..];
    match tried.last() {
        Some(last) if last.kind == fault.op && last.fault == Some(fault.kind) => {}
        other => violations.push(format!(
            "{what}: the last operation tried was {other:?}, not the faulty one"
        )),
    }
    let synced = tried
        .iter()
        .filter(|attempt| attempt.kind == OpKind::SyncData && attempt.fault.is_none())
        .count();
    if let Err(problem) = check_error(error, &fault, &attempted, synced) {
        violations.push(format!("{what}: {problem}"));
    }

    // The same handle refuses to go on and tries nothing.
    let ops_before = boot.disk.ops().len();
    let again = attempted.journal.append(
        attempted.event.clone().expect("a failed hook had an event"),
        boot.clock.stamp(),
    );
    if !matches!(again, Err(JournalError::Unusable { .. })) {
        violations.push(format!(
            "{what}: the handle did not refuse a second append: {again:?}"
        ));
    }
    if boot.disk.attempts().len() != attempts.len() || boot.disk.ops().len() != ops_before {
        violations.push(format!("{what}: the refused append touched the disk"));
    }
    drop(attempted.journal);

    // Every crash state now: the records whose sync returned are there; of
    // the failed hook's, a prefix, each whole.
    let planned: Vec<Record> = attempted
        .planned
        .iter()
        .map(|(record, _)| record.clone())
        .collect();
    let mut acknowledged = boot.acknowledged.clone();
    acknowledged.extend_from_slice(&planned[..synced]);
    tally.crash_states += check_states(
        scenario,
        &boot.disk,
        &acknowledged,
        &planned[synced..],
        &mut violations,
        &format!("{what}, after the failure"),
    );

    // A new process in the same boot runs the hook again, and the boot goes
    // on. Running it again is refused only if its record is already there.
    let acknowledged_before_retry = acknowledged.len();
    let mut to_callers: Vec<Record> = acknowledged;
    for (step, hook) in scenario.hooks[index..].iter().enumerate() {
        let next = boot.attempt(hook);
        match next.result {
            Ok(()) => to_callers.extend(next.planned.into_iter().map(|(record, _)| record)),
            Err(JournalError::Rejected { .. }) if step == 0 => {}
            Err(error) => {
                violations.push(format!(
                    "{what}: running `{}` after the failure failed: {error}",
                    hook.command()
                ));
                return violations;
            }
        }
    }
    tally.continued += 1;
    let live = boot.disk.contents();
    let records = match read_records(live.as_deref()) {
        Ok((records, None)) => records,
        other => {
            violations.push(format!(
                "{what}: after going on, the journal does not read clean: {other:?}"
            ));
            return violations;
        }
    };
    // Everything up to the last record a caller was told is durable counts
    // as acknowledged (a failed record before it was synced with it).
    let last_acknowledged = to_callers
        .last()
        .and_then(|last| records.iter().position(|record| record == last));
    let Some(split) = last_acknowledged
        .map(|at| at + 1)
        .or_else(|| to_callers.is_empty().then_some(0))
    else {
        violations.push(format!(
            "{what}: an acknowledged record is missing from the journal"
        ));
        return violations;
    };
    if !to_callers.iter().all(|record| records.contains(record)) {
        violations.push(format!(
            "{what}: an acknowledged record is missing from the journal"
        ));
    }
    tally.crash_states += check_states(
        scenario,
        &boot.disk,
        &records[..split],
        &records[split..],
        &mut violations,
        &format!("{what}, after the boot went on"),
    );

    // The "fsyncgate" case: the failed sync's data never reached the disk
    // (its pages were dropped), but a later record's sync succeeded.
    if fault.op == OpKind::SyncData && split > acknowledged_before_retry {
        let (lost, offset) = &attempted.planned[synced];
        let frame_len = 20
            + provision_journal::testing::encode_payload(&lost.stamp, &lost.event)
                .expect("encodes")
                .len();
        let bytes = live.expect("the journal exists");
        let start = *offset as usize;
        let followed = records
            .iter()
            .position(|record| record == lost)
            .is_some_and(|at| at + 1 < records.len());
        if followed {
            tally.lost_syncs += 1;
            for fill in [0x00u8, 0xa5] {
                let mut image = bytes.clone();
                image[start..start + frame_len].fill(fill);
                let opened = Journal::open(MemStorage::with_bytes(&image));
                let read = read_records(Some(&image));
                match (opened, read) {
                    (
                        Err(JournalError::Corrupt { offset: at, .. }),
                        Err(JournalError::Corrupt { offset: read_at, .. }),
                    ) if at == *offset && read_at == *offset => {}
                    (opened, read) => violations.push(format!(
                        "{what}: with the unsynced record lost under a later durable one, the journal was not refused as corrupt at {offset}: {:?} / {read:?}",
                        opened.map(|journal| journal.record_count())
                    )),
                }
            }
        }
    }
    violations
}

/// How many times the scenario tries each kind of operation, without faults.
fn operation_counts(scenario: &Scenario) -> BTreeMap<String, usize> {
    let mut boot = Boot::new(scenario);
    for hook in &scenario.hooks {
        boot.attempt(hook).result.unwrap_or_else(|error| {
            panic!("{}: `{}` failed: {error}", scenario.name, hook.command())
        });
    }
    let mut counts = BTreeMap::new();
    for attempt in boot.disk.attempts() {
        *counts.entry(format!("{:?}", attempt.kind)).or_default() += 1;
    }
    counts
}

fn faults() -> Vec<(OpKind, FaultKind)> {
    let mut faults = vec![
        (OpKind::Append, FaultKind::Errno(eio())),
        (OpKind::Append, FaultKind::Errno(enospc())),
        (OpKind::SyncData, FaultKind::Errno(eio())),
        (OpKind::SyncData, FaultKind::Errno(enospc())),
        (OpKind::WriteTemp, FaultKind::Errno(enospc())),
        (OpKind::WriteTemp, FaultKind::ShortWrite { keep: 10 }),
        (OpKind::SyncTemp, FaultKind::Errno(eio())),
        (OpKind::Rename, FaultKind::Errno(eio())),
        (OpKind::Rename, FaultKind::Errno(enospc())),
        (OpKind::SyncDir, FaultKind::Errno(eio())),
        (OpKind::Truncate, FaultKind::Errno(eio())),
    ];
    // Short writes: a byte, the frame header, into the payload, all but
    // the last byte of the shortest frame (56 bytes).
    for keep in [1, 20, 40, 55] {
        faults.push((OpKind::Append, FaultKind::ShortWrite { keep }));
    }
    faults
}

#[test]
fn every_injected_fault_fails_clearly_and_claims_nothing() {
    let mut tally = Tally::default();
    let mut violations = Vec::new();
    let mut covered = BTreeMap::<String, usize>::new();
    for scenario in [first_boot(), boot_after_torn_tail(), boot_on_header_only()] {
        let counts = operation_counts(&scenario);
        println!("{}: operations tried {counts:?}", scenario.name);
        for (op, kind) in faults() {
            let occurrences = counts.get(&format!("{op:?}")).copied().unwrap_or(0);
            for nth in 0..occurrences {
                let fault = Fault { op, nth, kind };
                violations.extend(run_with_fault(&scenario, fault, &mut tally));
                *covered.entry(format!("{op:?} {kind:?}")).or_default() += 1;
            }
        }
    }
    println!("faults covered (runs per fault): {covered:#?}");
    // Written past the test harness's capture: CI logs show the figures.
    writeln!(
        std::io::stderr(),
        "fault injection: {} runs, {} crash states checked, {} boots went on after the failure, {} lost-sync images refused, {} violations",
        tally.runs,
        tally.crash_states,
        tally.continued,
        tally.lost_syncs,
        violations.len()
    )
    .expect("stderr");
    for violation in violations.iter().take(20) {
        println!("violation: {violation}");
    }
    assert!(violations.is_empty(), "{} violations", violations.len());
    assert_eq!(covered.len(), faults().len(), "every fault fired somewhere");
    assert!(tally.lost_syncs > 0 && tally.continued == tally.runs);
}

#[test]
fn a_journal_without_records_has_its_directory_synced_before_the_first() {
    let boot = boot_id(3);
    let context = boot_context(boot, None);
    let mut clock = FixedClock::new(boot, 1_700_000_000_000);
    let header = encode_header(1_600_000_000_000);

    let storage = MemStorage::with_bytes(&header);
    let mut journal = Journal::open(storage.reopen()).expect("opens");
    let record = classify(journal.progress(), None, &context).record;
    journal
        .append(record.expect("a first run"), clock.stamp())
        .expect("appends");
    journal
        .append(Event::ConfigFetched { sha256: CONFIG_A }, clock.stamp())
        .expect("appends");
    let kinds: Vec<OpKind> = storage.ops().iter().map(|op| op.kind()).collect();
    assert_eq!(
        kinds,
        [
            OpKind::SyncDir,
            OpKind::Append,
            OpKind::SyncData,
            OpKind::Append,
            OpKind::SyncData
        ]
    );

    let dir = std::env::temp_dir().join(format!(
        "provision-journal-header-only-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let path =
        camino::Utf8PathBuf::from_path_buf(dir.join("provision-journal")).expect("a UTF-8 path");
    std::fs::write(&path, header).expect("writes");
    let mut journal = Journal::open(FsStorage::new(path.clone())).expect("opens");
    let record = classify(journal.progress(), None, &context).record;
    journal
        .append(record.expect("a first run"), clock.stamp())
        .expect("the real storage syncs the directory and appends");
    drop(journal);
    let (records, torn) =
        read_records(Some(&std::fs::read(&path).expect("reads"))).expect("the journal reads");
    assert_eq!((records.len(), torn), (1, None));
    std::fs::remove_dir_all(&dir).expect("scratch removed");
}

/// A small tmpfs, mounted for one test and unmounted on drop.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `kib` KiB, or says why it cannot.
    fn mount(name: &str, kib: u32) -> Result<Self, String> {
        let is_root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|output| output.stdout.trim_ascii() == b"0");
        if !is_root {
            return Err("not running as root".into());
        }
        let dir =
            std::env::temp_dir().join(format!("provision-journal-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(&dir)
            .status()
            .map_err(|error| format!("mount: {error}"))?;
        if !status.success() {
            let _ = std::fs::remove_dir(&dir);
            return Err(format!("mount -t tmpfs failed: {status}"));
        }
        Ok(Tmpfs { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Fills the file system holding `path` until a write fails.
fn fill(path: &Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).expect("filler file");
    let block = [0xffu8; 512];
    while file.write_all(&block).is_ok() {}
    let _ = file.flush();
}

#[test]
fn a_full_file_system_fails_the_append_clearly_and_the_next_writer_recovers() {
    let fs = match Tmpfs::mount("enospc", 64) {
        Ok(fs) => fs,
        Err(reason) => {
            support::skip::skip(format_args!(
                "the ENOSPC test needs root and tmpfs: {reason}"
            ));
            return;
        }
    };
    let path =
        camino::Utf8PathBuf::from_path_buf(fs.path("provision-journal")).expect("a UTF-8 path");
    let boot = boot_id(7);
    let context = boot_context(boot, None);
    let mut clock = FixedClock::new(boot, 1_700_000_000_000);
    let mut journal = Journal::open(FsStorage::new(path.clone())).expect("opens");
    let decision = classify(journal.progress(), None, &context);
    journal
        .append(decision.record.expect("a first run"), clock.stamp())
        .expect("the first record fits");
    fill(&fs.path("filler"));

    // The journal's first page has room left; poison the attempt and
    // record refused boots until the file system has no block for the next.
    let mut acknowledged = 1u64;
    let error = loop {
        let event = if acknowledged == 1 {
            Event::Poisoned {
                reason: PoisonReason::RetriesExhausted {
                    restarts: 6,
                    limit: 5,
                },
            }
        } else {
            Event::BootRefused
        };
        let offset = journal.len();
        match journal.append(event, clock.stamp()) {
            Ok(_) => acknowledged += 1,
            Err(error) => break (error, offset),
        }
        assert!(acknowledged < 1000, "the file system never filled up");
    };
    let (error, offset) = error;
    let message = error.to_string();
    assert!(
        matches!(error, JournalError::WriteFailed { op: StorageOp::Append, offset: at, .. } if at == offset),
        "{message}"
    );
    assert!(message.contains(path.as_str()), "{message}");
    assert!(
        message.contains(&format!("at offset {offset}")),
        "{message}"
    );
    assert!(
        message.contains(&io::Error::from_raw_os_error(enospc()).to_string()),
        "{message}"
    );
    let again = journal.append(Event::Completed, clock.stamp());
    assert!(
        matches!(again, Err(JournalError::Unusable { .. })),
        "{again:?}"
    );
    drop(journal);

    // What landed of the failed record is at most a torn tail; once space
    // is freed, the next writer cuts it and records that.
    let reader = Journal::read(FsStorage::new(path.clone())).expect("the journal reads");
    assert_eq!(reader.record_count(), acknowledged);
    assert_eq!(reader.len(), offset);
    let torn = reader.torn_tail();
    drop(reader);
    std::fs::remove_file(fs.path("filler")).expect("filler removed");
    let mut journal = Journal::open(FsStorage::new(path.clone())).expect("opens");
    journal
        .append(Event::BootRefused, clock.stamp())
        .expect("appends once there is room");
    drop(journal);
    let (records, tail) =
        read_records(Some(&std::fs::read(&path).expect("reads"))).expect("the journal reads");
    assert_eq!(tail, None);
    let expected = acknowledged + 1 + u64::from(torn.is_some());
    assert_eq!(records.len() as u64, expected, "torn: {torn:?}");
    println!(
        "tmpfs ENOSPC: {acknowledged} records acknowledged, the next failed at offset {offset}, leaving torn tail {torn:?}"
    );
}
