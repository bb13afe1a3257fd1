//! A stdout that cannot be written never makes the binary panic: a hook
//! whose record is durable still succeeds, a report read by a pipe that
//! closes early (`dump | head`) ends with the journal's own status, and any
//! other write error of a report is exit 40.

mod cli_common;

use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Stdio;

use cli_common::json_samples::RecordedOutput;
use cli_common::{Boot, FULL_SEQUENCE, Run, Scratch, bytes};

/// A stdout whose reader is already gone: every write fails with EPIPE.
fn closed_pipe() -> Stdio {
    let (writer, reader) = UnixStream::pair().unwrap();
    drop(reader);
    Stdio::from(OwnedFd::from(writer))
}

/// A stdout on which every write fails with ENOSPC.
fn full_device() -> Stdio {
    Stdio::from(File::options().write(true).open("/dev/full").unwrap())
}

fn run_with_stdout(journal: &Path, args: &[&str], stdout: Stdio) -> Run {
    // `simulate` takes no journal.
    let mut command = match args.first() {
        Some(&"simulate") => std::process::Command::new(cli_common::BIN),
        _ => Boot::first(1).command(journal, &[]),
    };
    let output = command.args(args).stdout(stdout).recorded_output();
    Run::from(output)
}

#[track_caller]
fn no_panic(run: &Run) {
    assert!(!run.stderr.contains("panicked"), "{run:#?}");
    assert_ne!(run.code, 101, "{run:#?}");
}

#[test]
fn hooks_keep_their_record_and_status_when_stdout_is_unwritable() {
    let scratch = Scratch::new("hook-stdout");
    let journal = scratch.path.join("provision-journal");
    let hooks: Vec<&[&str]> = [&["check"][..]]
        .into_iter()
        .chain(FULL_SEQUENCE.iter().copied().take(3))
        .collect();
    for (n, hook) in hooks.into_iter().enumerate() {
        let before = bytes(&journal).map_or(0, |bytes| bytes.len());
        let stdout = if n % 2 == 0 {
            full_device()
        } else {
            closed_pipe()
        };
        let run = run_with_stdout(&journal, hook, stdout);
        no_panic(&run);
        assert_eq!(run.code, 0, "{hook:?}: {run:#?}");
        assert_eq!(run.stderr, "", "{hook:?}");
        let after = bytes(&journal).unwrap().len();
        assert!(after > before, "{hook:?} recorded nothing");
    }
    // The records are all there: the sequence goes on where it stopped.
    Boot::first(1).run(&journal, &["begin", "disks"]).expect(0);
}

/// A journal of one whole first boot, and a copy of it with a torn tail.
fn journals(scratch: &Scratch) -> (std::path::PathBuf, std::path::PathBuf) {
    let clean = scratch.path.join("provision-journal");
    cli_common::provision(&Boot::first(1), &clean);
    let torn = scratch.path.join("torn");
    let mut torn_bytes = bytes(&clean).unwrap();
    torn_bytes.extend_from_slice(&[0x11; 9]);
    std::fs::write(&torn, torn_bytes).unwrap();
    (clean, torn)
}

#[test]
fn reports_end_at_a_closed_pipe_with_the_journals_status() {
    let scratch = Scratch::new("report-pipe");
    let (clean, torn) = journals(&scratch);
    let cases: [(&Path, &[&str], i32); 7] = [
        (&clean, &["status"], 0),
        (&clean, &["status", "--json"], 0),
        (&clean, &["dump"], 0),
        (&torn, &["dump"], 24),
        (&torn, &["dump", "--json"], 24),
        (&clean, &["simulate"], 0),
        (&clean, &["simulate", "--cut-at", "after-complete"], 0),
    ];
    for (journal, args, code) in cases {
        let run = run_with_stdout(journal, args, closed_pipe());
        no_panic(&run);
        assert_eq!(run.code, code, "{args:?}: {run:#?}");
        assert_eq!(run.stderr, "", "{args:?}");
    }
}

#[test]
fn reports_that_cannot_be_written_exit_40() {
    let scratch = Scratch::new("report-full");
    let (clean, torn) = journals(&scratch);
    let cases: [(&Path, &[&str]); 6] = [
        (&clean, &["status"]),
        (&clean, &["status", "--json"]),
        (&clean, &["dump"]),
        (&torn, &["dump", "--json"]),
        (&clean, &["simulate"]),
        (&clean, &["simulate", "--cut-at", "before-check"]),
    ];
    for (journal, args) in cases {
        let run = run_with_stdout(journal, args, full_device());
        no_panic(&run);
        assert_eq!(run.code, 40, "{args:?}: {run:#?}");
        assert!(
            run.stderr.contains("failed to write the report"),
            "{args:?}: {run:#?}"
        );
    }
}
