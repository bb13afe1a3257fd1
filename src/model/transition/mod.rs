//! The one transition function: which record may follow which, and what the
//! attempt looks like afterwards.
//!
//! Every writer validates its record here before writing it, and every
//! reader replays records through it, so a record the rules reject is never
//! written and, if found on disk, is reported as corruption. The table this
//! implements is `spec/STATES.md`: [`transition()`] is that table, one arm per
//! event kind, and each arm's rule (an exhaustive match on the state) is a
//! small named function in `rules`.

mod error;
mod kept;
mod rules;

pub use self::error::TransitionError;

use crate::model::event::{Event, Record};
use crate::model::state::Progress;

use self::rules::Rule;

/// Returns the progress after `record`, or why `record` may not follow
/// `progress`. Pure: no I/O, no clock; the record's own stamp is all the
/// time it knows.
///
/// # Errors
///
/// The [`TransitionError`] that names the rule `record` breaks.
pub fn transition(progress: &Progress, record: &Record) -> Result<Progress, TransitionError> {
    let rule = Rule::new(progress, record);
    rule.hook_of_running_boot()?;
    let next = rule.next();
    match &record.event {
        Event::TailRepaired { .. } => Ok(next),
        Event::AttemptStarted { epoch, trigger } => rule.attempt_started(next, *epoch, trigger),
        Event::Restarted { planned } => rule.restarted(next, planned.as_ref()),
        Event::BootRefused => rule.boot_refused(next),
        Event::ConfigFetched { sha256 } => rule.config_fetched(next, *sha256),
        Event::ConfigKept { sha256, size } => rule.config_kept(next, *sha256, *size),
        Event::ConfigRestored { sha256 } => rule.config_restored(next, *sha256),
        Event::KeptConfigRemoved { sha256, cause } => {
            rule.kept_config_removed(next, *sha256, *cause)
        }
        Event::StageBegan { stage } => rule.stage_began(next, *stage),
        Event::StageEnded { stage } => rule.stage_ended(next, *stage),
        Event::StageFailed { stage, reason } => rule.stage_failed(next, *stage, reason),
        Event::RebootPlanned { reason } => rule.reboot_planned(next, reason),
        Event::Completed => rule.completed(next),
        Event::Poisoned { reason } => rule.poisoned(next, reason),
        Event::Reset { .. } => rule.reset(next),
        Event::CallFailed {
            call,
            status,
            reason,
        } => rule.call_failed(next, *call, *status, reason),
    }
}

/// Replays records from the start; the first rejected record stops it
/// (with the `testing` feature: the fuzz bodies and tests replay through it).
///
/// # Errors
///
/// The first rejected record's sequence number, and why it was rejected.
#[cfg(feature = "testing")]
pub fn replay<'a>(
    records: impl IntoIterator<Item = &'a Record>,
) -> Result<Progress, (u64, TransitionError)> {
    records
        .into_iter()
        .try_fold(Progress::default(), |progress, record| {
            transition(&progress, record).map_err(|error| (record.seq, error))
        })
}
