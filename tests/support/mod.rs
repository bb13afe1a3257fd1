//! What every kind of test shares, one helper per job: when golden files
//! are rewritten (`golden`), which exit statuses the binary defines
//! (`exit_statuses`), and how a test that cannot run here says so
//! (`skip`).

#![allow(dead_code)]

pub mod exit_statuses;
pub mod golden;
pub mod skip;
