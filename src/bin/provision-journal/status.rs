//! `status`: the journal's state and what the next `check` would decide,
//! read-only and without a lock.

use camino::{Utf8Path, Utf8PathBuf};
use provision_journal::FsStorage;
use provision_journal::config::Config;
use provision_journal::kept::RestoreTarget;
use provision_journal::report::{self, Outcome, Status, Unread};

use crate::args::Cli;
use crate::dump::{failure_log_beside, report_failure};
use crate::exit::{Exit, Failure};
use crate::location::{Access, journal_dir, journal_in_call, require_directory, with_journal};
use crate::metrics::Journal;
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
/// `-` reads the journal from standard input ([`crate::stdin`]).
/// The one-line and JSON forms print their line for a journal they cannot
/// read too (outcome `absent` or `unreadable`, and in JSON the error),
/// before the failure is said on stderr; the exit status is the failure's.
pub fn run(path: &Utf8Path, form: Form, config: &Config, named: bool) -> Result<Exit, Failure> {
    let (status, exit) = match read(path, config, named) {
        Ok(read) => read,
        Err(failure) if form != Form::Text => {
            print_unread(&unread(path, &failure), form)?;
            return Err(failure);
        }
        Err(failure) => return Err(failure),
    };
    let mut out = Report::stdout();
    let written = match form {
        Form::Json => status.write_json(&mut out),
        Form::Oneline => status.write_oneline(&mut out),
        Form::Text => {
            let on_vfat = !crate::stdin::is_stdin(path) && on_vfat(path);
            status.write_text(config, on_vfat, &mut out)
        }
    };
    out.finish(written, exit)
}

/// Prints the status of the journal at its location (`--journal`, or the
/// file on the boot device), which may hold no journal yet: that is the
/// state `absent`. When the boot device cannot be found or mounted, the
/// one-line and JSON forms still print their line for the journal, as
/// [`run`] does for a journal it cannot read.
pub fn run_at_location(cli: &Cli, form: Form, config: &Config) -> Result<Exit, Failure> {
    let mut reached = false;
    let result = with_journal(cli, config, Access::Read, |path| {
        reached = true;
        run(path, form, config, false)
    });
    match result {
        Err(failure) if !reached && form != Form::Text => {
            print_unread(&unread(journal_in_call(cli, config), &failure), form)?;
            Err(failure)
        }
        result => result,
    }
}

/// Prints the line `form` has for a journal that could not be read (the
/// text form says it on stderr only, where the failure goes).
fn print_unread(unread: &Unread, form: Form) -> Result<Exit, Failure> {
    let mut out = Report::stdout();
    let written = match form {
        Form::Json => unread.write_json(&mut out),
        Form::Oneline => unread.write_oneline(&mut out),
        Form::Text => Ok(()),
    };
    out.finish(written, Exit::Ok)
}

/// The journal at `path` that `failure` kept `status` from reading:
/// `absent` when there is no file ([`Exit::NotFound`]), `unreadable`
/// otherwise.
fn unread(path: &Utf8Path, failure: &Failure) -> Unread {
    Unread::new(
        path.as_str(),
        failure.exit == Exit::NotFound,
        &failure.message,
        failure.exit.status(),
    )
}

/// The status of the journal at `path` (`-`: standard input, a copy read
/// from its bytes alone), and the exit status it calls for (0, or 20 or
/// 21 for a journal `check` cannot read); a missing journal that was
/// `named` is [`Exit::NotFound`].
pub fn read(path: &Utf8Path, config: &Config, named: bool) -> Result<(Status, Exit), Failure> {
    let mut status = match crate::stdin::is_stdin(path) {
        true => {
            report::status(&mut crate::stdin::read()?, &config.policy).map_err(report_failure)?
        }
        false => read_file(path, config, named)?,
    };
    status.restore_leftover = RestoreTarget::new(&config.cache.restore_to.value)
        .leftover()
        .map(String::from);
    let exit = match status.outcome {
        Some(Outcome::Corrupt) => Exit::Corrupt,
        Some(Outcome::UnsupportedVersion) => Exit::UnsupportedVersion,
        Some(Outcome::Clean | Outcome::TornTail) | None => Exit::Ok,
        Some(_) => Exit::Corrupt,
    };
    Ok((status, exit))
}

/// The status of the journal file at `path`, with what lies around it: the
/// failure log beside it, and whether its file system is read-only.
fn read_file(path: &Utf8Path, config: &Config, named: bool) -> Result<Status, Failure> {
    require_directory(path)?;
    crate::location::warn_if_hard_linked(path);
    let failure_log = failure_log_beside(path);
    let mut status = report::status_with(
        &mut FsStorage::new(path),
        &config.policy,
        failure_log.as_ref(),
    )
    .map_err(report_failure)?;
    if named && status.outcome.is_none() {
        return Err(Failure::new(
            Exit::NotFound,
            format!("there is no journal at `{path}`"),
        ));
    }
    status.set_read_only(journal_is_read_only(path, config.device.value.as_deref()));
    Ok(status)
}

/// `status --prometheus FILE`: the status of each journal at `paths` (or,
/// without them, of the journal at its location, on the boot device if one
/// is configured) as node_exporter textfile metrics, written atomically to
/// `file`. Every call replaces `file`: a journal that cannot be read at all
/// (a `PATH` that names no file, a directory, no permission, no boot
/// device) gets the series of [`Unread`] (`crate::metrics::text`) and its
/// error is said on stderr, so the file never goes on showing what an
/// earlier call read. The exit status is the worst of the journals'; if
/// `file` cannot be written, that failure.
pub fn write_metrics(
    cli: &Cli,
    config: &Config,
    paths: &[Utf8PathBuf],
    file: &Utf8Path,
) -> Result<Exit, Failure> {
    // Written once the boot device is unmounted, when the call works in
    // `/`: a relative FILE is the caller's.
    let file = camino::absolute_utf8(file).unwrap_or_else(|_| file.to_owned());
    let reads = match paths {
        [] => vec![(
            journal_in_call(cli, config).to_owned(),
            with_journal(cli, config, Access::Read, |path| read(path, config, false)),
        )],
        paths => paths
            .iter()
            .map(|path| (path.clone(), read(path, config, true)))
            .collect(),
    };
    let mut journals = Vec::with_capacity(reads.len());
    let mut worst = Exit::Ok;
    for (path, result) in reads {
        match result {
            Ok((status, exit)) => {
                journals.push(Journal::Read(Box::new(status)));
                worst = crate::many::worse(worst, exit);
            }
            Err(failure) => {
                crate::output::complain(format_args!("provision-journal: {}", failure.message));
                journals.push(Journal::Unread(unread(&path, &failure)));
                worst = crate::many::worse(worst, failure.exit);
            }
        }
    }
    crate::metrics::write_atomically(&file, &crate::metrics::text(&journals))?;
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
