//! `keep-log` and the failure log beside the journal, with the real binary:
//! bound to the record the boot stopped on, bounded, 0600, shown by
//! `dump`, removed by `reset`, switched off by the configuration; a
//! refusal never replaces a failure's log; and whatever happens to the
//! log, the journal and the next verdict stay as they were.

mod cli_common;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use cli_common::{Boot, FULL_SEQUENCE, Run, Scratch, bytes, json_samples};

/// Runs `keep-log` as `boot`, the log on standard input.
fn keep_log(boot: &Boot, journal: &Path, log: &[u8], env: &[(&str, &str)]) -> Run {
    let mut command = boot.command(journal, &["keep-log"]);
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A call that keeps nothing (switched off, refused) exits without
    // reading: what it did not read is no failure of the test.
    match child.stdin.take().unwrap().write_all(log) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        written => written.unwrap(),
    }
    Run::from(child.wait_with_output().unwrap())
}

fn log_path(journal: &Path) -> PathBuf {
    journal.with_file_name("provision-journal.failure-log")
}

/// A first boot that fails in `files`, past the red line.
fn failed_in_files(journal: &Path) -> Boot {
    let boot = Boot::first(1);
    boot.run(journal, &["check"]).expect(0);
    for hook in &FULL_SEQUENCE[..8] {
        boot.run(journal, hook).expect(0);
    }
    boot.run(journal, &["fail", "files", "--reason", "exit status 1"])
        .expect(0);
    boot
}

fn dump_json(journal: &Path) -> serde_json::Value {
    let run = Run::from(json_samples::output(
        &mut Boot::first(9).command(journal, &["dump", "--json"]),
    ))
    .expect(0);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn a_failed_stage_keeps_the_end_of_its_log_and_dump_shows_it() {
    let scratch = Scratch::new("failure-log");
    let journal = scratch.path.join("provision-journal");
    let boot = failed_in_files(&journal);
    let before = bytes(&journal).unwrap();
    let mut log = Vec::new();
    for line in 0..20_000 {
        writeln!(log, "ignition[612]: files: line {line}").unwrap();
    }
    log.extend_from_slice(b"ignition[612]: files: op(3): [failed] writing \x1b[31m/etc/x\n");
    let run = keep_log(&boot, &journal, &log, &[]).expect(0);
    assert!(
        run.stdout.contains("for record #9 (stage failed)"),
        "{run:?}"
    );
    assert_eq!(
        bytes(&journal).unwrap(),
        before,
        "keep-log wrote the journal"
    );

    let file = log_path(&journal);
    let metadata = std::fs::metadata(&file).unwrap();
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    assert!(metadata.len() <= 64 * 1024 + 256, "{}", metadata.len());
    let leftovers: Vec<_> = std::fs::read_dir(&scratch.path)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let dump = Boot::first(9).run(&journal, &["dump"]).expect(0);
    assert!(dump.stdout.contains("FAILURE LOG"), "{}", dump.stdout);
    assert!(
        dump.stdout
            .contains("for record #9 of this journal: stage failed (files)")
    );
    assert!(
        dump.stdout
            .contains("  | ignition[612]: files: op(3): [failed] writing \\u{1b}[31m/etc/x")
    );
    assert!(
        !dump.stdout.contains("line 0\n"),
        "the start of the log was kept"
    );
    let document = dump_json(&journal);
    let kept = &document["failure_log"];
    assert_eq!(kept["seq"], 9);
    assert_eq!(kept["bound"], true);
    assert_eq!(kept["stage"], "files");
    assert_eq!(kept["total_bytes"], log.len());
    assert!(kept["text"].as_str().unwrap().ends_with("/etc/x\n"));

    // The next boot is refused; its stop does not replace the failure's log.
    let next = Boot::first(2);
    next.run(&journal, &["check"]).expect(11);
    let run = keep_log(&next, &journal, b"the refused boot's log\n", &[]).expect(0);
    assert!(run.stdout.contains("nothing was kept"), "{run:?}");
    assert_eq!(dump_json(&journal)["failure_log"]["seq"], 9);

    // reset removes it.
    let operator = Boot::with_cmdline(3, "quiet");
    let reset = operator
        .run(&journal, &["reset", "--reason", "files checked"])
        .expect(0);
    assert!(
        reset.stdout.contains("removed the failure log"),
        "{reset:?}"
    );
    assert!(!file.exists());
    assert!(dump_json(&journal).get("failure_log").is_none());
}

#[test]
fn a_stop_by_check_keeps_a_log_when_the_attempt_has_none() {
    let scratch = Scratch::new("failure-log-stop");
    let journal = scratch.path.join("provision-journal");
    let first = Boot::first(1);
    first.run(&journal, &["check"]).expect(0);
    for hook in &FULL_SEQUENCE[..4] {
        first.run(&journal, hook).expect(0);
    }
    // Interrupted during disks: the next boot's check poisons the attempt.
    let second = Boot::first(2);
    second.run(&journal, &["check"]).expect(10);
    keep_log(&second, &journal, b"check: fatal interruption\n", &[]).expect(0);
    let kept = &dump_json(&journal)["failure_log"];
    assert_eq!(kept["event"], "poisoned");
    assert_eq!(kept["seq"], 5);
    assert_eq!(kept["bound"], true);
    // A boot that stopped on nothing keeps nothing.
    let run = keep_log(&Boot::first(1), &journal, b"x\n", &[]).expect(0);
    assert!(
        run.stdout.contains("no record to keep a log for"),
        "{run:?}"
    );
}

#[test]
fn switched_off_nothing_is_kept() {
    let scratch = Scratch::new("failure-log-off");
    let journal = scratch.path.join("provision-journal");
    let conf = scratch.path.join("off.conf");
    std::fs::write(&conf, "[FailureLog]\nKeep=no\n").unwrap();
    let boot = failed_in_files(&journal);
    let conf = conf.to_str().unwrap();
    let run = keep_log(
        &boot,
        &journal,
        b"log\n",
        &[("PROVISION_JOURNAL_CONF", conf)],
    )
    .expect(0);
    assert!(run.stdout.contains("switched off"), "{run:?}");
    assert!(!log_path(&journal).exists());
}

#[test]
fn a_log_that_cannot_be_kept_or_is_torn_changes_nothing_the_journal_decides() {
    let scratch = Scratch::new("failure-log-crash");
    let journal = scratch.path.join("provision-journal");
    let boot = failed_in_files(&journal);
    // What the journal decides: the status but for the failure log it
    // names (which a log that is not bound to a record leaves out of the
    // advice).
    let verdict = |journal: &Path| {
        let stdout = Boot::first(2)
            .run(journal, &["status", "--json"])
            .expect(0)
            .stdout;
        let mut status: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        status.as_object_mut().unwrap().remove("failure_log");
        status
    };
    let before = (bytes(&journal).unwrap(), verdict(&journal));

    // A log that cannot be written (a directory in its place) fails
    // `keep-log` and changes nothing the journal decides.
    let file = log_path(&journal);
    std::fs::create_dir(&file).unwrap();
    std::fs::write(file.join("inside"), b"keeps the directory from going").unwrap();
    let run = keep_log(&boot, &journal, b"log\n", &[]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("failure log"), "{run:?}");
    assert_eq!((bytes(&journal).unwrap(), verdict(&journal)), before);
    std::fs::remove_dir_all(&file).unwrap();
    keep_log(&boot, &journal, b"the log\n", &[]).expect(0);

    // A torn log is shown as such, and decides nothing.
    let whole = std::fs::read(&file).unwrap();
    std::fs::write(&file, &whole[..whole.len() - 2]).unwrap();
    assert_eq!((bytes(&journal).unwrap(), verdict(&journal)), before);
    let dump = Boot::first(9).run(&journal, &["dump"]).expect(0);
    assert!(
        dump.stdout.contains("cannot be read as a failure log"),
        "{}",
        dump.stdout
    );
    assert!(dump.stdout.contains("not whole"), "{}", dump.stdout);
    assert_eq!(dump_json(&journal)["failure_log"]["bound"], false);
    // reset removes it all the same.
    Boot::with_cmdline(3, "quiet")
        .run(&journal, &["reset", "--reason", "checked"])
        .expect(0);
    assert!(!file.exists());
}

/// A boot a failed call stopped (`fetched` with no config to read) keeps
/// its log for that call's record, as a failed stage's boot does.
#[test]
fn a_failed_call_keeps_its_log_like_a_failed_stage() {
    let scratch = Scratch::new("failure-log-call");
    let journal = scratch.path.join("provision-journal");
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    let missing = scratch.path.join("ignition.json");
    boot.run(
        &journal,
        &["fetched", "--config", missing.to_str().unwrap()],
    )
    .expect(53);
    let run = keep_log(&boot, &journal, b"ignition: no config\n", &[]).expect(0);
    assert!(
        run.stdout.contains("for record #1 (call failed)"),
        "{run:?}"
    );
    let document = dump_json(&journal);
    assert_eq!(
        document["failure_log"]["event"], "call_failed",
        "{document}"
    );
    assert_eq!(document["failure_log"]["bound"], true, "{document}");
}
