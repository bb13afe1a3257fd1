//! `[Cache] KeepConfig=yes` through the binary: the copy kept by
//! `fetched`, restored by `check` on a retry, removed by `complete`, and
//! hostile copies, targets and partitions, each a clear error or a clear
//! verdict, never a config the journal did not bind.

#[path = "cli_common/mod.rs"]
mod cli_common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cli_common::{Boot, LoopFs, Run, Scratch, bytes, loop_devices_unavailable};

const A: &str = "{\"ignition\":{\"version\":\"3.4.0\"},\"passwd\":{\"users\":[{\"name\":\"core\",\"passwordHash\":\"SECRET-A\"}]}}";
const B: &str = "{\"ignition\":{\"version\":\"3.4.0\"},\"passwd\":{\"users\":[{\"name\":\"core\",\"passwordHash\":\"SECRET-B\"}]}}";

/// A boot directory, a configuration that keeps the copy, and a restore
/// target in memory (`/dev/shm` is a tmpfs).
struct Setup {
    scratch: Scratch,
    memory: PathBuf,
    conf: PathBuf,
}

impl Setup {
    fn new(name: &str) -> Setup {
        Self::with(name, "")
    }

    fn with(name: &str, extra: &str) -> Setup {
        let scratch = Scratch::new(name);
        let memory = PathBuf::from(format!(
            "/dev/shm/provision-journal-test.{}.{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&memory);
        std::fs::create_dir_all(&memory).unwrap();
        let conf = scratch.path.join("cache.conf");
        std::fs::write(
            &conf,
            format!(
                "[Cache]\nKeepConfig=yes\nRestoreTo={}\n{extra}",
                memory.join("ignition/user.ign").display()
            ),
        )
        .unwrap();
        std::fs::create_dir(scratch.path.join("boot")).unwrap();
        std::fs::write(scratch.path.join("a.json"), A).unwrap();
        std::fs::write(scratch.path.join("b.json"), B).unwrap();
        Setup {
            scratch,
            memory,
            conf,
        }
    }

    fn journal(&self) -> PathBuf {
        self.scratch.path.join("boot/provision-journal")
    }

    fn copy(&self) -> PathBuf {
        self.scratch.path.join("boot/provision-journal.config")
    }

    fn restored(&self) -> PathBuf {
        self.memory.join("ignition/user.ign")
    }

    fn config(&self, name: &str) -> String {
        self.scratch.path.join(name).display().to_string()
    }

    fn run_at(&self, boot: &Boot, journal: &Path, args: &[&str]) -> Run {
        Run::from(cli_common::json_samples::output(
            boot.command(journal, args)
                .env("PROVISION_JOURNAL_CONF", &self.conf),
        ))
    }

    fn run(&self, boot: &Boot, args: &[&str]) -> Run {
        self.run_at(boot, &self.journal(), args)
    }

    /// Boot 1: check, fetched A (kept), kargs, a planned reboot.
    fn first_boot_reboots_for_kargs(&self) -> Boot {
        let boot = Boot::first(1);
        self.run(&boot, &["check"]).expect(0);
        let fetched = self.run(&boot, &["fetched", "--config", &self.config("a.json")]);
        let fetched = fetched.expect(0);
        assert!(fetched.stdout.contains("kept a copy"), "{fetched:?}");
        for hook in [
            &["begin", "kargs"][..],
            &["end", "kargs"],
            &["reboot", "--reason", "kargs"],
        ] {
            self.run(&boot, hook).expect(0);
        }
        boot
    }

    fn dump_json(&self) -> serde_json::Value {
        let run = self.run(&Boot::first(99), &["dump", "--json"]).expect(0);
        serde_json::from_str(&run.stdout).unwrap()
    }

    fn kinds(&self) -> Vec<String> {
        self.dump_json()["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|record| record["event"]["kind"].as_str().unwrap().to_owned())
            .collect()
    }

    fn last_event(&self, kind: &str) -> serde_json::Value {
        self.dump_json()["records"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|record| record["event"]["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} record"))["event"]
            .clone()
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.memory);
    }
}

#[test]
fn a_retry_restores_the_kept_config_and_completion_removes_it() {
    let setup = Setup::new("cycle");
    setup.first_boot_reboots_for_kargs();
    let copy = std::fs::metadata(setup.copy()).unwrap();
    assert_eq!(copy.permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(setup.copy()).unwrap(), A);

    let boot = Boot::first(2);
    let check = setup.run(&boot, &["check"]).expect(0);
    assert!(check.stdout.contains("resume"), "{check:?}");
    assert!(
        check.stdout.contains("restored the kept config"),
        "{check:?}"
    );
    assert_eq!(std::fs::read_to_string(setup.restored()).unwrap(), A);
    let mode = std::fs::metadata(setup.restored())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // `check` again on the same boot restores nothing more.
    setup.run(&boot, &["check"]).expect(0);
    let restored = setup.config("../restored.json");
    std::fs::copy(setup.restored(), &restored).unwrap();
    for hook in [
        &["fetched", "--config", &restored][..],
        &["begin", "disks"],
        &["end", "disks"],
    ] {
        setup.run(&boot, hook).expect(0);
    }
    let complete = setup.run(&boot, &["complete"]).expect(0);
    assert!(complete.stdout.contains("(completed"), "{complete:?}");
    assert!(!setup.copy().exists(), "the copy outlived the attempt");
    let kinds = setup.kinds();
    assert_eq!(
        kinds
            .iter()
            .filter(|kind| *kind == "config_restored")
            .count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        &kinds[kinds.len() - 2..],
        ["kept_config_removed", "completed"]
    );
    // Reports show digests and sizes, never the content.
    for args in [
        &["dump"][..],
        &["dump", "--json"],
        &["status"],
        &["status", "--json"],
    ] {
        let run = setup.run(&Boot::first(3), args);
        assert!(
            !run.stdout.contains("SECRET"),
            "{args:?} shows the config: {}",
            run.stdout
        );
    }
    let kept = setup.last_event("config_kept");
    assert_eq!(kept["size"], A.len());
}

#[test]
fn a_copy_replaced_by_a_symlink_is_removed_and_never_followed() {
    let setup = Setup::new("symlink");
    setup.first_boot_reboots_for_kargs();
    let elsewhere = setup.scratch.path.join("elsewhere.json");
    std::fs::write(&elsewhere, A).unwrap();
    std::fs::remove_file(setup.copy()).unwrap();
    std::os::unix::fs::symlink(&elsewhere, setup.copy()).unwrap();
    let check = setup.run(&Boot::first(2), &["check"]).expect(0);
    assert!(
        check.stdout.contains("provision-journal.config") && check.stdout.contains("mismatch"),
        "{check:?}"
    );
    assert!(!setup.restored().exists(), "a symlinked copy was restored");
    assert!(
        std::fs::symlink_metadata(setup.copy()).is_err(),
        "the link was left"
    );
    assert_eq!(
        std::fs::read_to_string(&elsewhere).unwrap(),
        A,
        "the link's target was touched"
    );
    assert_eq!(setup.last_event("kept_config_removed")["cause"], "mismatch");
}

#[test]
fn a_hard_linked_copy_is_refused_and_never_restored() {
    let setup = Setup::new("hard-link");
    setup.first_boot_reboots_for_kargs();
    // A second name for the copy's bytes, which would outlive the attempt.
    let other = setup.scratch.path.join("boot/other-name");
    std::fs::hard_link(setup.copy(), &other).unwrap();
    let check = setup.run(&Boot::first(2), &["check"]).expect(0);
    assert!(
        check.stdout.contains("provision-journal.config")
            && check.stdout.contains("mismatch")
            && check.stdout.contains("hard-linked to another name"),
        "{check:?}"
    );
    assert!(
        !setup.restored().exists(),
        "a hard-linked copy was restored"
    );
    assert!(!setup.copy().exists(), "the copy's name was left");
    assert_eq!(setup.last_event("kept_config_removed")["cause"], "mismatch");
    // The other name is not the tool's to find or remove.
    assert!(other.exists());
}

#[test]
fn a_copy_hard_linked_after_it_was_kept_is_removed_by_the_next_hook() {
    let setup = Setup::new("hard-link-hook");
    let boot = Boot::first(1);
    setup.run(&boot, &["check"]).expect(0);
    setup
        .run(&boot, &["fetched", "--config", &setup.config("a.json")])
        .expect(0);
    std::fs::hard_link(setup.copy(), setup.scratch.path.join("boot/other-name")).unwrap();
    let begin = setup.run(&boot, &["begin", "kargs"]).expect(0);
    assert!(
        begin.stdout.contains("mismatch") && begin.stdout.contains("hard-linked"),
        "{begin:?}"
    );
    assert!(!setup.copy().exists());
    assert_eq!(setup.last_event("kept_config_removed")["cause"], "mismatch");
}

#[test]
fn a_truncated_copy_is_removed_and_the_retry_fetches_afresh() {
    let setup = Setup::new("truncated");
    setup.first_boot_reboots_for_kargs();
    std::fs::write(setup.copy(), &A[..A.len() - 3]).unwrap();
    let boot = Boot::first(2);
    let check = setup.run(&boot, &["check"]).expect(0);
    assert!(check.stdout.contains("mismatch"), "{check:?}");
    assert!(!setup.restored().exists());
    assert!(!setup.copy().exists());
    // Fetched afresh: the same config goes on, a different one after kargs
    // poisons (the binding still holds).
    setup
        .run(&boot, &["fetched", "--config", &setup.config("b.json")])
        .expect(13);
    assert!(!setup.copy().exists(), "a poisoning config was kept");
}

#[test]
fn a_copy_of_the_same_size_with_other_bytes_is_refused_by_its_digest() {
    let setup = Setup::new("same-size");
    setup.first_boot_reboots_for_kargs();
    let other = A.replace("SECRET-A", "SECRET-X");
    assert_eq!(other.len(), A.len());
    std::fs::write(setup.copy(), &other).unwrap();
    let check = setup.run(&Boot::first(2), &["check"]).expect(0);
    assert!(
        check.stderr.contains("provision-journal.config") && check.stderr.contains("SHA-256"),
        "{check:?}"
    );
    assert!(check.stderr.contains("not restored"), "{check:?}");
    assert!(
        !setup.restored().exists(),
        "a copy with another digest was restored"
    );
    assert!(!setup.copy().exists());
    assert_eq!(setup.last_event("kept_config_removed")["cause"], "mismatch");
}

#[test]
fn a_restore_cut_off_leaves_a_temporary_file_that_status_shows_and_the_next_writer_removes() {
    let setup = Setup::new("restore-leftover");
    setup.first_boot_reboots_for_kargs();
    let boot = Boot::first(2);
    setup.run(&boot, &["check"]).expect(0);
    // What a `check` killed between writing the restore and renaming it
    // leaves: the config, beside the target.
    let leftover = setup
        .memory
        .join("ignition/.user.ign.provision-journal.new");
    let shown = leftover.display().to_string();
    std::fs::write(&leftover, A).unwrap();
    let status = setup.run(&boot, &["status"]).expect(0);
    // The text form wraps long values under their field.
    let unwrapped = status.stdout.replace("\n            ", "");
    assert!(
        unwrapped.contains(&format!("leftover:   `{shown}`")),
        "{status:?}"
    );
    let json = setup.run(&boot, &["status", "--json"]).expect(0);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["restore_leftover"], shown.as_str());
    // The next check of the same boot removes it (it restores nothing more).
    let again = setup.run(&boot, &["check"]).expect(0);
    assert!(
        again.stdout.contains(&format!("removed `{shown}`")),
        "{again:?}"
    );
    assert!(!leftover.exists());
    let json = setup.run(&boot, &["status", "--json"]).expect(0);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["restore_leftover"], serde_json::Value::Null);
    // And so does any other writer.
    std::fs::write(&leftover, A).unwrap();
    let restored = setup.config("../restored.json");
    std::fs::copy(setup.restored(), &restored).unwrap();
    let fetched = setup
        .run(&boot, &["fetched", "--config", &restored])
        .expect(0);
    assert!(
        fetched.stdout.contains(&format!("removed `{shown}`")),
        "{fetched:?}"
    );
    assert!(!leftover.exists());
}

#[test]
fn a_restore_target_on_a_persistent_file_system_is_refused() {
    let setup = Setup::new("persistent");
    setup.first_boot_reboots_for_kargs();
    // A directory on a disk, not in memory: the scratch directory, or where
    // the temporary directory is itself a tmpfs, cargo's own beside the
    // build (skipped, and under CI failed, where both are in memory).
    let in_memory = |dir: &Path| {
        let fs_type = cli_common::sh(&format!("stat -f -c %T {}", dir.display()));
        (fs_type == "tmpfs" || fs_type == "ramfs").then_some(fs_type)
    };
    let on_disk = Scratch::new_in(Path::new(env!("CARGO_TARGET_TMPDIR")), "persistent");
    let dir = match (in_memory(&setup.scratch.path), in_memory(&on_disk.path)) {
        (None, _) => &setup.scratch.path,
        (Some(_), None) => &on_disk.path,
        (Some(fs_type), Some(_)) => {
            cli_common::support::skip::skip(format_args!(
                "the temporary directory and the build directory are both on {fs_type}"
            ));
            return;
        }
    };
    let target = dir.join("user.ign");
    let conf = format!("[Cache]\nKeepConfig=yes\nRestoreTo={}\n", target.display());
    std::fs::write(&setup.conf, conf).unwrap();
    let check = setup.run(&Boot::first(2), &["check"]).expect(54);
    assert!(
        check.stderr.contains(&target.display().to_string())
            && check.stderr.contains("persistent file system"),
        "{check:?}"
    );
    assert!(!target.exists(), "the config was written to a disk");
    assert!(setup.copy().exists(), "the bound copy was removed");
}

#[test]
fn a_restore_target_that_cannot_be_written_is_refused() {
    let setup = Setup::new("unwritable");
    setup.first_boot_reboots_for_kargs();
    // Its directory is a regular file.
    std::fs::write(setup.memory.join("ignition"), "not a directory").unwrap();
    let check = setup.run(&Boot::first(2), &["check"]).expect(54);
    assert!(
        check
            .stderr
            .contains(&setup.restored().display().to_string()),
        "{check:?}"
    );
    assert!(setup.copy().exists(), "the bound copy was removed");
}

#[test]
fn an_oversized_config_is_refused_and_nothing_is_written() {
    let setup = Setup::with("oversized", "MaxSize=64\n");
    let boot = Boot::first(1);
    setup.run(&boot, &["check"]).expect(0);
    let fetched = setup
        .run(&boot, &["fetched", "--config", &setup.config("a.json")])
        .expect(55);
    assert!(
        fetched.stderr.contains("a.json") && fetched.stderr.contains("MaxSize"),
        "{fetched:?}"
    );
    assert!(!setup.copy().exists());
    // Nothing is kept; only the failure that stopped the boot is recorded.
    assert_eq!(setup.kinds(), ["attempt_started", "call_failed"]);
    assert_eq!(setup.last_event("call_failed")["status"], 55);
}

#[test]
fn a_config_naming_others_is_not_kept_but_its_digest_is_bound() {
    let setup = Setup::new("merge");
    let merging = r#"{"ignition":{"version":"3.4.0","config":{"merge":[{"source":"http://example.com/x.ign"}]}}}"#;
    std::fs::write(setup.scratch.path.join("m.json"), merging).unwrap();
    let boot = Boot::first(1);
    setup.run(&boot, &["check"]).expect(0);
    let fetched = setup
        .run(&boot, &["fetched", "--config", &setup.config("m.json")])
        .expect(0);
    assert!(fetched.stderr.contains("is not kept"), "{fetched:?}");
    assert!(!setup.copy().exists());
    assert_eq!(setup.kinds(), ["attempt_started", "config_fetched"]);
}

#[test]
fn switching_keeping_off_removes_the_copy_at_the_next_writer() {
    let setup = Setup::new("disabled");
    setup.first_boot_reboots_for_kargs();
    std::fs::write(&setup.conf, "[Cache]\nKeepConfig=no\n").unwrap();
    let check = setup.run(&Boot::first(2), &["check"]).expect(0);
    assert!(check.stdout.contains("disabled"), "{check:?}");
    assert!(!setup.copy().exists());
    assert!(!setup.restored().exists());
}

#[test]
fn reset_removes_the_copy_and_the_next_attempt_starts() {
    let setup = Setup::new("reset");
    setup.first_boot_reboots_for_kargs();
    let reset = setup
        .run(&Boot::first(5), &["reset", "--reason", "start over"])
        .expect(0);
    assert!(reset.stdout.contains("(reset"), "{reset:?}");
    assert!(!setup.copy().exists());
    let check = setup.run(&Boot::first(6), &["check"]).expect(0);
    assert!(check.stdout.contains("first run"), "{check:?}");
}

#[test]
fn a_leftover_unbound_copy_is_removed_by_the_next_writer() {
    let setup = Setup::new("leftover");
    let boot = Boot::first(1);
    setup.run(&boot, &["check"]).expect(0);
    std::fs::write(setup.copy(), B).unwrap();
    let begin = setup
        .run(&boot, &["fetched", "--sha256", &"ab".repeat(32)])
        .expect(0);
    assert!(begin.stdout.contains("unbound"), "{begin:?}");
    assert!(!setup.copy().exists());
}

#[test]
fn config_shows_the_cache_settings_and_their_sources() {
    let setup = Setup::new("settings");
    let boot = Boot::first(1);
    let keep = setup
        .run(&boot, &["config", "--get", "Cache.KeepConfig"])
        .expect(0);
    assert_eq!(keep.stdout.trim(), "yes");
    let all = setup.run(&boot, &["config"]).expect(0);
    assert!(all.stdout.contains("[Cache]"), "{all:?}");
    assert!(all.stdout.contains("KeepConfig=yes  # "), "{all:?}");
    assert!(
        all.stdout.contains("MaxSize=1048576  # built-in default"),
        "{all:?}"
    );
    let default = boot
        .run(&setup.journal(), &["config", "--get", "Cache.KeepConfig"])
        .expect(0);
    assert_eq!(default.stdout.trim(), "no");
    std::fs::write(&setup.conf, "[Cache]\nMaxSize=17M\n").unwrap();
    let refused = setup.run(&boot, &["config"]).expect(2);
    assert!(refused.stderr.contains("MaxSize"), "{refused:?}");
}

#[test]
fn a_full_boot_partition_fails_keeping_with_no_record_and_no_copy() {
    if loop_devices_unavailable().is_some() {
        return;
    }
    let fs = LoopFs::new("cache-full", 1024, 1024);
    let setup = Setup::new("full");
    let boot = Boot::first(1);
    setup.run_at(&boot, &fs.journal(), &["check"]).expect(0);
    // Fill the file system, then fetch a config larger than what is left.
    cli_common::sh(&format!(
        "dd if=/dev/zero of={}/filler bs=1k 2>/dev/null; sync; true",
        fs.mountpoint.display()
    ));
    let big = setup.scratch.path.join("big.json");
    let padding = "x".repeat(64 * 1024);
    std::fs::write(
        &big,
        format!("{{\"ignition\":{{\"version\":\"3.4.0\"}},\"pad\":\"{padding}\"}}"),
    )
    .unwrap();
    let fetched = setup.run_at(
        &boot,
        &fs.journal(),
        &["fetched", "--config", &big.display().to_string()],
    );
    let fetched = fetched.expect(44);
    assert!(
        fetched.stderr.contains("provision-journal.config"),
        "{fetched:?}"
    );
    assert!(!fs.mountpoint.join("provision-journal.config").exists());
    let status = setup
        .run_at(&boot, &fs.journal(), &["status", "--json"])
        .expect(0);
    assert!(status.stdout.contains("\"fresh\""), "{status:?}");
}

/// A journal that still names the last attempt's copy after a `reset` (its
/// removal failed, or a power cut came before it) and ends in torn bytes
/// as long as a new attempt's start, `fetched`, `begin kargs`, `end kargs`
/// and `begin disks`: the copy's removal is not recorded first, where its
/// record would cut the torn bytes off before `check` weighs them, and the
/// boot is fatal, not a first run.
#[test]
fn a_pending_removal_does_not_cut_off_a_torn_tail_that_could_hide_a_crossing() {
    let setup = Setup::new("pending-removal-torn");
    let boot = Boot::first(1);
    setup.run(&boot, &["check"]).expect(0);
    setup
        .run(&boot, &["fetched", "--config", &setup.config("a.json")])
        .expect(0);
    // The copy's removal fails: a directory stands in its place.
    std::fs::remove_file(setup.copy()).unwrap();
    std::fs::create_dir_all(setup.copy().join("x")).unwrap();
    let reset = ["reset", "--reason", "disks wiped back"];
    setup.run(&Boot::with_cmdline(2, ""), &reset).expect(0);
    std::fs::remove_dir_all(setup.copy()).unwrap();
    let after_reset = bytes(&setup.journal()).unwrap().len();
    // The next attempt crosses the red line; then its records are lost.
    let boot = Boot::first(3);
    setup.run(&boot, &["check"]).expect(0);
    setup
        .run(&boot, &["fetched", "--config", &setup.config("a.json")])
        .expect(0);
    for hook in [
        &["begin", "kargs"][..],
        &["end", "kargs"],
        &["begin", "disks"],
    ] {
        setup.run(&boot, hook).expect(0);
    }
    let mut damaged = bytes(&setup.journal()).unwrap();
    damaged[after_reset..].fill(0);
    std::fs::write(setup.journal(), &damaged).unwrap();
    let _ = std::fs::remove_file(setup.copy());

    let run = setup.run(&Boot::first(4), &["check"]).expect(10);
    assert!(run.stdout.contains("torn bytes"), "{run:#?}");
    let kinds = setup.kinds();
    assert_eq!(
        kinds[kinds.len() - 3..],
        ["tail_repaired", "poisoned", "kept_config_removed"],
        "{kinds:?}"
    );
}
