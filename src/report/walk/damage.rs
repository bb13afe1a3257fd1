//! Damage where trust in a journal ends, and what it is in words.

use crate::format::codec::CodecError;
use crate::format::error::{Corruption, JournalError};
use crate::storage::Storage;

use super::kinds::{EVENT_KINDS, kind_name};
use crate::format::window::Window;

/// Damage where trust in a journal ends.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Damage {
    /// Where it is.
    pub offset: u64,
    /// What it is.
    pub problem: Corruption,
    /// What it is, in words (`describe_corruption`).
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
            "record {seq} cannot be decoded: {} {} its fields (a newer version's fields, or damage)",
            crate::model::words::count(*extra as u64, "byte"),
            crate::model::words::agreeing(*extra as u64, "follows", "follow")
        ),
        (CodecError::TooLarge { .. }, _) => problem.to_string(),
    }
}

/// Bytes at the start of a payload that name its boot, times and event
/// kind ([`crate::format::codec::decode_stamp`]).
const STAMP_AND_KIND_LEN: usize = 16 + 8 + 8 + 4;

/// The damage at `offset`, with the kind its record names if it is a
/// record this version cannot decode.
pub(crate) fn damage<S: Storage + ?Sized>(
    storage: &mut S,
    offset: u64,
    problem: Corruption,
    file_len: u64,
) -> Result<Damage, JournalError> {
    use crate::format::frame::FRAME_HEADER_LEN;
    let kind = match problem {
        Corruption::Undecodable { .. } => {
            let mut window = Window::default();
            let payload = window.get(
                storage,
                offset + FRAME_HEADER_LEN as u64,
                STAMP_AND_KIND_LEN,
                file_len,
            )?;
            crate::format::codec::decode_stamp(payload).map(|(_, kind)| kind)
        }
        _ => None,
    };
    Ok(Damage {
        offset,
        words: describe_corruption(&problem, kind),
        problem,
    })
}
