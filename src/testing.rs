//! The journal's format internals that tests need to craft and read files
//! byte by byte (with the `testing` feature only; not part of the shipped
//! API). Everything else a test needs is public, or in [`crate::fuzzing`]
//! and [`crate::storage`]'s fault injection.

pub use crate::codec::{MAX_PAYLOAD_LEN, decode_stamp, encode as encode_payload};
pub use crate::frame::{FRAME_HEADER_LEN, HEADER_LEN, MAGIC, encode_frame, encode_header};
pub use crate::report::escape::is_unsafe;
pub use crate::scan::{End, ScannedRecord, Scanner};
pub use crate::transition::replay;
