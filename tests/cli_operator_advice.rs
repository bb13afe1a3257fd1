//! The words that send an operator somewhere never send them to provision a
//! machine twice: `reset` is right only once the disks are back to their
//! state before provisioning, so every line too short to weigh that points
//! to `status`, and the advice that does weigh it names both ways out.

mod cli_common;

use cli_common::{Boot, Scratch, provision};
use std::path::Path;

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A journal whose first boot was cut during `disks`.
fn cut_in_disks(journal: &Path) {
    let boot = Boot::first(1);
    boot.run(journal, &["check"]).expect(0);
    for hook in &cli_common::FULL_SEQUENCE[..4] {
        boot.run(journal, hook).expect(0);
    }
}

/// `status --json`'s explanation of the next check: the line that heads
/// `next check:` and `Decision:`.
fn explanation(journal: &Path) -> String {
    let run = Boot::first(99).run(journal, &["status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    status["explanation"].as_str().unwrap().to_owned()
}

/// The one line `check` prints before emergency mode, and the verdict's
/// line in `status` and `dump`, for each verdict that stops provisioning:
/// none of them tells an operator to run `reset`, each points to `status`.
#[test]
fn the_short_verdict_lines_point_to_status_never_to_reset() {
    let scratch = Scratch::new("short-lines");
    let stopped = scratch.path.join("stopped");
    cut_in_disks(&stopped);
    let fatal = Boot::first(2).run(&stopped, &["check"]).expect(10);
    let poisoned = Boot::first(3).run(&stopped, &["check"]).expect(11);
    let stopped_explanation = explanation(&stopped);

    let complete = scratch.path.join("complete");
    provision(&Boot::first(1), &complete);
    let completed = Boot::first(2).run(&complete, &["check"]).expect(12);
    let complete_explanation = explanation(&complete);

    for line in [
        flat(&fatal.stdout),
        flat(&poisoned.stdout),
        flat(&completed.stdout),
        stopped_explanation,
        complete_explanation,
    ] {
        assert!(!line.contains("provision-journal reset"), "{line}");
        assert!(
            line.contains("`provision-journal status` says what to do"),
            "{line}"
        );
    }
    // The reports under those lines still name both ways out.
    for journal in [&stopped, &complete] {
        let run = Boot::first(99).run(journal, &["status"]).expect(0);
        let text = flat(&run.stdout);
        assert!(text.contains("first-boot marker"), "{text}");
    }
}

fn help(args: &[&str]) -> String {
    let run = std::process::Command::new(cli_common::BIN)
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(run.status.success(), "{args:?} --help failed");
    flat(&String::from_utf8(run.stdout).unwrap())
}

/// `reset --help` (hence its man page) says when `reset` is right and when
/// the first-boot marker is removed instead; `check --help` says the same
/// of a boot it stopped; neither example reason suggests that checked
/// disks are enough.
#[test]
fn reset_and_check_help_say_when_to_reset_and_when_to_remove_the_marker() {
    for command in ["reset", "check"] {
        let text = help(&[command]);
        for says in [
            "wiped back to their state before provisioning",
            "remove the first-boot marker instead",
        ] {
            assert!(
                text.contains(says),
                "`{command} --help` does not say {says:?}: {text}"
            );
        }
        assert!(!text.contains("verified by hand"), "{text}");
    }
}

/// `status --json`'s advice, read with `extra` flags.
fn advice(journal: &Path, extra: &[&str]) -> String {
    let mut args = vec!["status", "--json"];
    args.extend_from_slice(extra);
    let run = Boot::first(99).run(journal, &args);
    let status: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(status["verdict"], "safe_retry", "{status}");
    status["advice"].as_str().unwrap().to_owned()
}

/// A stage that failed before the red line leaves its boot in emergency
/// mode: nothing goes on until someone reboots, and a cause that stays
/// spends the retry budget. The advice says so, names the restart and the
/// stage's log, and, once `kargs` began, does not offer the config as a
/// cause to fix (a different one would poison the attempt).
#[test]
fn a_failed_stage_before_the_red_line_says_to_reboot_and_fix_a_lasting_cause() {
    let scratch = Scratch::new("failed-before-red-line");
    let boot = Boot::first(1);

    let fetch = scratch.path.join("fetch");
    boot.run(&fetch, &["check"]).expect(0);
    boot.run(&fetch, &["fail", "fetch", "--reason", "x"])
        .expect(0);
    let text = advice(&fetch, &[]);
    cli_common::assert_says(
        &text,
        &[
            "emergency mode, where it stays until someone reboots it",
            "restart 1 of 5)",
            "fix its cause first (a wrong config URL, no network",
            "once it is spent the attempt is poisoned",
            "-u ignition-fetch.service`",
            &format!("journalctl -b {}", boot.id),
        ],
    );
    assert!(!text.contains("Nothing to do"), "{text}");

    let kargs = scratch.path.join("kargs");
    boot.run(&kargs, &["check"]).expect(0);
    for hook in &cli_common::FULL_SEQUENCE[..2] {
        boot.run(&kargs, hook).expect(0);
    }
    boot.run(&kargs, &["fail", "kargs", "--reason", "exit status 1"])
        .expect(0);
    let text = advice(&kargs, &[]);
    cli_common::assert_says(
        &text,
        &[
            "Stage kargs failed",
            "until someone reboots it",
            "not the config: stage kargs already ran under it",
            "-u ignition-kargs.service`",
        ],
    );
    assert!(!text.contains("Nothing to do"), "{text}");
    // With a budget of one restart, the next boot's is the last.
    let text = advice(&kargs, &["--max-retries", "1"]);
    assert!(
        text.contains("restart 1 of 1, the last one the retry budget allows"),
        "{text}"
    );
}

/// The message catalog's entry for `id`, its lines joined.
fn catalog_entry(id: &str) -> String {
    let catalog = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/dist/catalog/provision-journal.catalog"
    ))
    .unwrap();
    let (_, entry) = catalog
        .split_once(&format!("-- {id}\n"))
        .unwrap_or_else(|| panic!("no catalog entry {id}"));
    flat(entry.split("\n-- ").next().unwrap())
}

/// `journalctl -x` under an entry that stops provisioning names both ways
/// out, and the entry logged when a budget runs out says the disks need no
/// checking then; exit status 10 in `--help` names every way `check`
/// poisons the journal, as spec/CLI.md does.
#[test]
fn the_catalog_and_exit_status_10_name_every_case_and_both_ways_out() {
    let stage_failed = catalog_entry("1d76cfcfd4d445218bf53ace1a584f1e");
    let fatal = catalog_entry("09804d0f20a143d1adc7e3e15e1e8094");
    let poisoned = catalog_entry("92280bf30e684729a66d2211965ee409");
    for entry in [&stage_failed, &fatal, &poisoned] {
        cli_common::assert_says(
            entry,
            &[
                "Disks wiped back to their state before provisioning",
                "provision-journal reset --reason",
                "do not run `reset`",
                "Remove the first-boot marker instead",
            ],
        );
        assert!(!entry.contains("reinstall"), "{entry}");
    }
    assert!(
        stage_failed.contains("waits in emergency mode until someone reboots it"),
        "{stage_failed}"
    );
    for entry in [&fatal, &poisoned] {
        assert!(
            entry.contains("nothing on the disks needs checking"),
            "{entry}"
        );
    }

    let table = flat(&help(&[]));
    assert!(
        table.contains(
            "10 `check`: this boot found an interruption past the red line (or a torn tail that could hide the start of the disks stage), or the retry or planned-reboot budget spent, and poisoned the journal."
        ),
        "{table}"
    );
    let spec = flat(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/CLI.md")).unwrap(),
    );
    assert!(
        spec.contains("| 10 | `check`: fatal interruption — this boot found the attempt interrupted past the red line (or a torn tail that could hide the start of the disks stage), or the retry or planned-reboot budget spent, and poisoned the journal |"),
        "spec/CLI.md's exit status 10"
    );
}

/// `reset` where there is no journal (a reinstall rewrote the boot
/// partition) says so, not that an attempt is fresh, and creates nothing;
/// the advice that names `reset` does not offer a reinstall as a reason to
/// run it, nor the advice on a damaged journal a machine finished by hand
/// as one to move the journal away.
#[test]
fn reset_without_a_journal_says_there_is_none_and_a_reinstall_needs_no_reset() {
    let scratch = Scratch::new("reset-no-journal");
    let journal = scratch.path.join("provision-journal");
    let run = Boot::first(1)
        .run(&journal, &["reset", "--reason", "r"])
        .expect(30);
    let text = flat(&run.stderr);
    assert!(
        text.contains(&format!(
            "there is no journal at `{}`: nothing to reset (a reinstall leaves none; the next provisioning boot starts a new attempt)",
            journal.display()
        )),
        "{text}"
    );
    assert!(!text.contains("fresh"), "{text}");
    assert!(!journal.exists());

    cut_in_disks(&journal);
    Boot::first(2).run(&journal, &["check"]).expect(10);
    let run = Boot::first(3).run(&journal, &["status"]).expect(0);
    let text = flat(&run.stdout);
    assert!(
        text.contains("If you wipe the disks back to their state before provisioning, run `provision-journal reset"),
        "{text}"
    );
    assert!(!text.contains("(or reinstall)"), "{text}");

    // Damage inside the second record (`fetched`, at offset 88), so that
    // `begin disks` is salvaged: the advice on what to do if the machine
    // was not provisioned never moves the journal away from one finished
    // by hand.
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes[100..103].copy_from_slice(&[0xff; 3]);
    std::fs::write(&journal, &bytes).unwrap();
    let run = Boot::first(4)
        .run(&journal, &["status", "--json"])
        .expect(20);
    let status: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let advice = status["advice"].as_str().unwrap();
    assert!(advice.contains("past the red line"), "{advice}");
    assert!(
        !advice.contains("finish the disks by hand, or reinstall; then"),
        "{advice}"
    );
    assert!(
        advice.contains("finish it by hand and remove the marker as above"),
        "{advice}"
    );
}

/// A journal whose first boot ended after `end kargs` with a torn append
/// long enough to have been `begin disks`: `byte_count` zero bytes after
/// the last whole record (an append that extended the file and was cut).
fn torn_after_end_kargs(journal: &Path, byte_count: usize) {
    let boot = Boot::first(1);
    boot.run(journal, &["check"]).expect(0);
    for hook in &cli_common::FULL_SEQUENCE[..3] {
        boot.run(journal, hook).expect(0);
    }
    let mut bytes = std::fs::read(journal).unwrap();
    bytes.resize(bytes.len() + byte_count, 0);
    std::fs::write(journal, bytes).unwrap();
}

/// A torn append at the red line is a fatal interruption: the report of
/// the boot before it says its restart counted past the red line, not as a
/// safe retry, and the advice names only records that could follow the
/// last whole one (`end kargs`: a planned reboot, never `begin kargs`).
#[test]
fn a_torn_begin_disks_is_told_as_the_classifier_decided_it() {
    let scratch = Scratch::new("torn-begin-disks");
    let journal = scratch.path.join("journal");
    torn_after_end_kargs(&journal, 60);
    // Before the next boot: the torn tail is still there.
    let run = Boot::first(2).run(&journal, &["status"]).expect(0);
    let before = flat(&run.stdout);
    assert!(
        before.contains("fatal: the journal ends in 60 torn bytes"),
        "{before}"
    );
    // The next boot repairs the tail and poisons the attempt for it.
    Boot::first(2).run(&journal, &["check"]).expect(10);
    let run = Boot::first(3).run(&journal, &["status"]).expect(0);
    let after = flat(&run.stdout);
    for text in [&before, &after] {
        assert!(
            text.contains(
                "a torn append of `reboot`, which could follow the last whole record (#3) too"
            ),
            "{text}"
        );
        assert!(!text.contains("`begin kargs`"), "{text}");
    }

    let run = Boot::first(3).run(&journal, &["dump"]).expect(0);
    let dump = flat(&run.stdout);
    assert!(
        dump.contains("stops after `end kargs`, its next append torn: counted past the red line"),
        "{dump}"
    );
    assert!(
        dump.contains("counted the restart as past the red line and poisoned the attempt"),
        "{dump}"
    );
    assert!(!dump.contains("a restart is a safe retry"), "{dump}");
    let restart = unplanned_restart(&journal);
    assert_eq!(restart["torn_at_red_line"], true, "{restart}");
    assert_eq!(restart["after"], "end kargs", "{restart}");
}

/// The unplanned restart `dump --json` finds in `journal`.
fn unplanned_restart(journal: &Path) -> serde_json::Value {
    let run = Boot::first(3).run(journal, &["dump", "--json"]).expect(0);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    document["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|anomaly| anomaly["kind"] == "unplanned_restart")
        .expect("an unplanned restart")
        .clone()
}

/// A torn tail too short to hide `begin disks` is repaired and retried: the
/// restart before it stays a safe retry.
#[test]
fn a_short_torn_tail_leaves_the_restart_a_safe_retry() {
    let scratch = Scratch::new("torn-short");
    let journal = scratch.path.join("journal");
    torn_after_end_kargs(&journal, 8);
    Boot::first(2).run(&journal, &["check"]).expect(0);
    let restart = unplanned_restart(&journal);
    assert_eq!(restart["torn_at_red_line"], false, "{restart}");
    let run = Boot::first(3).run(&journal, &["dump"]).expect(0);
    assert!(
        flat(&run.stdout).contains("a restart is a safe retry"),
        "{}",
        run.stdout
    );
}

/// A `reset` from the emergency shell of the boot whose `check` refused
/// keeps that refusal in the overview: the boot was refused and poisoned,
/// then reset.
#[test]
fn a_reset_on_the_boot_that_refused_keeps_the_refusal_in_the_overview() {
    let scratch = Scratch::new("reset-same-boot");
    let journal = scratch.path.join("journal");
    cut_in_disks(&journal);
    let refusing = Boot::first(2);
    refusing.run(&journal, &["check"]).expect(10);
    refusing
        .run(&journal, &["reset", "--reason", "disks wiped"])
        .expect(0);
    let run = Boot::first(3)
        .run(&journal, &["status", "--json"])
        .expect(0);
    let status: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        status["boots_overview"], "#1 cut in disks; #2 refused, poisoned, then reset",
        "{status}"
    );
    let run = Boot::first(3).run(&journal, &["dump"]).expect(0);
    let line = run
        .stdout
        .lines()
        .find(|line| line.starts_with("#2 "))
        .expect("boot #2 in the overview");
    assert!(line.ends_with("  poisoned; reset"), "{line}");
    assert!(line.len() <= 80, "{line}");
}
