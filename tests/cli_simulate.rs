//! `simulate`'s cut points inside an append, after a planned reboot and
//! after a failed stage: what it prints for the next boot is checked
//! against the same boot replayed with the real binary on a real file (each
//! hook its own process, the tear made by hand), and against the exit
//! statuses `spec/STATES.md` and `spec/CLI.md` give.

mod cli_common;

use std::fs::OpenOptions;
use std::path::Path;
use std::process::Command;

use cli_common::{BIN, Boot, Scratch};

const CONFIG: &str = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";

/// How the power cut treated the last hook's append.
#[derive(Clone, Copy)]
enum Tear {
    /// The hook returned.
    None,
    /// Its first half landed.
    Half,
    /// The file grew by the record's length; the data is zeros.
    SizeOnly,
}

/// One cut point and what the spec says of the next boot.
struct Case {
    point: &'static str,
    /// The hooks after `check`, the torn one last.
    hooks: &'static [&'static [&'static str]],
    tear: Tear,
    /// The next boot's `check` exit status (spec/CLI.md) and a word of its
    /// verdict.
    status: i32,
    says: &'static str,
}

const CASES: [Case; 5] = [
    // spec/STATES.md row 14: a torn `fetched` from `Fresh` is shorter than
    // `fetched` + `begin disks`, so harmless.
    Case {
        point: "inside-fetched",
        hooks: &[&["fetched", "--sha256", CONFIG]],
        tear: Tear::Half,
        status: 0,
        says: "safe retry",
    },
    // Row 10: a torn tail as long as `begin disks` could be one.
    Case {
        point: "inside-begin-disks",
        hooks: &[
            &["fetched", "--sha256", CONFIG],
            &["begin", "kargs"],
            &["end", "kargs"],
            &["begin", "disks"],
        ],
        tear: Tear::SizeOnly,
        status: 10,
        says: "torn bytes",
    },
    // Row 12.
    Case {
        point: "after-reboot-kargs",
        hooks: &[
            &["fetched", "--sha256", CONFIG],
            &["begin", "kargs"],
            &["end", "kargs"],
            &["reboot", "--reason", "kargs"],
        ],
        tear: Tear::None,
        status: 0,
        says: "planned reboot",
    },
    // Row 14, told as a failure.
    Case {
        point: "after-fail-kargs",
        hooks: &[
            &["fetched", "--sha256", CONFIG],
            &["begin", "kargs"],
            &["fail", "kargs", "--reason", "exit status 1"],
        ],
        tear: Tear::None,
        status: 0,
        says: "failed",
    },
    // A failure past the red line poisons by its own record: row 4.
    Case {
        point: "after-fail-disks",
        hooks: &[
            &["fetched", "--sha256", CONFIG],
            &["begin", "kargs"],
            &["end", "kargs"],
            &["begin", "disks"],
            &["fail", "disks", "--reason", "exit status 1"],
        ],
        tear: Tear::None,
        status: 11,
        says: "poisoned",
    },
];

fn simulate(point: &str) -> String {
    let output = Command::new(BIN)
        .args(["simulate", "--cut-at", point])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{point}");
    String::from_utf8(output.stdout).unwrap()
}

/// The exit status `simulate` says the next boot's `check` had.
fn printed_status(stdout: &str) -> i32 {
    let (_, rest) = stdout
        .split_once("(exit status ")
        .expect("simulate prints the check's exit status");
    rest.split(')').next().unwrap().parse().unwrap()
}

/// Runs the case's boot with the real binary, tears the last append as the
/// case says, and returns the offset and length of the torn bytes.
fn replay(case: &Case, journal: &Path) -> Option<(u64, u64)> {
    let boot = Boot::first(0x51);
    boot.run(journal, &["check"]).expect(0);
    let mut before = 0;
    for hook in case.hooks {
        before = std::fs::metadata(journal).unwrap().len();
        boot.run(journal, hook).expect(0);
    }
    let after = std::fs::metadata(journal).unwrap().len();
    let record = after - before;
    let file = OpenOptions::new().write(true).open(journal).unwrap();
    match case.tear {
        Tear::None => None,
        Tear::Half => {
            file.set_len(before + record / 2).unwrap();
            Some((before, record / 2))
        }
        Tear::SizeOnly => {
            file.set_len(before).unwrap();
            file.set_len(after).unwrap();
            Some((before, record))
        }
    }
}

#[test]
fn the_new_cut_points_end_as_the_spec_says_and_as_the_real_binary_does() {
    for case in &CASES {
        let point = case.point;
        let stdout = simulate(point);
        let printed = printed_status(&stdout);
        assert_eq!(printed, case.status, "{point}: {stdout}");

        let scratch = Scratch::new(point);
        let journal = scratch.path.join("provision-journal");
        let torn = replay(case, &journal);
        let next = Boot::first(0x52).run(&journal, &["check"]);
        assert_eq!(next.code, case.status, "{point}: {next:#?}");
        let verdict = stdout
            .split("provision-journal check\n")
            .last()
            .unwrap()
            .lines()
            .next()
            .unwrap();
        assert!(verdict.contains(case.says), "{point}: {verdict}");
        assert_eq!(
            verdict.trim(),
            next.stdout.lines().next().unwrap_or_default().trim(),
            "{point}: simulate and the real check disagree"
        );

        if let Some((offset, len)) = torn {
            // After its verdict, check says that it repaired the tail.
            let said = format!("cut off a torn tail of {len} bytes at offset {offset}");
            assert!(next.stdout.contains(&said), "{point}: {}", next.stdout);
            let repaired = format!("cut off {len} torn bytes at offset {offset}");
            let dump = Boot::first(0x52).run(&journal, &["dump"]).expect(0);
            assert!(dump.stdout.contains(&repaired), "{point}: {}", dump.stdout);
            let simulated_dump = stdout.split("$ provision-journal dump").nth(1).unwrap();
            assert!(
                simulated_dump.contains(&repaired),
                "{point}: {simulated_dump}"
            );
            assert!(
                stdout.contains(&format!("torn tail of {len} bytes")),
                "{point}: {stdout}"
            );
        }
    }
}

/// What ends the simulated boot is named for what happens to the machine,
/// never like the `reset` command.
#[test]
fn the_end_of_the_boot_is_named_for_what_the_machine_does() {
    for (point, end) in [
        ("during-disks", "power cut"),
        ("inside-fetched", "power cut"),
        ("after-reboot-kargs", "planned reboot"),
        ("after-fail-kargs", "machine reset"),
        ("after-fail-disks", "machine reset"),
    ] {
        let stdout = simulate(point);
        assert!(
            stdout.contains(&format!("\n  -- {end}: ")),
            "{point}: {stdout}"
        );
        assert!(!stdout.contains("-- reset:"), "{point}: {stdout}");
    }
}

#[test]
fn the_report_explains_its_terms_before_using_them() {
    for point in ["during-disks", "inside-fetched", "after-fail-disks"] {
        let stdout = simulate(point);
        let legend = stdout.find("Terms:").expect("a legend");
        for term in ["attempt", "red line", "poisoned"] {
            assert!(
                stdout[legend..].contains(&format!("\n  {term} ")),
                "{point}: the legend misses {term}: {stdout}"
            );
            let first_use = stdout.find(term).unwrap();
            assert!(first_use > legend, "{point}: {term} used before the legend");
        }
    }
}

#[test]
fn help_names_each_points_side_of_the_red_line() {
    let output = Command::new(BIN)
        .args(["simulate", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for (point, side) in [
        ("after-kargs", "before the red line"),
        ("after-reboot-kargs", "before the red line"),
        ("inside-fetched", "before the red line"),
        ("inside-begin-disks", "on the red line"),
        ("during-disks", "past the red line"),
        ("after-fail-disks", "past the red line"),
    ] {
        let line = help
            .lines()
            .find(|line| line.trim_start().starts_with(&format!("- {point}:")))
            .unwrap_or_else(|| panic!("{point} missing from --help:\n{help}"));
        assert!(line.contains(side), "{line}");
    }
}

/// `simulate --keep DIR` leaves the journal the next boot read, for
/// `status`, `dump` and `reset` to be tried on, and never writes over one.
#[test]
fn simulate_keeps_its_journal_where_asked() {
    let scratch = Scratch::new("simulate-keep");
    let dir = scratch.path.join("practice");
    let simulate = |point: &str| {
        Command::new(BIN)
            .args(["simulate", "--cut-at", point, "--keep"])
            .arg(&dir)
            .env("PROVISION_JOURNAL_JOURNALD_SOCKET", "")
            .output()
            .unwrap()
    };
    let output = simulate("during-disks");
    assert!(output.status.success(), "{output:?}");
    let journal = dir.join("provision-journal");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains(&format!("provision-journal status {}", journal.display())),
        "{stdout}"
    );
    let run = Boot::first(9).run(
        &scratch.path.join("unused"),
        &["status", "--oneline", journal.to_str().unwrap()],
    );
    let run = run.expect(0);
    assert!(run.stdout.contains(" poisoned poisoned "), "{run:#?}");
    let before = std::fs::read(&journal).unwrap();
    let again = simulate("after-check");
    assert_eq!(again.status.code(), Some(2), "{again:?}");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already exists"),
        "{again:?}"
    );
    assert_eq!(
        std::fs::read(&journal).unwrap(),
        before,
        "the kept journal is untouched"
    );
}
