//! The record payload encoding: bincode 2.0.1, configured in exactly one
//! place.
//!
//! The configuration is little-endian with fixed-width integers, so every
//! field has the width `spec/FORMAT.md` gives it: `u32`/`u64`/`i64` take 4/8/8
//! bytes, an enum is its `u32` variant index, an `Option` a `u8` tag, a
//! string a `u64` length and its UTF-8 bytes, a byte array its bytes. The
//! golden files in `tests/golden/` pin these bytes, so a change of crate or
//! configuration that moved a single byte fails the tests.

use serde::{Deserialize, Serialize};

use crate::model::event::{BootId, Event, Stamp};

/// The largest payload a record may carry, in bytes. Checked before any
/// allocation when reading.
pub const MAX_PAYLOAD_LEN: usize = 512;

/// The bincode configuration of every payload.
fn config() -> impl bincode::config::Config {
    bincode::config::standard()
        .with_little_endian()
        .with_fixed_int_encoding()
        .with_limit::<MAX_PAYLOAD_LEN>()
}

/// The payload of one record: its stamp, then its event.
#[derive(Serialize, Deserialize)]
struct Payload {
    boot_id: BootId,
    wall_ms: i64,
    mono_ns: u64,
    event: Event,
}

/// Why a payload could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The payload would exceed `MAX_PAYLOAD_LEN` (512 bytes).
    #[error("the record would be {len} bytes, more than the {MAX_PAYLOAD_LEN} allowed")]
    TooLarge {
        /// The length it would have had (at least).
        len: usize,
    },
    /// The bytes are not a payload of this format version.
    #[error("undecodable payload: {detail}")]
    Undecodable {
        /// What bincode said.
        detail: String,
    },
    /// The payload decoded but bytes were left over.
    #[error("payload has {extra} trailing bytes")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
}

/// Encodes a stamp and an event as a record payload.
pub fn encode(stamp: &Stamp, event: &Event) -> Result<Vec<u8>, CodecError> {
    let payload = Payload {
        boot_id: stamp.boot_id,
        wall_ms: stamp.wall_ms,
        mono_ns: stamp.mono_ns,
        event: event.clone(),
    };
    let bytes = bincode::serde::encode_to_vec(&payload, config()).map_err(|error| {
        CodecError::Undecodable {
            detail: error.to_string(),
        }
    })?;
    if bytes.len() > MAX_PAYLOAD_LEN {
        return Err(CodecError::TooLarge { len: bytes.len() });
    }
    Ok(bytes)
}

/// Decodes a record payload; every byte must be used.
pub fn decode(bytes: &[u8]) -> Result<(Stamp, Event), CodecError> {
    let (payload, used): (Payload, usize) = bincode::serde::decode_from_slice(bytes, config())
        .map_err(|error| CodecError::Undecodable {
            detail: error.to_string(),
        })?;
    if used != bytes.len() {
        return Err(CodecError::TrailingBytes {
            extra: bytes.len() - used,
        });
    }
    let stamp = Stamp {
        boot_id: payload.boot_id,
        wall_ms: payload.wall_ms,
        mono_ns: payload.mono_ns,
    };
    Ok((stamp, payload.event))
}

/// The stamp of a payload whose event may be of a kind this version does
/// not know, and the event's variant index. For `dump`, which shows unknown
/// kinds instead of failing on them.
pub fn decode_stamp(bytes: &[u8]) -> Option<(Stamp, u32)> {
    let boot: [u8; 16] = bytes.get(0..16)?.try_into().ok()?;
    let wall = i64::from_le_bytes(bytes.get(16..24)?.try_into().ok()?);
    let mono = u64::from_le_bytes(bytes.get(24..32)?.try_into().ok()?);
    let kind = u32::from_le_bytes(bytes.get(32..36)?.try_into().ok()?);
    Some((
        Stamp {
            boot_id: BootId(boot),
            wall_ms: wall,
            mono_ns: mono,
        },
        kind,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::{RebootReason, Sha256};
    use crate::model::stage::Stage;

    fn stamp() -> Stamp {
        Stamp {
            boot_id: BootId([0x11; 16]),
            wall_ms: 0x0102_0304_0506_0708,
            mono_ns: 9,
        }
    }

    #[test]
    fn layout_is_the_one_the_spec_writes_out() {
        let bytes = encode(
            &stamp(),
            &Event::StageBegan {
                stage: Stage::Disks,
            },
        )
        .unwrap();
        let mut expected = vec![0x11; 16];
        expected.extend([8, 7, 6, 5, 4, 3, 2, 1]);
        expected.extend([9, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend([4, 0, 0, 0]); // Event::StageBegan
        expected.extend([3, 0, 0, 0]); // Stage::Disks
        assert_eq!(bytes, expected);

        let bytes = encode(
            &stamp(),
            &Event::RebootPlanned {
                reason: RebootReason::Other("ab".into()),
            },
        )
        .unwrap();
        assert_eq!(
            &bytes[32..],
            &[7, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, b'a', b'b']
        );

        let bytes = encode(
            &stamp(),
            &Event::ConfigFetched {
                sha256: Sha256([0xab; 32]),
            },
        )
        .unwrap();
        assert_eq!(bytes.len(), 32 + 4 + 32);
    }

    #[test]
    fn round_trips_and_rejects_trailing_bytes() {
        let event = Event::StageFailed {
            stage: Stage::Files,
            reason: "exit status 1".into(),
        };
        let mut bytes = encode(&stamp(), &event).unwrap();
        assert_eq!(decode(&bytes), Ok((stamp(), event)));
        assert_eq!(decode_stamp(&bytes), Some((stamp(), 6)));
        bytes.push(0);
        assert_eq!(decode(&bytes), Err(CodecError::TrailingBytes { extra: 1 }));
    }

    #[test]
    fn oversized_text_is_refused_not_truncated_silently() {
        let event = Event::Reset {
            reason: "x".repeat(MAX_PAYLOAD_LEN),
        };
        assert!(matches!(
            encode(&stamp(), &event),
            Err(CodecError::TooLarge { .. })
        ));
    }

    #[test]
    fn unknown_event_kind_is_undecodable() {
        let mut bytes = encode(&stamp(), &Event::Completed).unwrap();
        bytes[32] = 200;
        assert!(matches!(
            decode(&bytes),
            Err(CodecError::Undecodable { .. })
        ));
    }
}
