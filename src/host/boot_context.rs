//! What the running system says about this boot: its ID, its kernel command
//! line, the firstboot stamp and whether it is a live system.
//!
//! The classifier is pure and takes a [`BootContext`]; this module is where
//! that context is read from `/proc` and from beside the journal. Every
//! input can be overridden through the environment, so tests and support
//! engineers can replay a boot that is not the running one:
//!
//! | Variable | Replaces |
//! |---|---|
//! | `PROVISION_JOURNAL_BOOT_ID` | `/proc/sys/kernel/random/boot_id` |
//! | `PROVISION_JOURNAL_CMDLINE` | `/proc/cmdline` |
//! | `PROVISION_JOURNAL_LIVE` | live detection from the command line (`1` or `0`) |
//!
//! Which kernel arguments and which stamp mean what is the distribution's
//! to say ([`Signals`], from `crate::config`).

use std::io::{self, Read};

use camino::{Utf8Path, Utf8PathBuf};

use crate::classify::{BootContext, Policy};
use crate::host::config::Signals;
use crate::model::event::BootId;
use crate::model::text::clip_text;

/// Where the kernel publishes this boot's ID.
pub const BOOT_ID_PATH: &str = "/proc/sys/kernel/random/boot_id";
/// Where the kernel publishes its command line.
pub const CMDLINE_PATH: &str = "/proc/cmdline";
/// The environment variable that replaces the boot ID.
pub const BOOT_ID_ENV: &str = "PROVISION_JOURNAL_BOOT_ID";
/// The environment variable that replaces the kernel command line.
pub const CMDLINE_ENV: &str = "PROVISION_JOURNAL_CMDLINE";
/// The environment variable that overrides live-system detection.
pub const LIVE_ENV: &str = "PROVISION_JOURNAL_LIVE";
/// The kernel argument a developer adds to rerun a completed provisioning:
/// `provision_journal.rerun=TOKEN`. Each token is honoured once.
pub const RERUN_ARG: &str = "provision_journal.rerun";

/// Why the boot context could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BootContextError {
    /// A file under `/proc` could not be read.
    #[error("failed to read `{path}`: {source}")]
    Read {
        /// The file.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The boot ID is not 32 hex digits.
    #[error("boot ID {text:?} from {origin} is not a UUID (32 hex digits)")]
    BadBootId {
        /// What was read.
        text: String,
        /// Where it came from.
        origin: String,
    },
    /// `PROVISION_JOURNAL_LIVE` is neither `1` nor `0`.
    #[error("{LIVE_ENV}={text:?} must be 1 or 0")]
    BadLiveOverride {
        /// What was set.
        text: String,
    },
    /// The firstboot stamp's directory could not be examined.
    #[error("failed to look for the firstboot stamp `{path}`: {source}")]
    Stamp {
        /// The stamp's path.
        path: Utf8PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// What the kernel command line says, parsed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CmdlineFacts {
    /// One of the first-boot arguments is present.
    pub firstboot: bool,
    /// One of the live arguments is present.
    pub live: bool,
    /// The last `provision_journal.rerun=TOKEN`, if any (clipped like any
    /// recorded text).
    pub rerun_token: Option<String>,
}

/// Parses the arguments this tool cares about from a kernel command line,
/// with the distribution's `signals`. Arguments are separated by white
/// space; quoting is not interpreted (none of these arguments needs it).
pub(crate) fn parse_cmdline(cmdline: &str, signals: &Signals) -> CmdlineFacts {
    let mut facts = CmdlineFacts::default();
    let any = |list: &[crate::host::config::KernelArgument], argument: &str| {
        list.iter().any(|wanted| wanted.matches(argument))
    };
    for argument in cmdline.split_whitespace() {
        facts.firstboot |= any(&signals.firstboot_arguments.value, argument);
        facts.live |= any(&signals.live_arguments.value, argument);
        if let Some((RERUN_ARG, value)) = argument.split_once('=') {
            facts.rerun_token = Some(value).filter(|token| !token.is_empty()).map(clip_text);
        }
    }
    facts
}

/// The raw inputs of a boot context, before they are combined.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_structs,
    reason = "what a boot says, which callers and tests state field by field for a boot that is not the running one"
)]
pub struct BootInputs {
    /// The boot ID.
    pub boot_id: BootId,
    /// The kernel command line text.
    pub cmdline: String,
    /// Whether the firstboot stamp exists beside the journal.
    pub firstboot_stamp: bool,
    /// `PROVISION_JOURNAL_LIVE`, if set.
    pub live_override: Option<bool>,
    /// How the distribution marks a provisioning boot and a live system.
    pub signals: Signals,
    /// The limits the classifier enforces.
    pub policy: Policy,
}

impl BootInputs {
    /// Reads every input from the running system and the environment.
    /// `journal` locates the firstboot stamp (in the journal's directory).
    ///
    /// # Errors
    ///
    /// [`BootContextError`] when an input cannot be read or is malformed.
    pub fn read(
        journal: &Utf8Path,
        signals: &Signals,
        policy: Policy,
    ) -> Result<Self, BootContextError> {
        let mut inputs = Self::read_system(read_cmdline()?, signals, policy)?;
        inputs.firstboot_stamp = firstboot_stamp_exists(journal, signals)?;
        Ok(inputs)
    }

    /// Reads the inputs that do not depend on where the journal is: the
    /// boot ID and the live override, with `cmdline` as the caller read it
    /// ([`read_cmdline`], once per call). The firstboot stamp is left unset
    /// (see [`firstboot_stamp_exists`]).
    ///
    /// # Errors
    ///
    /// [`BootContextError`] when an input cannot be read or is malformed.
    pub fn read_system(
        cmdline: String,
        signals: &Signals,
        policy: Policy,
    ) -> Result<Self, BootContextError> {
        let boot_id = read_boot_id()?;
        let live_override = match std::env::var(LIVE_ENV) {
            Ok(text) => Some(match text.trim() {
                "1" => true,
                "0" => false,
                _ => return Err(BootContextError::BadLiveOverride { text }),
            }),
            Err(_) => None,
        };
        Ok(BootInputs {
            boot_id,
            cmdline,
            firstboot_stamp: false,
            live_override,
            signals: signals.clone(),
            policy,
        })
    }

    /// Whether this is a live system: the override if set, else the
    /// command line.
    pub fn is_live(&self) -> bool {
        self.live_override
            .unwrap_or_else(|| parse_cmdline(&self.cmdline, &self.signals).live)
    }

    /// The context the classifier decides this boot with.
    pub fn context(&self) -> BootContext {
        let facts = parse_cmdline(&self.cmdline, &self.signals);
        BootContext {
            boot_id: Some(self.boot_id),
            live: self.is_live(),
            firstboot: facts.firstboot || self.firstboot_stamp,
            rerun_token: facts.rerun_token,
            policy: self.policy,
        }
    }
}

impl BootInputs {
    /// What marks this boot as a provisioning boot, in words: the
    /// first-boot arguments found on its command line (as typed there) and
    /// the stamp, when it was found beside the journal; empty when nothing
    /// does.
    pub fn firstboot_markers(&self) -> Vec<String> {
        let mut markers: Vec<String> = self
            .cmdline
            .split_whitespace()
            .filter(|argument| {
                self.signals
                    .firstboot_arguments
                    .value
                    .iter()
                    .any(|wanted| wanted.matches(argument))
            })
            .map(|argument| format!("the kernel argument `{}`", clip_text(argument)))
            .collect();
        if let (true, Some(stamp)) = (self.firstboot_stamp, &self.signals.firstboot_stamp.value) {
            markers.push(format!("the stamp `{stamp}` beside the journal"));
        }
        markers
    }
}

/// Whether the running system is live, from the environment override or
/// the command line `cmdline` alone (no boot ID or journal needed).
///
/// # Errors
///
/// [`BootContextError::BadLiveOverride`] when the override is malformed.
pub fn running_system_is_live(signals: &Signals, cmdline: &str) -> Result<bool, BootContextError> {
    if let Ok(text) = std::env::var(LIVE_ENV) {
        return match text.trim() {
            "1" => Ok(true),
            "0" => Ok(false),
            _ => Err(BootContextError::BadLiveOverride { text }),
        };
    }
    Ok(parse_cmdline(cmdline, signals).live)
}

/// The kernel command line, from `PROVISION_JOURNAL_CMDLINE` or the kernel.
///
/// # Errors
///
/// [`BootContextError::Read`] when `/proc/cmdline` cannot be read.
pub fn read_cmdline() -> Result<String, BootContextError> {
    match std::env::var(CMDLINE_ENV) {
        Ok(text) => Ok(text),
        Err(_) => read_proc(CMDLINE_PATH),
    }
}

/// This boot's ID, from `PROVISION_JOURNAL_BOOT_ID` or the kernel.
///
/// # Errors
///
/// [`BootContextError`] when neither the variable nor the kernel gives a
/// boot ID in the expected form.
pub fn read_boot_id() -> Result<BootId, BootContextError> {
    let (text, origin) = match std::env::var(BOOT_ID_ENV) {
        Ok(text) => (text, BOOT_ID_ENV.to_owned()),
        Err(_) => (read_proc(BOOT_ID_PATH)?, format!("`{BOOT_ID_PATH}`")),
    };
    BootId::from_hex(text.trim()).ok_or(BootContextError::BadBootId { text, origin })
}

/// Whether the firstboot stamp of `signals` exists beside `journal` (a
/// symbolic link counts, whatever it points to); false when no stamp is
/// configured.
///
/// # Errors
///
/// [`BootContextError::Stamp`] when its directory cannot be examined.
pub fn firstboot_stamp_exists(
    journal: &Utf8Path,
    signals: &Signals,
) -> Result<bool, BootContextError> {
    let Some(stamp) = firstboot_stamp_path(journal, signals) else {
        return Ok(false);
    };
    match std::fs::symlink_metadata(&stamp) {
        Ok(_) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(BootContextError::Stamp {
            path: stamp,
            source,
        }),
    }
}

/// The firstboot stamp of `signals` beside `journal`, if one is configured.
pub(crate) fn firstboot_stamp_path(journal: &Utf8Path, signals: &Signals) -> Option<Utf8PathBuf> {
    let stamp = signals.firstboot_stamp.value.as_ref()?;
    Some(match journal.parent() {
        Some(dir) if !dir.as_str().is_empty() => dir.join(stamp),
        _ => stamp.clone(),
    })
}

fn read_proc(path: &str) -> Result<String, BootContextError> {
    // A /proc file reports a size of 0, so asking for it (as
    // `fs::read_to_string` does) costs a `statx` and small probing reads.
    // Through `take`, nothing is asked; one page takes the whole file.
    let mut text = String::with_capacity(4096);
    std::fs::File::open(path)
        .and_then(|file| file.take(u64::MAX).read_to_string(&mut text))
        .map_err(|source| BootContextError::Read {
            path: path.into(),
            source,
        })?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdline_arguments_are_recognised_whole() {
        let parse_cmdline = |cmdline| super::parse_cmdline(cmdline, &Signals::default());
        let facts = parse_cmdline(
            "BOOT_IMAGE=/vmlinuz ignition.firstboot ignition.platform.id=qemu provision_journal.rerun=dev-7",
        );
        assert!(facts.firstboot);
        assert!(!facts.live);
        assert_eq!(facts.rerun_token.as_deref(), Some("dev-7"));

        let facts = parse_cmdline("ignition.firstboot=1 coreos.liveiso=fedora-coreos-40");
        assert!(facts.firstboot);
        assert!(facts.live);

        let facts = parse_cmdline(
            "ignition.firstbootx coreos.live.rootfs_url=http://x provision_journal.rerun=",
        );
        assert!(!facts.firstboot);
        assert!(facts.live);
        assert_eq!(facts.rerun_token, None);
    }

    #[test]
    fn stamp_or_argument_makes_a_firstboot_and_override_wins_over_cmdline() {
        let mut inputs = BootInputs {
            boot_id: BootId([3; 16]),
            cmdline: "quiet coreos.liveiso=x".into(),
            firstboot_stamp: true,
            live_override: None,
            signals: Signals::default(),
            policy: Policy::default(),
        };
        let context = inputs.context();
        assert!(context.firstboot);
        assert!(context.live);
        assert_eq!(context.boot_id, Some(BootId([3; 16])));
        inputs.live_override = Some(false);
        inputs.firstboot_stamp = false;
        let context = inputs.context();
        assert!(!context.live);
        assert!(!context.firstboot);
    }

    #[test]
    fn stamp_is_looked_up_beside_the_journal() {
        let signals = Signals::default();
        assert_eq!(
            firstboot_stamp_path(Utf8Path::new("/boot/provision-journal"), &signals),
            Some(Utf8PathBuf::from("/boot/ignition.firstboot"))
        );
        assert_eq!(
            firstboot_stamp_path(Utf8Path::new("journal"), &signals),
            Some(Utf8PathBuf::from("ignition.firstboot"))
        );
        let mut flatcar = Signals::default();
        flatcar.firstboot_stamp.value = Some("flatcar/first_boot".into());
        assert_eq!(
            firstboot_stamp_path(Utf8Path::new("/boot/provision-journal"), &flatcar),
            Some(Utf8PathBuf::from("/boot/flatcar/first_boot"))
        );
        flatcar.firstboot_stamp.value = None;
        assert_eq!(
            firstboot_stamp_path(Utf8Path::new("/boot/j"), &flatcar),
            None
        );
    }
}
