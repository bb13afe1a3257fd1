//! A writer's call with the kept copy around its own record.
//!
//! Some removals must succeed before the writer's record, because the
//! transition function refuses the record while the copy is named
//! (`Completed`, and `AttemptStarted` after a reset): if such a removal
//! fails, the call fails and writes nothing. Every other removal follows
//! the writer's own record, which is durable by then: if it fails, the
//! call still succeeds as its record says, the journal still names the
//! copy, and the next writer tries again. So a writer's outcome says
//! truthfully whether its own record is durable (`spec/STATES.md`, "A
//! removal that fails").

use super::{CopyStore, KeptError, keep, tidy};
use crate::journal::Journal;
use crate::journal::clock::Clock;
use crate::journal::hooks::{self, Hook};
use crate::model::event::RemovalCause;
use crate::model::state::Progress;
use crate::storage::Storage;

/// What a writer did about the kept copy around its own record.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Tidied {
    /// The causes of the removals recorded, in order.
    pub removed: Vec<RemovalCause>,
    /// A removal after the writer's own record that failed. The writer's
    /// record is durable; nothing was recorded for the copy, unless the
    /// failure is the journal's own (see [`KeptError`]), and the next
    /// writer tries again.
    pub left: Option<KeptError>,
    /// The sequence number of the writer's own record, and the progress it
    /// led to (before any removal that followed it); for `check`, of its
    /// decision's record, if it wrote one.
    pub recorded: Option<(u64, Progress)>,
}

impl Tidied {
    /// Adds the outcome of a removal that followed the writer's record.
    pub(super) fn after(&mut self, outcome: Result<Option<RemovalCause>, KeptError>) {
        match outcome {
            Ok(removed) => self.removed.extend(removed),
            Err(error) => self.left = Some(error),
        }
    }
}

/// Any hook other than `check` with the kept copy: `complete` removes a
/// named copy before its record (`Completed` is refused while one is
/// named); `fetched` with `keep` (the config's bytes, keeping on) keeps
/// them as the copy ([`keep`]); every other hook appends its record
/// ([`hooks::record`]). Then the copy is tidied as the journal now says.
///
/// # Errors
///
/// A removal before the record, the keep, or the record itself that fails
/// (the hook's record is not written then). A removal after the record
/// that fails is [`Tidied::left`].
pub fn record<S: Storage, C: CopyStore + ?Sized>(
    journal: &mut Journal<S>,
    store: &mut C,
    hook: &Hook,
    keep_bytes: Option<&[u8]>,
    keeping: bool,
    clock: &mut impl Clock,
) -> Result<Tidied, KeptError> {
    let mut tidied = Tidied::default();
    if *hook == Hook::Complete && journal.progress().kept.is_some() {
        tidied
            .removed
            .extend(tidy(journal, store, keeping, true, clock.stamp())?);
    }
    match (hook, keep_bytes) {
        (Hook::Fetched(_), Some(bytes)) => {
            tidied
                .removed
                .extend(keep(journal, store, bytes, clock.stamp())?);
        }
        _ => {
            hooks::record(journal, hook, clock)?;
        }
    }
    tidied.recorded = Some((journal.record_count() - 1, journal.progress().clone()));
    tidied.after(tidy(journal, store, keeping, false, clock.stamp()));
    Ok(tidied)
}
