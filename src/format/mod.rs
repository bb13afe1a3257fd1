//! The format: the journal's bytes as `spec/FORMAT.md` draws them (the
//! header, each record's frame, its payload), reading them back from the
//! storage one window at a time, the one rule that tells a torn tail from
//! corruption, the red line counted in bytes, and the errors of reading and
//! writing a journal.

pub mod codec;
pub mod error;
pub mod frame;
pub mod red_line;
pub mod scan;
pub mod window;
