//! `-` as a journal's path, for `dump` and `status`: the journal piped in
//! (`ssh host cat /boot/provision-journal | provision-journal status -`),
//! read whole into memory first, since a report reads it more than once.
//! What lies beside a journal on its machine (a failure log, the file
//! system it is on) is not in the pipe, so a journal from standard input
//! is reported as a copy is, from its bytes alone.

use camino::{Utf8Path, Utf8PathBuf};
use provision_journal::MemStorage;

use crate::exit::{Exit, Failure};

/// The path that names standard input.
pub const STDIN: &str = "-";

/// The name a journal read from standard input goes by in the reports.
pub const NAME: &str = "(standard input)";

/// The most read from standard input: far more than any journal the
/// growth bound allows (`spec/STATES.md`), far less than memory.
const LIMIT: u64 = 64 << 20;

/// Whether `path` names standard input.
pub fn is_stdin(path: &Utf8Path) -> bool {
    path == STDIN
}

/// Refuses `paths` that name standard input more than once: it can be
/// read only once, and a second `-` would report an empty journal.
pub fn read_once(paths: &[Utf8PathBuf]) -> Result<(), Failure> {
    match paths.iter().filter(|path| is_stdin(path)).count() {
        0 | 1 => Ok(()),
        _ => Err(Failure::new(
            Exit::Usage,
            "`-` names standard input more than once: it can be read only once, so give `-` once",
        )),
    }
}

/// The journal on standard input, whole, as storage named [`NAME`].
pub fn read() -> Result<MemStorage, Failure> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| {
            Failure::new(Exit::Io, format!("failed to read standard input: {error}"))
        })?;
    if bytes.len() as u64 > LIMIT {
        return Err(Failure::new(
            Exit::Io,
            format!("standard input holds more than {LIMIT} bytes: no journal is that large"),
        ));
    }
    Ok(MemStorage::with_bytes(&bytes).named(NAME))
}
