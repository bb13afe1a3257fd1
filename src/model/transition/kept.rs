//! The rules of the kept copy's records (`spec/STATES.md`, "The kept
//! copy"): `ConfigKept` binds as `ConfigFetched` does and names the copy;
//! `ConfigRestored` needs the bound copy in a fresh boot; a removal names
//! the copy and a cause its state allows.

use crate::model::event::{RemovalCause, Sha256};
use crate::model::state::{KeptCopy, Progress, State, Step};

use super::rules::{Outcome, Rule, STOPPED};

impl Rule<'_> {
    pub(super) fn config_kept(&self, next: Progress, sha256: Sha256, size: u64) -> Outcome {
        let mut next = self.config_fetched(next, sha256)?;
        // Named even when the record poisons: the copy is on disk until the
        // removal the writer records next.
        next.kept = Some(KeptCopy { sha256, size });
        Ok(next)
    }

    pub(super) fn config_restored(&self, mut next: Progress, sha256: Sha256) -> Outcome {
        let progress = self.progress;
        let bound = progress
            .kept
            .is_some_and(|kept| kept.sha256 == sha256 && progress.config == Some(sha256));
        match progress.state {
            State::Fresh if self.open_boot && bound && !progress.restored => {}
            State::Fresh if self.open_boot && bound => {
                return Err(self.reject("the copy was already restored on this boot"));
            }
            State::Fresh if self.open_boot => {
                return Err(self.reject(
                    "only the kept copy of the config the attempt is bound to can be restored",
                ));
            }
            State::Fresh | State::Fetched | State::Mutating { .. } => {
                return Err(
                    self.reject("a kept copy is restored by `check`, before the config is fetched")
                );
            }
            State::Complete | State::Poisoned => return Err(self.reject(STOPPED)),
        }
        next.restored = true;
        Ok(next)
    }

    pub(super) fn kept_config_removed(
        &self,
        mut next: Progress,
        sha256: Sha256,
        cause: RemovalCause,
    ) -> Outcome {
        let progress = self.progress;
        let stopped = matches!(progress.state, State::Complete | State::Poisoned);
        let open_attempt = !progress.awaits_attempt() && !stopped;
        let allowed = match (progress.kept, cause) {
            (None, RemovalCause::Unbound) => true,
            (None, _) | (Some(_), RemovalCause::Unbound) => false,
            (Some(kept), _) if kept.sha256 != sha256 => false,
            (Some(_), RemovalCause::Completed) => {
                self.this_boot
                    && matches!(
                        progress.state,
                        State::Mutating {
                            step: Step::Ended,
                            ..
                        }
                    )
            }
            (Some(_), RemovalCause::Poisoned) => progress.state == State::Poisoned,
            (Some(_), RemovalCause::Reset) => progress.awaits_attempt(),
            (
                Some(_),
                RemovalCause::Disabled
                | RemovalCause::Missing
                | RemovalCause::Mismatch
                | RemovalCause::Replaced,
            ) => open_attempt,
        };
        if !allowed {
            return Err(self.reject(
                "a removal names the kept copy and a cause its state allows (a copy the journal does not bind is `unbound`)",
            ));
        }
        next.kept = None;
        next.restored = false;
        Ok(next)
    }
}
