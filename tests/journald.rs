//! The journald entries of the real binary: each call's outcome reaches a
//! datagram socket in journald's native protocol, with its `MESSAGE_ID`
//! and fields; without journald the call prints as before and says
//! nothing; on a stream that is the journal the entry replaces the line;
//! and the message catalog explains every ID, as the real `journalctl`
//! reads it.

mod cli_common;
// The binary's own module for journald's native protocol: the tests read
// the datagrams it sends with its decoder, and name entries by its IDs.
#[allow(dead_code)]
#[path = "../src/bin/provision-journal/journald.rs"]
mod journald;

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Command;

use cli_common::{Boot, FULL_SEQUENCE, Run, Scratch};
use journald::{Entry, Field, MessageId};

/// A socket standing in for journald's, and the entries it received.
struct Journald {
    socket: PathBuf,
    listener: UnixDatagram,
}

type Fields = HashMap<String, String>;

impl Journald {
    fn new(scratch: &Scratch) -> Journald {
        let socket = scratch.path.join("journal.socket");
        let listener = UnixDatagram::bind(&socket).unwrap();
        listener.set_nonblocking(true).unwrap();
        Journald { socket, listener }
    }

    /// Runs the binary as `boot` with this socket for journald.
    fn run(&self, boot: &Boot, journal: &Path, args: &[&str]) -> Run {
        Run::from(
            boot.command(journal, args)
                .env("PROVISION_JOURNAL_JOURNALD_SOCKET", &self.socket)
                .output()
                .unwrap(),
        )
    }

    /// The entries received since the last call, each as its fields.
    fn entries(&self) -> Vec<Fields> {
        let mut entries = Vec::new();
        let mut buffer = vec![0u8; 1 << 16];
        while let Ok(len) = self.listener.recv(&mut buffer) {
            let fields = decode(&buffer[..len]).expect("a well-formed datagram");
            entries.push(
                fields
                    .into_iter()
                    .map(|(key, value)| (key, String::from_utf8(value).unwrap()))
                    .collect(),
            );
        }
        entries
    }

    /// The one entry the last call sent, checked to be of kind `id`.
    #[track_caller]
    fn one(&self, id: MessageId) -> Fields {
        let entries = self.entries();
        assert_eq!(entries.len(), 1, "{entries:#?}");
        let entry = entries.into_iter().next().unwrap();
        assert_eq!(entry["MESSAGE_ID"], id.id(), "{entry:#?}");
        assert_eq!(entry["PROVISION_JOURNAL_OUTCOME"], id.name());
        assert_eq!(entry["PRIORITY"], id.priority().to_string());
        assert_eq!(entry["SYSLOG_IDENTIFIER"], "provision-journal");
        entry
    }
}

#[test]
fn every_hook_of_a_first_boot_is_an_entry_with_its_fields() {
    let scratch = Scratch::new("journald-boot");
    let journald = Journald::new(&scratch);
    let journal = scratch.path.join("provision-journal");
    let boot = Boot::first(1);

    let check = journald.run(&boot, &journal, &["check"]).expect(0);
    let entry = journald.one(MessageId::Proceed);
    assert_eq!(entry["MESSAGE"], check.stdout.trim());
    assert_eq!(entry["PROVISION_JOURNAL_VERDICT"], "first_run");
    assert_eq!(entry["PROVISION_JOURNAL_EVENT"], "attempt_started");
    assert_eq!(entry["PROVISION_JOURNAL_SEQ"], "0");
    assert_eq!(entry["PROVISION_JOURNAL_ATTEMPT"], "1");
    assert_eq!(entry["PROVISION_JOURNAL_STATE"], "fresh");
    assert_eq!(entry["PROVISION_JOURNAL_COMMAND"], "check");
    assert_eq!(entry["PROVISION_JOURNAL_PATH"], journal.to_str().unwrap());
    assert_eq!(entry["PROVISION_JOURNAL_EXIT_STATUS"], "0");

    for (seq, hook) in FULL_SEQUENCE.iter().enumerate() {
        let run = journald.run(&boot, &journal, hook).expect(0);
        let entry = journald.one(MessageId::Recorded);
        assert_eq!(entry["MESSAGE"], run.stdout.trim(), "{hook:?}");
        assert_eq!(entry["PROVISION_JOURNAL_SEQ"], (seq + 1).to_string());
        assert_eq!(entry["PROVISION_JOURNAL_ATTEMPT"], "1");
        let event = &entry["PROVISION_JOURNAL_EVENT"];
        match hook[0] {
            "fetched" => {
                assert_eq!(event, "config_fetched");
                assert_eq!(entry["PROVISION_JOURNAL_CONFIG_SHA256"], hook[2]);
            }
            "begin" | "end" => {
                let (kind, step) = match hook[0] {
                    "begin" => ("stage_began", "running"),
                    _ => ("stage_ended", "ended"),
                };
                assert_eq!(event, kind);
                assert_eq!(entry["PROVISION_JOURNAL_STAGE"], hook[1]);
                assert_eq!(entry["PROVISION_JOURNAL_STATE"], "mutating");
                assert_eq!(entry["PROVISION_JOURNAL_STEP"], step);
                assert_eq!(entry["PROVISION_JOURNAL_COMMAND"], hook.join(" "));
            }
            "complete" => {
                assert_eq!(event, "completed");
                assert_eq!(entry["PROVISION_JOURNAL_STATE"], "complete");
            }
            other => panic!("unexpected hook {other}"),
        }
    }

    // The stamp survived: the next provisioning boot is refused.
    journald
        .run(&Boot::first(2), &journal, &["check"])
        .expect(12);
    let entry = journald.one(MessageId::AlreadyComplete);
    assert_eq!(entry["PROVISION_JOURNAL_VERDICT"], "already_complete");
    assert_eq!(entry["PROVISION_JOURNAL_EVENT"], "boot_refused");
    assert_eq!(entry["PROVISION_JOURNAL_EXIT_STATUS"], "12");
}

#[test]
fn a_fatal_interruption_a_refusal_a_failure_and_a_repaired_tail_have_their_own_ids() {
    let scratch = Scratch::new("journald-stops");
    let journald = Journald::new(&scratch);
    let journal = scratch.path.join("provision-journal");
    let first = Boot::first(1);
    journald.run(&first, &journal, &["check"]).expect(0);
    for hook in &FULL_SEQUENCE[..4] {
        journald.run(&first, &journal, hook).expect(0);
    }
    journald.entries();

    // Out of order: refused; its own record is not written, only that the
    // call failed (record #5).
    let refused = journald.run(&first, &journal, &["end", "files"]).expect(30);
    let entry = journald.one(MessageId::Refused);
    assert_eq!(entry["PROVISION_JOURNAL_EXIT_STATUS"], "30");
    assert_eq!(entry["PROVISION_JOURNAL_COMMAND"], "end files");
    assert!(refused.stderr.contains(&entry["MESSAGE"]), "{refused:?}");

    // The power is cut during disks; the next boot poisons the attempt.
    let second = Boot::first(2);
    journald.run(&second, &journal, &["check"]).expect(10);
    let entry = journald.one(MessageId::FatalInterruption);
    assert_eq!(entry["PROVISION_JOURNAL_VERDICT"], "fatal_interruption");
    assert_eq!(entry["PROVISION_JOURNAL_EVENT"], "poisoned");
    assert_eq!(entry["PROVISION_JOURNAL_SEQ"], "6");
    assert_eq!(entry["PROVISION_JOURNAL_STATE"], "poisoned");
    assert_eq!(entry["PROVISION_JOURNAL_EXIT_STATUS"], "10");
    assert!(
        entry["PROVISION_JOURNAL_REASON"].contains("disks"),
        "{entry:#?}"
    );

    journald
        .run(&Boot::first(3), &journal, &["check"])
        .expect(11);
    let entry = journald.one(MessageId::Poisoned);
    assert_eq!(entry["PROVISION_JOURNAL_VERDICT"], "poisoned");
    assert_eq!(entry["PROVISION_JOURNAL_EXIT_STATUS"], "11");

    // The operator resets; the next attempt fails in files, past the red line.
    let operator = Boot::with_cmdline(4, "quiet");
    journald
        .run(&operator, &journal, &["reset", "--reason", "disks checked"])
        .expect(0);
    let entry = journald.one(MessageId::Recorded);
    assert_eq!(entry["PROVISION_JOURNAL_EVENT"], "reset");
    assert_eq!(entry["PROVISION_JOURNAL_REASON"], "disks checked");
    let fifth = Boot::first(5);
    journald.run(&fifth, &journal, &["check"]).expect(0);
    for hook in &FULL_SEQUENCE[..8] {
        journald.run(&fifth, &journal, hook).expect(0);
    }
    journald.entries();
    journald
        .run(&fifth, &journal, &["fail", "files", "--reason", "exit 1"])
        .expect(0);
    let entry = journald.one(MessageId::StageFailed);
    assert_eq!(entry["PROVISION_JOURNAL_EVENT"], "stage_failed");
    assert_eq!(entry["PROVISION_JOURNAL_STAGE"], "files");
    assert_eq!(entry["PROVISION_JOURNAL_REASON"], "exit 1");
    assert_eq!(entry["PROVISION_JOURNAL_STATE"], "poisoned");

    // A torn tail: the next writer cuts it off and says so.
    let torn = scratch.path.join("torn");
    let boot = Boot::first(6);
    journald.run(&boot, &torn, &["check"]).expect(0);
    let length = std::fs::metadata(&torn).unwrap().len();
    journald.run(&boot, &torn, FULL_SEQUENCE[0]).expect(0);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&torn)
        .unwrap()
        .set_len(length + 30)
        .unwrap();
    journald.entries();
    journald.run(&Boot::first(7), &torn, &["check"]).expect(0);
    let entries = journald.entries();
    let ids: Vec<&str> = entries.iter().map(|e| e["MESSAGE_ID"].as_str()).collect();
    assert_eq!(
        ids,
        [MessageId::Proceed.id(), MessageId::TailRepaired.id()],
        "{entries:#?}"
    );
    assert!(entries[1]["MESSAGE"].contains("30 bytes at offset"));
}

#[test]
fn without_journald_the_line_is_printed_and_nothing_else_is_said() {
    let scratch = Scratch::new("journald-absent");
    let journal = scratch.path.join("provision-journal");
    let boot = Boot::first(1);
    let missing = scratch.path.join("no-journald-here");
    let run = Run::from(
        boot.command(&journal, &["check"])
            .env("PROVISION_JOURNAL_JOURNALD_SOCKET", &missing)
            .output()
            .unwrap(),
    )
    .expect(0);
    assert!(run.stdout.starts_with("first run"), "{run:?}");
    assert_eq!(run.stderr, "");
}

/// Runs `args` with stdout and stderr on a file that `JOURNAL_STREAM`
/// names, as systemd does for a unit whose output goes to the journal;
/// returns what the file got.
fn run_on_journal_stream(
    boot: &Boot,
    journal: &Path,
    args: &[&str],
    socket: &Path,
    file: &Path,
) -> (i32, String) {
    let out = std::fs::File::create(file).unwrap();
    let metadata = out.metadata().unwrap();
    let status = boot
        .command(journal, args)
        .env("PROVISION_JOURNAL_JOURNALD_SOCKET", socket)
        .env(
            "JOURNAL_STREAM",
            format!("{}:{}", metadata.dev(), metadata.ino()),
        )
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .status()
        .unwrap();
    (
        status.code().unwrap(),
        std::fs::read_to_string(file).unwrap(),
    )
}

#[test]
fn on_the_journal_stream_the_entry_replaces_the_line_unless_journald_is_absent() {
    let scratch = Scratch::new("journald-stream");
    let journald = Journald::new(&scratch);
    let journal = scratch.path.join("provision-journal");
    let boot = Boot::first(1);
    let file = scratch.path.join("stream");
    let (code, printed) =
        run_on_journal_stream(&boot, &journal, &["check"], &journald.socket, &file);
    assert_eq!((code, printed.as_str()), (0, ""), "the line is not doubled");
    journald.one(MessageId::Proceed);
    let (code, printed) =
        run_on_journal_stream(&boot, &journal, &["end", "disks"], &journald.socket, &file);
    assert_eq!((code, printed.as_str()), (30, ""));
    journald.one(MessageId::Refused);

    let missing = scratch.path.join("no-journald-here");
    let (code, printed) = run_on_journal_stream(&boot, &journal, FULL_SEQUENCE[0], &missing, &file);
    assert_eq!(code, 0);
    assert!(printed.starts_with("recorded `fetched"), "{printed}");
}

/// Whether `journalctl` can be used; under CI it must.
fn journalctl_unavailable() -> bool {
    let found = Command::new("journalctl").arg("--version").output().is_ok();
    if !found {
        cli_common::support::skip::skip("journalctl is not installed (the systemd package)");
    }
    !found
}

#[test]
fn the_catalog_explains_every_id_as_journalctl_reads_it() {
    let catalog =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("dist/catalog/provision-journal.catalog");
    let text = std::fs::read_to_string(&catalog).unwrap();
    let spec =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/EVIDENCE.md"))
            .unwrap();
    for id in MessageId::ALL {
        assert!(
            text.contains(&format!("\n-- {}\n", id.id())),
            "{id:?} has no catalog entry"
        );
        assert!(
            spec.contains(&format!("`{}`", id.id())) && spec.contains(&format!("`{}`", id.name())),
            "{id:?} is not in spec/EVIDENCE.md"
        );
    }
    let in_catalog = text.lines().filter(|line| line.starts_with("-- ")).count();
    assert_eq!(
        in_catalog,
        MessageId::ALL.len(),
        "the catalog has other IDs"
    );

    if journalctl_unavailable() {
        return;
    }
    let scratch = Scratch::new("journald-catalog");
    let root = &scratch.path;
    let dir = root.join("usr/lib/systemd/catalog");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&catalog, dir.join("provision-journal.catalog")).unwrap();
    let update = Command::new("journalctl")
        .arg(format!("--root={}", root.display()))
        .arg("--update-catalog")
        .output()
        .unwrap();
    assert!(update.status.success(), "{update:?}");
    assert!(root.join("var/lib/systemd/catalog/database").exists());
    let list = Command::new("journalctl")
        .arg(format!("--root={}", root.display()))
        .arg("--list-catalog")
        .output()
        .unwrap();
    assert!(list.status.success(), "{list:?}");
    let listed = String::from_utf8(list.stdout).unwrap();
    for id in MessageId::ALL {
        let line = listed
            .lines()
            .find(|line| line.starts_with(id.id()))
            .unwrap_or_else(|| panic!("journalctl lists no {id:?}: {listed}"));
        assert!(line.len() > 40, "{id:?} has no subject: {line}");
    }
    let dumped = Command::new("journalctl")
        .arg(format!("--root={}", root.display()))
        .arg("--dump-catalog")
        .arg(MessageId::FatalInterruption.id())
        .output()
        .unwrap();
    let dumped = String::from_utf8(dumped.stdout).unwrap();
    assert!(dumped.contains("provision-journal reset"), "{dumped}");
}

/// Parses a datagram of journald's native protocol back into its fields,
/// in order: the reader's side of what `Entry::encode` writes, written
/// here again from the protocol so that it checks the binary's encoding.
/// `None` if it is not well formed.
fn decode(mut datagram: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let mut fields = Vec::new();
    while !datagram.is_empty() {
        let end = datagram.iter().position(|&b| b == b'=' || b == b'\n')?;
        let key = std::str::from_utf8(&datagram[..end]).ok()?.to_owned();
        let rest = &datagram[end + 1..];
        let (value, rest) = if datagram[end] == b'=' {
            let line = rest.iter().position(|&b| b == b'\n')?;
            (&rest[..line], &rest[line + 1..])
        } else {
            let len = u64::from_le_bytes(rest.get(..8)?.try_into().ok()?) as usize;
            let value = rest.get(8..8 + len)?;
            if rest.get(8 + len) != Some(&b'\n') {
                return None;
            }
            (value, &rest[9 + len..])
        };
        fields.push((key, value.to_vec()));
        datagram = rest;
    }
    Some(fields)
}

// The protocol itself.

#[test]
fn ids_are_distinct_lowercase_128_bit_hex() {
    let mut seen = std::collections::HashSet::new();
    for id in MessageId::ALL {
        let hex = id.id();
        assert_eq!(hex.len(), 32, "{id:?}");
        assert!(
            hex.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert!(seen.insert(hex), "{id:?} repeats an ID");
        assert!((2..=6).contains(&id.priority()));
    }
}

/// A field's value may hold a newline (a recorded reason); the
/// `MESSAGE` never does, since it is escaped like every printed line.
#[test]
fn a_value_with_a_newline_is_sent_with_its_length() {
    let entry = Entry::new(MessageId::StageFailed, "stage failed\nfake line")
        .with(Field::Reason, "one\ntwo")
        .with(Field::Stage, "disks");
    let datagram = entry.encode();
    assert!(datagram.starts_with(b"MESSAGE=stage failed\\u{a}fake line\n"));
    let mut expected = b"PROVISION_JOURNAL_REASON\n".to_vec();
    expected.extend_from_slice(&7u64.to_le_bytes());
    expected.extend_from_slice(b"one\ntwo\n");
    assert!(datagram.windows(expected.len()).any(|w| w == expected));
    assert!(
        datagram
            .windows(30)
            .any(|w| w == b"PROVISION_JOURNAL_STAGE=disks\n")
    );
    let fields = decode(&datagram).unwrap();
    assert_eq!(
        fields[0],
        (
            "MESSAGE".to_owned(),
            b"stage failed\\u{a}fake line".to_vec()
        )
    );
    assert_eq!(
        fields[1],
        (
            "MESSAGE_ID".to_owned(),
            MessageId::StageFailed.id().as_bytes().to_vec()
        )
    );
    assert!(fields.contains(&("PROVISION_JOURNAL_REASON".to_owned(), b"one\ntwo".to_vec())));
    assert_eq!(
        fields.last().unwrap(),
        &("PROVISION_JOURNAL_STAGE".to_owned(), b"disks".to_vec())
    );
}

#[test]
fn sending_reaches_a_datagram_socket_and_fails_without_one() {
    let dir = std::env::temp_dir().join(format!("pj-journald-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("socket");
    let listener = UnixDatagram::bind(&socket).unwrap();
    let entry = Entry::new(MessageId::Recorded, "recorded `begin disks`");
    entry.send(&socket).unwrap();
    let mut buffer = [0u8; 4096];
    let len = listener.recv(&mut buffer).unwrap();
    assert_eq!(&buffer[..len], entry.encode().as_slice());
    drop(listener);
    std::fs::remove_file(&socket).unwrap();
    assert!(entry.send(&socket).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `journalctl` prints `MESSAGE`: a path that holds an escape sequence or
/// a newline is escaped there as on stderr, while
/// `PROVISION_JOURNAL_PATH` keeps the path as it is, for searching.
#[test]
fn a_hostile_path_is_escaped_in_the_message() {
    let scratch = Scratch::new("journald-hostile-path");
    let journald = Journald::new(&scratch);
    let journal = scratch
        .path
        .join("a\u{1b}[31mred\nx")
        .join("provision-journal");
    journald
        .run(&Boot::first(1), &journal, &["check"])
        .expect(41);
    let entry = journald.one(MessageId::CallFailed);
    assert!(
        entry["MESSAGE"].contains("a\\u{1b}[31mred\\u{a}x"),
        "{entry:#?}"
    );
    assert!(!entry["MESSAGE"].contains(['\u{1b}', '\n']), "{entry:#?}");
    assert_eq!(entry["PROVISION_JOURNAL_PATH"], journal.to_str().unwrap());
}
