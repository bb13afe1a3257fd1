//! `check` with the kept copy: the boot's decision, the copy brought in
//! line with the journal around it, and on a retry of an attempt that kept
//! one, the copy restored for Ignition (`spec/STATES.md`, "The kept
//! copy"). The command line's `check` and [`crate::provisioning`] both run
//! it.

use camino::Utf8PathBuf;

use super::target::RestoreTarget;
use super::writer::Tidied;
use super::{CopyStore, KeptError, Restored, restore, tidy};
use crate::classify::{BootContext, Decision, Verdict, classify, kept_copy_to_restore};
use crate::journal::Journal;
use crate::journal::clock::Clock;
use crate::journal::hooks;
use crate::model::event::PoisonReason;
use crate::storage::Storage;

/// `check` with the kept copy: classifies the boot and records the
/// decision ([`hooks::check`]), tidying the copy around it ([`tidy`]).
/// When no attempt is open and the journal still names the last one's
/// copy, it is removed first: a new attempt starts only once it is gone
/// (unless the journal ends in a torn tail the classifier stops at, whose
/// poisoning comes first). Otherwise the tidy runs after the decision
/// only: a removal recorded
/// first would be this boot's last record, so the classifier would not
/// record a refusal for this boot, and a torn tail's repair would hide it
/// from the classifier. [`check_and_restore`] restores after both.
///
/// # Errors
///
/// As [`hooks::check`], and a removal before the decision that fails
/// (nothing is written then). A removal after the decision that fails is
/// [`Tidied::left`].
pub fn check<S: Storage, C: CopyStore + ?Sized>(
    journal: &mut Journal<S>,
    store: &mut C,
    context: &BootContext,
    keeping: bool,
    clock: &mut impl Clock,
) -> Result<(Decision, Tidied), KeptError> {
    let mut tidied = Tidied::default();
    // A removal recorded first would cut off a torn tail that the decision
    // must weigh (row 10): when the classifier stops at it, the decision
    // comes first and the copy goes after it, as for any poisoning.
    let stops_at_torn_tail = matches!(
        classify(journal.progress(), journal.torn_tail(), context).verdict,
        Verdict::FatalInterruption {
            reason: PoisonReason::TornTailAtRedLine { .. }
        }
    );
    if journal.progress().awaits_attempt()
        && journal.progress().kept.is_some()
        && !stops_at_torn_tail
    {
        tidied
            .removed
            .extend(tidy(journal, store, keeping, false, clock.stamp())?);
    }
    let decision = hooks::check(journal, context, clock)?;
    if decision.record.is_some() {
        tidied.recorded = Some((journal.record_count() - 1, journal.progress().clone()));
    }
    tidied.after(tidy(journal, store, keeping, false, clock.stamp()));
    Ok((decision, tidied))
}

/// What [`check_and_restore`] did.
#[derive(Debug)]
#[non_exhaustive]
pub struct Checked {
    /// The classifier's decision, recorded.
    pub decision: Decision,
    /// The kept copy brought in line with the journal around the decision:
    /// the removals recorded, a removal after it that failed, and the
    /// decision's record.
    pub tidied: Tidied,
    /// With keeping on and nothing to restore: the temporary file of an
    /// earlier restore that was cut off, removed (its path), or why it
    /// could not be (the next writer tries again). `None` when there was
    /// none, or a restore ran (it writes over one).
    pub leftover: Option<Result<Utf8PathBuf, KeptError>>,
    /// The restore, when the decision called for one
    /// ([`kept_copy_to_restore`]): what it did, or why it failed. The
    /// decision stands either way; a failed restore recorded nothing, and
    /// the boot must not provision without its config.
    pub restored: Option<Result<Restored, KeptError>>,
}

/// `check` with the kept copy, whole: [`check`], then, with `keeping`, the
/// restore of the copy the decision calls for to `target` ([`restore`]),
/// or when there is none, the removal of what an earlier restore that was
/// cut off left beside `target`.
///
/// # Errors
///
/// As [`check`]: nothing after the decision fails the call; the restore's
/// and the leftover's outcomes are [`Checked::restored`] and
/// [`Checked::leftover`].
pub fn check_and_restore<S: Storage, C: CopyStore + ?Sized>(
    journal: &mut Journal<S>,
    store: &mut C,
    context: &BootContext,
    keeping: bool,
    target: &RestoreTarget,
    clock: &mut impl Clock,
) -> Result<Checked, KeptError> {
    let (decision, tidied) = check(journal, store, context, keeping, clock)?;
    let copy = keeping
        .then(|| kept_copy_to_restore(journal.progress(), &decision.verdict))
        .flatten();
    let (leftover, restored) = match copy {
        None if keeping => (target.remove_leftover().transpose(), None),
        None => (None, None),
        Some(copy) => {
            let stamp = clock.stamp();
            let restored = restore(journal, store, copy, |bytes| target.write(bytes), stamp);
            (None, Some(restored))
        }
    };
    Ok(Checked {
        decision,
        tidied,
        leftover,
        restored,
    })
}
