//! The man pages: `provision-journal(8)` and one page per subcommand
//! (`provision-journal-check(8)` …), from the clap definitions, with the
//! exit statuses from the same list as `--help` and the hand-written
//! sections of [`crate::manual`].

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use clap::{Arg, Command};
use clap_mangen::Man;
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};

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
    let mut roff = Roff::new();
    synopsis(&mut roff, command);
    roff.to_writer(&mut out)?;
    // What clap_mangen renders from the clap definitions carries --help's
    // code spans; the page shows them in bold.
    let mut from_clap = Vec::new();
    if kind == Kind::Top {
        let mut roff = Roff::new();
        manual::description(&mut roff);
        roff.to_writer(&mut out)?;
    } else {
        man.render_description_section(&mut from_clap)?;
    }
    if command
        .get_arguments()
        .any(|argument| !argument.is_hide_set())
    {
        man.render_options_section(&mut from_clap)?;
    }
    if command.has_subcommands() {
        man.render_subcommands_section(&mut from_clap)?;
    }
    std::io::Write::write_all(
        &mut out,
        code_spans_in_bold(&String::from_utf8_lossy(&from_clap)).as_bytes(),
    )?;
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

/// SYNOPSIS: the command, its own options, then the global ones and the
/// help, each option with the value it takes (clap_mangen's synopsis names
/// the option alone, as if `--journal` took no `PATH`), then the operands
/// or the subcommand. Optional parts are in brackets, a required choice in
/// braces, and `...` follows an operand that may repeat.
fn synopsis(roff: &mut Roff, command: &Command) {
    roff.control("SH", ["SYNOPSIS"]);
    let name = command.get_bin_name().unwrap_or_else(|| command.get_name());
    let mut line = vec![bold(name)];
    let required_groups: Vec<Vec<&Arg>> = command
        .get_groups()
        .filter(|group| group.is_required_set())
        .map(|group| {
            group
                .get_args()
                .filter_map(|id| command.get_arguments().find(|arg| arg.get_id() == id))
                .filter(|arg| !arg.is_hide_set())
                .collect()
        })
        .collect();
    let in_group = |arg: &Arg| {
        required_groups
            .iter()
            .flatten()
            .any(|member| member.get_id() == arg.get_id())
    };
    let mut options: Vec<&Arg> = command
        .get_arguments()
        .filter(|arg| !arg.is_positional() && !arg.is_hide_set() && !in_group(arg))
        .collect();
    // Stable: the command's own options, the global ones, then --help and
    // --version, each in the order --help lists them.
    options.sort_by_key(|arg| {
        let builtin = matches!(arg.get_id().as_str(), "help" | "version");
        (builtin, arg.is_global_set(), arg.get_display_order())
    });
    for option in &options {
        line.push(roman(" "));
        if option.is_required_set() {
            line.extend(option_with_value(option));
        } else {
            line.push(roman("["));
            line.extend(option_with_value(option));
            line.push(roman("]"));
        }
    }
    for group in &required_groups {
        line.push(roman(" {"));
        for (index, member) in group.iter().enumerate() {
            if index > 0 {
                line.push(roman(" | "));
            }
            line.extend(option_with_value(member));
        }
        line.push(roman("}"));
    }
    for operand in command.get_positionals().filter(|arg| !arg.is_hide_set()) {
        let value = operand
            .get_value_names()
            .map_or_else(|| operand.get_id().to_string(), |names| names.join(" "));
        let repeats = operand
            .get_num_args()
            .is_some_and(|range| range.max_values() > 1);
        line.push(roman(" "));
        if operand.is_required_set() {
            line.push(italic(value));
        } else {
            line.extend([roman("["), italic(value), roman("]")]);
        }
        if repeats {
            line.push(roman("..."));
        }
    }
    if command.has_subcommands() {
        line.extend([roman(" "), italic("COMMAND")]);
    }
    roff.text(line);
}

/// `--journal` *PATH*, `-h`|`--help`: an option as typed, with its value.
fn option_with_value(option: &Arg) -> Vec<Inline> {
    let mut parts = Vec::new();
    match (option.get_short(), option.get_long()) {
        (Some(short), Some(long)) => {
            parts.extend([
                bold(format!("-{short}")),
                roman("|"),
                bold(format!("--{long}")),
            ]);
        }
        (Some(short), None) => parts.push(bold(format!("-{short}"))),
        (None, Some(long)) => parts.push(bold(format!("--{long}"))),
        (None, None) => {}
    }
    if option.get_action().takes_values() {
        let value = option.get_value_names().map_or_else(
            || option.get_id().as_str().to_uppercase(),
            |names| names.join(" "),
        );
        parts.extend([roman(" "), italic(value)]);
    }
    parts
}

/// `text` with its code spans (`` `check` ``, as `--help` and `spec/`
/// write them) in bold and the backticks gone.
fn code_spans(text: &str) -> Vec<Inline> {
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(index, part)| {
            if index % 2 == 1 {
                bold(part)
            } else {
                roman(part)
            }
        })
        .collect()
}

/// Roff text as clap_mangen renders it, with the code spans of each text
/// line in bold: the backticks of `--help` would otherwise be printed as
/// they are. A line with an unpaired backtick is left alone (the page
/// test finds it). Control lines (`.TP`, `.SH`) have none.
fn code_spans_in_bold(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len());
    for line in roff.split_inclusive('\n') {
        let control = line.starts_with('.') || line.starts_with('\'');
        if control || line.matches('`').count() % 2 == 1 {
            out.push_str(line);
            continue;
        }
        for (index, part) in line.split('`').enumerate() {
            if index > 0 {
                out.push_str(if index % 2 == 1 { "\\fB" } else { "\\fR" });
            }
            out.push_str(part);
        }
    }
    out
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
        roff.text(code_spans(&words.join(" ")));
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
        // Every file the binary writes, the stamp it reads, the
        // configuration, and where the lock is.
        for file in [
            "/boot/provision-journal\n",
            "/boot/provision-journal.config\n",
            "/boot/provision-journal.failure-log\n",
            "/boot/.provision-journal.new, /boot/.NAME.carried\n",
            "/boot/ignition.firstboot\n",
            "/usr/lib/ignition/user.ign\n",
            "/usr/lib/ignition/.user.ign.provision-journal.new\n",
            "/run/provision-journal/checked\n",
            "/run/provision-journal.PID\n",
            "/usr/lib/provision-journal/provision-journal.conf\n",
        ] {
            assert!(section("FILES").contains(file), "FILES misses {file}");
        }
        for words in [
            "The failure log, mode 0600",
            "Ignition's own messages",
            "There is no lock file: a writer locks the journal itself with flock(2)",
        ] {
            assert!(
                section("FILES").contains(words),
                "FILES does not say {words:?}"
            );
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

    #[test]
    fn the_synopsis_shows_the_value_each_option_takes() {
        let pages = generated("man-synopsis");
        let synopsis = |name: &str| -> String {
            let (_, page) = pages
                .iter()
                .find(|(page, _)| page == name)
                .unwrap_or_else(|| panic!("no {name}"));
            let page = plain(page);
            let start = page.find(".SH SYNOPSIS\n").unwrap() + ".SH SYNOPSIS\n".len();
            page[start..].lines().next().unwrap().to_owned()
        };
        let top = synopsis("provision-journal.8");
        for option in [
            "[--journal PATH]",
            "[--boot-device DEV]",
            "[--boot-device-timeout SECONDS]",
            "[--lock-timeout SECONDS]",
            "[--max-retries N]",
            "[--max-planned-reboots N]",
            "[-h|--help]",
            "[-V|--version] COMMAND",
        ] {
            assert!(top.contains(option), "{top:?} misses {option}");
        }
        for (page, shows) in [
            (
                "provision-journal-fetched.8",
                "{--config FILE | --sha256 HEX}",
            ),
            (
                "provision-journal-reset.8",
                "provision-journal reset --reason TEXT [",
            ),
            ("provision-journal-begin.8", "[-h|--help] STAGE"),
            (
                "provision-journal-status.8",
                "provision-journal status [--json] [--oneline] [--prometheus FILE] [--journal PATH]",
            ),
            ("provision-journal-status.8", "[PATH]..."),
            ("provision-journal-dump.8", "[PATH]..."),
            ("provision-journal-simulate.8", "[--cut-at POINT]"),
        ] {
            let synopsis = synopsis(page);
            assert!(
                synopsis.contains(shows),
                "{page}: {synopsis:?} misses {shows}"
            );
        }
        // Every option of every page, with its value.
        let mut top = args::documented_command().disable_help_subcommand(true);
        top.build();
        let visible = top
            .get_subcommands()
            .filter(|command| !command.is_hide_set());
        for command in std::iter::once(&top).chain(visible) {
            let page = match command.get_name() {
                name if command.has_subcommands() => format!("{name}.8"),
                name => format!("provision-journal-{name}.8"),
            };
            let synopsis = synopsis(&page);
            for option in command
                .get_arguments()
                .filter(|arg| !arg.is_positional() && !arg.is_hide_set())
                .filter(|arg| arg.get_action().takes_values())
            {
                let typed = format!(
                    "--{} {}",
                    option.get_long().unwrap(),
                    option.get_value_names().unwrap().join(" ")
                );
                assert!(
                    synopsis.contains(&typed),
                    "{page}: {synopsis:?} misses {typed}"
                );
            }
        }
    }

    #[test]
    fn no_page_shows_a_backtick_and_code_is_in_bold() {
        for (name, page) in generated("man-backticks") {
            let page = String::from_utf8(page).unwrap();
            if let Some(line) = page.lines().find(|line| line.contains('`')) {
                panic!("{name} prints a backtick: {line}");
            }
        }
        let pages = generated("man-exit-bold");
        let (_, top) = pages
            .iter()
            .find(|(name, _)| name == "provision-journal.8")
            .unwrap();
        let top = String::from_utf8(top.clone()).unwrap();
        let exit_status = &top[top.find(".SH \"EXIT STATUS\"").unwrap()..];
        assert!(
            exit_status
                .contains("\n.TP\n\\fB0\\fR\nSuccess; for \\fBcheck\\fR, provisioning may go on."),
            "{exit_status}"
        );
        assert!(
            exit_status.contains("\\fBfetched\\fR with a different config"),
            "{exit_status}"
        );
        let (_, status) = pages
            .iter()
            .find(|(name, _)| name == "provision-journal-status.8")
            .unwrap();
        assert!(
            String::from_utf8_lossy(status).contains("the state \\fBabsent\\fR"),
            "the options' code spans are not in bold"
        );
    }

    #[test]
    fn code_spans_become_bold_and_unpaired_backticks_stay() {
        assert_eq!(
            code_spans_in_bold(".TP\nfor `check`, `\\-` here\nodd ` one\n"),
            ".TP\nfor \\fBcheck\\fR, \\fB\\-\\fR here\nodd ` one\n"
        );
        for (exit, meaning) in Exit::ALL {
            assert!(
                meaning.matches('`').count() % 2 == 0,
                "exit {}: an unpaired backtick in {meaning:?}",
                exit.status()
            );
        }
    }
}
