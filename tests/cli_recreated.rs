//! A boot file system recreated during the disks stage (boot disk
//! mirroring, boot reprovisioning): the first hook after the stage puts the
//! journal back from the distribution's saved copy before its own record,
//! with the kept config and the first-boot stamp; and a journal that
//! vanished with no saved copy is said so (exit 32), never mistaken for a
//! boot whose `check` did not run (`spec/STATES.md`, "A recreated boot file
//! system").

#[path = "cli_common/mod.rs"]
mod cli_common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use cli_common::{Boot, LoopFs, Run, Scratch, loop_devices_unavailable, sh};

const STAMP: &[u8] = b"set ignition_network_kcmdline=\"\"\n";

/// A boot partition (`boot/`), the distribution's saved copy of it
/// (`saved/`), and a configuration naming the saved copy.
struct Machine {
    scratch: Scratch,
    conf: PathBuf,
}

impl Machine {
    fn new(name: &str, saved_copy: bool) -> Machine {
        let scratch = Scratch::new(name);
        std::fs::create_dir(scratch.path.join("boot")).unwrap();
        std::fs::create_dir(scratch.path.join("saved")).unwrap();
        let conf = scratch.path.join("machine.conf");
        let saved = match saved_copy {
            true => scratch.path.join("saved").display().to_string(),
            false => String::new(),
        };
        std::fs::write(&conf, format!("[Boot]\nSavedCopyDir={saved}\n")).unwrap();
        let stamp = scratch.path.join("boot/ignition.firstboot");
        std::fs::write(&stamp, STAMP).unwrap();
        std::fs::set_permissions(&stamp, std::fs::Permissions::from_mode(0o644)).unwrap();
        Machine { scratch, conf }
    }

    fn boot_dir(&self) -> PathBuf {
        self.scratch.path.join("boot")
    }

    fn saved(&self) -> PathBuf {
        self.scratch.path.join("saved")
    }

    fn journal(&self) -> PathBuf {
        self.boot_dir().join("provision-journal")
    }

    fn run(&self, boot: &Boot, args: &[&str]) -> Run {
        Run::from(
            boot.command(&self.journal(), args)
                .env("PROVISION_JOURNAL_CONF", &self.conf)
                .output()
                .unwrap(),
        )
    }

    /// `check` and the hooks up to `begin disks`, as the units run them.
    fn up_to_begin_disks(&self, boot: &Boot) {
        self.run(boot, &["check"]).expect(0);
        for hook in [
            &["fetched", "--sha256", &"c0".repeat(32)][..],
            &["begin", "kargs"],
            &["end", "kargs"],
            &["begin", "disks"],
        ] {
            self.run(boot, hook).expect(0);
        }
    }

    /// What the distribution does around the stage: copies the boot file
    /// system's files into the saved copy, then the stage recreates it
    /// (here: empties it).
    fn save_and_recreate(&self) {
        sh(&format!(
            "cp -a {boot}/. {saved}/ && find {boot} -mindepth 1 -delete",
            boot = self.boot_dir().display(),
            saved = self.saved().display()
        ));
    }

    fn kinds(&self) -> Vec<String> {
        let output = std::process::Command::new(cli_common::BIN)
            .args(["dump", "--json"])
            .arg(self.journal())
            .env("PROVISION_JOURNAL_CONF", "/dev/null")
            .output()
            .unwrap();
        let dump: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        dump["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|record| {
                let event = &record["event"];
                match event["stage"].as_str() {
                    Some(stage) => format!("{} {stage}", event["kind"].as_str().unwrap()),
                    None => event["kind"].as_str().unwrap().to_owned(),
                }
            })
            .collect()
    }
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

#[test]
fn the_journal_is_put_back_from_the_saved_copy_before_the_stage_ends() {
    let machine = Machine::new("carried", true);
    let boot = Boot::first(1);
    machine.up_to_begin_disks(&boot);
    machine.save_and_recreate();
    assert!(!exists(&machine.journal()));

    let end = machine.run(&boot, &["end", "disks"]).expect(0);
    assert!(
        end.stdout
            .contains("the boot file system was recreated during this boot")
            && end.stdout.contains("put the journal (5 records")
            && end.stdout.contains("`ignition.firstboot`"),
        "{end:#?}"
    );
    assert_eq!(
        machine.kinds()[4..],
        ["stage_began disks", "stage_ended disks"],
        "the carried journal holds `begin disks`, and `end disks` follows it"
    );
    // The stamp is back with its bytes and mode; the saved copies are gone,
    // so the distribution's restore cannot put older ones over them.
    let stamp = machine.boot_dir().join("ignition.firstboot");
    assert_eq!(std::fs::read(&stamp).unwrap(), STAMP);
    assert_eq!(
        std::fs::metadata(&stamp).unwrap().permissions().mode() & 0o7777,
        0o644
    );
    assert!(!exists(&machine.saved().join("provision-journal")));
    assert!(!exists(&machine.saved().join("ignition.firstboot")));
    // No temporary file is left behind.
    let left: Vec<String> = std::fs::read_dir(machine.boot_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");

    for hook in [
        &["begin", "mount"][..],
        &["end", "mount"],
        &["begin", "files"],
        &["end", "files"],
        &["complete"],
    ] {
        machine.run(&boot, hook).expect(0);
    }
}

#[test]
fn a_failed_stage_after_the_file_system_was_recreated_is_recorded_on_the_new_one() {
    let machine = Machine::new("carried-fail", true);
    let boot = Boot::first(1);
    machine.up_to_begin_disks(&boot);
    machine.save_and_recreate();
    machine
        .run(&boot, &["fail", "disks", "--reason", "exit status 1"])
        .expect(0);
    assert_eq!(machine.kinds().last().unwrap(), "stage_failed disks");
    // The next boot is refused: the failure poisoned the attempt.
    machine.run(&Boot::first(2), &["check"]).expect(11);
}

#[test]
fn a_journal_gone_after_check_is_said_to_have_vanished_and_nothing_is_written() {
    for saved_copy in [false, true] {
        let machine = Machine::new("vanished", saved_copy);
        let boot = Boot::first(1);
        machine.up_to_begin_disks(&boot);
        std::fs::remove_file(machine.journal()).unwrap();

        let end = machine.run(&boot, &["end", "disks"]).expect(32);
        assert!(
            end.stderr
                .contains("is gone although `check` found it on this boot")
                && end.stderr.contains("it was removed during this boot")
                && end.stderr.contains("nothing was written"),
            "{end:#?}"
        );
        let saved_words = match saved_copy {
            true => "no saved copy of it is in",
            false => "no `[Boot] SavedCopyDir`",
        };
        assert!(end.stderr.contains(saved_words), "{end:#?}");
        assert!(!exists(&machine.journal()), "nothing was written");

        // A boot whose `check` did not run is told that, as before.
        let other = machine.run(&Boot::first(2), &["end", "disks"]).expect(30);
        assert!(
            other.stderr.contains("`check` must run first on this boot"),
            "{other:#?}"
        );
    }
}

#[test]
fn a_recreated_file_system_without_a_saved_copy_is_named_as_such() {
    if loop_devices_unavailable().is_some() {
        return;
    }
    let mut fs = LoopFs::new("recreated-fs", 8192, 4096);
    let conf = fs.scratch.path.join("none.conf");
    std::fs::write(&conf, "[Boot]\nSavedCopyDir=\n").unwrap();
    let boot = Boot::first(1);
    let journal = fs.journal();
    let run = |args: &[&str]| {
        Run::from(
            boot.command(&journal, args)
                .env("PROVISION_JOURNAL_CONF", &conf)
                .output()
                .unwrap(),
        )
    };
    run(&["check"]).expect(0);
    run(&["fetched", "--sha256", &"c0".repeat(32)]).expect(0);
    run(&["begin", "disks"]).expect(0);
    fs.unmount();
    sh(&format!("mkfs.ext4 -q -F -L boot {}", fs.device));
    fs.mount("rw");
    let end = run(&["end", "disks"]).expect(32);
    assert!(
        end.stderr
            .contains("the file system holding it was recreated during this boot (file system ID"),
        "{end:#?}"
    );
}

/// Whatever stands under the name of `check`'s note in the runtime
/// directory (here a FIFO, which a plain open would wait on forever) holds
/// neither `check`, which replaces it, nor a hook that reads it.
#[test]
fn a_fifo_in_place_of_checks_note_holds_no_call() {
    let machine = Machine::new("note-fifo", false);
    let boot = Boot::first(1);
    let runtime = cli_common::runtime_dir_beside(&machine.boot_dir());
    std::fs::create_dir_all(&runtime).unwrap();
    let note = runtime.join("checked");
    let deadline = |args: &[&str]| {
        let mut child = boot
            .command(&machine.journal(), args)
            .env("PROVISION_JOURNAL_CONF", &machine.conf)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..200 {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        panic!("`{args:?}` still ran after 10 s");
    };
    sh(&format!("mkfifo {}", note.display()));
    assert_eq!(deadline(&["check"]), Some(0));
    assert!(
        std::fs::metadata(&note).unwrap().is_file(),
        "the note replaced the FIFO"
    );

    // A hook that reads the note after the journal vanished.
    std::fs::remove_file(&note).unwrap();
    sh(&format!("mkfifo {}", note.display()));
    std::fs::remove_file(machine.journal()).unwrap();
    assert_eq!(deadline(&["end", "disks"]), Some(30));
}
