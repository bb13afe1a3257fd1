//! Every exit status the binary defines is distinct, below 200 (systemd's
//! range), 2 only for usage errors (clap's, and a wrong configuration
//! file), and documented in `spec/CLI.md`.

use std::collections::BTreeSet;

#[test]
fn exit_statuses_are_distinct_and_documented() {
    let source = include_str!("../src/bin/provision-journal/exit.rs");
    let spec = include_str!("../spec/CLI.md");
    let mut seen = BTreeSet::new();
    for line in source.lines().map(str::trim) {
        let Some((name, value)) = line
            .strip_suffix(',')
            .and_then(|line| line.split_once(" = "))
        else {
            continue;
        };
        let Ok(status) = value.parse::<u8>() else {
            continue;
        };
        assert!(seen.insert(status), "{name} reuses status {status}");
        assert!(status < 200, "{name} = {status} is in systemd's range");
        assert!(
            status != 2 || name == "Usage",
            "{name} takes the usage status 2"
        );
        assert!(
            spec.contains(&format!("\n| {status} | ")),
            "{name} = {status} is not in spec/CLI.md's table"
        );
    }
    assert!(
        seen.len() >= 20,
        "only {} statuses found: {seen:?}",
        seen.len()
    );
    assert!(spec.contains("\n| 2 | Usage error"));
}
