//! Reading a journal from the start: frames, checksums, sequence and links,
//! and the one rule that tells a torn tail from corruption.
//!
//! Only the append in flight at a crash can be damaged, and only at the end
//! of the file. So invalid bytes are a **torn tail** when they run to the end
//! of the file, are no longer than one append ([`MAX_APPEND_LEN`]) and no
//! valid frame starts inside them. Anything else is **corruption**, reported
//! with its offset. See `spec/FORMAT.md`, "Recovery".

use crate::format::codec;
use crate::format::error::{Corruption, JournalError, StorageOp, header_corruption};
use crate::format::frame::{
    FRAME_HEADER_LEN, FrameHeader, HEADER_LEN, Header, MAX_APPEND_LEN, MAX_FRAME_LEN, frame_crc,
    parse_header,
};
use crate::format::window::Window;
use crate::model::event::Record;
use crate::model::state::Progress;
use crate::model::transition::transition;
use crate::storage::Storage;

/// The damaged end of a journal left by an interrupted append.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[expect(
    clippy::exhaustive_structs,
    reason = "a fact the classifier takes: callers and tests state a torn tail by its offset and length, and there is no more to it"
)]
pub struct TornTail {
    /// Where the torn bytes start (the end of the last whole record).
    pub offset: u64,
    /// How many bytes are torn.
    pub len: u64,
}

/// How the readable part of a journal ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "testing",
    expect(
        clippy::exhaustive_enums,
        reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
    )
)]
pub enum End {
    /// At a record boundary.
    Clean,
    /// In a torn tail.
    Torn(TornTail),
}

/// A record and where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "testing",
    expect(
        clippy::exhaustive_structs,
        reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
    )
)]
pub struct ScannedRecord {
    /// Offset of its frame.
    pub offset: u64,
    /// Length of its frame.
    pub frame_len: u64,
    /// Its frame's checksum (the next record links to it).
    pub crc: u32,
    /// The record.
    pub record: Record,
}

/// What the bytes at one offset are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameCheck {
    /// A frame with a sound length and checksum (sequence and link not yet
    /// checked).
    Valid {
        /// Its fixed part.
        header: FrameHeader,
        /// Its whole length.
        total: usize,
    },
    /// Not a frame, and why.
    Invalid(&'static str),
}

/// Checks whether `bytes` start with a frame whose length and checksum are
/// sound.
pub fn check_frame(bytes: &[u8]) -> FrameCheck {
    let Some(fixed) = bytes.first_chunk::<FRAME_HEADER_LEN>() else {
        return FrameCheck::Invalid("incomplete record header");
    };
    let header = FrameHeader::parse(fixed);
    if !header.len_in_bounds() {
        return FrameCheck::Invalid("length out of bounds");
    }
    let total = FRAME_HEADER_LEN + header.len as usize;
    let Some(frame) = bytes.get(..total) else {
        return FrameCheck::Invalid("incomplete record");
    };
    if frame_crc(fixed, &frame[FRAME_HEADER_LEN..]) != header.crc {
        return FrameCheck::Invalid("checksum mismatch");
    }
    FrameCheck::Valid { header, total }
}

/// Reads the records of an open journal one at a time, in constant memory.
pub struct Scanner<'s, S: Storage + ?Sized> {
    storage: &'s mut S,
    header: Header,
    file_len: u64,
    pos: u64,
    next_seq: u64,
    prev_crc: u32,
    window: Window,
    end: Option<End>,
}

impl<'s, S: Storage + ?Sized> Scanner<'s, S> {
    /// Reads and checks the header of the open journal in `storage`.
    pub fn start(storage: &'s mut S) -> Result<Self, JournalError> {
        let path = storage.path().to_owned();
        let file_len = storage
            .file_len()
            .map_err(|source| JournalError::storage(storage, StorageOp::Read, source))?;
        let mut window = Window::default();
        let bytes = window.get(storage, 0, HEADER_LEN, file_len)?;
        let header = parse_header(bytes).map_err(|problem| match header_corruption(problem) {
            Ok(problem) => JournalError::Corrupt {
                path: path.clone(),
                offset: 0,
                problem,
            },
            Err(found) => JournalError::UnsupportedVersion {
                path: path.clone(),
                found,
            },
        })?;
        Ok(Scanner {
            storage,
            header,
            file_len,
            pos: HEADER_LEN as u64,
            next_seq: 0,
            prev_crc: header.crc,
            window,
            end: None,
        })
    }

    /// The file header.
    pub fn header(&self) -> Header {
        self.header
    }

    /// How the journal ended, once [`Scanner::next_record`] returned `None`.
    pub fn end(&self) -> Option<End> {
        self.end
    }

    /// Offset just past the last whole record read so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The sequence number the next record must have.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The checksum the next record must link to.
    pub fn prev_crc(&self) -> u32 {
        self.prev_crc
    }

    fn corrupt(&self, offset: u64, problem: Corruption) -> JournalError {
        JournalError::Corrupt {
            path: self.storage.path().to_owned(),
            offset,
            problem,
        }
    }

    /// The next record replayed through the transition function from
    /// `progress`: the record and the progress after it. The one replay
    /// step the journal and the reports share: a record the rules reject is
    /// corruption at its offset, like damage the scanner finds itself.
    ///
    /// # Errors
    ///
    /// [`JournalError::Corrupt`] for damage or a rejected record, and the
    /// storage's errors.
    pub fn replay_next(
        &mut self,
        progress: &Progress,
    ) -> Result<Option<(ScannedRecord, Progress)>, JournalError> {
        let Some(scanned) = self.next_record()? else {
            return Ok(None);
        };
        match transition(progress, &scanned.record) {
            Ok(next) => Ok(Some((scanned, next))),
            Err(error) => Err(JournalError::Corrupt {
                path: self.storage.path().to_owned(),
                offset: scanned.offset,
                problem: Corruption::InvalidTransition {
                    seq: scanned.record.seq,
                    error,
                },
            }),
        }
    }

    /// The next record; `None` at the end (see [`Scanner::end`]).
    pub fn next_record(&mut self) -> Result<Option<ScannedRecord>, JournalError> {
        if self.end.is_some() {
            return Ok(None);
        }
        let remaining = self.file_len.saturating_sub(self.pos);
        if remaining == 0 {
            self.end = Some(End::Clean);
            return Ok(None);
        }
        let pos = self.pos;
        let bytes = self
            .window
            .get(self.storage, pos, MAX_FRAME_LEN, self.file_len)?;
        match check_frame(bytes) {
            FrameCheck::Valid { header, total } => {
                let payload = bytes[FRAME_HEADER_LEN..total].to_vec();
                if header.seq != self.next_seq {
                    let problem = Corruption::Sequence {
                        expected: self.next_seq,
                        found: header.seq,
                    };
                    return Err(self.corrupt(pos, problem));
                }
                if header.prev != self.prev_crc {
                    return Err(self.corrupt(pos, Corruption::BrokenLink { seq: header.seq }));
                }
                let (stamp, event) = codec::decode(&payload).map_err(|error| {
                    self.corrupt(
                        pos,
                        Corruption::Undecodable {
                            seq: header.seq,
                            error,
                        },
                    )
                })?;
                self.pos += total as u64;
                self.next_seq += 1;
                self.prev_crc = header.crc;
                Ok(Some(ScannedRecord {
                    offset: pos,
                    frame_len: total as u64,
                    crc: header.crc,
                    record: Record {
                        seq: header.seq,
                        stamp,
                        event,
                    },
                }))
            }
            FrameCheck::Invalid(why) => {
                let look = remaining.min((MAX_APPEND_LEN + MAX_FRAME_LEN) as u64);
                let region = self
                    .window
                    .get(self.storage, pos, look as usize, self.file_len)?;
                let valid_follows = (1..region.len())
                    .any(|at| matches!(check_frame(&region[at..]), FrameCheck::Valid { .. }));
                let followed_by = if valid_follows {
                    Some("a valid record")
                } else if remaining > MAX_APPEND_LEN as u64 {
                    Some("more data than one interrupted append can leave")
                } else {
                    None
                };
                if let Some(followed_by) = followed_by {
                    let problem = Corruption::BadFrame { why, followed_by };
                    return Err(self.corrupt(pos, problem));
                }
                self.end = Some(End::Torn(TornTail {
                    offset: pos,
                    len: remaining,
                }));
                Ok(None)
            }
        }
    }
}
