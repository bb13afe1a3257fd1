//! The man pages: `provision-journal(8)` and one page per subcommand
//! (`provision-journal-check(8)` …), from the clap definitions, with the
//! exit statuses from the same list as `--help` and the hand-written
//! sections of [`crate::manual`].

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use clap::Command;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use crate::args;
use crate::exit::{Exit, PANIC};
use crate::manual;

/// The manual section: commands for the system administrator.
const SECTION: &str = "8";

/// Writes every page into `dir` and returns their paths.
pub fn write_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut top = args::documented_command().disable_help_subcommand(true);
    top.build();
    let mut subcommands: Vec<Command> = top
        .get_subcommands()
        .filter(|subcommand| !subcommand.is_hide_set())
        .cloned()
        .collect();
    subcommands.sort_by_key(Command::get_display_order);
    let see_also: Vec<String> = subcommands.iter().map(page_name).collect();
    let mut written = vec![write_page(dir, &top, &see_also)?];
    for subcommand in &subcommands {
        written.push(write_page(dir, subcommand, &[page_name(&top)])?);
    }
    Ok(written)
}

/// `provision-journal` or `provision-journal-check`.
fn page_name(command: &Command) -> String {
    command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_owned()
}

/// Which of the hand-written sections a page has.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `provision-journal(8)`: all of them.
    Top,
    /// `provision-journal-check(8)`: the environment, the kernel command
    /// line and every exit status, which the units that run it act on.
    Check,
    /// Any other subcommand.
    Other,
}

fn write_page(dir: &Path, command: &Command, see_also: &[String]) -> std::io::Result<PathBuf> {
    let kind = match command.get_name() {
        _ if command.has_subcommands() => Kind::Top,
        "check" => Kind::Check,
        _ => Kind::Other,
    };
    let man = Man::new(command.clone())
        .section(SECTION)
        .manual("System Administration")
        .source(format!("provision-journal {}", env!("CARGO_PKG_VERSION")));
    let path = dir.join(man.get_filename());
    let mut out = BufWriter::new(File::create(&path)?);
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    if kind == Kind::Top {
        let mut roff = Roff::new();
        manual::description(&mut roff);
        roff.to_writer(&mut out)?;
    } else {
        man.render_description_section(&mut out)?;
    }
    if command
        .get_arguments()
        .any(|argument| !argument.is_hide_set())
    {
        man.render_options_section(&mut out)?;
    }
    if command.has_subcommands() {
        man.render_subcommands_section(&mut out)?;
    }
    let mut roff = Roff::new();
    if kind == Kind::Top {
        manual::configuration(&mut roff);
        manual::files(&mut roff);
    }
    if kind != Kind::Other {
        manual::environment(&mut roff);
        exit_statuses(&mut roff);
    } else {
        roff.control("SH", ["EXIT STATUS"]);
        roff.text([
            roman("Every exit status and its meaning is listed in "),
            bold("provision-journal"),
            roman("(8)."),
        ]);
    }
    if kind == Kind::Top {
        manual::examples(&mut roff);
    }
    if let Some(version) = command.get_version() {
        // The release, then the journal format versions, a line each.
        roff.control("SH", ["VERSION"]);
        for (index, line) in version.lines().enumerate() {
            if index > 0 {
                roff.control("br", []);
            }
            roff.text([roman(line)]);
        }
    }
    roff.control("SH", ["SEE ALSO"]);
    let mut references = Vec::new();
    let others = if kind == Kind::Top {
        &manual::OTHER_PAGES[..]
    } else {
        &[]
    };
    let pages = see_also
        .iter()
        .map(|page| (page.as_str(), SECTION))
        .chain(others.iter().copied());
    for (index, (page, section)) in pages.enumerate() {
        if index > 0 {
            references.push(roman(", "));
        }
        references.push(bold(page));
        references.push(roman(format!("({section})")));
    }
    roff.text(references);
    roff.to_writer(&mut out)?;
    out.into_inner()
        .map_err(|error| error.into_error())?
        .sync_all()?;
    Ok(path)
}

/// Every exit status and its meaning, from [`Exit::ALL`], then the status
/// of a panic.
fn exit_statuses(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    let rows = Exit::ALL
        .iter()
        .map(|(exit, meaning)| (exit.status(), *meaning))
        .chain([PANIC]);
    for (status, meaning) in rows {
        roff.control("TP", []);
        roff.text([bold(status.to_string())]);
        let words: Vec<&str> = meaning.split_whitespace().collect();
        roff.text([roman(words.join(" "))]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pages written into a fresh temporary directory, by file name.
    fn generated(label: &str) -> Vec<(String, Vec<u8>)> {
        let dir =
            std::env::temp_dir().join(format!("provision-journal-{label}.{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut pages: Vec<(String, Vec<u8>)> = write_pages(&dir)
            .unwrap()
            .into_iter()
            .map(|path| {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&path).unwrap())
            })
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        pages.sort();
        pages
    }

    /// A page's text as a reader sees it, without roff's font changes and
    /// escapes.
    fn plain(page: &[u8]) -> String {
        String::from_utf8(page.to_vec())
            .unwrap()
            .replace("\\fB", "")
            .replace("\\fI", "")
            .replace("\\fR", "")
            .replace("\\-", "-")
            .replace("\\*(Aq", "'")
    }

    #[test]
    fn the_committed_pages_are_the_generated_ones() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
        let mut committed: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|error| panic!("man/: {error}"))
            .map(|entry| {
                let entry = entry.unwrap();
                let name = entry.file_name().into_string().unwrap();
                (name, std::fs::read(entry.path()).unwrap())
            })
            .collect();
        committed.sort();
        let generated = generated("man-drift");
        let names = |pages: &[(String, Vec<u8>)]| -> Vec<String> {
            pages.iter().map(|(name, _)| name.clone()).collect()
        };
        assert_eq!(
            names(&committed),
            names(&generated),
            "man/ does not hold the pages the command line generates: run `make man` and commit the result"
        );
        for ((name, committed), (_, generated)) in committed.iter().zip(&generated) {
            assert!(
                committed == generated,
                "man/{name} is not what the command line generates: run `make man` and commit the result"
            );
        }
    }

    #[test]
    fn the_top_page_has_what_a_man_page_of_its_kind_has() {
        let pages = generated("man-top");
        let (_, top) = pages
            .iter()
            .find(|(name, _)| name == "provision-journal.8")
            .unwrap();
        let top = plain(top);
        let sections: Vec<&str> = top
            .lines()
            .filter_map(|line| line.strip_prefix(".SH "))
            .map(|name| name.trim_matches('"'))
            .collect();
        assert_eq!(
            sections,
            [
                "NAME",
                "SYNOPSIS",
                "DESCRIPTION",
                "OPTIONS",
                "GLOBAL OPTIONS",
                "SUBCOMMANDS",
                "CONFIGURATION",
                "FILES",
                "ENVIRONMENT",
                "KERNEL COMMAND LINE",
                "EXIT STATUS",
                "EXAMPLES",
                "VERSION",
                "SEE ALSO",
            ]
        );
        let section = |name: &str| -> &str {
            let start = top.find(&format!(".SH {name}")).unwrap();
            let end = top[start + 4..]
                .find("\n.SH ")
                .map_or(top.len(), |end| start + 4 + end);
            &top[start..end]
        };
        assert!(
            section("DESCRIPTION").contains(
                "red line is the start of the disks stage, the first step that changes the machine's disks. A boot interrupted before it is retried safely"
            ),
            "{}",
            section("DESCRIPTION")
        );
        for key in provision_journal::config::KEYS {
            let entry = format!("[{}] {}=", key.section(), key.key());
            assert!(
                section("CONFIGURATION").contains(&entry),
                "CONFIGURATION misses {entry}"
            );
        }
        for file in [
            "/boot/provision-journal\n",
            "/boot/provision-journal.config\n",
            "/boot/ignition.firstboot\n",
            "/usr/lib/provision-journal/provision-journal.conf\n",
        ] {
            assert!(section("FILES").contains(file), "FILES misses {file}");
        }
        for example in [
            "provision-journal status\n",
            "provision-journal dump /mnt/provision-journal\n",
            "provision-journal reset --reason",
            "journalctl -b",
        ] {
            assert!(
                section("EXAMPLES").contains(example),
                "EXAMPLES misses {example}"
            );
        }
        // Everything --help names in its epilogue is on the page too.
        let mentioned = |text: &str| -> Vec<String> {
            text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .filter(|word| {
                    word.starts_with("PROVISION_JOURNAL_") || word.starts_with("provision_journal.")
                })
                .map(str::to_owned)
                .collect()
        };
        for word in mentioned(args::ENVIRONMENT) {
            assert!(top.contains(&word), "the page does not name {word}");
        }
        for page in ["provision-journal-check(8)", "dracut(8)"] {
            assert!(
                section("\"SEE ALSO\"").contains(page),
                "SEE ALSO misses {page}"
            );
        }
    }
}
