//! The human report: fits an 80-column terminal, says everything in words.
//!
//! It is written in five parts, each from its own pass over the file so
//! that memory stays flat: one line per boot (`overview`), the records
//! (`records`), the per-boot timeline (`timeline`), the anomalies and what
//! the next `check` will decide (`closing`). The layout is in those files; the wording of records and
//! anomalies is in `words` and `anomaly_words`, and `lines` wraps and
//! defangs every line.

mod anomaly_words;
mod closing;
mod lines;
mod overview;
mod records;
mod timeline;
mod words;

use std::io::Write;

use crate::host::config::PolicySettings;
use crate::storage::Storage;

use super::walk::{ReportError, Summary};

pub use self::anomaly_words::describe_anomaly;
pub use self::lines::write_wrapped;
pub use self::words::the_records;
pub(crate) use self::words::{agreeing, count};

use self::lines::Lines;

/// Writes the human report of the journal in `storage` (opened for reading).
///
/// # Errors
///
/// [`ReportError::Journal`] when reading the storage fails, and
/// [`ReportError::Output`] when writing to `out` fails.
pub fn write<S: Storage + ?Sized>(
    storage: &mut S,
    policy: &PolicySettings,
    failure_log: Option<&super::FailureLogView>,
    out: &mut dyn Write,
) -> Result<Summary, ReportError> {
    let path = storage.path().to_string();
    let mut lines = Lines { out };
    lines.line(&format!("provision-journal dump of {path}"))?;
    lines.line("Times are UTC; durations come from each boot's monotonic clock.")?;
    lines.line("")?;
    overview::part(storage, &mut lines)?;
    lines.line("")?;
    records::part(storage, &mut lines)?;
    lines.line("")?;
    timeline::part(storage, &mut lines)?;
    let summary = closing::anomalies(storage, &mut lines)?;
    lines.line("")?;
    if let Some(failure_log) = failure_log {
        lines.line("FAILURE LOG")?;
        lines.wrapped("", &failure_log.describe())?;
        if let Ok(log) = &failure_log.log {
            for line in String::from_utf8_lossy(&log.text).lines() {
                // `line` escapes whatever a terminal would act on.
                lines.line(&format!("  | {line}"))?;
            }
        }
        lines.line("")?;
    }
    closing::next_check_part(&mut lines, &summary, policy, failure_log)?;
    Ok(summary)
}
