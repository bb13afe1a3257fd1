//! Reading several journals in one call (`dump A B C`, `status A B C`):
//! support bundles come in dozens.

use camino::Utf8PathBuf;

use crate::exit::{Exit, Failure};
use crate::output::{complain, say};

/// Runs `report` on each path in turn, with a `==> PATH <==` header before
/// each when `headers` (text reports of more than one journal). A journal
/// that cannot be read is said on stderr and the others are still read.
/// The exit status is the worst of them ([`severity`]).
pub fn each(
    paths: &[Utf8PathBuf],
    mut report: impl FnMut(&camino::Utf8Path) -> Result<Exit, Failure>,
    headers: bool,
) -> Exit {
    let headers = headers && paths.len() > 1;
    let mut worst = Exit::Ok;
    for (index, path) in paths.iter().enumerate() {
        if headers {
            if index > 0 {
                say("");
            }
            say(format_args!("==> {path} <=="));
        }
        let exit = report(path).unwrap_or_else(|failure| {
            complain(format_args!("provision-journal: {}", failure.message));
            failure.exit
        });
        if severity(exit) > severity(worst) {
            worst = exit;
        }
    }
    worst
}

/// How bad an outcome is, for the worst of several: a clean journal, a
/// torn tail, corruption, a newer format, then a journal that could not be
/// read at all.
fn severity(exit: Exit) -> u8 {
    match exit {
        Exit::Ok => 0,
        Exit::TornTail => 1,
        Exit::Corrupt => 2,
        Exit::UnsupportedVersion => 3,
        _ => 4,
    }
}

/// The worse of two outcomes ([`severity`]).
pub fn worse(a: Exit, b: Exit) -> Exit {
    if severity(b) > severity(a) { b } else { a }
}
