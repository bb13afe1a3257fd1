//! The verdicts the end-to-end tests do not reach on their own, through the
//! binary: the same boot, spent retry and reboot budgets, and a torn tail
//! long enough to hide the start of the disks stage.

mod cli_common;

use cli_common::{Boot, FULL_SEQUENCE, Scratch, bytes};

#[test]
fn check_twice_in_one_boot_records_nothing_new() {
    let scratch = Scratch::new("same-boot");
    let journal = scratch.path.join("provision-journal");
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    boot.run(&journal, FULL_SEQUENCE[0]).expect(0);
    let before = bytes(&journal);
    let run = boot.run(&journal, &["check"]).expect(0);
    assert!(
        run.stdout.contains("already under way on this boot"),
        "{run:#?}"
    );
    assert_eq!(bytes(&journal), before);
}

#[test]
fn unplanned_restarts_before_the_red_line_are_bounded() {
    let scratch = Scratch::new("retries");
    let journal = scratch.path.join("provision-journal");
    Boot::first(1).run(&journal, &["check"]).expect(0);
    for n in 2..=6 {
        let boot = Boot::first(n);
        let run = boot.run(&journal, &["check"]).expect(0);
        assert!(run.stdout.starts_with("safe retry"), "{run:#?}");
        boot.run(&journal, FULL_SEQUENCE[0]).expect(0);
    }
    let run = Boot::first(7).run(&journal, &["check"]).expect(10);
    assert!(run.stdout.contains("6 unplanned restarts"), "{run:#?}");
}

#[test]
fn planned_reboots_are_bounded() {
    let scratch = Scratch::new("reboots");
    let journal = scratch.path.join("provision-journal");
    let mut boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    for n in 2..=5 {
        boot.run(&journal, FULL_SEQUENCE[0]).expect(0);
        boot.run(&journal, &["reboot", "--reason", "fips"])
            .expect(0);
        boot = Boot::first(n);
        let run = boot.run(&journal, &["check"]).expect(0);
        assert!(run.stdout.starts_with("resume"), "{run:#?}");
    }
    boot.run(&journal, &["reboot", "--reason", "firmware update"])
        .expect(0);
    let run = Boot::first(6).run(&journal, &["check"]).expect(10);
    assert!(run.stdout.contains("a reboot loop"), "{run:#?}");
}

#[test]
fn a_torn_tail_that_could_hide_begin_disks_is_fatal_and_a_shorter_one_is_not() {
    let scratch = Scratch::new("torn");
    let journal = scratch.path.join("provision-journal");
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    boot.run(&journal, FULL_SEQUENCE[0]).expect(0);
    let fetched = bytes(&journal).unwrap();
    boot.run(&journal, &["begin", "disks"]).expect(0);
    let began = bytes(&journal).unwrap();
    let frame = &began[fetched.len()..];

    // The whole `begin disks` frame, damaged: it may have been durable.
    let mut whole = began.clone();
    *whole.last_mut().unwrap() ^= 0xff;
    std::fs::write(&journal, &whole).unwrap();
    let run = Boot::first(2).run(&journal, &["check"]).expect(10);
    assert!(run.stdout.contains("torn bytes"), "{run:#?}");

    // One byte short of it: that record cannot have been written whole.
    let mut short = fetched.clone();
    short.extend_from_slice(&frame[..frame.len() - 1]);
    std::fs::write(&journal, &short).unwrap();
    let run = Boot::first(2).run(&journal, &["check"]).expect(0);
    assert!(run.stdout.starts_with("safe retry"), "{run:#?}");
    // The retry's record replaced the torn bytes.
    let repaired = bytes(&journal).unwrap();
    assert_eq!(repaired[..fetched.len()], fetched[..]);
    Boot::first(2).run(&journal, &["dump"]).expect(0);
}

/// Row 10 holds where no attempt is open, and after a completed one with a
/// rerun token: torn bytes as long as a whole attempt's start, `fetched`
/// and `begin disks` may be exactly that attempt, so the boot is fatal,
/// not a first run or a rerun; bytes too few for it are harmless.
#[test]
fn a_torn_tail_that_could_hide_a_whole_crossing_attempt_is_fatal() {
    let scratch = Scratch::new("torn-attempt");
    let journal = scratch.path.join("provision-journal");
    // Zeroes the journal's bytes from `from` on, as a lost write-back would.
    let zero_from = |from: usize| {
        let mut damaged = bytes(&journal).unwrap();
        damaged[from..].fill(0);
        std::fs::write(&journal, &damaged).unwrap();
    };
    let crossing = |boot: &Boot| {
        boot.run(&journal, &["check"]).expect(0);
        boot.run(&journal, FULL_SEQUENCE[0]).expect(0);
        boot.run(&journal, &["begin", "disks"]).expect(0);
    };

    // A new journal whose first attempt crossed, all of it lost.
    crossing(&Boot::first(1));
    zero_from(bytes(&journal).unwrap().len() - 212);
    let run = Boot::first(2).run(&journal, &["check"]).expect(10);
    assert!(run.stdout.contains("torn bytes"), "{run:#?}");
    let status = Boot::first(2).run(&journal, &["status"]).expect(0);
    let advice = status
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        advice.contains("several appends were lost") && !advice.contains("no record but"),
        "{status:#?}"
    );

    // After a reset: the next attempt crossed, and its records are lost.
    let reset = ["reset", "--reason", "disks wiped back"];
    Boot::with_cmdline(3, "").run(&journal, &reset).expect(0);
    let after_reset = bytes(&journal).unwrap().len();
    crossing(&Boot::first(4));
    zero_from(after_reset);
    let run = Boot::first(5).run(&journal, &["check"]).expect(10);
    assert!(run.stdout.contains("torn bytes"), "{run:#?}");

    // Fewer bytes than an attempt needs to cross: only `check`'s record
    // was torn, and the next boot starts the attempt.
    Boot::with_cmdline(6, "").run(&journal, &reset).expect(0);
    let after_reset = bytes(&journal).unwrap().len();
    Boot::first(7).run(&journal, &["check"]).expect(0);
    zero_from(after_reset);
    let run = Boot::first(8).run(&journal, &["check"]).expect(0);
    assert!(run.stdout.starts_with("first run"), "{run:#?}");

    // A developer's rerun after completion, lost with the same token on
    // the command line: not run again.
    let scratch = Scratch::new("torn-rerun");
    let journal = scratch.path.join("provision-journal");
    cli_common::provision(&Boot::first(1), &journal);
    let complete = bytes(&journal).unwrap().len();
    let rerun = |n| Boot::with_cmdline(n, "ignition.firstboot provision_journal.rerun=dev1");
    rerun(2).run(&journal, &["check"]).expect(0);
    rerun(2).run(&journal, FULL_SEQUENCE[0]).expect(0);
    rerun(2).run(&journal, &["begin", "disks"]).expect(0);
    let mut damaged = bytes(&journal).unwrap();
    damaged[complete..].fill(0);
    std::fs::write(&journal, &damaged).unwrap();
    let run = rerun(3).run(&journal, &["check"]).expect(10);
    assert!(run.stdout.contains("torn bytes"), "{run:#?}");

    // The same lost rerun, then a boot without the token (the one-shot
    // kernel argument is gone): fatal too, for its refusal's record would
    // cut the torn bytes off, and a later boot with the token would rerun.
    damaged.truncate(complete + 224);
    std::fs::write(&journal, &damaged).unwrap();
    let status = Boot::first(4).run(&journal, &["status"]).expect(0);
    assert!(status.stdout.contains("next check: fatal"), "{status:#?}");
    let run = Boot::first(4).run(&journal, &["check"]).expect(10);
    assert!(run.stdout.contains("torn bytes"), "{run:#?}");
    rerun(5).run(&journal, &["check"]).expect(11);
}

#[test]
fn a_different_config_after_kargs_poisons_and_the_hook_fails_with_13() {
    let scratch = Scratch::new("config-changed");
    let journal = scratch.path.join("provision-journal");
    let first = Boot::first(1);
    first.run(&journal, &["check"]).expect(0);
    for hook in &FULL_SEQUENCE[..3] {
        first.run(&journal, hook).expect(0);
    }
    first
        .run(&journal, &["reboot", "--reason", "kargs"])
        .expect(0);
    let second = Boot::first(2);
    second.run(&journal, &["check"]).expect(0);
    let other = "ee".repeat(32);
    let run = second
        .run(&journal, &["fetched", "--sha256", &other])
        .expect(13);
    assert!(run.stdout.contains("now poisoned"), "{run:#?}");
    let cause = "after stage kargs had changed the machine under config c0ffeec0ffee";
    assert!(run.stderr.contains(cause), "{run:#?}");
    assert!(run.stderr.contains("stopped provisioning"), "{run:#?}");
    assert!(!run.stderr.contains("disks began"), "{run:#?}");
    // The record is durable and every report gives the same cause.
    let status = second.run(&journal, &["status", "--json"]).expect(0);
    assert!(status.stdout.contains(cause), "{status:#?}");
    let dump = second.run(&journal, &["dump", "--json"]).expect(0);
    let document: serde_json::Value = serde_json::from_str(&dump.stdout).unwrap();
    let described = document["state"]["poisoned_by"]["description"]
        .as_str()
        .unwrap();
    assert!(described.contains(cause), "{described}");
    Boot::first(3).run(&journal, &["check"]).expect(11);
    let text = second.run(&journal, &["status"]).expect(0);
    assert!(
        flat(&text.stdout).contains(
            "(run by 2 boots: 0 unplanned restarts, 1 planned reboot; since it stopped, 1 boot refused)"
        ),
        "{text:#?}"
    );
    assert!(
        text.stdout.lines().all(|line| line.chars().count() <= 80),
        "{text:#?}"
    );
}

/// The text with every run of white space (a wrapped line's break and
/// indentation) as one space.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn status_hedges_a_running_stage_and_says_why_an_attempt_is_poisoned() {
    let scratch = Scratch::new("status-words");
    let journal = scratch.path.join("provision-journal");
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    for hook in &FULL_SEQUENCE[..4] {
        boot.run(&journal, hook).expect(0);
    }
    // `begin disks` is the last record: that boot may still be running it.
    let run = boot.run(&journal, &["status"]).expect(0);
    assert!(
        flat(&run.stdout)
            .contains("either that boot is still running disks, or it was interrupted"),
        "{run:#?}"
    );
    assert!(!run.stdout.contains("next check: fatal"), "{run:#?}");

    Boot::first(2).run(&journal, &["check"]).expect(10);
    let run = Boot::first(2).run(&journal, &["status"]).expect(0);
    assert!(run.stdout.contains("state:      poisoned"), "{run:#?}");
    assert!(
        flat(&run.stdout).contains("Why: boot 01010101 was interrupted during stage disks"),
        "{run:#?}"
    );
    assert!(
        run.stdout
            .contains(&format!("by boot {}", Boot::first(2).id)),
        "the full boot ID that journalctl -b takes: {run:#?}"
    );
    assert!(
        run.stdout
            .contains("to do:      Provisioning stays stopped"),
        "{run:#?}"
    );
    assert!(flat(&run.stdout).contains("reset --reason"), "{run:#?}");
}

#[test]
fn every_hook_on_a_live_system_records_nothing_without_reading_anything() {
    let scratch = Scratch::new("live-hooks");
    let journal = scratch.path.join("provision-journal");
    let missing = scratch.path.join("no-such-config.json");
    let live = Boot::with_cmdline(1, "ignition.firstboot coreos.liveiso=fedora-coreos");
    let hooks: [&[&str]; 7] = [
        &["fetched", "--config", missing.to_str().unwrap()],
        &["fetched", "--sha256", &"ab".repeat(32)],
        &["begin", "disks"],
        &["end", "disks"],
        &["fail", "files", "--reason", "x"],
        &["reboot", "--reason", "kargs"],
        &["complete"],
    ];
    for hook in hooks {
        let run = live.run(&journal, hook).expect(0);
        assert!(
            run.stdout.starts_with("live system") && run.stdout.contains("records nothing"),
            "{hook:?}: {run:#?}"
        );
    }
    assert!(!journal.exists(), "a live system wrote a journal");
}

#[test]
fn a_hook_after_its_boots_check_refused_says_so() {
    let scratch = Scratch::new("refused-then-hook");
    let journal = scratch.path.join("provision-journal");
    let first = Boot::first(1);
    first.run(&journal, &["check"]).expect(0);
    first.run(&journal, FULL_SEQUENCE[0]).expect(0);
    first.run(&journal, &["begin", "disks"]).expect(0);
    // The next boot's check poisons the attempt; that boot's units go on
    // calling hooks.
    let second = Boot::first(2);
    second.run(&journal, &["check"]).expect(10);
    let before = bytes(&journal);
    let run = second.run(&journal, FULL_SEQUENCE[0]).expect(30);
    assert!(
        run.stderr
            .contains("this boot's `check` refused provisioning")
            && !run.stderr.contains("has not run"),
        "{run:#?}"
    );
    // A later boot refused with a record says the same; one that never ran
    // check is told the attempt is stopped, not that it skipped check.
    let third = Boot::first(3);
    third.run(&journal, &["check"]).expect(11);
    let run = third.run(&journal, &["begin", "kargs"]).expect(30);
    assert!(
        run.stderr
            .contains("this boot's `check` refused provisioning"),
        "{run:#?}"
    );
    let run = Boot::first(4).run(&journal, &["begin", "kargs"]).expect(30);
    assert!(
        run.stderr.contains("the attempt is poisoned") && !run.stderr.contains("has not run"),
        "{run:#?}"
    );
    assert_eq!(
        bytes(&journal).map(|b| b.len() > before.unwrap().len()),
        Some(true)
    );
}

#[test]
fn the_cause_of_a_poisoning_is_machine_readable() {
    let scratch = Scratch::new("poison-json");
    // Interrupted past the red line: the next boot's check poisons.
    let journal = scratch.path.join("interrupted");
    let first = Boot::first(1);
    first.run(&journal, &["check"]).expect(0);
    first.run(&journal, FULL_SEQUENCE[0]).expect(0);
    first.run(&journal, &["begin", "disks"]).expect(0);
    Boot::first(2).run(&journal, &["check"]).expect(10);
    let status = Boot::first(3)
        .run(&journal, &["status", "--json"])
        .expect(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let poison = &status["poisoned_by"];
    assert_eq!(poison["cause"], "interrupted", "{status}");
    assert_eq!(poison["stage"], "disks");
    assert_eq!(poison["boot_id"], "02".repeat(16));
    assert_eq!(poison["seq"], 3);
    assert_eq!(poison["reason"]["boot"], "01".repeat(16));
    assert!(poison["description"].as_str().unwrap().contains("disks"));
    let dump = Boot::first(3).run(&journal, &["dump", "--json"]).expect(0);
    let dump: serde_json::Value = serde_json::from_str(&dump.stdout).unwrap();
    assert_eq!(dump["next_check"]["verdict"], "poisoned");
    assert_eq!(
        dump["next_check"]["poison_reason"]["kind"], "interrupted",
        "{dump}"
    );
    assert_eq!(dump["state"]["poisoned_by"], *poison);

    // A stage that failed past the red line poisons by its own record.
    let journal = scratch.path.join("failed");
    first.run(&journal, &["check"]).expect(0);
    first.run(&journal, FULL_SEQUENCE[0]).expect(0);
    first.run(&journal, &["begin", "files"]).expect(0);
    first
        .run(&journal, &["fail", "files", "--reason", "exit status 1"])
        .expect(0);
    let status = first.run(&journal, &["status", "--json"]).expect(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["poisoned_by"]["cause"], "stage_failed", "{status}");
    assert_eq!(status["poisoned_by"]["stage"], "files");
    assert_eq!(status["poisoned_by"]["reason"]["reason"], "exit status 1");
    let clean = scratch.path.join("clean");
    first.run(&clean, &["check"]).expect(0);
    let status = first.run(&clean, &["status", "--json"]).expect(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["poisoned_by"], serde_json::Value::Null);
}

#[test]
fn the_operators_advice_follows_the_cause() {
    let scratch = Scratch::new("advice");
    let advice = |journal: &std::path::Path| {
        let status = Boot::first(99)
            .run(journal, &["status", "--json"])
            .expect(0);
        let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
        status["advice"].as_str().unwrap().to_owned()
    };
    let untouched = "The disks were not touched";

    // Retries spent before the red line: nothing on the disks to check.
    let journal = scratch.path.join("retries");
    for boot in 1..=7u8 {
        let run = Boot::first(boot).run(&journal, &["check"]);
        if run.code != 0 {
            break;
        }
    }
    let text = advice(&journal);
    assert!(
        text.contains("interrupted 6 times") && text.contains(untouched),
        "{text}"
    );

    // A files stage that failed: the disks were changed.
    let journal = scratch.path.join("files");
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    boot.run(&journal, FULL_SEQUENCE[0]).expect(0);
    boot.run(&journal, &["begin", "disks"]).expect(0);
    boot.run(&journal, &["end", "disks"]).expect(0);
    boot.run(&journal, &["begin", "files"]).expect(0);
    boot.run(&journal, &["fail", "files", "--reason", "exit status 1"])
        .expect(0);
    let text = advice(&journal);
    assert!(
        text.contains("Stage files failed")
            && text.contains("disks were changed")
            && text.contains("ignition-files.service"),
        "{text}"
    );

    // Interrupted past the red line: names the boot in full for journalctl.
    let journal = scratch.path.join("interrupted");
    boot.run(&journal, &["check"]).expect(0);
    boot.run(&journal, FULL_SEQUENCE[0]).expect(0);
    boot.run(&journal, &["begin", "disks"]).expect(0);
    let text = advice(&journal);
    assert!(
        text.contains(&format!("journalctl -b {}", boot.id)) && text.contains("half-provisioned"),
        "{text}"
    );
    assert!(text.contains("provision-journal reset --reason"), "{text}");
}

/// A hook after a failed stage on the same boot is refused for that
/// reason, and its refusal is not recorded over the failure: the next boot
/// names the failed stage as what stopped the last one.
#[test]
fn the_first_failure_of_a_boot_is_what_the_next_boot_names() {
    let scratch = Scratch::new("first-failure");
    let journal = scratch.path.join("provision-journal");
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    boot.run(&journal, FULL_SEQUENCE[0]).expect(0);
    boot.run(&journal, &["begin", "kargs"]).expect(0);
    boot.run(&journal, &["fail", "kargs", "--reason", "boom"])
        .expect(0);
    let run = boot.run(&journal, &["begin", "disks"]).expect(30);
    assert!(
        run.stderr.contains("a stage failed on this boot") && !run.stderr.contains("recorded"),
        "{run:#?}"
    );
    let run = Boot::first(2).run(&journal, &["check"]).expect(0);
    assert!(
        run.stdout.contains("kargs") && !run.stdout.contains("failed call"),
        "{run:#?}"
    );

    // A stage begun twice on one boot is told as such.
    let boot = Boot::first(2);
    boot.run(&journal, FULL_SEQUENCE[0]).expect(0);
    boot.run(&journal, &["begin", "kargs"]).expect(0);
    let run = boot.run(&journal, &["begin", "kargs"]).expect(30);
    assert!(
        run.stderr.contains("this stage has already begun"),
        "{run:#?}"
    );
}
