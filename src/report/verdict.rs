//! The report's closing words: what the next `check` will decide, why, and
//! what the operator can do about it.
//!
//! The decision is the classifier's own ([`classify`]), asked about "the
//! next provisioning boot"; this module only puts it into words.

use std::cell::Cell;

use crate::classify::{BootContext, Policy, Verdict, classify, describe_poison};
use crate::failure_log::Binding;
use crate::format::error::Corruption;
use crate::host::config::PolicySettings;
use crate::model::event::{BootId, PoisonReason};
use crate::model::stage::Stage;
use crate::model::state::{CallFailure, Poison, PoisonCause, Progress};

use super::escape::quoted;
use super::time::Utc;
use super::walk::{Outcome, Summary};

/// The context `dump` and `status` classify with: the next boot, a
/// provisioning one, on a boot not yet seen, with `policy`'s limits.
pub fn next_provisioning_boot(policy: Policy) -> BootContext {
    BootContext {
        boot_id: None,
        firstboot: true,
        policy,
        ..BootContext::default()
    }
}

/// The limits in words, with where each came from: "at most 5 unplanned
/// restarts (built-in default) and 4 planned reboots (kernel argument …)
/// per attempt".
pub fn policy_words(policy: &PolicySettings) -> String {
    format!(
        "at most {} ({}) and {} ({}) per attempt",
        super::human::count(policy.max_retries.value, "unplanned restart"),
        policy.max_retries.source,
        super::human::count(policy.max_planned_reboots.value, "planned reboot"),
        policy.max_planned_reboots.source,
    )
}

/// What the next `check` decides on a journal: the classifier's verdict,
/// or that it cannot read the journal at all.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NextVerdict {
    /// The classifier's verdict on the next provisioning boot.
    Verdict(Verdict),
    /// The journal is corrupt: `check` refuses a journal it cannot trust.
    CorruptJournal,
    /// The journal has a newer format version: `check` refuses it.
    UnsupportedVersion,
}

impl NextVerdict {
    /// Its name, as `status --json` and `dump --json` spell it: the
    /// verdict's, `corrupt_journal` or `unsupported_version`.
    pub fn name(&self) -> &'static str {
        match self {
            NextVerdict::Verdict(verdict) => verdict.name(),
            NextVerdict::CorruptJournal => "corrupt_journal",
            NextVerdict::UnsupportedVersion => "unsupported_version",
        }
    }

    /// Whether provisioning may go on.
    pub fn may_proceed(&self) -> bool {
        match self {
            NextVerdict::Verdict(verdict) => verdict.may_proceed(),
            NextVerdict::CorruptJournal | NextVerdict::UnsupportedVersion => false,
        }
    }

    /// The classifier's verdict, when `check` can read the journal.
    pub fn verdict(&self) -> Option<&Verdict> {
        match self {
            NextVerdict::Verdict(verdict) => Some(verdict),
            NextVerdict::CorruptJournal | NextVerdict::UnsupportedVersion => None,
        }
    }
}

impl serde::Serialize for NextVerdict {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// What the next `check` will do with the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextCheck {
    /// The decision.
    pub verdict: NextVerdict,
    /// Why, in words.
    pub explanation: String,
    /// What the operator can do.
    pub advice: String,
    /// Whether `check` appends a record for this decision (so it needs a
    /// writable journal).
    pub records: bool,
}

mod complete;
mod damaged;
mod failed_call;
mod failed_stage;
mod torn;

/// The failure log beside the journal, when its header names one of the
/// journal's records, as the advice points to it. A boot that stopped in
/// the initramfs leaves no journal of its own (`journalctl -b` on that
/// machine cannot show it): the failure log is what is left of its log. So
/// where the advice speaks of the boot whose log it is, it points to the
/// log there ([`KeptLog::of`]); otherwise a closing sentence does
/// ([`KeptLog::closing`]).
pub(crate) struct KeptLog<'a> {
    binding: Option<&'a Binding>,
    pointed_to: Cell<bool>,
}

impl<'a> KeptLog<'a> {
    /// The log bound to `binding`'s record, or none.
    pub(crate) fn new(binding: Option<&'a Binding>) -> Self {
        KeptLog {
            binding,
            pointed_to: Cell::new(false),
        }
    }

    /// The log, if it is `boot`'s; the advice then points to it there, and
    /// the closing sentence is left out.
    fn of(&self, boot: BootId) -> Option<&'a Binding> {
        let found = self.binding.filter(|binding| binding.boot == boot);
        if found.is_some() {
            self.pointed_to.set(true);
        }
        found
    }

    /// The sentence that points to the log, unless the advice did already.
    fn closing(&self) -> Option<String> {
        let binding = self.binding.filter(|_| !self.pointed_to.get())?;
        Some(format!(
            "The end of the log of boot {} is kept beside the journal, for {}: {DUMP_SHOWS_LOG}.",
            binding.boot.to_hex(),
            kept_for(binding)
        ))
    }
}

/// Where the failure log is read.
const DUMP_SHOWS_LOG: &str = "`provision-journal dump` shows it, under FAILURE LOG";

/// The record a failure log was kept for, in words: `record #5 (stage
/// failed, disks)`.
fn kept_for(binding: &Binding) -> String {
    let event = binding.event.replace('_', " ");
    match binding.stage {
        Some(stage) => format!("record #{} ({event}, {stage})", binding.seq),
        None => format!("record #{} ({event})", binding.seq),
    }
}

/// The command that allows a new attempt, as the operator types it.
const RESET: &str = "provision-journal reset --reason \"...\"";

/// What marks a provisioning boot, in words that hold for any
/// configuration (the report may be read far from the machine's own).
const FIRSTBOOT_MARKER: &str = "the first-boot marker (the kernel argument or the stamp file beside the journal that makes a boot a provisioning boot: \
`[Boot] FirstbootArguments` and `FirstbootStamp`; on Fedora CoreOS the stamp `ignition.firstboot` on the boot partition, \
for which GRUB adds the kernel argument `ignition.firstboot`)";

/// How the first-boot marker is removed, and what that changes.
const REMOVE_MARKER: &str = "delete the stamp from the boot partition (mounted read-write, or from another system), \
or take the argument out of the boot loader's entry; the next boot is then an ordinary one, which does not run `check`";

/// The two ways out of an attempt stopped past the red line, by what the
/// operator made of the disks. `reset` with the first-boot marker in
/// place starts a whole new attempt on the next boot, so it is right only
/// once the disks are as they were before provisioning; a machine that is
/// provisioned, or was finished by hand, keeps its journal and loses the
/// marker instead.
fn ways_out_past_red_line() -> String {
    format!(
        "If you wipe the disks back to their state before provisioning, run `{RESET}`: the next provisioning boot starts a new attempt (a reinstall needs nothing more: it leaves no journal). \
If the machine is provisioned as the config asks, or you finish it by hand, do not run `reset`, which would let the next provisioning boot run the config again over it: \
remove {FIRSTBOOT_MARKER} instead; to remove it, {REMOVE_MARKER}."
    )
}

/// Why provisioning stopped, for the operator's advice: the poisoning that
/// `check` is about to record, or the one already recorded.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum StopCause<'a> {
    /// `check`'s verdict, about to be recorded.
    Verdict(&'a PoisonReason),
    /// The record that poisoned the attempt (with the boot that wrote it).
    Recorded(&'a Poison),
}

/// What the operator can do about a stopped attempt, per cause: what
/// happened, whether the disks were touched, and the command to run.
/// `mutated_stage` is the furthest mutating stage the attempt had begun.
pub fn stop_advice(cause: StopCause<'_>, mutated_stage: Option<Stage>) -> String {
    advise_stop(cause, mutated_stage, None, None, &KeptLog::new(None))
}

/// [`stop_advice`], told the last call failure the attempt recorded (what
/// stopped the boots that spent a retry budget, say), what the whole
/// records before a torn tail replayed to, and the failure log kept beside
/// the journal.
fn advise_stop(
    cause: StopCause<'_>,
    mutated_stage: Option<Stage>,
    call_failure: Option<&CallFailure>,
    before_torn: Option<&Progress>,
    log: &KeptLog<'_>,
) -> String {
    let touched = |stage: Option<Stage>| match stage {
        Some(stage) if stage.is_past_red_line() => format!(
            "The attempt got as far as stage {stage}, so the disks were changed and may be half-provisioned."
        ),
        Some(_) | None => {
            "The attempt never began the disks stage, so the disks were not touched.".to_owned()
        }
    };
    let for_reason = |reason| {
        recorded_advice(
            reason,
            mutated_stage,
            call_failure,
            before_torn,
            log,
            touched,
        )
    };
    let recorded = match cause {
        StopCause::Verdict(reason) => return stopped(for_reason(reason)),
        StopCause::Recorded(poison) => poison,
    };
    let body = match &recorded.cause {
        PoisonCause::Recorded(reason) => for_reason(reason),
        PoisonCause::StageFailed { stage, reason } => {
            let boot = recorded.boot.to_hex();
            let journalctl = format!("`journalctl -b {boot} -u ignition-{stage}.service`");
            let read = match log.of(recorded.boot) {
                Some(binding) => format!(
                    "Read that stage's log of that boot: its end is kept beside the journal, for {}, and {DUMP_SHOWS_LOG}; all of it is in {journalctl} on that machine, if that boot's journal survived, or on the console.",
                    kept_for(binding)
                ),
                None => format!(
                    "Read that stage's log of that boot ({journalctl} on that machine, if that boot's journal survived, or the console)."
                ),
            };
            format!(
                "Stage {stage} failed (reason {}) past the red line, on boot {boot}. {} {read} Fix the config or the machine. {}",
                quoted(reason),
                touched(mutated_stage.or(Some(*stage))),
                ways_out_past_red_line()
            )
        }
        PoisonCause::ConfigChanged { .. } => format!(
            "A different config was served on a later boot of the same attempt, after stages had already run under the first one. {} \
Find out why the config changed, and what the stages that ran under the first one left on the machine (kernel arguments, for kargs); once it is verified, run `{RESET}`.",
            touched(mutated_stage)
        ),
    };
    stopped(body)
}

/// The advice on a stopped attempt, opened by what it means for the boots.
fn stopped(body: String) -> String {
    format!("Provisioning stays stopped on every boot. {body}")
}

/// [`stop_advice`] for a reason `check` records.
fn recorded_advice(
    reason: &PoisonReason,
    mutated_stage: Option<Stage>,
    call_failure: Option<&CallFailure>,
    before_torn: Option<&Progress>,
    log: &KeptLog<'_>,
    touched: impl Fn(Option<Stage>) -> String,
) -> String {
    match reason {
        PoisonReason::Interrupted {
            stage,
            stage_running,
            boot,
            ..
        } => {
            let boot = boot.to_hex();
            let every_stage_ended = !stage_running && Stage::MUTATING.last() == Some(stage);
            let what = match every_stage_ended {
                true => format!(
                    "Boot {boot} was interrupted (power cut, reset or crash) after every stage had ended: the records show stage {stage} ended, and only the `complete` record is missing, the one written just before the switch to the real root. \
What the config asks for is most likely all there, but the journal cannot prove that every write reached the disks."
                ),
                false => format!(
                    "Boot {boot} was interrupted (power cut, reset or crash) in or after stage {stage}. {}",
                    touched(mutated_stage.or(Some(*stage)))
                ),
            };
            format!(
                "{what} Look at what the config was to create (partitions, file systems, files) and at what is there. {} \
(`journalctl -b {boot}` on that machine shows the interrupted boot, if that boot's journal survived.)",
                ways_out_past_red_line()
            )
        }
        PoisonReason::TornTailAtRedLine { offset, len } => format!(
            "A power cut tore the journal's last append ({} at offset {offset}). The whole records before it never began the disks stage, but the torn bytes could have been its start, so the journal cannot prove the disks untouched. Check whether the disks were partitioned ({}); then run `{RESET}`.",
            super::human::count(*len, "byte"),
            torn_could_be(before_torn, *len)
        ),
        PoisonReason::RetriesExhausted { restarts, limit } => match call_failure {
            None => format!(
                "The attempt was interrupted {} before the red line (more than the {limit} allowed): every boot stopped before the disks stage. The disks were not touched. Find out why those boots stop (the console, the config source, the network; `provision-journal dump` lists each boot); once that is fixed, run `{RESET}`. Nothing on the disks needs checking.",
                super::human::count(*restarts, "time")
            ),
            Some(failure) => format!(
                "The attempt restarted {} before the red line (more than the {limit} allowed): every boot stopped before the disks stage. The disks were not touched. {} Fix that (`provision-journal dump` lists each boot and what stopped it; a boot that stopped because the boot partition itself failed, read-only, full or missing, cannot record why); once it is fixed, run `{RESET}`. Nothing on the disks needs checking.",
                super::human::count(*restarts, "time"),
                failed_call::what_stopped(failure, log)
            ),
        },
        PoisonReason::PlannedRebootsExhausted { reboots, limit } => format!(
            "The attempt announced {} (more than the {limit} allowed): a reboot loop, usually kernel arguments that do not survive the reboot. The disks were not touched. Check that the boot loader keeps the kernel arguments the config asks for; once that is fixed, run `{RESET}`. Nothing on the disks needs checking.",
            super::human::count(*reboots, "planned reboot")
        ),
    }
}

/// What else `len` torn bytes after the whole records that replayed to
/// `before_torn` could have been, in words.
fn torn_could_be(before_torn: Option<&Progress>, len: u64) -> String {
    let Some(before) = before_torn else {
        return "most likely they were not: a torn append of another record that could follow the last whole one looks the same".to_owned();
    };
    let last = match &before.last {
        Some(last) => format!("the last whole record (#{})", last.seq),
        None => "the journal's header".to_owned(),
    };
    let mut others = torn::other_records(before, len);
    match others.pop() {
        None if torn::red_line_record_fits(before, len) => format!(
            "no record but `begin disks` could follow {last} and leave that many torn bytes, so the disks stage was about to begin"
        ),
        None => format!(
            "they are more than any one record that could follow {last}: several appends were lost, enough for an attempt to have begun, fetched its config and begun the disks stage"
        ),
        Some(only) if others.is_empty() => format!(
            "most likely they were not: a torn append of {only}, which could follow {last} too, looks the same"
        ),
        Some(final_one) => format!(
            "most likely they were not: a torn append of {} or {final_one}, each of which could follow {last} too, looks the same",
            others.join(", ")
        ),
    }
}

/// Says why an attempt is poisoned, from the record that poisoned it;
/// `mutated_stage` is the furthest mutating stage the attempt had begun
/// (`Summary::mutated_stage`), which a config change came after.
pub fn describe_poison_cause(poison: &Poison, mutated_stage: Option<Stage>) -> String {
    let mut why = String::new();
    match &poison.cause {
        PoisonCause::Recorded(reason) => {
            describe_poison(reason, &mut why).expect("writing to a String");
        }
        PoisonCause::StageFailed { stage, reason } => {
            why = format!(
                "stage {stage} failed past the red line (reason {})",
                quoted(reason)
            );
        }
        PoisonCause::ConfigChanged { bound, fetched } => {
            let stage = match mutated_stage {
                Some(stage) => format!("stage {stage}"),
                None => "a mutating stage".to_owned(),
            };
            why = format!(
                "a different config (sha256 {}..) was fetched after {stage} had changed the machine under config {}..",
                &fetched.to_hex()[..12],
                &bound.to_hex()[..12]
            );
        }
    }
    format!(
        "{why}; recorded by record #{} on boot {} at {}",
        poison.seq,
        poison.boot.short(),
        Utc::from_unix_ms(poison.wall_ms).long()
    )
}

/// Puts the next `check`'s decision on `summary`'s journal into words;
/// `kept_log` is the record the failure log beside the journal is bound
/// to, when its header names one of the journal's records, which the
/// advice points to.
pub fn next_check(
    summary: &Summary,
    context: &BootContext,
    kept_log: Option<&Binding>,
) -> NextCheck {
    let log = KeptLog::new(kept_log);
    let mut next = decide_in_words(summary, context, &log);
    if let Some(closing) = log.closing() {
        next.advice = format!("{} {closing}", next.advice);
    }
    next
}

/// [`next_check`], before the closing sentence on the failure log.
fn decide_in_words(summary: &Summary, context: &BootContext, log: &KeptLog<'_>) -> NextCheck {
    if let Some(found) = summary.unsupported_version {
        return NextCheck {
            records: false,
            verdict: NextVerdict::UnsupportedVersion,
            explanation: format!(
                "the journal has format version {found}, written by a newer provision-journal; this version's `check` refuses it"
            ),
            advice: "Read it with the provision-journal version that wrote it.".to_owned(),
        };
    }
    if let Some(damage) = &summary.corruption {
        let (offset, problem) = (damage.offset, &damage.words);
        let check_the_file = match damage.problem {
            Corruption::NotAJournal => {
                "This may not be a provision-journal file at all: check the path. "
            }
            _ => "",
        };
        let advice = format!("{check_the_file}{}", damaged::advice(summary, offset));
        return NextCheck {
            records: false,
            verdict: NextVerdict::CorruptJournal,
            explanation: format!(
                "the journal is corrupt at offset {offset} ({problem}); `check` refuses a journal it cannot trust, so provisioning stops on every boot"
            ),
            advice,
        };
    }
    let decision = classify(&summary.progress, summary.torn, context);
    let records = decision.record.is_some();
    let verdict = decision.verdict;
    let mut explanation = verdict.to_string();
    if let (Verdict::Poisoned { .. }, Some(poison)) = (&verdict, &summary.progress.poison) {
        explanation = format!(
            "{explanation}. Why: {}",
            describe_poison_cause(poison, summary.mutated_stage)
        );
    }
    if summary.outcome == Outcome::TornTail && verdict.may_proceed() {
        explanation.push_str(
            ". The torn tail is too short to hide the start of a red-line stage; the next write cuts it off",
        );
    }
    let advice = match &verdict {
        Verdict::FatalInterruption { reason } => advise_stop(
            StopCause::Verdict(reason),
            summary.mutated_stage,
            summary.progress.call_failure.as_ref(),
            Some(&summary.progress),
            log,
        ),
        Verdict::Poisoned { .. } => match &summary.progress.poison {
            Some(poison) => advise_stop(
                StopCause::Recorded(poison),
                summary.mutated_stage,
                summary.progress.call_failure.as_ref(),
                summary.before_repair.as_ref(),
                log,
            ),
            None => stopped(ways_out_past_red_line()),
        },
        Verdict::AlreadyComplete { .. } => complete::advice(&summary.progress),
        Verdict::SafeRetry {
            failed_call: Some(failure),
            ..
        } => failed_call::retry_advice(failure, log),
        Verdict::SafeRetry {
            failed_stage: Some(stage),
            restarts,
            limit,
            ..
        } => failed_stage::retry_advice(
            failed_stage::FailedStage {
                stage: *stage,
                boot: summary.progress.boot,
                mutated_stage: summary.mutated_stage,
                restarts: *restarts,
                limit: *limit,
            },
            log,
        ),
        Verdict::SafeRetry { .. } | Verdict::ResumeAfterPlannedReboot { .. } => {
            "Nothing to do: the next boot goes on by itself.".to_owned()
        }
        Verdict::FirstRun { .. }
        | Verdict::ForcedRerun { .. }
        | Verdict::SameBoot { .. }
        | Verdict::NotApplicable { .. } => "Nothing to do.".to_owned(),
    };
    NextCheck {
        records,
        verdict: NextVerdict::Verdict(verdict),
        explanation,
        advice,
    }
}
