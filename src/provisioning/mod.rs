//! A typestate API for provisioners that run in-process: the compiler keeps
//! the hooks in order, and every step still goes through the journal and so
//! through the one transition function.
//!
//! [`Provisioning::start`] is the `check` hook; a provisioner that keeps
//! its config beside the journal starts with
//! [`Provisioning::start_keeping`] instead, which restores the kept copy on
//! a retry and carries the copy's protocol out around every later step, as
//! the command line does (`spec/STATES.md`, "The kept copy").
//!
//! ```
//! use provision_journal::{BootContext, BootId, FixedClock, Journal, MemStorage, Sha256, Stage};
//! use provision_journal::provisioning::{Provisioning, Start};
//!
//! let journal = Journal::open(MemStorage::new())?;
//! let clock = FixedClock::new(BootId([1; 16]), 1_700_000_000_000);
//! let context = BootContext { boot_id: Some(BootId([1; 16])), firstboot: true, ..Default::default() };
//! let Start::Proceed { provisioning, .. } = Provisioning::start(journal, clock, &context)? else {
//!     panic!("a new journal is a first run");
//! };
//! let done = provisioning
//!     .fetched(Sha256([7; 32]))?
//!     .begin(Stage::Disks)?
//!     .end()?
//!     .begin(Stage::Files)?
//!     .end()?
//!     .complete()?;
//! assert_eq!(done.progress().state, provision_journal::State::Complete);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::marker::PhantomData;

use crate::classify::{BootContext, Verdict};
use crate::format::error::JournalError;
use crate::journal::Journal;
use crate::journal::clock::Clock;
use crate::journal::hooks::{self, Hook, sha256_of};
use crate::kept::{self, Checked, CopyStore, KeptError, RestoreTarget, Tidied};
use crate::model::event::{RebootReason, Sha256};
use crate::model::stage::Stage;
use crate::model::state::{PoisonCause, Progress, State};
use crate::storage::Storage;

mod sealed {
    // Sealed on purpose: nameable outside this module it would not be.
    #[allow(unnameable_types)]
    pub trait Sealed {}
}

/// The compile-time states of [`Provisioning`]. Sealed: only this module's
/// marker types implement it.
pub trait AttemptState: sealed::Sealed {}

macro_rules! marker {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        #[non_exhaustive]
        pub struct $name;
        impl sealed::Sealed for $name {}
        impl AttemptState for $name {}
    };
}

marker!(
    /// The boot has begun; the config is not fetched yet.
    Fresh
);
marker!(
    /// The config is fetched.
    Fetched
);
marker!(
    /// A mutating stage is running.
    Running
);
marker!(
    /// A mutating stage has ended.
    StageDone
);

/// Why a typestate step did not lead to the next state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvisioningError {
    /// The journal refused or failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The kept copy could not be kept, or removed before the step's
    /// record (which is then not written).
    #[error(transparent)]
    Kept(KeptError),
    /// The step was recorded and stopped the attempt.
    #[error("the attempt is poisoned: {cause:?}")]
    Poisoned {
        /// Why.
        cause: PoisonCause,
    },
}

impl From<KeptError> for ProvisioningError {
    fn from(error: KeptError) -> Self {
        match error {
            KeptError::Journal(error) => ProvisioningError::Journal(error),
            other => ProvisioningError::Kept(other),
        }
    }
}

/// The kept copy of an attempt started with [`Provisioning::start_keeping`]:
/// the store beside the journal, and `[Cache] KeepConfig`.
struct Keeper {
    store: Box<dyn CopyStore + Send + Sync>,
    keeping: bool,
    tidied: Tidied,
}

/// An attempt in progress, in state `St`.
pub struct Provisioning<S: Storage, C: Clock, St: AttemptState> {
    journal: Journal<S>,
    clock: C,
    stage: Option<Stage>,
    keeper: Option<Box<Keeper>>,
    state: PhantomData<St>,
}

/// What [`Provisioning::start`] decided.
#[expect(
    clippy::exhaustive_enums,
    reason = "proceed or stop: the two outcomes of `check`, each with what the caller needs next"
)]
pub enum Start<S: Storage, C: Clock> {
    /// Provisioning may run.
    Proceed {
        /// The classification.
        verdict: Verdict,
        /// The attempt, ready to fetch.
        provisioning: Provisioning<S, C, Fresh>,
    },
    /// Provisioning must not run (or there is nothing to journal).
    Stop {
        /// The classification.
        verdict: Verdict,
        /// The journal, for a look.
        journal: Journal<S>,
    },
}

impl<S: Storage, C: Clock, St: AttemptState> Provisioning<S, C, St> {
    /// Records `hook` (with the kept copy around it, for an attempt that
    /// keeps one; `keep` is the config to keep): the progress after it.
    fn record(&mut self, hook: &Hook, keep: Option<&[u8]>) -> Result<Progress, ProvisioningError> {
        match &mut self.keeper {
            None => Ok(hooks::record(&mut self.journal, hook, &mut self.clock)?.clone()),
            Some(keeper) => {
                let tidied = kept::record(
                    &mut self.journal,
                    keeper.store.as_mut(),
                    hook,
                    keep,
                    keeper.keeping,
                    &mut self.clock,
                )?;
                let progress = tidied.recorded.as_ref().map_or_else(
                    || self.journal.progress().clone(),
                    |(_, progress)| progress.clone(),
                );
                keeper.tidied = tidied;
                Ok(progress)
            }
        }
    }

    fn step<Next: AttemptState>(
        mut self,
        hook: Hook,
        keep: Option<&[u8]>,
        stage: Option<Stage>,
    ) -> Result<Provisioning<S, C, Next>, ProvisioningError> {
        let progress = self.record(&hook, keep)?;
        if let (State::Poisoned, Some(poison)) = (progress.state, &progress.poison) {
            return Err(ProvisioningError::Poisoned {
                cause: poison.cause.clone(),
            });
        }
        Ok(Provisioning {
            journal: self.journal,
            clock: self.clock,
            stage,
            keeper: self.keeper,
            state: PhantomData,
        })
    }

    fn finish(mut self, hook: Hook) -> Result<Journal<S>, ProvisioningError> {
        self.record(&hook, None)?;
        Ok(self.journal)
    }

    /// The journal's progress.
    pub fn progress(&self) -> &Progress {
        self.journal.progress()
    }

    /// For an attempt started with [`Provisioning::start_keeping`]: what
    /// the last step since did about the kept copy (the removals it
    /// recorded, and one after its record that failed, which the next step
    /// tries again). `start_keeping`'s own is in its [`Checked`].
    pub fn tidied(&self) -> Option<&Tidied> {
        self.keeper.as_ref().map(|keeper| &keeper.tidied)
    }

    /// Gives the journal back, recording nothing.
    pub fn into_journal(self) -> Journal<S> {
        self.journal
    }
}

impl<S: Storage, C: Clock> Provisioning<S, C, Fresh> {
    /// Classifies this boot and records the decision (the `check` hook).
    ///
    /// # Errors
    ///
    /// The journal's error when `check`'s record cannot be appended.
    pub fn start(
        mut journal: Journal<S>,
        mut clock: C,
        context: &BootContext,
    ) -> Result<Start<S, C>, JournalError> {
        let verdict = hooks::check(&mut journal, context, &mut clock)?.verdict;
        Ok(Self::started(journal, clock, verdict, None))
    }

    /// [`Provisioning::start`] for a provisioner that keeps its config
    /// beside the journal (`[Cache] KeepConfig`): `check` with the kept
    /// copy ([`kept::check_and_restore`]), which on a retry restores the
    /// copy the attempt is bound to into `target`; every later step
    /// carries the copy's protocol out around its record
    /// ([`kept::record`]), [`Provisioning::fetched_keeping`] keeps the
    /// config, and `complete` removes the copy first. `keeping` off still
    /// removes a copy kept before. A restore that failed stops
    /// provisioning on this boot ([`Start::Stop`]): [`Checked::restored`]
    /// says why, and nothing was recorded for it.
    ///
    /// # Errors
    ///
    /// As [`kept::check`]: a decision that cannot be recorded, or the last
    /// attempt's copy that cannot be removed before a new attempt.
    pub fn start_keeping(
        mut journal: Journal<S>,
        mut clock: C,
        context: &BootContext,
        mut store: Box<dyn CopyStore + Send + Sync>,
        keeping: bool,
        target: &RestoreTarget,
    ) -> Result<(Start<S, C>, Checked), KeptError> {
        let checked = kept::check_and_restore(
            &mut journal,
            store.as_mut(),
            context,
            keeping,
            target,
            &mut clock,
        )?;
        let verdict = checked.decision.verdict.clone();
        let keeper = Box::new(Keeper {
            store,
            keeping,
            tidied: Tidied::default(),
        });
        let start = match &checked.restored {
            Some(Err(_)) => Start::Stop { verdict, journal },
            None | Some(Ok(_)) => Self::started(journal, clock, verdict, Some(keeper)),
        };
        Ok((start, checked))
    }

    fn started(
        journal: Journal<S>,
        clock: C,
        verdict: Verdict,
        keeper: Option<Box<Keeper>>,
    ) -> Start<S, C> {
        if !verdict.may_proceed() || journal.progress().state != State::Fresh {
            return Start::Stop { verdict, journal };
        }
        Start::Proceed {
            verdict,
            provisioning: Provisioning {
                journal,
                clock,
                stage: None,
                keeper,
                state: PhantomData,
            },
        }
    }

    /// Records the fetched config's digest.
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, or the poisoning this record
    /// caused.
    pub fn fetched(self, sha256: Sha256) -> Result<Provisioning<S, C, Fetched>, ProvisioningError> {
        self.step(Hook::Fetched(sha256), None, None)
    }

    /// Records the fetched `config`'s digest and, for an attempt started
    /// with [`Provisioning::start_keeping`] and keeping on, keeps the
    /// config beside the journal first ([`kept::keep`]), so that a retry
    /// of this attempt restores exactly it. Otherwise as
    /// [`Provisioning::fetched`].
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, the copy that could not
    /// be kept (nothing recorded then), or the poisoning this record
    /// caused.
    pub fn fetched_keeping(
        self,
        config: &[u8],
    ) -> Result<Provisioning<S, C, Fetched>, ProvisioningError> {
        let sha256 = sha256_of(config).expect("reading from memory cannot fail");
        let keep = self
            .keeper
            .as_ref()
            .is_some_and(|keeper| keeper.keeping)
            .then_some(config);
        self.step(Hook::Fetched(sha256), keep, None)
    }

    /// Records that a fetch stage failed; the attempt can retry on a later
    /// boot.
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, or the poisoning this record
    /// caused.
    pub fn fail_fetch(self, stage: Stage, reason: &str) -> Result<Journal<S>, ProvisioningError> {
        self.finish(Hook::Fail(stage, reason.to_owned()))
    }
}

impl<S: Storage, C: Clock> Provisioning<S, C, Fetched> {
    /// Records the intent to run `stage`; returns once it is durable.
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, or the poisoning this record
    /// caused.
    pub fn begin(self, stage: Stage) -> Result<Provisioning<S, C, Running>, ProvisioningError> {
        self.step(Hook::Begin(stage), None, Some(stage))
    }

    /// Records a planned reboot (e.g. FIPS) before the reboot.
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, or the poisoning this record
    /// caused.
    pub fn reboot(self, reason: RebootReason) -> Result<Journal<S>, ProvisioningError> {
        self.finish(Hook::Reboot(reason))
    }
}

impl<S: Storage, C: Clock> Provisioning<S, C, Running> {
    fn running(&self) -> Stage {
        self.stage.expect("a running attempt knows its stage")
    }

    /// Records that the running stage ended.
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, or the poisoning this record
    /// caused.
    pub fn end(self) -> Result<Provisioning<S, C, StageDone>, ProvisioningError> {
        let stage = self.running();
        self.step(Hook::End(stage), None, Some(stage))
    }

    /// Records that the running stage failed. Past the red line this
    /// poisons the journal.
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, or the poisoning this record
    /// caused.
    pub fn fail(self, reason: &str) -> Result<Journal<S>, ProvisioningError> {
        let stage = self.running();
        self.finish(Hook::Fail(stage, reason.to_owned()))
    }
}

impl<S: Storage, C: Clock> Provisioning<S, C, StageDone> {
    /// Records the intent to run the next stage.
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, or the poisoning this record
    /// caused.
    pub fn begin(self, stage: Stage) -> Result<Provisioning<S, C, Running>, ProvisioningError> {
        self.step(Hook::Begin(stage), None, Some(stage))
    }

    /// Records a planned reboot (e.g. after `kargs`).
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, or the poisoning this record
    /// caused.
    pub fn reboot(self, reason: RebootReason) -> Result<Journal<S>, ProvisioningError> {
        self.finish(Hook::Reboot(reason))
    }

    /// Records that provisioning finished (for an attempt that keeps its
    /// config, once the kept copy is removed).
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, or the poisoning this record
    /// caused.
    pub fn complete(self) -> Result<Journal<S>, ProvisioningError> {
        self.finish(Hook::Complete)
    }
}
