//! The shell completions in `completions/` (the files `make
//! install-completions` installs), loaded the way an interactive shell finds
//! them: bash through bash-completion's loader (`XDG_DATA_DIRS`), zsh
//! through `compinit` and `fpath`, fish from its vendor directory. Each must
//! complete the subcommands, their options, the stage names, the `--cut-at`
//! points, the `reboot --reason` values and the `config --get` keys, file
//! names wherever a path goes (the journals of `dump` and `status`,
//! `keep-log`'s file, `--journal`, `fetched --config`, `status
//! --prometheus`), and must not offer an option its command refuses.
//!
//! Needs `bash` with Debian's `bash-completion`, `zsh` and `fish`; without
//! one it prints `SKIPPED: …` and passes, except with `CI=true`, where it
//! fails (`.ci/run` installs them).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A command line, what completing at its end must offer, and what it must
/// not.
type Case = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

const CASES: &[Case] = &[
    ("provision-journal be", &["begin"], &[]),
    (
        "provision-journal begin ",
        &["kargs", "disks", "mount", "files", "umount"],
        &["fetch", "fetch-offline"],
    ),
    ("provision-journal --journal /tmp/j end d", &["disks"], &[]),
    (
        "provision-journal fail fetch",
        &["fetch", "fetch-offline"],
        &[],
    ),
    (
        "provision-journal simulate --cut-at during-d",
        &["during-disks"],
        &["during-kargs"],
    ),
    (
        "provision-journal simulate --cut-at inside-",
        &["inside-fetched", "inside-begin-disks"],
        &[],
    ),
    (
        "provision-journal reboot --reason ",
        &["kargs", "fips"],
        &[],
    ),
    (
        "provision-journal config --get Boot.L",
        &["Boot.LockTimeoutSec", "Boot.LiveArguments"],
        &["Boot.Device"],
    ),
    (
        "provision-journal config --get Cache.",
        &["Cache.KeepConfig", "Cache.RestoreTo", "Cache.MaxSize"],
        &[],
    ),
    (
        "provision-journal status --",
        &["--oneline", "--json", "--journal", "--max-retries"],
        &["--lock-timeout"],
    ),
    (
        "provision-journal dump --",
        &["--json"],
        &["--lock-timeout"],
    ),
    (
        "provision-journal simulate --",
        &["--cut-at"],
        &["--journal", "--lock-timeout", "--max-retries"],
    ),
    (
        "provision-journal begin --",
        &["--lock-timeout", "--journal"],
        &[],
    ),
    // File names, from the directory the shell runs in ([`FILES`]).
    (
        "provision-journal dump ",
        &["journal-a", "journal-b", "with space"],
        &["--json"],
    ),
    (
        "provision-journal dump jo",
        &["journal-a", "journal-b"],
        &[],
    ),
    (
        "provision-journal status --oneline journal-a wi",
        &["with space"],
        &[],
    ),
    ("provision-journal status ", &["journal-a"], &["--json"]),
    (
        "provision-journal keep-log jo",
        &["journal-a", "journal-b"],
        &[],
    ),
    ("provision-journal --journal wi", &["with space"], &[]),
    ("provision-journal dump --journal jo", &["journal-a"], &[]),
    (
        "provision-journal fetched --config jo",
        &["journal-a", "journal-b"],
        &[],
    ),
    (
        "provision-journal status --prometheus jo",
        &["journal-a", "journal-b"],
        &[],
    ),
    ("provision-journal dump --j", &["--json", "--journal"], &[]),
];

/// The files in the directory the shells complete in: a name with a space
/// must come back as one candidate.
const FILES: [&str; 3] = ["journal-a", "journal-b", "with space"];

/// The installed names of the completion files, under `share/`.
const INSTALLED: [(&str, &str); 3] = [
    (
        "provision-journal.bash",
        "bash-completion/completions/provision-journal",
    ),
    (
        "_provision-journal",
        "zsh/site-functions/_provision-journal",
    ),
    (
        "provision-journal.fish",
        "fish/vendor_completions.d/provision-journal.fish",
    ),
];

const BASH_COMPLETION: &str = "/usr/share/bash-completion/bash_completion";

struct Scratch(PathBuf);

impl Scratch {
    /// A `share/` tree holding the completions as `make install` lays them
    /// out, and an empty home.
    fn new(shell: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("completions-{shell}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
        for (file, installed) in INSTALLED {
            let target = dir.join("share").join(installed);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(source.join(file), &target)
                .unwrap_or_else(|error| panic!("completions/{file}: {error}"));
        }
        std::fs::create_dir_all(dir.join("home")).unwrap();
        std::fs::create_dir_all(dir.join("work")).unwrap();
        for file in FILES {
            std::fs::write(dir.join("work").join(file), "").unwrap();
        }
        Scratch(dir)
    }

    /// The directory the shells run in, holding [`FILES`].
    fn work(&self) -> PathBuf {
        self.0.join("work")
    }

    fn share(&self) -> PathBuf {
        self.0.join("share")
    }

    fn home(&self) -> PathBuf {
        self.0.join("home")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether `program` runs; when it does not, the test is skipped, or fails
/// under CI.
fn available(program: &str, also_needs: Option<&str>) -> bool {
    let runs = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let missing = match also_needs {
        _ if !runs => Some(program.to_owned()),
        Some(path) if !Path::new(path).exists() => Some(path.to_owned()),
        _ => None,
    };
    let Some(missing) = missing else {
        return true;
    };
    support::skip::skip(format_args!("completion in {program} needs {missing}"));
    false
}

/// Runs `command` (at most a minute: a completion that waits for input must
/// not hang the suite) and returns the first field of each line it prints,
/// with zsh's quoting of a space undone.
fn candidates(mut command: Command, shell: &str, line: &str) -> Vec<String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{shell}: completing {line:?} did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{shell}: completing {line:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|candidate| candidate.split('\t').next())
        .filter(|candidate| !candidate.is_empty())
        .map(|candidate| candidate.replace("\\ ", " "))
        .collect()
}

fn check(shell: &str, complete: impl Fn(&str) -> Command) {
    let mut failures = Vec::new();
    for (line, offered, not_offered) in CASES {
        let got = candidates(complete(line), shell, line);
        let missing: Vec<&&str> = offered
            .iter()
            .filter(|word| !got.iter().any(|candidate| candidate == *word))
            .collect();
        let wrong: Vec<&&str> = not_offered
            .iter()
            .filter(|word| got.iter().any(|candidate| candidate == *word))
            .collect();
        if !missing.is_empty() || !wrong.is_empty() {
            failures.push(format!(
                "{line:?}: offers {got:?}; missing {missing:?}; should not offer {wrong:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{shell} completion:\n{}",
        failures.join("\n")
    );
}

fn driver(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/completion")
        .join(name)
}

#[test]
fn bash_completes_through_bash_completion() {
    if !available("bash", Some(BASH_COMPLETION)) {
        return;
    }
    let scratch = Scratch::new("bash");
    check("bash", |line| {
        let mut command = Command::new("bash");
        command
            .args(["--norc", "--noprofile"])
            .arg(driver("complete.bash"))
            .arg(line)
            .current_dir(scratch.work())
            .env("XDG_DATA_DIRS", scratch.share())
            .env("HOME", scratch.home())
            .env_remove("BASH_COMPLETION_USER_DIR")
            .env_remove("XDG_DATA_HOME");
        command
    });
}

#[test]
fn zsh_completes_through_compinit() {
    if !available("zsh", None) {
        return;
    }
    let scratch = Scratch::new("zsh");
    check("zsh", |line| {
        let mut command = Command::new("zsh");
        command
            .arg("-f")
            .arg(driver("complete.zsh"))
            .arg(scratch.share().join("zsh/site-functions"))
            .arg(line)
            .current_dir(scratch.work())
            .env("HOME", scratch.home());
        command
    });
}

#[test]
fn fish_completes_from_its_vendor_directory() {
    if !available("fish", None) {
        return;
    }
    let scratch = Scratch::new("fish");
    // fish loads a command's completions only for a command it finds.
    let bin = Path::new(env!("CARGO_BIN_EXE_provision-journal"))
        .parent()
        .unwrap();
    let path = std::env::join_paths(std::iter::once(bin.to_owned()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    check("fish", |line| {
        let mut command = Command::new("fish");
        command
            .args(["-c", "complete --do-complete=$argv[1]"])
            .arg(line)
            .current_dir(scratch.work())
            .env("PATH", &path)
            .env("XDG_DATA_DIRS", scratch.share())
            .env("HOME", scratch.home())
            .env("XDG_CONFIG_HOME", scratch.home())
            .env("XDG_DATA_HOME", scratch.home());
        command
    });
}
