//! Every JSON document the command-line tests get from `dump --json`,
//! `status --json` and `config --json` is kept as a sample, so that
//! `tests/json-schema.py` (run by `.ci/run` after `cargo test`) validates
//! each against `spec/provision-journal.schema.json` with a real JSON
//! Schema validator. The tests themselves only check the fields they are
//! about; the schema checks every field of every output they saw.
//!
//! Samples go to `json-samples/COMMAND/` under cargo's temporary directory
//! for integration tests (`target/tmp/`), one file per run of the binary,
//! named after the test binary, the test and a counter, so that a rerun
//! overwrites its own samples.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Where the samples of `command` (`dump`, `status`, `config`) go.
pub fn dir(command: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("json-samples")
        .join(command)
}

/// Runs `command` and keeps its standard output as a sample when it is a
/// JSON report.
pub fn output(command: &mut Command) -> Output {
    let output = command.output().expect("the binary runs");
    record(command.get_args(), &output.stdout);
    output
}

/// Keeps `stdout` as a sample if `args` ask for a JSON report (`--json`
/// with `dump`, `status` or `config`) and it printed anything.
pub fn record<'a>(args: impl IntoIterator<Item = &'a OsStr>, stdout: &[u8]) {
    let args: Vec<&OsStr> = args.into_iter().collect();
    if stdout.is_empty() || !args.iter().any(|arg| *arg == "--json") {
        return;
    }
    let Some(command) = args
        .iter()
        .filter_map(|arg| arg.to_str())
        .find(|arg| ["dump", "status", "config"].contains(arg))
    else {
        return;
    };
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let test = std::thread::current()
        .name()
        .unwrap_or("main")
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_");
    let dir = dir(command);
    std::fs::create_dir_all(&dir).expect("the samples' directory can be made");
    let name = format!(
        "{}.{test}.{}.json",
        env!("CARGO_CRATE_NAME"),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    std::fs::write(dir.join(name), stdout).expect("a sample can be written");
}

/// [`output`] as a method, for a command built in place.
pub trait RecordedOutput {
    /// Runs the command, keeping a JSON report as a sample.
    fn recorded_output(&mut self) -> Output;
}

impl RecordedOutput for Command {
    fn recorded_output(&mut self) -> Output {
        output(self)
    }
}
