//! One test per row of the restart classification table in
//! `spec/STATES.md`, driven through the real journal in memory.

mod common;

use common::{Machine, OTHER_CONFIG};
use provision_journal::testing::{REFUSED_BOOTS_RECORDED, min_bytes_to_cross_red_line};
use provision_journal::{
    BootContext, Event, Journal, JournalError, MemStorage, NotApplicable, PoisonReason, Policy,
    RebootReason, Stage, State, TornTail, Verdict, classify,
};

fn started() -> Machine {
    let mut machine = Machine::new();
    assert_eq!(
        machine.boot().decide().verdict,
        Verdict::FirstRun { epoch: 1 }
    );
    machine
}

#[test]
fn row1_live_systems_are_not_journaled() {
    let mut machine = started();
    machine.boot();
    let context = BootContext {
        live: true,
        ..machine.context()
    };
    let journal = machine.journal();
    let decision = classify(journal.progress(), None, &context);
    assert_eq!(
        decision.verdict,
        Verdict::NotApplicable {
            why: NotApplicable::LiveSystem
        }
    );
    assert!(decision.record.is_none() && decision.verdict.may_proceed());
}

#[test]
fn row2_a_boot_without_firstboot_is_not_a_provisioning_boot() {
    let machine = Machine::new();
    let context = BootContext {
        firstboot: false,
        ..machine.context()
    };
    let decision = classify(&Default::default(), None, &context);
    assert_eq!(
        decision.verdict,
        Verdict::NotApplicable {
            why: NotApplicable::NotFirstBoot
        }
    );
    assert!(decision.record.is_none());
}

#[test]
fn row3_a_corrupt_or_newer_journal_is_an_error_not_a_verdict() {
    let mut bytes = started().bytes();
    let last = bytes.len() - 40;
    bytes[last] ^= 1;
    bytes.extend_from_slice(&started().bytes()[24..]);
    assert!(matches!(
        Journal::open(MemStorage::with_bytes(&bytes)),
        Err(JournalError::Corrupt { .. })
    ));
    let mut newer = started().bytes();
    newer[8] = 2;
    assert!(matches!(
        Journal::open(MemStorage::with_bytes(&newer)),
        Err(JournalError::UnsupportedVersion { found: 2, .. })
    ));
}

fn poisoned() -> Machine {
    let mut machine = started();
    machine.fetched().begin(Stage::Disks);
    assert!(matches!(
        machine.boot().decide().verdict,
        Verdict::FatalInterruption { .. }
    ));
    machine
}

#[test]
fn row4_poisoned_stays_stopped_and_records_only_the_first_refusals() {
    let mut machine = poisoned();
    let mut recorded = 0;
    for _ in 0..20 {
        let decision = machine.boot().decide();
        assert_eq!(decision.verdict, Verdict::Poisoned { epoch: 1 });
        assert!(!decision.verdict.may_proceed());
        recorded += u32::from(decision.record.is_some());
    }
    assert_eq!(recorded, REFUSED_BOOTS_RECORDED);
    assert_eq!(
        machine.journal().progress().refused_boots,
        REFUSED_BOOTS_RECORDED
    );
}

fn complete() -> Machine {
    let mut machine = started();
    machine.provision_all();
    machine
}

#[test]
fn row5_a_new_rerun_token_reruns_a_complete_attempt_once() {
    let mut machine = complete();
    machine.rerun_token = Some("dev-1".into());
    let decision = machine.boot().decide();
    assert_eq!(
        decision.verdict,
        Verdict::ForcedRerun {
            epoch: 2,
            token: "dev-1".into()
        }
    );
    machine.provision_all();
    assert_eq!(
        machine.boot().decide().verdict,
        Verdict::AlreadyComplete { epoch: 2 },
        "a token is honoured once, even if it stays on the command line"
    );
}

#[test]
fn row5_a_rerun_token_does_not_override_poison() {
    let mut machine = poisoned();
    machine.rerun_token = Some("dev-1".into());
    assert_eq!(
        machine.boot().decide().verdict,
        Verdict::Poisoned { epoch: 1 }
    );
}

#[test]
fn row6_complete_is_never_reapplied_silently() {
    let mut machine = complete();
    let decision = machine.boot().decide();
    assert_eq!(decision.verdict, Verdict::AlreadyComplete { epoch: 1 });
    assert_eq!(decision.record, Some(Event::BootRefused));
    assert!(!decision.verdict.may_proceed());
}

#[test]
fn row7_no_attempt_open_is_a_first_run_including_after_reset() {
    let mut machine = poisoned();
    machine.hook(Event::Reset {
        reason: "disks verified".into(),
    });
    let decision = machine.boot().decide();
    assert_eq!(decision.verdict, Verdict::FirstRun { epoch: 2 });
    assert!(decision.verdict.may_proceed());
}

#[test]
fn row8_check_twice_on_one_boot_is_not_a_restart() {
    let mut machine = started();
    machine.fetched().begin(Stage::Disks);
    let decision = machine.decide();
    assert_eq!(decision.verdict, Verdict::SameBoot { epoch: 1 });
    assert_eq!(decision.record, None);
    assert_eq!(
        machine.journal().progress().state.stage(),
        Some(Stage::Disks)
    );
}

#[test]
fn row9_interrupted_past_the_red_line_is_fatal_for_every_stage_and_step() {
    for stage in [Stage::Disks, Stage::Mount, Stage::Files, Stage::Umount] {
        for ended in [false, true] {
            let mut machine = started();
            machine.fetched();
            for earlier in [Stage::Kargs, Stage::Disks, Stage::Mount, Stage::Files] {
                if earlier < stage {
                    machine.stage(earlier);
                }
            }
            machine.begin(stage);
            if ended {
                machine.hook(Event::StageEnded { stage });
            }
            let decision = machine.boot().decide();
            let Verdict::FatalInterruption {
                reason:
                    PoisonReason::Interrupted {
                        stage: named,
                        stage_running,
                        boot,
                        ..
                    },
            } = &decision.verdict
            else {
                panic!("{stage} ended={ended}: {:?}", decision.verdict);
            };
            assert_eq!(
                (*named, *stage_running, *boot),
                (stage, !ended, Machine::boot_id(1))
            );
            assert_eq!(machine.journal().progress().state, State::Poisoned);
            assert_eq!(
                machine.boot().decide().verdict,
                Verdict::Poisoned { epoch: 1 }
            );
        }
    }
}

#[test]
fn row9_a_failure_past_the_red_line_stops_the_next_boot() {
    let mut machine = started();
    machine.fetched().begin(Stage::Files);
    machine.hook(Event::StageFailed {
        stage: Stage::Files,
        reason: "exit status 1".into(),
    });
    assert_eq!(
        machine.boot().decide().verdict,
        Verdict::Poisoned { epoch: 1 }
    );
}

#[test]
fn row10_a_torn_tail_long_enough_to_hide_begin_disks_is_fatal() {
    let mut machine = started();
    machine.fetched();
    let journal = machine.journal();
    let needed = min_bytes_to_cross_red_line(journal.progress()).expect("fetched can cross");
    assert_eq!(needed, 60, "one `begin disks` frame");
    let context = BootContext {
        boot_id: Some(Machine::boot_id(9)),
        ..machine.context()
    };
    let end = journal.len();
    let short = TornTail {
        offset: end,
        len: needed - 1,
    };
    let long = TornTail {
        offset: end,
        len: needed,
    };
    assert!(matches!(
        classify(journal.progress(), Some(short), &context).verdict,
        Verdict::SafeRetry { .. }
    ));
    assert_eq!(
        classify(journal.progress(), Some(long), &context).verdict,
        Verdict::FatalInterruption {
            reason: PoisonReason::TornTailAtRedLine {
                offset: end,
                len: needed
            }
        }
    );
}

/// The availability cost spec/STATES.md states for row 10, pinned: only a
/// torn `begin kargs` (from `Fetched`) or a torn `reboot` (from `kargs`
/// ended) is as long as the shortest crossing; every other append before
/// the red line is shorter than its crossing.
#[test]
fn row10_costs_exactly_a_torn_begin_kargs_or_reboot() {
    let frame_len = |machine: &mut Machine, event: Event| {
        let before = machine.bytes().len();
        machine.hook(event);
        (machine.bytes().len() - before) as u64
    };
    let mut machine = started();
    let from_fresh = min_bytes_to_cross_red_line(machine.journal().progress()).unwrap();
    let fetched = frame_len(
        &mut machine,
        Event::ConfigFetched {
            sha256: OTHER_CONFIG,
        },
    );
    assert!(
        fetched < from_fresh,
        "a torn fetched ({fetched}) vs {from_fresh}"
    );
    let from_fetched = min_bytes_to_cross_red_line(machine.journal().progress()).unwrap();
    let begin_kargs = frame_len(
        &mut machine,
        Event::StageBegan {
            stage: Stage::Kargs,
        },
    );
    assert!(
        begin_kargs >= from_fetched,
        "the stated cost: begin kargs {begin_kargs} vs {from_fetched}"
    );
    let from_running = min_bytes_to_cross_red_line(machine.journal().progress()).unwrap();
    let end_kargs = frame_len(
        &mut machine,
        Event::StageEnded {
            stage: Stage::Kargs,
        },
    );
    assert!(
        end_kargs < from_running,
        "a torn end kargs ({end_kargs}) vs {from_running}"
    );
    let from_ended = min_bytes_to_cross_red_line(machine.journal().progress()).unwrap();
    let reboot = frame_len(
        &mut machine,
        Event::RebootPlanned {
            reason: RebootReason::Kargs,
        },
    );
    assert!(
        reboot >= from_ended,
        "the stated cost: reboot {reboot} vs {from_ended}"
    );
    assert_eq!(
        (from_fresh, from_fetched, from_running, from_ended),
        (148, 60, 120, 60)
    );
}

#[test]
fn row10_a_bit_flip_in_a_durable_begin_disks_never_looks_safe() {
    let mut machine = started();
    machine.fetched().begin(Stage::Disks);
    let mut bytes = machine.bytes();
    let at = bytes.len() - 10;
    bytes[at] ^= 0x80;
    let mut damaged = Machine::from_bytes(&bytes);
    let journal = damaged.journal();
    assert!(
        journal.torn_tail().is_some(),
        "damage in the last record reads as torn"
    );
    drop(journal);
    assert!(matches!(
        damaged.boot().decide().verdict,
        Verdict::FatalInterruption {
            reason: PoisonReason::TornTailAtRedLine { .. }
        }
    ));
}

#[test]
fn row11_a_reboot_loop_is_poisoned() {
    let mut machine = started();
    let limit = Policy::default().max_planned_reboots;
    for round in 1..=limit + 1 {
        machine.fetched().stage(Stage::Kargs).reboot_for_kargs();
        let verdict = machine.boot().decide().verdict;
        if round <= limit {
            assert!(
                matches!(verdict, Verdict::ResumeAfterPlannedReboot { .. }),
                "{round}: {verdict:?}"
            );
        } else {
            assert_eq!(
                verdict,
                Verdict::FatalInterruption {
                    reason: PoisonReason::PlannedRebootsExhausted {
                        reboots: limit + 1,
                        limit
                    }
                }
            );
        }
    }
}

#[test]
fn row12_a_planned_reboot_resumes_and_is_not_a_failure() {
    for reason in [RebootReason::Kargs, RebootReason::Fips] {
        let mut machine = started();
        machine.fetched();
        if reason == RebootReason::Kargs {
            machine.stage(Stage::Kargs);
        }
        machine.hook(Event::RebootPlanned {
            reason: reason.clone(),
        });
        let decision = machine.boot().decide();
        assert_eq!(
            decision.verdict,
            Verdict::ResumeAfterPlannedReboot {
                epoch: 1,
                reason: reason.clone()
            }
        );
        let progress = machine.journal().progress().clone();
        assert_eq!(
            (progress.planned_reboots, progress.unplanned_restarts),
            (1, 0)
        );
    }
}

#[test]
fn row13_the_retry_budget_is_counted_and_configurable() {
    for limit in [0, 1, 3] {
        let mut machine = started();
        machine.policy = Policy {
            max_retries: limit,
            ..Policy::default()
        };
        for restart in 1..=limit {
            machine.fetched();
            assert_eq!(
                machine.boot().decide().verdict,
                Verdict::SafeRetry {
                    epoch: 1,
                    restarts: restart,
                    limit,
                    failed_stage: None,
                    failed_call: None,
                }
            );
        }
        assert_eq!(
            machine.boot().decide().verdict,
            Verdict::FatalInterruption {
                reason: PoisonReason::RetriesExhausted {
                    restarts: limit + 1,
                    limit
                }
            }
        );
    }
}

#[test]
fn row14_interrupted_or_failed_before_the_red_line_is_a_safe_retry() {
    type Interruption = fn(&mut Machine);
    let cases: [(Interruption, Option<Stage>); 7] = [
        (|_| {}, None),
        (
            |machine| {
                machine.fetched();
            },
            None,
        ),
        (
            |machine| {
                machine.fetched().begin(Stage::Kargs);
            },
            None,
        ),
        (
            |machine| {
                machine.fetched().stage(Stage::Kargs);
            },
            None,
        ),
        (
            |machine| {
                machine
                    .fetched()
                    .begin(Stage::Kargs)
                    .hook(Event::StageFailed {
                        stage: Stage::Kargs,
                        reason: "exit status 1".into(),
                    });
            },
            Some(Stage::Kargs),
        ),
        (
            |machine| {
                machine.hook(Event::StageFailed {
                    stage: Stage::FetchOffline,
                    reason: "exit status 1".into(),
                });
            },
            Some(Stage::FetchOffline),
        ),
        (
            |machine| {
                machine.hook(Event::StageFailed {
                    stage: Stage::Fetch,
                    reason: "exit status 1".into(),
                });
            },
            Some(Stage::Fetch),
        ),
    ];
    for (index, (interrupt, failed_stage)) in cases.iter().enumerate() {
        let mut machine = started();
        interrupt(&mut machine);
        let decision = machine.boot().decide();
        assert_eq!(
            decision.verdict,
            Verdict::SafeRetry {
                epoch: 1,
                restarts: 1,
                limit: 5,
                failed_stage: *failed_stage,
                failed_call: None,
            },
            "case {index}"
        );
        assert_eq!(decision.record, Some(Event::Restarted { planned: None }));
        let words = decision.verdict.to_string();
        match failed_stage {
            Some(stage) => assert!(
                words.contains(&format!("stage {stage}")) && words.contains("failed"),
                "case {index}: {words}"
            ),
            None => assert!(words.contains("interrupted"), "case {index}: {words}"),
        }
    }
}

#[test]
fn a_failure_is_forgotten_once_the_next_boot_restarts() {
    let mut machine = started();
    machine.hook(Event::StageFailed {
        stage: Stage::FetchOffline,
        reason: "exit status 1".into(),
    });
    machine.boot().check();
    machine.fetched();
    let decision = machine.boot().decide();
    assert_eq!(
        decision.verdict,
        Verdict::SafeRetry {
            epoch: 1,
            restarts: 2,
            limit: 5,
            failed_stage: None,
            failed_call: None,
        }
    );
}

#[test]
fn a_different_config_after_kargs_poisons_at_fetch() {
    let mut machine = started();
    machine.fetched().stage(Stage::Kargs).reboot_for_kargs();
    machine.boot().check();
    machine.hook(Event::ConfigFetched {
        sha256: OTHER_CONFIG,
    });
    assert_eq!(machine.journal().progress().state, State::Poisoned);
    assert_eq!(
        machine.boot().decide().verdict,
        Verdict::Poisoned { epoch: 1 }
    );
}

#[test]
fn every_open_state_can_cross_within_the_longest_torn_tail() {
    let mut states = Vec::new();
    let mut machine = Machine::new();
    states.push(machine.journal().progress().clone());
    machine.boot().check();
    states.push(machine.journal().progress().clone());
    machine.fetched();
    states.push(machine.journal().progress().clone());
    machine.begin(Stage::Kargs);
    states.push(machine.journal().progress().clone());
    machine.hook(Event::StageFailed {
        stage: Stage::Kargs,
        reason: String::new(),
    });
    states.push(machine.journal().progress().clone());
    machine.boot().check();
    machine.fetched().stage(Stage::Kargs);
    states.push(machine.journal().progress().clone());
    machine.reboot_for_kargs();
    states.push(machine.journal().progress().clone());
    for progress in states {
        assert!(
            min_bytes_to_cross_red_line(&progress).is_some(),
            "{:?} cannot reach the red line within the longest torn tail",
            progress.state
        );
    }
}

#[test]
fn row10_a_torn_record_of_a_failed_call_is_harmless_where_check_and_fetched_write_it() {
    use provision_journal::fuzzing::largest_call_failure;
    let mut machine = started();
    let from_fresh = min_bytes_to_cross_red_line(machine.journal().progress()).unwrap();
    let before = machine.bytes().len();
    machine.hook(largest_call_failure().event());
    let largest = (machine.bytes().len() - before) as u64;
    assert_eq!(largest, 137, "spec/FORMAT.md states the bound");
    assert!(
        largest < from_fresh,
        "a torn failure record ({largest}) vs {from_fresh}"
    );
    // A torn tail that long after `check`'s record is still a safe retry.
    let mut next = started();
    let progress = next.journal().progress().clone();
    let torn = TornTail {
        offset: next.bytes().len() as u64,
        len: largest,
    };
    let context = next.boot().context();
    let decision = classify(&progress, Some(torn), &context);
    assert!(
        matches!(decision.verdict, Verdict::SafeRetry { .. }),
        "{:?}",
        decision.verdict
    );
}

#[test]
fn row14_names_the_call_that_stopped_the_last_boot() {
    use provision_journal::event::CallName;
    let mut machine = started();
    machine.hook(Event::CallFailed {
        call: CallName::Check,
        status: 54,
        reason: "`/usr/lib/ignition` is on a persistent file system".into(),
    });
    let verdict = machine.boot().decide().verdict;
    let Verdict::SafeRetry {
        failed_call: Some(failed),
        failed_stage: None,
        restarts: 1,
        ..
    } = &verdict
    else {
        panic!("{verdict:?}");
    };
    assert_eq!((failed.call, failed.status), (CallName::Check, 54));
    assert!(
        verdict
            .to_string()
            .contains("stopped at a failed call (check: exit 54)"),
        "{verdict}"
    );
    // The boot after a retry that went on without failing is told as an
    // interruption again.
    let verdict = machine.boot().decide().verdict;
    assert!(
        matches!(
            verdict,
            Verdict::SafeRetry {
                failed_call: None,
                restarts: 2,
                ..
            }
        ),
        "{verdict:?}"
    );
}
