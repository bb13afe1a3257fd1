//! Arbitrary hook sequences, crash points and tearings: see
//! `provision_journal::fuzzing::crash_recovery`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| provision_journal::fuzzing::crash_recovery(data));
