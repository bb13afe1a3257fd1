//! The exit statuses the binary defines, read from the one list in its
//! source (`src/bin/provision-journal/exit.rs`, `exit_statuses!`), so a
//! test holds the help, the spec and the man page to that list.

/// The source of the list.
const SOURCE: &str = include_str!("../../src/bin/provision-journal/exit.rs");

/// Every `Name = status,` line of the list, in its order.
pub fn defined() -> Vec<(String, u8)> {
    SOURCE
        .lines()
        .filter_map(|line| line.trim().strip_suffix(',')?.split_once(" = "))
        .filter_map(|(name, status)| Some((name.to_owned(), status.parse().ok()?)))
        .collect()
}
