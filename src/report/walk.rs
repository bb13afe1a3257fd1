//! One pass over a journal, in file order and constant memory: the records
//! with the state each one leads to, and every anomaly where it is found.
//!
//! The trusted part is read exactly as `check` reads it — the
//! [`Scanner`] and the [`transition`](fn@crate::transition) function — so the
//! report can never disagree with the journal about where trust ends. After
//! the first damage the pass goes on in salvage mode ([`super::salvage`]),
//! and everything from there on is marked untrusted.
//!
//! What a pass reports is in `item` and `anomaly`, the damage in words in
//! `damage`, the names of event kinds in `kinds`; `boots` numbers boots and
//! tells where each stopped, and `pass` keeps the report in offset order.

mod anomaly;
mod boots;
mod damage;
mod evidence;
mod item;
mod kinds;
mod pass;

use std::io;

use crate::format::error::{JournalError, StorageOp};
use crate::format::frame::{FRAME_HEADER_LEN, FrameHeader, HEADER_LEN};
use crate::format::scan::{End, Scanner, TornTail};
use crate::model::event::{Event, PoisonReason};
use crate::model::state::{Progress, State};
use crate::storage::Storage;

use super::salvage::{Found, Payload, Salvage};
use crate::format::window::Window;

pub use self::anomaly::{Anomaly, LostRecord};
pub use self::damage::Damage;
pub(crate) use self::damage::damage;
pub use self::evidence::Evidence;
pub use self::item::{Body, Entry, Item, Outcome, ReportError, Summary, Trust};
pub use self::kinds::kind_name;

use self::pass::Pass;

/// The sequence number and link (when known) the next salvaged frame
/// should have.
type Expected = Option<(u64, Option<u32>)>;

/// Where the salvage read starts, and the sequence and link it expects;
/// `None` when every byte was read as trusted.
type SalvageFrom = Option<(u64, Expected)>;

/// Reads the whole journal in `storage` (already opened for reading) once,
/// calling `visit` for each [`Item`] in file order.
///
/// # Errors
///
/// [`ReportError::Journal`] when reading the storage fails (damage in the
/// file is reported, not an error), and [`ReportError::Output`] with the
/// first error `visit` returns.
pub fn walk<S: Storage + ?Sized>(
    storage: &mut S,
    visit: &mut dyn FnMut(Item) -> io::Result<()>,
) -> Result<Summary, ReportError> {
    let file_len = storage
        .file_len()
        .map_err(|source| JournalError::storage(storage, StorageOp::Read, source))?;
    let mut pass = Pass::new(visit);
    let mut summary = Summary::empty(file_len);
    if let Some((from, expect)) = trusted(storage, &mut pass, &mut summary)? {
        salvaged(storage, &mut pass, &mut summary, from, expect)?;
    }
    pass.release(false)?;
    if let Some(stopped) = pass.boots.stopped(true) {
        pass.anomaly(stopped)?;
    }
    pass.flush()?;
    summary.anomalies = pass.anomalies;
    summary.evidence = pass.evidence;
    Ok(summary)
}

/// Reads the header and the trusted records, as `check` replays them, up to
/// the first damage; says where salvage starts from, if anywhere.
fn trusted<S: Storage + ?Sized>(
    storage: &mut S,
    pass: &mut Pass<'_>,
    summary: &mut Summary,
) -> Result<SalvageFrom, ReportError> {
    let file_len = summary.file_len;
    let mut scanner = match Scanner::start(storage) {
        Err(JournalError::UnsupportedVersion { found, .. }) => {
            summary.outcome = Outcome::UnsupportedVersion;
            summary.unsupported_version = Some(found);
            pass.defer(Anomaly::UnsupportedVersion { found });
            return Ok(None);
        }
        Err(JournalError::Corrupt {
            offset, problem, ..
        }) => {
            corrupt(storage, pass, summary, offset, problem)?;
            return Ok(Some((HEADER_LEN as u64, None)));
        }
        Err(other) => return Err(other.into()),
        Ok(scanner) => scanner,
    };
    summary.header = Some(scanner.header());
    (pass.visit)(Item::Header(scanner.header()))?;
    let mut progress = Progress::default();
    // What the records replayed to before a `tail repaired` record, until
    // the record after it says whether `check` poisoned for that tail.
    let mut repaired_from: Option<Progress> = None;
    let corruption = loop {
        let (scanned, next) = match scanner.replay_next(&progress) {
            Ok(Some(replayed)) => replayed,
            Ok(None) => break None,
            Err(JournalError::Corrupt {
                offset, problem, ..
            }) => break Some((offset, problem)),
            Err(other) => return Err(other.into()),
        };
        let record = scanned.record;
        let changed = match (&record.event, progress.config) {
            (Event::ConfigFetched { sha256 } | Event::ConfigKept { sha256, .. }, Some(old))
                if old != *sha256 =>
            {
                Some(Anomaly::ConfigChanged {
                    offset: scanned.offset,
                    seq: record.seq,
                    old,
                    new: *sha256,
                    after_stage: summary.mutated_stage,
                    poisoned: next.state == State::Poisoned,
                })
            }
            _ => None,
        };
        repaired_from = match &record.event {
            Event::TailRepaired { .. } => Some(progress.clone()),
            Event::Poisoned {
                reason: PoisonReason::TornTailAtRedLine { .. },
            } => {
                summary.before_repair = repaired_from.take();
                None
            }
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
    };
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
    let Some((offset, problem)) = corruption else {
        return Ok(None);
    };
    corrupt(storage, pass, summary, offset, problem)?;
    Ok(Some((offset, Some((expect.0, Some(expect.1))))))
}

/// Reports the damage where trust ends.
fn corrupt<S: Storage + ?Sized>(
    storage: &mut S,
    pass: &mut Pass<'_>,
    summary: &mut Summary,
    offset: u64,
    problem: crate::format::error::Corruption,
) -> Result<(), JournalError> {
    let file_len = summary.file_len;
    let excerpt = excerpt_at(storage, offset, file_len)?;
    summary.outcome = Outcome::Corrupt;
    let damage = damage(storage, offset, problem, file_len)?;
    summary.corruption = Some(damage.clone());
    pass.defer(Anomaly::Corrupt {
        offset,
        problem: damage.problem,
        words: damage.words,
        trusted_records: summary.trusted_records,
        excerpt,
    });
    Ok(())
}

/// Reads on past the damage at `from`, marking every record found there
/// untrusted and every break in the chain an anomaly.
fn salvaged<S: Storage + ?Sized>(
    storage: &mut S,
    pass: &mut Pass<'_>,
    summary: &mut Summary,
    from: u64,
    mut expect: Expected,
) -> Result<(), ReportError> {
    // The damage at `from` is already reported; its own frame, if
    // sound, is shown without repeating why it broke the chain.
    let mut first = true;
    let mut salvage = Salvage::new(from, summary.file_len);
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
    Ok(())
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
    let stamp = crate::format::codec::decode_stamp(&bytes[FRAME_HEADER_LEN..]);
    Ok(Some(LostRecord {
        seq: header.seq,
        frame_len: (FRAME_HEADER_LEN as u64) + u64::from(header.len),
        boot: stamp.map(|(stamp, _)| stamp.boot_id),
        kind: stamp.map(|(_, kind)| kind),
    }))
}
