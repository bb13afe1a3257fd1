//! The model: what a record says, which record may follow which, and the
//! state the records replay to (`spec/STATES.md`). Pure: no I/O, no clock,
//! no bytes. Every other layer stands on it, and on its words for counts
//! (`words`).

pub mod event;
pub mod stage;
pub mod state;
pub mod text;
pub mod transition;
pub(crate) mod words;
