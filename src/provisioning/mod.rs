//! A typestate API for provisioners that run in-process: the compiler keeps
//! the hooks in order, and every step still goes through the journal and so
//! through the one transition function.
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
use crate::model::event::{Event, RebootReason, Sha256, clip_text};
use crate::model::stage::Stage;
use crate::model::state::{PoisonCause, State};
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
    /// The step was recorded and stopped the attempt.
    #[error("the attempt is poisoned: {cause:?}")]
    Poisoned {
        /// Why.
        cause: PoisonCause,
    },
}

/// An attempt in progress, in state `St`.
pub struct Provisioning<S: Storage, C: Clock, St: AttemptState> {
    journal: Journal<S>,
    clock: C,
    stage: Option<Stage>,
    state: PhantomData<St>,
}

/// What [`Provisioning::start`] decided.
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
    fn step<Next: AttemptState>(
        mut self,
        event: Event,
        stage: Option<Stage>,
    ) -> Result<Provisioning<S, C, Next>, ProvisioningError> {
        let stamp = self.clock.stamp();
        let progress = self.journal.append(event, stamp)?;
        if let (State::Poisoned, Some(poison)) = (progress.state, &progress.poison) {
            return Err(ProvisioningError::Poisoned {
                cause: poison.cause.clone(),
            });
        }
        Ok(Provisioning {
            journal: self.journal,
            clock: self.clock,
            stage,
            state: PhantomData,
        })
    }

    fn finish(mut self, event: Event) -> Result<Journal<S>, ProvisioningError> {
        let stamp = self.clock.stamp();
        self.journal.append(event, stamp)?;
        Ok(self.journal)
    }

    /// The journal's progress.
    pub fn progress(&self) -> &crate::model::state::Progress {
        self.journal.progress()
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
        let verdict = crate::journal::hooks::check(&mut journal, context, &mut clock)?.verdict;
        if !verdict.may_proceed() || journal.progress().state != State::Fresh {
            return Ok(Start::Stop { verdict, journal });
        }
        Ok(Start::Proceed {
            verdict,
            provisioning: Provisioning {
                journal,
                clock,
                stage: None,
                state: PhantomData,
            },
        })
    }

    /// Records the fetched config's digest.
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, or the poisoning this record
    /// caused.
    pub fn fetched(self, sha256: Sha256) -> Result<Provisioning<S, C, Fetched>, ProvisioningError> {
        self.step(Event::ConfigFetched { sha256 }, None)
    }

    /// Records that a fetch stage failed; the attempt can retry on a later
    /// boot.
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, or the poisoning this record
    /// caused.
    pub fn fail_fetch(self, stage: Stage, reason: &str) -> Result<Journal<S>, ProvisioningError> {
        self.finish(Event::StageFailed {
            stage,
            reason: clip_text(reason),
        })
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
        self.step(Event::StageBegan { stage }, Some(stage))
    }

    /// Records a planned reboot (e.g. FIPS) before the reboot.
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, or the poisoning this record
    /// caused.
    pub fn reboot(self, reason: RebootReason) -> Result<Journal<S>, ProvisioningError> {
        self.finish(Event::RebootPlanned { reason })
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
        self.step(Event::StageEnded { stage }, Some(stage))
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
        self.finish(Event::StageFailed {
            stage,
            reason: clip_text(reason),
        })
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
        self.step(Event::StageBegan { stage }, Some(stage))
    }

    /// Records a planned reboot (e.g. after `kargs`).
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, or the poisoning this record
    /// caused.
    pub fn reboot(self, reason: RebootReason) -> Result<Journal<S>, ProvisioningError> {
        self.finish(Event::RebootPlanned { reason })
    }

    /// Records that provisioning finished.
    ///
    /// # Errors
    ///
    /// [`ProvisioningError`]: the journal's error, or the poisoning this record
    /// caused.
    pub fn complete(self) -> Result<Journal<S>, ProvisioningError> {
        self.finish(Event::Completed)
    }
}
