//! The failure log beside a journal, seen from the journal's records: the
//! record a boot stopped on (what `keep-log` binds its log to), and
//! whether a log's binding names a record of this journal.

use crate::event::{BootId, Event};
use crate::failure_log::{Binding, anchor};
use crate::stage::Stage;
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
/// for ([`crate::failure_log::anchor`]: a failure, `check`'s poisoning or
/// refusal), or `None` when that boot wrote none.
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
