//! `keep-log`: keep the end of a failed boot's log beside the journal, for
//! the record this boot stopped on (`provision_journal::failure_log`).
//! It writes no record: whatever happens to the log, the journal and its
//! verdicts stay as they are.

use crate::journald::{Entry, Field, MessageId};
use camino::{Utf8Path, Utf8PathBuf};
use provision_journal::boot_context::read_boot_id;
use provision_journal::config::FailureLogSettings;
use provision_journal::failure_log::{self, FailureLog, Kept};
use provision_journal::kept::FsCopyStore;
use provision_journal::{FsStorage, report};

use crate::evidence;
use crate::exit::{Exit, Failure};
use crate::location::{journal_dir, require_directory};
use crate::output::say;

/// The failure log's path beside the journal at `path`.
pub fn log_path(path: &Utf8Path) -> Utf8PathBuf {
    let name = path.file_name().unwrap_or("provision-journal");
    journal_dir(path).join(failure_log::file_name(name))
}

/// The failure log's store beside the journal at `path`.
pub fn store(path: &Utf8Path) -> FsCopyStore {
    FsCopyStore::new(log_path(path))
}

/// The end of the log to keep, read before the boot partition is mounted:
/// its last bytes and its whole length.
pub struct Input {
    /// The last `[FailureLog] MaxSize` bytes, from a line start.
    pub text: Vec<u8>,
    /// How many bytes were read in all.
    pub total: u64,
}

/// Reads the log from `source` (`-`: standard input), keeping its end.
pub fn read_input(source: &Utf8Path, settings: &FailureLogSettings) -> Result<Input, Failure> {
    let max = settings.max_size.value;
    let read = if source == "-" {
        failure_log::read_tail(std::io::stdin().lock(), max)
    } else {
        std::fs::File::open(source).and_then(|file| failure_log::read_tail(file, max))
    };
    let (text, total) = read.map_err(|error| {
        Failure::new(
            Exit::ConfigUnreadable,
            format!("cannot read the log to keep from `{source}`: {error}"),
        )
    })?;
    Ok(Input { text, total })
}

/// Keeps `input` beside the journal at `path` for the record this boot
/// stopped on, if it wrote one and the attempt's log is not one it must
/// not replace.
pub fn run(path: &Utf8Path, input: Input) -> Result<Exit, Failure> {
    let boot = read_boot_id()?;
    require_directory(path)?;
    let binding = match report::stopped_on(&mut FsStorage::new(path), boot) {
        Ok(binding) => binding,
        Err(report::ReportError::NoJournal { .. }) => None,
        Err(error) => return Err(crate::dump::report_failure(error)),
    };
    let Some(binding) = binding else {
        say(format_args!(
            "this boot recorded no failure and no stop in journal `{path}`: there is no record to keep a log for; nothing was kept"
        ));
        return Ok(Exit::Ok);
    };
    let log = FailureLog {
        binding,
        total: input.total,
        text: input.text,
    };
    let file = log_path(path);
    match failure_log::keep(&mut store(path), &log)? {
        Kept::Written => {
            let binding = &log.binding;
            let message = format!(
                "kept the last {} of this boot's log ({} in all) as `{file}`, for record #{} ({})",
                crate::output::bytes(log.text.len() as u64),
                crate::output::bytes(log.total),
                binding.seq,
                binding.event.replace('_', " "),
            );
            evidence::tell(
                Entry::new(MessageId::FailureLogKept, message)
                    .with(Field::Seq, binding.seq)
                    .with(Field::Attempt, binding.attempt)
                    .with(Field::Event, &binding.event)
                    .with_some(Field::Stage, binding.stage)
                    .with(Field::File, &file),
            );
        }
        Kept::Skipped(existing) => say(format_args!(
            "attempt {} already has its failure log `{file}` (for record #{}, {}), which a stop does not replace; nothing was kept",
            existing.attempt,
            existing.seq,
            existing.event.replace('_', " ")
        )),
        // An outcome this binary does not know yet: the log's own file
        // says what it holds.
        _ => say(format_args!("kept the failure log `{file}`")),
    }
    Ok(Exit::Ok)
}
