//! What a writer says about the temporary file a restore of the kept
//! config left beside `[Cache] RestoreTo` when it was cut off (the
//! library's `RestoreTarget` removes it).

use camino::Utf8PathBuf;
use provision_journal::kept::{KeptError, RestoreTarget};

use crate::output::{complain, say};

/// Removes the temporary file a restore to `target` left when it was cut
/// off, as every writer does with keeping on, and says so.
pub fn remove_leftover(target: &RestoreTarget) {
    say_leftover(target.remove_leftover().transpose());
}

/// Says what became of a restore's leftover temporary file: removed (it
/// held the config, in memory until switch-root), or a warning that it
/// could not be, since the writer's record is durable by then and the next
/// writer tries again.
pub fn say_leftover(outcome: Option<Result<Utf8PathBuf, KeptError>>) {
    match outcome {
        None => {}
        Some(Ok(temp)) => say(format_args!(
            "removed `{temp}`, the temporary file of a restore of the kept config that was cut off (it held the config)"
        )),
        Some(Err(KeptError::Storage { path, source, .. })) => complain(format_args!(
            "provision-journal: warning: cannot remove `{path}`, the temporary file of a restore of the kept config that was cut off (it holds the config): {source}; the next writer tries again"
        )),
        Some(Err(other)) => complain(format_args!("provision-journal: warning: {other}")),
    }
}
