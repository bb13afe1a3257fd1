//! Shared by the command-line and end-to-end tests: a scratch directory,
//! a way to run the built binary as a given boot, and (for root) an ext4
//! file system in a loop-mounted image.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

#[path = "../json_samples/mod.rs"]
pub mod json_samples;
#[path = "../support/mod.rs"]
pub mod support;

/// The built binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_provision-journal");

/// A directory removed when dropped.
pub struct Scratch {
    pub path: PathBuf,
}

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        Scratch::new_in(&std::env::temp_dir(), name)
    }

    /// A scratch directory in `parent` rather than the temporary directory.
    pub fn new_in(parent: &Path, name: &str) -> Scratch {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let path = parent.join(format!(
            "provision-journal-test.{}.{name}.{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Scratch { path }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        let _ = std::fs::remove_dir_all(runtime_dir_beside(&self.path));
    }
}

/// The runtime directory (`PROVISION_JOURNAL_RUNTIME_DIR`, where `check`
/// notes the journal it found for the hooks of its boot) of the journals in
/// `dir`: beside it, so that no test sees another's note.
pub fn runtime_dir_beside(dir: &Path) -> PathBuf {
    PathBuf::from(format!("{}.run", dir.display()))
}

/// A boot of the machine: its ID and kernel command line.
#[derive(Clone, Debug)]
pub struct Boot {
    pub id: String,
    pub cmdline: String,
}

impl Boot {
    /// A provisioning boot (`ignition.firstboot` on the command line) with
    /// an ID made from `n`.
    pub fn first(n: u8) -> Boot {
        Boot::with_cmdline(n, "BOOT_IMAGE=/vmlinuz ignition.firstboot")
    }

    pub fn with_cmdline(n: u8, cmdline: &str) -> Boot {
        Boot {
            id: format!("{n:02x}").repeat(16),
            cmdline: cmdline.to_owned(),
        }
    }

    /// The command, ready to run against `journal` on this boot.
    pub fn command(&self, journal: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .arg("--journal")
            .arg(journal)
            .args(args)
            .env("PROVISION_JOURNAL_BOOT_ID", &self.id)
            .env("PROVISION_JOURNAL_CMDLINE", &self.cmdline)
            // No configuration file of the machine running the tests: the
            // built-in defaults (tests that need one set their own).
            .env("PROVISION_JOURNAL_CONF", "/dev/null")
            .env(
                "PROVISION_JOURNAL_RUNTIME_DIR",
                runtime_dir_beside(journal.parent().unwrap_or(Path::new("."))),
            )
            // No journald entries into the journal of the machine running
            // the tests (tests/journald.rs gives its own socket).
            .env("PROVISION_JOURNAL_JOURNALD_SOCKET", "")
            .env_remove("PROVISION_JOURNAL_LIVE");
        command
    }

    /// Runs the command (keeping a JSON report as a schema sample).
    pub fn run(&self, journal: &Path, args: &[&str]) -> Run {
        Run::from(json_samples::output(&mut self.command(journal, args)))
    }
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit status, showing the output if it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(self.code, code, "unexpected exit status; output: {self:#?}");
        self
    }
}

/// The hooks of a whole first boot after `check`, as the units call them.
pub const FULL_SEQUENCE: &[&[&str]] = &[
    &[
        "fetched",
        "--sha256",
        "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ff",
    ],
    &["begin", "kargs"],
    &["end", "kargs"],
    &["begin", "disks"],
    &["end", "disks"],
    &["begin", "mount"],
    &["end", "mount"],
    &["begin", "files"],
    &["end", "files"],
    &["begin", "umount"],
    &["end", "umount"],
    &["complete"],
];

/// Runs `check` and the whole sequence on `boot`, each expected to succeed.
pub fn provision(boot: &Boot, journal: &Path) {
    boot.run(journal, &["check"]).expect(0);
    for hook in FULL_SEQUENCE {
        boot.run(journal, hook).expect(0);
    }
}

/// The journal's bytes, or `None` if there is no regular file (reading a
/// FIFO would block).
pub fn bytes(path: &Path) -> Option<Vec<u8>> {
    let metadata = std::fs::metadata(path).ok()?;
    metadata.is_file().then(|| std::fs::read(path).unwrap())
}

/// Runs a shell command, panicking with its output on failure.
pub fn sh(script: &str) -> String {
    let output = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert!(
        output.status.success(),
        "`{script}` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Whether the end-to-end tests on a real file system can run here; if not,
/// why. Under CI (`CI=true`) they must, so a reason to skip is a failure.
pub fn loop_devices_unavailable() -> Option<String> {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map(|output| output.stdout);
    let is_root = uid.is_ok_and(|uid| uid.trim_ascii() == b"0");
    let reason = if !is_root {
        Some("not running as root".to_owned())
    } else if !Path::new("/dev/loop-control").exists() {
        Some("no /dev/loop-control".to_owned())
    } else {
        ["losetup", "mkfs.ext4", "mount", "umount"]
            .into_iter()
            .find(|tool| {
                Command::new("sh")
                    .arg("-c")
                    .arg(format!("command -v {tool}"))
                    .output()
                    .map_or(true, |output| !output.status.success())
            })
            .map(|tool| format!("`{tool}` is not installed"))
    };
    if let Some(reason) = &reason {
        support::skip::skip(format_args!(
            "end-to-end tests need root and loop devices: {reason}"
        ));
    }
    reason
}

/// An ext4 file system in an image file, attached to a loop device and
/// mounted; all undone on drop.
pub struct LoopFs {
    pub scratch: Scratch,
    pub device: String,
    pub mountpoint: PathBuf,
    mounted: bool,
}

impl LoopFs {
    /// A new ext4 file system of `size_kib` KiB with `block_size`-byte blocks.
    pub fn new(name: &str, size_kib: u32, block_size: u32) -> LoopFs {
        let scratch = Scratch::new(name);
        let image = scratch.path.join("boot.img");
        let mountpoint = scratch.path.join("boot");
        std::fs::create_dir(&mountpoint).unwrap();
        sh(&format!(
            "truncate -s {size_kib}K {img} && mkfs.ext4 -q -F -b {block_size} -L boot {img}",
            img = image.display()
        ));
        let device = sh(&format!("losetup -f --show {}", image.display()));
        let mut fs = LoopFs {
            scratch,
            device,
            mountpoint,
            mounted: false,
        };
        fs.mount("rw");
        fs
    }

    pub fn mount(&mut self, options: &str) {
        sh(&format!(
            "mount -t ext4 -o {options} {} {}",
            self.device,
            self.mountpoint.display()
        ));
        self.mounted = true;
    }

    pub fn unmount(&mut self) {
        sh(&format!("umount {}", self.mountpoint.display()));
        self.mounted = false;
    }

    pub fn journal(&self) -> PathBuf {
        self.mountpoint.join("provision-journal")
    }
}

impl Drop for LoopFs {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(&self.mountpoint).status();
        }
        let _ = Command::new("losetup").arg("-d").arg(&self.device).status();
    }
}

/// Fails, naming the first missing phrase and the whole text, unless `text`
/// contains every one of `phrases`.
#[track_caller]
pub fn assert_says(text: &str, phrases: &[&str]) {
    for says in phrases {
        assert!(text.contains(says), "does not say {says:?}: {text}");
    }
}

/// `command` run under strace with `options` (before `-o LOG --`), its
/// system calls written to `log`, with the same environment; or `None`,
/// skipped with a message (failed under CI), where strace is not installed.
pub fn under_strace(command: &Command, options: &[&str], log: &Path) -> Option<Command> {
    if Command::new("strace").arg("-V").output().is_err() {
        support::skip::skip("strace is not installed (Debian: strace)");
        return None;
    }
    let mut traced = Command::new("strace");
    traced
        .args(options)
        .arg("-o")
        .arg(log)
        .arg("--")
        .arg(command.get_program())
        .args(command.get_args());
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => traced.env(name, value),
            None => traced.env_remove(name),
        };
    }
    Some(traced)
}
