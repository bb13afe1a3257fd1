//! The provisioning stages, in the order a first boot runs them.
//!
//! The set is Ignition's (see `dracut/30ignition` in coreos/ignition). Only
//! the stages that change the machine are *mutating*; the first of the stages
//! that touch disks is the **red line**: once it has begun, a rerun could mix
//! two configs, so an interruption from then on is fatal.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One provisioning stage. The declaration order is the order of a boot, and
/// `Ord` follows it.
///
/// On disk a stage is its index in this list (see `spec/FORMAT.md`), so new
/// stages may only be appended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[expect(
    clippy::exhaustive_enums,
    reason = "the state machine of spec/STATES.md: a new stage changes what every caller must decide, a breaking change by design (the crate docs, \"Stability\")"
)]
pub enum Stage {
    /// Fetch the config from local sources (not mutating).
    FetchOffline,
    /// Fetch the config from the network (not mutating).
    Fetch,
    /// Set kernel arguments; may end in a planned reboot. Mutating, but
    /// before the red line.
    Kargs,
    /// Partition, format and wipe disks. Its start is the red line.
    Disks,
    /// Mount the new file systems.
    Mount,
    /// Write files, users and units.
    Files,
    /// Unmount what `mount` mounted.
    Umount,
}

impl Stage {
    /// Every stage, in boot order.
    pub const ALL: [Stage; 7] = [
        Stage::FetchOffline,
        Stage::Fetch,
        Stage::Kargs,
        Stage::Disks,
        Stage::Mount,
        Stage::Files,
        Stage::Umount,
    ];

    /// The mutating stages, in boot order: those with `begin`/`end` records.
    pub const MUTATING: [Stage; 5] = [
        Stage::Kargs,
        Stage::Disks,
        Stage::Mount,
        Stage::Files,
        Stage::Umount,
    ];

    /// The first stage whose start makes a rerun unsafe.
    pub const RED_LINE: Stage = Stage::Disks;

    /// The stage's name as hooks, the CLI and JSON spell it.
    pub fn name(self) -> &'static str {
        match self {
            Stage::FetchOffline => "fetch-offline",
            Stage::Fetch => "fetch",
            Stage::Kargs => "kargs",
            Stage::Disks => "disks",
            Stage::Mount => "mount",
            Stage::Files => "files",
            Stage::Umount => "umount",
        }
    }

    /// Whether the stage changes the machine (and so is bracketed by
    /// `begin`/`end` records).
    pub fn is_mutating(self) -> bool {
        match self {
            Stage::FetchOffline | Stage::Fetch => false,
            Stage::Kargs | Stage::Disks | Stage::Mount | Stage::Files | Stage::Umount => true,
        }
    }

    /// Whether the stage is at or after the red line.
    pub fn is_past_red_line(self) -> bool {
        self >= Self::RED_LINE
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for a stage name that is not one of [`Stage::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown stage `{name}` (expected one of: fetch-offline, fetch, kargs, disks, mount, files, umount)"
)]
#[non_exhaustive]
pub struct UnknownStage {
    /// The name that was given.
    pub name: String,
}

impl FromStr for Stage {
    type Err = UnknownStage;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|stage| stage.name() == name)
            .ok_or_else(|| UnknownStage {
                name: name.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order_is_boot_order() {
        for pair in Stage::ALL.windows(2) {
            assert!(pair[0] < pair[1]);
        }
        for stage in Stage::ALL {
            assert_eq!(stage.name().parse::<Stage>(), Ok(stage));
        }
        assert!("disk".parse::<Stage>().is_err());
    }

    #[test]
    fn red_line_is_disks_and_kargs_is_before_it() {
        assert!(Stage::Kargs.is_mutating());
        assert!(!Stage::Kargs.is_past_red_line());
        assert!(Stage::Disks.is_past_red_line());
        assert!(Stage::Umount.is_past_red_line());
        assert!(!Stage::Fetch.is_mutating());
    }

    #[test]
    fn mutating_lists_exactly_the_mutating_stages_in_order() {
        let mutating: Vec<Stage> = Stage::ALL
            .into_iter()
            .filter(|stage| stage.is_mutating())
            .collect();
        assert_eq!(mutating, Stage::MUTATING);
    }
}
