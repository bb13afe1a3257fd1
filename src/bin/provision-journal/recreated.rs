//! A hook that finds no journal on a boot where `check` found one: the boot
//! file system was recreated during the boot. The journal is put back from
//! the distribution's saved copy (`provision_journal::recreated`), or the
//! hook says that the journal vanished (exit 32) rather than that `check`
//! did not run.
//!
//! `check` leaves a note in the runtime directory (`/run/provision-journal`,
//! memory that lives until the machine stops) naming this boot and the file
//! system the journal was on; that is how a hook tells the two apart.

use std::fmt::Write as _;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use provision_journal::kept::copy_name;
use provision_journal::recreated::carry_saved_journal;
use provision_journal::{BootId, FsStorage, Journal};

use crate::exit::{Exit, Failure};
use crate::location::journal_dir;
use crate::output::say;

/// The runtime directory, unless `PROVISION_JOURNAL_RUNTIME_DIR` names
/// another (tests do).
const RUNTIME_DIR: &str = "/run/provision-journal";
const RUNTIME_DIR_ENV: &str = "PROVISION_JOURNAL_RUNTIME_DIR";
/// The note `check` leaves.
const NOTE: &str = "checked";

/// Where a hook looks for a journal that vanished.
#[derive(Clone, Copy, Debug, Default)]
pub struct Settings<'a> {
    /// `[Boot] SavedCopyDir`.
    pub saved_copy_dir: Option<&'a Utf8Path>,
    /// `[Boot] FirstbootStamp`, relative to the journal's directory.
    pub stamp: Option<&'a Utf8Path>,
}

fn runtime_dir() -> Utf8PathBuf {
    std::env::var(RUNTIME_DIR_ENV)
        .ok()
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| Utf8PathBuf::from(RUNTIME_DIR), Utf8PathBuf::from)
}

/// The identity of the file system holding `dir` (`statvfs`'s `f_fsid`,
/// which ext4 and xfs derive from the file system's UUID: a recreated
/// file system has another).
fn file_system_id(dir: &Utf8Path) -> Option<u64> {
    rustix::fs::statvfs(dir.as_std_path())
        .ok()
        .map(|stat| stat.f_fsid)
}

/// What `check` noted on this boot: the file system its journal was on.
struct Note {
    boot: String,
    file_system: Option<u64>,
}

fn read_note() -> Option<Note> {
    let text = read_small_regular_file(&runtime_dir().join(NOTE))?;
    let mut boot = None;
    let mut file_system = None;
    for line in text.lines() {
        match line.split_once('=') {
            Some(("boot", value)) => boot = Some(value.to_owned()),
            Some(("file_system", value)) => file_system = u64::from_str_radix(value, 16).ok(),
            _ => {}
        }
    }
    Some(Note {
        boot: boot?,
        file_system,
    })
}

/// Notes, for the hooks of this boot, that `check` found the journal at
/// `path` on this boot. Best effort: a hook that finds no note says what it
/// says without one.
pub fn note_check(path: &Utf8Path, boot: BootId) {
    let dir = runtime_dir();
    let mut text = format!("boot={}\n", boot.to_hex());
    if let Some(id) = file_system_id(journal_dir(path)) {
        let _ = writeln!(text, "file_system={id:x}");
    }
    // Written under a new name and renamed over the note, so nothing that
    // stands under its name (a FIFO, a link) is ever opened.
    let temp = dir.join(format!(".{NOTE}.{}", std::process::id()));
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        std::io::Write::write_all(&mut file, text.as_bytes())?;
        std::fs::rename(&temp, dir.join(NOTE))
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
}

/// The text of the regular file at `path`, if it is one of at most 4 KiB:
/// opened without blocking or following a link, so a FIFO or a device
/// put in its place cannot hold the call.
fn read_small_regular_file(path: &Utf8Path) -> Option<String> {
    use rustix::fs::{Mode, OFlags};
    let flags =
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY;
    let fd = rustix::fs::open(path.as_std_path(), flags, Mode::empty()).ok()?;
    let file = std::fs::File::from(fd);
    let metadata = file.metadata().ok()?;
    if !metadata.is_file() || metadata.len() > 4096 {
        return None;
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(file, 4096), &mut text).ok()?;
    Some(text)
}

/// For a hook that found no journal at `path`: puts it back from the saved
/// copy, if there is one, and returns it open; fails with
/// [`Exit::JournalVanished`] if `check` found a journal on this boot;
/// otherwise returns `journal` (still absent) for the hook to refuse.
pub fn take_back(
    journal: Journal<FsStorage>,
    path: &Utf8Path,
    settings: Settings<'_>,
    lock_wait: Duration,
    boot: BootId,
) -> Result<Journal<FsStorage>, Failure> {
    if let Some(saved_dir) = settings.saved_copy_dir {
        let name = path.file_name().unwrap_or("provision-journal");
        let kept = copy_name(name);
        let mut companions = vec![kept.as_str()];
        companions.extend(settings.stamp.map(Utf8Path::as_str));
        drop(journal);
        let storage = FsStorage::new(path).waiting_for_lock(lock_wait);
        if let Some(carried) = carry_saved_journal(saved_dir, storage, &companions)? {
            let records = carried.journal.record_count();
            let also = match carried.companions.as_slice() {
                [] => String::new(),
                names => format!(
                    ", then {}",
                    names
                        .iter()
                        .map(|name| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            };
            say(format_args!(
                "the boot file system was recreated during this boot: put the journal ({records} records, in state {}) back from the saved copy `{}`{also}, before the distribution restores the rest",
                carried.journal.progress().state,
                carried.saved
            ));
            return Ok(carried.journal);
        }
        return Journal::open(FsStorage::new(path).waiting_for_lock(lock_wait))
            .map_err(Failure::from)
            .and_then(|journal| vanished(journal, path, settings, boot));
    }
    vanished(journal, path, settings, boot)
}

fn vanished(
    journal: Journal<FsStorage>,
    path: &Utf8Path,
    settings: Settings<'_>,
    boot: BootId,
) -> Result<Journal<FsStorage>, Failure> {
    if journal.exists() {
        return Ok(journal);
    }
    let Some(note) = read_note().filter(|note| note.boot == boot.to_hex()) else {
        return Ok(journal);
    };
    let now = file_system_id(journal_dir(path));
    let what = match (note.file_system, now) {
        (Some(then), Some(now)) if then != now => format!(
            "the file system holding it was recreated during this boot (file system ID {then:x} at `check`, {now:x} now), as a stage that wipes the boot file system does (boot disk mirroring, boot reprovisioning)"
        ),
        _ => "it was removed during this boot".to_owned(),
    };
    let saved = match settings.saved_copy_dir {
        Some(dir) => format!("no saved copy of it is in `{dir}`"),
        None => "no `[Boot] SavedCopyDir` names where the distribution saves the boot file system's files while a stage recreates it".to_owned(),
    };
    Err(Failure::new(
        Exit::JournalVanished,
        format!(
            "journal `{path}` is gone although `check` found it on this boot: {what}, and {saved} (spec/STATES.md, \"A recreated boot file system\"); nothing was written. The attempt's record is lost with the old file system: treat the machine as interrupted past the red line, verify its disks, and reinstall or reset by hand"
        ),
    ))
}
