//! Every refused command exits with its documented status, says why with the
//! journal's path, and leaves the journal byte-for-byte unchanged.

mod cli_common;

use std::os::fd::AsFd;
use std::path::Path;

use cli_common::json_samples::RecordedOutput;
use cli_common::{Boot, Scratch, bytes};

/// A journal holding `check` and `fetched` of one boot.
fn fetched_journal(scratch: &Scratch) -> std::path::PathBuf {
    let journal = scratch.path.join("provision-journal");
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    boot.run(&journal, cli_common::FULL_SEQUENCE[0]).expect(0);
    journal
}

#[track_caller]
fn refused(journal: &Path, args: &[&str], code: i32, says: &str) {
    let before = bytes(journal);
    let run = Boot::first(1).run(journal, args).expect(code);
    assert!(
        run.stderr.contains(says),
        "{args:?}: stderr does not say {says:?}: {run:#?}"
    );
    let after = bytes(journal);
    if after != before && only_its_failure_was_recorded(&before, &after, code) {
        return;
    }
    assert_eq!(after, before, "{args:?} changed the journal");
}

/// Whether `after` is `before` and one record more, the record of a call
/// that failed with `code` after this boot's `check` (once per boot: its
/// own record was not written).
fn only_its_failure_was_recorded(
    before: &Option<Vec<u8>>,
    after: &Option<Vec<u8>>,
    code: i32,
) -> bool {
    use provision_journal::{Journal, MemStorage};
    let (Some(before), Some(after)) = (before, after) else {
        return false;
    };
    let read = |bytes: &[u8]| Journal::read(MemStorage::with_bytes(bytes)).unwrap();
    let (before, after) = (read(before), read(after));
    after.record_count() == before.record_count() + 1
        && after
            .progress()
            .call_failure
            .as_ref()
            .is_some_and(|failure| {
                i32::from(failure.status) == code && failure.seq == before.record_count()
            })
}

#[test]
fn a_wrong_stage_name_is_a_usage_error() {
    let scratch = Scratch::new("wrong-stage");
    let journal = fetched_journal(&scratch);
    refused(&journal, &["begin", "disk"], 2, "invalid value 'disk'");
    refused(&journal, &["fail", "network"], 2, "invalid value 'network'");
    refused(
        &journal,
        &["fetched", "--sha256", "abc"],
        2,
        "64 hex digits",
    );
    refused(&journal, &["fetched"], 2, "--config");
}

#[test]
fn an_out_of_order_hook_is_rejected() {
    let scratch = Scratch::new("out-of-order");
    let journal = scratch.path.join("provision-journal");
    Boot::first(1).run(&journal, &["check"]).expect(0);
    refused(
        &journal,
        &["begin", "files"],
        30,
        "config has not been fetched",
    );
    let scratch = Scratch::new("out-of-order-2");
    let journal = fetched_journal(&scratch);
    refused(&journal, &["end", "disks"], 30, "that stage is not running");
    refused(&journal, &["begin", "fetch"], 2, "does not mutate");
    refused(&journal, &["complete"], 30, journal.to_str().unwrap());
    Boot::first(1).run(&journal, &["begin", "disks"]).expect(0);
    refused(&journal, &["begin", "kargs"], 30, "nothing was written");
    refused(&journal, &["reboot", "--reason", "kargs"], 30, "red line");
}

#[test]
fn reset_with_nothing_to_reset_is_refused() {
    let scratch = Scratch::new("reset-nothing");
    let journal = scratch.path.join("provision-journal");
    refused(
        &journal,
        &["reset", "--reason", "why not"],
        30,
        "there is no journal at",
    );
    assert!(!journal.exists());
}

#[test]
fn a_missing_directory_is_named() {
    let scratch = Scratch::new("missing-dir");
    let journal = scratch.path.join("no-such-dir").join("provision-journal");
    refused(&journal, &["check"], 41, "no-such-dir");
    refused(&journal, &["begin", "kargs"], 41, "does not exist");
    assert!(!scratch.path.join("no-such-dir").exists());
    let run = Boot::first(1).run(&journal, &["dump"]).expect(41);
    assert!(run.stderr.contains("no journal"), "{run:#?}");
    // `status` agrees with `check`: a wrong path is not an absent journal.
    for args in [&["status"][..], &["status", "--json"]] {
        let run = Boot::first(1).run(&journal, args).expect(41);
        assert!(run.stderr.contains("no-such-dir"), "{run:#?}");
        assert!(run.stderr.contains("does not exist"), "{run:#?}");
        // The JSON form still has its document for the path, saying so.
        match args.contains(&"--json") {
            true => {
                let document: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
                assert_eq!(document["exit_status"], 41, "{document}");
                assert_eq!(document["may_proceed"], false, "{document}");
            }
            false => assert_eq!(run.stdout, "", "{args:?}"),
        }
    }
}

#[test]
fn a_journal_that_is_not_a_regular_file_is_refused() {
    let scratch = Scratch::new("not-regular");
    let real = fetched_journal(&scratch);
    let link = scratch.path.join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let real_before = bytes(&real);
    for args in [&["check"][..], &["begin", "kargs"], &["status"], &["dump"]] {
        refused(&link, args, 22, "symbolic link");
    }
    assert_eq!(bytes(&real), real_before);

    let dir = scratch.path.join("dir");
    std::fs::create_dir(&dir).unwrap();
    refused(&dir, &["check"], 22, "directory");
    refused(&dir, &["begin", "kargs"], 22, "directory");

    let fifo = scratch.path.join("fifo");
    cli_common::sh(&format!("mkfifo {}", fifo.display()));
    refused(&fifo, &["check"], 22, "FIFO");
    refused(&fifo, &["end", "kargs"], 22, "FIFO");
    refused(&fifo, &["status"], 22, "FIFO");
}

#[test]
fn a_hard_linked_journal_is_refused_to_writers_and_read_with_a_warning() {
    let scratch = Scratch::new("hard-link");
    let real = fetched_journal(&scratch);
    let other = scratch.path.join("other-journal");
    std::fs::hard_link(&real, &other).unwrap();
    let before = bytes(&real);
    for journal in [&real, &other] {
        for args in [
            &["check"][..],
            &["begin", "kargs"],
            &["reset", "--reason", "x"],
        ] {
            refused(journal, args, 22, "2 hard links");
        }
    }
    assert_eq!(bytes(&real), before, "a write went through a hard link");
    for args in [&["status"][..], &["dump"], &["status", "--json"]] {
        let run = Boot::first(1).run(&other, args).expect(0);
        assert!(run.stderr.contains("2 hard links"), "{args:?}: {run:#?}");
        assert!(!run.stdout.is_empty());
    }
    std::fs::remove_file(&other).unwrap();
    Boot::first(1).run(&real, &["begin", "kargs"]).expect(0);
}

/// Takes the journal's lock in this process, as another writer would; it
/// is held until the file is dropped.
fn hold_lock(journal: &Path) -> std::fs::File {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .open(journal)
        .unwrap();
    rustix::fs::flock(
        file.as_fd(),
        rustix::fs::FlockOperation::NonBlockingLockExclusive,
    )
    .unwrap();
    file
}

#[test]
fn a_writer_waits_for_a_held_lock_up_to_its_bound_and_names_the_holder() {
    let scratch = Scratch::new("lock-wait");
    let journal = fetched_journal(&scratch);
    let file = hold_lock(&journal);
    let started = std::time::Instant::now();
    let run = Boot::first(1)
        .run(&journal, &["--lock-timeout", "1", "begin", "kargs"])
        .expect(23);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "did not wait"
    );
    assert!(
        run.stderr
            .contains(&format!("(PID {})", std::process::id()))
            && run
                .stderr
                .contains("whole lock timeout of 1 s this call waits"),
        "{run:#?}"
    );
    // Released while the writer waits: it goes on.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        drop(file);
    });
    Boot::first(1)
        .run(&journal, &["--lock-timeout", "30", "begin", "kargs"])
        .expect(0);
    releaser.join().unwrap();
}

#[test]
fn concurrent_hooks_of_one_boot_all_succeed() {
    let scratch = Scratch::new("lock-race");
    let journal = scratch.path.join("provision-journal");
    Boot::first(1).run(&journal, &["check"]).expect(0);
    let children: Vec<_> = (0..8)
        .map(|_| {
            Boot::first(1)
                .command(&journal, &["check"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{output:?}");
    }
}

#[test]
fn concurrent_first_checks_all_succeed_and_start_one_attempt() {
    // No journal yet: every `check` may try to create it. Creation waits
    // for the lock like every other write, so none fails (exit 23) and
    // exactly one starts the attempt; the others find it on the same boot.
    for round in 0..10 {
        let scratch = Scratch::new(&format!("create-race-{round}"));
        let journal = scratch.path.join("provision-journal");
        let children: Vec<_> = (0..8)
            .map(|_| {
                Boot::first(1)
                    .command(&journal, &["check"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut first_runs = 0;
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert_eq!(output.status.code(), Some(0), "round {round}: {output:?}");
            let stdout = String::from_utf8_lossy(&output.stdout);
            if stdout.starts_with("first run") {
                first_runs += 1;
            }
        }
        assert_eq!(first_runs, 1, "round {round}");
        let dump = Boot::first(1).run(&journal, &["dump", "--json"]).expect(0);
        assert_eq!(
            dump.stdout.matches("\"attempt_started\"").count(),
            1,
            "round {round}: {}",
            dump.stdout
        );
    }
}

#[test]
fn a_held_lock_is_reported_without_waiting() {
    let scratch = Scratch::new("locked");
    let journal = fetched_journal(&scratch);
    let file = hold_lock(&journal);
    refused(
        &journal,
        &["--lock-timeout", "0", "begin", "kargs"],
        23,
        "holds its lock",
    );
    refused(
        &journal,
        &["--lock-timeout", "0", "check"],
        23,
        "holds its lock",
    );
    // Readers take no lock.
    Boot::first(1).run(&journal, &["status"]).expect(0);
    Boot::first(1).run(&journal, &["dump"]).expect(0);
    drop(file);
    // A child another test is spawning right now may hold a copy of the
    // descriptor, and so the lock, until it execs: wait that out.
    let mut run = Boot::first(1).run(&journal, &["begin", "kargs"]);
    for _ in 0..100 {
        if run.code != 23 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        run = Boot::first(1).run(&journal, &["begin", "kargs"]);
    }
    run.expect(0);
}

#[test]
fn unreadable_inputs_are_named() {
    let scratch = Scratch::new("inputs");
    let journal = fetched_journal(&scratch);
    let missing = scratch.path.join("missing.json");
    refused(
        &journal,
        &["fetched", "--config", missing.to_str().unwrap()],
        53,
        "missing.json",
    );
    let before = bytes(&journal);
    let run = Boot::first(1)
        .command(&journal, &["begin", "kargs"])
        .env("PROVISION_JOURNAL_BOOT_ID", "not-a-uuid")
        .recorded_output();
    assert_eq!(run.status.code(), Some(50));
    assert!(String::from_utf8_lossy(&run.stderr).contains("not-a-uuid"));
    assert_eq!(bytes(&journal), before);
}

#[test]
fn a_corrupt_journal_stops_check_and_dump_says_where() {
    let scratch = Scratch::new("corrupt");
    let journal = fetched_journal(&scratch);
    let mut damaged = bytes(&journal).unwrap();
    damaged[30] ^= 0xff;
    damaged.extend_from_slice(&bytes(&journal).unwrap()[24..]);
    std::fs::write(&journal, &damaged).unwrap();
    refused(&journal, &["check"], 20, "corrupt at offset 24");
    refused(&journal, &["begin", "kargs"], 20, "corrupt");
    let run = Boot::first(1).run(&journal, &["dump"]).expect(20);
    assert!(run.stdout.contains("CORRUPTION at offset 24"), "{run:#?}");
    let mut newer = bytes(&journal).unwrap();
    newer[8] = 9;
    std::fs::write(&journal, &newer).unwrap();
    refused(&journal, &["check"], 21, "format version 9");
}

#[test]
fn fetched_records_the_digest_of_the_config_file() {
    let scratch = Scratch::new("fetched-config");
    let journal = scratch.path.join("provision-journal");
    let config = scratch.path.join("ignition.json");
    std::fs::write(&config, b"abc").unwrap();
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    boot.run(&journal, &["fetched", "--config", config.to_str().unwrap()])
        .expect(0);
    let run = boot.run(&journal, &["status", "--json"]).expect(0);
    let status: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        status["config_sha256"],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(status["state"], "fetched");
    assert_eq!(status["stage"], serde_json::Value::Null);
    assert_eq!(status["epoch"], 1);
    assert_eq!(status["verdict"], "safe_retry");
}

#[test]
fn a_boot_that_did_not_run_check_cannot_write_hooks() {
    let scratch = Scratch::new("unchecked-boot");
    let journal = fetched_journal(&scratch);
    let first = Boot::first(1);
    for args in [
        &["begin", "kargs"][..],
        &["end", "kargs"],
        &["begin", "disks"],
    ] {
        first.run(&journal, args).expect(0);
    }
    // Power cut during disks; the next boot's hooks run without `check`.
    let before = bytes(&journal);
    for args in [&["end", "disks"][..], &["begin", "mount"], &["complete"]] {
        let run = Boot::first(2).run(&journal, args).expect(30);
        assert!(run.stderr.contains("has not run `check`"), "{run:#?}");
        assert_eq!(bytes(&journal), before, "{args:?} changed the journal");
    }
    Boot::first(2).run(&journal, &["check"]).expect(10);
}

#[test]
fn reset_needs_a_reason_and_a_stopped_attempt() {
    let scratch = Scratch::new("reset-rules");
    let journal = fetched_journal(&scratch);
    refused(&journal, &["reset", "--reason", ""], 2, "say why");
    refused(&journal, &["reset", "--reason", "  "], 2, "say why");
    Boot::first(1).run(&journal, &["begin", "disks"]).expect(0);
    refused(
        &journal,
        &["reset", "--reason", "oops"],
        30,
        "running on this boot",
    );
    // From a later boot the interrupted attempt may be reset.
    Boot::first(2)
        .run(&journal, &["reset", "--reason", "disks wiped by hand"])
        .expect(0);
}

#[test]
fn a_long_reason_is_shown_as_it_was_recorded() {
    let scratch = Scratch::new("long-reason");
    let journal = fetched_journal(&scratch);
    let boot = Boot::first(1);
    boot.run(&journal, &["begin", "kargs"]).expect(0);
    let long = format!("{}{}", "x".repeat(200), "LOST");
    let run = boot
        .run(&journal, &["fail", "kargs", "--reason", &long])
        .expect(0);
    assert!(
        run.stdout
            .contains(&format!("--reason \"{}\"`", "x".repeat(200))),
        "{run:#?}"
    );
    assert!(!run.stdout.contains("LOST"), "{run:#?}");
    assert!(run.stdout.contains("cut to the 200 bytes"), "{run:#?}");
    let dump = boot.run(&journal, &["dump"]).expect(0);
    assert!(!dump.stdout.contains("LOST"), "{dump:#?}");
}

#[test]
fn a_hook_before_check_says_check_must_run_first() {
    let scratch = Scratch::new("no-journal");
    let journal = scratch.path.join("provision-journal");
    for args in [
        &["begin", "disks"][..],
        &["complete"],
        &["fetched", "--sha256", &"ab".repeat(32)],
    ] {
        let run = Boot::first(1).run(&journal, args).expect(30);
        assert!(run.stderr.contains("there is no journal"), "{run:#?}");
        assert!(run.stderr.contains("`check` must run first"), "{run:#?}");
        assert!(!journal.exists(), "{args:?} created the journal");
    }
}

#[test]
fn a_refused_hook_is_named_as_the_command_typed() {
    let scratch = Scratch::new("command-names");
    let journal = fetched_journal(&scratch);
    refused(&journal, &["complete"], 30, "cannot run `complete`");
    refused(
        &journal,
        &["fetched", "--sha256", &"ab".repeat(32)],
        30,
        "cannot run `fetched`",
    );
    Boot::first(1)
        .run(&journal, &["reboot", "--reason", "fips"])
        .expect(0);
    refused(
        &journal,
        &["reboot", "--reason", "fips"],
        30,
        "cannot run `reboot`",
    );
    for run in [
        Boot::first(1).run(&journal, &["complete"]),
        Boot::first(1).run(&journal, &["reboot", "--reason", "kargs"]),
    ] {
        assert!(!run.stderr.contains("`completed`"), "{run:#?}");
        assert!(!run.stderr.contains("reboot-planned"), "{run:#?}");
    }
}

/// A path may hold any byte but NUL and `/`: an escape sequence in a
/// file name must not reach the terminal through an error message, nor a
/// newline fake a line of its own. Messages escape it as the reports do.
#[test]
fn a_hostile_path_is_escaped_in_error_messages() {
    let scratch = Scratch::new("hostile-path");
    let hostile = scratch.path.join("a\u{1b}[31mred\nprovision-journal: fake");
    let journal = hostile.join("provision-journal");
    let path = journal.to_str().unwrap();
    for args in [
        &["status", path][..],
        &["dump", path],
        &["status", "--oneline", path],
    ] {
        let run = Boot::first(1).run(&scratch.path.join("unused"), args);
        assert_eq!(run.code, 41, "{args:?}: {run:#?}");
        assert!(
            !run.stderr.contains('\u{1b}'),
            "{args:?}: a raw escape reached stderr: {run:#?}"
        );
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {run:#?}");
        assert!(
            run.stderr
                .contains("a\\u{1b}[31mred\\u{a}provision-journal: fake"),
            "{args:?}: {run:#?}"
        );
    }
    // A writer's message, through the journald entry's sentence.
    let run = Boot::first(1).run(&journal, &["check"]).expect(41);
    assert!(!run.stderr.contains('\u{1b}'), "{run:#?}");
    assert_eq!(run.stderr.lines().count(), 1, "{run:#?}");
}

/// `status` and `dump` without a PATH where the configuration names a boot
/// device the machine does not have (a laptop or a container with a
/// distribution's profile): exit 51, and the message first says how to
/// read a copy of the journal. It does not offer the live override, which
/// a report does not heed. The configuration's device timeout of 0 makes
/// the call fail at once.
#[test]
fn a_report_without_its_boot_device_says_first_to_name_a_copy() {
    let scratch = Scratch::new("no-boot-device");
    let device = scratch.path.join("no-such-boot-device");
    let conf = scratch.path.join("profile.conf");
    std::fs::write(
        &conf,
        format!("[Boot]\nDevice={}\nDeviceTimeoutSec=0\n", device.display()),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let output = std::process::Command::new(cli_common::BIN)
            .args(args)
            .env("PROVISION_JOURNAL_CONF", &conf)
            .env("PROVISION_JOURNAL_BOOT_ID", &Boot::first(1).id)
            .env("PROVISION_JOURNAL_CMDLINE", "BOOT_IMAGE=/vmlinuz")
            .env("PROVISION_JOURNAL_JOURNALD_SOCKET", "")
            .env(
                "PROVISION_JOURNAL_RUNTIME_DIR",
                cli_common::runtime_dir_beside(&scratch.path),
            )
            .env_remove("PROVISION_JOURNAL_LIVE")
            .output()
            .unwrap();
        cli_common::Run::from(output).expect(51)
    };
    let missing = format!(
        "provision-journal: boot device `{}` does not exist (waited 0s); ",
        device.display()
    );
    for report in ["status", "dump"] {
        let stderr = run(&[report]).stderr;
        assert!(
            stderr.starts_with(&format!(
                "{missing}to read a copy of a journal (from a support bundle, say), give its path: `provision-journal status PATH` or `provision-journal dump PATH`; "
            )),
            "{report}: {stderr}"
        );
        assert!(
            stderr.contains("a live system keeps no journal to read"),
            "{report}: {stderr}"
        );
        assert!(
            !stderr.contains("PROVISION_JOURNAL_LIVE"),
            "{report}: {stderr}"
        );
    }
    // A writer is still told how to say that the machine is a live system,
    // which makes a hook record nothing without the device.
    let stderr = run(&["begin", "kargs"]).stderr;
    assert!(
        stderr.contains(&format!(
            "{missing}if this is a live system, say so with PROVISION_JOURNAL_LIVE=1"
        )),
        "{stderr}"
    );
}

/// A device given as the config (endless bytes from `/dev/zero`) is
/// refused at once, the failure recorded; a pipe, as a process
/// substitution gives, is read.
#[test]
fn a_device_given_as_the_config_is_refused_and_a_pipe_is_read() {
    let scratch = Scratch::new("config-device");
    let journal = scratch.path.join("provision-journal");
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    let mut child = boot
        .command(&journal, &["fetched", "--config", "/dev/zero"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = None;
    for _ in 0..200 {
        status = child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    if status.is_none() {
        child.kill().unwrap();
        child.wait().unwrap();
        panic!("`fetched --config /dev/zero` still read after 10 s");
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(53), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is a character device"), "{stderr}");

    let config = scratch.path.join("config.json");
    std::fs::write(&config, "{}\n").unwrap();
    let script = format!(
        "exec \"$0\" --journal {} fetched --config <(cat {})",
        journal.display(),
        config.display()
    );
    let output = boot
        .command(&journal, &[])
        .get_envs()
        .fold(
            std::process::Command::new("bash"),
            |mut command, (key, value)| {
                match value {
                    Some(value) => command.env(key, value),
                    None => command.env_remove(key),
                };
                command
            },
        )
        .args(["-c", &script, cli_common::BIN])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

/// A failed sync while the journal is created (the new file's `fdatasync`
/// before its rename, the directory's `fsync` after it; injected by
/// strace) is exit 45 like a record's, names the sync and says it is not
/// retried, and is made once.
#[test]
fn a_failed_sync_while_creating_the_journal_is_exit_45_and_not_retried() {
    for (call, says) in [
        (
            "fdatasync",
            "the `fdatasync` of the new journal before its rename",
        ),
        (
            "fsync",
            "the `fsync` of the directory after the new journal's rename",
        ),
    ] {
        let scratch = Scratch::new(&format!("create-{call}"));
        let journal = scratch.path.join("provision-journal");
        let log = scratch.path.join("strace.log");
        let inject = format!("inject={call}:error=EIO:when=1");
        let options = ["-f", "-qq", "-e", "trace=fdatasync,fsync", "-e", &inject];
        let untraced = Boot::first(1).command(&journal, &["check"]);
        let Some(mut traced) = cli_common::under_strace(&untraced, &options, &log) else {
            return;
        };
        let run = cli_common::Run::from(traced.output().unwrap()).expect(45);
        assert!(
            run.stderr.contains(says)
                && run.stderr.contains("not retried")
                && run.stderr.contains(journal.to_str().unwrap()),
            "{run:#?}"
        );
        let calls = std::fs::read_to_string(&log).unwrap();
        assert_eq!(
            calls
                .lines()
                .filter(|line| line.starts_with(&format!("{call}("))
                    || line.contains(&format!(" {call}(")))
                .count(),
            1,
            "{calls}"
        );
    }
}
