//! Hostile configuration files: whatever stands under a configuration
//! file's name, reading the configuration never blocks and never grows
//! without bound. A FIFO, a device or a directory, a file over the size
//! limit, too many drop-ins and an overlong line are each a usage error
//! (exit 2) naming the file and what is wrong, before anything is written.

mod cli_common;

use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use cli_common::{Boot, Run, Scratch};
use provision_journal::config::{Config, ConfigError, MAX_DROP_INS, MAX_FILE_SIZE, MAX_LINE_LEN};

/// Longer than any of these calls takes, shorter than a hung one.
const PATIENCE: Duration = Duration::from_secs(10);

fn utf8(path: &Path) -> Utf8PathBuf {
    Utf8PathBuf::from_path_buf(path.to_owned()).unwrap()
}

fn mkfifo(path: &Path) {
    cli_common::sh(&format!("mkfifo {}", path.display()));
}

/// Runs the binary as `boot` with `conf` as its one configuration file,
/// killing it if it has not exited within [`PATIENCE`].
fn run_with_conf(journal: &Path, conf: &Path, args: &[&str]) -> Run {
    let mut child = Boot::first(1)
        .command(journal, args)
        .env("PROVISION_JOURNAL_CONF", conf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > PATIENCE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`{}` with configuration `{}` still ran after {PATIENCE:?}",
                args.join(" "),
                conf.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Run::from(child.wait_with_output().unwrap())
}

/// Reads `files` on another thread and gives up on it after [`PATIENCE`].
fn load_with_patience(files: Vec<Utf8PathBuf>) -> Result<Config, ConfigError> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(Config::from_files(&files, true));
    });
    receiver
        .recv_timeout(PATIENCE)
        .expect("reading the configuration blocked")
}

#[test]
fn a_fifo_a_device_or_a_directory_is_refused_at_once_by_every_call() {
    let scratch = Scratch::new("conf-special");
    let journal = scratch.path.join("provision-journal");
    let fifo = scratch.path.join("x.conf");
    mkfifo(&fifo);
    for (conf, kind) in [
        (fifo.as_path(), "FIFO"),
        (Path::new("/dev/zero"), "character device"),
        (scratch.path.as_path(), "directory"),
    ] {
        for args in [
            &["config"][..],
            &["check"],
            &["begin", "disks"],
            &["status"],
        ] {
            let run = run_with_conf(&journal, conf, args).expect(2);
            assert!(
                run.stderr
                    .contains(&format!("`{}` is a {kind}", conf.display())),
                "{args:?}: {run:#?}"
            );
            assert!(!journal.exists(), "{args:?} wrote a journal");
        }
    }
}

#[test]
fn the_null_device_is_an_empty_configuration() {
    let scratch = Scratch::new("conf-null");
    let journal = scratch.path.join("provision-journal");
    let run = run_with_conf(&journal, Path::new("/dev/null"), &["config"]).expect(0);
    assert!(
        run.stdout.contains("MaxRetries=5  # built-in default"),
        "{run:#?}"
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_unread() {
    let scratch = Scratch::new("conf-large");
    let journal = scratch.path.join("provision-journal");
    // A sparse file of a gigabyte: read whole, it would take the memory.
    let huge = scratch.path.join("huge.conf");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    // Comments only, one byte over the limit.
    let over = scratch.path.join("over.conf");
    let mut text = format!("{}\n", "#".repeat(99)).repeat(MAX_FILE_SIZE as usize / 100 + 1);
    text.truncate(MAX_FILE_SIZE as usize);
    text.push('\n');
    std::fs::write(&over, &text).unwrap();
    for conf in [&huge, &over] {
        let run = run_with_conf(&journal, conf, &["check"]).expect(2);
        assert!(
            run.stderr.contains(&conf.display().to_string())
                && run
                    .stderr
                    .contains(&format!("larger than the {MAX_FILE_SIZE} bytes")),
            "{run:#?}"
        );
        assert!(!journal.exists());
    }
    // At the limit it is read.
    text.truncate(MAX_FILE_SIZE as usize - 1);
    text.push('\n');
    std::fs::write(&over, &text).unwrap();
    run_with_conf(&journal, &over, &["config"]).expect(0);
}

#[test]
fn a_fifo_among_the_files_read_never_blocks() {
    let scratch = Scratch::new("conf-dropin-fifo");
    let first = scratch.path.join("10-first.conf");
    std::fs::write(&first, "[Policy]\nMaxRetries=3\n").unwrap();
    let fifo = scratch.path.join("20-fifo.conf");
    mkfifo(&fifo);
    let error = load_with_patience(vec![utf8(&first), utf8(&fifo)]).unwrap_err();
    assert!(
        matches!(&error, ConfigError::NotRegularFile { path, kind: "FIFO" } if *path == utf8(&fifo)),
        "{error}"
    );
    // The same in the drop-in directory.
    let error = Config::from_search_path(&[], &utf8(&scratch.path)).unwrap_err();
    assert!(error.to_string().contains("20-fifo.conf"), "{error}");
}

#[test]
fn too_many_drop_ins_are_refused() {
    let scratch = Scratch::new("conf-dropins");
    let dir = utf8(&scratch.path);
    for n in 0..MAX_DROP_INS {
        std::fs::write(dir.join(format!("{n:03}.conf")), "[Policy]\nMaxRetries=1\n").unwrap();
    }
    // Files that are not drop-ins do not count.
    std::fs::write(dir.join("README"), "not a drop-in").unwrap();
    let config = Config::from_search_path(&[], &dir).unwrap();
    assert_eq!(config.files.len(), MAX_DROP_INS);
    std::fs::write(dir.join("999.conf"), "").unwrap();
    let error = Config::from_search_path(&[], &dir).unwrap_err();
    assert!(
        matches!(error, ConfigError::TooManyDropIns { count, limit, .. } if count == MAX_DROP_INS + 1 && limit == MAX_DROP_INS),
        "{error}"
    );
    assert!(error.to_string().contains(dir.as_str()), "{error}");
}

#[test]
fn an_overlong_line_is_refused_by_file_and_line() {
    let long = format!("[Boot]\nFirstbootArguments={}\n", "x".repeat(MAX_LINE_LEN));
    let mut config = Config::default();
    let error = config
        .apply_text(Utf8Path::new("long.conf"), &long)
        .unwrap_err();
    assert!(
        matches!(&error, ConfigError::Line { line: 2, .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("long.conf")
            && error
                .to_string()
                .contains(&format!("more than the {MAX_LINE_LEN}")),
        "{error}"
    );
    // A line of exactly the limit is read.
    let fits = format!(
        "[Boot]\nFirstbootArguments={}\n",
        "x".repeat(MAX_LINE_LEN - "FirstbootArguments=".len())
    );
    Config::default()
        .apply_text(Utf8Path::new("fits.conf"), &fits)
        .unwrap();
}

#[test]
fn the_help_states_the_limits_in_force() {
    let scratch = Scratch::new("conf-help");
    let help = Boot::first(1)
        .run(&scratch.path.join("provision-journal"), &["--help"])
        .expect(0);
    for limit in [
        format!("(at most {MAX_DROP_INS})"),
        format!("at most {} KiB", MAX_FILE_SIZE / 1024),
        format!("lines of at most {MAX_LINE_LEN} bytes"),
    ] {
        assert!(help.stdout.contains(&limit), "{limit}: {}", help.stdout);
    }
}
