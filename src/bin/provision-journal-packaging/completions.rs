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
//! - Its bash script completes file names for an option's value but never
//!   for a positional argument: after `dump ` or `status ` it offers the
//!   options, and after `dump /var/` nothing, so a journal's path (or
//!   `keep-log`'s file) had to be typed whole. [`bash_positional_files`]
//!   completes file names there, as for an option whose value is a path,
//!   and the options once the word begins with `-`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::{Command, ValueHint};
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
            let text = fix_bash_case_labels(&text, NAME);
            bash_positional_files(&text, &command).into_bytes()
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

/// The names of `command`'s subcommands whose positional arguments are
/// paths (a file-path value hint, and no list of values to offer).
fn subcommands_with_path_operands(command: &Command) -> Vec<&str> {
    command
        .get_subcommands()
        .filter(|subcommand| {
            subcommand.get_positionals().any(|positional| {
                positional.get_value_hint() == ValueHint::FilePath
                    && positional.get_value_parser().possible_values().is_none()
            })
        })
        .map(Command::get_name)
        .collect()
}

/// What the bash script does, in a subcommand's state, for a word that is
/// not an option's value: offer the options only when it begins with `-`
/// (clap_complete's test, which also offers them for the first word after
/// the subcommand), and complete file names otherwise (clap_complete's last
/// line, which offers the options again).
const BASH_OPTIONS_TEST: (&str, &str) = (" || ${COMP_CWORD} -eq 2 ]] ; then", " ]] ; then");
const BASH_LAST_LINE: &str = "            COMPREPLY=( $(compgen -W \"${opts}\" -- \"${cur}\") )\n            return 0\n            ;;\n";
/// File names, one a line (a name may hold spaces), marked as file names
/// so that bash quotes them and adds a `/` to a directory: the lines
/// clap_complete writes for an option whose value is a path.
const BASH_FILES: &str = "            local oldifs
            if [ -n \"${IFS+x}\" ]; then
                oldifs=\"$IFS\"
            fi
            IFS=$'\\n'
            COMPREPLY=($(compgen -f \"${cur}\"))
            if [ -n \"${oldifs+x}\" ]; then
                IFS=\"$oldifs\"
            fi
            if [[ \"${BASH_VERSINFO[0]}\" -ge 4 ]]; then
                compopt -o filenames
            fi
            return 0
            ;;
";

/// Makes the bash script complete file names for the path operands of
/// `command`'s subcommands ([`subcommands_with_path_operands`]): in each
/// one's state, a word that is neither an option nor an option's value
/// completes as a file name. Panics if the script does not have the shape
/// clap_complete 4.6 gives it, so that a new clap_complete cannot leave the
/// operands silently without completion.
pub fn bash_positional_files(script: &str, command: &Command) -> String {
    let mut script = script.to_owned();
    for name in subcommands_with_path_operands(command) {
        let label = format!(
            "\n        {}{BASH_SEPARATOR}{})\n",
            NAME.replace('-', "__"),
            // clap_complete spells a hyphen in a subcommand's name as the
            // separator, where it sets the state and where it matches it.
            name.replace('-', BASH_SEPARATOR)
        );
        let start = script
            .find(&label)
            .unwrap_or_else(|| panic!("the bash script has no state for `{name}`"));
        // The state's own `;;` is the first at its indentation (those of
        // the `case` on the previous word are deeper).
        let end = start
            + script[start..]
                .find("\n            ;;\n")
                .unwrap_or_else(|| panic!("the bash state of `{name}` has no end"))
            + "\n            ;;\n".len();
        let head = script[start..end]
            .strip_suffix(BASH_LAST_LINE)
            .unwrap_or_else(|| panic!("the bash state of `{name}` does not end as expected"));
        let (test, only_dash) = BASH_OPTIONS_TEST;
        assert!(
            head.contains(test),
            "the bash state of `{name}` does not test for options as expected"
        );
        let replaced = format!("{}{BASH_FILES}", head.replacen(test, only_dash, 1));
        script.replace_range(start..end, &replaced);
    }
    script
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

    /// Each state of the bash script, by its label, and its body.
    fn bash_state<'s>(script: &'s str, label: &str) -> &'s str {
        let start = script
            .find(&format!("\n        {label})\n"))
            .unwrap_or_else(|| panic!("no state {label}"));
        let rest = &script[start..];
        &rest[..rest.find("\n            ;;\n").unwrap()]
    }

    #[test]
    fn path_operands_complete_file_names_in_bash_and_nothing_else_changes() {
        let script = String::from_utf8(generate(Shell::Bash)).unwrap();
        let mut command = crate::args::documented_command();
        command.build();
        let command = without_hidden(&command);
        assert_eq!(
            subcommands_with_path_operands(&command),
            ["keep-log", "status", "dump"]
        );
        for label in [
            "provision__journal__subcmd__dump",
            "provision__journal__subcmd__status",
            "provision__journal__subcmd__keep__subcmd__log",
        ] {
            let state = bash_state(&script, label);
            assert!(
                state.ends_with("compopt -o filenames\n            fi\n            return 0"),
                "{state}"
            );
            assert!(state.contains("if [[ ${cur} == -* ]] ; then"), "{state}");
        }
        for label in [
            "provision__journal__subcmd__begin",
            "provision__journal__subcmd__check",
        ] {
            let state = bash_state(&script, label);
            assert!(
                state.ends_with(
                    "COMPREPLY=( $(compgen -W \"${opts}\" -- \"${cur}\") )\n            return 0"
                ),
                "{state}"
            );
        }
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
