//! One call of a simulated boot, as the crash exploration, the fault
//! tests and the fuzz bodies run boots: a list of calls.

use crate::journal::hooks::{CallFailed, Hook};
use crate::model::event::Event;

/// One call of a boot: `check`, which classifies the boot, or a hook after
/// it, or one of them failing and recording that it did. The crash
/// exploration and the fault tests run boots as lists of calls; `simulate`
/// starts each of its boots with `check` itself.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_enums,
    reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
)]
pub enum Call {
    /// `check`, before fetch.
    Check,
    /// Any other hook.
    Hook(Hook),
    /// A call that failed after this boot's `check` recorded its decision,
    /// recording its failure ([`record_failure`](crate::hooks::record_failure)).
    Failed(CallFailed),
}

impl Call {
    /// The call as it is typed on the command line.
    pub fn command(&self) -> String {
        match self {
            Call::Check => "check".to_owned(),
            Call::Hook(hook) => hook.command(),
            Call::Failed(failed) => {
                format!("{} (fails with exit status {})", failed.call, failed.status)
            }
        }
    }

    /// The event the call appends; `None` for `check`, which decides its
    /// own when it runs.
    pub fn event(&self) -> Option<Event> {
        match self {
            Call::Check => None,
            Call::Hook(hook) => Some(hook.event()),
            Call::Failed(failed) => Some(failed.event()),
        }
    }
}
