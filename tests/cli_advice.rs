//! What the command line tells an operator or a support engineer must never
//! mislead: each error names the real cause, and each piece of advice is a
//! step that cannot make matters worse.

mod cli_common;

use cli_common::{Boot, FULL_SEQUENCE, Scratch, provision};

#[test]
fn reading_a_directory_names_it_without_a_hard_link_warning() {
    let scratch = Scratch::new("directory");
    let dir = scratch.path.join("dir");
    std::fs::create_dir_all(dir.join("a").join("b")).unwrap();
    std::fs::create_dir_all(dir.join("c")).unwrap();
    for args in [&["dump"][..], &["status"], &["status", "--json"]] {
        let run = Boot::first(1).run(&dir, args).expect(22);
        assert!(run.stderr.contains("directory"), "{args:?}: {run:#?}");
        assert!(!run.stderr.contains("hard link"), "{args:?}: {run:#?}");
    }
    let run = Boot::first(1).run(&scratch.path, &["dump", dir.to_str().unwrap()]);
    let run = run.expect(22);
    assert!(!run.stderr.contains("hard link"), "{run:#?}");
}

#[test]
fn a_mistyped_stage_lists_only_what_the_command_takes_and_the_closest() {
    let scratch = Scratch::new("stage-name");
    let journal = scratch.path.join("journal");
    let run = Boot::first(1).run(&journal, &["begin", "disk"]).expect(2);
    assert!(
        run.stderr
            .contains("[possible values: kargs, disks, mount, files, umount]"),
        "{run:#?}"
    );
    assert!(run.stderr.contains("'disks'"), "{run:#?}");
    assert!(
        !run.stderr.contains("fetch"),
        "begin takes no fetch stage: {run:#?}"
    );
    let run = Boot::first(1).run(&journal, &["end", "umnt"]).expect(2);
    assert!(run.stderr.contains("'umount'"), "{run:#?}");
    let run = Boot::first(1)
        .run(&journal, &["begin", "fetch-offline"])
        .expect(2);
    assert!(run.stderr.contains("no begin or end record"), "{run:#?}");
    let run = Boot::first(1)
        .run(&journal, &["fail", "fetch-ofline"])
        .expect(2);
    assert!(
        run.stderr.contains("fetch-offline, fetch, kargs"),
        "{run:#?}"
    );
    assert!(run.stderr.contains("'fetch-offline'"), "{run:#?}");
    assert!(!journal.exists(), "a usage error writes nothing");
}

fn golden(name: &str) -> String {
    format!("{}/tests/golden/{name}.journal", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn status_of_a_named_journal_that_is_missing_is_an_error() {
    let scratch = Scratch::new("missing");
    let missing = scratch.path.join("provision-journal");
    let path = missing.to_str().unwrap();
    for args in [&["status", path][..], &["status", "--json", path]] {
        let run = Boot::first(1).run(&scratch.path.join("unused"), args);
        let run = run.expect(41);
        assert!(
            run.stderr
                .contains(&format!("there is no journal at `{path}`")),
            "{args:?}: {run:#?}"
        );
        // The JSON still has a document for it (outcome `absent`); the
        // text says it on stderr only.
        assert_eq!(
            run.stdout.is_empty(),
            !args.contains(&"--json"),
            "{args:?}: {run:#?}"
        );
    }
    // The journal's own location holds no journal before the first boot.
    let run = Boot::first(1).run(&missing, &["status"]).expect(0);
    assert!(run.stdout.contains("absent (no journal yet)"), "{run:#?}");
}

#[test]
fn status_oneline_says_how_far_each_journal_can_be_trusted() {
    let scratch = Scratch::new("oneline-outcome");
    let missing = scratch.path.join("missing");
    let paths = [
        golden("clean-run"),
        golden("torn-tail"),
        golden("mid-file-corruption"),
        missing.to_str().unwrap().to_owned(),
        scratch.path.to_str().unwrap().to_owned(),
    ];
    let mut args = vec!["status", "--oneline"];
    args.extend(paths.iter().map(String::as_str));
    let run = Boot::first(1).run(&scratch.path.join("unused"), &args);
    let run = run.expect(41);
    let lines: Vec<Vec<&str>> = run
        .stdout
        .lines()
        .map(|line| line.split(' ').collect())
        .collect();
    assert_eq!(lines.len(), paths.len(), "one line per path: {run:#?}");
    let outcomes: Vec<&str> = lines.iter().map(|fields| fields[5]).collect();
    assert_eq!(
        outcomes,
        ["clean", "torn_tail", "corrupt", "absent", "unreadable"],
        "{run:#?}"
    );
    assert_eq!(lines[3][1..5], ["absent", "-", "-", "-"], "{run:#?}");
    assert_eq!(lines[4][1..5], ["unreadable", "-", "-", "-"], "{run:#?}");
    assert!(run.stderr.contains("there is no journal at"), "{run:#?}");
    assert!(run.stderr.contains("directory"), "{run:#?}");
}

/// `status --json PATH...` prints one document per PATH, as `--oneline`
/// prints one line: a journal it cannot read is there too, with its
/// outcome and error, and the exit status is the one without `--json`.
#[test]
fn status_json_has_a_document_for_each_path_it_cannot_read_too() {
    let scratch = Scratch::new("json-unread");
    let missing = scratch.path.join("missing");
    let paths = [
        golden("clean-run"),
        missing.to_str().unwrap().to_owned(),
        scratch.path.to_str().unwrap().to_owned(),
    ];
    let mut args = vec!["status", "--json"];
    args.extend(paths.iter().map(String::as_str));
    let run = Boot::first(1).run(&scratch.path.join("unused"), &args);
    let run = run.expect(41);
    let documents: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(documents.len(), paths.len(), "one per path: {run:#?}");
    for (document, path) in documents.iter().zip(&paths) {
        assert_eq!(document["schema"], "provision-journal/status/1");
        assert_eq!(document["journal"], path.as_str(), "{document}");
    }
    assert_eq!(documents[0]["outcome"], "clean");
    let absent = &documents[1];
    assert_eq!(absent["outcome"], "absent", "{absent}");
    assert_eq!(absent["state"], "absent", "{absent}");
    assert_eq!(absent["may_proceed"], false, "{absent}");
    assert_eq!(absent["exit_status"], 41, "{absent}");
    assert!(
        absent["error"]
            .as_str()
            .unwrap()
            .contains("there is no journal at"),
        "{absent}"
    );
    let directory = &documents[2];
    assert_eq!(directory["outcome"], "unreadable", "{directory}");
    assert_eq!(directory["state"], serde_json::Value::Null, "{directory}");
    assert_eq!(directory["exit_status"], 22, "{directory}");
    assert!(
        directory["error"].as_str().unwrap().contains("directory"),
        "{directory}"
    );
    assert!(run.stderr.contains("there is no journal at"), "{run:#?}");
    assert!(run.stderr.contains("directory"), "{run:#?}");
    // Alone, the directory's status is its own.
    let dir = scratch.path.to_str().unwrap();
    let run = Boot::first(1).run(&scratch.path.join("unused"), &["status", "--json", dir]);
    let document: serde_json::Value = serde_json::from_str(run.expect(22).stdout.trim()).unwrap();
    assert_eq!(document["outcome"], "unreadable", "{document}");
}

/// What `status` exits with for a torn tail is said alike by both specs,
/// and is what the binary does.
#[test]
fn status_exits_0_for_a_torn_tail_as_both_specs_say() {
    let scratch = Scratch::new("torn-status");
    let (torn, clean) = (golden("torn-tail"), golden("clean-run"));
    for args in [
        &["status", torn.as_str()][..],
        &["status", "--json", torn.as_str()],
        &["status", "--oneline", torn.as_str(), clean.as_str()],
    ] {
        Boot::first(1).run(&scratch.path, args).expect(0);
    }
    let sentence = "`status` exits 0 for a journal that ends in a torn tail";
    for spec in ["spec/CLI.md", "spec/DUMP.md"] {
        let text = std::fs::read_to_string(format!("{}/{spec}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains(sentence), "{spec} does not say: {sentence}");
    }
}

/// Runs `check` and the hooks named on `boot`, each expected to succeed.
fn run_all(boot: &Boot, journal: &std::path::Path, hooks: &[&[&str]]) {
    for hook in hooks {
        boot.run(journal, hook).expect(0);
    }
}

const CONFIG: &[&str] = &[
    "fetched",
    "--sha256",
    "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ff",
];

#[test]
fn a_failed_stage_is_looked_up_in_the_log_of_the_boot_it_failed_on() {
    let scratch = Scratch::new("failed-stage");
    let journal = scratch.path.join("journal");
    let boot = Boot::first(7);
    run_all(
        &boot,
        &journal,
        &[
            &["check"],
            CONFIG,
            &["begin", "disks"],
            &["fail", "disks", "--reason", "exit status 1"],
        ],
    );
    let wanted = format!("journalctl -b {} -u ignition-disks.service", boot.id);
    for args in [&["status"][..], &["dump"]] {
        let run = Boot::first(8).run(&journal, args);
        let flat = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&wanted), "{args:?}: {flat}");
    }
}

#[test]
fn a_truncated_copy_is_not_told_only_as_a_power_cut() {
    let scratch = Scratch::new("truncated");
    let whole = std::fs::read(golden("clean-run")).unwrap();
    let copy = scratch.path.join("copy");
    std::fs::write(&copy, &whole[..whole.len() - 17]).unwrap();
    let copy = copy.to_str().unwrap();
    for args in [&["dump", copy][..], &["status", copy]] {
        let run = Boot::first(1).run(&scratch.path, args);
        let flat = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("the copy is incomplete"), "{args:?}: {flat}");
    }
}

fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn refused_boots_after_completion_are_told_as_a_leftover_first_boot_marker() {
    let scratch = Scratch::new("complete-refused");
    let journal = scratch.path.join("journal");
    cli_common::provision(&Boot::first(1), &journal);
    // Before any refusal, there is nothing to do.
    let run = Boot::first(2).run(&journal, &["status"]).expect(0);
    assert!(flat(&run.stdout).contains("Nothing to do"), "{run:#?}");

    let run = Boot::first(2).run(&journal, &["check"]).expect(12);
    assert!(
        flat(&run.stdout).contains("the kernel argument `ignition.firstboot` still marks it"),
        "{run:#?}"
    );
    // One refused boot is told in the singular.
    let run = Boot::first(3).run(&journal, &["status"]).expect(0);
    let text = flat(&run.stdout);
    cli_common::assert_says(
        &text,
        &[
            "but a later boot, ",
            ", was refused since. It stopped in emergency mode",
        ],
    );
    std::fs::write(scratch.path.join("ignition.firstboot"), "").unwrap();
    let plain = Boot::with_cmdline(3, "BOOT_IMAGE=/vmlinuz");
    let run = plain.run(&journal, &["check"]).expect(12);
    assert!(
        flat(&run.stdout)
            .contains("the stamp `ignition.firstboot` beside the journal still marks it"),
        "{run:#?}"
    );
    for args in [&["status"][..], &["dump"], &["status", "--json"]] {
        let run = Boot::first(4).run(&journal, args);
        let text = flat(&run.stdout);
        assert!(!text.contains("Nothing to do"), "{args:?}: {text}");
        for says in [
            "2 later boots",
            "emergency mode",
            "first-boot marker",
            "delete the stamp",
            "Do not run `reset`",
        ] {
            assert!(
                text.contains(says),
                "{args:?} does not say {says:?}: {text}"
            );
        }
    }
}

/// Overwrites three bytes inside the second record (`fetched`, at offset
/// 88), so that only the first record is trusted and the rest is salvaged.
fn damage_second_record(journal: &std::path::Path) {
    let mut bytes = std::fs::read(journal).unwrap();
    bytes[100..103].copy_from_slice(&[0xff; 3]);
    std::fs::write(journal, bytes).unwrap();
}

fn advice(journal: &std::path::Path) -> String {
    let run = Boot::first(99)
        .run(journal, &["status", "--json"])
        .expect(20);
    let status: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    status["advice"].as_str().unwrap().to_owned()
}

#[test]
fn a_damaged_journal_whose_salvage_says_completed_is_never_moved_away() {
    let scratch = Scratch::new("salvaged-complete");
    let journal = scratch.path.join("journal");
    cli_common::provision(&Boot::first(1), &journal);
    Boot::first(2).run(&journal, &["check"]).expect(12);
    Boot::first(3).run(&journal, &["check"]).expect(12);
    damage_second_record(&journal);

    let text = advice(&journal);
    assert!(
        text.contains("salvaged and not trusted but whole, says that provisioning completed"),
        "{text}"
    );
    assert!(text.contains("2 boots were refused after it"), "{text}");
    assert!(text.contains("do not move the journal away"), "{text}");
    assert!(text.contains("first-boot marker"), "{text}");
    // Moving it away is named only as the way to provision again on purpose.
    let (before, after) = text
        .split_once("Only to provision the machine again on purpose")
        .unwrap();
    assert!(!before.contains("move it away"), "{text}");
    assert!(after.contains("move it away"), "{text}");
    let dump = flat(&Boot::first(99).run(&journal, &["dump"]).expect(20).stdout);
    assert!(dump.contains("do not move the journal away"), "{dump}");

    let run = Boot::first(4).run(&journal, &["check"]).expect(20);
    assert!(run.stderr.contains("Do not move the file away"), "{run:#?}");
    assert!(!run.stderr.contains("and move it away"), "{run:#?}");
    // `reset` refuses it too, with an instruction that reads whole.
    let run = Boot::first(4)
        .run(&journal, &["reset", "--reason", "start over"])
        .expect(20);
    assert!(
        flat(&run.stderr).contains(
            "Do not move the file away before reading what `status` says: on a machine that was provisioned, moving it away makes the next provisioning boot provision it again"
        ),
        "{run:#?}"
    );
}

#[test]
fn a_damaged_journal_is_moved_away_only_once_the_machine_shows_it_was_not_provisioned() {
    let scratch = Scratch::new("salvaged-open");
    // Past the red line by a salvaged record, no completion read.
    let journal = scratch.path.join("past");
    let boot = Boot::first(1);
    run_all(
        &boot,
        &journal,
        &[&["check"], CONFIG, &["begin", "disks"], &["end", "disks"]],
    );
    damage_second_record(&journal);
    let text = advice(&journal);
    assert!(
        text.contains("began stage disks, past the red line"),
        "{text}"
    );
    assert!(text.contains("If it was provisioned"), "{text}");
    assert!(text.contains("/etc/.ignition-result.json"), "{text}");
    assert!(text.contains("do not move the journal away"), "{text}");

    // Nothing read past the red line: the damage may still hide it.
    let journal = scratch.path.join("before");
    run_all(&boot, &journal, &[&["check"], CONFIG, &["begin", "kargs"]]);
    damage_second_record(&journal);
    let text = advice(&journal);
    assert!(text.contains("the damage may hide records"), "{text}");
    assert!(text.contains("If it was provisioned"), "{text}");
    let (before, after) = text.split_once("Only if it was not").unwrap();
    assert!(!before.contains("move it away"), "{text}");
    assert!(after.contains("move it away"), "{text}");
}

fn status_json(journal: &std::path::Path) -> serde_json::Value {
    let run = Boot::first(99).run(journal, &["status", "--json"]);
    serde_json::from_str(&run.stdout).unwrap()
}

/// `check` refuses to restore the kept config (exit 54) on every retry:
/// each boot records why it stopped, and once the retry budget is spent the
/// advice names that call, not the console, the config source or the
/// network.
#[test]
fn a_boot_stopped_by_a_failed_call_says_so_in_the_journal() {
    let scratch = Scratch::new("call-failed");
    let journal = scratch.path.join("provision-journal");
    let memory = std::path::PathBuf::from(format!(
        "/dev/shm/provision-journal-test.{}.call-failed",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&memory);
    std::fs::create_dir_all(&memory).unwrap();
    // The restore target's directory is a regular file: `check` exits 54.
    std::fs::write(memory.join("ignition"), "not a directory").unwrap();
    let conf = scratch.path.join("cache.conf");
    std::fs::write(
        &conf,
        format!(
            "[Cache]\nKeepConfig=yes\nRestoreTo={}\n",
            memory.join("ignition/user.ign").display()
        ),
    )
    .unwrap();
    let config = scratch.path.join("config.json");
    std::fs::write(&config, r#"{"ignition":{"version":"3.4.0"}}"#).unwrap();
    let run = |boot: &Boot, args: &[&str]| {
        cli_common::Run::from(
            boot.command(&journal, args)
                .env("PROVISION_JOURNAL_CONF", &conf)
                .output()
                .unwrap(),
        )
    };
    let first = Boot::first(1);
    for hook in [
        &["check"][..],
        &["fetched", "--config", config.to_str().unwrap()],
        &["begin", "kargs"],
        &["end", "kargs"],
        &["reboot", "--reason", "kargs"],
    ] {
        run(&first, hook).expect(0);
    }
    let failed = run(&Boot::first(2), &["check"]).expect(54);
    assert!(
        failed.stderr.contains("recorded in the journal"),
        "{failed:#?}"
    );
    let status = status_json(&journal);
    assert_eq!(status["call_failed"]["call"], "check", "{status}");
    assert_eq!(status["call_failed"]["status"], 54, "{status}");
    let explanation = status["explanation"].as_str().unwrap();
    assert!(
        explanation.contains("stopped at a failed call (check: exit 54)"),
        "{explanation}"
    );
    let advice = status["advice"].as_str().unwrap();
    assert!(
        advice.contains("stops the same way unless that is fixed"),
        "{advice}"
    );
    let dump = Boot::first(99).run(&journal, &["dump"]).expect(0).stdout;
    assert!(dump.contains("FAILED: check"), "{dump}");
    assert!(flat(&dump).contains("check: exit 54, "), "{dump}");

    for boot in 3..=7 {
        run(&Boot::first(boot), &["check"]).expect(54);
    }
    run(&Boot::first(8), &["check"]).expect(10);
    let advice = status_json(&journal)["advice"].as_str().unwrap().to_owned();
    assert!(
        advice.contains("a failed call (check: exit 54, "),
        "{advice}"
    );
    assert!(
        !advice.contains("the console, the config source, the network"),
        "{advice}"
    );
    let _ = std::fs::remove_dir_all(&memory);
}

#[test]
fn fetched_and_refused_hooks_record_why_their_boot_stopped() {
    let scratch = Scratch::new("hook-failed");
    let journal = scratch.path.join("journal");
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    let missing = scratch.path.join("ignition.json");
    let run = boot
        .run(
            &journal,
            &["fetched", "--config", missing.to_str().unwrap()],
        )
        .expect(53);
    assert!(run.stderr.contains("recorded in the journal"), "{run:#?}");
    let status = status_json(&journal);
    assert_eq!(status["call_failed"]["call"], "fetched", "{status}");
    assert_eq!(status["call_failed"]["status"], 53, "{status}");
    assert!(
        status["call_failed"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("No such file or directory reading `"),
        "{status}"
    );
    // A second failure on the same boot is not recorded: the first stopped it.
    let before = std::fs::read(&journal).unwrap();
    boot.run(&journal, &["begin", "kargs"]).expect(30);
    assert_eq!(std::fs::read(&journal).unwrap(), before);

    // A hook the rules refuse, on the next boot.
    let next = Boot::first(2);
    run_all(&next, &journal, &[&["check"], CONFIG, &["begin", "kargs"]]);
    let run = next.run(&journal, &["begin", "disks"]).expect(30);
    assert!(run.stderr.contains("recorded in the journal"), "{run:#?}");
    let status = status_json(&journal);
    assert_eq!(status["call_failed"]["call"], "begin disks", "{status}");
    assert_eq!(
        status["call_failed"]["reason"], "the previous stage has not ended",
        "{status}"
    );

    // A boot that did not run `check` cannot speak for the attempt.
    let before = std::fs::read(&journal).unwrap();
    Boot::first(3).run(&journal, &["begin", "disks"]).expect(30);
    assert_eq!(std::fs::read(&journal).unwrap(), before);
}

/// The overview part of a human `dump`.
fn overview(dump: &str) -> Vec<&str> {
    let (_, rest) = dump.split_once("OVERVIEW").expect("an overview");
    let (overview, _) = rest.split_once("\n\n").unwrap();
    assert!(
        dump.find("OVERVIEW").unwrap() < dump.find("RECORDS").unwrap(),
        "the overview comes first"
    );
    overview.lines().collect()
}

#[test]
fn dump_opens_with_one_line_per_boot_against_the_red_line() {
    let scratch = Scratch::new("overview");
    let journal = golden("poisoned-then-reset");
    let run = Boot::first(1)
        .run(&scratch.path, &["dump", &journal])
        .expect(0);
    let lines = overview(&run.stdout);
    let boots: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|line| line.starts_with('#'))
        .collect();
    assert_eq!(boots.len(), 4, "{lines:#?}");
    // The legend, then the heading.
    let heading = lines
        .iter()
        .position(|line| line.starts_with("boot "))
        .unwrap_or_else(|| panic!("no heading: {lines:#?}"));
    assert!(
        lines[..heading]
            .iter()
            .any(|line| line.contains("NEW fetched")),
        "{lines:#?}"
    );
    let red_line = lines[heading]
        .find('|')
        .expect("the heading has the red line");
    for line in &lines[heading..] {
        if !line.starts_with("--") {
            assert_eq!(line.find('|'), Some(red_line), "{line}");
        }
        assert!(line.chars().count() <= 80, "{line}");
    }
    let ends: Vec<&str> = boots.iter().map(|line| line[red_line..].trim()).collect();
    assert_eq!(
        ends,
        [
            "| >>                       cut",
            "|                          refused, poisoned",
            "|                          refused; reset",
            "| ok    ok    ok    ok     complete"
        ]
    );
    assert!(boots[0].contains(" 08:00:00 ok    ok    |"), "{}", boots[0]);

    let run = Boot::first(1)
        .run(&scratch.path, &["status", &journal])
        .expect(0);
    assert!(
        flat(&run.stdout).contains(
            "boots: #1 cut in disks; #2 refused, poisoned; #3 refused, then reset; #4 complete"
        ),
        "{}",
        run.stdout
    );
    let run = Boot::first(1).run(&scratch.path, &["status", "--json", &journal]);
    let status: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        status["boots_overview"],
        "#1 cut in disks; #2 refused, poisoned; #3 refused, then reset; #4 complete"
    );
    let run = Boot::first(1).run(&scratch.path, &["dump", "--json", &journal]);
    let dump: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let ended: Vec<&str> = dump["boots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|boot| boot["ended"].as_str().unwrap())
        .collect();
    assert_eq!(ended, ["cut", "poisoned", "reset", "complete"]);
}

#[test]
fn the_one_line_form_names_the_last_boots_and_counts_the_rest() {
    let scratch = Scratch::new("overview-many");
    let journal = scratch.path.join("journal");
    // A first boot, five retries, the poisoning boot, eight refusals.
    for boot in 1..=15u8 {
        Boot::first(boot).run(&journal, &["check"]);
    }
    let run = Boot::first(99)
        .run(&journal, &["status", "--json"])
        .expect(0);
    let status: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let line = status["boots_overview"].as_str().unwrap();
    assert!(
        line.starts_with("(3 boots before) #4 cut after check; "),
        "{line}"
    );
    assert!(line.ends_with("#14 refused; #15 refused"), "{line}");
    assert_eq!(line.matches('#').count(), 12, "{line}");
    let dump = Boot::first(99).run(&journal, &["dump"]).expect(0).stdout;
    let boots = overview(&dump)
        .into_iter()
        .filter(|line| line.starts_with('#'))
        .count();
    assert_eq!(boots, 15, "dump shows every boot");
}

/// `reset` and `provision_journal.rerun=TOKEN` act only on a provisioning
/// boot: the advice on a completed attempt says to put the first-boot
/// marker back with either, or neither does anything.
#[test]
fn provisioning_again_after_completion_needs_the_first_boot_marker() {
    let scratch = Scratch::new("complete-again");
    let run = Boot::first(1).run(
        &scratch.path.join("unused"),
        &["status", &golden("clean-run")],
    );
    let text = run
        .expect(0)
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for needle in [
        "To provision again on purpose, the boot must be a provisioning boot: put back the first-boot marker",
        "`provision_journal.rerun=TOKEN` too",
        "Without the marker, neither does anything",
    ] {
        assert!(text.contains(needle), "{needle:?} not in: {text}");
    }
}

/// The two ways out of an interruption past the red line: `reset` only
/// once the disks are wiped back (with the first-boot marker in place it
/// starts a whole new attempt), the marker's removal and no `reset` for a
/// machine finished by hand.
#[test]
fn a_fatal_interruption_is_reset_only_after_a_wipe_and_a_finished_machine_loses_its_marker() {
    let scratch = Scratch::new("fatal-ways-out");
    let journal = scratch.path.join("journal");
    let boot = Boot::first(1);
    run_all(&boot, &journal, &[&["check"], CONFIG, &["begin", "disks"]]);
    for args in [&["status"][..], &["dump"]] {
        let run = Boot::first(2).run(&journal, args);
        let text = flat(&run.stdout);
        for needle in [
            "If you wipe the disks back to their state before provisioning, run `provision-journal reset --reason \"...\"`: the next provisioning boot starts a new attempt (a reinstall needs nothing more: it leaves no journal).",
            "If the machine is provisioned as the config asks, or you finish it by hand, do not run `reset`",
            "remove the first-boot marker",
            "if that boot's journal survived",
            "may be half-provisioned",
        ] {
            assert!(text.contains(needle), "{args:?}: {needle:?} not in: {text}");
        }
        assert!(
            !text.contains("wipe or finish it by hand"),
            "{args:?}: {text}"
        );
    }
}

/// A boot cut after every stage ended, before `complete` (the window at
/// switch-root), is not told as half-provisioned: the records show every
/// stage ended and only `complete` missing.
#[test]
fn an_interruption_after_every_stage_says_only_complete_is_missing() {
    let scratch = Scratch::new("fatal-after-umount");
    let journal = scratch.path.join("journal");
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    let (_complete, hooks) = cli_common::FULL_SEQUENCE.split_last().unwrap();
    run_all(&boot, &journal, hooks);
    for args in [&["status"][..], &["dump"]] {
        let run = Boot::first(2).run(&journal, args);
        let text = flat(&run.stdout);
        assert!(
            text.contains("after every stage had ended: the records show stage umount ended, and only the `complete` record is missing"),
            "{args:?}: {text}"
        );
        assert!(!text.contains("half-provisioned"), "{args:?}: {text}");
        assert!(text.contains("do not run `reset`"), "{args:?}: {text}");
    }
}

/// Runs `keep-log` on `boot` with `log` on its standard input.
fn keep_log(boot: &Boot, journal: &std::path::Path, log: &str) {
    use std::io::Write;
    let mut child = boot
        .command(journal, &["keep-log"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(log.as_bytes())
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
}

/// Boot 7 of `journal` fails `stage` and keeps `log` as its failure log.
fn failed_with_a_log(journal: &std::path::Path, stage: &str, log: &str) -> Boot {
    let boot = Boot::first(7);
    let hooks: &[&[&str]] = &[
        &["check"],
        CONFIG,
        &["begin", stage],
        &["fail", stage, "--reason", "exit status 1"],
    ];
    run_all(&boot, journal, hooks);
    keep_log(&boot, journal, log);
    boot
}

/// A boot that stopped in the initramfs keeps no journal of its own: the
/// failure log is what is left of its log. `status` says that one is kept
/// and for which record (text and JSON), and the advice points to `dump`
/// for it before `journalctl -b`, which it hedges.
#[test]
fn a_kept_failure_log_is_named_by_status_and_the_advice_points_to_dump() {
    let scratch = Scratch::new("failure-log-status");
    let journal = scratch.path.join("journal");
    let boot = failed_with_a_log(&journal, "disks", "ignition[12]: disks: op(1): [failed]\n");
    let run = Boot::first(8).run(&journal, &["status"]).expect(0);
    assert!(run.stdout.contains("\nlog:        `"), "{run:#?}");
    let text = flat(&run.stdout);
    assert!(
        text.contains(&format!(
            "of boot {} (37 bytes in all), for record #3 of this journal: stage failed (disks), attempt 1. `provision-journal dump` shows it.",
            boot.id
        )),
        "{text}"
    );
    for args in [&["status"][..], &["dump"]] {
        let text = flat(&Boot::first(8).run(&journal, args).stdout);
        for needle in [
            "Read that stage's log of that boot: its end is kept beside the journal, for record #3 (stage failed, disks), and `provision-journal dump` shows it, under FAILURE LOG".to_owned(),
            format!(
                "all of it is in `journalctl -b {} -u ignition-disks.service` on that machine, if that boot's journal survived",
                boot.id
            ),
        ] {
            assert!(text.contains(&needle), "{args:?}: {needle:?} not in {text}");
        }
    }
    let status = status_json(&journal);
    let log = &status["failure_log"];
    assert_eq!(log["seq"], 3, "{status}");
    assert_eq!(log["event"], "stage_failed", "{status}");
    assert_eq!(log["stage"], "disks", "{status}");
    assert_eq!(log["bound"], true, "{status}");
    assert_eq!(log["boot_id"], boot.id.as_str(), "{status}");
    assert!(log.get("text").is_none(), "{status}");
    assert!(
        status["advice"]
            .as_str()
            .unwrap()
            .contains("`provision-journal dump` shows it, under FAILURE LOG"),
        "{status}"
    );
    // Without a log, the journal of that boot is still hedged.
    std::fs::remove_file(scratch.path.join("journal.failure-log")).unwrap();
    let status = status_json(&journal);
    assert_eq!(status["failure_log"], serde_json::Value::Null, "{status}");
    let advice = status["advice"].as_str().unwrap();
    assert!(!advice.contains("FAILURE LOG"), "{advice}");
    assert!(
        advice.contains("if that boot's journal survived"),
        "{advice}"
    );
}

/// A log kept for a failure before the red line is named where the
/// advice reads that stage's log; once a later boot runs the attempt, the
/// advice no longer speaks of the failed boot, and a closing sentence
/// names the log.
#[test]
fn a_failure_log_of_a_retried_boot_is_named_after_the_advice() {
    let scratch = Scratch::new("failure-log-retry");
    let journal = scratch.path.join("journal");
    let boot = failed_with_a_log(&journal, "kargs", "ignition[12]: kargs: failed\n");
    let advice = status_json(&journal)["advice"].as_str().unwrap().to_owned();
    assert!(
        advice.contains("kept for record #3 (stage failed, kargs), and `provision-journal dump` shows it, under FAILURE LOG"),
        "{advice}"
    );
    assert!(!advice.contains("The end of the log of boot"), "{advice}");
    Boot::first(8).run(&journal, &["check"]).expect(0);
    let advice = status_json(&journal)["advice"].as_str().unwrap().to_owned();
    assert!(
        advice.ends_with(&format!(
            "The end of the log of boot {} is kept beside the journal, for record #3 (stage failed, kargs): `provision-journal dump` shows it, under FAILURE LOG.",
            boot.id
        )),
        "{advice}"
    );
}

/// A call that stopped its boot records why; the advice sends the
/// operator to the failure log kept for that boot, and to `journalctl -b`
/// only if that boot's journal survived.
#[test]
fn a_failed_call_is_read_in_the_failure_log_of_its_boot() {
    let scratch = Scratch::new("failure-log-call");
    let journal = scratch.path.join("journal");
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    let missing = scratch.path.join("ignition.json");
    boot.run(
        &journal,
        &["fetched", "--config", missing.to_str().unwrap()],
    )
    .expect(53);
    let advice = status_json(&journal)["advice"].as_str().unwrap().to_owned();
    assert!(
        advice.contains(&format!(
            "`journalctl -b {}` on that machine shows the whole message, in the lines that begin with `provision-journal:`, if that boot's journal survived.",
            boot.id
        )),
        "{advice}"
    );
    keep_log(&boot, &journal, "provision-journal: fetched: failed\n");
    let advice = status_json(&journal)["advice"].as_str().unwrap().to_owned();
    assert!(
        advice.contains(&format!(
            "The end of that boot's log is kept beside the journal, for record #1 (call failed): `provision-journal dump` shows it, under FAILURE LOG, with the whole message in the lines that begin with `provision-journal:`; `journalctl -b {}` on that machine shows them too, if that boot's journal survived.",
            boot.id
        )),
        "{advice}"
    );
    assert!(!advice.contains("The end of the log of boot"), "{advice}");
}

/// After a `reset`, `status` says that the attempt was reset and which
/// attempt the next provisioning boot starts, as its verdict does, rather
/// than an attempt run by no boot.
#[test]
fn status_after_a_reset_says_the_next_attempt() {
    let scratch = Scratch::new("after-reset");
    let journal = scratch.path.join("journal");
    Boot::first(1).run(&journal, &["check"]).expect(0);
    Boot::first(1)
        .run(&journal, &["fetched", "--sha256", &"c0".repeat(32)])
        .expect(0);
    Boot::first(1).run(&journal, &["begin", "disks"]).expect(0);
    Boot::first(2).run(&journal, &["check"]).expect(10);
    Boot::first(2)
        .run(&journal, &["reset", "--reason", "disks wiped"])
        .expect(0);
    let text = flat(&Boot::first(3).run(&journal, &["status"]).expect(0).stdout);
    assert!(
        text.contains("attempt: 1, reset; the next provisioning boot starts attempt 2 boots:"),
        "{text}"
    );
    assert!(
        text.contains("next check: first run: provisioning attempt 2 starts"),
        "{text}"
    );
    assert!(!text.contains("run by 0 boots"), "{text}");
}

/// The fleet pipeline spec/CLI.md and the man page give groups machines:
/// journals of different machines (each with its own boot IDs) in the same
/// state count as one line, each kind of state on a line of its own.
#[test]
fn the_documented_fleet_pipeline_groups_machines() {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/CLI.md"))
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let start = spec
        .find("`status --oneline */provision-journal |")
        .unwrap()
        + 1;
    let pipeline = &spec[start..start + spec[start..].find('`').unwrap()];
    let manual = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/man/provision-journal.8"
    ))
    .unwrap();
    let fields = pipeline
        .split(' ')
        .find(|word| word.starts_with("-f"))
        .unwrap();
    assert!(
        manual.contains(&format!("\\{fields} | sort | uniq \\-c")),
        "the man page gives another pipeline than `{pipeline}`"
    );

    let scratch = Scratch::new("fleet");
    for machine in 1..=9u8 {
        let journal = scratch
            .path
            .join(format!("m{machine}"))
            .join("provision-journal");
        std::fs::create_dir_all(journal.parent().unwrap()).unwrap();
        let boot = Boot::first(machine);
        match machine {
            1..=3 => provision(&boot, &journal),
            _ => {
                boot.run(&journal, &["check"]).expect(0);
                for hook in &FULL_SEQUENCE[..4] {
                    boot.run(&journal, hook).expect(0);
                }
            }
        }
        // Poisoned machines are counted by what poisoned them: two cut in
        // disks, whose next boot's `check` stopped them, and one whose
        // mount stage failed.
        match machine {
            6 | 7 => {
                let next = Boot::first(machine + 100);
                next.run(&journal, &["check"]).expect(10);
            }
            8 => {
                for hook in [&["end", "disks"][..], &["begin", "mount"]] {
                    boot.run(&journal, hook).expect(0);
                }
                let failed = ["fail", "mount", "--reason", "exit status 1"];
                boot.run(&journal, &failed).expect(0);
            }
            _ => {}
        }
    }
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("set -o pipefail; provision-journal {pipeline}"))
        .current_dir(&scratch.path)
        .env(
            "PATH",
            format!("{}:{}", bin_dir(), std::env::var("PATH").unwrap()),
        )
        .env("PROVISION_JOURNAL_CONF", "/dev/null")
        .env("PROVISION_JOURNAL_JOURNALD_SOCKET", "")
        .output()
        .unwrap();
    assert!(output.status.success(), "{pipeline}: {output:?}");
    let counted = String::from_utf8(output.stdout).unwrap();
    let counts: Vec<(u32, &str)> = counted
        .lines()
        .map(|line| {
            let (count, group) = line.trim_start().split_once(' ').unwrap();
            (count.parse().unwrap(), group)
        })
        .collect();
    assert_eq!(
        counts,
        [
            (3, "complete already_complete - clean"),
            (3, "mutating fatal_interruption disks/running clean"),
            (2, "poisoned poisoned disks/interrupted clean"),
            (1, "poisoned poisoned mount/stage_failed clean"),
        ],
        "{pipeline}:\n{counted}"
    );
}

/// The directory of the binary under test, for a pipeline that names it.
fn bin_dir() -> String {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_provision-journal"));
    bin.parent().unwrap().to_str().unwrap().to_owned()
}

/// With no PATH, a boot device that is not there still gets its line from
/// `status --json` and `--oneline`, as a journal it cannot read does.
#[test]
fn status_of_a_boot_device_that_is_not_there_still_has_its_line() {
    let scratch = Scratch::new("json-no-device");
    let journal = scratch.path.join("provision-journal");
    let device = "/dev/disk/by-label/no-such-boot-for-status";
    let on_device = ["--boot-device", device, "--boot-device-timeout", "0"];
    for form in ["--json", "--oneline"] {
        let mut args = on_device.to_vec();
        args.extend(["status", form]);
        let run = Boot::first(1).run(&journal, &args);
        assert!(run.stderr.contains(device), "{run:#?}");
        let line = run.stdout.lines().collect::<Vec<_>>();
        assert_eq!(line.len(), 1, "{form}: {run:#?}");
        match form {
            "--json" => {
                let document: serde_json::Value = serde_json::from_str(line[0]).unwrap();
                assert_eq!(document["journal"], "provision-journal", "{document}");
                assert_eq!(document["outcome"], "unreadable", "{document}");
                assert_eq!(document["may_proceed"], false, "{document}");
                assert_eq!(document["exit_status"], run.code, "{document}");
                assert!(
                    document["error"].as_str().unwrap().contains(device),
                    "{document}"
                );
            }
            _ => assert_eq!(
                line[0], "provision-journal unreadable - - - unreadable",
                "{run:#?}"
            ),
        }
    }
}
