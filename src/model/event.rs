//! What a record says happened: the events, and the boot and clocks they
//! happened at.
//!
//! Events are facts, not states: the state after an event comes from the one
//! transition function in [`crate::transition`]. Their byte layout is fixed
//! by `spec/FORMAT.md` (each enum is its variant index, so variants may only
//! be appended).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::stage::Stage;
use crate::model::text::clip_text;

pub use super::text::{MAX_FAILURE_REASON_LEN, MAX_TEXT_LEN};

macro_rules! hex_bytes {
    ($(#[$doc:meta])* $name:ident, $len:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        #[expect(
            clippy::exhaustive_structs,
            reason = "a boot ID is its 16 bytes and a digest its 32: there is nothing else to them"
        )]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Parses lower- or upper-case hex; dashes are ignored (so a
            /// UUID as the kernel prints it parses).
            pub fn from_hex(text: &str) -> Option<Self> {
                let digits: Vec<u8> = text.bytes().filter(|&b| b != b'-').collect();
                if digits.len() != 2 * $len {
                    return None;
                }
                let mut bytes = [0u8; $len];
                for (byte, pair) in bytes.iter_mut().zip(digits.chunks(2)) {
                    let text = std::str::from_utf8(pair).ok()?;
                    *byte = u8::from_str_radix(text, 16).ok()?;
                }
                Some(Self(bytes))
            }

            /// The bytes as lower-case hex, without dashes.
            pub fn to_hex(&self) -> String {
                self.0.iter().map(|b| format!("{b:02x}")).collect()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                if serializer.is_human_readable() {
                    serializer.serialize_str(&self.to_hex())
                } else {
                    self.0.serialize(serializer)
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                if deserializer.is_human_readable() {
                    let text = String::deserialize(deserializer)?;
                    Self::from_hex(&text)
                        .ok_or_else(|| serde::de::Error::custom("expected hex digits"))
                } else {
                    <[u8; $len]>::deserialize(deserializer).map(Self)
                }
            }
        }
    };
}

hex_bytes!(
    /// The kernel's boot ID (`/proc/sys/kernel/random/boot_id`): tells one
    /// boot from the next.
    BootId,
    16
);

hex_bytes!(
    /// A SHA-256 digest of the fetched provisioning config.
    Sha256,
    32
);

impl BootId {
    /// The first eight hex digits, as `dump` shows a boot.
    pub fn short(&self) -> String {
        self.to_hex()[..8].to_owned()
    }
}

/// Why a planned reboot happens.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RebootReason {
    /// The `kargs` stage changed the kernel arguments.
    Kargs,
    /// FIPS mode was switched on after fetch (RHCOS).
    Fips,
    /// Any other planned reason, in the provisioner's words.
    Other(String),
}

impl RebootReason {
    /// Parses the CLI spelling: `kargs`, `fips`, or free text.
    pub fn parse(text: &str) -> Self {
        match text {
            "kargs" => RebootReason::Kargs,
            "fips" => RebootReason::Fips,
            other => RebootReason::Other(clip_text(other)),
        }
    }
}

impl fmt::Display for RebootReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RebootReason::Kargs => f.write_str("kargs"),
            RebootReason::Fips => f.write_str("fips"),
            RebootReason::Other(text) => write!(f, "{text:?}"),
        }
    }
}

/// What opened a new provisioning attempt.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Trigger {
    /// A first boot with no attempt in progress (a new machine, or after an
    /// operator's `reset`).
    Firstboot,
    /// The developer's kernel argument `provision_journal.rerun=TOKEN`, after
    /// a completed attempt. Each token is honoured once.
    ForcedRerun {
        /// The token from the kernel command line.
        token: String,
    },
}

/// Why `check` poisoned the journal. (A failure past the red line and a
/// config change after mutation poison it through their own records.)
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PoisonReason {
    /// A boot ended while the attempt was past the red line and not
    /// complete: a power cut, a reset, or a crash.
    Interrupted {
        /// The last stage that had begun.
        stage: Stage,
        /// Whether that stage was still running (no `end` record).
        stage_running: bool,
        /// The boot that was interrupted.
        boot: BootId,
        /// The sequence number of that boot's last record.
        last_seq: u64,
        /// The wall-clock time of that record (Unix milliseconds).
        last_wall_ms: i64,
    },
    /// The journal ended in a torn record large enough to hide the start of
    /// a red-line stage, so a retry could not be proven safe.
    TornTailAtRedLine {
        /// Offset of the torn bytes.
        offset: u64,
        /// How many bytes were torn.
        len: u64,
    },
    /// Too many unplanned restarts before the red line in one attempt.
    RetriesExhausted {
        /// Unplanned restarts so far, this one included.
        restarts: u32,
        /// The configured limit.
        limit: u32,
    },
    /// Too many planned reboots in one attempt (a reboot loop).
    PlannedRebootsExhausted {
        /// Planned reboots so far, this one included.
        reboots: u32,
        /// The configured limit.
        limit: u32,
    },
}

/// One thing that happened, as a record stores it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// `check` opened a new attempt.
    AttemptStarted {
        /// The attempt's number: 1, then one more per new attempt.
        epoch: u32,
        /// What opened it.
        trigger: Trigger,
    },
    /// `check` let an attempt in progress go on in a new boot.
    Restarted {
        /// The planned reboot that led here, or `None` for an unplanned
        /// restart (a power cut, a reset, a failure before the red line).
        planned: Option<RebootReason>,
    },
    /// `check` refused to provision because the attempt is complete or
    /// poisoned (recorded for the first few such boots only).
    BootRefused,
    /// The config was fetched; its digest binds the attempt.
    ConfigFetched {
        /// SHA-256 of the config.
        sha256: Sha256,
    },
    /// A mutating stage is about to start (the intent record).
    StageBegan {
        /// The stage.
        stage: Stage,
    },
    /// A mutating stage finished successfully.
    StageEnded {
        /// The stage.
        stage: Stage,
    },
    /// A stage exited with a failure.
    StageFailed {
        /// The stage.
        stage: Stage,
        /// The exit status or other reason, as the hook gave it.
        reason: String,
    },
    /// A planned reboot is about to happen.
    RebootPlanned {
        /// Why.
        reason: RebootReason,
    },
    /// Provisioning finished.
    Completed,
    /// `check` stopped provisioning for good (until a `reset`).
    Poisoned {
        /// Why.
        reason: PoisonReason,
    },
    /// An operator allowed a new attempt.
    Reset {
        /// The operator's words.
        reason: String,
    },
    /// A writer cut off a torn tail before appending this record's
    /// successor.
    TailRepaired {
        /// Where the torn bytes began (the new end of the file).
        offset: u64,
        /// How many bytes were cut off.
        dropped: u64,
    },
    /// The config was fetched and a copy of it is kept beside the journal
    /// (`[Cache] KeepConfig=yes`): binds the digest as
    /// [`Event::ConfigFetched`] does, and names the copy. Written only
    /// after the copy is durable under its name.
    ConfigKept {
        /// SHA-256 of the config, and of the copy.
        sha256: Sha256,
        /// The copy's size in bytes.
        size: u64,
    },
    /// `check` verified the kept copy against the journal and restored it
    /// for Ignition (to `[Cache] RestoreTo`).
    ConfigRestored {
        /// SHA-256 of the restored copy.
        sha256: Sha256,
    },
    /// A writer removed the kept copy durably (unlink, directory `fsync`).
    KeptConfigRemoved {
        /// SHA-256 of the copy the journal bound, or, for a copy it did not
        /// bind, of the bytes found (zeros when they were not a regular
        /// file).
        sha256: Sha256,
        /// Why.
        cause: RemovalCause,
    },
    /// A call of the boot running the attempt failed after that boot's
    /// `check` recorded its decision (not a stage: the provision-journal
    /// call around it), for a reason that left the journal writable: a
    /// refused record, a config it could not read, a restore target it
    /// refused. In the initramfs its unit fails and the boot stops.
    CallFailed {
        /// The call.
        call: CallName,
        /// The exit status it failed with (`spec/CLI.md`).
        status: u8,
        /// Why, in brief (at most [`MAX_FAILURE_REASON_LEN`] bytes).
        reason: String,
    },
}

/// A call of a provisioning boot, as an [`Event::CallFailed`] record names
/// it: `check` or a hook, with its stage (never the operator's `reset`,
/// which belongs to no provisioning boot).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallName {
    /// `check`.
    Check,
    /// `fetched`.
    Fetched,
    /// `begin STAGE`.
    Begin(Stage),
    /// `end STAGE`.
    End(Stage),
    /// `fail STAGE`.
    Fail(Stage),
    /// `reboot`.
    Reboot,
    /// `complete`.
    Complete,
}

impl fmt::Display for CallName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallName::Check => f.write_str("check"),
            CallName::Fetched => f.write_str("fetched"),
            CallName::Begin(stage) => write!(f, "begin {stage}"),
            CallName::End(stage) => write!(f, "end {stage}"),
            CallName::Fail(stage) => write!(f, "fail {stage}"),
            CallName::Reboot => f.write_str("reboot"),
            CallName::Complete => f.write_str("complete"),
        }
    }
}

impl CallName {
    /// A failed call as every report and verdict shows it, so that one
    /// form reads the same everywhere: the call as typed, then its exit
    /// status (`begin umount: exit 30`).
    pub(crate) fn failed_with(self, status: u8) -> String {
        format!("{self}: exit {status}")
    }
}

/// Why a kept copy of the config was removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RemovalCause {
    /// `complete`: the attempt finished (removed before `Completed`).
    Completed,
    /// The attempt is poisoned.
    Poisoned,
    /// An operator's `reset` ended the attempt.
    Reset,
    /// Keeping is switched off (`[Cache] KeepConfig=no`) while a copy was
    /// kept.
    Disabled,
    /// A copy the journal does not bind (left by a crash between the copy's
    /// rename and its record).
    Unbound,
    /// The bound copy is gone (a crash in the middle of an earlier removal,
    /// or someone removed it): the record says so.
    Missing,
    /// The file under the copy's name is not the bound copy: not a regular
    /// file, or another size or digest. Never restored.
    Mismatch,
    /// A config with another digest was fetched before any stage changed
    /// the machine: its copy is kept instead, and the old one is removed
    /// first, so that no record ever names bytes that are not on disk.
    Replaced,
}

impl RemovalCause {
    /// Every cause, in the order of their variant indices.
    pub const ALL: [RemovalCause; 8] = [
        RemovalCause::Completed,
        RemovalCause::Poisoned,
        RemovalCause::Reset,
        RemovalCause::Disabled,
        RemovalCause::Unbound,
        RemovalCause::Missing,
        RemovalCause::Mismatch,
        RemovalCause::Replaced,
    ];

    /// The cause as `dump` and JSON spell it.
    pub fn name(self) -> &'static str {
        match self {
            RemovalCause::Completed => "completed",
            RemovalCause::Poisoned => "poisoned",
            RemovalCause::Reset => "reset",
            RemovalCause::Disabled => "disabled",
            RemovalCause::Unbound => "unbound",
            RemovalCause::Missing => "missing",
            RemovalCause::Mismatch => "mismatch",
            RemovalCause::Replaced => "replaced",
        }
    }
}

impl fmt::Display for RemovalCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Event {
    /// A short name of the event's kind, as messages and `dump` show it.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::AttemptStarted { .. } => "attempt-started",
            Event::Restarted { .. } => "restarted",
            Event::BootRefused => "boot-refused",
            Event::ConfigFetched { .. } => "config-fetched",
            Event::StageBegan { .. } => "stage-began",
            Event::StageEnded { .. } => "stage-ended",
            Event::StageFailed { .. } => "stage-failed",
            Event::RebootPlanned { .. } => "reboot-planned",
            Event::Completed => "completed",
            Event::Poisoned { .. } => "poisoned",
            Event::Reset { .. } => "reset",
            Event::TailRepaired { .. } => "tail-repaired",
            Event::ConfigKept { .. } => "config-kept",
            Event::ConfigRestored { .. } => "config-restored",
            Event::KeptConfigRemoved { .. } => "kept-config-removed",
            Event::CallFailed { .. } => "call-failed",
        }
    }
}

/// When and on which boot a record was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[expect(
    clippy::exhaustive_structs,
    reason = "what a `Clock` makes: a clock outside the crate builds it field by field, and a record's stamp is fixed by the format"
)]
pub struct Stamp {
    /// The boot.
    pub boot_id: BootId,
    /// Wall-clock time, Unix milliseconds (the initramfs clock may be wrong).
    pub wall_ms: i64,
    /// `CLOCK_MONOTONIC` in nanoseconds: durations within one boot.
    pub mono_ns: u64,
}

/// A record as the journal holds it: its place in the sequence, its stamp
/// and its event.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[expect(
    clippy::exhaustive_structs,
    reason = "the transition function's input: a caller that checks a record before writing it builds it whole, and its parts are fixed by the format"
)]
pub struct Record {
    /// Sequence number: 0 for the first record, then one more each.
    pub seq: u64,
    /// When and where.
    pub stamp: Stamp,
    /// What.
    pub event: Event,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_id_parses_the_kernel_spelling() {
        let id = BootId::from_hex("0123abcd-4567-89ef-0123-456789abcdef").unwrap();
        assert_eq!(id.to_hex(), "0123abcd456789ef0123456789abcdef");
        assert_eq!(id.short(), "0123abcd");
        assert!(BootId::from_hex("xyz").is_none());
        assert!(Sha256::from_hex(&"0".repeat(63)).is_none());
    }

    /// [`RemovalCause::ALL`] lists the causes in their variant order (a
    /// new cause does not compile here until it is given its index).
    #[test]
    fn every_removal_cause_is_in_all_in_order() {
        let index = |cause: RemovalCause| match cause {
            RemovalCause::Completed => 0,
            RemovalCause::Poisoned => 1,
            RemovalCause::Reset => 2,
            RemovalCause::Disabled => 3,
            RemovalCause::Unbound => 4,
            RemovalCause::Missing => 5,
            RemovalCause::Mismatch => 6,
            RemovalCause::Replaced => 7,
        };
        for (at, cause) in RemovalCause::ALL.into_iter().enumerate() {
            assert_eq!(index(cause), at);
        }
    }
}
