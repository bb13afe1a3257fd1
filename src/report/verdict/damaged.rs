//! The advice on a journal `check` cannot read past its damage. The way
//! out of a damaged journal is to move it away, so that the next
//! provisioning boot starts a new attempt; on a machine that was
//! provisioned that runs `disks` again. So the advice follows every record
//! read, trusted or salvaged ([`Evidence`]): when one says provisioning
//! completed, it never suggests moving the journal; when none does, it says
//! what to look for on the machine first, since the damage may hide the
//! record that would.

use super::super::human::{agreeing, count, the_records};
use super::super::walk::{Evidence, Summary, Trust};
use super::{FIRSTBOOT_MARKER, REMOVE_MARKER};

/// What the records before the damage at `offset` establish, then what to
/// do, by what every record read says.
pub(super) fn advice(summary: &Summary, offset: u64) -> String {
    let trusted = match summary.trusted_records {
        0 => {
            let salvaged = match summary.salvaged_records {
                0 => "",
                _ => {
                    " (the records shown after the damage are salvaged: not trusted, but they may hint at it)"
                }
            };
            format!(
                "No record can be trusted, so the journal cannot tell how far provisioning got{salvaged}."
            )
        }
        records => format!(
            "{} before offset {offset} {} intact and {} in state {} of attempt {}; anything shown after it is salvaged and not trusted.",
            the_records(records),
            agreeing(records, "is", "are"),
            agreeing(records, "ends", "end"),
            summary.progress.state,
            summary.progress.epoch
        ),
    };
    format!("{trusted} {}", by_evidence(&summary.evidence))
}

/// How a record is qualified when it is not trusted.
fn untrusted(trust: Trust) -> &'static str {
    match trust {
        Trust::Trusted => "",
        Trust::Salvaged => ", salvaged and not trusted but whole,",
    }
}

/// What the machine shows when it was provisioned.
const PROVISIONED: &str = "what the config writes is on the root file system, and Ignition's `/etc/.ignition-result.json` there names the boot that provisioned it";

/// Moving the journal away: the step that starts a new attempt.
const MOVE_AWAY: &str = "keep a copy of the file and move it away: the next provisioning boot then starts a new attempt";

fn by_evidence(evidence: &Evidence) -> String {
    if let Some((seq, trust)) = evidence.completed {
        let refused = match evidence.refused_boots {
            0 => String::new(),
            n => format!(
                ", and {} {} refused after it",
                count(n, "boot"),
                agreeing(n, "was", "were")
            ),
        };
        return format!(
            "Record #{seq}{} says that provisioning completed{refused}. \
So do not move the journal away or replace it: the next provisioning boot would start a new attempt and provision the machine a second time. \
Keep the file as it is (and a copy for the support bundle). A boot that stops in emergency mode is a provisioning boot: \
{FIRSTBOOT_MARKER} is still there. Remove it: {REMOVE_MARKER}, so the damage does no harm. \
Only to provision the machine again on purpose, {MOVE_AWAY}.",
            untrusted(trust)
        );
    }
    if let Some((stage, trust)) = evidence.crossed_red_line() {
        return format!(
            "A record{} says the attempt began stage {stage}, past the red line: the disks were changed, and provisioning may have finished after it (the damage may hide its later records). \
Look at the machine. If it was provisioned ({PROVISIONED}), do not move the journal away: remove {FIRSTBOOT_MARKER} instead; \
to remove it, {REMOVE_MARKER}. If it was not: finish it by hand and remove the marker as above, \
or wipe the disks back to their state before provisioning, then {MOVE_AWAY} (a reinstall needs nothing more: it leaves no journal).",
            untrusted(trust)
        );
    }
    format!(
        "No record read says the attempt began the disks stage, but the damage may hide records that would. \
Look at the machine. If it was provisioned ({PROVISIONED}), do not move the journal away: remove {FIRSTBOOT_MARKER} instead; \
to remove it, {REMOVE_MARKER}. Only if it was not, {MOVE_AWAY}."
    )
}
