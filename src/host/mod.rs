//! The host: what the distribution and the running system say. The
//! configuration files, the boot (its ID, kernel command line, first-boot
//! stamp, whether it is a live system), and a boot file system that a stage
//! recreated, from which the journal is put back.

pub mod boot_context;
pub mod config;
pub mod recreated;
