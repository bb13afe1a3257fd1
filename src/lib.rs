//! Make first-boot provisioning run once, even if interrupted.
//!
//! A machine's first boot fetches its config, may set kernel arguments and
//! reboot, then wipes and partitions disks, mounts, and writes files. If
//! power is lost after the disks stage began, a naive rerun can apply half of
//! one config and half of another. Before that **red line**, a rerun is
//! harmless.
//!
//! This crate records every step of that process as a typed transition in an
//! append-only, CRC-checked journal (on `/boot`), and at the next boot
//! classifies the restart: a safe retry, or a fatal interruption after which
//! provisioning stays stopped until an operator says otherwise.
//!
//! - [`transition()`] is the one place that says which record may follow
//!   which; [`classify()`] is the one place that decides a restart. Both
//!   are pure.
//! - [`Journal`] replays and appends records durably through the narrow
//!   [`Storage`] seam: [`FsStorage`] on a real file system, [`MemStorage`] in
//!   tests, where every operation can be crashed, torn or failed.
//! - [`provisioning`] offers the same steps as a typestate API.
//!
//! The on-disk format is `spec/FORMAT.md`; the rules are `spec/STATES.md`.
//!
//! ```
//! use provision_journal::{classify, BootContext, BootId, Event, Journal, MemStorage, Stamp, Verdict};
//!
//! let boot = BootId([1; 16]);
//! let context = BootContext { boot_id: Some(boot), firstboot: true, ..Default::default() };
//! let stamp = Stamp { boot_id: boot, wall_ms: 1_700_000_000_000, mono_ns: 1 };
//!
//! let mut journal = Journal::open(MemStorage::new())?;
//! let decision = classify(journal.progress(), journal.torn_tail(), &context);
//! assert_eq!(decision.verdict, Verdict::FirstRun { epoch: 1 });
//! journal.append(decision.record.expect("a first run is recorded"), stamp)?;
//! journal.append(Event::StageBegan { stage: provision_journal::Stage::Kargs }, stamp)
//!     .expect_err("kargs cannot begin before the config is fetched");
//! # Ok::<(), provision_journal::JournalError>(())
//! ```

#![warn(missing_docs)]

pub mod boot_context;
pub mod classify;
pub mod clock;
pub mod codec;
pub mod config;
pub mod error;
pub mod event;
pub mod frame;
#[doc(hidden)]
pub mod fuzzing;
pub mod hooks;
pub mod journal;
pub mod kept;
pub mod provisioning;
pub mod report;
pub mod scan;
pub mod simulate;
pub mod stage;
pub mod state;
pub mod storage;
pub mod transition;

pub use classify::{BootContext, Decision, NotApplicable, Policy, Verdict, classify};
pub use clock::{Clock, FixedClock, SystemClock};
pub use error::{Corruption, JournalError};
pub use event::{BootId, Event, PoisonReason, RebootReason, Record, Sha256, Stamp, Trigger};
pub use journal::Journal;
pub use scan::TornTail;
pub use stage::Stage;
pub use state::{PoisonCause, Progress, State, Step};
pub use storage::{FsStorage, MemStorage, Storage};
pub use transition::{TransitionError, transition};

/// Compiles the README's examples as doctests, so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
