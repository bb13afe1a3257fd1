//! `status`: the journal's state and what the next `check` would decide,
//! read-only and without a lock.

use std::io::{self, Write};

use camino::Utf8Path;
use provision_journal::FsStorage;
use provision_journal::config::Config;
use provision_journal::kept::RestoreTarget;
use provision_journal::report::{self, Outcome, Status, Utc, count, write_wrapped};

use crate::dump::report_failure;
use crate::exit::{Exit, Failure};
use crate::location::{journal_dir, require_directory};
use crate::output::Report;

/// How `status` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `name: value` fields.
    Text,
    /// One line of JSON (`spec/DUMP.md`).
    Json,
    /// One line of space-separated facts: path, state, decision, last
    /// boot, last stage.
    Oneline,
}

impl Form {
    /// The form the flags ask for (clap keeps them exclusive).
    pub fn of(json: bool, oneline: bool) -> Form {
        match (json, oneline) {
            (true, _) => Form::Json,
            (false, true) => Form::Oneline,
            (false, false) => Form::Text,
        }
    }
}

/// Prints the status of the journal at `path`, in `form` (text, the JSON of
/// `spec/DUMP.md`, or one line), from one streaming, read-only pass. A journal `check`
/// cannot read is still described; the exit status then says why. A journal
/// directory that does not exist is [`Exit::NotFound`], as for `check`: a
/// wrong path is not an absent journal. So is a missing journal that was
/// `named` (a `PATH` operand, such as a copy from a support bundle, rather
/// than the journal's location), as for `dump`: only where the machine
/// keeps its journal does a missing file mean that no attempt has begun.
/// The one-line form prints its line for a journal it cannot read too
/// (outcome `absent` or `unreadable`), before the failure is said on
/// stderr.
pub fn run(path: &Utf8Path, form: Form, config: &Config, named: bool) -> Result<Exit, Failure> {
    let (status, exit) = match read(path, config, named) {
        Ok(read) => read,
        Err(failure) if form == Form::Oneline => {
            let (state, outcome) = match failure.exit {
                Exit::NotFound => ("absent", "absent"),
                _ => ("unreadable", "unreadable"),
            };
            let mut out = Report::stdout();
            let written = writeln!(out, "{} {state} - - - {outcome}", one_word(path.as_str()));
            out.finish(written, Exit::Ok)?;
            return Err(failure);
        }
        Err(failure) => return Err(failure),
    };
    let mut out = Report::stdout();
    let written = match form {
        Form::Json => status.write_json(&mut out),
        Form::Oneline => write_oneline(&status, &mut out),
        Form::Text => write_text(&status, config, &mut out),
    };
    out.finish(written, exit)
}

/// The status of the journal at `path`, and the exit status it calls for
/// (0, or 20 or 21 for a journal `check` cannot read); a missing journal
/// that was `named` is [`Exit::NotFound`].
pub fn read(path: &Utf8Path, config: &Config, named: bool) -> Result<(Status, Exit), Failure> {
    require_directory(path)?;
    crate::location::warn_if_hard_linked(path);
    let mut status =
        report::status(&mut FsStorage::new(path), &config.policy).map_err(report_failure)?;
    if named && status.outcome.is_none() {
        return Err(Failure::new(
            Exit::NotFound,
            format!("there is no journal at `{path}`"),
        ));
    }
    status.read_only = journal_is_read_only(path, config.device.value.as_deref());
    status.restore_leftover = RestoreTarget::new(&config.cache.restore_to.value)
        .leftover()
        .map(String::from);
    if status.read_only && status.check_records {
        // check would be refused when it writes its record (exit 42).
        status.may_proceed = false;
        status.explanation = format!(
            "the journal's file system is read-only, so `check` cannot record its decision and stops provisioning (exit 42); with a writable journal it would decide: {}",
            status.explanation
        );
        status.advice = "Make the boot partition writable (a read-only mount, a write-protected device or a file system the kernel set read-only after errors), then boot again.".to_owned();
    }
    let exit = match status.outcome {
        Some(Outcome::Corrupt) => Exit::Corrupt,
        Some(Outcome::UnsupportedVersion) => Exit::UnsupportedVersion,
        Some(Outcome::Clean | Outcome::TornTail) | None => Exit::Ok,
        Some(_) => Exit::Corrupt,
    };
    Ok((status, exit))
}

/// `status --prometheus FILE`: the status of each journal at `paths` as
/// node_exporter textfile metrics, written atomically to `file`. The exit
/// status is the worst of the journals'; one that cannot be read at all is
/// said on stderr and left out.
pub fn write_metrics(
    paths: &[&Utf8Path],
    config: &Config,
    file: &Utf8Path,
) -> Result<Exit, Failure> {
    let mut statuses = Vec::new();
    let mut worst = Exit::Ok;
    for path in paths {
        match read(path, config, false) {
            Ok((status, exit)) => {
                statuses.push(status);
                worst = crate::many::worse(worst, exit);
            }
            Err(failure) if paths.len() > 1 => {
                crate::output::complain(format_args!("provision-journal: {}", failure.message));
                worst = crate::many::worse(worst, failure.exit);
            }
            Err(failure) => return Err(failure),
        }
    }
    crate::metrics::write_atomically(file, &crate::metrics::text(&statuses))?;
    Ok(worst)
}

/// Whether `check` would find the journal read-only: the boot device's own
/// read-only flag when one is mounted for the call (read-only, by this
/// process, for `status`), else the file system the journal is on.
fn journal_is_read_only(journal: &Utf8Path, device: Option<&Utf8Path>) -> bool {
    if let Some(device) = device {
        let Ok(stat) = rustix::fs::stat(device.as_std_path()) else {
            return false;
        };
        let (major, minor) = (
            rustix::fs::major(stat.st_rdev),
            rustix::fs::minor(stat.st_rdev),
        );
        return std::fs::read_to_string(format!("/sys/dev/block/{major}:{minor}/ro"))
            .is_ok_and(|flag| flag.trim() == "1");
    }
    let dir = journal_dir(journal);
    rustix::fs::statvfs(dir.as_std_path())
        .is_ok_and(|fs| fs.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY))
}

/// Whether the journal's directory is on a vfat (FAT) file system.
fn on_vfat(journal: &Utf8Path) -> bool {
    const MSDOS_SUPER_MAGIC: u64 = 0x4d44;
    let dir = journal_dir(journal);
    rustix::fs::statfs(dir.as_std_path()).is_ok_and(|fs| fs.f_type as u64 == MSDOS_SUPER_MAGIC)
}

/// The one-line form: `PATH STATE DECISION LAST_BOOT LAST_STAGE OUTCOME`,
/// `-` for what there is none of, the path escaped so that it is one word.
fn write_oneline(status: &Status, out: &mut dyn Write) -> io::Result<()> {
    let path = one_word(&status.journal);
    let state = status.state.unwrap_or("unreadable");
    let last_boot = status
        .last_record
        .as_ref()
        .map_or("-", |last| last.boot_id.as_str());
    let stage = match (status.stage, status.step) {
        (Some(stage), Some(step)) => format!("{stage}/{step}"),
        _ => "-".to_owned(),
    };
    let outcome = status.outcome.map_or("absent", Outcome::name);
    writeln!(
        out,
        "{path} {state} {} {last_boot} {stage} {outcome}",
        status.verdict
    )
}

/// `path` as one word that `printf '%b'` turns back into it: a backslash
/// doubled, a tab, newline or carriage return as `\t`, `\n`, `\r`, and
/// each byte of any other white space or control character as `\xHH`
/// (a space is `\x20`).
fn one_word(path: &str) -> String {
    let mut word = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '\\' => word.push_str("\\\\"),
            '\t' => word.push_str("\\t"),
            '\n' => word.push_str("\\n"),
            '\r' => word.push_str("\\r"),
            c if c.is_whitespace() || c.is_control() => {
                for byte in c.encode_utf8(&mut [0; 4]).bytes() {
                    word.push_str(&format!("\\x{byte:02x}"));
                }
            }
            c => word.push(c),
        }
    }
    word
}

/// One `name: value` field of the text form, wrapped to 80 columns with its
/// value's lines aligned.
fn field(out: &mut dyn Write, name: &str, value: &str) -> io::Result<()> {
    write_wrapped(out, &format!("{:<12}", format!("{name}:")), value)
}

/// The text form: one `name: value` field each.
fn write_text(status: &Status, config: &Config, out: &mut dyn Write) -> io::Result<()> {
    field(out, "journal", &status.journal)?;
    if let Some(device) = &config.device.value {
        field(out, "device", device.as_str())?;
    }
    field(out, "first boot", &config.signals.describe_firstboot())?;
    field(out, "policy", &report::policy_words(&status.policy))?;
    if on_vfat(Utf8Path::new(&status.journal)) {
        field(
            out,
            "note",
            "the journal is on vfat, which stores no file modes: who may read it is the mount's business, not the file's 0600 (spec/FORMAT.md, \"On a vfat boot partition\")",
        )?;
    }
    if let Some(temp) = &status.restore_leftover {
        field(
            out,
            "leftover",
            &format!(
                "`{temp}` is the temporary file of a restore of the kept config that was cut off: it holds the config, in memory until switch-root; the next writer of this boot with [Cache] KeepConfig=yes removes it"
            ),
        )?;
    }
    let Some(outcome) = status.outcome else {
        field(out, "state", "absent (no journal yet)")?;
        field(out, "next check", &status.explanation)?;
        return field(out, "to do", &status.advice);
    };
    let state = match (status.state, status.stage, status.step) {
        (Some(state), Some(stage), Some(step)) => format!("{state} ({stage} {step})"),
        (Some(state), _, _) => state.to_owned(),
        (None, _, _) => {
            field(
                out,
                "state",
                "unknown (the file cannot be read as a journal of this version)",
            )?;
            field(out, "next check", &status.explanation)?;
            return field(out, "to do", &status.advice);
        }
    };
    field(out, "state", &state)?;
    let refused = match status.refused_boots {
        0 => String::new(),
        n => format!("; since it stopped, {} refused", count(n, "boot")),
    };
    field(
        out,
        "attempt",
        &format!(
            "{} (run by {}: {}, {}{refused})",
            status.epoch,
            count(status.boots, "boot"),
            count(status.unplanned_restarts, "unplanned restart"),
            count(status.planned_reboots, "planned reboot")
        ),
    )?;
    if !status.boots_overview.is_empty() {
        field(out, "boots", &status.boots_overview)?;
    }
    if let Some(digest) = &status.config_sha256 {
        field(out, "config", digest)?;
    }
    if let Some(kept) = &status.kept_config {
        field(
            out,
            "kept copy",
            &format!(
                "SHA-256 {}, {}, beside the journal until the attempt ends{}",
                kept.sha256,
                count(kept.size, "byte"),
                if kept.restored {
                    " (restored on the boot running the attempt)"
                } else {
                    ""
                }
            ),
        )?;
    }
    match &status.last_record {
        Some(last) => field(
            out,
            "records",
            &format!(
                "{} (the last, #{}, by boot {} at {})",
                status.records,
                last.seq,
                last.boot_id,
                Utc::from_unix_ms(last.wall_ms).long()
            ),
        )?,
        None => field(out, "records", &status.records.to_string())?,
    }
    if let Some(torn) = status.torn_tail {
        field(
            out,
            "torn tail",
            &format!(
                "{} at offset {}: an interrupted append (the next write cuts it off), or the copy is incomplete",
                count(torn.len, "byte"),
                torn.offset
            ),
        )?;
    }
    // The classifier speaks of the next boot, on which a stage the records
    // leave open is an interruption; today that boot may still be running.
    let readable = matches!(outcome, Outcome::Clean | Outcome::TornTail);
    let open = match (status.stage, status.step, &status.last_record) {
        (Some(stage), Some("running"), Some(last)) if readable => Some(format!(
            "stage {stage} has begun and no end or fail record follows (the last record is #{}, by boot {}): either that boot is still running {stage}, or it was interrupted",
            last.seq, last.boot_id
        )),
        (Some(stage), Some("ended"), Some(last)) if readable && stage.is_past_red_line() => {
            Some(format!(
                "stage {stage} has ended, past the red line, and no later stage or complete record follows (the last record is #{}, by boot {}): either that boot is still running, or it was interrupted",
                last.seq, last.boot_id
            ))
        }
        _ => None,
    };
    match open {
        Some(open) => {
            field(out, "last boot", &open)?;
            field(
                out,
                "next check",
                &format!(
                    "on a new boot, that boot counts as interrupted: {}",
                    status.explanation
                ),
            )?;
        }
        None => field(out, "next check", &status.explanation)?,
    }
    field(out, "to do", &status.advice)
}
