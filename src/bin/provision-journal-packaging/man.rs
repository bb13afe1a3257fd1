//! The man pages: `provision-journal(8)` and one page per subcommand
//! (`provision-journal-check(8)` …), from the clap definitions, with the
//! environment and the exit statuses from the same sources as `--help`.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use clap::Command;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use crate::args::{self, ENVIRONMENT};
use crate::exit::{Exit, PANIC};

/// The manual section: commands for the system administrator.
const SECTION: &str = "8";

/// Writes every page into `dir` and returns their paths.
pub fn write_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut top = args::documented_command().disable_help_subcommand(true);
    top.build();
    let subcommands: Vec<Command> = top
        .get_subcommands()
        .filter(|subcommand| !subcommand.is_hide_set())
        .cloned()
        .collect();
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

fn write_page(dir: &Path, command: &Command, see_also: &[String]) -> std::io::Result<PathBuf> {
    let man = Man::new(command.clone())
        .section(SECTION)
        .manual("System Administration")
        .source(format!("provision-journal {}", env!("CARGO_PKG_VERSION")));
    let path = dir.join(man.get_filename());
    let mut out = BufWriter::new(File::create(&path)?);
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
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
    // The commands whose --help carries the environment and the exit
    // statuses (the top level and `check`) carry them here too.
    if command.get_after_long_help().is_some() {
        environment(&mut roff);
        exit_statuses(&mut roff);
    } else {
        roff.control("SH", ["EXIT STATUS"]);
        roff.text([
            roman("Every exit status and its meaning is listed in "),
            bold("provision-journal"),
            roman("(8)."),
        ]);
    }
    roff.to_writer(&mut out)?;
    if command.get_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    let mut roff = Roff::new();
    roff.control("SH", ["SEE ALSO"]);
    let mut references = Vec::new();
    for (index, page) in see_also.iter().enumerate() {
        if index > 0 {
            references.push(roman(", "));
        }
        references.push(bold(page.as_str()));
        references.push(roman(format!("({SECTION})")));
    }
    roff.text(references);
    roff.to_writer(&mut out)?;
    out.into_inner()
        .map_err(|error| error.into_error())?
        .sync_all()?;
    Ok(path)
}

/// The configuration files, environment variables and kernel arguments, as
/// `--help` lays them out.
fn environment(roff: &mut Roff) {
    roff.control("SH", ["FILES AND ENVIRONMENT"]);
    roff.control("nf", []);
    for line in ENVIRONMENT.lines() {
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
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
