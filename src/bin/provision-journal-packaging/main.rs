//! `provision-journal-packaging`: writes the man pages and the shell
//! completions of `provision-journal` from its clap definitions, for
//! `make man completions` and distributions' packages. Built only with the
//! `packaging` feature, so the binary that goes into the initramfs links
//! neither clap_mangen nor clap_complete.
//!
//! ```text
//! provision-journal-packaging man DIR          provision-journal.8, provision-journal-SUBCOMMAND.8
//! provision-journal-packaging completions DIR  provision-journal.bash, _provision-journal, provision-journal.fish
//! ```

// The command line and the exit statuses are the binary's own modules,
// compiled here a second time so the pages cannot drift from the parser.
// Only their definitions are used here, not the code that runs commands.
// Their doc comments are `--help` text, where `[Boot] Device` names a
// section of the configuration, not an item to link.
#[allow(dead_code, rustdoc::broken_intra_doc_links)]
#[path = "../provision-journal/args.rs"]
mod args;
mod completions;
#[allow(dead_code)]
#[path = "../provision-journal/exit.rs"]
mod exit;
mod man;
mod manual;
/// The cut points `simulate --cut-at` takes, which the command line lists,
/// where the command line's module finds them.
mod simulate {
    pub(crate) use super::cut_points;
}
#[allow(dead_code)]
#[path = "../provision-journal/simulate/cut_points.rs"]
mod cut_points;

use std::path::Path;
use std::process::ExitCode;

/// The name the commands are installed and completed under.
const NAME: &str = "provision-journal";

const USAGE: &str = "usage: provision-journal-packaging man DIR | completions DIR";

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let written = match arguments.as_slice() {
        [what, dir] if what == "man" => man::write_pages(Path::new(dir)),
        [what, dir] if what == "completions" => completions::write_all(Path::new(dir)),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match written {
        Ok(files) => {
            for file in files {
                println!("{}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("provision-journal-packaging: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_visible_subcommand_gets_a_page_and_the_top_page_every_exit_status() {
        let dir =
            std::env::temp_dir().join(format!("provision-journal-man.{}", std::process::id()));
        let pages = man::write_pages(&dir).unwrap();
        let names: Vec<String> = pages
            .iter()
            .map(|page| page.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for subcommand in args::documented_command().get_subcommands() {
            let page = format!("{NAME}-{}.8", subcommand.get_name());
            assert!(names.contains(&page), "no {page} in {names:?}");
        }
        let top = std::fs::read_to_string(dir.join("provision-journal.8")).unwrap();
        for (exit, _) in exit::Exit::ALL {
            assert!(
                top.contains(&format!("\n.TP\n\\fB{}\\fR\n", exit.status())),
                "provision-journal.8 misses exit status {}",
                exit.status()
            );
        }
        assert!(top.contains("PROVISION_JOURNAL_CONF"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
