//! The post-mortem report behind `dump` and `status`: what happened, on
//! which boot, in which stage, and why the machine now does (or does not)
//! provision.
//!
//! A support engineer often gets nothing but the journal file, copied off a
//! machine that will not boot. So the report must answer from the file
//! alone, and must cope with any file:
//!
//! - It never writes: the journal is opened [`Access::Read`], without the
//!   lock a running hook takes, so it works on a copy, on a read-only
//!   mount, and next to a running provisioning.
//! - It streams: each part of the report is one pass over the file
//!   (`walk`), which holds one read window and one boot's summary, never
//!   the records, so memory is flat for a journal of any size.
//! - It keeps reading past damage (`salvage`) and marks what it finds
//!   there as untrusted.
//! - It trusts no byte of the file: every string from it is escaped before
//!   it reaches a terminal (`escape`), and record kinds of a newer version
//!   are shown as unknown.
//! - It decides nothing itself: the trusted records go through the one
//!   [`transition`](crate::transition()) function, and the verdict is the
//!   one [`classify`](crate::classify()) gives for the next boot.
//!
//! Wall-clock times are shown in UTC, so the report reads the same on every
//! machine; durations come from each boot's monotonic clock. The JSON
//! schema is `spec/DUMP.md`.

mod boot_end;
pub(crate) mod escape;
mod failure;
mod human;
mod json;
mod salvage;
mod snapshot;
mod time;
mod timeline;
mod verdict;
mod walk;

use std::io::{self, Write};

use serde::Serialize;

use crate::format::error::{JournalError, StorageOp};
use crate::host::config::PolicySettings;

use crate::storage::{Access, Storage};

use self::snapshot::Snapshot;

pub use self::failure::{FailureLogView, is_bound, stopped_on};
pub use self::human::{count, write_wrapped};
pub use self::time::Utc;
pub use self::verdict::{
    StopCause, describe_poison_cause, next_provisioning_boot, policy_words, stop_advice,
};
pub use self::walk::{Damage, Outcome, ReportError};

use self::verdict::next_check;
use self::walk::{Summary, walk};

fn open_for_reading<S: Storage + ?Sized>(storage: &mut S) -> Result<bool, JournalError> {
    storage
        .open(Access::Read)
        .map_err(|source| JournalError::storage(storage, StorageOp::Open, source))
}

/// Fixes the length every pass of a report reads up to.
fn take_snapshot<S: Storage + ?Sized>(storage: &mut S) -> Result<Snapshot<'_, S>, ReportError> {
    let len = storage
        .file_len()
        .map_err(|source| JournalError::storage(storage, StorageOp::Read, source))?;
    Ok(Snapshot::new(storage, len))
}

fn require_journal<S: Storage + ?Sized>(storage: &mut S) -> Result<(), ReportError> {
    if open_for_reading(storage)? {
        return Ok(());
    }
    Err(ReportError::NoJournal {
        path: storage.path().to_owned(),
    })
}

/// Writes the human report of the journal in `storage` (not yet opened) to
/// `out`, and says how far the journal can be trusted. A missing journal is
/// [`ReportError::NoJournal`].
///
/// # Errors
///
/// [`ReportError::NoJournal`] for a missing journal,
/// [`ReportError::Journal`] when reading its storage fails (damage in the
/// file is reported, not an error), [`ReportError::Output`] when
/// writing to `out` fails.
pub fn dump_human<S: Storage + ?Sized>(
    storage: &mut S,
    policy: &PolicySettings,
    out: &mut dyn Write,
) -> Result<Outcome, ReportError> {
    dump_human_with(storage, policy, None, out)
}

/// [`dump_human`], with the failure log found beside the journal shown in
/// a FAILURE LOG part before NEXT CHECK.
///
/// # Errors
///
/// As [`dump_human`].
pub fn dump_human_with<S: Storage + ?Sized>(
    storage: &mut S,
    policy: &PolicySettings,
    failure_log: Option<&FailureLogView>,
    out: &mut dyn Write,
) -> Result<Outcome, ReportError> {
    require_journal(storage)?;
    let mut snapshot = take_snapshot(storage)?;
    Ok(human::write(&mut snapshot, policy, failure_log, out)?.outcome)
}

/// Writes the JSON report (`spec/DUMP.md`) of the journal in `storage` (not
/// yet opened) to `out`. A missing journal is [`ReportError::NoJournal`].
///
/// # Errors
///
/// [`ReportError::NoJournal`] for a missing journal,
/// [`ReportError::Journal`] when reading its storage fails (damage in the
/// file is reported, not an error), [`ReportError::Output`] when
/// writing to `out` fails.
pub fn dump_json<S: Storage + ?Sized>(
    storage: &mut S,
    policy: &PolicySettings,
    out: &mut dyn Write,
) -> Result<Outcome, ReportError> {
    dump_json_with(storage, policy, None, out)
}

/// [`dump_json`], with the failure log found beside the journal as the
/// `failure_log` field (present only then).
///
/// # Errors
///
/// As [`dump_json`].
pub fn dump_json_with<S: Storage + ?Sized>(
    storage: &mut S,
    policy: &PolicySettings,
    failure_log: Option<&FailureLogView>,
    out: &mut dyn Write,
) -> Result<Outcome, ReportError> {
    require_journal(storage)?;
    let mut snapshot = take_snapshot(storage)?;
    Ok(json::write(&mut snapshot, policy, failure_log, out)?.outcome)
}

/// How far the journal in `storage` (not yet opened) can be trusted, from
/// one silent pass: the outcome [`dump_human`] would report. A missing
/// journal is [`ReportError::NoJournal`].
///
/// # Errors
///
/// [`ReportError::NoJournal`] for a missing journal,
/// [`ReportError::Journal`] when reading its storage fails (damage in the
/// file is reported, not an error).
pub fn outcome<S: Storage + ?Sized>(storage: &mut S) -> Result<Outcome, ReportError> {
    require_journal(storage)?;
    Ok(walk(storage, &mut |_| Ok(()))?.outcome)
}

/// Why the attempt in the journal in `storage` (not yet opened) is
/// poisoned, in words, from one silent pass; `None` when it is not. A
/// missing journal is [`ReportError::NoJournal`].
///
/// # Errors
///
/// [`ReportError::NoJournal`] for a missing journal,
/// [`ReportError::Journal`] when reading its storage fails (damage in the
/// file is reported, not an error).
pub fn poison_cause<S: Storage + ?Sized>(storage: &mut S) -> Result<Option<String>, ReportError> {
    require_journal(storage)?;
    let summary = walk(storage, &mut |_| Ok(()))?;
    Ok(summary
        .progress
        .poison
        .as_ref()
        .map(|poison| verdict::describe_poison_cause(poison, summary.mutated_stage)))
}

/// `problem`, found at `offset` of the journal in `storage` (not yet
/// opened), in the words the report uses (`describe_corruption`): the
/// damaged record is read again to name its kind.
///
/// # Errors
///
/// The storage's failure to open or read the file.
pub fn describe_damage_at<S: Storage + ?Sized>(
    storage: &mut S,
    offset: u64,
    problem: crate::format::error::Corruption,
) -> Result<Damage, ReportError> {
    require_journal(storage)?;
    let file_len = storage
        .file_len()
        .map_err(|source| JournalError::storage(storage, StorageOp::Read, source))?;
    Ok(walk::damage(storage, offset, problem, file_len)?)
}

/// The last record of a journal, as `status` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    pub fn of(progress: &crate::model::state::Progress) -> Option<KeptConfig> {
        progress.kept.map(|kept| KeptConfig {
            sha256: kept.sha256.to_hex(),
            size: kept.size,
            restored: progress.restored,
        })
    }
}

/// What `status` reports: the journal's state and what the next `check`
/// would decide. Its JSON form is in `spec/DUMP.md`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Always [`STATUS_SCHEMA`].
    pub schema: &'static str,
    /// The journal's path.
    pub journal: String,
    /// `absent`, or the state the trusted records replay to: `fresh`,
    /// `fetched`, `mutating`, `complete`, `poisoned`; `None` when the file
    /// header cannot be read (not a journal, or a newer format version), so
    /// there is no state to tell.
    pub state: Option<&'static str>,
    /// The stage of a `mutating` state.
    pub stage: Option<crate::model::stage::Stage>,
    /// `running`, `ended` or `failed` for a `mutating` state.
    pub step: Option<&'static str>,
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
    pub torn_tail: Option<crate::format::scan::TornTail>,
    /// Trusted records.
    pub records: u64,
    /// The last trusted record.
    pub last_record: Option<LastRecord>,
    /// The next `check`'s verdict (`corrupt_journal` or
    /// `unsupported_version` when it cannot read the journal).
    pub verdict: &'static str,
    /// Whether provisioning may go on.
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
    /// the journal lives (the library reads only the file).
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
    let context = &next_provisioning_boot(policy.policy());
    let journal = storage.path().to_string();
    if !open_for_reading(storage)? {
        let summary = Summary {
            header: None,
            file_len: 0,
            outcome: Outcome::Clean,
            progress: crate::model::state::Progress::default(),
            torn: None,
            corruption: None,
            unsupported_version: None,
            trusted_records: 0,
            salvaged_records: 0,
            anomalies: 0,
            mutated_stage: None,
            evidence: Default::default(),
        };
        let next = next_check(&summary, context);
        return Ok(Status {
            schema: STATUS_SCHEMA,
            journal,
            state: Some("absent"),
            stage: None,
            step: None,
            epoch: 0,
            boots: 0,
            unplanned_restarts: 0,
            planned_reboots: 0,
            refused_boots: 0,
            config_sha256: None,
            kept_config: None,
            outcome: None,
            torn_tail: None,
            records: 0,
            last_record: None,
            verdict: next.name,
            may_proceed: next.may_proceed,
            explanation: next.explanation,
            advice: next.advice,
            policy: policy.clone(),
            check_records: next.records,
            read_only: false,
            restore_leftover: None,
            poisoned_by: None,
            call_failed: None,
            boots_overview: String::new(),
        });
    }
    let mut overview = BootsOverview::default();
    let summary = walk(storage, &mut |item| {
        if let walk::Item::Record(entry) = item {
            overview.record(&entry);
        }
        Ok(())
    })?;
    let next = next_check(&summary, context);
    let progress = &summary.progress;
    let step = match progress.state {
        crate::model::state::State::Mutating { step, .. } => Some(step.name()),
        _ => None,
    };
    Ok(Status {
        schema: STATUS_SCHEMA,
        journal,
        state: summary.header.map(|_| progress.state.name()),
        stage: progress.state.stage(),
        step,
        epoch: progress.epoch,
        boots: progress.boots,
        unplanned_restarts: progress.unplanned_restarts,
        planned_reboots: progress.planned_reboots,
        refused_boots: progress.refused_boots,
        config_sha256: progress.config.map(|config| config.to_hex()),
        kept_config: KeptConfig::of(progress),
        outcome: Some(summary.outcome),
        torn_tail: summary.torn,
        records: summary.trusted_records,
        last_record: progress.last.map(|last| LastRecord {
            seq: last.seq,
            boot_id: last.boot.to_hex(),
            wall: time::Utc::from_unix_ms(last.wall_ms).rfc3339(),
            wall_ms: last.wall_ms,
        }),
        verdict: next.name,
        may_proceed: next.may_proceed,
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
        boots_overview: overview.finish(),
    })
}

impl Status {
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
