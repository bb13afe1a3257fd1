//! The failure log beside a journal, seen from the journal's records: the
//! record a boot stopped on (what `keep-log` binds its log to), and
//! whether a log's binding names a record of this journal.

use crate::failure_log::{Binding, anchor};
use crate::model::event::{BootId, Event};
use crate::model::stage::Stage;
use crate::storage::Storage;

use super::require_journal;
use super::walk::{Body, Item, ReportError, Trust, walk};

fn binding_of(seq: u64, attempt: u32, boot: BootId, event: &Event) -> Binding {
    let stage = match event {
        Event::StageFailed { stage, .. } => Some(*stage),
        _ => None::<Stage>,
    };
    Binding {
        seq,
        attempt,
        boot,
        event: event.kind().replace('-', "_"),
        stage,
    }
}

/// The last trusted record of boot `boot` that a failure log may be kept
/// for (a failed stage or call, `check`'s poisoning or refusal), or `None`
/// when that boot wrote none.
///
/// # Errors
///
/// [`ReportError::NoJournal`] for a missing journal, or reading it failed.
pub fn stopped_on<S: Storage + ?Sized>(
    storage: &mut S,
    boot: BootId,
) -> Result<Option<Binding>, ReportError> {
    require_journal(storage)?;
    let mut found = None;
    walk(storage, &mut |item| {
        if let Item::Record(entry) = item
            && entry.trust == Trust::Trusted
            && let (Some(stamp), Body::Known(event), Some((attempt, _))) =
                (entry.stamp, &entry.body, entry.after)
            && stamp.boot_id == boot
            && anchor(event).is_some()
        {
            found = Some(binding_of(entry.seq, attempt, boot, event));
        }
        Ok(())
    })?;
    Ok(found)
}

/// Whether `binding` names a trusted record of the journal in `storage`:
/// the same sequence number, boot, attempt and kind.
///
/// # Errors
///
/// As [`stopped_on`].
pub fn is_bound<S: Storage + ?Sized>(
    storage: &mut S,
    binding: &Binding,
) -> Result<bool, ReportError> {
    require_journal(storage)?;
    let mut bound = false;
    walk(storage, &mut |item| {
        if let Item::Record(entry) = item
            && entry.trust == Trust::Trusted
            && entry.seq == binding.seq
            && let (Some(stamp), Body::Known(event), Some((attempt, _))) =
                (entry.stamp, &entry.body, entry.after)
        {
            bound = binding_of(entry.seq, attempt, stamp.boot_id, event) == *binding;
        }
        Ok(())
    })?;
    Ok(bound)
}

/// A failure log found beside a journal, as the reports show it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_structs,
    reason = "what the caller found beside the journal, stated whole for the report"
)]
pub struct FailureLogView {
    /// The file's path.
    pub file: String,
    /// The log, or why it cannot be read as one.
    pub log: Result<crate::failure_log::FailureLog, String>,
    /// Whether its header names a trusted record of the journal.
    pub bound: bool,
}

impl FailureLogView {
    /// The record the log is bound to, when its header names one of the
    /// journal's trusted records: the log the advice points to.
    pub(crate) fn bound_record(&self) -> Option<&Binding> {
        let log = self.log.as_ref().ok().filter(|_| self.bound)?;
        Some(&log.binding)
    }

    /// The log as JSON (`failure_log` of `dump --json`).
    pub fn json(&self) -> serde_json::Value {
        use serde_json::json;
        match &self.log {
            Ok(log) => json!({
                "file": self.file,
                "bound": self.bound,
                "problem": null,
                "seq": log.binding.seq,
                "attempt": log.binding.attempt,
                "boot_id": log.binding.boot.to_hex(),
                "event": log.binding.event,
                "stage": log.binding.stage,
                "total_bytes": log.total,
                "kept_bytes": log.text.len(),
                "text": String::from_utf8_lossy(&log.text),
            }),
            Err(problem) => json!({
                "file": self.file,
                "bound": false,
                "problem": problem,
                "seq": null,
                "attempt": null,
                "boot_id": null,
                "event": null,
                "stage": null,
                "total_bytes": null,
                "kept_bytes": null,
                "text": null,
            }),
        }
    }

    /// The log without its text, as JSON (`failure_log` of `status
    /// --json`): which record it was kept for, and how much it keeps.
    pub fn reference_json(&self) -> serde_json::Value {
        let mut json = self.json();
        if let Some(fields) = json.as_object_mut() {
            fields.remove("text");
        }
        json
    }

    /// The heading sentence of the human report's FAILURE LOG part.
    pub fn describe(&self) -> String {
        match &self.log {
            Err(problem) => format!(
                "`{}` cannot be read as a failure log: {problem}.",
                self.file
            ),
            Ok(log) => {
                let binding = &log.binding;
                let what = match binding.stage {
                    Some(stage) => format!("{} ({stage})", binding.event.replace('_', " ")),
                    None => binding.event.replace('_', " "),
                };
                let whose = if self.bound {
                    "of this journal".to_owned()
                } else {
                    "which is NOT a record of this journal (a log left from another journal, or a journal replaced since)".to_owned()
                };
                format!(
                    "`{}` keeps the last {} of the log of boot {} ({} in all), for record #{} {whose}: {what}, attempt {}.",
                    self.file,
                    super::human::count(log.text.len() as u64, "byte"),
                    binding.boot.to_hex(),
                    super::human::count(log.total, "byte"),
                    binding.seq,
                    binding.attempt,
                )
            }
        }
    }
}
