//! The text and one-line forms of `status`: one `name: value` field a
//! line, or one line of space-separated facts per journal. The verdict and
//! its words are the library's ([`Status`]); what the running system adds
//! (the boot device, the first-boot signals, a vfat boot partition) comes
//! from the configuration and the caller.

use std::io::{self, Write};

use crate::classify::Verdict;
use crate::host::config::Config;
use crate::model::state::{BootStop, State};

use super::super::human::{count, write_wrapped};
use super::super::time::Utc;
use super::super::verdict::policy_words;
use super::super::walk::Outcome;
use super::{JournalState, Status};

impl Status {
    /// The one-line form: `PATH STATE DECISION LAST_BOOT LAST_STAGE
    /// OUTCOME`, `-` for what there is none of, the path escaped so that
    /// it is one word (`printf '%b'` turns it back).
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn write_oneline(&self, out: &mut dyn Write) -> io::Result<()> {
        let path = one_word(&self.journal);
        let state = self.state.map_or("unreadable", |state| state.name());
        let last_boot = self
            .last_record
            .as_ref()
            .map_or("-", |last| last.boot_id.as_str());
        let stage = match (self.stage_step(), &self.poisoned_by) {
            (Some((stage, step)), _) => format!("{stage}/{step}"),
            (None, Some(poison)) => format!(
                "{}/{}",
                poison["stage"].as_str().unwrap_or("-"),
                poison["cause"].as_str().unwrap_or("poisoned")
            ),
            (None, None) => "-".to_owned(),
        };
        let outcome = self.outcome.map_or("absent", Outcome::name);
        writeln!(
            out,
            "{path} {state} {} {last_boot} {stage} {outcome}",
            self.verdict.name()
        )
    }

    /// The text form: one `name: value` field a line, wrapped to 80
    /// columns. `config` names the boot device and the first-boot signals;
    /// `on_vfat` says the journal is on a vfat boot partition (which stores
    /// no file modes).
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn write_text(
        &self,
        config: &Config,
        on_vfat: bool,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        field(out, "journal", &self.journal)?;
        if let Some(device) = &config.device.value {
            field(out, "device", device.as_str())?;
        }
        field(out, "first boot", &config.signals.describe_firstboot())?;
        field(out, "policy", &policy_words(&self.policy))?;
        if on_vfat {
            field(
                out,
                "note",
                "the journal is on vfat, which stores no file modes: who may read it is the mount's business, not the file's 0600 (spec/FORMAT.md, \"On a vfat boot partition\")",
            )?;
        }
        if let Some(temp) = &self.restore_leftover {
            field(
                out,
                "leftover",
                &format!(
                    "`{temp}` is the temporary file of a restore of the kept config that was cut off: it holds the config, in memory until switch-root; the next writer of this boot with [Cache] KeepConfig=yes removes it"
                ),
            )?;
        }
        let Some(outcome) = self.outcome else {
            field(out, "state", "absent (no journal yet)")?;
            field(out, "next check", &self.explanation)?;
            return field(out, "to do", &self.advice);
        };
        let Some(state) = self.state else {
            field(
                out,
                "state",
                "unknown (the file cannot be read as a journal of this version)",
            )?;
            field(out, "next check", &self.explanation)?;
            return field(out, "to do", &self.advice);
        };
        let state_words = match self.stage_step() {
            Some((stage, step)) => format!("{} ({stage} {step})", state.name()),
            None => state.name().to_owned(),
        };
        field(out, "state", &state_words)?;
        field(out, "attempt", &self.attempt_words())?;
        if !self.boots_overview.is_empty() {
            field(out, "boots", &self.boots_overview)?;
        }
        if let Some(digest) = &self.config_sha256 {
            field(out, "config", digest)?;
        }
        if let Some(kept) = &self.kept_config {
            field(
                out,
                "kept copy",
                &format!(
                    "SHA-256 {}, {}, beside the journal until the attempt ends{}",
                    kept.sha256,
                    count(kept.size, "byte"),
                    if kept.restored {
                        " (restored on the boot running the attempt)"
                    } else {
                        ""
                    }
                ),
            )?;
        }
        if let Some(failure_log) = &self.failure_log {
            field(
                out,
                "log",
                &format!(
                    "{} `provision-journal dump` shows it.",
                    failure_log.describe()
                ),
            )?;
        }
        match &self.last_record {
            Some(last) => field(
                out,
                "records",
                &format!(
                    "{} (the last, #{}, by boot {} at {})",
                    self.records,
                    last.seq,
                    last.boot_id,
                    Utc::from_unix_ms(last.wall_ms).long()
                ),
            )?,
            None => field(out, "records", &self.records.to_string())?,
        }
        if let Some(torn) = self.torn_tail {
            field(
                out,
                "torn tail",
                &format!(
                    "{} at offset {}: an interrupted append (the next write cuts it off), or the copy is incomplete",
                    count(torn.len, "byte"),
                    torn.offset
                ),
            )?;
        }
        // The classifier speaks of the next boot, on which a stage the
        // records leave open is an interruption; today that boot may still
        // be running.
        let readable = matches!(outcome, Outcome::Clean | Outcome::TornTail);
        let stop = state.replayed().and_then(BootStop::of_state);
        let open = match (stop, &self.last_record) {
            (Some(BootStop::InStage(stage)), Some(last)) if readable => Some(format!(
                "stage {stage} has begun and no end or fail record follows (the last record is #{}, by boot {}): either that boot is still running {stage}, or it was interrupted",
                last.seq, last.boot_id
            )),
            (Some(BootStop::AfterStage(stage)), Some(last)) if readable => Some(format!(
                "stage {stage} has ended, past the red line, and no later stage or complete record follows (the last record is #{}, by boot {}): either that boot is still running, or it was interrupted",
                last.seq, last.boot_id
            )),
            _ => None,
        };
        match open {
            Some(open) => {
                field(out, "last boot", &open)?;
                field(
                    out,
                    "next check",
                    &format!(
                        "on a new boot, that boot counts as interrupted: {}",
                        self.explanation
                    ),
                )?;
            }
            None => field(out, "next check", &self.explanation)?,
        }
        field(out, "to do", &self.advice)
    }
}

impl Status {
    /// The `attempt:` field: the attempt's number and what ran it, or,
    /// when no attempt is open (an empty journal, or right after a
    /// `reset`), which attempt the next provisioning boot starts.
    fn attempt_words(&self) -> String {
        let awaits_attempt =
            self.boots == 0 && matches!(self.state, Some(JournalState::Replayed(State::Fresh)));
        if awaits_attempt {
            let next = match self.verdict.verdict() {
                Some(Verdict::FirstRun { epoch }) => *epoch,
                _ => self.epoch + 1,
            };
            return match self.epoch {
                0 => format!("none yet; the next provisioning boot starts attempt {next}"),
                epoch => {
                    format!("{epoch}, reset; the next provisioning boot starts attempt {next}")
                }
            };
        }
        let refused = match self.refused_boots {
            0 => String::new(),
            n => format!("; since it stopped, {} refused", count(n, "boot")),
        };
        format!(
            "{} (run by {}: {}, {}{refused})",
            self.epoch,
            count(self.boots, "boot"),
            count(self.unplanned_restarts, "unplanned restart"),
            count(self.planned_reboots, "planned reboot")
        )
    }
}

/// One `name: value` field of the text form, wrapped to 80 columns with its
/// value's lines aligned.
fn field(out: &mut dyn Write, name: &str, value: &str) -> io::Result<()> {
    write_wrapped(out, &format!("{:<12}", format!("{name}:")), value)
}

/// `path` as one word that `printf '%b'` turns back into it: a backslash
/// doubled, a tab, newline or carriage return as `\t`, `\n`, `\r`, and
/// each byte of any other white space or control character as `\xHH`
/// (a space is `\x20`).
pub(super) fn one_word(path: &str) -> String {
    let mut word = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '\\' => word.push_str("\\\\"),
            '\t' => word.push_str("\\t"),
            '\n' => word.push_str("\\n"),
            '\r' => word.push_str("\\r"),
            c if c.is_whitespace() || c.is_control() => {
                for byte in c.encode_utf8(&mut [0; 4]).bytes() {
                    word.push_str(&format!("\\x{byte:02x}"));
                }
            }
            c => word.push(c),
        }
    }
    word
}
