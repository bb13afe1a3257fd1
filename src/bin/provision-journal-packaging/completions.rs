//! The bash, zsh and fish completions, from the clap definitions, with two
//! corrections to what clap_complete 4.6 writes:
//!
//! - Its generators offer hidden arguments too. A subcommand declares the
//!   global options it does not take again, hidden, so that they leave its
//!   help and are refused (`simulate` takes no `--journal`, `status` no
//!   `--lock-timeout`); the completions are generated from a copy of the
//!   command line without them ([`without_hidden`]).
//! - Its bash script spells the state of a subcommand one way where it sets
//!   it and another where it matches it when the program's name has a
//!   hyphen (`provision__journal__subcmd__begin` against
//!   `provision__subcmd__journal__subcmd__begin)`), so nothing after a
//!   subcommand's name completed. [`fix_bash_case_labels`] makes the labels
//!   match; it changes nothing once clap_complete writes them right.
//! - Its fish script completes options only, never a positional argument's
//!   values (the stage of `begin`, `end` and `fail`);
//!   [`fish_positional_values`] adds them.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::Command;
use clap_complete::Shell;

use crate::NAME;

/// clap_complete's separator between the names of nested subcommands in
/// the bash script's states.
const BASH_SEPARATOR: &str = "__subcmd__";

/// The files written, under the names the Makefile installs them as (bash's
/// without its suffix).
pub const FILES: [(Shell, &str); 3] = [
    (Shell::Bash, "provision-journal.bash"),
    (Shell::Zsh, "_provision-journal"),
    (Shell::Fish, "provision-journal.fish"),
];

/// Writes the bash, zsh and fish completions into `dir`.
pub fn write_all(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (shell, file_name) in FILES {
        let path = dir.join(file_name);
        let mut out = BufWriter::new(File::create(&path)?);
        out.write_all(&generate(shell))?;
        out.into_inner()
            .map_err(|error| error.into_error())?
            .sync_all()?;
        written.push(path);
    }
    Ok(written)
}

/// The completion script for `shell`.
pub fn generate(shell: Shell) -> Vec<u8> {
    let mut command = crate::args::documented_command();
    command.build();
    let mut command = without_hidden(&command);
    command.build();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, NAME, &mut script);
    match shell {
        Shell::Bash => {
            let text = String::from_utf8(script).expect("clap_complete writes UTF-8");
            fix_bash_case_labels(&text, NAME).into_bytes()
        }
        Shell::Fish => {
            script.extend_from_slice(fish_positional_values(&command).as_bytes());
            script
        }
        _ => script,
    }
}

/// Fish lines that complete the possible values of each subcommand's
/// positional arguments, until one of them was given, in the form and
/// with the helper function of clap_complete's fish script.
fn fish_positional_values(command: &Command) -> String {
    let condition = format!("__fish_{}_using_subcommand", NAME.replace('-', "_"));
    let quote = |text: &str| text.replace('\\', "\\\\").replace('\'', "\\'");
    let mut lines = String::new();
    for subcommand in command.get_subcommands() {
        for positional in subcommand.get_positionals() {
            let Some(values) = positional.get_value_parser().possible_values() else {
                continue;
            };
            let values: Vec<_> = values.filter(|value| !value.is_hide_set()).collect();
            let names: Vec<&str> = values.iter().map(|value| value.get_name()).collect();
            let offered: Vec<String> = values
                .iter()
                .map(|value| {
                    let help = value
                        .get_help()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    format!("{}\\t'{}'", value.get_name(), quote(&help))
                })
                .collect();
            lines.push_str(&format!(
                "complete -c {NAME} -n \"{condition} {}; and not __fish_seen_subcommand_from {}\" -f -a \"{}\"\n",
                subcommand.get_name(),
                names.join(" "),
                offered.join(" "),
            ));
        }
    }
    lines
}

/// A copy of the built `command` without its hidden arguments and
/// subcommands, for completion. Every argument is copied as its own
/// (the built command already carries the global ones into each
/// subcommand); `--help`, `--version` and the `help` subcommand are left
/// for clap to add again.
fn without_hidden(command: &Command) -> Command {
    let mut copy = Command::new(command.get_name().to_owned())
        .args(
            command
                .get_arguments()
                .filter(|arg| {
                    !arg.is_hide_set() && !matches!(arg.get_id().as_str(), "help" | "version")
                })
                .map(|arg| arg.clone().global(false)),
        )
        .subcommands(
            command
                .get_subcommands()
                .filter(|subcommand| !subcommand.is_hide_set() && subcommand.get_name() != "help")
                .map(without_hidden),
        );
    if let Some(about) = command.get_about() {
        copy = copy.about(about.clone());
    }
    if let Some(version) = command.get_version() {
        copy = copy.version(version.to_owned());
    }
    copy
}

/// Makes the bash script's `case` labels spell each subcommand's state as
/// the loop above them sets it: the program's name with its hyphens as
/// `__`, not as the separator between subcommands.
pub fn fix_bash_case_labels(script: &str, name: &str) -> String {
    let set = format!("{}{BASH_SEPARATOR}", name.replace('-', "__"));
    let wrong = format!("{}{BASH_SEPARATOR}", name.replace('-', BASH_SEPARATOR));
    if set == wrong {
        return script.to_owned();
    }
    script
        .split_inclusive('\n')
        .map(|line| {
            let label = line.trim_start();
            if label.starts_with(&wrong) && label.trim_end().ends_with(')') {
                line.replacen(&wrong, &set, 1)
            } else {
                line.to_owned()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The states the bash script's loop sets (`cmd="..."`) and those its
    /// `case` labels match.
    fn bash_states(script: &str) -> (Vec<String>, Vec<String>) {
        let mut set: Vec<String> = script
            .lines()
            .filter_map(|line| line.trim().strip_prefix("cmd=\""))
            .filter_map(|rest| rest.strip_suffix('"'))
            .filter(|state| !state.is_empty())
            .map(str::to_owned)
            .collect();
        let mut matched: Vec<String> = script
            .lines()
            .map(str::trim)
            .filter(|line| line.starts_with("provision") && !line.contains(','))
            .filter_map(|line| line.strip_suffix(')'))
            .map(str::to_owned)
            .collect();
        set.sort();
        set.dedup();
        matched.sort();
        (set, matched)
    }

    #[test]
    fn the_committed_completions_are_the_generated_ones() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
        for (shell, file) in FILES {
            let committed = std::fs::read(dir.join(file))
                .unwrap_or_else(|error| panic!("completions/{file}: {error}"));
            assert!(
                committed == generate(shell),
                "completions/{file} is not what the command line generates: run `make completions` and commit the result"
            );
        }
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let mut expected: Vec<String> = FILES.iter().map(|(_, file)| (*file).to_owned()).collect();
        expected.sort();
        assert_eq!(names, expected, "completions/ holds other files");
    }

    #[test]
    fn every_state_the_bash_script_sets_has_its_case() {
        let script = String::from_utf8(generate(Shell::Bash)).unwrap();
        let (set, matched) = bash_states(&script);
        assert!(
            set.contains(&"provision__journal__subcmd__begin".to_owned()),
            "{set:?}"
        );
        assert_eq!(set, matched);
    }

    #[test]
    fn the_fix_is_what_makes_the_states_match_and_changes_nothing_else() {
        let mut command = crate::args::documented_command();
        command.build();
        let mut command = without_hidden(&command);
        let mut raw = Vec::new();
        clap_complete::generate(Shell::Bash, &mut command, NAME, &mut raw);
        let raw = String::from_utf8(raw).unwrap();
        let fixed = fix_bash_case_labels(&raw, NAME);
        let (set, matched) = bash_states(&fixed);
        assert_eq!(set, matched);
        assert_eq!(fix_bash_case_labels(&fixed, NAME), fixed, "not idempotent");
        let changed = raw.lines().zip(fixed.lines()).filter(|(a, b)| a != b);
        for (before, after) in changed {
            assert!(before.trim_end().ends_with(')'), "{before} -> {after}");
        }
        assert_eq!(fix_bash_case_labels("a\nb)\n", "plain"), "a\nb)\n");
    }
}
