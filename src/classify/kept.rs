//! The kept copy's rules (`spec/STATES.md`, "The kept copy"): whether a
//! writer must remove the copy, and which copy `check` restores. Pure,
//! like [`classify`](super::classify()); `crate::kept` carries them out.

use crate::model::event::RemovalCause;
use crate::model::state::{KeptCopy, Progress, State};

use super::verdict::Verdict;

/// What a writer finds under the kept copy's name (`lstat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CopyOnDisk {
    /// Nothing.
    Absent,
    /// Something that is not a regular file.
    NotRegular,
    /// A regular file with more than one name: another name shares its
    /// bytes (the config's secrets), so it is not the private copy a record
    /// names.
    HardLinked,
    /// A regular file of this size, with one name.
    File {
        /// Its size in bytes.
        size: u64,
    },
}

/// Whether a writer must remove the kept copy, and why: the rules of
/// `spec/STATES.md`, "The kept copy", tried in order. `keeping` is
/// `[Cache] KeepConfig`; `completing` is true for `complete`, which removes
/// the copy before its own record. Pure, like [`classify`](super::classify()); the journal's
/// transition function accepts exactly the removal it names.
pub fn kept_copy_removal(
    progress: &Progress,
    on_disk: CopyOnDisk,
    keeping: bool,
    completing: bool,
) -> Option<RemovalCause> {
    let Some(kept) = progress.kept else {
        return match on_disk {
            CopyOnDisk::Absent => None,
            CopyOnDisk::NotRegular | CopyOnDisk::HardLinked | CopyOnDisk::File { .. } => {
                Some(RemovalCause::Unbound)
            }
        };
    };
    match progress.state {
        State::Poisoned => return Some(RemovalCause::Poisoned),
        State::Complete => return Some(RemovalCause::Completed),
        State::Fresh if progress.awaits_attempt() => return Some(RemovalCause::Reset),
        State::Fresh | State::Fetched | State::Mutating { .. } => {}
    }
    if completing {
        return Some(RemovalCause::Completed);
    }
    if !keeping {
        return Some(RemovalCause::Disabled);
    }
    match on_disk {
        CopyOnDisk::Absent => Some(RemovalCause::Missing),
        CopyOnDisk::NotRegular | CopyOnDisk::HardLinked => Some(RemovalCause::Mismatch),
        CopyOnDisk::File { size } if size != kept.size => Some(RemovalCause::Mismatch),
        CopyOnDisk::File { .. } => None,
    }
}

/// The kept copy `check` restores after its decision, if any: on a boot
/// that provisions a retry or a resume of an attempt (or runs `check` again
/// on the boot that does, before the config was fetched), when a copy of
/// the very config the attempt is bound to is kept and not yet restored on
/// this boot. A retry past the red line is never a verdict that proceeds,
/// so nothing is ever restored past it.
pub fn kept_copy_to_restore(progress: &Progress, verdict: &Verdict) -> Option<KeptCopy> {
    let retry = match verdict {
        Verdict::SafeRetry { .. }
        | Verdict::ResumeAfterPlannedReboot { .. }
        | Verdict::SameBoot { .. } => true,
        Verdict::NotApplicable { .. }
        | Verdict::FirstRun { .. }
        | Verdict::ForcedRerun { .. }
        | Verdict::FatalInterruption { .. }
        | Verdict::AlreadyComplete { .. }
        | Verdict::Poisoned { .. } => false,
    };
    let kept = progress.kept?;
    (retry
        && progress.state == State::Fresh
        && progress.config == Some(kept.sha256)
        && !progress.restored)
        .then_some(kept)
}
