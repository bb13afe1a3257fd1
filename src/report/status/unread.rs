//! A journal `status` could not read at all: no file where a `PATH`
//! operand pointed, a directory, a file it may not open. A fleet's
//! journals are counted line by line (`--oneline`), document by document
//! (`--json`) and series by series (`--prometheus`), so such a journal
//! still gets its line, document and series, saying what is known: its
//! path, `absent` or `unreadable`, that provisioning may not be assumed to
//! proceed, and the error.

use std::io::{self, Write};

use serde::Serialize;

use super::super::escape;
use super::STATUS_SCHEMA;
use super::text::one_word;

/// A journal that could not be read at all, as `status` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Unread {
    /// The journal's path.
    pub journal: String,
    /// No file is there (`absent`); otherwise it is `unreadable`.
    pub absent: bool,
    /// The error, in words, as the command says it on stderr.
    pub error: String,
    /// The exit status that error calls for.
    pub exit_status: u8,
}

impl Unread {
    /// A journal at `journal` that could not be read: `absent` when no
    /// file is there, with the `error` and the `exit_status` it calls for.
    pub fn new(journal: &str, absent: bool, error: &str, exit_status: u8) -> Self {
        Unread {
            journal: journal.to_owned(),
            absent,
            error: error.to_owned(),
            exit_status,
        }
    }

    /// `absent` or `unreadable`: the outcome, as `status --oneline`,
    /// `--json` and `--prometheus` name it.
    pub fn outcome(&self) -> &'static str {
        match self.absent {
            true => "absent",
            false => "unreadable",
        }
    }

    /// The one-line form: `PATH absent - - - absent` or `PATH unreadable -
    /// - - unreadable`, the path one word as in [`super::Status::write_oneline`].
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn write_oneline(&self, out: &mut dyn Write) -> io::Result<()> {
        let word = self.outcome();
        writeln!(out, "{} {word} - - - {word}", one_word(&self.journal))
    }

    /// The JSON form (`spec/DUMP.md`, "`status --json` of a journal it
    /// cannot read"), one line of terminal-safe JSON.
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        escape::write_json(
            out,
            &UnreadJson {
                schema: STATUS_SCHEMA,
                journal: &self.journal,
                state: self.absent.then_some("absent"),
                outcome: self.outcome(),
                may_proceed: false,
                error: &self.error,
                exit_status: self.exit_status,
            },
        )?;
        writeln!(out)
    }
}

/// The JSON form of [`Unread`].
#[derive(Serialize)]
struct UnreadJson<'u> {
    schema: &'static str,
    journal: &'u str,
    state: Option<&'static str>,
    outcome: &'static str,
    may_proceed: bool,
    error: &'u str,
    exit_status: u8,
}
