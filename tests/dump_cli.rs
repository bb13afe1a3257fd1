//! `provision-journal dump` and `status --json` on real files: the exit
//! status tells how far the journal can be trusted, the file is never
//! changed, and the reports are the library's.

mod dump_common;
mod json_samples;

use std::path::{Path, PathBuf};
use std::process::Output;

use dump_common::{Writer, all_stages, first_check};
use json_samples::RecordedOutput;

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("dump-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn journal(&self, bytes: &[u8]) -> PathBuf {
        let path = self.0.join("provision-journal");
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str], journal: &Path) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_provision-journal"))
        .args(args)
        .arg(journal)
        .env_remove("TZ")
        .recorded_output()
}

fn clean_run() -> Vec<u8> {
    let mut writer = Writer::new();
    all_stages(first_check(&mut writer));
    writer.bytes()
}

#[test]
fn exit_status_says_clean_torn_or_corrupt_and_the_file_is_untouched() {
    let scratch = Scratch::new("outcomes");
    let clean = clean_run();
    let mut torn = clean.clone();
    torn.extend_from_slice(&[0x11; 9]);
    let mut corrupt = clean.clone();
    corrupt[200] ^= 0x01;
    for (bytes, status, words) in [
        (&clean, 0, "clean: every byte"),
        (&torn, 24, "Torn tail"),
        (&corrupt, 20, "CORRUPTION at offset"),
    ] {
        let path = scratch.journal(bytes);
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        let output = run(&["dump"], &path);
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(output.status.code(), Some(status), "{stdout}");
        assert!(stdout.contains(words), "{stdout}");
        assert!(stdout.contains("NEXT CHECK"), "{stdout}");
        let output = run(&["dump", "--json"], &path);
        assert_eq!(output.status.code(), Some(status));
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(document["schema"], "provision-journal/dump/1");
        assert_eq!(std::fs::read(&path).unwrap(), *bytes);
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            modified
        );
    }
}

/// An empty file has no header, and no byte to show: the JSON's excerpt
/// is empty (the schema's hex, kept as a sample for
/// `tests/json-schema.py`), and the text says so in words.
#[test]
fn an_empty_file_has_an_empty_excerpt_and_the_text_says_end_of_file() {
    let scratch = Scratch::new("empty");
    let path = scratch.journal(b"");
    let output = run(&["dump", "--json"], &path);
    assert_eq!(output.status.code(), Some(20));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let anomalies = document["anomalies"].as_array().unwrap();
    assert_eq!(anomalies.len(), 1, "{document:#}");
    assert_eq!(anomalies[0]["kind"], "corrupt");
    assert_eq!(anomalies[0]["excerpt_hex"], "", "{document:#}");
    let output = run(&["dump"], &path);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("bytes at 0: (end of file)"), "{text}");
}

#[test]
fn dump_reads_a_read_only_copy_and_a_missing_one_is_named() {
    let scratch = Scratch::new("read-only");
    let path = scratch.journal(&clean_run());
    let mut permissions = std::fs::metadata(&path).unwrap().permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&path, permissions).unwrap();
    assert_eq!(run(&["dump"], &path).status.code(), Some(0));
    let missing = run(&["dump"], &scratch.0.join("nothing-here"));
    assert_eq!(missing.status.code(), Some(41));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no journal"));
}

#[test]
fn status_json_follows_the_documented_schema() {
    let scratch = Scratch::new("status");
    let path = scratch.journal(&clean_run());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_provision-journal"))
        .args(["--journal", path.to_str().unwrap(), "status", "--json"])
        .recorded_output();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let status: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(status["schema"], "provision-journal/status/1");
    assert_eq!(status["state"], "complete");
    assert_eq!(status["stage"], serde_json::Value::Null);
    assert_eq!(status["epoch"], 1);
    assert_eq!(status["verdict"], "already_complete");
    assert_eq!(status["outcome"], "clean");
}

#[test]
fn an_undecodable_record_is_described_in_words_by_dump_and_check() {
    let scratch = Scratch::new("undecodable");
    let mut raw = dump_common::RawJournal::new();
    raw.record(
        dump_common::stamp(1, 1000),
        &provision_journal::Event::AttemptStarted {
            epoch: 1,
            trigger: provision_journal::Trigger::Firstboot,
        },
    );
    let mut payload = provision_journal::testing::encode_payload(
        &dump_common::stamp(1, 1500),
        &provision_journal::Event::Completed,
    )
    .unwrap();
    payload[32] = 42;
    raw.frame(&payload);
    let path = scratch.journal(&raw.bytes);
    let words = "record 1 has unknown record kind 42 (this version knows 0\u{2013}15)";

    let output = run(&["dump"], &path);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(20));
    assert!(!stdout.contains("OtherString"), "{stdout}");
    let output = run(&["dump", "--json"], &path);
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let problem = document["summary"]["corruption"]["problem"]
        .as_str()
        .unwrap();
    assert!(problem.starts_with(words), "{problem}");

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_provision-journal"))
        .args(["--journal", path.to_str().unwrap(), "check"])
        .env("PROVISION_JOURNAL_BOOT_ID", "02".repeat(16))
        .env("PROVISION_JOURNAL_CMDLINE", "ignition.firstboot")
        .env_remove("PROVISION_JOURNAL_LIVE")
        .recorded_output();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(20), "{stderr}");
    assert!(stderr.contains(words), "{stderr}");
    assert!(!stderr.contains("OtherString"), "{stderr}");
    assert_eq!(std::fs::read(&path).unwrap(), raw.bytes);
}

fn binary(args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_provision-journal"));
    command
        .args(args)
        .env("PROVISION_JOURNAL_CONF", "/dev/null")
        .env_remove("TZ");
    command
}

fn golden(name: &str) -> String {
    format!("{}/tests/golden/{name}.journal", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn many_journals_are_read_in_turn_and_the_worst_exit_wins() {
    let (clean, torn, corrupt) = (
        golden("clean-run"),
        golden("torn-tail"),
        golden("mid-file-corruption"),
    );
    let output = binary(&["dump", &clean, &torn]).recorded_output();
    assert_eq!(
        output.status.code(),
        Some(24),
        "a torn tail is worse than clean"
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with(&format!("==> {clean} <==\n")), "{text}");
    assert!(text.contains(&format!("\n\n==> {torn} <==\n")), "{text}");
    assert_eq!(text.matches("NEXT CHECK").count(), 2);

    let output = binary(&["dump", &torn, &corrupt, "/no/such/journal", &clean]).recorded_output();
    assert_eq!(
        output.status.code(),
        Some(41),
        "a journal that cannot be read is worst"
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("/no/such/journal"), "{stderr}");
    assert_eq!(
        String::from_utf8(output.stdout)
            .unwrap()
            .matches("NEXT CHECK")
            .count(),
        3
    );

    let output = binary(&["dump", "--json", &clean, &corrupt]).recorded_output();
    assert_eq!(output.status.code(), Some(20));
    let stream = String::from_utf8(output.stdout).unwrap();
    let documents: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&stream)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(documents.len(), 2);
    assert_eq!(documents[1]["summary"]["outcome"], "corrupt");

    let output = binary(&["status", "--json", &clean, &torn]).recorded_output();
    assert_eq!(output.status.code(), Some(0));
    let lines = String::from_utf8(output.stdout).unwrap();
    assert_eq!(lines.lines().count(), 2, "{lines}");
    let output = binary(&["status", &clean, &corrupt]).recorded_output();
    assert_eq!(output.status.code(), Some(20));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains(&format!("==> {corrupt} <==")), "{text}");
}

#[test]
fn status_oneline_is_one_line_of_facts_per_journal() {
    let journals = [
        golden("clean-run"),
        golden("interrupted-after-red-line"),
        golden("torn-tail"),
    ];
    let mut args = vec!["status", "--oneline"];
    args.extend(journals.iter().map(String::as_str));
    let output = binary(&args).recorded_output();
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|line| line.split(' ').collect()).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines.iter().all(|fields| fields.len() == 6), "{text}");
    assert_eq!(
        lines[0][1..5],
        [
            "complete",
            "already_complete",
            "b0010000000000000000000000000001",
            "-"
        ]
    );
    assert_eq!(
        lines[1][1..5],
        [
            "mutating",
            "fatal_interruption",
            "b0010000000000000000000000000001",
            "mount/running"
        ]
    );
    assert_eq!(lines[2][2], "safe_retry");
    let output = binary(&["status", "--oneline", "--json", &journals[0]]).recorded_output();
    assert_eq!(
        output.status.code(),
        Some(2),
        "--oneline and --json exclude each other"
    );
}

#[test]
fn status_oneline_keeps_a_path_with_white_space_one_word() {
    // A support bundle unpacked under a name with spaces, a tab, a
    // backslash and a non-ASCII space.
    let scratch = Scratch::new("oneline escapes");
    let dir = scratch.0.join("bundle of m17\\t\tcopy\u{a0}2");
    std::fs::create_dir_all(&dir).unwrap();
    let odd = dir.join("provision-journal");
    std::fs::copy(golden("clean-run"), &odd).unwrap();
    let odd = odd.to_str().unwrap();
    let plain = golden("clean-run");
    let output = binary(&["status", "--oneline", odd, &plain])
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|line| line.split(' ').collect()).collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(
        lines[0].len(),
        lines[1].len(),
        "the path with white space is more than one field:\n{text}"
    );
    assert_eq!(lines[0][1..], lines[1][1..], "{text}");
    let escaped = lines[0][0];
    assert!(
        escaped.ends_with("/bundle\\x20of\\x20m17\\\\t\\tcopy\\xc2\\xa02/provision-journal"),
        "{escaped}"
    );
    // spec/CLI.md: `printf '%b'` turns the field back into the path.
    let decoded = std::process::Command::new("bash")
        .args(["-c", "printf %b \"$1\"", "_", escaped])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(decoded.stdout).unwrap(), odd);
}

#[test]
fn dump_reads_standard_input() {
    use std::io::Write;
    let bytes = std::fs::read(golden("torn-tail")).unwrap();
    let mut child = binary(&["dump", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(24));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with("provision-journal dump of (standard input)"),
        "{text}"
    );
    let file = binary(&["dump", &golden("torn-tail")]).recorded_output();
    let file = String::from_utf8(file.stdout).unwrap();
    assert_eq!(
        text.split_once('\n').unwrap().1,
        file.split_once('\n').unwrap().1
    );
}

/// Runs the binary with `args` and `bytes` on its standard input.
fn piped(args: &[&str], bytes: &[u8]) -> Output {
    use std::io::Write;
    let mut child = binary(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A call refused before it reads (a usage error) closes the pipe
    // first: what it did not read is no failure of the test.
    match child.stdin.take().unwrap().write_all(bytes) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        written => written.unwrap(),
    }
    let output = child.wait_with_output().unwrap();
    json_samples::record(args.iter().map(std::ffi::OsStr::new), &output.stdout);
    output
}

#[test]
fn status_reads_standard_input_as_it_reads_a_copy() {
    // A short name, so that the text form does not wrap it.
    let dir = Path::new(&golden("x")).parent().unwrap().to_owned();
    for name in [
        "interrupted-after-red-line",
        "torn-tail",
        "mid-file-corruption",
    ] {
        let file = format!("{name}.journal");
        let bytes = std::fs::read(dir.join(&file)).unwrap();
        for form in [&[][..], &["--json"], &["--oneline"]] {
            let args: Vec<&str> = ["status"].iter().chain(form).copied().collect();
            let from_file = binary(&[&args[..], &[file.as_str()]].concat())
                .current_dir(&dir)
                .recorded_output();
            let from_stdin = piped(&[&args[..], &["-"]].concat(), &bytes);
            assert_eq!(
                from_stdin.status.code(),
                from_file.status.code(),
                "{name} {form:?}: {from_stdin:?}"
            );
            let (stdin_text, file_text) = (
                String::from_utf8(from_stdin.stdout).unwrap(),
                String::from_utf8(from_file.stdout).unwrap(),
            );
            // The same report, but for the name the journal goes by.
            let named = match form {
                [] => format!("journal:    {file}\n"),
                ["--json"] => format!("\"journal\":\"{file}\""),
                _ => format!("{file} "),
            };
            let as_stdin = match form {
                [] => "journal:    (standard input)\n",
                ["--json"] => "\"journal\":\"(standard input)\"",
                _ => "(standard\\x20input) ",
            };
            assert!(file_text.contains(&named), "{file_text}");
            assert_eq!(
                stdin_text,
                file_text.replacen(&named, as_stdin, 1),
                "{name} {form:?}"
            );
        }
    }
}

/// `text` with its lines joined, so that a phrase wrapped over two lines
/// is found.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The part of `text` from the line `from` to the next line `to` (or the end).
fn part<'a>(text: &'a str, from: &str, to: Option<&str>) -> &'a str {
    let (_, rest) = text
        .split_once(&format!("\n{from}"))
        .unwrap_or_else(|| panic!("no {from} in {text}"));
    to.and_then(|to| rest.split_once(&format!("\n{to}")))
        .map_or(rest, |(part, _)| part)
}

#[test]
fn a_failed_call_reads_the_same_everywhere() {
    let journal = golden("call-failed");
    let form = "fetched: exit 53";
    let dump = binary(&["dump", &journal]).recorded_output();
    let dump = String::from_utf8(dump.stdout).unwrap();
    for (from, to) in [
        ("OVERVIEW", Some("Format version")),
        ("RECORDS", Some("TIMELINE")),
        ("TIMELINE", Some("ANOMALIES")),
        ("Decision:", Some("Policy:")),
        ("To do:", None),
    ] {
        let part = flat(part(&dump, from, to));
        assert!(part.contains(form), "dump's {from} lacks `{form}`: {part}");
    }
    let status = binary(&["status", &journal]).recorded_output();
    let status = String::from_utf8(status.stdout).unwrap();
    for (from, to) in [
        ("boots:", Some("config:")),
        ("next check:", Some("to do:")),
        ("to do:", None),
    ] {
        let part = flat(part(&status, from, to));
        assert!(
            part.contains(form),
            "status's {from} lacks `{form}`: {part}"
        );
    }
    for text in [&dump, &status] {
        let text = flat(text);
        for other in [
            "fetched exit",
            "`fetched` exit",
            "exit status 53",
            "fetched 53",
        ] {
            assert!(!text.contains(other), "`{other}` in {text}");
        }
    }
}

/// Whether `text` counts one of something in the plural (`1 bytes`,
/// `1 unplanned restarts`).
fn one_in_the_plural(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(3).find_map(|window| {
        let plural = |word: &str| {
            let word = word.trim_end_matches([',', '.', ';', ':', ')']);
            ["bytes", "boots", "records", "times", "restarts", "reboots"].contains(&word)
        };
        let found = window[0] == "1" && (plural(window[1]) || plural(window[2]));
        found.then(|| window.join(" "))
    })
}

#[test]
fn counts_of_one_are_told_in_the_singular() {
    let scratch = Scratch::new("one");
    let mut torn = clean_run();
    torn.push(0x11);
    let journal = scratch.journal(&torn);
    let dump = flat(&String::from_utf8(run(&["dump"], &journal).stdout).unwrap());
    for says in [
        "torn tail: 1 byte to the end of the file",
        "ends in 1 byte at offset",
        "that is not a whole record",
        "the next write cuts this byte off",
    ] {
        assert!(dump.contains(says), "does not say {says:?}: {dump}");
    }
    // One restart, when none is allowed.
    let status = binary(&[
        "status",
        "--max-retries",
        "0",
        &golden("interrupted-before-red-line"),
    ])
    .recorded_output();
    let status = flat(&String::from_utf8(status.stdout).unwrap());
    for says in [
        "1 unplanned restart before the red line, more than the 0 allowed",
        "The attempt was interrupted 1 time before the red line",
    ] {
        assert!(status.contains(says), "does not say {says:?}: {status}");
    }
    for text in [&dump, &status] {
        assert_eq!(one_in_the_plural(text), None, "{text}");
    }
}

#[test]
fn standard_input_is_read_once() {
    let bytes = std::fs::read(golden("clean-run")).unwrap();
    for command in ["status", "dump"] {
        let output = piped(&[command, "-", "-"], &bytes);
        assert_eq!(output.status.code(), Some(2), "{command}: {output:?}");
        assert!(output.stdout.is_empty(), "{command}: {output:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("give `-` once"), "{command}: {stderr}");
    }
}

#[test]
fn status_prometheus_writes_the_metrics_file_atomically() {
    let scratch = Scratch::new("prometheus");
    let metrics = scratch.0.join("provision_journal.prom");
    std::fs::write(&metrics, "stale\n").unwrap();
    let (poisoned, torn) = (golden("interrupted-after-red-line"), golden("torn-tail"));
    let metrics_arg = metrics.to_str().unwrap();
    let output =
        binary(&["status", "--prometheus", metrics_arg, &poisoned, &torn]).recorded_output();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(output.stdout.is_empty(), "{output:?}");
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert!(!text.contains("stale"), "{text}");
    let info = format!(
        "provision_journal_info{{journal=\"{poisoned}\",state=\"mutating\",stage=\"mount\",step=\"running\",verdict=\"fatal_interruption\",outcome=\"clean\"}} 1"
    );
    assert!(text.lines().any(|line| line == info), "{text}");
    assert!(
        text.contains(&format!(
            "provision_journal_last_record_timestamp_seconds{{journal=\"{poisoned}\"}} 1795593601.500"
        )),
        "{text}"
    );
    assert!(text.contains(&format!("journal=\"{torn}\"")), "{text}");
    let names: Vec<_> = std::fs::read_dir(&scratch.0)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "a temporary file was left: {names:?}");
    let mode = std::fs::metadata(&metrics).unwrap().permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o644
    );

    let missing = scratch.0.join("no-such-dir/provision_journal.prom");
    let output = binary(&[
        "status",
        "--prometheus",
        missing.to_str().unwrap(),
        &poisoned,
    ])
    .recorded_output();
    assert_eq!(output.status.code(), Some(41), "{output:?}");
    let output =
        binary(&["status", "--json", "--prometheus", metrics_arg, &poisoned]).recorded_output();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}
