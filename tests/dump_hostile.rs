//! A journal is untrusted input: no byte of it may reach a terminal as a
//! control or escape sequence, in either report, and the JSON must still
//! carry the exact strings.

mod dump_common;

use dump_common::{
    Writer, all_stages, first_check, hostile, hostile_journal, render, terminal_safe,
};
use provision_journal::report::Outcome;

#[test]
fn no_escape_sequence_reaches_the_terminal() {
    let (human, json, outcome) = render(&hostile_journal());
    assert_eq!(outcome, Outcome::Clean);
    assert!(terminal_safe(&human), "{human}");
    assert!(terminal_safe(&json), "{json}");
    assert!(!human.contains('\u{1b}') && !json.contains('\u{1b}'));
    // Each hostile string is shown, escaped, in the human report.
    for what in ["kargs", "reboot", "disks", "reset", "token"] {
        let shown = format!("\"{what}\\u{{1b}}]0;pwned\\u{{7}}");
        assert!(
            human.contains(&shown),
            "{what} is not shown escaped:\n{human}"
        );
    }
}

#[test]
fn json_carries_the_exact_strings() {
    let (_, json, _) = render(&hostile_journal());
    let document: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let records = document["records"].as_array().expect("records");
    let strings: Vec<&str> = records
        .iter()
        .flat_map(|record| {
            let event = &record["event"];
            [&event["reason"], &event["reason_text"], &event["token"]]
        })
        .filter_map(|value| value.as_str())
        .collect();
    for what in ["kargs", "reboot", "disks", "reset", "token"] {
        assert!(
            strings.contains(&hostile(what).as_str()),
            "{what} is missing or altered in {strings:?}"
        );
    }
}

#[test]
fn every_line_fits_80_columns() {
    let mut interrupted = Writer::new();
    first_check(&mut interrupted);
    let mut clean = Writer::new();
    all_stages(first_check(&mut clean));
    for bytes in [hostile_journal(), interrupted.bytes(), clean.bytes()] {
        let (human, _, _) = render(&bytes);
        for line in human.lines() {
            assert!(line.chars().count() <= 80, "too wide: {line:?}");
        }
    }
}

#[test]
fn wrapping_never_splits_an_escape() {
    let (human, _, _) = render(&hostile_journal());
    for line in human.lines() {
        let mut rest = line;
        while let Some(at) = rest.find("\\u{") {
            let escape = &rest[at..];
            let close = escape
                .find('}')
                .unwrap_or_else(|| panic!("an escape is cut at the end of {line:?}"));
            assert!(
                escape[3..close].chars().all(|c| c.is_ascii_hexdigit()),
                "{line:?}"
            );
            rest = &escape[close..];
        }
    }
}
