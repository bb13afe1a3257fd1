//! Arbitrary histories and boot contexts: see
//! `provision_journal::fuzzing::classify_history`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| provision_journal::fuzzing::classify_history(data));
