//! CHANGELOG.md keeps the form of Keep a Changelog 1.1.0, so that a packager
//! or a library user finds each release where they expect it: `[Unreleased]`
//! first, then one `## [X.Y.Z] - YYYY-MM-DD` heading per release, newest
//! first, entries only under the six section names, a link reference at the
//! bottom for every version heading, and a release heading for the version
//! `Cargo.toml` declares.

use std::collections::BTreeMap;

/// The section names Keep a Changelog 1.1.0 defines.
const SECTIONS: [&str; 6] = [
    "Added",
    "Changed",
    "Deprecated",
    "Removed",
    "Fixed",
    "Security",
];

const FORMAT_LINK: &str = "https://keepachangelog.com/en/1.1.0/";
const SEMVER_LINK: &str = "https://semver.org/spec/v2.0.0.html";

type Version = (u64, u64, u64);

/// A `## ` heading: `[Unreleased]`, or a release with its date.
#[derive(Debug)]
enum Heading {
    Unreleased,
    Release {
        version: Version,
        date: (u32, u32, u32),
    },
}

impl Heading {
    fn label(&self) -> String {
        match self {
            Heading::Unreleased => "Unreleased".to_owned(),
            Heading::Release {
                version: (x, y, z), ..
            } => format!("{x}.{y}.{z}"),
        }
    }
}

/// `X.Y.Z` with no leading zeros (SemVer 2.0.0, no pre-release or build).
fn parse_version(text: &str) -> Option<Version> {
    let mut parts = text.split('.').map(|part| {
        let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        let canonical = part == "0" || !part.starts_with('0');
        (digits && canonical)
            .then(|| part.parse::<u64>().ok())
            .flatten()
    });
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

/// `YYYY-MM-DD`, a real calendar date.
fn parse_date(text: &str) -> Option<(u32, u32, u32)> {
    let bytes = text.as_bytes();
    let shape = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape {
        return None;
    }
    let year: u32 = text[0..4].parse().ok()?;
    let month: u32 = text[5..7].parse().ok()?;
    let day: u32 = text[8..10].parse().ok()?;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&day).then_some((year, month, day))
}

/// `## [Unreleased]` or `## [X.Y.Z] - YYYY-MM-DD`, exactly.
fn parse_heading(rest: &str) -> Option<Heading> {
    if rest == "[Unreleased]" {
        return Some(Heading::Unreleased);
    }
    let (label, date) = rest.strip_prefix('[')?.split_once("] - ")?;
    Some(Heading::Release {
        version: parse_version(label)?,
        date: parse_date(date)?,
    })
}

/// `[label]: https://…`, optionally with a `"title"`.
fn parse_link_reference(line: &str) -> Option<(&str, &str)> {
    let (label, rest) = line.strip_prefix('[')?.split_once("]: ")?;
    let (url, title) = match rest.split_once(' ') {
        Some((url, title)) => (url, Some(title)),
        None => (rest, None),
    };
    let title_ok = title.is_none_or(|t| t.len() >= 2 && t.starts_with('"') && t.ends_with('"'));
    let url_ok = url.starts_with("https://") && url.len() > "https://".len();
    (!label.is_empty() && title_ok && url_ok).then_some((label, url))
}

/// The `version` of `[package]` in a Cargo.toml.
fn package_version(manifest: &str) -> Option<&str> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(value) = line
                .strip_prefix("version")
                .map(str::trim_start)
                .and_then(|rest| rest.strip_prefix('='))
            {
                return Some(value.trim().trim_matches('"'));
            }
        }
    }
    None
}

/// Every way `changelog` departs from the form, one sentence each, with its
/// line number; empty when it keeps it.
fn problems(changelog: &str, cargo_version: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let lines: Vec<&str> = changelog.lines().collect();

    // The link references at the bottom: the trailing block of definitions
    // and blank lines, after every heading and entry.
    let mut bottom = lines.len();
    while bottom > 0 {
        let line = lines[bottom - 1].trim_end();
        if line.is_empty() || parse_link_reference(line).is_some() {
            bottom -= 1;
        } else {
            break;
        }
    }
    let mut links: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate().skip(bottom) {
        if let Some((label, _)) = parse_link_reference(line.trim_end()) {
            if links.insert(label, i + 1).is_some() {
                problems.push(format!(
                    "line {}: a second link reference for [{label}]",
                    i + 1
                ));
            }
        }
    }

    let mut headings: Vec<(usize, Heading)> = Vec::new();
    let mut title_seen = false;
    let mut intro = String::new();
    // The current version heading's sections, and how many entries the
    // current section has.
    let mut sections: Vec<&str> = Vec::new();
    let mut entries_in_section: Option<(usize, usize)> = None;
    let mut in_fence = false;
    let close_section = |entries: Option<(usize, usize)>, problems: &mut Vec<String>| {
        if let Some((line, 0)) = entries {
            problems.push(format!("line {line}: a section with no entries"));
        }
    };

    for (i, line) in lines.iter().enumerate().take(bottom) {
        let n = i + 1;
        let line = line.trim_end();
        if line.starts_with("```") {
            in_fence = !in_fence;
        }
        if let Some(rest) = line.strip_prefix("# ").filter(|_| !in_fence) {
            if n != 1 || rest != "Changelog" {
                problems.push(format!(
                    "line {n}: `{line}`: the one level-1 heading is `# Changelog`, on the first line"
                ));
            }
            title_seen = true;
        } else if let Some(rest) = line.strip_prefix("## ").filter(|_| !in_fence) {
            close_section(entries_in_section.take(), &mut problems);
            sections.clear();
            match parse_heading(rest) {
                Some(heading) => headings.push((n, heading)),
                None => problems.push(format!(
                    "line {n}: `{line}` is neither `## [Unreleased]` nor `## [X.Y.Z] - YYYY-MM-DD`"
                )),
            }
        } else if let Some(rest) = line.strip_prefix("### ").filter(|_| !in_fence) {
            close_section(entries_in_section.take(), &mut problems);
            if headings.is_empty() {
                problems.push(format!("line {n}: `{line}` is not under a version heading"));
            } else if !SECTIONS.contains(&rest) {
                problems.push(format!(
                    "line {n}: `{line}`: a section is one of {}",
                    SECTIONS.join(", ")
                ));
            } else if sections.contains(&rest) {
                problems.push(format!("line {n}: a second `### {rest}` under one version"));
            } else {
                sections.push(rest);
            }
            entries_in_section = Some((n, 0));
        } else if line.starts_with('#')
            && !in_fence
            && line.trim_start_matches('#').starts_with(' ')
        {
            problems.push(format!(
                "line {n}: `{line}`: only `#`, `##` and `###` headings belong in a changelog"
            ));
        } else if headings.is_empty() {
            intro.push_str(line);
            intro.push('\n');
        } else if !line.is_empty() {
            match entries_in_section.as_mut() {
                Some((_, entries)) => {
                    if line.starts_with("- ") {
                        *entries += 1;
                    }
                }
                None => problems.push(format!(
                    "line {n}: an entry outside any `###` section of its version"
                )),
            }
        }
    }
    close_section(entries_in_section.take(), &mut problems);
    if !title_seen {
        problems.push("the file does not open with `# Changelog`".to_owned());
    }
    for link in [FORMAT_LINK, SEMVER_LINK] {
        if !intro.contains(link) {
            problems.push(format!("the introduction does not link {link}"));
        }
    }

    match headings.first() {
        Some((_, Heading::Unreleased)) => {}
        Some((n, heading)) => problems.push(format!(
            "line {n}: the first version heading is [{}], not [Unreleased]",
            heading.label()
        )),
        None => problems.push("no `## [Unreleased]` heading".to_owned()),
    }
    for (n, heading) in headings.iter().skip(1) {
        if let Heading::Unreleased = heading {
            problems.push(format!("line {n}: a second [Unreleased], below a release"));
        }
    }
    let releases: Vec<(usize, Version, (u32, u32, u32))> = headings
        .iter()
        .filter_map(|(n, heading)| match heading {
            Heading::Release { version, date } => Some((*n, *version, *date)),
            Heading::Unreleased => None,
        })
        .collect();
    for pair in releases.windows(2) {
        let ((_, newer, newer_date), (n, older, older_date)) = (pair[0], pair[1]);
        if older >= newer {
            problems.push(format!(
                "line {n}: {older:?} comes after {newer:?}: releases go newest first"
            ));
        }
        if older_date > newer_date {
            problems.push(format!(
                "line {n}: {older:?} is dated after {newer:?}, which is listed above it"
            ));
        }
    }

    for (n, heading) in &headings {
        let label = heading.label();
        if !links.contains_key(label.as_str()) {
            problems.push(format!(
                "line {n}: [{label}] has no link reference at the bottom of the file"
            ));
        }
    }
    for (label, n) in &links {
        let is_heading = headings.iter().any(|(_, h)| h.label() == *label);
        let is_version = *label == "Unreleased" || parse_version(label).is_some();
        if is_version && !is_heading {
            problems.push(format!(
                "line {n}: a link reference for [{label}], which has no heading"
            ));
        }
    }

    match parse_version(cargo_version) {
        None => problems.push(format!(
            "Cargo.toml's version `{cargo_version}` is not X.Y.Z"
        )),
        Some(version) => {
            if !releases.iter().any(|(_, v, _)| *v == version) {
                problems.push(format!(
                    "Cargo.toml's version {cargo_version} has no `## [{cargo_version}] - YYYY-MM-DD` heading"
                ));
            }
        }
    }
    problems
}

#[test]
fn the_changelog_keeps_the_form_and_has_the_crate_version() {
    let root = env!("CARGO_MANIFEST_DIR");
    let changelog = std::fs::read_to_string(format!("{root}/CHANGELOG.md")).unwrap();
    let manifest = std::fs::read_to_string(format!("{root}/Cargo.toml")).unwrap();
    let version = package_version(&manifest).expect("Cargo.toml has a [package] version");
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    let problems = problems(&changelog, version);
    assert!(
        problems.is_empty(),
        "CHANGELOG.md departs from Keep a Changelog 1.1.0:\n{}",
        problems.join("\n")
    );
}

const INTRO: &str = "# Changelog\n\nThe format is based on \
[Keep a Changelog](https://keepachangelog.com/en/1.1.0/), and this project \
adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).\n\n";

fn with_intro(body: &str) -> String {
    format!("{INTRO}{body}")
}

const GOOD: &str = "## [Unreleased]

### Fixed

- A fix.

## [0.2.0] - 2027-01-02

### Added

- A thing.

### Security

- A note.

## [0.1.0] - 2026-12-06

### Added

- The first thing.

[Unreleased]: https://crates.io/crates/x/versions \"Published versions\"
[0.2.0]: https://crates.io/crates/x/0.2.0
[0.1.0]: https://crates.io/crates/x/0.1.0
";

#[test]
fn a_well_formed_changelog_passes() {
    assert_eq!(problems(&with_intro(GOOD), "0.2.0"), Vec::<String>::new());
    assert_eq!(problems(&with_intro(GOOD), "0.1.0"), Vec::<String>::new());
}

/// Each mistake is caught, and says so in words a reader can act on.
#[test]
fn each_departure_is_reported() {
    let cases: [(&str, String, &str); 12] = [
        (
            "a development log: no release, no links",
            "## [Unreleased]\n\n### Added\n\n- Everything.\n".to_owned(),
            "has no `## [0.1.0]",
        ),
        (
            "an unknown section name",
            GOOD.replace("### Security", "### Notes"),
            "a section is one of",
        ),
        (
            "a section twice under one version",
            GOOD.replace("### Security", "### Added"),
            "a second `### Added`",
        ),
        (
            "releases out of order",
            GOOD.replace("[0.2.0] - 2027-01-02", "[0.0.9] - 2027-01-02"),
            "newest first",
        ),
        (
            "a release dated after the one above it",
            GOOD.replace("2026-12-06", "2027-02-01"),
            "is dated after",
        ),
        (
            "a heading without its link reference",
            GOOD.replace("[0.2.0]: https://crates.io/crates/x/0.2.0\n", ""),
            "[0.2.0] has no link reference",
        ),
        (
            "a link reference without its heading",
            format!("{GOOD}[0.0.1]: https://crates.io/crates/x/0.0.1\n"),
            "[0.0.1], which has no heading",
        ),
        (
            "a link reference above the bottom",
            GOOD.replace("[0.1.0]: https://crates.io/crates/x/0.1.0\n", "")
                .replace(
                    "## [0.1.0]",
                    "[0.1.0]: https://crates.io/crates/x/0.1.0\n\n## [0.1.0]",
                ),
            "[0.1.0] has no link reference",
        ),
        (
            "a heading that is not a version",
            GOOD.replace("## [0.2.0] - 2027-01-02", "## 0.2.0 (2 January 2027)"),
            "is neither `## [Unreleased]`",
        ),
        (
            "an impossible date",
            GOOD.replace("2027-01-02", "2027-02-30"),
            "is neither `## [Unreleased]`",
        ),
        (
            "Unreleased below a release",
            GOOD.replacen("## [Unreleased]\n\n### Fixed\n\n- A fix.\n\n", "", 1)
                .replace(
                    "## [0.1.0]",
                    "## [Unreleased]\n\n### Fixed\n\n- A fix.\n\n## [0.1.0]",
                ),
            "the first version heading is [0.2.0]",
        ),
        (
            "an entry outside a section",
            GOOD.replace(
                "## [0.1.0] - 2026-12-06\n",
                "## [0.1.0] - 2026-12-06\n\n- Loose.\n",
            ),
            "outside any `###` section",
        ),
    ];
    for (what, changelog, says) in cases {
        let found = problems(&with_intro(&changelog), "0.1.0");
        assert!(
            found.iter().any(|p| p.contains(says)),
            "{what}: expected a problem saying {says:?}, found {found:#?}\nin:\n{changelog}"
        );
    }
}

#[test]
fn the_introduction_and_empty_sections_are_checked() {
    let no_intro = problems(GOOD, "0.1.0");
    assert!(
        no_intro.iter().any(|p| p.contains("does not open with")),
        "{no_intro:#?}"
    );
    assert!(
        no_intro.iter().any(|p| p.contains(FORMAT_LINK)),
        "{no_intro:#?}"
    );
    let empty = problems(&with_intro(&GOOD.replace("- A note.\n", "")), "0.1.0");
    assert!(
        empty
            .iter()
            .any(|p| p.contains("a section with no entries")),
        "{empty:#?}"
    );
}

#[test]
fn versions_dates_and_the_manifest_parse() {
    assert_eq!(parse_version("0.1.0"), Some((0, 1, 0)));
    assert_eq!(parse_version("10.20.30"), Some((10, 20, 30)));
    for bad in ["0.1", "0.1.0.0", "01.1.0", "0.1.0-rc.1", "v0.1.0", "0..1"] {
        assert_eq!(parse_version(bad), None, "{bad}");
    }
    assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
    for bad in [
        "2026-2-06",
        "2026-13-01",
        "2026-00-10",
        "2025-02-29",
        "2026-12-6x",
    ] {
        assert_eq!(parse_date(bad), None, "{bad}");
    }
    let manifest =
        "[package]\nname = \"x\"\nversion = \"1.2.3\"\n\n[dependencies]\nversion = \"9\"\n";
    assert_eq!(package_version(manifest), Some("1.2.3"));
    assert_eq!(package_version("[dependencies]\nversion = \"9\"\n"), None);
}
