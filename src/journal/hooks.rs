//! The stage hooks as the command line and the simulator run them: `check`
//! decides a boot and records the decision; every other hook is one event
//! appended durably.
//!
//! Nothing here decides anything: `check` asks [`classify`], every append
//! is validated by the transition function inside [`Journal::append`].

use std::io::{self, Read};

use sha2::Digest;

use crate::classify::{BootContext, Decision, classify};
use crate::format::error::JournalError;
use crate::journal::Journal;
use crate::journal::clock::Clock;
use crate::model::event::{CallName, Event, MAX_TEXT_LEN, RebootReason, Sha256};
use crate::model::stage::Stage;
use crate::model::state::Progress;
use crate::model::text::{clip_failure_reason, clip_text};
use crate::storage::Storage;

/// A call's failure, as it is recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_structs,
    reason = "a failed call as its caller states it: the call, the exit status it fails with and why"
)]
pub struct CallFailed {
    /// The call that failed.
    pub call: CallName,
    /// The exit status it fails with.
    pub status: u8,
    /// Why, in brief (cut to
    /// [`MAX_FAILURE_REASON_LEN`](crate::model::event::MAX_FAILURE_REASON_LEN)
    /// bytes when recorded).
    pub reason: String,
}

impl CallFailed {
    /// The record of the failure, its reason cut to what a record keeps.
    pub fn event(&self) -> Event {
        Event::CallFailed {
            call: self.call,
            status: self.status,
            reason: clip_failure_reason(&self.reason),
        }
    }
}

/// One hook other than `check`: the event it appends.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hook {
    /// `fetched`: the config with this digest was fetched.
    Fetched(Sha256),
    /// `begin STAGE`: the stage is about to run.
    Begin(Stage),
    /// `end STAGE`: the stage succeeded.
    End(Stage),
    /// `fail STAGE`: the stage failed, for this reason.
    Fail(Stage, String),
    /// `reboot`: a planned reboot is about to happen.
    Reboot(RebootReason),
    /// `complete`: provisioning finished.
    Complete,
    /// `reset`: an operator allows a new attempt.
    Reset(String),
}

impl Hook {
    /// The event the hook records (free text clipped to the record limit).
    pub fn event(&self) -> Event {
        match self {
            Hook::Fetched(sha256) => Event::ConfigFetched { sha256: *sha256 },
            Hook::Begin(stage) => Event::StageBegan { stage: *stage },
            Hook::End(stage) => Event::StageEnded { stage: *stage },
            Hook::Fail(stage, reason) => Event::StageFailed {
                stage: *stage,
                reason: clip_text(reason),
            },
            Hook::Reboot(reason) => Event::RebootPlanned {
                reason: reason.clone(),
            },
            Hook::Complete => Event::Completed,
            Hook::Reset(reason) => Event::Reset {
                reason: clip_text(reason),
            },
        }
    }

    /// The hook as it is typed on the command line, with free text as it
    /// is recorded (cut to [`MAX_TEXT_LEN`] bytes).
    pub fn command(&self) -> String {
        match self {
            Hook::Fetched(sha256) => format!("fetched --sha256 {sha256}"),
            Hook::Begin(stage) => format!("begin {stage}"),
            Hook::End(stage) => format!("end {stage}"),
            Hook::Fail(stage, reason) => format!("fail {stage} --reason {:?}", clip_text(reason)),
            Hook::Reboot(reason) => format!("reboot --reason {reason}"),
            Hook::Complete => "complete".to_owned(),
            Hook::Reset(reason) => format!("reset --reason {:?}", clip_text(reason)),
        }
    }

    /// The command's name as typed, without its free-text arguments:
    /// `fetched`, `begin disks`, `reboot`, `complete`, …
    pub fn name(&self) -> String {
        match self {
            Hook::Fetched(_) => "fetched".to_owned(),
            Hook::Begin(stage) => format!("begin {stage}"),
            Hook::End(stage) => format!("end {stage}"),
            Hook::Fail(stage, _) => format!("fail {stage}"),
            Hook::Reboot(_) => "reboot".to_owned(),
            Hook::Complete => "complete".to_owned(),
            Hook::Reset(_) => "reset".to_owned(),
        }
    }

    /// Whether the reason of `fail` or `reset` is longer than what is
    /// recorded. (`reboot`'s is cut when it is parsed.)
    pub fn text_was_cut(&self) -> bool {
        match self {
            Hook::Fail(_, text) | Hook::Reset(text) => text.len() > MAX_TEXT_LEN,
            Hook::Fetched(_) | Hook::Begin(_) | Hook::End(_) | Hook::Reboot(_) | Hook::Complete => {
                false
            }
        }
    }
}

/// Classifies this boot from the journal's records and appends the
/// classifier's record, if it has one. Returns the decision once that
/// record is durable.
///
/// # Errors
///
/// The journal's error when the decision's record cannot be appended.
pub fn check<S: Storage>(
    journal: &mut Journal<S>,
    context: &BootContext,
    clock: &mut impl Clock,
) -> Result<Decision, JournalError> {
    let decision = classify(journal.progress(), journal.torn_tail(), context);
    if let Some(event) = decision.record.clone() {
        journal.append(event, clock.stamp())?;
    }
    Ok(decision)
}

/// Appends the hook's event durably and returns the progress after it.
///
/// # Errors
///
/// The journal's error: the rules refuse the record, or it cannot be
/// written.
pub fn record<'j, S: Storage>(
    journal: &'j mut Journal<S>,
    hook: &Hook,
    clock: &mut impl Clock,
) -> Result<&'j Progress, JournalError> {
    journal.append(hook.event(), clock.stamp())
}

/// Records that `failed` failed after this boot's `check`: its unit is
/// about to fail and the boot to stop, and the record says why. The
/// transition function accepts it once per boot, from the boot running an
/// open attempt; a caller tries it only when the failure left the journal
/// writable (another write to a full or failing file system could only add
/// torn bytes).
///
/// # Errors
///
/// The journal's error: the rules refuse the record (another boot's
/// attempt, a stopped attempt, a second failure on this boot), or it
/// cannot be written.
pub fn record_failure<'j, S: Storage>(
    journal: &'j mut Journal<S>,
    failed: &CallFailed,
    clock: &mut impl Clock,
) -> Result<&'j Progress, JournalError> {
    journal.append(failed.event(), clock.stamp())
}

/// The SHA-256 of everything `reader` yields (a fetched config).
///
/// # Errors
///
/// The reader's error (an interrupted read is retried).
pub fn sha256_of(mut reader: impl Read) -> io::Result<Sha256> {
    let mut hasher = sha2::Sha256::new();
    let mut buffer = [0u8; 8192];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => hasher.update(&buffer[..read]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
    }
    let digest: [u8; 32] = hasher.finalize().into();
    Ok(Sha256(digest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::clock::FixedClock;
    use crate::model::event::BootId;
    use crate::storage::MemStorage;

    #[test]
    fn sha256_matches_a_known_digest() {
        let digest = sha256_of(&b"abc"[..]).unwrap();
        assert_eq!(
            digest.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn check_records_the_decision_and_hooks_follow_it() {
        let boot = BootId([9; 16]);
        let context = BootContext {
            boot_id: Some(boot),
            firstboot: true,
            ..Default::default()
        };
        let mut clock = FixedClock::new(boot, 1_700_000_000_000);
        let mut journal = Journal::open(MemStorage::new()).unwrap();
        let decision = check(&mut journal, &context, &mut clock).unwrap();
        assert!(decision.verdict.may_proceed());
        assert_eq!(journal.record_count(), 1);
        record(&mut journal, &Hook::Fetched(Sha256([1; 32])), &mut clock).unwrap();
        record(&mut journal, &Hook::Begin(Stage::Disks), &mut clock).unwrap();
        let error = record(&mut journal, &Hook::Begin(Stage::Files), &mut clock).unwrap_err();
        assert!(matches!(error, JournalError::Rejected { .. }), "{error}");
        assert_eq!(journal.record_count(), 3);
        let again = check(&mut journal, &context, &mut clock).unwrap();
        assert_eq!(again.record, None);
    }
}
