//! The words of the records: counts, the state and event columns.

use crate::classify::describe_poison;
use crate::model::event::{Event, RebootReason, Trigger};
use crate::model::state::State;

use super::super::escape::quoted;
use super::super::walk::{Body, kind_name};

pub(crate) use crate::model::words::{agreeing, count};

/// `The record` or `The N records`, for the trusted ones before damage.
pub fn the_records(n: u64) -> String {
    match n {
        1 => "The record".to_owned(),
        n => format!("The {n} records"),
    }
}

/// The state column: short enough for the table.
pub fn state_label(state: &State) -> String {
    match state {
        State::Mutating { stage, step } => format!("{stage} {step}"),
        other => other.name().to_owned(),
    }
}

/// The event column (at most 20 characters for known events but an
/// attempt number above 99 999), and a detail line for what does not fit:
/// free text, always quoted and escaped.
pub fn event_label(body: &Body) -> (String, Option<String>) {
    let event = match body {
        Body::Known(event) => event,
        Body::UnknownKind(kind) => {
            return match kind_name(*kind) {
                Some(name) => (
                    "undecodable record".to_owned(),
                    Some(format!(
                        "a {name} record whose fields this version cannot decode"
                    )),
                ),
                None => (
                    format!("unknown kind #{kind}"),
                    Some("an event kind this version does not know".to_owned()),
                ),
            };
        }
        Body::Unreadable => return ("unreadable payload".to_owned(), None),
    };
    let short = |text: &str| (text.to_owned(), None);
    match event {
        Event::AttemptStarted {
            epoch,
            trigger: Trigger::Firstboot,
        } => short(&format!("attempt {epoch} started")),
        Event::AttemptStarted {
            epoch,
            trigger: Trigger::ForcedRerun { token },
        } => (
            format!("attempt {epoch} (rerun)"),
            Some(format!("forced rerun, token {}", quoted(token))),
        ),
        Event::Restarted { planned: None } => short("restart (unplanned)"),
        Event::Restarted {
            planned: Some(RebootReason::Other(reason)),
        } => (
            "restart (planned)".to_owned(),
            Some(format!("after the planned reboot for {}", quoted(reason))),
        ),
        Event::Restarted {
            planned: Some(reason),
        } => short(&format!("restart after {reason}")),
        Event::BootRefused => short("boot refused"),
        Event::ConfigFetched { sha256 } => short(&format!("fetched {}", &sha256.to_hex()[..12])),
        Event::StageBegan { stage } => short(&format!("begin {stage}")),
        Event::StageEnded { stage } => short(&format!("end {stage}")),
        Event::StageFailed { stage, reason } => (
            format!("fail {stage}"),
            Some(format!("reason {}", quoted(reason))),
        ),
        Event::RebootPlanned {
            reason: RebootReason::Other(reason),
        } => (
            "reboot planned".to_owned(),
            Some(format!("reason {}", quoted(reason))),
        ),
        Event::RebootPlanned { reason } => short(&format!("reboot for {reason}")),
        Event::Completed => short("completed"),
        Event::Poisoned { reason } => {
            let mut why = String::new();
            describe_poison(reason, &mut why).expect("writing to a String");
            ("POISONED".to_owned(), Some(why))
        }
        Event::Reset { reason } => (
            "reset".to_owned(),
            Some(format!("operator's reason {}", quoted(reason))),
        ),
        Event::TailRepaired { offset, dropped } => (
            "tail repaired".to_owned(),
            Some(format!(
                "cut off {} at offset {offset}",
                count(*dropped, "torn byte")
            )),
        ),
        Event::ConfigKept { sha256, size } => (
            format!("fetched {}", &sha256.to_hex()[..12]),
            Some(format!("a copy is kept ({})", count(*size, "byte"))),
        ),
        Event::ConfigRestored { sha256 } => (
            "config restored".to_owned(),
            Some(format!(
                "the kept copy {} applied in place of a fetch",
                &sha256.to_hex()[..12]
            )),
        ),
        Event::KeptConfigRemoved { sha256, cause } => (
            "kept copy removed".to_owned(),
            Some(format!("copy {} removed: {cause}", &sha256.to_hex()[..12])),
        ),
        Event::CallFailed {
            call,
            status,
            reason,
        } => (
            // At most 20 characters: `FAILED: begin umount`.
            format!("FAILED: {call}"),
            Some(format!("{}, {}", call.failed_with(*status), quoted(reason))),
        ),
    }
}
