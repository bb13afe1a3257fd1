//! The journal: the file, replayed through the transition function on open
//! and appended to durably one record at a time; the clock that stamps its
//! records; and the hooks a provisioning boot calls on it.

pub mod clock;
mod file;
pub mod hooks;

pub use self::file::Journal;
