//! Per-boot timelines: which stages each boot ran and how long they took.
//!
//! Durations come from the monotonic clock of the boot that wrote the
//! records, never from the wall clock, which in an initramfs is often wrong
//! or jumps when NTP starts. Boots are summed up one at a time as the
//! records stream past, so memory stays constant.

use crate::model::event::{BootId, Event, Sha256};
use crate::model::stage::Stage;
use crate::model::state::{BootStop, CallFailure};

use super::boot_end::BootEnd;
use super::walk::{Body, Entry, Trust};

/// The most stage spans kept per boot. A valid boot runs each mutating
/// stage at most once; only a damaged or hostile file has more.
pub const MAX_STAGES_PER_BOOT: usize = 16;

/// How a stage ended, within its boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageResult {
    /// An `end` record.
    Ended,
    /// A `fail` record.
    Failed,
    /// No `end` or `fail` record before the boot's records stop.
    Running,
}

/// One stage of one boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageSpan {
    /// The stage.
    pub stage: Stage,
    /// When it began, relative to the boot's first record (nanoseconds).
    pub start_ns: i128,
    /// How long it ran, if it ended or failed.
    pub duration_ns: Option<i128>,
    /// How it ended.
    pub result: StageResult,
}

/// Everything the report says about one boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootSummary {
    /// Its number, in order of appearance.
    pub number: u32,
    /// The boot ID.
    pub boot: BootId,
    /// Sequence number of its first record.
    pub first_seq: u64,
    /// Sequence number of its last record.
    pub last_seq: u64,
    /// How many records it wrote.
    pub records: u64,
    /// Wall-clock time of its first record.
    pub first_wall_ms: i64,
    /// Monotonic time from its first record to its last.
    pub span_ns: i128,
    /// The attempt it worked on (from its last trusted record).
    pub attempt: Option<u32>,
    /// Whether any of its records is salvaged.
    pub salvaged: bool,
    /// The config digest it fetched.
    pub config: Option<Sha256>,
    /// Its stages, in order.
    pub stages: Vec<StageSpan>,
    /// Stages beyond [`MAX_STAGES_PER_BOOT`], not kept.
    pub more_stages: u64,
    /// Its last record's event, leaving out a failed call's record (which
    /// says why the boot stopped, not where).
    pub last: Body,
    /// The call whose failure it recorded, if one did.
    pub call_failure: Option<CallFailure>,
    /// What its records say of the config: fetched, changed, or a fetch
    /// stage failed.
    pub fetch: FetchMark,
    /// The record its records end with, when one says how it ended.
    pub end: Option<BootEnd>,
}

/// What a boot's records say of the config.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FetchMark {
    /// Nothing.
    #[default]
    None,
    /// It was fetched.
    Fetched,
    /// It was fetched, and differs from the one the attempt had before.
    Changed,
    /// A fetch stage failed.
    Failed,
}

impl BootSummary {
    /// The stage left running when the boot's records stop, if any.
    pub fn stopped_in(&self) -> Option<Stage> {
        self.stages
            .last()
            .filter(|span| span.result == StageResult::Running)
            .map(|span| span.stage)
    }

    /// The stage past the red line whose `end` is the boot's last record
    /// (no later stage, no `complete`), if any ([`BootStop`]).
    pub fn stopped_after(&self) -> Option<Stage> {
        match &self.last {
            Body::Known(event) => match BootStop::of_event(event) {
                Some(BootStop::AfterStage(stage)) => Some(stage),
                Some(BootStop::InStage(_)) | None => None,
            },
            Body::UnknownKind(_) | Body::Unreadable => None,
        }
    }
}

/// What one record adds to the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pushed {
    /// The previous boot, finished by this record starting a new one.
    pub finished: Option<BootSummary>,
    /// Whether this record starts a boot.
    pub starts_boot: bool,
    /// Its monotonic time relative to its boot's first record.
    pub rel_ns: i128,
    /// The stage this record closes (an `end` or `fail`).
    pub closed: Option<StageSpan>,
    /// A stage still running when this record began another: its `end` or
    /// `fail` record is not among the records read (damaged, salvaged
    /// past, or never written).
    pub left_open: Option<StageSpan>,
}

/// Builds boot summaries from records in file order.
#[derive(Default)]
pub struct Timeline {
    current: Option<(BootSummary, u64)>,
}

impl Timeline {
    /// Adds a record (one without a readable stamp is left out: `None`).
    pub fn push(&mut self, entry: &Entry) -> Option<Pushed> {
        let stamp = entry.stamp?;
        let number = entry.boot_number?;
        let mut finished = None;
        let same = matches!(&self.current, Some((boot, _)) if boot.number == number);
        if !same {
            finished = self.finish();
            self.current = Some((
                BootSummary {
                    number,
                    boot: stamp.boot_id,
                    first_seq: entry.seq,
                    last_seq: entry.seq,
                    records: 0,
                    first_wall_ms: stamp.wall_ms,
                    span_ns: 0,
                    attempt: None,
                    salvaged: false,
                    config: None,
                    stages: Vec::new(),
                    more_stages: 0,
                    last: Body::Unreadable,
                    call_failure: None,
                    fetch: FetchMark::None,
                    end: None,
                },
                stamp.mono_ns,
            ));
        }
        let (boot, first_mono) = self.current.as_mut().expect("a boot was just started");
        let rel_ns = i128::from(stamp.mono_ns) - i128::from(*first_mono);
        boot.records += 1;
        boot.last_seq = entry.seq;
        boot.span_ns = rel_ns;
        boot.salvaged |= entry.trust == Trust::Salvaged;
        match &entry.body {
            Body::Known(Event::CallFailed {
                call,
                status,
                reason,
            }) => {
                boot.call_failure = Some(CallFailure {
                    seq: entry.seq,
                    boot: stamp.boot_id,
                    wall_ms: stamp.wall_ms,
                    call: *call,
                    status: *status,
                    reason: reason.clone(),
                });
            }
            body => boot.last = body.clone(),
        }
        if let Some((epoch, _)) = entry.after {
            boot.attempt = Some(epoch);
        }
        boot.end = BootEnd::after(boot.end.take(), entry);
        match &entry.body {
            Body::Known(Event::ConfigFetched { .. } | Event::ConfigKept { .. }) => {
                boot.fetch = match entry.config_changed_from {
                    Some(_) => FetchMark::Changed,
                    None => FetchMark::Fetched,
                };
            }
            Body::Known(Event::StageFailed { stage, .. }) if !stage.is_mutating() => {
                boot.fetch = FetchMark::Failed;
            }
            _ => {}
        }
        let mut closed = None;
        let mut left_open = None;
        match &entry.body {
            Body::Known(Event::ConfigFetched { sha256 } | Event::ConfigKept { sha256, .. }) => {
                boot.config = Some(*sha256)
            }
            Body::Known(Event::StageBegan { stage }) => {
                left_open = boot
                    .stages
                    .last()
                    .copied()
                    .filter(|span| span.result == StageResult::Running);
                if boot.stages.len() < MAX_STAGES_PER_BOOT {
                    boot.stages.push(StageSpan {
                        stage: *stage,
                        start_ns: rel_ns,
                        duration_ns: None,
                        result: StageResult::Running,
                    });
                } else {
                    boot.more_stages += 1;
                }
            }
            Body::Known(Event::StageEnded { stage } | Event::StageFailed { stage, .. }) => {
                let result = match entry.body {
                    Body::Known(Event::StageEnded { .. }) => StageResult::Ended,
                    _ => StageResult::Failed,
                };
                if let Some(span) = boot
                    .stages
                    .last_mut()
                    .filter(|span| span.stage == *stage && span.result == StageResult::Running)
                {
                    span.duration_ns = Some(rel_ns - span.start_ns);
                    span.result = result;
                    closed = Some(*span);
                }
            }
            Body::Known(_) | Body::UnknownKind(_) | Body::Unreadable => {}
        }
        Some(Pushed {
            finished,
            starts_boot: !same,
            rel_ns,
            closed,
            left_open,
        })
    }

    /// The boot in progress.
    pub fn current(&self) -> Option<&BootSummary> {
        self.current.as_ref().map(|(boot, _)| boot)
    }

    /// Finishes the boot in progress, at the end of the records.
    pub fn finish(&mut self) -> Option<BootSummary> {
        self.current.take().map(|(boot, _)| boot)
    }
}
