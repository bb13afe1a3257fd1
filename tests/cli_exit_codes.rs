//! Every exit status the binary defines is distinct, below 200 (systemd's
//! range), 2 only for usage errors (clap's, and a wrong configuration
//! file), and documented in `spec/CLI.md`.

mod support;

use std::collections::BTreeSet;

#[test]
fn exit_statuses_are_distinct_and_documented() {
    let spec = include_str!("../spec/CLI.md");
    let mut seen = BTreeSet::new();
    for (name, status) in support::exit_statuses::defined() {
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
