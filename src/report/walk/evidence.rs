//! How far the latest attempt got by every record read, trusted or
//! salvaged. The advice on a damaged journal follows it: a step that could
//! provision the machine again (moving the journal away) is never advised
//! when a record, even an untrusted one, says the machine was provisioned.

use crate::model::event::Event;
use crate::model::stage::Stage;

use super::item::{Body, Entry, Trust};

/// What the records of the latest attempt say, whether trusted or
/// salvaged (an attempt starts at `attempt started` or `reset`, in file
/// order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// The `completed` record of the latest attempt, if one was read: its
    /// sequence number and whether it is trusted.
    pub completed: Option<(u64, Trust)>,
    /// The furthest stage the latest attempt began, and whether the record
    /// that says so is trusted.
    pub furthest_stage: Option<(Stage, Trust)>,
    /// Refused boots recorded in the latest attempt.
    pub refused_boots: u64,
}

impl Evidence {
    /// Takes in one record, in file order.
    pub(super) fn record(&mut self, entry: &Entry) {
        let Body::Known(event) = &entry.body else {
            return;
        };
        match event {
            Event::AttemptStarted { .. } | Event::Reset { .. } => *self = Evidence::default(),
            Event::Completed => self.completed = Some((entry.seq, entry.trust)),
            Event::BootRefused => self.refused_boots += 1,
            Event::StageBegan { stage }
                if self
                    .furthest_stage
                    .is_none_or(|(furthest, _)| *stage > furthest) =>
            {
                self.furthest_stage = Some((*stage, entry.trust));
            }
            _ => {}
        }
    }

    /// The furthest stage begun, if it is at or past the red line.
    pub fn crossed_red_line(&self) -> Option<(Stage, Trust)> {
        self.furthest_stage
            .filter(|(stage, _)| stage.is_past_red_line())
    }
}
