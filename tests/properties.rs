//! Properties over random histories (quickcheck): the typestate API and the
//! transition function agree, `Poisoned` is absorbing but for `reset`, no
//! history with a durable red-line crossing ever classifies as safe, and
//! replaying what was written gives back the same progress.

mod common;

use common::{CONFIG, Machine, OTHER_CONFIG};
use provision_journal::provisioning::{
    self, Provisioning, ProvisioningError, Running, StageDone, Start,
};
use provision_journal::{
    BootContext, Clock, Event, FixedClock, Journal, MemStorage, PoisonReason, Progress,
    RebootReason, Record, Stage, Stamp, State, Trigger, Verdict, classify, transition,
};
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};

/// One thing a machine's hooks or its operator may do.
#[derive(Clone, Debug)]
enum Action {
    NewBoot,
    Crash,
    Fetched { other: bool },
    Begin(Stage),
    End(Stage),
    Fail(Stage),
    Reboot(RebootReason),
    Complete,
    Reset,
    RerunToken(Option<u8>),
}

impl Arbitrary for Action {
    fn arbitrary(g: &mut Gen) -> Self {
        let stage = *g.choose(&Stage::MUTATING).unwrap();
        match u8::arbitrary(g) % 16 {
            0 | 1 => Action::NewBoot,
            2 => Action::Crash,
            3 => Action::Fetched {
                other: u8::arbitrary(g) % 4 == 0,
            },
            4..=6 => Action::Begin(stage),
            7..=9 => Action::End(stage),
            10 => Action::Fail(*g.choose(&Stage::ALL).unwrap()),
            11 => Action::Reboot(
                g.choose(&[RebootReason::Kargs, RebootReason::Fips])
                    .unwrap()
                    .clone(),
            ),
            12 => Action::Complete,
            13 => Action::Reset,
            14 => Action::RerunToken(Option::<u8>::arbitrary(g).map(|token| token % 3)),
            _ => Action::Fetched { other: false },
        }
    }
}

fn event_of(action: &Action) -> Option<Event> {
    Some(match action {
        Action::Fetched { other } => Event::ConfigFetched {
            sha256: if *other { OTHER_CONFIG } else { CONFIG },
        },
        Action::Begin(stage) => Event::StageBegan { stage: *stage },
        Action::End(stage) => Event::StageEnded { stage: *stage },
        Action::Fail(stage) => Event::StageFailed {
            stage: *stage,
            reason: "exit status 1".into(),
        },
        Action::Reboot(reason) => Event::RebootPlanned {
            reason: reason.clone(),
        },
        Action::Complete => Event::Completed,
        Action::Reset => Event::Reset {
            reason: "operator".into(),
        },
        Action::NewBoot | Action::Crash | Action::RerunToken(_) => return None,
    })
}

fn is_safe(verdict: &Verdict) -> bool {
    matches!(
        verdict,
        Verdict::SafeRetry { .. } | Verdict::ResumeAfterPlannedReboot { .. }
    )
}

/// Runs a script on a machine whose power may be cut between any two
/// hooks, and checks the safety and replay properties after every step.
fn run_machine(script: Vec<Action>) -> TestResult {
    let mut machine = Machine::new();
    machine.boot().check();
    let mut crossed = false;
    for action in &script {
        match action {
            Action::NewBoot => {
                let decision = machine.boot().decide();
                if crossed && is_safe(&decision.verdict) {
                    return TestResult::error(format!(
                        "unsafe restart called safe: {:?}",
                        decision.verdict
                    ));
                }
                if let Some(Event::AttemptStarted { .. }) = decision.record {
                    crossed = false;
                }
            }
            Action::Crash => {
                machine.storage = machine.storage.crash();
            }
            Action::RerunToken(token) => {
                machine.rerun_token = token.map(|token| format!("token-{token}"));
            }
            other => {
                let event = event_of(other).expect("a hook action");
                let is_begin_past_red_line =
                    matches!(event, Event::StageBegan { stage } if stage.is_past_red_line());
                let is_reset = matches!(event, Event::Reset { .. });
                if machine.try_hook(event).is_ok() {
                    crossed = (crossed || is_begin_past_red_line) && !is_reset;
                }
            }
        }
    }
    let written = machine.journal().progress().clone();
    let replayed = Journal::read(machine.storage.reopen())
        .expect("a journal written by this code reads back")
        .progress()
        .clone();
    if written != replayed {
        return TestResult::error("replay differs from what the writer holds");
    }
    TestResult::passed()
}

#[test]
fn no_durable_red_line_crossing_classifies_as_safe_and_replay_agrees() {
    QuickCheck::new()
        .tests(300)
        .rng(Gen::new(60))
        .quickcheck(run_machine as fn(Vec<Action>) -> TestResult);
}

fn stamp(seq: u64) -> Stamp {
    Stamp {
        boot_id: Machine::boot_id(1),
        wall_ms: seq as i64,
        mono_ns: seq,
    }
}

/// Feeds random events straight into the transition function and checks
/// that once `Poisoned`, only `Reset` leaves it.
fn poisoned_is_absorbing(script: Vec<Action>) -> TestResult {
    let mut progress = Progress::default();
    let extra = [
        Event::AttemptStarted {
            epoch: 1,
            trigger: Trigger::Firstboot,
        },
        Event::Restarted { planned: None },
        Event::Poisoned {
            reason: PoisonReason::RetriesExhausted {
                restarts: 9,
                limit: 5,
            },
        },
        Event::BootRefused,
    ];
    for (seq, action) in script.iter().enumerate() {
        let mut candidates: Vec<Event> = event_of(action).into_iter().collect();
        candidates.extend(extra.iter().cloned());
        candidates.push(Event::AttemptStarted {
            epoch: progress.epoch + 1,
            trigger: Trigger::ForcedRerun {
                token: format!("t{seq}"),
            },
        });
        candidates.push(Event::AttemptStarted {
            epoch: progress.epoch + 1,
            trigger: Trigger::Firstboot,
        });
        for event in candidates {
            let record = Record {
                seq: seq as u64,
                stamp: stamp(seq as u64),
                event: event.clone(),
            };
            let Ok(next) = transition(&progress, &record) else {
                continue;
            };
            if progress.state == State::Poisoned
                && next.state != State::Poisoned
                && !matches!(event, Event::Reset { .. })
            {
                return TestResult::error(format!("{event:?} left Poisoned"));
            }
            progress = next;
            break;
        }
    }
    TestResult::passed()
}

#[test]
fn poisoned_is_absorbing_except_for_reset() {
    QuickCheck::new()
        .tests(1000)
        .rng(Gen::new(80))
        .quickcheck(poisoned_is_absorbing as fn(Vec<Action>) -> TestResult);
}

/// The typestate API at runtime, one variant per compile-time state.
enum Live {
    Fresh(Provisioning<MemStorage, FixedClock, provisioning::Fresh>),
    Fetched(Provisioning<MemStorage, FixedClock, provisioning::Fetched>),
    Running(Provisioning<MemStorage, FixedClock, Running>),
    Done(Provisioning<MemStorage, FixedClock, StageDone>),
    Over,
}

fn apply(
    model: &mut Progress,
    seq: &mut u64,
    clock: &mut FixedClock,
    event: Event,
) -> Result<(), provision_journal::TransitionError> {
    let record = Record {
        seq: *seq,
        stamp: clock.stamp(),
        event,
    };
    *model = transition(model, &record)?;
    *seq += 1;
    Ok(())
}

/// Drives the typestate API with a script, mirroring each step on a bare
/// `Progress` through `transition`: both must accept and reject the same
/// steps and reach the same progress.
fn typestate_agrees(script: Vec<Action>) -> TestResult {
    let disk = MemStorage::new();
    let mut model = Progress::default();
    let mut model_seq = 0u64;
    let mut model_clock = FixedClock::new(Machine::boot_id(0), common::START_MS);
    let mut boots = 0u8;
    let mut live = Live::Over;
    for action in script.iter().chain([Action::NewBoot].iter()) {
        let step: Result<Live, ProvisioningError>;
        let expected: Result<(), ()>;
        match (live, action) {
            (previous, Action::NewBoot) => {
                drop(previous);
                boots += 1;
                let clock = FixedClock::new(Machine::boot_id(boots), common::START_MS);
                model_clock = clock;
                let context = BootContext {
                    boot_id: Some(clock.boot_id),
                    firstboot: true,
                    ..BootContext::default()
                };
                let decision = classify(&model, None, &context);
                if let Some(event) = decision.record.clone() {
                    apply(&mut model, &mut model_seq, &mut model_clock, event)
                        .expect("classifier records are valid");
                }
                let journal = Journal::open(disk.reopen()).expect("opens");
                live = match Provisioning::start(journal, clock, &context).expect("check works") {
                    Start::Proceed { provisioning, .. } => Live::Fresh(provisioning),
                    Start::Stop { .. } => Live::Over,
                };
                let read = Journal::read(disk.reopen()).unwrap().progress().clone();
                if read != model {
                    return TestResult::error(format!("after check: {read:?} != {model:?}"));
                }
                continue;
            }
            (Live::Fresh(p), Action::Fetched { other }) => {
                let sha256 = if *other { OTHER_CONFIG } else { CONFIG };
                expected = apply(
                    &mut model,
                    &mut model_seq,
                    &mut model_clock,
                    Event::ConfigFetched { sha256 },
                )
                .map_err(drop);
                step = p.fetched(sha256).map(Live::Fetched);
            }
            (Live::Fetched(p), Action::Begin(stage)) => {
                expected = apply(
                    &mut model,
                    &mut model_seq,
                    &mut model_clock,
                    Event::StageBegan { stage: *stage },
                )
                .map_err(drop);
                step = p.begin(*stage).map(Live::Running);
            }
            (Live::Done(p), Action::Begin(stage)) => {
                expected = apply(
                    &mut model,
                    &mut model_seq,
                    &mut model_clock,
                    Event::StageBegan { stage: *stage },
                )
                .map_err(drop);
                step = p.begin(*stage).map(Live::Running);
            }
            (Live::Running(p), Action::End(_)) => {
                let stage = p.progress().state.stage().unwrap();
                expected = apply(
                    &mut model,
                    &mut model_seq,
                    &mut model_clock,
                    Event::StageEnded { stage },
                )
                .map_err(drop);
                step = p.end().map(Live::Done);
            }
            (Live::Running(p), Action::Fail(_)) => {
                let stage = p.progress().state.stage().unwrap();
                let event = Event::StageFailed {
                    stage,
                    reason: "exit status 1".into(),
                };
                expected = apply(&mut model, &mut model_seq, &mut model_clock, event).map_err(drop);
                step = p.fail("exit status 1").map(|_| Live::Over);
            }
            (Live::Done(p), Action::Reboot(reason)) => {
                let event = Event::RebootPlanned {
                    reason: reason.clone(),
                };
                expected = apply(&mut model, &mut model_seq, &mut model_clock, event).map_err(drop);
                step = p.reboot(reason.clone()).map(|_| Live::Over);
            }
            (Live::Fetched(p), Action::Reboot(reason)) => {
                let event = Event::RebootPlanned {
                    reason: reason.clone(),
                };
                expected = apply(&mut model, &mut model_seq, &mut model_clock, event).map_err(drop);
                step = p.reboot(reason.clone()).map(|_| Live::Over);
            }
            (Live::Done(p), Action::Complete) => {
                expected = apply(
                    &mut model,
                    &mut model_seq,
                    &mut model_clock,
                    Event::Completed,
                )
                .map_err(drop);
                step = p.complete().map(|_| Live::Over);
            }
            (other, _) => {
                live = other;
                continue;
            }
        }
        let poisoned = model.state == State::Poisoned;
        match (&step, expected) {
            (Ok(_), Ok(())) => {}
            (Err(ProvisioningError::Poisoned { .. }), Ok(())) if poisoned => {}
            (Err(ProvisioningError::Journal(_)), Err(())) => {}
            (step, expected) => {
                return TestResult::error(format!(
                    "typestate {:?} vs transition {expected:?}",
                    step.as_ref().err()
                ));
            }
        }
        live = step.unwrap_or(Live::Over);
        let read = Journal::read(disk.reopen()).unwrap().progress().clone();
        if read != model {
            return TestResult::error(format!("{read:?} != {model:?}"));
        }
    }
    TestResult::passed()
}

#[test]
fn typestate_api_agrees_with_the_transition_function() {
    QuickCheck::new()
        .tests(300)
        .rng(Gen::new(50))
        .quickcheck(typestate_agrees as fn(Vec<Action>) -> TestResult);
}
