//! The byte layout of the file header and of each record frame, as
//! `spec/FORMAT.md` draws them. Little-endian throughout.

use crate::format::codec::MAX_PAYLOAD_LEN;

/// The first eight bytes of every journal.
pub const MAGIC: [u8; 8] = *b"PROVJRNL";
/// The format version this crate writes.
pub const VERSION: u16 = 1;
/// The format versions this crate reads (a journal of any other version is
/// refused as unsupported); `provision-journal --version` lists them.
pub const READ_VERSIONS: &[u16] = &[VERSION];
/// Length of the file header.
pub const HEADER_LEN: usize = 24;
/// Length of a frame's fixed part, before the payload.
pub const FRAME_HEADER_LEN: usize = 20;
/// The largest frame: fixed part plus the largest payload.
pub const MAX_FRAME_LEN: usize = FRAME_HEADER_LEN + MAX_PAYLOAD_LEN;
/// The largest single append a writer makes: one frame (each record is
/// written and synced on its own). A torn tail is never longer than this.
pub const MAX_APPEND_LEN: usize = MAX_FRAME_LEN;

/// The decoded file header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Header {
    /// Format version (one of [`READ_VERSIONS`] once parsed).
    pub version: u16,
    /// When the journal was created (Unix milliseconds).
    pub created_wall_ms: i64,
    /// CRC of the header: the first record links to it.
    pub crc: u32,
}

/// Why the first bytes are not a header this version can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// Fewer bytes than a header.
    Short {
        /// How many there are.
        len: usize,
    },
    /// Not the provision-journal magic.
    BadMagic,
    /// A version this crate does not know.
    Version {
        /// The version found.
        found: u16,
    },
    /// Flags this version does not know.
    Flags {
        /// The flags found.
        found: u16,
    },
    /// The header's checksum does not match.
    Crc,
}

/// Builds the header of a new journal.
pub fn encode_header(created_wall_ms: i64) -> [u8; HEADER_LEN] {
    let mut bytes = [0u8; HEADER_LEN];
    bytes[0..8].copy_from_slice(&MAGIC);
    bytes[8..10].copy_from_slice(&VERSION.to_le_bytes());
    bytes[12..20].copy_from_slice(&created_wall_ms.to_le_bytes());
    let crc = crc32fast::hash(&bytes[..20]);
    bytes[20..24].copy_from_slice(&crc.to_le_bytes());
    bytes
}

/// Parses a header. The version is checked before the checksum, so a
/// journal from a newer version is refused as such, not as corrupt.
pub fn parse_header(bytes: &[u8]) -> Result<Header, HeaderProblem> {
    if bytes.len() < HEADER_LEN {
        return Err(HeaderProblem::Short { len: bytes.len() });
    }
    if bytes[0..8] != MAGIC {
        return Err(HeaderProblem::BadMagic);
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if !READ_VERSIONS.contains(&version) {
        return Err(HeaderProblem::Version { found: version });
    }
    let flags = u16::from_le_bytes([bytes[10], bytes[11]]);
    let crc = u32::from_le_bytes(bytes[20..24].try_into().expect("4 bytes"));
    if crc32fast::hash(&bytes[..20]) != crc {
        return Err(HeaderProblem::Crc);
    }
    if flags != 0 {
        return Err(HeaderProblem::Flags { found: flags });
    }
    Ok(Header {
        version,
        created_wall_ms: i64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes")),
        crc,
    })
}

/// The fixed part of a frame, as read (not yet checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// Stored CRC over everything after this field.
    pub crc: u32,
    /// Payload length.
    pub len: u32,
    /// Sequence number.
    pub seq: u64,
    /// CRC of the previous frame (the header's for the first).
    pub prev: u32,
}

impl FrameHeader {
    /// Reads the fixed part from the first [`FRAME_HEADER_LEN`] bytes.
    pub fn parse(bytes: &[u8; FRAME_HEADER_LEN]) -> Self {
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        FrameHeader {
            crc: u32_at(0),
            len: u32_at(4),
            seq: u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes")),
            prev: u32_at(16),
        }
    }

    /// Whether the length is one a writer could have written.
    pub fn len_in_bounds(&self) -> bool {
        self.len > 0 && self.len as usize <= MAX_PAYLOAD_LEN
    }
}

/// Computes the CRC a frame must carry: over bytes 4.. of the fixed part and
/// the payload.
pub fn frame_crc(fixed: &[u8; FRAME_HEADER_LEN], payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&fixed[4..]);
    hasher.update(payload);
    hasher.finalize()
}

/// Builds a whole frame around `payload` (whose length the caller bounded).
pub fn encode_frame(seq: u64, prev: u32, payload: &[u8]) -> Vec<u8> {
    debug_assert!(!payload.is_empty() && payload.len() <= MAX_PAYLOAD_LEN);
    let mut fixed = [0u8; FRAME_HEADER_LEN];
    fixed[4..8].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    fixed[8..16].copy_from_slice(&seq.to_le_bytes());
    fixed[16..20].copy_from_slice(&prev.to_le_bytes());
    let crc = frame_crc(&fixed, payload);
    fixed[0..4].copy_from_slice(&crc.to_le_bytes());
    let mut frame = Vec::with_capacity(FRAME_HEADER_LEN + payload.len());
    frame.extend_from_slice(&fixed);
    frame.extend_from_slice(payload);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_checks_version_before_crc() {
        let bytes = encode_header(1_700_000_000_000);
        let header = parse_header(&bytes).unwrap();
        assert_eq!(header.created_wall_ms, 1_700_000_000_000);
        let mut future = bytes;
        future[8] = 2;
        assert_eq!(
            parse_header(&future),
            Err(HeaderProblem::Version { found: 2 })
        );
        let mut flipped = bytes;
        flipped[13] ^= 1;
        assert_eq!(parse_header(&flipped), Err(HeaderProblem::Crc));
        assert_eq!(
            parse_header(&bytes[..3]),
            Err(HeaderProblem::Short { len: 3 })
        );
        assert_eq!(parse_header(&[0; 24]), Err(HeaderProblem::BadMagic));
    }

    #[test]
    fn frame_crc_covers_length_sequence_link_and_payload() {
        let frame = encode_frame(5, 0xdead_beef, b"payload");
        let fixed: [u8; FRAME_HEADER_LEN] = frame[..FRAME_HEADER_LEN].try_into().unwrap();
        let header = FrameHeader::parse(&fixed);
        assert_eq!((header.len, header.seq, header.prev), (7, 5, 0xdead_beef));
        assert_eq!(header.crc, frame_crc(&fixed, &frame[FRAME_HEADER_LEN..]));
        for at in 4..frame.len() {
            let mut bad = frame.clone();
            bad[at] ^= 0x10;
            let fixed: [u8; FRAME_HEADER_LEN] = bad[..FRAME_HEADER_LEN].try_into().unwrap();
            assert_ne!(header.crc, frame_crc(&fixed, &bad[FRAME_HEADER_LEN..]));
        }
    }
}
