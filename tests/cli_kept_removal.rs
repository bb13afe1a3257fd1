//! A kept copy that cannot be removed, through the binary: a directory in
//! its place, an immutable file (`chattr +i`) and a file on a read-only
//! mount, the last two on a loop-mounted ext4 (root only; skipped with the
//! reason otherwise, failing under CI).
//!
//! Whatever refuses the removal, a hook after its own record exits as its
//! record says (0) and warns, and nothing is recorded for the copy, which
//! the journal still names; `complete`, which must remove the copy before
//! its record, fails and leaves the journal byte for byte as it was; once
//! the obstacle is cleared, `complete` removes the copy and records both.

mod cli_common;

use std::path::{Path, PathBuf};

use cli_common::{Boot, LoopFs, Run, Scratch, bytes, loop_devices_unavailable, sh};

const A: &str = r#"{"ignition":{"version":"3.4.0"},"passwd":{"users":[{"name":"core","passwordHash":"SECRET-A"}]}}"#;

/// A journal directory and the configurations that keep a copy and not.
struct Machine {
    journal: PathBuf,
    scratch: Scratch,
}

impl Machine {
    fn new(name: &str, dir: &Path) -> Machine {
        let scratch = Scratch::new(name);
        std::fs::write(
            scratch.path.join("keep.conf"),
            format!(
                "[Cache]\nKeepConfig=yes\nRestoreTo=/dev/shm/provision-journal-test.{}.{name}/user.ign\n",
                std::process::id()
            ),
        )
        .unwrap();
        std::fs::write(scratch.path.join("off.conf"), "[Cache]\nKeepConfig=no\n").unwrap();
        std::fs::write(scratch.path.join("a.json"), A).unwrap();
        Machine {
            journal: dir.join("provision-journal"),
            scratch,
        }
    }

    fn copy(&self) -> PathBuf {
        self.journal.with_file_name("provision-journal.config")
    }

    fn run(&self, conf: &str, args: &[&str]) -> Run {
        Run::from(
            Boot::first(1)
                .command(&self.journal, args)
                .env(
                    "PROVISION_JOURNAL_CONF",
                    self.scratch.path.join(format!("{conf}.conf")),
                )
                .output()
                .unwrap(),
        )
    }

    fn kinds(&self) -> Vec<String> {
        let dump = self.run("off", &["dump", "--json"]).expect(0);
        let dump: serde_json::Value = serde_json::from_str(&dump.stdout).unwrap();
        dump["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|record| record["event"]["kind"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// Provisions past the red line with the copy kept, puts `obstruct` in the
/// way of its removal, and checks what every writer does, then clears it.
fn a_copy_that_cannot_be_removed(
    machine: &Machine,
    obstruct: impl FnOnce(&Path),
    clear: impl FnOnce(&Path),
    complete_exit: i32,
    reason: &str,
) {
    let config = machine.scratch.path.join("a.json");
    machine.run("keep", &["check"]).expect(0);
    machine
        .run("keep", &["fetched", "--config", config.to_str().unwrap()])
        .expect(0);
    for hook in [["begin", "disks"], ["end", "disks"]] {
        machine.run("keep", &hook).expect(0);
    }
    obstruct(&machine.copy());

    // Keeping switched off: every hook records, then cannot remove the copy.
    for hook in [["begin", "files"], ["end", "files"]] {
        let run = machine.run("off", &hook).expect(0);
        assert!(run.stdout.contains("recorded"), "{hook:?}: {run:#?}");
        assert!(
            run.stderr.contains("warning")
                && run.stderr.contains("provision-journal.config")
                && run.stderr.contains(reason)
                && run.stderr.contains("Nothing was recorded for it"),
            "{hook:?}: {run:#?}"
        );
    }
    assert_eq!(
        machine.kinds(),
        [
            "attempt_started",
            "config_kept",
            "stage_began",
            "stage_ended",
            "stage_began",
            "stage_ended"
        ]
    );
    let status = machine.run("off", &["status", "--json"]).expect(0);
    assert!(status.stdout.contains("\"kept_config\":{"), "{status:#?}");

    // `complete` must remove it before its record: it fails, writing nothing.
    let before = bytes(&machine.journal);
    let run = machine.run("off", &["complete"]).expect(complete_exit);
    assert!(
        run.stderr.contains("provision-journal.config")
            && run.stderr.contains(reason)
            && run.stderr.contains("`complete` was not recorded"),
        "{run:#?}"
    );
    assert_eq!(bytes(&machine.journal), before, "complete wrote");

    clear(&machine.copy());
    let run = machine.run("off", &["complete"]).expect(0);
    assert!(run.stdout.contains("(completed"), "{run:#?}");
    assert!(std::fs::symlink_metadata(machine.copy()).is_err());
    let kinds = machine.kinds();
    assert_eq!(
        &kinds[kinds.len() - 2..],
        ["kept_config_removed", "completed"]
    );
}

#[test]
fn a_directory_in_place_of_the_copy() {
    let scratch = Scratch::new("kept-dir");
    let machine = Machine::new("kept-dir", &scratch.path);
    a_copy_that_cannot_be_removed(
        &machine,
        |copy| {
            std::fs::remove_file(copy).unwrap();
            std::fs::create_dir(copy).unwrap();
            std::fs::write(copy.join("inside"), "someone's file").unwrap();
        },
        |copy| std::fs::remove_dir_all(copy).unwrap(),
        40,
        "Is a directory",
    );
}

#[test]
fn an_immutable_copy() {
    if loop_devices_unavailable().is_some() {
        return;
    }
    let fs = LoopFs::new("kept-immutable", 8192, 4096);
    let machine = Machine::new("kept-immutable", &fs.mountpoint);
    a_copy_that_cannot_be_removed(
        &machine,
        |copy| {
            sh(&format!("chattr +i {}", copy.display()));
        },
        |copy| {
            sh(&format!("chattr -i {}", copy.display()));
        },
        43,
        "Operation not permitted",
    );
}

#[test]
fn a_copy_on_a_read_only_mount() {
    if loop_devices_unavailable().is_some() {
        return;
    }
    let fs = LoopFs::new("kept-read-only", 8192, 4096);
    let machine = Machine::new("kept-read-only", &fs.mountpoint);
    let journal = machine.journal.display().to_string();
    let mountpoint = fs.mountpoint.display().to_string();
    // Undone even if the test fails, so that the loop device can go.
    struct Unbind(String);
    impl Drop for Unbind {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unbind = Unbind(journal.clone());
    // The boot partition's mount turns read-only; the journal stays
    // writable through a bind mount of its own.
    a_copy_that_cannot_be_removed(
        &machine,
        |_| {
            sh(&format!(
                "mount --bind {journal} {journal} && mount -o remount,bind,ro {mountpoint}"
            ));
        },
        |_| {
            sh(&format!(
                "mount -o remount,bind,rw {mountpoint} && umount {journal}"
            ));
        },
        42,
        "Read-only file system",
    );
}

#[test]
fn after_a_reset_no_attempt_starts_while_the_last_ones_copy_is_there() {
    let scratch = Scratch::new("kept-reset");
    let machine = Machine::new("kept-reset", &scratch.path);
    let config = machine.scratch.path.join("a.json");
    machine.run("keep", &["check"]).expect(0);
    machine
        .run("keep", &["fetched", "--config", config.to_str().unwrap()])
        .expect(0);
    machine.run("keep", &["begin", "disks"]).expect(0);
    let copy = machine.copy();
    std::fs::remove_file(&copy).unwrap();
    std::fs::create_dir(&copy).unwrap();
    let next = |n: u8, args: &[&str]| {
        Run::from(
            Boot::first(n)
                .command(&machine.journal, args)
                .env(
                    "PROVISION_JOURNAL_CONF",
                    machine.scratch.path.join("keep.conf"),
                )
                .output()
                .unwrap(),
        )
    };
    // The next boot poisons the attempt; the copy cannot go, which it says.
    let check = next(2, &["check"]).expect(10);
    assert!(check.stderr.contains("Is a directory"), "{check:#?}");
    let reset = next(3, &["reset", "--reason", "disks verified"]).expect(0);
    assert!(
        reset.stderr.contains("Is a directory")
            && reset.stderr.contains("starts a new attempt only once"),
        "{reset:#?}"
    );
    // No new attempt while it is there, and nothing written.
    let before = bytes(&machine.journal);
    let check = next(4, &["check"]).expect(40);
    assert!(
        check.stderr.contains("`check` recorded no decision"),
        "{check:#?}"
    );
    assert_eq!(bytes(&machine.journal), before);
    std::fs::remove_dir(&copy).unwrap();
    let check = next(4, &["check"]).expect(0);
    assert!(check.stdout.contains("first run"), "{check:#?}");
    let kinds = machine.kinds();
    assert_eq!(
        &kinds[kinds.len() - 2..],
        ["kept_config_removed", "attempt_started"]
    );
}
