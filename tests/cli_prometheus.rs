//! `status --prometheus FILE` through the binary: every call replaces
//! FILE, a journal it cannot read included, so that a fleet's dashboard
//! never shows a machine as fine from the metrics an earlier call wrote;
//! the exit status is still the error's; and every file it writes is
//! well-formed text exposition format (`spec/EVIDENCE.md`).

mod cli_common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cli_common::support::exit_statuses;
use cli_common::{Boot, Run, Scratch};

/// The exit status the binary's source names `name`.
fn exit_status(name: &str) -> i32 {
    exit_statuses::defined()
        .into_iter()
        .find(|(defined, _)| defined == name)
        .map(|(_, status)| i32::from(status))
        .unwrap_or_else(|| panic!("no exit status {name}"))
}

/// One sample of the exposition format: its metric name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The samples of `text`, checked as the text exposition format
/// (Prometheus' `exposition_formats.md`) has them: every line a comment or
/// a sample; each metric's `# HELP` and `# TYPE` once, before its samples,
/// which are together; names and label names of the allowed characters;
/// label values quoted with only `\\`, `\"` and `\n` escaped; no series
/// twice; a final newline. Every metric of `status --prometheus` is a
/// gauge, and every series has its `journal` label.
fn parse_exposition(text: &str) -> Vec<Sample> {
    fn is_name(name: &str, colon: bool) -> bool {
        let mut chars = name.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':'))
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':'))
    }
    assert!(text.ends_with('\n'), "no final newline:\n{text}");
    let (mut helped, mut typed, mut ended) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut series = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.trim_start().splitn(3, ' ');
            let (keyword, name) = (words.next().unwrap(), words.next().unwrap_or(""));
            let rest = words.next().unwrap_or("");
            let seen = match keyword {
                "HELP" => &mut helped,
                "TYPE" => &mut typed,
                _ => continue,
            };
            assert!(is_name(name, true), "bad metric name in `{line}`");
            assert!(!rest.is_empty(), "`{line}` says nothing");
            assert!(seen.insert(name.to_owned()), "`{line}` twice");
            assert!(
                !ended.contains(name) && current.as_deref() != Some(name),
                "`{line}` after its samples"
            );
            if keyword == "TYPE" {
                assert_eq!(rest, "gauge", "{line}");
            }
            continue;
        }
        let (name, after) = line.split_at(line.find(['{', ' ']).expect(line));
        assert!(is_name(name, true), "bad metric name in `{line}`");
        assert!(
            helped.contains(name) && typed.contains(name),
            "`{line}` has no # HELP or # TYPE before it"
        );
        if current.as_deref() != Some(name) {
            if let Some(previous) = current.replace(name.to_owned()) {
                ended.insert(previous);
            }
            assert!(!ended.contains(name), "the samples of {name} are apart");
        }
        let mut labels = BTreeMap::new();
        let mut rest = after;
        if let Some(inside) = rest.strip_prefix('{') {
            rest = inside;
            loop {
                if let Some(after) = rest.strip_prefix('}') {
                    rest = after;
                    break;
                }
                let (label, after) = rest.split_once("=\"").expect(line);
                assert!(is_name(label, false), "bad label name in `{line}`");
                let mut value = String::new();
                let mut chars = after.char_indices();
                let end = loop {
                    match chars.next().expect(line) {
                        (_, '\\') => match chars.next().expect(line).1 {
                            '\\' => value.push('\\'),
                            '"' => value.push('"'),
                            'n' => value.push('\n'),
                            other => panic!("`\\{other}` in a label value: `{line}`"),
                        },
                        (at, '"') => break at,
                        (_, c) => value.push(c),
                    }
                };
                assert!(
                    labels.insert(label.to_owned(), value).is_none(),
                    "label {label} twice in `{line}`"
                );
                rest = &after[end + 1..];
                rest = rest.strip_prefix(',').unwrap_or(rest);
            }
        }
        let value = rest.strip_prefix(' ').expect(line);
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("`{value}` is not a sample value: `{line}`"));
        assert!(labels.contains_key("journal"), "no journal label: `{line}`");
        assert!(
            series.insert(format!("{name}{labels:?}")),
            "series twice: `{line}`"
        );
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    samples
}

/// The metrics file at `file`, parsed and checked.
fn metrics(file: &Path) -> Vec<Sample> {
    parse_exposition(&std::fs::read_to_string(file).unwrap())
}

/// The value of `provision_journal_NAME` for `journal`, if it has one.
fn value(samples: &[Sample], name: &str, journal: &str) -> Option<f64> {
    let name = format!("provision_journal_{name}");
    samples
        .iter()
        .find(|sample| sample.name == name && sample.labels["journal"] == journal)
        .map(|sample| sample.value)
}

/// The labels of `journal`'s `provision_journal_info` series, but
/// `journal`.
fn info(samples: &[Sample], journal: &str) -> BTreeMap<String, String> {
    let sample = samples
        .iter()
        .find(|sample| {
            sample.name == "provision_journal_info" && sample.labels["journal"] == journal
        })
        .unwrap_or_else(|| panic!("no provision_journal_info for {journal}: {samples:#?}"));
    assert_eq!(sample.value, 1.0);
    let mut labels = sample.labels.clone();
    labels.remove("journal");
    labels
}

/// The `_info` labels as `(state, stage, step, verdict, outcome)`.
fn labels(
    state: &str,
    stage: &str,
    step: &str,
    verdict: &str,
    outcome: &str,
) -> BTreeMap<String, String> {
    [
        ("state", state),
        ("stage", stage),
        ("step", step),
        ("verdict", verdict),
        ("outcome", outcome),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

/// The series whose values a journal that could not be read does not
/// give.
const UNKNOWN_WHEN_UNREAD: [&str; 7] = [
    "attempt",
    "boots",
    "unplanned_restarts",
    "planned_reboots",
    "refused_boots",
    "records",
    "last_record_timestamp_seconds",
];

/// Asserts what the metrics say of `journal`, which could not be read:
/// `outcome` (and state) `absent` or `unreadable`, no stage, step or
/// verdict, `may_proceed 0`, `read_error 1`, and no series of a value it
/// cannot know.
#[track_caller]
fn assert_unread(samples: &[Sample], journal: &str, outcome: &str) {
    assert_eq!(
        info(samples, journal),
        labels(outcome, "", "", "", outcome),
        "{samples:#?}"
    );
    assert_eq!(value(samples, "may_proceed", journal), Some(0.0));
    assert_eq!(value(samples, "read_error", journal), Some(1.0));
    for name in UNKNOWN_WHEN_UNREAD {
        assert_eq!(
            value(samples, name, journal),
            None,
            "{name} of a journal that could not be read"
        );
    }
}

/// A journal where the next provisioning boot may proceed: `check` ran
/// once (a boot that may have been interrupted before the red line).
fn journal_that_may_proceed(scratch: &Scratch) -> std::path::PathBuf {
    let journal = scratch.path.join("provision-journal");
    Boot::first(1).run(&journal, &["check"]).expect(0);
    journal
}

/// `status --prometheus FILE` with `args` after it, as boot 2.
fn prometheus(journal: &Path, global: &[&str], file: &Path, args: &[&str]) -> Run {
    let mut all = global.to_vec();
    all.extend(["status", "--prometheus", file.to_str().unwrap()]);
    all.extend(args);
    Run::from(Boot::first(2).command(journal, &all).output().unwrap())
}

#[test]
fn a_journal_that_becomes_unreadable_replaces_the_metrics_that_said_it_was_fine() {
    let scratch = Scratch::new("prometheus-unreadable");
    let journal = journal_that_may_proceed(&scratch);
    let file = scratch.path.join("provision_journal.prom");
    let path = journal.to_str().unwrap();
    prometheus(&journal, &[], &file, &[]).expect(0);
    let before = metrics(&file);
    assert_eq!(info(&before, path)["outcome"], "clean");
    assert_eq!(value(&before, "may_proceed", path), Some(1.0));
    assert_eq!(value(&before, "read_error", path), Some(0.0));

    std::fs::remove_file(&journal).unwrap();
    std::fs::create_dir(&journal).unwrap();
    let run = prometheus(&journal, &[], &file, &[]).expect(exit_status("NotRegularFile"));
    assert!(
        run.stderr.contains(&format!("journal `{path}`")) && run.stderr.contains("directory"),
        "{run:#?}"
    );
    assert!(run.stdout.is_empty(), "{run:#?}");
    assert_unread(&metrics(&file), path, "unreadable");
    let left: Vec<_> = std::fs::read_dir(&scratch.path)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .filter(|name| name.as_encoded_bytes().starts_with(b"."))
        .collect();
    assert!(left.is_empty(), "a temporary file was left: {left:?}");
}

#[test]
fn a_path_that_names_no_file_is_absent_and_may_not_proceed() {
    let scratch = Scratch::new("prometheus-absent");
    let journal = journal_that_may_proceed(&scratch);
    let file = scratch.path.join("provision_journal.prom");
    let (path, missing) = (
        journal.to_str().unwrap(),
        scratch.path.join("copy-of-m17").join("provision-journal"),
    );
    std::fs::create_dir(missing.parent().unwrap()).unwrap();
    let missing = missing.to_str().unwrap();
    prometheus(&journal, &[], &file, &[path]).expect(0);
    assert_eq!(value(&metrics(&file), "may_proceed", path), Some(1.0));

    let run = prometheus(&journal, &[], &file, &[missing]).expect(exit_status("NotFound"));
    assert!(
        run.stderr.contains(&format!("no journal at `{missing}`")),
        "{run:#?}"
    );
    let samples = metrics(&file);
    assert_unread(&samples, missing, "absent");
    assert!(
        samples
            .iter()
            .all(|sample| sample.labels["journal"] == missing),
        "{samples:#?}"
    );

    // Each PATH has its series, the one that could not be read included;
    // the exit status is the worst.
    prometheus(&journal, &[], &file, &[path, missing]).expect(exit_status("NotFound"));
    let samples = metrics(&file);
    assert_unread(&samples, missing, "absent");
    assert_eq!(info(&samples, path)["outcome"], "clean");
    assert_eq!(value(&samples, "may_proceed", path), Some(1.0));
    assert_eq!(value(&samples, "read_error", path), Some(0.0));
    assert_eq!(value(&samples, "attempt", path), Some(1.0));
}

#[test]
fn a_boot_device_that_is_not_there_leaves_metrics_that_say_so() {
    let scratch = Scratch::new("prometheus-device");
    let journal = journal_that_may_proceed(&scratch);
    let file = scratch.path.join("provision_journal.prom");
    prometheus(&journal, &[], &file, &[]).expect(0);
    let device = "/dev/disk/by-label/no-such-boot-for-prometheus";
    let on_device = ["--boot-device", device, "--boot-device-timeout", "0"];
    let run = prometheus(&journal, &on_device, &file, &[]).expect(exit_status("BootDeviceMissing"));
    assert!(run.stderr.contains(device), "{run:#?}");
    let samples = metrics(&file);
    // On a boot device the journal is named as in the mount, by its file
    // name, as when it can be read.
    assert_unread(&samples, "provision-journal", "unreadable");
    assert_eq!(samples.len(), 3, "{samples:#?}");
}

#[test]
fn no_journal_yet_at_its_location_is_the_absent_state_that_may_proceed() {
    let scratch = Scratch::new("prometheus-first-run");
    let journal = scratch.path.join("provision-journal");
    let file = scratch.path.join("provision_journal.prom");
    prometheus(&journal, &[], &file, &[]).expect(0);
    let samples = metrics(&file);
    let path = journal.to_str().unwrap();
    assert_eq!(
        info(&samples, path),
        labels("absent", "", "", "first_run", "absent")
    );
    assert_eq!(value(&samples, "may_proceed", path), Some(1.0));
    assert_eq!(value(&samples, "read_error", path), Some(0.0));
    assert_eq!(value(&samples, "attempt", path), Some(0.0));
    assert_eq!(value(&samples, "records", path), Some(0.0));
    assert_eq!(value(&samples, "last_record_timestamp_seconds", path), None);
}

#[test]
fn a_metrics_file_that_cannot_be_written_is_the_failure_said_last() {
    let scratch = Scratch::new("prometheus-unwritable");
    let journal = scratch.path.join("provision-journal");
    std::fs::create_dir(&journal).unwrap();
    let file = scratch
        .path
        .join("no-such-dir")
        .join("provision_journal.prom");
    let run = prometheus(&journal, &[], &file, &[]).expect(exit_status("NotFound"));
    let lines: Vec<_> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{run:#?}");
    assert!(lines[0].contains("directory"), "{run:#?}");
    assert!(
        lines[1].contains(&format!(
            "cannot write the metrics file `{}`",
            file.display()
        )),
        "{run:#?}"
    );
}

#[test]
fn the_exposition_check_refuses_what_the_format_does_not_allow() {
    let head = "# HELP provision_journal_x X.\n# TYPE provision_journal_x gauge\n";
    let good = format!("{head}provision_journal_x{{journal=\"a\\\"b\\\\c\\nd\"}} 1\n");
    let samples = parse_exposition(&good);
    assert_eq!(samples[0].labels["journal"], "a\"b\\c\nd");
    let bad = [
        "provision_journal_x{journal=\"a\"} 1\n".to_owned(),
        format!("{head}provision_journal_x{{journal=\"a\"}} 1"),
        format!("{head}provision_journal_x{{journal=\"a\\t\"}} 1\n"),
        format!("{head}provision_journal_x{{journal=\"a\"}} one\n"),
        format!("{head}provision_journal_x{{journal=\"a\"}} 1\nprovision_journal_x{{journal=\"a\"}} 1\n"),
        format!("{head}provision_journal_x{{journal=\"a\"}} 1\n# TYPE provision_journal_x gauge\n"),
        format!("{head}provision_journal_x 1\n"),
        format!("{head}provision_journal_x{{journal=\"a\",2b=\"c\"}} 1\n"),
        "# HELP provision_journal_x X.\n# TYPE provision_journal_x counter\nprovision_journal_x{journal=\"a\"} 1\n".to_owned(),
        format!(
            "{head}# HELP provision_journal_y Y.\n# TYPE provision_journal_y gauge\nprovision_journal_x{{journal=\"a\"}} 1\nprovision_journal_y{{journal=\"a\"}} 1\nprovision_journal_x{{journal=\"b\"}} 1\n"
        ),
    ];
    for text in bad {
        let refused = std::panic::catch_unwind(|| parse_exposition(&text));
        assert!(refused.is_err(), "taken as well-formed:\n{text}");
    }
}

/// The new metrics are on disk before they replace the old ones, and the
/// replacement once the call returns: the temporary file is synced before
/// the rename, and the directory after it (the system calls, as strace
/// sees them).
#[test]
fn the_metrics_file_is_synced_before_its_rename_and_its_directory_after() {
    let scratch = Scratch::new("prometheus-sync");
    let journal = journal_that_may_proceed(&scratch);
    let file = scratch.path.join("provision_journal.prom");
    let log = scratch.path.join("strace.log");
    let untraced = Boot::first(2).command(
        &journal,
        &["status", "--prometheus", file.to_str().unwrap()],
    );
    let options = [
        "-f",
        "-qq",
        "-e",
        "trace=openat,open,fdatasync,fsync,rename,renameat,renameat2",
    ];
    let Some(mut traced) = cli_common::under_strace(&untraced, &options, &log) else {
        return;
    };
    Run::from(traced.output().unwrap()).expect(0);
    let calls = std::fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    // The line at or after `from` that has every one of `words`, and the
    // descriptor it returned.
    let find = |from: usize, words: &[&str]| -> (usize, String) {
        let at = (from..calls.len())
            .find(|&at| words.iter().all(|word| calls[at].contains(word)))
            .unwrap_or_else(|| panic!("no call with {words:?} after line {from}:\n{calls:#?}"));
        let returned = calls[at].rsplit("= ").next().unwrap().trim().to_owned();
        (at, returned)
    };
    let dir = scratch.path.to_str().unwrap();
    let (created, temporary) = find(0, &[&format!("{dir}/.provision_journal.prom."), "O_CREAT"]);
    let (synced, result) = find(created, &[&format!("sync({temporary})")]);
    assert_eq!(result, "0");
    let (renamed, _) = find(created, &["rename", &format!("\"{}\"", file.display())]);
    assert!(
        synced < renamed,
        "the rename comes before the sync:\n{calls:#?}"
    );
    let (opened, directory) = find(renamed, &[&format!("\"{dir}\""), "O_RDONLY"]);
    let (_, result) = find(opened, &[&format!("fsync({directory})")]);
    assert_eq!(result, "0");
}
