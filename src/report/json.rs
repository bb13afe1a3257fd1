//! `dump --json`: the same report for scripts, in the schema of
//! `spec/DUMP.md`.
//!
//! The document is streamed: one record, boot or anomaly per line inside
//! its array, so memory stays flat and `grep` still works on it. Every name
//! is spelled out (kinds, stages, verdicts), never an enum index, and every
//! string goes through the terminal-safe formatter.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use crate::classify::Verdict;
use crate::format::frame::Header;
use crate::format::scan::Scanner;
use crate::host::config::PolicySettings;
use crate::model::event::{Event, PoisonReason, RebootReason, Trigger};
use crate::model::stage::Stage;
use crate::model::state::{CallFailure, Poison, PoisonCause, State};
use crate::storage::Storage;

use super::boot_end::ended_name;
use super::escape::{excerpt_total, hex_excerpt, write_json};
use super::human::describe_anomaly;
use super::time::Utc;
use super::timeline::{BootSummary, Timeline};
use super::verdict::{describe_poison_cause, next_check, next_provisioning_boot};
use super::walk::{Anomaly, Body, Entry, Item, ReportError, Summary, Trust, kind_name, walk};

/// The `schema` field of `dump --json`.
pub const DUMP_SCHEMA: &str = "provision-journal/dump/1";

/// An externally tagged serde value (`{"name": {...}}` or `"name"`) as
/// `{"kind": "name", ...}`.
fn tagged(value: Value) -> Value {
    match value {
        Value::String(kind) => json!({ "kind": kind }),
        Value::Object(map) if map.len() == 1 => {
            let (kind, inner) = map.into_iter().next().expect("one entry");
            let mut out = Map::new();
            out.insert("kind".into(), Value::String(kind));
            match inner {
                Value::Object(fields) => out.extend(fields),
                other => {
                    out.insert("text".into(), other);
                }
            }
            Value::Object(out)
        }
        other => other,
    }
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("report values serialize")
}

fn reboot_reason(reason: &RebootReason) -> (Value, Value) {
    match reason {
        RebootReason::Kargs => (json!("kargs"), Value::Null),
        RebootReason::Fips => (json!("fips"), Value::Null),
        RebootReason::Other(text) => (json!("other"), json!(text)),
    }
}

/// An event as JSON: `{"kind": "stage_began", "stage": "disks"}`.
pub fn event_json(body: &Body) -> Value {
    let event = match body {
        Body::Known(event) => event,
        Body::UnknownKind(index) => {
            return json!({ "kind": "unknown", "index": index, "known_as": kind_name(*index).map(|k| k.replace('-', "_")) });
        }
        Body::Unreadable => return json!({ "kind": "unreadable" }),
    };
    let kind = event.kind().replace('-', "_");
    let mut fields = match event {
        Event::AttemptStarted { epoch, trigger } => match trigger {
            Trigger::Firstboot => json!({ "epoch": epoch, "trigger": "firstboot", "token": null }),
            Trigger::ForcedRerun { token } => {
                json!({ "epoch": epoch, "trigger": "forced_rerun", "token": token })
            }
        },
        Event::Restarted { planned } => {
            let (reason, text) = planned
                .as_ref()
                .map_or((Value::Null, Value::Null), reboot_reason);
            json!({ "planned": planned.is_some(), "reason": reason, "reason_text": text })
        }
        Event::RebootPlanned { reason } => {
            let (reason, text) = reboot_reason(reason);
            json!({ "reason": reason, "reason_text": text })
        }
        Event::ConfigFetched { sha256 } => json!({ "sha256": sha256.to_hex() }),
        Event::StageBegan { stage } | Event::StageEnded { stage } => json!({ "stage": stage }),
        Event::StageFailed { stage, reason } => json!({ "stage": stage, "reason": reason }),
        Event::Poisoned { reason } => json!({ "reason": tagged(to_value(reason)) }),
        Event::Reset { reason } => json!({ "reason": reason }),
        Event::TailRepaired { offset, dropped } => {
            json!({ "offset": offset, "dropped": dropped })
        }
        Event::ConfigKept { sha256, size } => json!({ "sha256": sha256.to_hex(), "size": size }),
        Event::ConfigRestored { sha256 } => json!({ "sha256": sha256.to_hex() }),
        Event::KeptConfigRemoved { sha256, cause } => {
            json!({ "sha256": sha256.to_hex(), "cause": cause.name() })
        }
        Event::CallFailed {
            call,
            status,
            reason,
        } => json!({ "call": call.to_string(), "status": status, "reason": reason }),
        Event::BootRefused | Event::Completed => json!({}),
    };
    let object = fields.as_object_mut().expect("fields are an object");
    let mut out = Map::new();
    out.insert("kind".into(), Value::String(kind));
    out.append(object);
    Value::Object(out)
}

/// A state as JSON: `{"state": "mutating", "stage": "disks", "step":
/// "running"}`.
pub fn state_json(state: &State) -> Value {
    match state {
        State::Mutating { stage, step } => {
            json!({ "state": state.name(), "stage": stage, "step": step.name() })
        }
        other => json!({ "state": other.name(), "stage": null, "step": null }),
    }
}

fn wall(wall_ms: i64) -> Value {
    json!(Utc::from_unix_ms(wall_ms).rfc3339())
}

fn clamp(ns: i128) -> i64 {
    ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// A record as JSON.
pub fn record_json(entry: &Entry) -> Value {
    let stamp = entry.stamp;
    json!({
        "offset": entry.offset,
        "length": entry.frame_len,
        "seq": entry.seq,
        "trusted": entry.trust == Trust::Trusted,
        "boot": entry.boot_number,
        "boot_id": stamp.map(|stamp| stamp.boot_id.to_hex()),
        "wall_ms": stamp.map(|stamp| stamp.wall_ms),
        "wall": stamp.map(|stamp| wall(stamp.wall_ms)),
        "mono_ns": stamp.map(|stamp| stamp.mono_ns),
        "event": event_json(&entry.body),
        "attempt": entry.after.map(|(epoch, _)| epoch),
        "state_after": entry.after.map(|(_, state)| state_json(&state)),
    })
}

/// A boot's timeline as JSON; `followed` when a later boot came after it.
pub fn boot_json(boot: &BootSummary, followed: bool) -> Value {
    let stages: Vec<Value> = boot
        .stages
        .iter()
        .map(|span| {
            json!({
                "stage": span.stage,
                "start_ns": clamp(span.start_ns),
                "duration_ns": span.duration_ns.map(clamp),
                "result": span.result,
            })
        })
        .collect();
    json!({
        "number": boot.number,
        "boot_id": boot.boot.to_hex(),
        "first_seq": boot.first_seq,
        "last_seq": boot.last_seq,
        "records": boot.records,
        "first_wall_ms": boot.first_wall_ms,
        "first_wall": wall(boot.first_wall_ms),
        "span_ns": clamp(boot.span_ns),
        "attempt": boot.attempt,
        "salvaged": boot.salvaged,
        "config_sha256": boot.config.map(|config| config.to_hex()),
        "stages": stages,
        "more_stages": boot.more_stages,
        "stopped_mid_stage": boot.stopped_in(),
        "stopped_after_stage": boot.stopped_after(),
        "call_failed": boot.call_failure.as_ref().map(call_failure_json),
        "ended": ended_name(boot, followed),
    })
}

/// A recorded call failure as JSON: the `call` as typed (`check`, `begin
/// disks`), its exit `status`, the recorded `reason`, and the record
/// (`seq`, `boot_id`, `wall`).
pub fn call_failure_json(failure: &CallFailure) -> Value {
    json!({
        "call": failure.call.to_string(),
        "status": failure.status,
        "reason": failure.reason,
        "seq": failure.seq,
        "boot_id": failure.boot.to_hex(),
        "wall": wall(failure.wall_ms),
    })
}

/// An anomaly as JSON.
pub fn anomaly_json(anomaly: &Anomaly) -> Value {
    let excerpt = |bytes: &[u8], total: u64| json!(hex_excerpt(bytes, total));
    let (fields, excerpt) = match anomaly {
        Anomaly::TornTail {
            tail,
            excerpt: bytes,
            lost,
        } => (
            json!({
                "len": tail.len,
                "lost": lost.map(|lost| json!({
                    "seq": lost.seq,
                    "frame_len": lost.frame_len,
                    "boot_id": lost.boot.map(|boot| boot.to_hex()),
                    "kind": lost.kind.map(|kind| kind_name(kind).map_or_else(|| "unknown".to_owned(), |k| k.replace('-', "_"))),
                })),
            }),
            excerpt(bytes, tail.len),
        ),
        Anomaly::Corrupt {
            words,
            trusted_records,
            excerpt: bytes,
            ..
        } => (
            json!({ "problem": words, "trusted_records": trusted_records }),
            excerpt(bytes, excerpt_total(bytes)),
        ),
        Anomaly::UnsupportedVersion { found } => (json!({ "found": found }), Value::Null),
        Anomaly::Unreadable {
            len,
            excerpt: bytes,
            ..
        } => (json!({ "len": len }), excerpt(bytes, *len)),
        Anomaly::SequenceGap {
            expected, found, ..
        } => (json!({ "expected": expected, "found": found }), Value::Null),
        Anomaly::BrokenLink { seq, .. } => (json!({ "seq": seq }), Value::Null),
        Anomaly::UnknownKind { seq, kind, .. } => {
            (json!({ "seq": seq, "index": kind }), Value::Null)
        }
        Anomaly::TailRepaired {
            seq,
            torn_offset,
            dropped,
            ..
        } => (
            json!({ "seq": seq, "torn_offset": torn_offset, "dropped": dropped }),
            Value::Null,
        ),
        Anomaly::ConfigChanged {
            seq,
            old,
            new,
            after_stage,
            poisoned,
            ..
        } => (
            json!({
                "seq": seq,
                "old_sha256": old.to_hex(),
                "new_sha256": new.to_hex(),
                "after_stage": after_stage,
                "poisoned": poisoned,
            }),
            Value::Null,
        ),
        Anomaly::UnplannedRestart {
            seq,
            boot_number,
            boot,
            after,
            torn_at_red_line,
            ..
        } => (
            json!({ "seq": seq, "boot": boot_number, "boot_id": boot.to_hex(), "after": after, "torn_at_red_line": torn_at_red_line }),
            Value::Null,
        ),
        Anomaly::Stopped {
            seq,
            boot_number,
            boot,
            stop,
            at_end,
            ..
        } => (
            json!({ "seq": seq, "boot": boot_number, "boot_id": boot.to_hex(), "stage": stop.stage(), "at_end": at_end }),
            Value::Null,
        ),
    };
    let mut out = Map::new();
    out.insert("kind".into(), json!(anomaly.name()));
    out.insert("offset".into(), json!(anomaly.offset()));
    out.extend(fields.as_object().expect("fields are an object").clone());
    out.insert("excerpt_hex".into(), excerpt);
    out.insert("description".into(), json!(describe_anomaly(anomaly)));
    Value::Object(out)
}

/// What the trusted records of `summary`'s journal replay to, as JSON;
/// `state` is null when the file header cannot be read.
pub fn progress_json(summary: &Summary) -> Value {
    let (progress, mutated_stage) = (&summary.progress, summary.mutated_stage);
    let mut state = state_json(&progress.state);
    let object = state.as_object_mut().expect("state is an object");
    if summary.header.is_none() {
        object.insert("state".into(), Value::Null);
    }
    object.insert("epoch".into(), json!(progress.epoch));
    object.insert("boots".into(), json!(progress.boots));
    object.insert(
        "config_sha256".into(),
        json!(progress.config.map(|config| config.to_hex())),
    );
    object.insert("kept_config".into(), json!(super::KeptConfig::of(progress)));
    object.insert(
        "call_failed".into(),
        json!(progress.call_failure.as_ref().map(call_failure_json)),
    );
    object.insert(
        "poisoned_by".into(),
        json!(
            progress
                .poison
                .as_ref()
                .map(|poison| poison_json(poison, mutated_stage))
        ),
    );
    state
}

/// The record that poisoned an attempt, machine-readable: `cause` (one of
/// `interrupted`, `torn_tail_at_red_line`, `retries_exhausted`,
/// `planned_reboots_exhausted`, `stage_failed`, `config_changed`), the
/// `stage` it concerns (if any), the poisoning record (`seq`, `boot_id`,
/// `wall`), the recorded `reason` in full, and a `description` in words.
pub fn poison_json(poison: &Poison, mutated_stage: Option<Stage>) -> Value {
    let (reason, stage) = match &poison.cause {
        PoisonCause::Recorded(reason) => {
            let stage = match reason {
                PoisonReason::Interrupted { stage, .. } => Some(*stage),
                PoisonReason::TornTailAtRedLine { .. }
                | PoisonReason::RetriesExhausted { .. }
                | PoisonReason::PlannedRebootsExhausted { .. } => None,
            };
            (tagged(to_value(reason)), stage)
        }
        PoisonCause::StageFailed { stage, reason } => (
            json!({ "kind": "stage_failed", "stage": stage, "reason": reason }),
            Some(*stage),
        ),
        PoisonCause::ConfigChanged { bound, fetched } => (
            json!({ "kind": "config_changed", "bound_sha256": bound.to_hex(), "fetched_sha256": fetched.to_hex() }),
            mutated_stage,
        ),
    };
    json!({
        "cause": reason["kind"].clone(),
        "stage": stage,
        "seq": poison.seq,
        "boot_id": poison.boot.to_hex(),
        "wall": wall(poison.wall_ms),
        "reason": reason,
        "description": describe_poison_cause(poison, mutated_stage),
    })
}

/// What the next `check` will decide, as JSON; `failure_log` is the one
/// found beside the journal, which the advice points to.
pub fn next_check_json(
    summary: &Summary,
    policy: &PolicySettings,
    failure_log: Option<&super::FailureLogView>,
) -> Value {
    let next = next_check(
        summary,
        &next_provisioning_boot(policy.policy()),
        failure_log.and_then(super::FailureLogView::bound_record),
    );
    let poison_reason = match next.verdict.verdict() {
        Some(Verdict::FatalInterruption { reason }) => tagged(to_value(reason)),
        Some(Verdict::Poisoned { .. }) => summary
            .progress
            .poison
            .as_ref()
            .map_or(Value::Null, |poison| {
                poison_json(poison, summary.mutated_stage)["reason"].clone()
            }),
        _ => Value::Null,
    };
    json!({
        "verdict": next.verdict.name(),
        "may_proceed": next.verdict.may_proceed(),
        "poison_reason": poison_reason,
        "explanation": next.explanation,
        "advice": next.advice,
        "policy": to_value(policy),
    })
}

fn header_json(path: &str, header: Option<Header>, file_len: u64) -> Value {
    json!({
        "path": path,
        "bytes": file_len,
        "format_version": header.map(|header| header.version),
        "created_wall_ms": header.map(|header| header.created_wall_ms),
        "created": header.map(|header| wall(header.created_wall_ms)),
    })
}

fn field(out: &mut dyn Write, name: &str, value: &Value, last: bool) -> io::Result<()> {
    write!(out, "\"{name}\": ")?;
    write_json(out, value)?;
    writeln!(out, "{}", if last { "" } else { "," })
}

/// Streams one JSON array: `"name": [` then one element per line.
struct Array<'o> {
    out: &'o mut dyn Write,
    first: bool,
}

impl<'o> Array<'o> {
    fn open(out: &'o mut dyn Write, name: &str) -> io::Result<Self> {
        write!(out, "\"{name}\": [")?;
        Ok(Array { out, first: true })
    }

    fn push(&mut self, value: &Value) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        write_json(self.out, value)
    }

    fn close(self) -> io::Result<()> {
        writeln!(self.out, "{}],", if self.first { "" } else { "\n" })
    }
}

/// Writes the JSON report of the journal in `storage` (opened for reading).
pub fn write<S: Storage + ?Sized>(
    storage: &mut S,
    policy: &PolicySettings,
    failure_log: Option<&super::FailureLogView>,
    out: &mut dyn Write,
) -> Result<Summary, ReportError> {
    let path = storage.path().to_string();
    let header = Scanner::start(storage).ok().map(|scanner| scanner.header());
    let file_len = storage.file_len().unwrap_or_default();
    writeln!(out, "{{")?;
    field(out, "schema", &json!(DUMP_SCHEMA), false)?;
    field(out, "times", &json!("utc"), false)?;
    field(out, "journal", &header_json(&path, header, file_len), false)?;

    let mut records = Array::open(out, "records")?;
    walk(storage, &mut |item| match item {
        Item::Record(entry) => records.push(&record_json(&entry)),
        Item::Header(_) | Item::Anomaly(_) => Ok(()),
    })?;
    records.close()?;

    let mut boots = Array::open(out, "boots")?;
    let mut timeline = Timeline::default();
    walk(storage, &mut |item| {
        if let Item::Record(entry) = item
            && let Some(finished) = timeline.push(&entry).and_then(|pushed| pushed.finished)
        {
            boots.push(&boot_json(&finished, true))?;
        }
        Ok(())
    })?;
    if let Some(last) = timeline.finish() {
        boots.push(&boot_json(&last, false))?;
    }
    boots.close()?;

    let mut anomalies = Array::open(out, "anomalies")?;
    let summary = walk(storage, &mut |item| match item {
        Item::Anomaly(anomaly) => anomalies.push(&anomaly_json(&anomaly)),
        Item::Header(_) | Item::Record(_) => Ok(()),
    })?;
    anomalies.close()?;

    let torn = summary
        .torn
        .map(|torn| json!({ "offset": torn.offset, "len": torn.len }));
    let corruption = summary
        .corruption
        .as_ref()
        .map(|damage| json!({ "offset": damage.offset, "problem": damage.words }));
    let totals = json!({
        "outcome": summary.outcome.name(),
        "trusted_records": summary.trusted_records,
        "salvaged_records": summary.salvaged_records,
        "anomalies": summary.anomalies,
        "torn_tail": torn,
        "corruption": corruption,
    });
    field(out, "summary", &totals, false)?;
    field(out, "state", &progress_json(&summary), false)?;
    if let Some(failure_log) = failure_log {
        field(out, "failure_log", &failure_log.json(), false)?;
    }
    field(
        out,
        "next_check",
        &next_check_json(&summary, policy, failure_log),
        true,
    )?;
    writeln!(out, "}}")?;
    Ok(summary)
}
