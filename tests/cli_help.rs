//! Every subcommand has `--help` that says what it does, and the top-level
//! help documents the environment it reads.

mod cli_common;
// The binary's list of cut points, which `simulate --help` must show whole.
#[allow(dead_code)]
#[path = "../src/bin/provision-journal/simulate/cut_points.rs"]
mod cut_points;

use cli_common::BIN;
use std::process::Command;

fn help(args: &[&str]) -> String {
    let output = Command::new(BIN).args(args).arg("--help").output().unwrap();
    assert!(output.status.success(), "{args:?} --help failed");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn every_subcommand_describes_itself() {
    let cases: [(&str, &str); 11] = [
        ("check", "decide whether provisioning may run"),
        ("fetched", "SHA-256 of the fetched config"),
        ("begin", "record that it begins"),
        ("end", "record that it ended"),
        ("fail", "record the failure"),
        ("reboot", "planned reboot"),
        ("complete", "provisioning completed"),
        ("status", "what the next check would decide"),
        ("reset", "Allow a new provisioning attempt"),
        ("dump", "Print every record of a journal"),
        ("simulate", "cut the power"),
    ];
    let top = help(&[]);
    for (command, says) in cases {
        let text = help(&[command]);
        assert!(
            text.contains(says),
            "`{command} --help` does not say {says:?}:\n{text}"
        );
        assert!(
            text.contains(&format!("provision-journal {command}")),
            "{text}"
        );
        assert!(
            top.contains(command),
            "top-level help does not list {command}"
        );
    }
}

#[test]
fn help_documents_the_journal_default_and_the_environment() {
    let text = help(&[]);
    for needle in [
        "/boot/provision-journal",
        "--boot-device",
        "PROVISION_JOURNAL_BOOT_ID",
        "PROVISION_JOURNAL_CMDLINE",
        "PROVISION_JOURNAL_LIVE",
        "provision_journal.rerun=TOKEN",
        "Exit statuses:",
    ] {
        assert!(
            text.contains(needle),
            "help does not mention {needle}:\n{text}"
        );
    }
    let check = help(&["check"]);
    assert!(check.contains("PROVISION_JOURNAL_CMDLINE"), "{check}");
    // An installed system has no spec/: the help says it all.
    assert!(!text.contains("spec/"), "{text}");
}

/// The statuses `exit.rs` defines.
fn defined_statuses() -> Vec<u8> {
    cli_common::support::exit_statuses::defined()
        .into_iter()
        .map(|(_, status)| status)
        .collect()
}

#[test]
fn long_help_lists_every_exit_status_with_its_meaning() {
    let statuses = defined_statuses();
    assert!(statuses.len() >= 20, "{statuses:?}");
    for args in [&[][..], &["check"]] {
        let text = help(args);
        let table = text
            .split_once("Exit statuses:\n")
            .unwrap_or_else(|| panic!("{args:?} --help has no exit statuses:\n{text}"))
            .1;
        let listed: Vec<u8> = table
            .lines()
            .filter_map(|line| line.split_whitespace().next()?.parse().ok())
            .collect();
        let mut expected = statuses.clone();
        expected.push(101);
        assert!(expected.is_sorted(), "exit.rs lists statuses out of order");
        assert_eq!(listed, expected, "{args:?} --help:\n{table}");
        assert!(
            table.contains("  10  `check`: this boot found an interruption past the red line"),
            "{table}"
        );
        assert!(table.lines().all(|line| line.len() <= 80), "{table}");
    }
}

#[test]
fn version_names_the_journal_format_versions() {
    use provision_journal::{FORMAT_VERSION as VERSION, READ_FORMAT_VERSIONS as READ_VERSIONS};
    let output = Command::new(BIN).arg("--version").output().unwrap();
    assert!(output.status.success());
    let read: Vec<String> = READ_VERSIONS.iter().map(u16::to_string).collect();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "provision-journal {}\njournal format: writes version {VERSION}, reads version {}\n",
            env!("CARGO_PKG_VERSION"),
            read.join(", ")
        )
    );
    assert!(READ_VERSIONS.contains(&VERSION));
}

#[test]
fn simulate_lists_every_cut_point_and_rejects_unknown_ones() {
    let text = help(&["simulate"]);
    for point in cut_points::CUT_POINTS {
        assert!(
            text.contains(point.name),
            "simulate --help misses {}:\n{text}",
            point.name
        );
    }
    let output = Command::new(BIN)
        .args(["simulate", "--cut-at", "during-lunch"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("during-lunch") && stderr.contains("during-disks"),
        "{stderr}"
    );
}

#[test]
fn simulate_without_arguments_shows_a_fatal_interruption_and_the_dump() {
    let output = Command::new(BIN).arg("simulate").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("power is cut at `during-disks`"),
        "{stdout}"
    );
    assert!(
        stdout.contains("fatal: boot 51515151 was interrupted during stage disks"),
        "{stdout}"
    );
    assert!(stdout.contains("(exit status 10)"), "{stdout}");
    assert!(stdout.contains("begin disks"), "{stdout}");
    let dump = stdout
        .split("$ provision-journal dump")
        .nth(1)
        .expect("the dump follows");
    assert!(
        dump.contains("begin disks") && dump.contains("52525252"),
        "{dump}"
    );
    // Both boots run on the simulated clock: one date (a line in the
    // overview and one in the records), the next boot's record five
    // minutes after the first boot began.
    assert_eq!(dump.matches("-- 20").count(), 2, "{dump}");
    assert!(dump.contains("00:05:00 POISONED"), "{dump}");
    // The closing verdict says which boot it is about.
    let closing = dump
        .rsplit_once("NEXT CHECK")
        .expect("the dump's verdict")
        .1;
    assert!(
        closing.contains("about the boot after 52525252"),
        "{closing}"
    );
}

#[test]
fn simulate_before_the_red_line_is_a_safe_retry() {
    for (point, says) in [
        ("before-check", "first run"),
        ("after-kargs", "safe retry"),
        ("after-complete", "already completed"),
    ] {
        let output = Command::new(BIN)
            .args(["simulate", "--cut-at", point])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(says), "{point}: {stdout}");
    }
}

#[test]
fn simulate_neither_lists_nor_takes_the_journal_options() {
    let text = help(&["simulate"]);
    for option in ["--journal", "--boot-device"] {
        assert!(
            !text.contains(option),
            "simulate --help lists {option}:\n{text}"
        );
        assert!(
            help(&["check"]).contains(option),
            "check --help lost {option}"
        );
    }
    for args in [
        &["simulate", "--journal", "/tmp/j"][..],
        &["--journal", "/tmp/j", "simulate"],
        &["--boot-device", "/dev/null", "simulate"],
        &["simulate", "--boot-device-timeout", "5"],
    ] {
        let output = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("`simulate` runs in memory"), "{stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn read_only_commands_neither_list_nor_take_the_lock_timeout() {
    for command in ["status", "dump"] {
        let text = help(&[command]);
        assert!(
            !text.contains("--lock-timeout"),
            "{command} --help lists --lock-timeout:\n{text}"
        );
        assert!(text.contains("--boot-device-timeout"), "{text}");
        for args in [
            &[command, "--lock-timeout", "3", "/tmp/j"][..],
            &["--lock-timeout", "3", command, "/tmp/j"],
        ] {
            let output = Command::new(BIN).args(args).output().unwrap();
            assert_eq!(output.status.code(), Some(2), "{args:?}");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains(&format!("`{command}` only reads")),
                "{stderr}"
            );
        }
    }
    for writer in ["check", "begin", "reset"] {
        assert!(help(&[writer]).contains("--lock-timeout"), "{writer}");
    }
}

#[test]
fn a_subcommand_lists_its_own_options_before_the_global_ones() {
    for (command, own) in [
        ("status", "--oneline"),
        ("dump", "--json"),
        ("fail", "--reason"),
        ("config", "--get"),
    ] {
        let text = help(&[command]);
        // Where the option's own line of the list starts.
        let line = |option: &str| text.find(&format!("  {option} ")).unwrap();
        let global_at = text
            .find("Global options:")
            .unwrap_or_else(|| panic!("{text}"));
        assert!(line(own) < global_at, "{command}:\n{text}");
        for global in ["--journal", "--boot-device", "--max-retries"] {
            assert!(
                line(global) > global_at,
                "{command}: {global} before the global heading:\n{text}"
            );
        }
    }
}

#[test]
fn help_names_every_configuration_key() {
    let text = help(&[]);
    for key in provision_journal::config::KEYS {
        let section = format!("[{}]", key.section());
        let line = text
            .lines()
            .skip_while(|line| !line.trim_start().starts_with(&section))
            .take_while(|line| {
                line.trim_start().starts_with(&section) || line.starts_with("         ")
            })
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            line.contains(key.key()),
            "--help does not name {}:\n{text}",
            key.name
        );
    }
}
