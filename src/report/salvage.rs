//! Reading past damage: finds every frame with a sound length and checksum,
//! wherever it starts, and reports the unreadable bytes between them.
//!
//! The trusted reading of a journal ([`crate::format::scan::Scanner`]) stops at the
//! first damage, because nothing after it can be proven to belong to the
//! same history. A support engineer still wants to see it, so after the
//! damage `dump` resynchronizes: at each offset it asks
//! [`crate::format::scan::check_frame`] whether a frame starts there, and if not,
//! moves one byte on. Frames found this way are shown as untrusted.

use crate::format::codec;
use crate::format::error::JournalError;
use crate::format::frame::{FRAME_HEADER_LEN, FrameHeader, MAX_FRAME_LEN};
use crate::format::scan::{FrameCheck, check_frame};
use crate::format::window::Window;
use crate::model::event::{Event, Stamp};
use crate::storage::Storage;

/// What a frame's payload turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// A record this version knows.
    Known(Stamp, Event),
    /// A stamp and an event kind this version does not know (from a newer
    /// version, or damage that kept the checksum right).
    UnknownKind(Stamp, u32),
    /// Not even a stamp could be read.
    Unreadable,
}

impl Payload {
    /// Decodes a payload, falling back to its stamp and kind.
    pub fn decode(bytes: &[u8]) -> Self {
        match codec::decode(bytes) {
            Ok((stamp, event)) => Payload::Known(stamp, event),
            Err(_) => match codec::decode_stamp(bytes) {
                Some((stamp, kind)) => Payload::UnknownKind(stamp, kind),
                None => Payload::Unreadable,
            },
        }
    }
}

/// One step of a salvage read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// A frame with a sound length and checksum.
    Frame {
        /// Where it starts.
        offset: u64,
        /// Its fixed part.
        header: FrameHeader,
        /// Its whole length.
        len: u64,
        /// Its payload.
        payload: Payload,
    },
    /// Bytes in which no frame starts.
    Unreadable {
        /// Where they start.
        offset: u64,
        /// How many.
        len: u64,
        /// The first few of them.
        excerpt: Vec<u8>,
    },
}

/// Reads frames from an offset to the end of the file, skipping what is
/// unreadable. Memory stays at one window, whatever the file's size.
pub struct Salvage {
    pos: u64,
    file_len: u64,
    window: Window,
}

impl Salvage {
    /// Starts at `pos` in a file of `file_len` bytes.
    pub fn new(pos: u64, file_len: u64) -> Self {
        Salvage {
            pos,
            file_len,
            window: Window::default(),
        }
    }

    /// The next frame or unreadable region; `None` at the end of the file.
    pub fn next<S: Storage + ?Sized>(
        &mut self,
        storage: &mut S,
    ) -> Result<Option<Found>, JournalError> {
        if self.pos >= self.file_len {
            return Ok(None);
        }
        let start = self.pos;
        let bytes = self
            .window
            .get(storage, start, MAX_FRAME_LEN, self.file_len)?;
        if let FrameCheck::Valid { header, total } = check_frame(bytes) {
            let payload = Payload::decode(&bytes[FRAME_HEADER_LEN..total]);
            self.pos += total as u64;
            return Ok(Some(Found::Frame {
                offset: start,
                header,
                len: total as u64,
                payload,
            }));
        }
        let excerpt = bytes[..bytes.len().min(super::escape::EXCERPT_LEN)].to_vec();
        let mut at = start + 1;
        while at < self.file_len {
            let bytes = self.window.get(storage, at, MAX_FRAME_LEN, self.file_len)?;
            if matches!(check_frame(bytes), FrameCheck::Valid { .. }) {
                break;
            }
            at += 1;
        }
        self.pos = at;
        Ok(Some(Found::Unreadable {
            offset: start,
            len: at - start,
            excerpt,
        }))
    }
}
