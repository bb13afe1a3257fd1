//! The whole Ignition sequence through the built binary, as the units run
//! it, on a real ext4 file system in a loop-mounted image. Needs root and
//! loop devices; skips with the reason otherwise (and fails under CI).

mod cli_common;

use std::path::Path;

use cli_common::json_samples::RecordedOutput;
use cli_common::{Boot, FULL_SEQUENCE, LoopFs, bytes, loop_devices_unavailable, provision, sh};
use serde_json::Value;

fn status(journal: &Path) -> Value {
    let run = Boot::first(0xee)
        .run(journal, &["status", "--json"])
        .expect(0);
    serde_json::from_str(&run.stdout).unwrap()
}

macro_rules! require_loop_devices {
    () => {
        if loop_devices_unavailable().is_some() {
            return;
        }
    };
}

#[test]
fn a_clean_first_boot_completes_and_is_not_repeated() {
    require_loop_devices!();
    let fs = LoopFs::new("clean", 8192, 4096);
    let journal = fs.journal();
    assert_eq!(status(&journal)["state"], "absent");
    assert_eq!(status(&journal)["verdict"], "first_run");
    let boot = Boot::first(1);
    let run = boot.run(&journal, &["check"]).expect(0);
    assert_eq!(
        run.stdout.trim(),
        "first run: provisioning attempt 1 starts"
    );
    for hook in FULL_SEQUENCE {
        boot.run(&journal, hook).expect(0);
    }
    let after = status(&journal);
    assert_eq!(after["state"], "complete");
    assert_eq!(after["verdict"], "already_complete");
    assert_eq!(after["epoch"], 1);
    // The stamp was not removed (the FCOS race): the next boot refuses.
    let run = Boot::first(2).run(&journal, &["check"]).expect(12);
    assert!(run.stdout.contains("already completed"), "{run:#?}");
    // Once the stamp is gone, boots are not provisioning boots at all.
    let plain = Boot::with_cmdline(3, "BOOT_IMAGE=/vmlinuz quiet");
    let before = bytes(&journal);
    let run = plain.run(&journal, &["check"]).expect(0);
    assert!(run.stdout.contains("not a provisioning boot"), "{run:#?}");
    assert_eq!(bytes(&journal), before);
}

#[test]
fn a_planned_reboot_after_kargs_resumes() {
    require_loop_devices!();
    let fs = LoopFs::new("kargs-reboot", 8192, 4096);
    let journal = fs.journal();
    let first = Boot::first(1);
    first.run(&journal, &["check"]).expect(0);
    for hook in &FULL_SEQUENCE[..3] {
        first.run(&journal, hook).expect(0);
    }
    first
        .run(&journal, &["reboot", "--reason", "kargs"])
        .expect(0);
    first.run(&journal, &["begin", "disks"]).expect(30);

    let second = Boot::first(2);
    let run = second.run(&journal, &["check"]).expect(0);
    assert!(run.stdout.starts_with("resume: attempt 1"), "{run:#?}");
    second.run(&journal, FULL_SEQUENCE[0]).expect(0);
    for hook in &FULL_SEQUENCE[3..] {
        second.run(&journal, hook).expect(0);
    }
    assert_eq!(status(&journal)["state"], "complete");
    assert_eq!(status(&journal)["planned_reboots"], 1);
}

#[test]
fn an_interruption_at_every_hook_is_retried_before_the_red_line_and_fatal_after() {
    require_loop_devices!();
    let fs = LoopFs::new("interruptions", 16384, 4096);
    let begin_disks = FULL_SEQUENCE
        .iter()
        .position(|hook| *hook == ["begin", "disks"])
        .unwrap();
    for done in 0..=FULL_SEQUENCE.len() {
        // Each case in its own directory, marked as a provisioning boot by
        // the stamp beside the journal rather than the command line.
        let dir = fs.mountpoint.join(format!("case-{done}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("ignition.firstboot"), b"").unwrap();
        let journal = dir.join("provision-journal");
        let interrupted = Boot::with_cmdline(1, "quiet");
        interrupted.run(&journal, &["check"]).expect(0);
        for hook in &FULL_SEQUENCE[..done] {
            interrupted.run(&journal, hook).expect(0);
        }
        let next = Boot::with_cmdline(2, "quiet");
        let run = next.run(&journal, &["check"]);
        if done == FULL_SEQUENCE.len() {
            run.expect(12);
        } else if done > begin_disks {
            let run = run.expect(10);
            assert!(
                run.stdout
                    .starts_with("fatal: boot 01010101 was interrupted"),
                "{run:#?}"
            );
            let after = Boot::with_cmdline(3, "quiet")
                .run(&journal, &["check"])
                .expect(11);
            assert!(after.stdout.contains("is poisoned"), "{after:#?}");
            assert_eq!(status(&journal)["state"], "poisoned");
        } else {
            let run = run.expect(0);
            assert!(
                run.stdout.starts_with("safe retry: attempt 1"),
                "after {done} hooks: {run:#?}"
            );
            // The retry goes through to the end.
            for hook in FULL_SEQUENCE {
                next.run(&journal, hook).expect(0);
            }
            assert_eq!(status(&journal)["state"], "complete");
        }
    }
}

#[test]
fn a_failed_stage_past_the_red_line_poisons_until_reset() {
    require_loop_devices!();
    let fs = LoopFs::new("poison-reset", 8192, 4096);
    let journal = fs.journal();
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    for hook in &FULL_SEQUENCE[..4] {
        boot.run(&journal, hook).expect(0);
    }
    boot.run(&journal, &["fail", "disks", "--reason", "exit-code 1"])
        .expect(0);
    assert_eq!(status(&journal)["state"], "poisoned");
    let run = Boot::first(2).run(&journal, &["check"]).expect(11);
    assert!(run.stdout.contains("poisoned"), "{run:#?}");
    Boot::first(3).run(&journal, &["check"]).expect(11);

    let run = Boot::first(4)
        .run(
            &journal,
            &["reset", "--reason", "disks wiped and verified by hand"],
        )
        .expect(0);
    assert!(
        run.stdout
            .contains("first run: provisioning attempt 2 starts"),
        "{run:#?}"
    );
    assert_eq!(status(&journal)["verdict"], "first_run");
    let run = Boot::first(5).run(&journal, &["check"]).expect(0);
    assert_eq!(
        run.stdout.trim(),
        "first run: provisioning attempt 2 starts"
    );
    for hook in FULL_SEQUENCE {
        Boot::first(5).run(&journal, hook).expect(0);
    }
    assert_eq!(status(&journal)["epoch"], 2);
    let dump = Boot::first(5).run(&journal, &["dump"]).expect(0);
    assert!(
        dump.stdout.contains("disks wiped and verified by hand"),
        "{}",
        dump.stdout
    );
    assert!(dump.stdout.contains("exit-code 1"), "{}", dump.stdout);
}

#[test]
fn a_completed_provisioning_reruns_once_per_token() {
    require_loop_devices!();
    let fs = LoopFs::new("rerun", 8192, 4096);
    let journal = fs.journal();
    provision(&Boot::first(1), &journal);
    let rerun = Boot::with_cmdline(2, "ignition.firstboot provision_journal.rerun=dev-1");
    let run = rerun.run(&journal, &["check"]).expect(0);
    assert!(
        run.stdout.starts_with("forced rerun (token \"dev-1\")"),
        "{run:#?}"
    );
    for hook in FULL_SEQUENCE {
        rerun.run(&journal, hook).expect(0);
    }
    assert_eq!(status(&journal)["epoch"], 2);
    let again = Boot::with_cmdline(3, "ignition.firstboot provision_journal.rerun=dev-1");
    again.run(&journal, &["check"]).expect(12);
    let fresh_token = Boot::with_cmdline(4, "ignition.firstboot provision_journal.rerun=dev-2");
    fresh_token.run(&journal, &["check"]).expect(0);
}

#[test]
fn a_live_system_records_nothing() {
    require_loop_devices!();
    let fs = LoopFs::new("live", 8192, 4096);
    let journal = fs.journal();
    let live = Boot::with_cmdline(1, "ignition.firstboot coreos.liveiso=fedora-coreos");
    let run = live.run(&journal, &["check"]).expect(0);
    assert!(run.stdout.starts_with("live system"), "{run:#?}");
    for hook in FULL_SEQUENCE {
        live.run(&journal, hook).expect(0);
    }
    assert!(!journal.exists());
    let pxe = Boot::with_cmdline(
        2,
        "ignition.firstboot coreos.live.rootfs_url=http://x/rootfs.img",
    );
    pxe.run(&journal, &["check"]).expect(0);
    let forced = Boot::first(3)
        .command(&journal, &["begin", "disks"])
        .env("PROVISION_JOURNAL_LIVE", "1")
        .recorded_output();
    assert_eq!(forced.status.code(), Some(0));
    assert!(!journal.exists());
    // A boot device that is not there is never taken for a live system.
    let run = Boot::first(4)
        .run(
            &journal,
            &[
                "--boot-device",
                "/dev/disk/by-label/no-such-boot",
                "--boot-device-timeout",
                "0",
                "check",
            ],
        )
        .expect(51);
    assert!(run.stderr.contains("no-such-boot"), "{run:#?}");
}

/// An unmounted ext4 boot device holding the firstboot stamp, and its path.
fn stamped_boot_device(name: &str) -> (LoopFs, String) {
    let mut fs = LoopFs::new(name, 8192, 4096);
    std::fs::write(fs.mountpoint.join("ignition.firstboot"), b"").unwrap();
    fs.unmount();
    let device = fs.device.clone();
    (fs, device)
}

/// Runs the binary with `--boot-device device` on a boot the stamp alone
/// marks as a provisioning one.
fn on_device(device: &str, args: &[&str]) -> cli_common::Run {
    let mut all = vec!["--boot-device", device];
    all.extend_from_slice(args);
    Boot::with_cmdline(1, "quiet").run(Path::new("/boot/provision-journal"), &all)
}

#[test]
fn the_boot_device_is_mounted_privately_for_each_call() {
    require_loop_devices!();
    let (mut fs, device) = stamped_boot_device("boot-device");
    let with_device = |args: &[&str]| on_device(&device, args);
    // A mount point a killed call left behind is removed by the next one.
    let dead = (100_000..)
        .find(|pid| !Path::new(&format!("/proc/{pid}")).exists())
        .unwrap();
    let stale = format!("/run/provision-journal.{dead}");
    std::fs::create_dir(&stale).unwrap();
    let run = with_device(&["check"]).expect(0);
    assert_eq!(
        run.stdout.trim(),
        "first run: provisioning attempt 1 starts"
    );
    assert!(!Path::new(&stale).exists(), "{stale} was left behind");
    for hook in FULL_SEQUENCE {
        with_device(hook).expect(0);
    }
    let status = with_device(&["status", "--json"]).expect(0);
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["state"], "complete");
    // What the call prints names the file the user has, not a mount point
    // that is gone once it returns.
    assert_eq!(status["journal"], "provision-journal");
    let refused = with_device(&["begin", "kargs"]).expect(30);
    assert!(
        refused.stderr.contains(&format!("boot device `{device}`"))
            && !refused.stderr.contains("/run/provision-journal."),
        "{refused:#?}"
    );
    // Nothing stays mounted, and no mount point is left behind.
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains("/run/provision-journal."), "{mounts}");
    assert!(!mounts.contains(&device), "{mounts}");
    let leftovers = std::fs::read_dir("/run")
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("provision-journal.")
        })
        .count();
    assert_eq!(leftovers, 0);
    fs.mount("ro");
    let on_disk = Boot::first(9)
        .run(&fs.journal(), &["status", "--json"])
        .expect(0);
    assert!(on_disk.stdout.contains("\"complete\""), "{on_disk:#?}");
}

#[test]
fn a_read_only_file_system_is_refused_without_change() {
    require_loop_devices!();
    let mut fs = LoopFs::new("read-only", 8192, 4096);
    let journal = fs.journal();
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    boot.run(&journal, FULL_SEQUENCE[0]).expect(0);
    let before = bytes(&journal);
    fs.unmount();
    fs.mount("ro");
    for (args, code) in [(&["begin", "kargs"][..], 42), (&["check"][..], 42)] {
        let run = Boot::first(2).run(&journal, args).expect(code);
        assert!(run.stderr.contains("Read-only file system"), "{run:#?}");
        assert!(run.stderr.contains(journal.to_str().unwrap()), "{run:#?}");
    }
    assert_eq!(bytes(&journal), before);
    // status predicts what check does here: a refusal, not a safe retry.
    let status = Boot::first(2)
        .run(&journal, &["status", "--json"])
        .expect(0);
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["read_only"], true, "{status}");
    assert_eq!(status["may_proceed"], false, "{status}");
    assert!(
        status["explanation"].as_str().unwrap().contains("exit 42"),
        "{status}"
    );
    let text = Boot::first(2).run(&journal, &["status"]).expect(0);
    assert!(text.stdout.contains("read-only"), "{text:#?}");
    // An empty read-only /boot: check cannot create the journal.
    let empty = LoopFs::new("read-only-empty", 8192, 4096);
    let mut empty = empty;
    empty.unmount();
    empty.mount("ro");
    let run = Boot::first(1).run(&empty.journal(), &["check"]).expect(42);
    // The error names the journal, not a file of the kept copy that keeping
    // off never writes.
    assert!(
        run.stderr
            .contains(&format!("journal `{}`", empty.journal().display()))
            && !run.stderr.contains("config"),
        "{run:#?}"
    );
    assert!(!empty.journal().exists());
    let status = Boot::first(1)
        .run(&empty.journal(), &["status", "--json"])
        .expect(0);
    assert!(
        status.stdout.contains("\"may_proceed\":false"),
        "{status:#?}"
    );
}

#[test]
fn a_boot_device_is_probed_and_reports_mount_it_read_only() {
    require_loop_devices!();
    let (_fs, device) = stamped_boot_device("probe");
    let with_device = |args: &[&str]| on_device(&device, args);
    with_device(&["check"]).expect(0);
    // A write-protected device: the reports still read it (mounted
    // read-only), status predicts check's refusal, and a hook's mount
    // failure names the file system the device carries and that mount's
    // own error.
    cli_common::sh(&format!("blockdev --setro {device}"));
    let status = with_device(&["status", "--json"]);
    let dump = with_device(&["dump"]);
    let hook = with_device(FULL_SEQUENCE[0]);
    cli_common::sh(&format!("blockdev --setrw {device}"));
    let status = status.expect(0);
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["read_only"], true, "{status}");
    assert_eq!(status["may_proceed"], false, "{status}");
    dump.expect(0);
    let hook = hook.expect(52);
    assert!(
        hook.stderr.contains("it holds ext4") && !hook.stderr.contains("none of"),
        "{hook:#?}"
    );
    // A device without a file system says so.
    cli_common::sh(&format!(
        "dd if=/dev/zero of={device} bs=4096 count=16 status=none"
    ));
    let run = with_device(&["status"]).expect(52);
    assert!(
        run.stderr.contains("holds none of the file systems"),
        "{run:#?}"
    );
}

/// `status --prometheus FILE` on a boot device writes FILE once the device
/// is unmounted: a relative FILE is where the call was made, not in the
/// read-only mount. A device that can no longer be mounted still replaces
/// FILE, with metrics that say its journal could not be read.
#[test]
fn status_prometheus_on_a_boot_device_writes_where_it_was_called() {
    require_loop_devices!();
    let (fs, device) = stamped_boot_device("prometheus");
    on_device(&device, &["check"]).expect(0);
    let metrics = || {
        let mut command = Boot::with_cmdline(1, "quiet").command(
            Path::new("/boot/provision-journal"),
            &[
                "--boot-device",
                &device,
                "status",
                "--prometheus",
                "provision_journal.prom",
            ],
        );
        let run = cli_common::Run::from(command.current_dir(&fs.scratch.path).output().unwrap());
        let file = fs.scratch.path.join("provision_journal.prom");
        (run, std::fs::read_to_string(file).unwrap_or_default())
    };
    let (run, text) = metrics();
    run.expect(0);
    assert!(
        text.contains("provision_journal_may_proceed{journal=\"provision-journal\"} 1")
            && text.contains("outcome=\"clean\""),
        "{text}"
    );
    cli_common::sh(&format!(
        "dd if=/dev/zero of={device} bs=4096 count=16 status=none"
    ));
    let (run, text) = metrics();
    let run = run.expect(52);
    assert!(run.stderr.contains(&device), "{run:#?}");
    assert!(
        text.contains("provision_journal_may_proceed{journal=\"provision-journal\"} 0")
            && text.contains("provision_journal_read_error{journal=\"provision-journal\"} 1")
            && text.contains("outcome=\"unreadable\"")
            && !text.contains("outcome=\"clean\""),
        "{text}"
    );
}

#[test]
fn an_immutable_journal_is_refused_without_change() {
    require_loop_devices!();
    let fs = LoopFs::new("immutable", 8192, 4096);
    let journal = fs.journal();
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    let before = bytes(&journal);
    cli_common::sh(&format!("chattr +i {}", journal.display()));
    let run = boot.run(&journal, FULL_SEQUENCE[0]);
    cli_common::sh(&format!("chattr -i {}", journal.display()));
    let run = run.expect(43);
    assert!(run.stderr.contains("Operation not permitted"), "{run:#?}");
    assert_eq!(bytes(&journal), before);
}

#[test]
fn a_full_file_system_is_refused_without_change() {
    require_loop_devices!();
    let fs = LoopFs::new("full", 2048, 1024);
    let journal = fs.journal();
    let boot = Boot::first(1);
    boot.run(&journal, &["check"]).expect(0);
    // Grow the journal until its end is close to a block boundary, so the
    // next long record needs a new block.
    let mut n = 2;
    while bytes(&journal).unwrap().len() % 1024 < 800 {
        Boot::first(n)
            .run(&journal, &["reset", "--reason", "grow"])
            .expect(0);
        Boot::first(n).run(&journal, &["check"]).expect(0);
        n += 1;
    }
    let filler = fs.mountpoint.join("filler");
    let _ = std::process::Command::new("dd")
        .args(["if=/dev/zero", "bs=4096", "status=none"])
        .arg(format!("of={}", filler.display()))
        .status()
        .unwrap();
    cli_common::sh("sync");
    let before = bytes(&journal);
    let long_reason = "r".repeat(200);
    let run = Boot::first(n)
        .run(&journal, &["reset", "--reason", &long_reason])
        .expect(44);
    assert!(run.stderr.contains("No space left on device"), "{run:#?}");
    assert_eq!(bytes(&journal), before);

    // A new journal on a full file system is not created at all.
    let other = fs.mountpoint.join("other");
    std::fs::create_dir(&other).unwrap_or(());
    let new_journal = other.join("provision-journal");
    if other.is_dir() {
        Boot::first(1).run(&new_journal, &["check"]).expect(44);
        assert!(!new_journal.exists());
    }
}

/// The mount options of `mountpoint` in this namespace.
fn mount_options(mountpoint: &Path) -> String {
    sh(&format!("findmnt -n -o OPTIONS {}", mountpoint.display()))
}

#[test]
fn reset_works_where_the_real_root_mounts_boot_read_only() {
    require_loop_devices!();
    let (mut fs, device) = stamped_boot_device("reset-read-only");
    let with_device = |args: &[&str]| on_device(&device, args);
    with_device(&["check"]).expect(0);
    for hook in &FULL_SEQUENCE[..4] {
        with_device(hook).expect(0);
    }
    // Interrupted past the red line; the next boot poisons the attempt.
    Boot::with_cmdline(2, "quiet")
        .run(
            Path::new("/boot/provision-journal"),
            &["--boot-device", &device, "check"],
        )
        .expect(10);
    // The real root mounts /boot read-only, as Fedora CoreOS does.
    fs.mount("ro");
    assert!(mount_options(&fs.mountpoint).split(',').any(|o| o == "ro"));
    let status = with_device(&["status", "--json"]).expect(0);
    assert!(status.stdout.contains("\"poisoned\""), "{status:#?}");
    let reset = Boot::with_cmdline(3, "quiet")
        .run(
            Path::new("/boot/provision-journal"),
            &[
                "--boot-device",
                &device,
                "reset",
                "--reason",
                "disks verified",
            ],
        )
        .expect(0);
    assert!(
        reset
            .stdout
            .contains("the next provisioning boot decides: first run"),
        "{reset:#?}"
    );
    // The real root's view stays read-only, and it reads the reset.
    assert!(
        mount_options(&fs.mountpoint).split(',').any(|o| o == "ro"),
        "{}",
        mount_options(&fs.mountpoint)
    );
    let after = Boot::first(9)
        .run(&fs.journal(), &["status", "--json"])
        .expect(0);
    let after: Value = serde_json::from_str(&after.stdout).unwrap();
    assert_eq!(after["state"], "fresh", "{after:#}");
    assert_eq!(after["verdict"], "first_run", "{after:#}");
    // Nothing of the call stays mounted.
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains("/run/provision-journal."), "{mounts}");
}

#[test]
fn the_reports_read_a_boot_partition_mounted_read_write() {
    require_loop_devices!();
    let (mut fs, device) = stamped_boot_device("report-read-write");
    on_device(&device, &["check"]).expect(0);
    fs.mount("rw");
    let status = on_device(&device, &["status", "--json"]).expect(0);
    assert!(status.stdout.contains("\"fresh\""), "{status:#?}");
    on_device(&device, &["dump"]).expect(0);
    // A hook writes through the mount it finds, and the mount stays writable.
    on_device(&device, &["fetched", "--sha256", &"c0".repeat(32)]).expect(0);
    assert!(
        mount_options(&fs.mountpoint).split(',').any(|o| o == "rw"),
        "{}",
        mount_options(&fs.mountpoint)
    );
}
