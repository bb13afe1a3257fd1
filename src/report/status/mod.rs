//! `status`: the journal's state and what the next `check` would decide,
//! from one streaming, read-only pass; its JSON form is in `spec/DUMP.md`,
//! its text and one-line forms in `text`.

mod text;
mod unread;

pub use self::unread::Unread;

use std::io::{self, Write};

use serde::{Serialize, Serializer};

use crate::format::scan::TornTail;
use crate::host::config::PolicySettings;
use crate::model::stage::Stage;
use crate::model::state::{Progress, State, Step};
use crate::storage::Storage;

use super::failure::FailureLogView;
use super::verdict::{NextVerdict, next_check, next_provisioning_boot};
use super::walk::{self, Outcome, ReportError, Summary, walk};
use super::{boot_end, escape, human, json, open_for_reading, time, timeline};

/// The journal's state, as `status` tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JournalState {
    /// There is no journal: no attempt has begun.
    Absent,
    /// The state its trusted records replay to.
    Replayed(State),
}

impl JournalState {
    /// Its name, as `status --json` spells it: `absent`, or the state's
    /// ([`State::name`]).
    pub fn name(&self) -> &'static str {
        match self {
            JournalState::Absent => "absent",
            JournalState::Replayed(state) => state.name(),
        }
    }

    /// The state the records replay to, if there is a journal.
    pub fn replayed(&self) -> Option<&State> {
        match self {
            JournalState::Absent => None,
            JournalState::Replayed(state) => Some(state),
        }
    }
}

impl Serialize for JournalState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// The last record of a journal, as `status` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LastRecord {
    /// Its sequence number.
    pub seq: u64,
    /// The boot that wrote it (hex).
    pub boot_id: String,
    /// Its wall-clock time, RFC 3339 in UTC.
    pub wall: String,
    /// The same, in Unix milliseconds.
    pub wall_ms: i64,
}

/// The kept copy of the config a journal names, as `status` and `dump`
/// show it: its digest and size, never its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct KeptConfig {
    /// SHA-256 of the copy (hex).
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// Whether it was restored on the boot running the attempt.
    pub restored: bool,
}

impl KeptConfig {
    /// The copy `progress` names, if any.
    pub fn of(progress: &Progress) -> Option<KeptConfig> {
        progress.kept.map(|kept| KeptConfig {
            sha256: kept.sha256.to_hex(),
            size: kept.size,
            restored: progress.restored,
        })
    }
}

/// What `status` reports: the journal's state and what the next `check`
/// would decide. Its JSON form is in `spec/DUMP.md`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// Always [`STATUS_SCHEMA`].
    pub schema: &'static str,
    /// The journal's path.
    pub journal: String,
    /// [`JournalState::Absent`], or the state the trusted records replay
    /// to; `None` when the file header cannot be read (not a journal, or a
    /// newer format version), so there is no state to tell. The JSON has
    /// its name, and for a `mutating` state its stage and step besides.
    pub state: Option<JournalState>,
    /// The current attempt (0 before the first).
    pub epoch: u32,
    /// Boots the current attempt has run.
    pub boots: u32,
    /// Unplanned restarts in the current attempt.
    pub unplanned_restarts: u32,
    /// Planned reboots in the current attempt.
    pub planned_reboots: u32,
    /// Boots refused (and recorded) since the attempt stopped.
    pub refused_boots: u32,
    /// The config digest the attempt is bound to (hex).
    pub config_sha256: Option<String>,
    /// The kept copy of the config the journal names (`[Cache]
    /// KeepConfig=yes`), if any.
    pub kept_config: Option<KeptConfig>,
    /// `clean`, `torn_tail`, `corrupt` or `unsupported_version` (`null`
    /// when absent).
    pub outcome: Option<Outcome>,
    /// The torn tail the next `check` will see.
    pub torn_tail: Option<TornTail>,
    /// Trusted records.
    pub records: u64,
    /// The last trusted record.
    pub last_record: Option<LastRecord>,
    /// The next `check`'s verdict, or that it cannot read the journal.
    pub verdict: NextVerdict,
    /// Whether provisioning may go on: the verdict's answer, and no when
    /// `check` could not record a decision it must record
    /// ([`Status::set_read_only`]).
    pub may_proceed: bool,
    /// The verdict in words.
    pub explanation: String,
    /// What the operator can do.
    pub advice: String,
    /// The retry budgets the verdict was decided with, and where each
    /// came from.
    pub policy: PolicySettings,
    /// Whether that `check` appends a record (and so needs a writable
    /// journal).
    pub check_records: bool,
    /// Whether the journal's file system (or boot device) is read-only, so
    /// a `check` that records would be refused; set by whoever knows where
    /// the journal lives (the library reads only the file), with
    /// [`Status::set_read_only`].
    pub read_only: bool,
    /// A temporary file that a `check` cut off during a restore left beside
    /// `[Cache] RestoreTo` (it holds the config, in memory until
    /// switch-root), by path; set by whoever knows where restores go (the
    /// library reads only the journal).
    pub restore_leftover: Option<String>,
    /// The record that poisoned the attempt, machine-readable
    /// (`json::poison_json`); `None` unless the attempt is poisoned.
    pub poisoned_by: Option<serde_json::Value>,
    /// The last call of the attempt that failed after its boot's `check`
    /// and recorded it (`json::call_failure_json`), if any.
    pub call_failed: Option<serde_json::Value>,
    /// Every boot in one line, in order: where it got to and how it ended
    /// (the overview of `dump`, in words; the last [`OVERVIEW_BOOTS`]
    /// boots, after how many came before them).
    pub boots_overview: String,
    /// The failure log found beside the journal, if any (given to
    /// [`status_with`]): the text form names it and the record it was kept
    /// for, the JSON says the same without the log's text, and the advice
    /// points to `dump` for it.
    pub failure_log: Option<FailureLogView>,
}

/// How many boots, the last ones, the one-line overview of `status` names.
pub const OVERVIEW_BOOTS: usize = 12;

/// Collects the one-line overview of the boots as records stream past,
/// keeping only the last [`OVERVIEW_BOOTS`].
#[derive(Default)]
struct BootsOverview {
    timeline: timeline::Timeline,
    last: std::collections::VecDeque<String>,
    earlier: u64,
}

impl BootsOverview {
    fn record(&mut self, entry: &walk::Entry) {
        if let Some(finished) = self.timeline.push(entry).and_then(|pushed| pushed.finished) {
            self.boot(&finished, true);
        }
    }

    fn boot(&mut self, boot: &timeline::BootSummary, followed: bool) {
        let salvaged = if boot.salvaged { " (salvaged)" } else { "" };
        self.last.push_back(format!(
            "#{} {}{salvaged}",
            boot.number,
            boot_end::in_words(boot, followed)
        ));
        if self.last.len() > OVERVIEW_BOOTS {
            self.last.pop_front();
            self.earlier += 1;
        }
    }

    fn finish(mut self) -> String {
        if let Some(last) = self.timeline.finish() {
            self.boot(&last, false);
        }
        let boots = Vec::from(self.last).join("; ");
        match self.earlier {
            0 => boots,
            earlier => format!("({} before) {boots}", human::count(earlier, "boot")),
        }
    }
}

/// The `schema` field of `status --json`.
pub const STATUS_SCHEMA: &str = "provision-journal/status/1";

/// Reads the journal in `storage` (not yet opened) read-only, in one
/// streaming pass, and says what the next provisioning boot's `check` would
/// decide under `policy`.
///
/// # Errors
///
/// [`ReportError::NoJournal`] for a missing journal,
/// [`ReportError::Journal`] when reading its storage fails (damage in the
/// file is reported, not an error).
pub fn status<S: Storage + ?Sized>(
    storage: &mut S,
    policy: &PolicySettings,
) -> Result<Status, ReportError> {
    status_with(storage, policy, None)
}

/// [`status`], with the failure log found beside the journal: the status
/// names it, and the advice points to it when its header names a record of
/// this journal.
///
/// # Errors
///
/// As [`status`].
pub fn status_with<S: Storage + ?Sized>(
    storage: &mut S,
    policy: &PolicySettings,
    failure_log: Option<&FailureLogView>,
) -> Result<Status, ReportError> {
    let context = &next_provisioning_boot(policy.policy());
    let journal = storage.path().to_string();
    let absent = !open_for_reading(storage)?;
    let (summary, overview) = if absent {
        (Summary::empty(0), String::new())
    } else {
        let mut overview = BootsOverview::default();
        let summary = walk(storage, &mut |item| {
            if let walk::Item::Record(entry) = item {
                overview.record(&entry);
            }
            Ok(())
        })?;
        (summary, overview.finish())
    };
    let next = next_check(
        &summary,
        context,
        failure_log.and_then(FailureLogView::bound_record),
    );
    let progress = &summary.progress;
    let state = match (absent, summary.header) {
        (true, _) => Some(JournalState::Absent),
        (false, Some(_)) => Some(JournalState::Replayed(progress.state)),
        (false, None) => None,
    };
    Ok(Status {
        schema: STATUS_SCHEMA,
        journal,
        state,
        epoch: progress.epoch,
        boots: progress.boots,
        unplanned_restarts: progress.unplanned_restarts,
        planned_reboots: progress.planned_reboots,
        refused_boots: progress.refused_boots,
        config_sha256: progress.config.map(|config| config.to_hex()),
        kept_config: KeptConfig::of(progress),
        outcome: (!absent).then_some(summary.outcome),
        torn_tail: summary.torn,
        records: summary.trusted_records,
        last_record: progress.last.map(|last| LastRecord {
            seq: last.seq,
            boot_id: last.boot.to_hex(),
            wall: time::Utc::from_unix_ms(last.wall_ms).rfc3339(),
            wall_ms: last.wall_ms,
        }),
        may_proceed: next.verdict.may_proceed(),
        verdict: next.verdict,
        explanation: next.explanation,
        advice: next.advice,
        policy: policy.clone(),
        check_records: next.records,
        read_only: false,
        restore_leftover: None,
        poisoned_by: progress
            .poison
            .as_ref()
            .map(|poison| json::poison_json(poison, summary.mutated_stage)),
        call_failed: progress.call_failure.as_ref().map(json::call_failure_json),
        boots_overview: overview,
        failure_log: failure_log.cloned(),
    })
}

impl Status {
    /// Says whether the journal's file system (or boot device) is
    /// read-only, as whoever knows where the journal lives finds it. A
    /// `check` that must record its decision is then refused (exit 42), so
    /// provisioning stops, and the explanation and advice say so; the
    /// verdict stays the one a writable journal would get.
    pub fn set_read_only(&mut self, read_only: bool) {
        self.read_only = read_only;
        if !(read_only && self.check_records) {
            return;
        }
        self.may_proceed = false;
        self.explanation = format!(
            "the journal's file system is read-only, so `check` cannot record its decision and stops provisioning (exit 42); with a writable journal it would decide: {}",
            self.explanation
        );
        self.advice = "Make the boot partition writable (a read-only mount, a write-protected device or a file system the kernel set read-only after errors), then boot again.".to_owned();
    }

    /// The stage and step of a `mutating` state.
    pub fn stage_step(&self) -> Option<(Stage, Step)> {
        match self.state?.replayed()? {
            State::Mutating { stage, step } => Some((*stage, *step)),
            State::Fresh | State::Fetched | State::Complete | State::Poisoned => None,
        }
    }

    /// Writes the status as one line of terminal-safe JSON.
    ///
    /// # Errors
    ///
    /// The writer's error.
    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        escape::write_json(out, self)?;
        writeln!(out)
    }
}

/// The JSON form of [`Status`] (`spec/DUMP.md`): its fields, the state's
/// name and a mutating state's stage and step each a field of its own.
#[derive(Serialize)]
struct StatusJson<'s> {
    schema: &'static str,
    journal: &'s str,
    state: Option<JournalState>,
    stage: Option<Stage>,
    step: Option<Step>,
    epoch: u32,
    boots: u32,
    unplanned_restarts: u32,
    planned_reboots: u32,
    refused_boots: u32,
    config_sha256: &'s Option<String>,
    kept_config: &'s Option<KeptConfig>,
    outcome: Option<Outcome>,
    torn_tail: Option<TornTail>,
    records: u64,
    last_record: &'s Option<LastRecord>,
    verdict: &'s NextVerdict,
    may_proceed: bool,
    explanation: &'s str,
    advice: &'s str,
    policy: &'s PolicySettings,
    check_records: bool,
    read_only: bool,
    restore_leftover: &'s Option<String>,
    poisoned_by: &'s Option<serde_json::Value>,
    call_failed: &'s Option<serde_json::Value>,
    boots_overview: &'s str,
    failure_log: Option<serde_json::Value>,
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let stage_step = self.stage_step();
        StatusJson {
            schema: self.schema,
            journal: &self.journal,
            state: self.state,
            stage: stage_step.map(|(stage, _)| stage),
            step: stage_step.map(|(_, step)| step),
            epoch: self.epoch,
            boots: self.boots,
            unplanned_restarts: self.unplanned_restarts,
            planned_reboots: self.planned_reboots,
            refused_boots: self.refused_boots,
            config_sha256: &self.config_sha256,
            kept_config: &self.kept_config,
            outcome: self.outcome,
            torn_tail: self.torn_tail,
            records: self.records,
            last_record: &self.last_record,
            verdict: &self.verdict,
            may_proceed: self.may_proceed,
            explanation: &self.explanation,
            advice: &self.advice,
            policy: &self.policy,
            check_records: self.check_records,
            read_only: self.read_only,
            restore_leftover: &self.restore_leftover,
            poisoned_by: &self.poisoned_by,
            call_failed: &self.call_failed,
            boots_overview: &self.boots_overview,
            failure_log: self
                .failure_log
                .as_ref()
                .map(FailureLogView::reference_json),
        }
        .serialize(serializer)
    }
}
