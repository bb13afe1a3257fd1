//! The test machinery (with the `testing` feature only; not part of the
//! shipped API): the fuzz targets' bodies and the simulated machine
//! ([`fuzzing`]), and the journal's format internals that tests need to
//! craft and read files byte by byte. The fault injection and crash states
//! of the in-memory storage are in [`crate::storage`].

pub mod fuzzing;

pub use crate::classify::context::REFUSED_BOOTS_RECORDED;
pub use crate::format::codec::{MAX_PAYLOAD_LEN, decode_stamp, encode as encode_payload};
pub use crate::format::frame::{FRAME_HEADER_LEN, HEADER_LEN, MAGIC, encode_frame, encode_header};
pub use crate::format::red_line::{CROSSING_SEARCH_STATES, min_bytes_to_cross_red_line};
pub use crate::format::scan::{End, ScannedRecord, Scanner};
pub use crate::model::text::clip_text;
pub use crate::model::transition::replay;
pub use crate::report::escape::is_unsafe;
