//! Where a call's outcome goes: its sentence on stdout (or stderr) as
//! before, and the same sentence as a structured journald entry
//! (`provision_journal::journald`) when journald listens.
//!
//! When the stream is itself connected to the journal (systemd sets
//! `JOURNAL_STREAM` to its device and inode, as for the drop-ins'
//! `ExecStartPre=` hooks), the entry replaces the line, so the journal holds
//! it once; otherwise (a terminal, `kmsg+console`, a pipe) the line is
//! printed too. Without journald only the line is printed, and nothing
//! says so.

use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::journald::{Entry, Field, MessageId, SOCKET};
use provision_journal::{Event, Progress, State};

use crate::output::{complain, say};

/// The environment variable that names another socket for the entries
/// (empty: send none), for tests and for systems whose journald listens
/// elsewhere.
pub const SOCKET_VARIABLE: &str = "PROVISION_JOURNAL_JOURNALD_SOCKET";

/// What every entry of this call carries: the command, and the journal and
/// boot device it works on (once known).
#[derive(Clone, Debug, Default)]
struct Context {
    command: Option<String>,
    path: Option<String>,
    device: Option<String>,
}

static CONTEXT: Mutex<Context> = Mutex::new(Context {
    command: None,
    path: None,
    device: None,
});

fn context() -> Context {
    CONTEXT.lock().map(|c| c.clone()).unwrap_or_default()
}

/// Names the call (`check`, `begin disks`) for every entry it sends.
pub fn set_command(command: impl Into<String>) {
    if let Ok(mut context) = CONTEXT.lock() {
        context.command = Some(command.into());
    }
}

/// Names the journal the call works on, and the boot device it is on.
pub fn set_journal(path: impl Into<String>, device: Option<String>) {
    if let Ok(mut context) = CONTEXT.lock() {
        context.path = Some(path.into());
        if device.is_some() {
            context.device = device;
        }
    }
}

/// The socket entries are sent to, or `None` when sending is switched off.
fn socket() -> Option<PathBuf> {
    match std::env::var_os(SOCKET_VARIABLE) {
        Some(path) if path.is_empty() => None,
        Some(path) => Some(PathBuf::from(path)),
        None => Some(PathBuf::from(SOCKET)),
    }
}

/// Whether `stream` is the journal stream systemd connected (its device
/// and inode are `JOURNAL_STREAM`'s).
fn is_journal_stream(stream: impl AsFd) -> bool {
    let Some(value) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Some((device, inode)) = value.to_str().and_then(|v| v.split_once(':')) else {
        return false;
    };
    let Ok(stat) = rustix::fs::fstat(stream) else {
        return false;
    };
    device.parse::<u64>().ok() == Some(stat.st_dev)
        && inode.parse::<u64>().ok() == Some(stat.st_ino)
}

/// Sends `entry` with the call's context; whether journald took it.
fn send(entry: Entry) -> bool {
    let Some(socket) = socket() else {
        return false;
    };
    let context = context();
    let entry = entry
        .with_some(Field::Command, context.command)
        .with_some(Field::Path, context.path)
        .with_some(Field::Device, context.device);
    entry.send(&socket).is_ok()
}

/// Tells an outcome: the entry to journald, its sentence on stdout unless
/// stdout is the journal and journald took it.
pub fn tell(entry: Entry) {
    let message = entry.message.clone();
    if !(send(entry) && is_journal_stream(std::io::stdout())) {
        say(message);
    }
}

/// Tells a failure: the entry to journald, `provision-journal: ` and its
/// sentence on stderr unless stderr is the journal and journald took it.
pub fn tell_failure(entry: Entry) {
    let message = entry.message.clone();
    if !(send(entry) && is_journal_stream(std::io::stderr())) {
        complain(format_args!("provision-journal: {message}"));
    }
}

/// The entry of a failed call: refused by the rules, poisoned by its own
/// record, or failed otherwise, with its exit status.
pub fn failure_entry(exit: crate::exit::Exit, message: &str) -> Entry {
    let id = match exit {
        crate::exit::Exit::Rejected => MessageId::Refused,
        crate::exit::Exit::RecordPoisoned => MessageId::RecordPoisoned,
        _ => MessageId::CallFailed,
    };
    Entry::new(id, message).with(Field::ExitStatus, exit.status())
}

/// Adds what the journal's records replay to: the attempt, the state, and
/// for a mutating state its stage and step.
pub fn with_progress(entry: Entry, progress: &Progress) -> Entry {
    let entry = entry
        .with(Field::Attempt, progress.epoch)
        .with(Field::State, progress.state.name());
    match progress.state {
        State::Mutating { stage, step } => entry
            .with(Field::Stage, stage)
            .with(Field::Step, step.name()),
        _ => entry,
    }
}

/// The entry of a record a call appended: its kind (as `dump --json`
/// names it), its sequence number, and the state after it.
pub fn record_entry(
    id: MessageId,
    message: String,
    event: &Event,
    seq: u64,
    progress: &Progress,
) -> Entry {
    let entry = Entry::new(id, message)
        .with(Field::Event, event.kind().replace('-', "_"))
        .with(Field::Seq, seq);
    let entry = match event {
        // Past the red line a failure poisons: the state names no stage.
        Event::StageFailed { stage, reason }
            if !matches!(progress.state, State::Mutating { .. }) =>
        {
            entry.with(Field::Stage, stage).with(Field::Reason, reason)
        }
        Event::StageFailed { reason, .. } => entry.with(Field::Reason, reason),
        Event::Reset { reason } => entry.with(Field::Reason, reason),
        Event::RebootPlanned { reason } => entry.with(Field::Reason, reason),
        Event::ConfigFetched { sha256 } | Event::ConfigKept { sha256, .. } => {
            entry.with(Field::ConfigSha256, sha256)
        }
        _ => entry,
    };
    with_progress(entry, progress)
}
