//! Arbitrary bytes as a journal: see `provision_journal::fuzzing::decode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| provision_journal::fuzzing::decode(data));
