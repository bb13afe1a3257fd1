//! One pass over a journal, in file order and constant memory: the records
//! with the state each one leads to, and every anomaly where it is found.
//!
//! The trusted part is read exactly as `check` reads it — the
//! [`Scanner`] and the [`transition`] function — so the report can never
//! disagree with the journal about where trust ends. After the first damage
//! the pass goes on in salvage mode ([`super::salvage`]), and everything
//! from there on is marked untrusted.

use std::io;

use crate::codec::CodecError;
use crate::error::{Corruption, JournalError};
use crate::event::{BootId, Event, Sha256, Stamp};
use crate::frame::{HEADER_LEN, Header};
use crate::scan::{End, Scanner, TornTail};
use crate::stage::Stage;
use crate::state::{Progress, State};
use crate::storage::Storage;

use super::salvage::{Found, Payload, Salvage, Window};

/// How far a journal can be trusted, as `dump` reports it and as its exit
/// status tells scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
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
    /// A boot's records stop while a stage is running.
    StoppedMidStage {
        /// Offset of that boot's last record.
        offset: u64,
        /// Its sequence number.
        seq: u64,
        /// The boot's number.
        boot_number: u32,
        /// The boot.
        boot: BootId,
        /// The stage that began and never ended.
        stage: Stage,
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
    /// A boot's records stop right after a stage past the red line ended:
    /// no further stage, no `complete`, no other record of that boot.
    StoppedAfterStage {
        /// Offset of that boot's last record (the stage's `end`).
        offset: u64,
        /// Its sequence number.
        seq: u64,
        /// The boot's number.
        boot_number: u32,
        /// The boot.
        boot: BootId,
        /// The stage that ended.
        stage: Stage,
        /// Whether these are the journal's last records (the boot may still
        /// be running).
        at_end: bool,
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
            Anomaly::StoppedMidStage { .. } => "stopped_mid_stage",
            Anomaly::StoppedAfterStage { .. } => "stopped_after_stage",
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
            | Anomaly::StoppedMidStage { offset, .. }
            | Anomaly::StoppedAfterStage { offset, .. }
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
}

/// Damage where trust in a journal ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// Where it is.
    pub offset: u64,
    /// What it is.
    pub problem: Corruption,
    /// What it is, in words ([`describe_corruption`]).
    pub words: String,
}

/// Says what `problem` is in words a support engineer can act on. `kind`
/// is the event kind the damaged record's payload names, if it has one:
/// a record whose checksum is right but whose kind this version does not
/// know is most likely from a newer version.
pub fn describe_corruption(problem: &Corruption, kind: Option<u32>) -> String {
    let Corruption::Undecodable { seq, error } = problem else {
        return problem.to_string();
    };
    match (error, kind) {
        (CodecError::Undecodable { .. }, Some(kind)) => match kind_name(kind) {
            None => format!(
                "record {seq} has unknown record kind {kind} (this version knows 0\u{2013}{}), written by a newer version or damaged",
                EVENT_KINDS.len() - 1
            ),
            Some(name) => {
                format!("record {seq} is a {name} record whose fields this version cannot decode")
            }
        },
        (CodecError::Undecodable { .. }, None) => format!(
            "record {seq} cannot be decoded: its payload is too short to name its boot, times and kind"
        ),
        (CodecError::TrailingBytes { extra }, _) => format!(
            "record {seq} cannot be decoded: {extra} bytes follow its fields (a newer version's fields, or damage)"
        ),
        (CodecError::TooLarge { .. }, _) => problem.to_string(),
    }
}

/// Bytes at the start of a payload that name its boot, times and event
/// kind ([`crate::codec::decode_stamp`]).
const STAMP_AND_KIND_LEN: usize = 16 + 8 + 8 + 4;

/// The damage at `offset`, with the kind its record names if it is a
/// record this version cannot decode.
pub(crate) fn damage<S: Storage + ?Sized>(
    storage: &mut S,
    offset: u64,
    problem: Corruption,
    file_len: u64,
) -> Result<Damage, JournalError> {
    use crate::frame::FRAME_HEADER_LEN;
    let kind = match problem {
        Corruption::Undecodable { .. } => {
            let mut window = Window::default();
            let payload = window.get(
                storage,
                offset + FRAME_HEADER_LEN as u64,
                STAMP_AND_KIND_LEN,
                file_len,
            )?;
            crate::codec::decode_stamp(payload).map(|(_, kind)| kind)
        }
        _ => None,
    };
    Ok(Damage {
        offset,
        words: describe_corruption(&problem, kind),
        problem,
    })
}

/// An error of a report pass.
#[derive(Debug, thiserror::Error)]
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

/// Tracks boots in order of appearance and where each one's records stop:
/// in a running stage, or right after a stage past the red line ended.
#[derive(Default)]
struct Boots {
    count: u32,
    current: Option<BootId>,
    open_stage: Option<Stage>,
    ended_past_red_line: Option<Stage>,
    /// The command behind the boot's last record, while that record leaves
    /// the boot interrupted if nothing follows it (`check`'s start of a
    /// boot, `fetched`, `end kargs`); `None` after any record that ends a
    /// boot by design.
    open_after: Option<String>,
    last: Option<(u64, u64)>,
}

impl Boots {
    /// Numbers the boot of a record; returns the anomaly of the boot that
    /// ended, if it stopped mid-stage.
    fn enter(&mut self, stamp: Option<&Stamp>) -> (Option<u32>, Option<Anomaly>) {
        let Some(stamp) = stamp else {
            return (None, None);
        };
        let mut stopped = None;
        if self.current != Some(stamp.boot_id) {
            stopped = self.stopped(false);
            self.count += 1;
            self.current = Some(stamp.boot_id);
            self.open_stage = None;
            self.ended_past_red_line = None;
            self.open_after = None;
        }
        (Some(self.count), stopped)
    }

    fn record(&mut self, entry: &Entry) {
        if entry.stamp.is_none() {
            return;
        }
        self.last = Some((entry.offset, entry.seq));
        self.open_stage = None;
        self.ended_past_red_line = None;
        self.open_after = None;
        let stopped = matches!(entry.after, Some((_, State::Complete | State::Poisoned)));
        match &entry.body {
            Body::Known(Event::StageBegan { stage }) => self.open_stage = Some(*stage),
            Body::Known(Event::StageEnded { stage }) if stage.is_past_red_line() => {
                self.ended_past_red_line = Some(*stage);
            }
            Body::Known(Event::StageEnded { stage }) => {
                self.open_after = Some(format!("end {stage}"))
            }
            Body::Known(Event::AttemptStarted { .. } | Event::Restarted { .. }) => {
                self.open_after = Some("check".to_owned());
            }
            Body::Known(Event::ConfigFetched { .. } | Event::ConfigKept { .. }) if !stopped => {
                self.open_after = Some("fetched".to_owned());
            }
            Body::Known(_) | Body::UnknownKind(_) | Body::Unreadable => {}
        }
    }

    fn stopped(&self, at_end: bool) -> Option<Anomaly> {
        let (boot, (offset, seq)) = (self.current?, self.last?);
        let boot_number = self.count;
        if let Some(stage) = self.open_stage {
            return Some(Anomaly::StoppedMidStage {
                offset,
                seq,
                boot_number,
                boot,
                stage,
                at_end,
            });
        }
        if let Some(stage) = self.ended_past_red_line {
            return Some(Anomaly::StoppedAfterStage {
                offset,
                seq,
                boot_number,
                boot,
                stage,
                at_end,
            });
        }
        // The last boot may still be running: only a boot that another
        // followed is known to have stopped.
        let after = self.open_after.clone().filter(|_| !at_end)?;
        Some(Anomaly::UnplannedRestart {
            offset,
            seq,
            boot_number,
            boot,
            after,
        })
    }
}

/// Reports records and anomalies in offset order. An anomaly found apart
/// from a record (damage, a torn tail, a gap) waits until the boot before it
/// has been closed, since that boot's own anomaly sits at an earlier offset;
/// at most a few wait at a time.
struct Pass<'v> {
    visit: &'v mut dyn FnMut(Item) -> io::Result<()>,
    boots: Boots,
    deferred: Vec<Anomaly>,
    anomalies: u64,
}

impl Pass<'_> {
    fn anomaly(&mut self, anomaly: Anomaly) -> io::Result<()> {
        self.anomalies += 1;
        (self.visit)(Item::Anomaly(anomaly))
    }

    fn defer(&mut self, anomaly: Anomaly) {
        self.deferred.push(anomaly);
    }

    fn flush(&mut self) -> io::Result<()> {
        for anomaly in std::mem::take(&mut self.deferred) {
            self.anomaly(anomaly)?;
        }
        Ok(())
    }

    fn entry(&mut self, mut entry: Entry) -> io::Result<()> {
        let (number, stopped) = self.boots.enter(entry.stamp.as_ref());
        if let Some(stopped) = stopped {
            self.anomaly(stopped)?;
        }
        self.flush()?;
        entry.boot_number = number;
        self.boots.record(&entry);
        let repaired = match entry.body {
            Body::Known(Event::TailRepaired { offset, dropped }) => Some(Anomaly::TailRepaired {
                offset: entry.offset,
                seq: entry.seq,
                torn_offset: offset,
                dropped,
            }),
            Body::UnknownKind(kind) => Some(Anomaly::UnknownKind {
                offset: entry.offset,
                seq: entry.seq,
                kind,
            }),
            Body::Known(_) | Body::Unreadable => None,
        };
        (self.visit)(Item::Record(entry))?;
        if let Some(anomaly) = repaired {
            self.anomaly(anomaly)?;
        }
        Ok(())
    }
}

fn excerpt_at<S: Storage + ?Sized>(
    storage: &mut S,
    offset: u64,
    file_len: u64,
) -> Result<Vec<u8>, JournalError> {
    Ok(Window::default()
        .get(storage, offset, super::escape::EXCERPT_LEN, file_len)?
        .to_vec())
}

fn lost_record<S: Storage + ?Sized>(
    storage: &mut S,
    tail: TornTail,
    file_len: u64,
) -> Result<Option<LostRecord>, JournalError> {
    use crate::frame::{FRAME_HEADER_LEN, FrameHeader};
    let bytes = Window::default()
        .get(storage, tail.offset, tail.len as usize, file_len)?
        .to_vec();
    let Some(fixed) = bytes.first_chunk::<FRAME_HEADER_LEN>() else {
        return Ok(None);
    };
    let header = FrameHeader::parse(fixed);
    if !header.len_in_bounds() {
        return Ok(None);
    }
    let stamp = crate::codec::decode_stamp(&bytes[FRAME_HEADER_LEN..]);
    Ok(Some(LostRecord {
        seq: header.seq,
        frame_len: (FRAME_HEADER_LEN as u64) + u64::from(header.len),
        boot: stamp.map(|(stamp, _)| stamp.boot_id),
        kind: stamp.map(|(_, kind)| kind),
    }))
}

/// The sequence number and link (when known) the next salvaged frame
/// should have.
type Expected = Option<(u64, Option<u32>)>;

/// Reads the whole journal in `storage` (already opened for reading) once,
/// calling `visit` for each [`Item`] in file order.
pub fn walk<S: Storage + ?Sized>(
    storage: &mut S,
    visit: &mut dyn FnMut(Item) -> io::Result<()>,
) -> Result<Summary, ReportError> {
    let file_len = storage.file_len().map_err(|source| JournalError::Storage {
        op: crate::error::StorageOp::Read,
        path: storage.path().to_owned(),
        source,
    })?;
    let mut pass = Pass {
        visit,
        boots: Boots::default(),
        deferred: Vec::new(),
        anomalies: 0,
    };
    let mut summary = Summary {
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
    };

    // Where the salvage read starts, and the sequence and link it expects.
    let mut salvage_from: Option<(u64, Expected)>;
    match Scanner::start(storage) {
        Err(JournalError::UnsupportedVersion { found, .. }) => {
            summary.outcome = Outcome::UnsupportedVersion;
            summary.unsupported_version = Some(found);
            pass.defer(Anomaly::UnsupportedVersion { found });
            salvage_from = None;
        }
        Err(JournalError::Corrupt {
            offset, problem, ..
        }) => {
            let excerpt = excerpt_at(storage, offset, file_len)?;
            summary.outcome = Outcome::Corrupt;
            let damage = damage(storage, offset, problem, file_len)?;
            summary.corruption = Some(damage.clone());
            pass.defer(Anomaly::Corrupt {
                offset,
                problem: damage.problem,
                words: damage.words,
                trusted_records: 0,
                excerpt,
            });
            salvage_from = Some((HEADER_LEN as u64, None));
        }
        Err(other) => return Err(other.into()),
        Ok(mut scanner) => {
            summary.header = Some(scanner.header());
            (pass.visit)(Item::Header(scanner.header()))?;
            let mut progress = Progress::default();
            let mut corruption = None;
            loop {
                let (scanned, next) = match scanner.replay_next(&progress) {
                    Ok(Some(replayed)) => replayed,
                    Ok(None) => {
                        salvage_from = None;
                        break;
                    }
                    Err(JournalError::Corrupt {
                        offset, problem, ..
                    }) => {
                        salvage_from = Some((offset, None));
                        corruption = Some((offset, problem));
                        break;
                    }
                    Err(other) => return Err(other.into()),
                };
                let record = scanned.record;
                let changed = match (&record.event, progress.config) {
                    (
                        Event::ConfigFetched { sha256 } | Event::ConfigKept { sha256, .. },
                        Some(old),
                    ) if old != *sha256 => Some(Anomaly::ConfigChanged {
                        offset: scanned.offset,
                        seq: record.seq,
                        old,
                        new: *sha256,
                        after_stage: summary.mutated_stage,
                        poisoned: next.state == State::Poisoned,
                    }),
                    _ => None,
                };
                progress = next;
                summary.trusted_records += 1;
                match &record.event {
                    Event::AttemptStarted { .. } | Event::Reset { .. } => {
                        summary.mutated_stage = None;
                    }
                    Event::StageBegan { stage } => {
                        summary.mutated_stage = summary.mutated_stage.max(Some(*stage));
                    }
                    _ => {}
                }
                pass.entry(Entry {
                    offset: scanned.offset,
                    frame_len: scanned.frame_len,
                    seq: record.seq,
                    trust: Trust::Trusted,
                    boot_number: None,
                    stamp: Some(record.stamp),
                    body: Body::Known(record.event),
                    after: Some((progress.epoch, progress.state)),
                    config_changed_from: match changed {
                        Some(Anomaly::ConfigChanged { old, .. }) => Some(old),
                        _ => None,
                    },
                })?;
                if let Some(changed) = changed {
                    pass.anomaly(changed)?;
                }
            }
            let end = scanner.end();
            let expect = (scanner.next_seq(), scanner.prev_crc());
            drop(scanner);
            summary.progress = progress;
            if let Some(End::Torn(tail)) = end {
                summary.outcome = Outcome::TornTail;
                summary.torn = Some(tail);
                let excerpt = excerpt_at(storage, tail.offset, file_len)?;
                let lost = lost_record(storage, tail, file_len)?;
                pass.defer(Anomaly::TornTail {
                    tail,
                    excerpt,
                    lost,
                });
            }
            if let Some((offset, problem)) = corruption {
                summary.outcome = Outcome::Corrupt;
                let excerpt = excerpt_at(storage, offset, file_len)?;
                let damage = damage(storage, offset, problem, file_len)?;
                summary.corruption = Some(damage.clone());
                pass.defer(Anomaly::Corrupt {
                    offset,
                    problem: damage.problem,
                    words: damage.words,
                    trusted_records: summary.trusted_records,
                    excerpt,
                });
            }
            if let Some(from) = salvage_from.as_mut() {
                from.1 = Some((expect.0, Some(expect.1)));
            }
        }
    }

    if let Some((from, mut expect)) = salvage_from {
        // The damage at `from` is already reported; its own frame, if
        // sound, is shown without repeating why it broke the chain.
        let mut first = true;
        let mut salvage = Salvage::new(from, file_len);
        while let Some(found) = salvage.next(storage)? {
            match found {
                Found::Unreadable {
                    offset,
                    len,
                    excerpt,
                } => {
                    pass.defer(Anomaly::Unreadable {
                        offset,
                        len,
                        excerpt,
                    });
                    expect = expect.map(|(seq, _)| (seq, None));
                }
                Found::Frame {
                    offset,
                    header,
                    len,
                    payload,
                } => {
                    if let Some((seq, prev)) = expect
                        && !first
                    {
                        if header.seq != seq {
                            pass.defer(Anomaly::SequenceGap {
                                offset,
                                expected: seq,
                                found: header.seq,
                            });
                        } else if prev.is_some_and(|prev| prev != header.prev) {
                            pass.defer(Anomaly::BrokenLink {
                                offset,
                                seq: header.seq,
                            });
                        }
                    }
                    expect = Some((header.seq.wrapping_add(1), Some(header.crc)));
                    let (stamp, body) = match payload {
                        Payload::Known(stamp, event) => (Some(stamp), Body::Known(event)),
                        Payload::UnknownKind(stamp, kind) => (Some(stamp), Body::UnknownKind(kind)),
                        Payload::Unreadable => (None, Body::Unreadable),
                    };
                    summary.salvaged_records += 1;
                    pass.entry(Entry {
                        offset,
                        frame_len: len,
                        seq: header.seq,
                        trust: Trust::Salvaged,
                        boot_number: None,
                        stamp,
                        body,
                        after: None,
                        config_changed_from: None,
                    })?;
                }
            }
            first = false;
        }
    }
    if let Some(stopped) = pass.boots.stopped(true) {
        pass.anomaly(stopped)?;
    }
    pass.flush()?;
    summary.anomalies = pass.anomalies;
    Ok(summary)
}

/// Event kinds by their variant index on disk (see `spec/FORMAT.md`), as
/// [`Event::kind`] names them.
pub const EVENT_KINDS: [&str; 15] = [
    "attempt-started",
    "restarted",
    "boot-refused",
    "config-fetched",
    "stage-began",
    "stage-ended",
    "stage-failed",
    "reboot-planned",
    "completed",
    "poisoned",
    "reset",
    "tail-repaired",
    "config-kept",
    "config-restored",
    "kept-config-removed",
];

/// The name of the event kind with variant index `index`, if this version
/// knows it.
pub fn kind_name(index: u32) -> Option<&'static str> {
    EVENT_KINDS.get(index as usize).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{BootId, PoisonReason, RebootReason, Sha256, Trigger};

    #[test]
    fn kind_names_follow_the_variant_indexes_on_disk() {
        let stamp = Stamp {
            boot_id: BootId([1; 16]),
            wall_ms: 0,
            mono_ns: 0,
        };
        let every_kind = [
            Event::AttemptStarted {
                epoch: 1,
                trigger: Trigger::Firstboot,
            },
            Event::Restarted { planned: None },
            Event::BootRefused,
            Event::ConfigFetched {
                sha256: Sha256([0; 32]),
            },
            Event::StageBegan {
                stage: Stage::Disks,
            },
            Event::StageEnded {
                stage: Stage::Disks,
            },
            Event::StageFailed {
                stage: Stage::Disks,
                reason: String::new(),
            },
            Event::RebootPlanned {
                reason: RebootReason::Kargs,
            },
            Event::Completed,
            Event::Poisoned {
                reason: PoisonReason::RetriesExhausted {
                    restarts: 6,
                    limit: 5,
                },
            },
            Event::Reset {
                reason: String::new(),
            },
            Event::TailRepaired {
                offset: 0,
                dropped: 0,
            },
            Event::ConfigKept {
                sha256: Sha256([0; 32]),
                size: 0,
            },
            Event::ConfigRestored {
                sha256: Sha256([0; 32]),
            },
            Event::KeptConfigRemoved {
                sha256: Sha256([0; 32]),
                cause: crate::event::RemovalCause::Unbound,
            },
        ];
        assert_eq!(every_kind.len(), EVENT_KINDS.len());
        for event in every_kind {
            let payload = crate::codec::encode(&stamp, &event).unwrap();
            let (_, index) = crate::codec::decode_stamp(&payload).unwrap();
            assert_eq!(kind_name(index), Some(event.kind()));
        }
        assert_eq!(kind_name(EVENT_KINDS.len() as u32), None);
    }
}
