//! Where `simulate` can cut the power: a first boot's script of hooks, and
//! every point in it, each with its side of the red line.
//!
//! A step of provisioning is a [`Hook`]; every boot starts with `check`,
//! which is the first call of every script here. The command line lists
//! these points (`--cut-at`), and so do its man page and completions.

use provision_journal::hooks::Hook;
use provision_journal::{BootId, RebootReason, Sha256, Stage};

/// The boot the simulated provisioning runs in.
pub const SIMULATED_BOOT: BootId = BootId([0x51; 16]);
/// The boot that comes after the power cut.
pub const NEXT_BOOT: BootId = BootId([0x52; 16]);
/// Wall-clock time of the simulated boot (2025-01-01T00:00:00Z).
pub const SIMULATED_WALL_MS: i64 = 1_735_689_600_000;
/// The digest of the simulated boot's config.
pub const SIMULATED_CONFIG: Sha256 = Sha256([0xc0; 32]);
/// The reason a simulated failing stage gives.
pub const FAILURE_REASON: &str = "exit status 1";

/// Which first boot is simulated: the hooks it calls after `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// Every stage runs and ends; provisioning completes.
    Provisioning,
    /// `kargs` changed kernel arguments: the boot announces a planned
    /// reboot after it and reboots.
    KargsReboot,
    /// `kargs` fails (its unit exits non-zero; the boot ends in the
    /// emergency shell).
    KargsFails,
    /// `disks` fails, past the red line.
    DisksFails,
}

impl Script {
    /// The hooks the boot calls after `check`, in the order Ignition's
    /// units call them.
    pub fn hooks(self) -> Vec<Hook> {
        let mut hooks = vec![Hook::Fetched(SIMULATED_CONFIG)];
        let fail = |stage| Hook::Fail(stage, FAILURE_REASON.to_owned());
        match self {
            Script::Provisioning => {
                for stage in Stage::MUTATING {
                    hooks.extend([Hook::Begin(stage), Hook::End(stage)]);
                }
                hooks.push(Hook::Complete);
            }
            Script::KargsReboot => hooks.extend([
                Hook::Begin(Stage::Kargs),
                Hook::End(Stage::Kargs),
                Hook::Reboot(RebootReason::Kargs),
            ]),
            Script::KargsFails => hooks.extend([Hook::Begin(Stage::Kargs), fail(Stage::Kargs)]),
            Script::DisksFails => hooks.extend([
                Hook::Begin(Stage::Kargs),
                Hook::End(Stage::Kargs),
                Hook::Begin(Stage::Disks),
                fail(Stage::Disks),
            ]),
        }
        hooks
    }
}

/// Where a cut point is, seen from the red line (the start of `disks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// No stage at or past the red line has begun.
    Before,
    /// `begin disks` (or a later stage's) returned: the disks may have
    /// changed.
    Past,
    /// Inside the append of `begin disks`: the disks have not changed, but
    /// the torn bytes cannot be told from an acknowledged `begin disks`.
    On,
}

impl Side {
    /// The side in words, for `--help` and the report.
    pub fn describe(self) -> &'static str {
        match self {
            Side::Before => "before the red line",
            Side::Past => "past the red line",
            Side::On => "on the red line: a torn `begin disks`, counted as past it",
        }
    }
}

/// Where the power can be cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CutPoint {
    /// The name `--cut-at` takes.
    pub name: &'static str,
    /// The boot that runs.
    pub script: Script,
    /// How many calls of the boot (`check`, then the script's hooks) had
    /// begun when the power goes.
    pub calls: usize,
    /// Whether the power goes inside the last call's append, while its
    /// `fdatasync` had not returned, and what of it landed. `None`: every
    /// call returned.
    pub torn: Option<Tear>,
}

/// What of an append that a power cut interrupted reached the disk: two of
/// the crash states of the storage's crash model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tear {
    /// The first half of its bytes.
    Half,
    /// The file's new size, but none of the data: the record's length in
    /// zeros (as on a file system that does not order data before
    /// metadata, such as vfat).
    SizeOnly,
}

impl Tear {
    /// The tear in words.
    pub fn describe(self) -> &'static str {
        match self {
            Tear::Half => "the first half of its bytes reached the disk",
            Tear::SizeOnly => {
                "the file's new size reached the disk, but none of the data: the record's length in zeros"
            }
        }
    }
}

const fn point(name: &'static str, script: Script, calls: usize) -> CutPoint {
    CutPoint {
        name,
        script,
        calls,
        torn: None,
    }
}

const fn inside(name: &'static str, script: Script, calls: usize, tear: Tear) -> CutPoint {
    CutPoint {
        name,
        script,
        calls,
        torn: Some(tear),
    }
}

/// Every cut point, in boot order. `during-STAGE` cuts after `begin STAGE`
/// returned, while the stage runs; `after-X` after hook X returned;
/// `inside-X` while hook X appends its record.
pub const CUT_POINTS: [CutPoint; 19] = [
    point("before-check", Script::Provisioning, 0),
    point("after-check", Script::Provisioning, 1),
    inside("inside-fetched", Script::Provisioning, 2, Tear::Half),
    point("after-fetched", Script::Provisioning, 2),
    point("during-kargs", Script::Provisioning, 3),
    point("after-fail-kargs", Script::KargsFails, 4),
    point("after-kargs", Script::Provisioning, 4),
    point("after-reboot-kargs", Script::KargsReboot, 5),
    inside(
        "inside-begin-disks",
        Script::Provisioning,
        5,
        Tear::SizeOnly,
    ),
    point("during-disks", Script::Provisioning, 5),
    point("after-fail-disks", Script::DisksFails, 6),
    point("after-disks", Script::Provisioning, 6),
    point("during-mount", Script::Provisioning, 7),
    point("after-mount", Script::Provisioning, 8),
    point("during-files", Script::Provisioning, 9),
    point("after-files", Script::Provisioning, 10),
    point("during-umount", Script::Provisioning, 11),
    point("after-umount", Script::Provisioning, 12),
    point("after-complete", Script::Provisioning, 13),
];

/// The cut point `simulate` uses when none is given: while the disks
/// stage runs, just past the red line.
pub const DEFAULT_CUT_POINT: &str = "during-disks";

impl CutPoint {
    /// The cut point with this name.
    pub fn named(name: &str) -> Option<CutPoint> {
        CUT_POINTS.into_iter().find(|point| point.name == name)
    }

    /// The hooks called after `check` up to the cut, the torn one last.
    pub fn hooks(&self) -> Vec<Hook> {
        let mut hooks = self.script.hooks();
        hooks.truncate(self.calls.saturating_sub(1));
        hooks
    }

    /// The cut's side of the red line, from the hooks that ran.
    pub fn side(&self) -> Side {
        let hooks = self.hooks();
        let crosses = |hook: &Hook| matches!(hook, Hook::Begin(stage) if stage.is_past_red_line());
        let (returned, torn) = match (self.torn, hooks.split_last()) {
            (Some(_), Some((last, returned))) => (returned, Some(last)),
            _ => (&hooks[..], None),
        };
        if returned.iter().any(crosses) {
            Side::Past
        } else if torn.is_some_and(crosses) {
            Side::On
        } else {
            Side::Before
        }
    }

    /// What the point is, for `--help`: its side of the red line, the boot
    /// it cuts, and whether it tears an append.
    pub fn help(&self) -> String {
        let boot = match self.script {
            Script::Provisioning => "",
            Script::KargsReboot => "; a boot whose kargs stage asks for a planned reboot",
            Script::KargsFails => "; a boot whose kargs stage fails",
            Script::DisksFails => "; a boot whose disks stage fails",
        };
        let torn = match self.torn {
            Some(_) => "; the power goes inside the hook's append (a torn tail)",
            None => "",
        };
        format!("{}{boot}{torn}", self.side().describe())
    }
}
