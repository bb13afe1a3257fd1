//! Writing to stdout and stderr without ever panicking.
//!
//! A hook's sentence is a courtesy: once its record is durable, the record
//! and the exit status are what count, so [`say`] ignores a stdout that
//! cannot be written (a closed pipe, a full disk, `/dev/full`). A report's
//! words are its purpose: [`Report`] ends quietly at a closed pipe (the
//! reader took all it wanted, as with `dump | head`) and fails with
//! [`Exit::Io`] on any other write error.
//!
//! Both escape what a terminal would act on, as the reports do
//! ([`defang`]): a message names paths, and a path may hold any byte but
//! NUL and `/` (an escape sequence, a newline that fakes another line).

use std::fmt::Display;
use std::io::{self, BufWriter, StdoutLock, Write};

use provision_journal::report::defang;

use crate::exit::{Exit, Failure};

/// Writes one line to stdout for a hook or `check`, escaped, ignoring any
/// error.
pub fn say(line: impl Display) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{}", defang(&line.to_string())).and_then(|()| out.flush());
}

/// Writes one line to stderr, escaped, ignoring any error: there is
/// nowhere left to report it, and the exit status still tells.
pub fn complain(line: impl Display) {
    let _ = writeln!(io::stderr().lock(), "{}", defang(&line.to_string()));
}

/// `n` bytes in words: `1 byte`, `2 bytes`.
pub fn bytes(n: u64) -> String {
    if n == 1 {
        "1 byte".to_owned()
    } else {
        format!("{n} bytes")
    }
}

/// Whether a write failed only because the reader closed the pipe.
pub fn is_closed_pipe(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::BrokenPipe
}

/// Buffered stdout for a report (`status`, `dump`, `simulate`).
pub struct Report {
    out: BufWriter<StdoutLock<'static>>,
}

impl Report {
    /// Locks stdout for the report.
    pub fn stdout() -> Self {
        Report {
            out: BufWriter::new(io::stdout().lock()),
        }
    }

    /// Flushes the report and turns the outcome of writing it into the
    /// command's result: `exit` when everything was written or the reader
    /// closed the pipe early, [`Exit::Io`] for any other write error.
    pub fn finish(mut self, written: io::Result<()>, exit: Exit) -> Result<Exit, Failure> {
        match written.and_then(|()| self.out.flush()) {
            Ok(()) => Ok(exit),
            Err(error) => written_or_closed(error, exit),
        }
    }

    /// [`Report::finish`] for a report that can also fail on its own.
    pub fn finish_or_fail(self, result: Result<(), Stopped>, exit: Exit) -> Result<Exit, Failure> {
        match result {
            Ok(()) => self.finish(Ok(()), exit),
            Err(Stopped::Write(error)) => self.finish(Err(error), exit),
            Err(Stopped::Failed(failure)) => Err(failure),
        }
    }
}

impl Write for Report {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// `exit` if `error` is a closed pipe (a normal end of a report), else the
/// failure to write it ([`Exit::Io`]).
pub fn written_or_closed(error: io::Error, exit: Exit) -> Result<Exit, Failure> {
    if is_closed_pipe(&error) {
        return Ok(exit);
    }
    Err(Failure::new(
        Exit::Io,
        format!("failed to write the report to stdout: {error}"),
    ))
}

/// Why a report stopped before its end.
#[derive(Debug)]
pub enum Stopped {
    /// Writing it failed (a closed pipe, or a real error).
    Write(io::Error),
    /// The command itself failed.
    Failed(Failure),
}

impl From<io::Error> for Stopped {
    fn from(error: io::Error) -> Self {
        Stopped::Write(error)
    }
}

impl From<Failure> for Stopped {
    fn from(failure: Failure) -> Self {
        Stopped::Failed(failure)
    }
}
