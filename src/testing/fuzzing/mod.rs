//! The bodies of the fuzz targets and the building blocks of the crash
//! exploration, kept in the library so that `cargo test` replays every
//! committed fuzz input and the exploration drives exactly the code the
//! fuzzers do.
//!
//! Each body panics when an invariant breaks; the invariants are those of
//! `spec/FORMAT.md`, "Crash model this journal is proven against". Not part
//! of the stable API.

mod call;
mod machine;

use std::fmt;

pub use self::machine::{CONFIG, HookRun, Machine, OTHER_CONFIG, START_MS};

pub use self::call::Call;
use crate::classify::{BootContext, Policy, Verdict, classify};
use crate::format::codec;
use crate::format::error::JournalError;
use crate::format::frame::{HEADER_LEN, encode_frame};
use crate::format::scan::{End, Scanner, TornTail};
use crate::journal::Journal;
use crate::journal::clock::{Clock, FixedClock};
use crate::journal::hooks::CallFailed;
use crate::journal::hooks::Hook;
use crate::model::event::{
    BootId, CallName, Event, PoisonReason, RebootReason, Record, RemovalCause, Sha256, Stamp,
    Trigger,
};
use crate::model::stage::Stage;
use crate::model::state::Progress;
use crate::model::transition::transition;
use crate::storage::{Access, MemStorage, Storage};

/// The config digest a boot fetches first.
pub const CONFIG_A: Sha256 = Sha256([0xa1; 32]);
/// Another config digest, for config changes between boots.
pub const CONFIG_B: Sha256 = Sha256([0xb2; 32]);
/// The wall-clock time boot 0 starts at.
pub const EPOCH_WALL_MS: i64 = 1_700_000_000_000;

/// Every provisioning hook a boot may call after `check`, with the configs
/// in `configs`; which of them may come next is the transition function's
/// call (see [`valid_hooks`]).
pub fn provisioning_hooks(configs: &[Sha256]) -> Vec<Call> {
    let mut hooks: Vec<Hook> = configs.iter().map(|&sha| Hook::Fetched(sha)).collect();
    for stage in Stage::ALL {
        hooks.push(Hook::Begin(stage));
        hooks.push(Hook::End(stage));
        hooks.push(Hook::Fail(stage, STAGE_FAILURE.to_owned()));
    }
    hooks.push(Hook::Reboot(RebootReason::Kargs));
    hooks.push(Hook::Complete);
    let mut calls: Vec<Call> = hooks.into_iter().map(Call::Hook).collect();
    // Its reason is short: every byte of an append is a cut point of the
    // exploration, and the largest record's bound is checked on its own
    // (`tests/classifier_table.rs`).
    calls.push(Call::Failed(CallFailed {
        call: CallName::Check,
        status: 54,
        reason: "refused".to_owned(),
    }));
    calls
}

/// The largest record of a failed call (137 bytes): the longest call name
/// and a reason as long as a record keeps.
pub fn largest_call_failure() -> CallFailed {
    CallFailed {
        call: CallName::Begin(Stage::Umount),
        status: 30,
        reason: "x".repeat(crate::model::event::MAX_FAILURE_REASON_LEN),
    }
}

/// The reason a simulated stage fails with.
pub const STAGE_FAILURE: &str = "exit status 1";

/// The reason of a simulated operator's `reset`.
pub const OPERATOR_RESET: &str = "operator reset";

/// The record `step` appends (`check` decides its own at run time).
fn step_event(step: &Call) -> Option<Event> {
    step.event()
}

/// The hooks among `candidates` whose record the transition function
/// accepts after `progress`.
pub fn valid_hooks(progress: &Progress, stamp: Stamp, candidates: &[Call]) -> Vec<Call> {
    candidates
        .iter()
        .filter(|step| {
            step_event(step).is_some_and(|event| {
                let record = Record {
                    seq: 0,
                    stamp,
                    event,
                };
                transition(progress, &record).is_ok()
            })
        })
        .cloned()
        .collect()
}

/// The boot context of simulated boot `boot` (a provisioning boot).
pub fn boot_context(boot: BootId, rerun_token: Option<&str>) -> BootContext {
    BootContext {
        boot_id: Some(boot),
        live: false,
        firstboot: true,
        rerun_token: rerun_token.map(str::to_owned),
        policy: Policy::default(),
    }
}

/// The ID of simulated boot number `index`: recognisable in hex dumps.
pub fn boot_id(index: u8) -> BootId {
    let mut bytes = [0u8; 16];
    bytes[0] = 0xb0;
    bytes[1] = index;
    bytes[15] = index;
    BootId(bytes)
}

/// The records of a journal's bytes (`None`: no journal) and its torn tail.
pub fn read_records(
    journal: Option<&[u8]>,
) -> Result<(Vec<Record>, Option<TornTail>), JournalError> {
    let Some(bytes) = journal else {
        return Ok((Vec::new(), None));
    };
    let mut storage = MemStorage::with_bytes(bytes);
    storage
        .open(Access::Read)
        .expect("an in-memory journal opens");
    let mut scanner = Scanner::start(&mut storage)?;
    let mut records = Vec::new();
    while let Some(scanned) = scanner.next_record()? {
        records.push(scanned.record);
    }
    let torn = match scanner.end() {
        Some(End::Torn(torn)) => Some(torn),
        Some(End::Clean) | None => None,
    };
    Ok((records, torn))
}

/// Where a crash happened: after how many operations, and which records
/// were acknowledged or in flight then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_structs,
    reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
)]
pub struct CrashPoint {
    /// Operations performed before the crash.
    pub ops: usize,
    /// How many of the machine's records were acknowledged.
    pub acknowledged: usize,
    /// How many records after those were in flight.
    pub in_flight: usize,
}

/// An invariant a crash state broke.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_structs,
    reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
)]
pub struct Violation(pub String);

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the boot after a crash did with the state it found.
#[derive(Clone, Debug)]
#[expect(
    clippy::exhaustive_structs,
    reason = "test machinery (the `testing` feature), outside the stable API: tests build and match it whole"
)]
pub struct Recovery {
    /// The classification of the boot.
    pub verdict: Verdict,
    /// The journal after `check` appended its record.
    pub journal: Option<Vec<u8>>,
}

/// Whether a stage at or past the red line began, with its record
/// acknowledged, in the attempt the first `acknowledged` of `records` end
/// in (an attempt starts at `AttemptStarted` or `Reset`, even one in flight).
pub fn crossed_red_line(records: &[Record], acknowledged: usize) -> bool {
    let start = records
        .iter()
        .rposition(|record| {
            matches!(
                record.event,
                Event::AttemptStarted { .. } | Event::Reset { .. }
            )
        })
        .map_or(0, |at| at + 1);
    records[start.min(acknowledged)..acknowledged].iter().any(
        |record| matches!(record.event, Event::StageBegan { stage } if stage.is_past_red_line()),
    )
}

/// Whether the last attempt in `records` has its `Completed` record.
fn completed(records: &[Record]) -> bool {
    records
        .iter()
        .rev()
        .take_while(|record| {
            !matches!(
                record.event,
                Event::AttemptStarted { .. } | Event::Reset { .. }
            )
        })
        .any(|record| matches!(record.event, Event::Completed))
}

/// Whether a verdict lets provisioning run as if nothing dangerous happened.
pub fn is_safe_to_proceed(verdict: &Verdict) -> bool {
    matches!(
        verdict,
        Verdict::FirstRun { .. }
            | Verdict::SafeRetry { .. }
            | Verdict::ResumeAfterPlannedReboot { .. }
            | Verdict::SameBoot { .. }
    )
}

/// Boots on a crash state and checks every invariant: recovery opens it;
/// every acknowledged record is there; of the records in flight, a prefix
/// is there, each whole; a restart after a durable red-line `begin` is not
/// called safe, nor complete unless the completion is on disk; and `check`'s record appends to a journal every reader
/// accepts.
pub fn check_crash_state(
    state: Option<&[u8]>,
    acknowledged: &[Record],
    in_flight: &[Record],
    clock: &mut FixedClock,
    context: &BootContext,
) -> Result<Recovery, Violation> {
    let fail = |what: String| Err(Violation(what));
    let storage = MemStorage::with_journal(state);
    let mut journal = match Journal::open(storage.reopen()) {
        Ok(journal) => journal,
        Err(error) => return fail(format!("recovery refused a crash state: {error}")),
    };
    let (records, torn) = match read_records(state) {
        Ok(found) => found,
        Err(error) => {
            return fail(format!(
                "the reader refused what recovery accepted: {error}"
            ));
        }
    };
    if journal.torn_tail() != torn || journal.record_count() != records.len() as u64 {
        return fail("recovery and the reader disagree".into());
    }
    let Some(tail) = records.strip_prefix(acknowledged) else {
        return fail(format!(
            "acknowledged records lost: {} acknowledged, {} recovered",
            acknowledged.len(),
            records.len()
        ));
    };
    if tail.len() > in_flight.len() || tail != &in_flight[..tail.len()] {
        return fail(format!(
            "recovered records no append made: {tail:?} (in flight: {in_flight:?})"
        ));
    }
    let decision = classify(journal.progress(), torn, context);
    if crossed_red_line(&records, acknowledged.len()) && is_safe_to_proceed(&decision.verdict) {
        return fail(format!(
            "a restart after a durable red-line begin was classified {}",
            decision.verdict.name()
        ));
    }
    if matches!(decision.verdict, Verdict::AlreadyComplete { .. }) && !completed(&records) {
        return fail("an attempt whose completion is not on disk was classified complete".into());
    }
    let mut expected = records;
    if let Some(event) = decision.record.clone() {
        let stamp = clock.stamp();
        if let Err(error) = journal.append(event.clone(), stamp) {
            return fail(format!(
                "check's record could not be appended after recovery: {error}"
            ));
        }
        if let Some(torn) = torn {
            expected.push(Record {
                seq: expected.len() as u64,
                stamp,
                event: Event::TailRepaired {
                    offset: torn.offset,
                    dropped: torn.len,
                },
            });
        }
        expected.push(Record {
            seq: expected.len() as u64,
            stamp,
            event,
        });
    }
    drop(journal);
    let written = storage.contents();
    match read_records(written.as_deref()) {
        Ok((found, None)) if found == expected => {}
        Ok((found, torn)) => {
            return fail(format!(
                "after recovery and check the journal reads {} records, torn {torn:?}; expected {}",
                found.len(),
                expected.len()
            ));
        }
        Err(error) => {
            return fail(format!(
                "the journal written after recovery is refused: {error}"
            ));
        }
    }
    if let Err((seq, error)) = crate::model::transition::replay(&expected) {
        return fail(format!(
            "the journal written after recovery does not replay at #{seq}: {error}"
        ));
    }
    Ok(Recovery {
        verdict: decision.verdict,
        journal: written,
    })
}

/// Reads fuzz input a few bits at a time; zeros once it runs out.
pub struct Input<'a> {
    bytes: &'a [u8],
}

impl<'a> Input<'a> {
    /// Reads from `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Input { bytes }
    }

    /// Whether every byte was read.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The next byte.
    pub fn byte(&mut self) -> u8 {
        match self.bytes.split_first() {
            Some((&first, rest)) => {
                self.bytes = rest;
                first
            }
            None => 0,
        }
    }

    /// The next two bytes, little-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// A choice among `len` (> 0) options.
    pub fn choose(&mut self, len: usize) -> usize {
        usize::from(self.u16()) % len
    }
}

/// Fuzz body `decode`: arbitrary bytes as a journal. Reading never panics;
/// what it accepts re-encodes to the very same bytes; and a writer appends
/// to it a record that every reader then finds, after the ones it had.
pub fn decode(data: &[u8]) {
    let Ok((records, torn)) = read_records(Some(data)) else {
        assert!(
            Journal::open(MemStorage::with_bytes(data)).is_err(),
            "recovery accepted what the reader refused"
        );
        return;
    };
    let journal = match Journal::open(MemStorage::with_bytes(data)) {
        Ok(journal) => journal,
        Err(error) => {
            assert!(
                matches!(error, JournalError::Corrupt { .. }),
                "a readable journal failed to open: {error}"
            );
            return;
        }
    };
    assert_eq!(journal.torn_tail(), torn);
    let end = torn.map_or(data.len() as u64, |torn| torn.offset) as usize;
    assert_eq!(journal.len(), end as u64);
    let header = journal.header().expect("an opened journal has a header");
    let mut rewritten = data[..HEADER_LEN].to_vec();
    let mut prev = header.crc;
    for record in &records {
        let payload =
            codec::encode(&record.stamp, &record.event).expect("a decoded record encodes");
        let frame = encode_frame(record.seq, prev, &payload);
        prev = u32::from_le_bytes(frame[0..4].try_into().expect("4 bytes"));
        rewritten.extend_from_slice(&frame);
    }
    assert!(
        rewritten == data[..end],
        "reader and writer disagree on the bytes"
    );

    let progress = journal.progress().clone();
    let stamp = Stamp {
        boot_id: boot_id(0xfe),
        wall_ms: EPOCH_WALL_MS,
        mono_ns: 1,
    };
    let candidates = [
        Event::Poisoned {
            reason: PoisonReason::RetriesExhausted {
                restarts: 9,
                limit: 5,
            },
        },
        Event::Reset {
            reason: "fuzz".into(),
        },
        Event::AttemptStarted {
            epoch: progress.epoch.wrapping_add(1),
            trigger: Trigger::Firstboot,
        },
    ];
    let Some(event) = candidates.into_iter().find(|event| {
        let record = Record {
            seq: 0,
            stamp,
            event: event.clone(),
        };
        transition(&progress, &record).is_ok()
    }) else {
        return;
    };
    let storage = MemStorage::with_bytes(data);
    let mut journal = Journal::open(storage.reopen()).expect("it opened before");
    journal
        .append(event.clone(), stamp)
        .expect("a valid record appends");
    drop(journal);
    let (after, torn_after) =
        read_records(storage.contents().as_deref()).expect("the writer's journal reads");
    assert!(torn_after.is_none());
    assert_eq!(after[..records.len()], records[..]);
    assert_eq!(after.last().map(|record| &record.event), Some(&event));
    assert_eq!(after.len(), records.len() + 1 + usize::from(torn.is_some()));
}

/// Fuzz body `classify`: an arbitrary event history, torn tail and boot
/// context. What `check` would record is always accepted by the rules; a
/// second `check` in the same boot records nothing new; and no restart
/// after a red-line `begin` is safe.
pub fn classify_history(data: &[u8]) {
    let mut input = Input::new(data);
    let mut records: Vec<Record> = Vec::new();
    let mut progress = Progress::default();
    let length = input.choose(48);
    for _ in 0..length {
        let boot = boot_id(input.byte() % 4);
        let stamp = Stamp {
            boot_id: boot,
            wall_ms: EPOCH_WALL_MS + records.len() as i64,
            mono_ns: records.len() as u64,
        };
        let event = arbitrary_event(&mut input, &progress);
        let record = Record {
            seq: records.len() as u64,
            stamp,
            event,
        };
        if let Ok(next) = transition(&progress, &record) {
            progress = next;
            records.push(record);
        }
    }
    let torn = match input.byte() % 3 {
        0 => None,
        _ => Some(TornTail {
            offset: 24,
            len: u64::from(input.u16() % 1100),
        }),
    };
    let context = BootContext {
        boot_id: (input.byte() % 8 != 0).then(|| boot_id(input.byte() % 4)),
        live: input.byte() % 16 == 0,
        firstboot: input.byte() % 16 != 0,
        rerun_token: (input.byte() % 4 == 0).then(|| format!("token-{}", input.byte() % 3)),
        policy: Policy {
            max_retries: u32::from(input.byte() % 7),
            max_planned_reboots: u32::from(input.byte() % 6),
        },
    };
    let decision = classify(&progress, torn, &context);
    let new_boot = context.boot_id.is_some() && context.boot_id != progress.boot;
    if new_boot && crossed_red_line(&records, records.len()) {
        assert!(
            !is_safe_to_proceed(&decision.verdict),
            "a restart after a red-line begin was classified {}",
            decision.verdict
        );
    }
    if let (Some(torn), Some(bytes)) = (
        torn,
        crate::format::red_line::min_bytes_to_cross_red_line(&progress),
    ) && torn.len >= bytes
        && new_boot
    {
        assert!(
            !matches!(
                decision.verdict,
                Verdict::SafeRetry { .. } | Verdict::ResumeAfterPlannedReboot { .. }
            ),
            "a torn tail that can hide a red-line begin was called safe"
        );
    }
    let Some(boot) = context.boot_id else {
        return;
    };
    let Some(event) = decision.record else {
        return;
    };
    let record = Record {
        seq: records.len() as u64,
        stamp: Stamp {
            boot_id: boot,
            wall_ms: EPOCH_WALL_MS,
            mono_ns: 0,
        },
        event,
    };
    let after = match transition(&progress, &record) {
        Ok(after) => after,
        Err(error) => panic!("check would record what the rules reject: {error}"),
    };
    let again = classify(&after, None, &context);
    assert_eq!(
        again.record, None,
        "a second check in the same boot recorded again ({})",
        again.verdict
    );
}

fn arbitrary_event(input: &mut Input<'_>, progress: &Progress) -> Event {
    let stage = Stage::ALL[input.choose(Stage::ALL.len())];
    let reason = || RebootReason::Kargs;
    let config = |byte: u8| if byte % 4 == 0 { CONFIG_B } else { CONFIG_A };
    match input.byte() % 16 {
        0 => Event::AttemptStarted {
            epoch: progress.epoch.wrapping_add(u32::from(input.byte() % 3)),
            trigger: if input.byte() % 2 == 0 {
                Trigger::Firstboot
            } else {
                Trigger::ForcedRerun {
                    token: format!("token-{}", input.byte() % 3),
                }
            },
        },
        1 => Event::Restarted {
            planned: (input.byte() % 2 == 0).then(reason),
        },
        2 => Event::BootRefused,
        3 => Event::ConfigFetched {
            sha256: if input.byte() % 4 == 0 {
                CONFIG_B
            } else {
                CONFIG_A
            },
        },
        4 | 5 => Event::StageBegan { stage },
        6 | 7 => Event::StageEnded { stage },
        8 => Event::StageFailed {
            stage,
            reason: "exit status 1".into(),
        },
        9 => Event::RebootPlanned { reason: reason() },
        10 => Event::Completed,
        11 => Event::Reset {
            reason: "operator".into(),
        },
        13 => Event::ConfigKept {
            sha256: config(input.byte()),
            size: 64,
        },
        14 => Event::ConfigRestored {
            sha256: config(input.byte()),
        },
        15 => Event::KeptConfigRemoved {
            sha256: config(input.byte()),
            cause: RemovalCause::ALL[input.choose(RemovalCause::ALL.len())],
        },
        12 if input.byte() % 2 == 0 => Event::CallFailed {
            call: [CallName::Check, CallName::Fetched, CallName::Begin(stage)][input.choose(3)],
            status: [30, 53, 54, 55][input.choose(4)],
            reason: "refused".into(),
        },
        _ => Event::Poisoned {
            reason: PoisonReason::RetriesExhausted {
                restarts: 6,
                limit: 5,
            },
        },
    }
}

/// Fuzz body `crash_recovery`: an arbitrary sequence of hooks over up to
/// four boots, each boot possibly cut short by a crash at an arbitrary
/// operation, leaving an arbitrary one of the states that crash may leave.
/// Every crash state must pass [`check_crash_state`].
pub fn crash_recovery(data: &[u8]) {
    let mut input = Input::new(data);
    let configs = [CONFIG_A, CONFIG_B];
    let mut journal: Option<Vec<u8>> = None;
    for index in 0..4u8 {
        let token = (input.byte() % 8 == 0).then_some("rerun");
        let mut machine = Machine::on_disk(journal.as_deref(), index, token);
        let hooks_left = input.choose(14) + 1;
        let mut crash = None;
        for _ in 0..hooks_left {
            let hooks = machine.next_hooks(&configs);
            if hooks.is_empty() {
                break;
            }
            let hook = hooks[input.choose(hooks.len())].clone();
            let run = machine.run(&hook).expect("a hook without faults succeeds");
            if input.byte() % 6 == 0 && !run.ops.is_empty() {
                crash = Some(run);
                break;
            }
        }
        let Some(run) = crash else {
            journal = machine.storage.contents();
            continue;
        };
        let mut states = machine.crash_states(&run);
        let (point, state) = states.swap_remove(input.choose(states.len()));
        let acknowledged = &machine.acknowledged[..point.acknowledged];
        let in_flight = &machine.acknowledged[point.acknowledged..][..point.in_flight];
        let next = index + 1;
        let mut clock = FixedClock::new(boot_id(next), EPOCH_WALL_MS);
        let context = boot_context(boot_id(next), None);
        if let Err(violation) = check_crash_state(
            state.journal.as_deref(),
            acknowledged,
            in_flight,
            &mut clock,
            &context,
        ) {
            panic!("{violation} (crash {point:?}, {:?})", state.tearing);
        }
        journal = state.journal;
    }
}
