//! One test per row of the transition table in `spec/STATES.md`.

use provision_journal::{
    BootId, Event, PoisonCause, PoisonReason, Progress, RebootReason, Record, Sha256, Stage, Stamp,
    State, Step, TransitionError, Trigger, transition,
};

const A: Sha256 = Sha256([0xaa; 32]);
const B: Sha256 = Sha256([0xbb; 32]);

/// Applies events on one boot each time `boot` is bumped by the caller.
struct History {
    progress: Progress,
    seq: u64,
    boot: u8,
}

impl History {
    fn new() -> Self {
        History {
            progress: Progress::default(),
            seq: 0,
            boot: 1,
        }
    }

    fn record(&self, event: Event) -> Record {
        Record {
            seq: self.seq,
            stamp: Stamp {
                boot_id: BootId([self.boot; 16]),
                wall_ms: 1_000 * self.seq as i64,
                mono_ns: self.seq,
            },
            event,
        }
    }

    fn try_apply(&self, event: Event) -> Result<Progress, TransitionError> {
        transition(&self.progress, &self.record(event))
    }

    fn apply(&mut self, event: Event) -> &mut Self {
        self.progress = self
            .try_apply(event.clone())
            .unwrap_or_else(|error| panic!("{event:?} rejected: {error}"));
        self.seq += 1;
        self
    }

    fn rejects(&self, event: Event) {
        assert!(
            self.try_apply(event.clone()).is_err(),
            "{event:?} accepted in {:?}",
            self.progress.state
        );
    }

    fn new_boot(&mut self) -> &mut Self {
        self.boot += 1;
        self
    }

    fn started() -> Self {
        let mut history = History::new();
        history.apply(Event::AttemptStarted {
            epoch: 1,
            trigger: Trigger::Firstboot,
        });
        history
    }

    fn fetched() -> Self {
        let mut history = Self::started();
        history.apply(Event::ConfigFetched { sha256: A });
        history
    }

    fn begin(&mut self, stage: Stage) -> &mut Self {
        self.apply(Event::StageBegan { stage })
    }

    fn end(&mut self, stage: Stage) -> &mut Self {
        self.apply(Event::StageEnded { stage })
    }

    fn state(&self) -> State {
        self.progress.state
    }
}

fn mutating(stage: Stage, step: Step) -> State {
    State::Mutating { stage, step }
}

#[test]
fn first_boot_opens_an_attempt_only_when_none_is_open() {
    let history = History::started();
    assert_eq!(history.state(), State::Fresh);
    assert_eq!((history.progress.epoch, history.progress.boots), (1, 1));
    history.rejects(Event::AttemptStarted {
        epoch: 2,
        trigger: Trigger::Firstboot,
    });
    let empty = History::new();
    assert_eq!(
        empty.try_apply(Event::AttemptStarted {
            epoch: 7,
            trigger: Trigger::Firstboot
        }),
        Err(TransitionError::EpochOutOfOrder {
            current: 0,
            found: 7
        })
    );
}

#[test]
fn forced_rerun_needs_a_complete_attempt_and_an_unused_token() {
    let mut history = History::fetched();
    history.begin(Stage::Disks).end(Stage::Disks);
    let rerun = |token: &str, epoch| Event::AttemptStarted {
        epoch,
        trigger: Trigger::ForcedRerun {
            token: token.into(),
        },
    };
    history.rejects(rerun("t1", 2));
    history.apply(Event::Completed);
    history.new_boot().apply(rerun("t1", 2));
    assert_eq!((history.state(), history.progress.epoch), (State::Fresh, 2));
    history.apply(Event::ConfigFetched { sha256: A });
    history
        .begin(Stage::Files)
        .end(Stage::Files)
        .apply(Event::Completed);
    history.new_boot().rejects(rerun("t1", 3));
    history.apply(rerun("t2", 3));
    assert_eq!(history.progress.rerun_tokens, vec!["t1", "t2"]);
}

#[test]
fn restart_goes_back_to_fresh_before_the_red_line_only() {
    for stage in [None, Some(Stage::Kargs)] {
        let mut history = History::fetched();
        if let Some(stage) = stage {
            history.begin(stage);
        }
        history.new_boot().apply(Event::Restarted { planned: None });
        assert_eq!(history.state(), State::Fresh);
        assert_eq!(
            (history.progress.boots, history.progress.unplanned_restarts),
            (2, 1)
        );
    }
    let mut history = History::fetched();
    history.begin(Stage::Disks).new_boot();
    history.rejects(Event::Restarted { planned: None });
    History::new().rejects(Event::Restarted { planned: None });
}

#[test]
fn a_planned_restart_must_match_the_announced_reboot() {
    let mut history = History::fetched();
    history.begin(Stage::Kargs).end(Stage::Kargs);
    history.apply(Event::RebootPlanned {
        reason: RebootReason::Kargs,
    });
    history.new_boot();
    history.rejects(Event::Restarted { planned: None });
    history.rejects(Event::Restarted {
        planned: Some(RebootReason::Fips),
    });
    history.apply(Event::Restarted {
        planned: Some(RebootReason::Kargs),
    });
    assert_eq!(history.progress.planned_reboots, 1);
    assert_eq!(history.progress.reboot_pending, None);
    history.rejects(Event::Restarted {
        planned: Some(RebootReason::Kargs),
    });
}

#[test]
fn boot_refused_only_when_stopped() {
    History::fetched().rejects(Event::BootRefused);
    let mut history = History::fetched();
    history.apply(Event::Poisoned {
        reason: PoisonReason::RetriesExhausted {
            restarts: 6,
            limit: 5,
        },
    });
    history.apply(Event::BootRefused);
    assert_eq!(
        (history.state(), history.progress.refused_boots),
        (State::Poisoned, 1)
    );
}

#[test]
fn config_is_fetched_once_per_boot_and_binds_the_attempt() {
    let history = History::fetched();
    assert_eq!(
        (history.state(), history.progress.config),
        (State::Fetched, Some(A))
    );
    history.rejects(Event::ConfigFetched { sha256: A });
    History::new().rejects(Event::ConfigFetched { sha256: A });
}

#[test]
fn a_new_digest_before_any_mutation_is_rebound_and_counted() {
    let mut history = History::fetched();
    history.new_boot().apply(Event::Restarted { planned: None });
    history.apply(Event::ConfigFetched { sha256: B });
    assert_eq!(history.state(), State::Fetched);
    assert_eq!(
        (history.progress.config, history.progress.config_changes),
        (Some(B), 1)
    );
}

#[test]
fn a_new_digest_after_kargs_ran_poisons() {
    let mut history = History::fetched();
    history.begin(Stage::Kargs).end(Stage::Kargs);
    history.apply(Event::RebootPlanned {
        reason: RebootReason::Kargs,
    });
    history.new_boot().apply(Event::Restarted {
        planned: Some(RebootReason::Kargs),
    });
    history.apply(Event::ConfigFetched { sha256: B });
    assert_eq!(history.state(), State::Poisoned);
    let cause = history
        .progress
        .poison
        .as_ref()
        .map(|poison| poison.cause.clone());
    assert_eq!(
        cause,
        Some(PoisonCause::ConfigChanged {
            bound: A,
            fetched: B
        })
    );
}

#[test]
fn stages_begin_in_order_after_the_previous_ended() {
    let mut history = History::fetched();
    history.rejects(Event::StageBegan {
        stage: Stage::Fetch,
    });
    assert_eq!(
        history.try_apply(Event::StageBegan {
            stage: Stage::Fetch
        }),
        Err(TransitionError::NotMutating {
            stage: Stage::Fetch
        })
    );
    history.begin(Stage::Kargs);
    history.rejects(Event::StageBegan {
        stage: Stage::Disks,
    });
    history.end(Stage::Kargs);
    history.rejects(Event::StageBegan {
        stage: Stage::Kargs,
    });
    history.begin(Stage::Files);
    assert_eq!(history.state(), mutating(Stage::Files, Step::Running));
    assert!(history.progress.mutated);
    history.end(Stage::Files);
    assert_eq!(
        history.try_apply(Event::StageBegan {
            stage: Stage::Disks
        }),
        Err(TransitionError::StageOrder {
            after: Stage::Files,
            next: Stage::Disks
        })
    );
    History::started().rejects(Event::StageBegan {
        stage: Stage::Kargs,
    });
}

#[test]
fn only_the_running_stage_ends() {
    let mut history = History::fetched();
    history.rejects(Event::StageEnded {
        stage: Stage::Kargs,
    });
    history.begin(Stage::Kargs);
    history.rejects(Event::StageEnded {
        stage: Stage::Disks,
    });
    history.end(Stage::Kargs);
    assert_eq!(history.state(), mutating(Stage::Kargs, Step::Ended));
    history.rejects(Event::StageEnded {
        stage: Stage::Kargs,
    });
}

#[test]
fn a_failure_past_the_red_line_poisons_by_itself() {
    for stage in [Stage::Disks, Stage::Mount, Stage::Files, Stage::Umount] {
        let mut history = History::fetched();
        history.begin(stage);
        history.apply(Event::StageFailed {
            stage,
            reason: "exit status 1".into(),
        });
        assert_eq!(history.state(), State::Poisoned);
        let cause = history.progress.poison.as_ref().unwrap().cause.clone();
        assert_eq!(
            cause,
            PoisonCause::StageFailed {
                stage,
                reason: "exit status 1".into()
            }
        );
    }
}

#[test]
fn a_failure_before_the_red_line_leaves_a_retryable_state() {
    let mut history = History::fetched();
    history.begin(Stage::Kargs).apply(Event::StageFailed {
        stage: Stage::Kargs,
        reason: "x".into(),
    });
    assert_eq!(history.state(), mutating(Stage::Kargs, Step::Failed));
    history.rejects(Event::StageBegan {
        stage: Stage::Disks,
    });
    history.new_boot().apply(Event::Restarted { planned: None });

    let mut history = History::started();
    history.apply(Event::StageFailed {
        stage: Stage::Fetch,
        reason: "network unreachable".into(),
    });
    assert_eq!(history.state(), State::Fresh);
    History::fetched().rejects(Event::StageFailed {
        stage: Stage::Disks,
        reason: "never began".into(),
    });
}

#[test]
fn planned_reboots_only_before_the_red_line_between_stages() {
    let fips = Event::RebootPlanned {
        reason: RebootReason::Fips,
    };
    let mut history = History::fetched();
    history.apply(fips.clone());
    assert_eq!(history.progress.reboot_pending, Some(RebootReason::Fips));
    history.rejects(Event::StageBegan {
        stage: Stage::Kargs,
    });
    history.rejects(fips.clone());
    let mut announced = History::started();
    announced.apply(fips.clone());
    let error = announced
        .try_apply(Event::ConfigFetched { sha256: A })
        .expect_err("nothing runs after a reboot was announced");
    assert!(
        error.to_string().contains("a reboot was announced"),
        "{error}"
    );

    let mut history = History::fetched();
    history.begin(Stage::Kargs);
    history.rejects(fips.clone());
    history.end(Stage::Kargs).apply(fips.clone());

    let mut history = History::fetched();
    history.begin(Stage::Disks).end(Stage::Disks);
    history.rejects(fips);
}

#[test]
fn completion_needs_the_last_stage_ended() {
    let mut history = History::fetched();
    history.rejects(Event::Completed);
    history.begin(Stage::Files);
    history.rejects(Event::Completed);
    history.end(Stage::Files).apply(Event::Completed);
    assert_eq!(history.state(), State::Complete);
    history.rejects(Event::Completed);
}

#[test]
fn check_poisons_an_open_attempt_only() {
    let reason = PoisonReason::RetriesExhausted {
        restarts: 6,
        limit: 5,
    };
    History::new().rejects(Event::Poisoned {
        reason: reason.clone(),
    });
    let mut history = History::started();
    history.apply(Event::Poisoned {
        reason: reason.clone(),
    });
    assert_eq!(history.state(), State::Poisoned);
    history.rejects(Event::Poisoned { reason });
}

/// Torn bytes where no attempt is open, or after a completed one, may be a
/// whole attempt that crossed the red line: `check` may poison there, for
/// that reason only.
#[test]
fn a_torn_tail_at_the_red_line_poisons_where_no_attempt_is_open_too() {
    let torn = PoisonReason::TornTailAtRedLine {
        offset: 24,
        len: 212,
    };
    let mut history = History::new();
    history.apply(Event::Poisoned {
        reason: torn.clone(),
    });
    assert_eq!(history.state(), State::Poisoned);
    history.rejects(Event::Poisoned {
        reason: torn.clone(),
    });

    let mut history = History::fetched();
    history
        .begin(Stage::Files)
        .end(Stage::Files)
        .apply(Event::Completed);
    history.rejects(Event::Poisoned {
        reason: PoisonReason::RetriesExhausted {
            restarts: 6,
            limit: 5,
        },
    });
    history.apply(Event::Poisoned { reason: torn });
    assert_eq!(history.state(), State::Poisoned);
}

#[test]
fn poisoned_is_absorbing_except_for_reset() {
    let mut history = History::fetched();
    history.begin(Stage::Disks).apply(Event::StageFailed {
        stage: Stage::Disks,
        reason: "wipefs failed".into(),
    });
    for event in [
        Event::AttemptStarted {
            epoch: 2,
            trigger: Trigger::Firstboot,
        },
        Event::AttemptStarted {
            epoch: 2,
            trigger: Trigger::ForcedRerun { token: "t".into() },
        },
        Event::Restarted { planned: None },
        Event::ConfigFetched { sha256: A },
        Event::StageBegan {
            stage: Stage::Files,
        },
        Event::Completed,
    ] {
        history.rejects(event);
    }
    history.apply(Event::TailRepaired {
        offset: 100,
        dropped: 3,
    });
    assert_eq!(history.state(), State::Poisoned);
    history.apply(Event::Reset {
        reason: "disks verified".into(),
    });
    assert!(history.progress.awaits_attempt());
    assert_eq!(history.progress.epoch, 1);
    history.rejects(Event::Reset {
        reason: "again".into(),
    });
    history.new_boot().apply(Event::AttemptStarted {
        epoch: 2,
        trigger: Trigger::Firstboot,
    });
}

#[test]
fn reset_is_refused_when_there_is_nothing_to_reset() {
    History::new().rejects(Event::Reset {
        reason: "nothing".into(),
    });
}

#[test]
fn tail_repaired_changes_nothing_but_the_last_record() {
    let mut history = History::fetched();
    let before = history.progress.clone();
    history.apply(Event::TailRepaired {
        offset: 10,
        dropped: 5,
    });
    let mut after = history.progress.clone();
    after.last = before.last;
    assert_eq!(after, before);
}

#[test]
fn hooks_come_only_from_the_boot_that_ran_check() {
    let mut history = History::fetched();
    history
        .begin(Stage::Kargs)
        .end(Stage::Kargs)
        .begin(Stage::Disks);
    history.new_boot();
    for event in [
        Event::StageEnded {
            stage: Stage::Disks,
        },
        Event::StageFailed {
            stage: Stage::Disks,
            reason: "exit status 1".into(),
        },
        Event::StageBegan {
            stage: Stage::Mount,
        },
        Event::Completed,
        Event::RebootPlanned {
            reason: RebootReason::Kargs,
        },
    ] {
        let error = history
            .try_apply(event.clone())
            .expect_err("another boot's hook");
        assert!(
            matches!(error, TransitionError::NotCheckedBoot { epoch: 1, .. }),
            "{event:?}: {error}"
        );
        assert!(error.to_string().contains("has not run `check`"), "{error}");
    }
    // Before the red line too: a boot that skipped `check` cannot fetch.
    let mut before = History::started();
    before.new_boot();
    assert!(matches!(
        before.try_apply(Event::ConfigFetched { sha256: A }),
        Err(TransitionError::NotCheckedBoot { .. })
    ));
    // `check` of the new boot (here the poison it records) is accepted.
    history.apply(Event::Poisoned {
        reason: PoisonReason::Interrupted {
            stage: Stage::Disks,
            stage_running: true,
            boot: BootId([1; 16]),
            last_seq: 5,
            last_wall_ms: 5_000,
        },
    });
}

#[test]
fn reset_is_refused_while_the_attempt_runs_on_this_boot() {
    for mut history in [History::started(), History::fetched(), {
        let mut running = History::fetched();
        running.begin(Stage::Disks);
        running
    }] {
        history.rejects(Event::Reset {
            reason: "oops".into(),
        });
        // From another boot the attempt is over (interrupted): the
        // operator may reset it without waiting for `check` to poison it.
        history.new_boot().apply(Event::Reset {
            reason: "disks verified".into(),
        });
        assert!(history.progress.awaits_attempt());
    }
    let mut complete = History::fetched();
    complete
        .begin(Stage::Files)
        .end(Stage::Files)
        .apply(Event::Completed)
        .apply(Event::Reset {
            reason: "rerun on purpose".into(),
        });
    assert!(complete.progress.awaits_attempt());
}

// The kept copy of the config (`[Cache] KeepConfig=yes`).

fn kept(sha256: Sha256) -> Event {
    Event::ConfigKept { sha256, size: 42 }
}

fn removed(sha256: Sha256, cause: provision_journal::event::RemovalCause) -> Event {
    Event::KeptConfigRemoved { sha256, cause }
}

use provision_journal::event::RemovalCause as Cause;

#[test]
fn config_kept_binds_like_config_fetched_and_names_the_copy() {
    let mut history = History::started();
    history.apply(kept(A));
    assert_eq!(history.progress.state, State::Fetched);
    assert_eq!(history.progress.config, Some(A));
    let copy = history.progress.kept.expect("a copy is named");
    assert_eq!((copy.sha256, copy.size), (A, 42));
    history.rejects(kept(A));
}

#[test]
fn config_kept_with_another_digest_after_mutation_poisons_and_keeps_naming_the_copy() {
    let mut history = History::started();
    history.apply(kept(A)).begin(Stage::Kargs).end(Stage::Kargs);
    history.apply(Event::RebootPlanned {
        reason: RebootReason::Kargs,
    });
    history.new_boot().apply(Event::Restarted {
        planned: Some(RebootReason::Kargs),
    });
    history.apply(kept(B));
    assert_eq!(history.progress.state, State::Poisoned);
    assert_eq!(history.progress.kept.map(|copy| copy.sha256), Some(B));
    history.apply(removed(B, Cause::Poisoned));
    assert_eq!(history.progress.kept, None);
}

#[test]
fn config_restored_needs_the_bound_copy_in_a_fresh_boot_once() {
    let mut history = History::started();
    history.apply(kept(A));
    history.rejects(Event::ConfigRestored { sha256: A });
    history.new_boot().apply(Event::Restarted { planned: None });
    history.rejects(Event::ConfigRestored { sha256: B });
    history.apply(Event::ConfigRestored { sha256: A });
    assert!(history.progress.restored);
    history.rejects(Event::ConfigRestored { sha256: A });
    history.apply(kept(A));
    history.rejects(Event::ConfigRestored { sha256: A });
}

#[test]
fn config_restored_comes_only_from_the_boot_running_the_attempt() {
    let mut history = History::started();
    history.apply(kept(A));
    history.new_boot().apply(Event::Restarted { planned: None });
    history.new_boot();
    assert!(matches!(
        history.try_apply(Event::ConfigRestored { sha256: A }),
        Err(TransitionError::NotCheckedBoot { .. })
    ));
}

#[test]
fn a_restored_copy_is_not_one_of_a_config_that_changed_before_mutation() {
    let mut history = History::started();
    history.apply(kept(A));
    history.new_boot().apply(Event::Restarted { planned: None });
    history.apply(Event::ConfigFetched { sha256: B });
    history.new_boot().apply(Event::Restarted { planned: None });
    // The copy of A is still named, but the attempt is bound to B.
    history.rejects(Event::ConfigRestored { sha256: A });
}

#[test]
fn completion_needs_the_copy_removed_first_by_complete_itself() {
    let mut history = History::started();
    history.apply(kept(A)).begin(Stage::Disks).end(Stage::Disks);
    history.rejects(Event::Completed);
    history.rejects(removed(A, Cause::Reset));
    history.rejects(removed(B, Cause::Completed));
    history.apply(removed(A, Cause::Completed));
    history.apply(Event::Completed);
    assert_eq!(history.progress.state, State::Complete);
}

#[test]
fn removal_causes_follow_the_state() {
    // An open attempt: disabled, missing, mismatch; never unbound while a
    // copy is named.
    for cause in [Cause::Disabled, Cause::Missing, Cause::Mismatch] {
        let mut history = History::started();
        history.apply(kept(A));
        history.rejects(removed(A, Cause::Unbound));
        history.rejects(removed(A, Cause::Poisoned));
        history.rejects(removed(A, Cause::Completed));
        history.apply(removed(A, cause));
        assert_eq!(history.progress.kept, None);
        history.rejects(removed(A, cause));
        // A copy nobody binds can be removed any time, from any boot.
        history.new_boot().apply(removed(B, Cause::Unbound));
    }
}

#[test]
fn reset_keeps_naming_the_copy_until_its_removal_and_no_attempt_starts_before() {
    let mut history = History::started();
    history.apply(kept(A));
    history.new_boot().apply(Event::Reset {
        reason: "operator".to_owned(),
    });
    assert!(history.progress.awaits_attempt());
    assert_eq!(history.progress.kept.map(|copy| copy.sha256), Some(A));
    history.new_boot();
    history.rejects(Event::AttemptStarted {
        epoch: 2,
        trigger: Trigger::Firstboot,
    });
    history.rejects(removed(A, Cause::Missing));
    history.apply(removed(A, Cause::Reset));
    history.apply(Event::AttemptStarted {
        epoch: 2,
        trigger: Trigger::Firstboot,
    });
}

#[test]
fn a_poisoned_attempt_removes_its_copy_from_any_boot() {
    let mut history = History::started();
    history.apply(kept(A)).begin(Stage::Disks);
    history.new_boot().apply(Event::Poisoned {
        reason: PoisonReason::RetriesExhausted {
            restarts: 6,
            limit: 5,
        },
    });
    history.new_boot();
    history.rejects(removed(A, Cause::Reset));
    history.apply(removed(A, Cause::Poisoned));
    history.apply(Event::BootRefused);
}

fn call_failed(call: provision_journal::event::CallName, status: u8) -> Event {
    Event::CallFailed {
        call,
        status,
        reason: "refused".into(),
    }
}

#[test]
fn a_failed_call_is_noted_once_per_boot_and_changes_no_state() {
    use provision_journal::event::CallName;
    let failure = call_failed(CallName::Check, 54);
    // In every open state of the boot running the attempt.
    let mut history = History::started();
    let before = history.progress.state;
    history.apply(failure.clone());
    assert_eq!(history.progress.state, before);
    let noted = history.progress.running_boot_call_failure().unwrap();
    assert_eq!((noted.call, noted.status), (CallName::Check, 54));
    // Once per boot: the first failure is what stopped it.
    history.rejects(call_failed(CallName::Fetched, 53));
    let mut history = History::fetched();
    history.apply(call_failed(CallName::Begin(Stage::Disks), 30));
    assert_eq!(history.progress.state, State::Fetched);
    let mut history = History::fetched();
    history
        .begin(Stage::Kargs)
        .end(Stage::Kargs)
        .begin(Stage::Disks);
    history.apply(call_failed(CallName::End(Stage::Disks), 30));
    assert_eq!(
        history.progress.state,
        State::Mutating {
            stage: Stage::Disks,
            step: Step::Running
        }
    );

    // A new boot of the attempt may record its own; the old one stays the
    // attempt's last until then, but is no longer the running boot's.
    let mut history = History::started();
    history.apply(failure.clone());
    history.new_boot();
    history.rejects(failure.clone());
    history.apply(Event::Restarted { planned: None });
    assert!(history.progress.running_boot_call_failure().is_none());
    assert!(history.progress.call_failure.is_some());
    history.apply(failure.clone());
}

#[test]
fn a_failed_call_is_refused_outside_a_running_boot_of_an_open_attempt() {
    use provision_journal::event::CallName;
    let failure = call_failed(CallName::Check, 54);
    // No attempt, or one that stopped.
    History::new().rejects(failure.clone());
    let mut history = History::fetched();
    history.begin(Stage::Disks).apply(Event::StageFailed {
        stage: Stage::Disks,
        reason: "exit status 1".into(),
    });
    assert_eq!(history.progress.state, State::Poisoned);
    history.rejects(failure.clone());
    // After a planned reboot was announced: nothing else runs in the boot.
    let mut history = History::fetched();
    history
        .begin(Stage::Kargs)
        .end(Stage::Kargs)
        .apply(Event::RebootPlanned {
            reason: RebootReason::Kargs,
        });
    history.rejects(failure.clone());
    // From a boot that did not run `check`.
    let mut history = History::fetched();
    history.new_boot();
    assert!(matches!(
        history.try_apply(failure),
        Err(TransitionError::NotCheckedBoot { .. })
    ));
}

/// A fetch stage fails at most once per boot (the growth bound counts one
/// `fail` per boot); the next boot may record its own.
#[test]
fn a_fetch_stage_fails_once_per_boot() {
    let mut history = History::started();
    let failed = |stage| Event::StageFailed {
        stage,
        reason: "exit status 1".into(),
    };
    history.apply(failed(Stage::Fetch));
    history.rejects(failed(Stage::Fetch));
    history.rejects(failed(Stage::FetchOffline));
    history
        .new_boot()
        .apply(Event::Restarted { planned: None })
        .apply(failed(Stage::FetchOffline));
    history.rejects(failed(Stage::Fetch));
}
