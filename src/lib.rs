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
//! provisioning stays stopped until an operator says otherwise. The
//! `provision-journal` command line wraps it for provisioners that run as
//! separate stage hooks (Ignition's systemd units); a provisioner written in
//! Rust can use the library directly.
//!
//! # Provisioning in-process: the typestate API
//!
//! [`provisioning::Provisioning`] walks one boot through the stages; the
//! compiler keeps the calls in order, and every step is still appended
//! durably and checked by the transition function. Each call returns the
//! next state only once its record is on disk.
//!
//! ```
//! use provision_journal::provisioning::{Provisioning, Start};
//! use provision_journal::{BootContext, BootId, FixedClock, Journal, MemStorage, Sha256, Stage, State};
//!
//! let boot = BootId([1; 16]);
//! let context = BootContext { boot_id: Some(boot), firstboot: true, ..Default::default() };
//! let journal = Journal::open(MemStorage::new())?;
//! let clock = FixedClock::new(boot, 1_700_000_000_000);
//!
//! // `start` is the `check` hook: classify this boot and record the decision.
//! let provisioning = match Provisioning::start(journal, clock, &context)? {
//!     Start::Proceed { provisioning, .. } => provisioning,
//!     Start::Stop { verdict, .. } => panic!("provisioning must not run: {verdict:?}"),
//! };
//! let journal = provisioning
//!     .fetched(Sha256([7; 32]))?   // the config's digest binds the attempt
//!     .begin(Stage::Disks)?        // durable before the disks are touched
//!     .end()?
//!     .begin(Stage::Files)?
//!     .end()?
//!     .complete()?;
//! assert_eq!(journal.progress().state, State::Complete);
//!
//! // The next boot is refused: provisioning ran once.
//! let disk = journal.into_storage().reopen(); // a new handle, as the next boot opens it
//! let mut journal = Journal::open(disk)?;
//! let next = BootContext { boot_id: Some(BootId([2; 16])), ..context };
//! let decision = provision_journal::hooks::check(&mut journal, &next, &mut FixedClock::new(BootId([2; 16]), 0))?;
//! assert!(!decision.verdict.may_proceed());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The storage seam
//!
//! The journal touches the disk only through the narrow [`Storage`] trait:
//! open, create (write a temporary file, sync it, rename, sync the
//! directory), read, append, `fdatasync`, truncate. [`FsStorage`] is the real
//! one, exact about durability; [`MemStorage`] keeps the journal in memory
//! and logs every operation, so a test can cut the power
//! ([`MemStorage::crash`]) and see what survives.
//!
//! ```
//! use provision_journal::{BootId, Event, FixedClock, Journal, MemStorage, Clock};
//! use provision_journal::{BootContext, classify};
//!
//! let disk = MemStorage::new();
//! let mut journal = Journal::open(disk.reopen())?;
//! let context = BootContext { boot_id: Some(BootId([1; 16])), firstboot: true, ..Default::default() };
//! let decision = classify(journal.progress(), journal.torn_tail(), &context);
//! let mut clock = FixedClock::new(BootId([1; 16]), 1_700_000_000_000);
//! journal.append(decision.record.expect("a first run is recorded"), clock.stamp())?;
//! drop(journal);
//!
//! // A power cut now keeps the record: `append` returned after its sync.
//! let survived = Journal::open(disk.crash())?;
//! assert_eq!(survived.record_count(), 1);
//! # Ok::<(), provision_journal::JournalError>(())
//! ```
//!
//! # The pieces
//!
//! - [`transition()`](fn@transition) is the one place that says which record
//!   may follow which; [`classify()`](fn@classify) is the one place that
//!   decides a restart. Both are pure: no I/O, no clock.
//! - [`Journal`] replays the file through the transition function when it
//!   opens, and [`Journal::append`] validates a record there before it
//!   writes it and syncs it. [`hooks`] are the command line's hooks on top
//!   of it: `check` and one appended [`Event`] per hook.
//! - [`report`] is the post-mortem behind `dump` and `status`, public for
//!   support tooling: it reads any file, damaged or not, without writing.
//! - [`config`] and [`boot_context`] read the policy and what this boot is
//!   (kernel command line, boot ID, firstboot flag).
//! - [`kept`] is the kept copy of the config: kept beside the journal,
//!   restored on a retry ([`kept::check_and_restore`]), removed when the
//!   attempt ends; [`provisioning::Provisioning::start_keeping`] runs it.
//!
//! In the source repository, `docs/architecture.md` draws the layers these
//! live in and says which file to open for which change.
//!
//! # Where the rules are written
//!
//! In the source repository: the on-disk format byte by byte in
//! `spec/FORMAT.md`, the states and the transition table in
//! `spec/STATES.md`, the command line and its exit codes in `spec/CLI.md`,
//! the JSON of `dump` in `spec/DUMP.md`.
//!
//! # Stability
//!
//! Every public enum, and every public struct whose fields are all public,
//! is `#[non_exhaustive]` (`clippy::exhaustive_enums` and
//! `exhaustive_structs` hold the crate to it): the errors, the verdicts, the
//! record kinds ([`Event`] and the enums inside it; a new kind is appended
//! by a new format version), [`Progress`] and what it holds, the kept
//! copy's outcomes, the report and the configuration grow as the format
//! and the command line do, so match them with a fallback arm and read
//! their fields by name. The exceptions are exhaustive on purpose, each
//! with its reason beside it: [`Stage`], [`State`] and [`Step`] are the
//! state machine of `spec/STATES.md` (a new stage or state changes what
//! every caller must decide, so it is a breaking change);
//! [`provisioning::Start`] is proceed or stop; [`storage::Access`] is read
//! or write; and the inputs callers build by name ([`BootContext`],
//! [`Policy`], [`Stamp`], [`Record`], [`TornTail`], [`BootId`], [`Sha256`],
//! [`hooks::CallFailed`], [`boot_context::BootInputs`], the failure log and
//! its view) are as they are.
//!
//! The `testing` feature (off by default) adds the test machinery: the
//! fuzz targets' bodies, fault injection and crash states for
//! [`MemStorage`], and the format internals tests craft files with. It is
//! not part of the stable API.

#![forbid(unsafe_code)]
#![warn(missing_docs, unnameable_types)]
#![warn(clippy::exhaustive_enums, clippy::exhaustive_structs)]

mod model;

mod format;
pub mod storage;

pub mod classify;
mod journal;
pub mod kept;
pub mod provisioning;

pub mod failure_log;
mod host;
pub mod report;

#[cfg(feature = "testing")]
pub mod testing;

pub use format::error;
pub use host::{boot_context, config, recreated};
pub use journal::{clock, hooks};
pub use model::{event, stage, state};
#[cfg(feature = "testing")]
pub use testing::fuzzing;

#[doc(no_inline)]
pub use classify::{BootContext, Decision, NotApplicable, Policy, Verdict, classify};
#[doc(no_inline)]
pub use clock::{Clock, FixedClock, SystemClock};
#[doc(no_inline)]
pub use error::{Corruption, JournalError};
#[doc(no_inline)]
pub use event::{BootId, Event, PoisonReason, RebootReason, Record, Sha256, Stamp, Trigger};
pub use format::frame::{Header, READ_VERSIONS as READ_FORMAT_VERSIONS, VERSION as FORMAT_VERSION};
pub use format::scan::TornTail;
pub use journal::Journal;
pub use model::transition::{TransitionError, transition};
#[doc(no_inline)]
pub use stage::Stage;
#[doc(no_inline)]
pub use state::{PoisonCause, Progress, State, Step};
#[doc(no_inline)]
pub use storage::{FsStorage, MemStorage, Storage};

/// Compiles the README's examples as doctests, so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
