//! What a pass over a journal reports: the items it finds in file order,
//! and what it learned for the closing verdict.

use std::io;

use crate::format::error::JournalError;
use crate::format::frame::Header;
use crate::format::scan::TornTail;
use crate::model::event::{Event, Sha256, Stamp};
use crate::model::stage::Stage;
use crate::model::state::{Progress, State};

use super::anomaly::Anomaly;
use super::damage::Damage;
use super::evidence::Evidence;

/// How far a journal can be trusted, as `dump` reports it and as its exit
/// status tells scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Every byte belongs to a whole, valid record.
    Clean,
    /// The journal ends in a torn tail: the usual trace of a power cut
    /// during an append. `check` handles it.
    TornTail,
    /// Damage that a crash cannot explain, or a record `check` cannot read;
    /// `check` refuses the journal.
    Corrupt,
    /// The file was written by a newer format version, which this version
    /// cannot read (nor can its `check`).
    UnsupportedVersion,
}

impl Outcome {
    /// The name JSON uses.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Clean => "clean",
            Outcome::TornTail => "torn_tail",
            Outcome::Corrupt => "corrupt",
            Outcome::UnsupportedVersion => "unsupported_version",
        }
    }
}

/// Whether a record belongs to the history `check` replays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Read and replayed as `check` does.
    Trusted,
    /// Found after the damage; not replayed.
    Salvaged,
}

/// What a record says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// An event this version knows.
    Known(Event),
    /// An event kind this version does not know, by its variant index.
    UnknownKind(u32),
    /// A frame whose payload is not even a stamp.
    Unreadable,
}

/// One record, as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Offset of its frame.
    pub offset: u64,
    /// Length of its frame.
    pub frame_len: u64,
    /// Sequence number from its frame.
    pub seq: u64,
    /// Whether it is trusted.
    pub trust: Trust,
    /// Its boot's number, counting boots in order of appearance from 1
    /// (`None` without a readable stamp).
    pub boot_number: Option<u32>,
    /// Its stamp, if readable.
    pub stamp: Option<Stamp>,
    /// Its event.
    pub body: Body,
    /// The attempt and state after it (trusted records only).
    pub after: Option<(u32, State)>,
    /// For a trusted `config_fetched` record with a digest other than the
    /// one the attempt was bound to: that earlier digest.
    pub config_changed_from: Option<Sha256>,
}

/// One thing found in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// The file header (first, when it is readable).
    Header(Header),
    /// A record.
    Record(Entry),
    /// An anomaly.
    Anomaly(Anomaly),
}

/// What one pass learned, for the closing verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The file header, if readable.
    pub header: Option<Header>,
    /// The file's length.
    pub file_len: u64,
    /// How far it can be trusted.
    pub outcome: Outcome,
    /// What the trusted records replay to.
    pub progress: Progress,
    /// The torn tail `check` will see.
    pub torn: Option<TornTail>,
    /// The corruption `check` will refuse, if any.
    pub corruption: Option<Damage>,
    /// A newer format version, if that is why the file is unreadable.
    pub unsupported_version: Option<u16>,
    /// Trusted records.
    pub trusted_records: u64,
    /// Salvaged records.
    pub salvaged_records: u64,
    /// Anomalies reported.
    pub anomalies: u64,
    /// The furthest mutating stage begun in the current attempt, by the
    /// trusted records: what a poisoning config change came after.
    pub mutated_stage: Option<Stage>,
    /// How far the latest attempt got by every record read, trusted or
    /// salvaged.
    pub evidence: Evidence,
    /// What the trusted records replayed to just before the `tail
    /// repaired` record whose torn bytes `check` then poisoned the attempt
    /// for (`TornTailAtRedLine`): the records the torn bytes could have
    /// been are the ones that could follow it.
    pub before_repair: Option<Progress>,
}

impl Summary {
    /// What a pass over `file_len` bytes starts from: nothing read yet.
    pub fn empty(file_len: u64) -> Summary {
        Summary {
            header: None,
            file_len,
            outcome: Outcome::Clean,
            progress: Progress::default(),
            torn: None,
            corruption: None,
            unsupported_version: None,
            trusted_records: 0,
            salvaged_records: 0,
            anomalies: 0,
            mutated_stage: None,
            evidence: Evidence::default(),
            before_repair: None,
        }
    }
}

/// An error of a report pass.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// Reading the journal failed (not its content: its storage).
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// Writing the report failed.
    #[error("failed to write the report: {0}")]
    Output(#[from] io::Error),
    /// There is no journal to report on.
    #[error("there is no journal at `{path}`")]
    NoJournal {
        /// Where it was looked for.
        path: camino::Utf8PathBuf,
    },
}
