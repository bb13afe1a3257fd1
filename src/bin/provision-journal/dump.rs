//! `dump`: the post-mortem report of a journal, read-only.
//!
//! The report itself is the library's (`provision_journal::report`): it
//! opens the file without a lock, so it never blocks a running hook, reads
//! past damage, and escapes everything it prints. This command picks the
//! form and maps the outcome to the exit statuses of `spec/CLI.md`.

use std::io::Write;

use camino::Utf8Path;
use provision_journal::FsStorage;
use provision_journal::config::PolicySettings;
use provision_journal::report::{self, Outcome, ReportError};

use crate::exit::{Exit, Failure};
use crate::output::{Report, Stopped, is_closed_pipe};

/// Prints the report on the journal at `path` and returns the exit status
/// for how far it can be trusted: success when clean, [`Exit::TornTail`],
/// [`Exit::Corrupt`] or [`Exit::UnsupportedVersion`]. A reader that closes
/// the pipe early (`dump | head`) ends the report; the status is still the
/// journal's.
pub fn run(path: &Utf8Path, json: bool, policy: &PolicySettings) -> Result<Exit, Failure> {
    if crate::stdin::is_stdin(path) {
        return run_stdin(json, policy);
    }
    crate::location::warn_if_hard_linked(path);
    let mut out = Report::stdout();
    match write(path, json, policy, &mut out) {
        Ok(outcome) => out.finish(Ok(()), outcome_exit(outcome)),
        Err(Stopped::Write(error)) if is_closed_pipe(&error) => {
            drop(out);
            let outcome = report::outcome(&mut FsStorage::new(path)).map_err(report_failure)?;
            Ok(outcome_exit(outcome))
        }
        Err(Stopped::Write(error)) => out.finish(Err(error), Exit::Io),
        Err(Stopped::Failed(failure)) => Err(failure),
    }
}

/// `dump -`: the journal piped in, reported from its bytes alone.
fn run_stdin(json: bool, policy: &PolicySettings) -> Result<Exit, Failure> {
    let mut storage = crate::stdin::read()?;
    let mut out = Report::stdout();
    let outcome = if json {
        report::dump_json(&mut storage, policy, &mut out)
    } else {
        report::dump_human(&mut storage, policy, &mut out)
    };
    match outcome {
        Ok(outcome) => out.finish(Ok(()), outcome_exit(outcome)),
        Err(ReportError::Output(error)) => out.finish(Err(error), Exit::Ok),
        Err(other) => Err(report_failure(other)),
    }
}

/// Writes the report on the journal at `path` to `out`.
pub fn write(
    path: &Utf8Path,
    json: bool,
    policy: &PolicySettings,
    out: &mut dyn Write,
) -> Result<Outcome, Stopped> {
    let failure_log = failure_log_beside(path);
    let mut storage = FsStorage::new(path);
    let outcome = if json {
        report::dump_json_with(&mut storage, policy, failure_log.as_ref(), out)
    } else {
        report::dump_human_with(&mut storage, policy, failure_log.as_ref(), out)
    };
    outcome.map_err(|error| match error {
        ReportError::Output(error) => Stopped::Write(error),
        other => Stopped::Failed(report_failure(other)),
    })
}

/// The failure log beside the journal at `path`, if there is one (read
/// without following a link), and whether it is bound to one of its
/// records. A log that cannot be read is shown with why; one the system
/// will not let us open is left out, with a warning.
pub fn failure_log_beside(path: &Utf8Path) -> Option<report::FailureLogView> {
    let file = crate::keep_log::log_path(path);
    let log = match provision_journal::failure_log::read(&mut crate::keep_log::store(path)) {
        Ok(found) => found?,
        Err(error) => {
            crate::output::complain(format_args!("provision-journal: warning: {error}"));
            return None;
        }
    };
    let bound = match &log {
        Ok(log) => report::is_bound(&mut FsStorage::new(path), &log.binding).unwrap_or(false),
        Err(_) => false,
    };
    Some(report::FailureLogView {
        file: file.to_string(),
        log,
        bound,
    })
}

/// The exit status that tells scripts how far a journal can be trusted.
pub fn outcome_exit(outcome: Outcome) -> Exit {
    match outcome {
        Outcome::Clean => Exit::Ok,
        Outcome::TornTail => Exit::TornTail,
        Outcome::Corrupt => Exit::Corrupt,
        Outcome::UnsupportedVersion => Exit::UnsupportedVersion,
        // Non-exhaustive: what this binary cannot name, it does not trust.
        _ => Exit::Corrupt,
    }
}

/// Maps a report's error to its exit status and message.
pub fn report_failure(error: ReportError) -> Failure {
    match error {
        ReportError::Journal(error) => Failure::from(error),
        ReportError::NoJournal { .. } => Failure::new(Exit::NotFound, error.to_string()),
        ReportError::Output(_) | _ => Failure::new(Exit::Io, error.to_string()),
    }
}
