//! What the classifier knows about the boot it decides for: the boot, its
//! first-boot and live signals, a developer's rerun token, and the limits.

use serde::Serialize;

use crate::model::event::BootId;

/// Default number of unplanned restarts before the red line that one
/// attempt may take; the next one poisons it.
pub const DEFAULT_MAX_RETRIES: u32 = 5;
/// Default number of planned reboots one attempt may take; the next one
/// poisons it (a reboot loop).
pub const DEFAULT_MAX_PLANNED_REBOOTS: u32 = 4;
/// How many refused boots of a stopped attempt are recorded; later ones are
/// refused without a record, which bounds the journal's growth.
pub const REFUSED_BOOTS_RECORDED: u32 = 8;

/// The limits `check` enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[expect(
    clippy::exhaustive_structs,
    reason = "callers set the classifier's limits by name; another limit changes what every caller must decide, a breaking change by design"
)]
pub struct Policy {
    /// Unplanned restarts allowed per attempt.
    pub max_retries: u32,
    /// Planned reboots allowed per attempt.
    pub max_planned_reboots: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_retries: DEFAULT_MAX_RETRIES,
            max_planned_reboots: DEFAULT_MAX_PLANNED_REBOOTS,
        }
    }
}

/// What the classifier knows about the boot it decides for.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[expect(
    clippy::exhaustive_structs,
    reason = "the classifier's input, built by name with `..Default::default()` as the crate docs show; a new field changes what every caller must say about its boot, a breaking change by design"
)]
pub struct BootContext {
    /// This boot's ID; `None` asks about "the next boot" (for `status`).
    pub boot_id: Option<BootId>,
    /// A live system (no boot partition): nothing to journal.
    pub live: bool,
    /// A provisioning boot: a first-boot kernel argument (`ignition.firstboot`
    /// on Fedora CoreOS), or the firstboot stamp beside the journal.
    pub firstboot: bool,
    /// The developer's `provision_journal.rerun=TOKEN`, if given.
    pub rerun_token: Option<String>,
    /// The limits.
    pub policy: Policy,
}
