//! The anomalies a pass reports: everything a support engineer must be
//! told about, where it is found.

use crate::format::error::Corruption;
use crate::format::scan::TornTail;
use crate::model::event::{BootId, Sha256};
use crate::model::stage::Stage;
use crate::model::state::BootStop;

/// Something a support engineer must be told about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Anomaly {
    /// The journal ends in bytes an interrupted append left.
    TornTail {
        /// The torn region.
        tail: TornTail,
        /// Its first bytes.
        excerpt: Vec<u8>,
        /// What the partial frame header says was being written, when
        /// enough of it survived.
        lost: Option<LostRecord>,
    },
    /// Where trust ends.
    Corrupt {
        /// Where the damage is.
        offset: u64,
        /// What it is.
        problem: Corruption,
        /// What it is, in words ([`describe_corruption`]).
        words: String,
        /// Whole records before it, all trusted.
        trusted_records: u64,
        /// The bytes at the damage.
        excerpt: Vec<u8>,
    },
    /// The file was written by a newer format version.
    UnsupportedVersion {
        /// The version found.
        found: u16,
    },
    /// Bytes skipped by the salvage read.
    Unreadable {
        /// Where.
        offset: u64,
        /// How many.
        len: u64,
        /// The first of them.
        excerpt: Vec<u8>,
    },
    /// A salvaged record whose sequence number does not follow.
    SequenceGap {
        /// Its offset.
        offset: u64,
        /// The number that should have come.
        expected: u64,
        /// The number found.
        found: u64,
    },
    /// A salvaged record that does not link to the one before it.
    BrokenLink {
        /// Its offset.
        offset: u64,
        /// Its sequence number.
        seq: u64,
    },
    /// A record of a kind this version does not know.
    UnknownKind {
        /// Its offset.
        offset: u64,
        /// Its sequence number.
        seq: u64,
        /// The kind's variant index.
        kind: u32,
    },
    /// A writer cut off a torn tail left by an earlier crash.
    TailRepaired {
        /// Offset of the `TailRepaired` record.
        offset: u64,
        /// Its sequence number.
        seq: u64,
        /// Where the torn bytes were.
        torn_offset: u64,
        /// How many were cut off.
        dropped: u64,
    },
    /// A boot's records stop while a stage is running, or right after a
    /// stage past the red line ended (no further stage, no `complete`, no
    /// other record of that boot): [`BootStop`].
    Stopped {
        /// Offset of that boot's last record.
        offset: u64,
        /// Its sequence number.
        seq: u64,
        /// The boot's number.
        boot_number: u32,
        /// The boot.
        boot: BootId,
        /// In which stage, or after which, it stopped.
        stop: BootStop,
        /// Whether these are the journal's last records (the boot may still
        /// be running).
        at_end: bool,
    },
    /// A boot that is followed by another, and whose records stop without
    /// an end, fail or reboot record, before the red line and outside a
    /// stage: the next boot found it interrupted (an unplanned restart).
    UnplannedRestart {
        /// Offset of that boot's last record.
        offset: u64,
        /// Its sequence number.
        seq: u64,
        /// The boot's number.
        boot_number: u32,
        /// The boot.
        boot: BootId,
        /// The command that wrote its last record (`check`, `fetched`,
        /// `end kargs`).
        after: String,
        /// Whether the next boot found the append after that record torn,
        /// long enough to have been the start of the disks stage, and its
        /// `check` poisoned the attempt for it (its record says so): the
        /// restart counted as past the red line, not as a safe retry.
        torn_at_red_line: bool,
    },
    /// A trusted `config_fetched` record with a digest other than the one
    /// the attempt had fetched before.
    ConfigChanged {
        /// Its offset.
        offset: u64,
        /// Its sequence number.
        seq: u64,
        /// The digest the attempt was bound to.
        old: Sha256,
        /// The digest fetched now.
        new: Sha256,
        /// The furthest mutating stage the attempt had begun, if any: then
        /// this record poisoned the attempt.
        after_stage: Option<Stage>,
        /// Whether this record poisoned the attempt.
        poisoned: bool,
    },
}

impl Anomaly {
    /// The name JSON uses.
    pub fn name(&self) -> &'static str {
        match self {
            Anomaly::TornTail { .. } => "torn_tail",
            Anomaly::Corrupt { .. } => "corrupt",
            Anomaly::UnsupportedVersion { .. } => "unsupported_version",
            Anomaly::Unreadable { .. } => "unreadable",
            Anomaly::SequenceGap { .. } => "sequence_gap",
            Anomaly::BrokenLink { .. } => "broken_link",
            Anomaly::UnknownKind { .. } => "unknown_kind",
            Anomaly::TailRepaired { .. } => "tail_repaired",
            Anomaly::Stopped {
                stop: BootStop::InStage(_),
                ..
            } => "stopped_mid_stage",
            Anomaly::Stopped {
                stop: BootStop::AfterStage(_),
                ..
            } => "stopped_after_stage",
            Anomaly::UnplannedRestart { .. } => "unplanned_restart",
            Anomaly::ConfigChanged { .. } => "config_changed",
        }
    }

    /// Where in the file it is.
    pub fn offset(&self) -> u64 {
        match self {
            Anomaly::TornTail { tail, .. } => tail.offset,
            Anomaly::UnsupportedVersion { .. } => 0,
            Anomaly::Corrupt { offset, .. }
            | Anomaly::Unreadable { offset, .. }
            | Anomaly::SequenceGap { offset, .. }
            | Anomaly::BrokenLink { offset, .. }
            | Anomaly::UnknownKind { offset, .. }
            | Anomaly::TailRepaired { offset, .. }
            | Anomaly::Stopped { offset, .. }
            | Anomaly::UnplannedRestart { offset, .. }
            | Anomaly::ConfigChanged { offset, .. } => *offset,
        }
    }
}

/// What survives of the frame a torn tail was cut from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LostRecord {
    /// The sequence number it was to have.
    pub seq: u64,
    /// Its whole length, as its header says.
    pub frame_len: u64,
    /// The boot writing it, if its stamp survived.
    pub boot: Option<BootId>,
    /// Its event kind's variant index, if it survived.
    pub kind: Option<u32>,
}
