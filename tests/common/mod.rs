//! Test scaffolding: the simulated machine whose boots drive the real
//! journal code through the in-memory storage, the way the stage hooks do
//! (`provision_journal::fuzzing::Machine`, which the crash exploration and
//! the fuzz bodies boot too).

#![allow(dead_code, unused_imports)]

pub use provision_journal::fuzzing::{CONFIG, Machine, OTHER_CONFIG, START_MS};
