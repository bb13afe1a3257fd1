//! Which boot each record belongs to, and where each boot's records stop.

use crate::model::event::{BootId, Event, Stamp};
use crate::model::state::{BootStop, State};

use super::anomaly::Anomaly;
use super::item::{Body, Entry};

/// Tracks boots in order of appearance and where each one's records stop
/// ([`BootStop`]).
#[derive(Default)]
pub(super) struct Boots {
    count: u32,
    current: Option<BootId>,
    stop: Option<BootStop>,
    /// The command behind the boot's last record, while that record leaves
    /// the boot interrupted if nothing follows it (`check`'s start of a
    /// boot, `fetched`, `end kargs`); `None` after any record that ends a
    /// boot by design.
    open_after: Option<String>,
    last: Option<(u64, u64)>,
}

impl Boots {
    /// Numbers the boot of a record; returns the anomaly of the boot that
    /// ended, if it stopped mid-stage.
    pub(super) fn enter(&mut self, stamp: Option<&Stamp>) -> (Option<u32>, Option<Anomaly>) {
        let Some(stamp) = stamp else {
            return (None, None);
        };
        let mut stopped = None;
        if self.current != Some(stamp.boot_id) {
            stopped = self.stopped(false);
            self.count += 1;
            self.current = Some(stamp.boot_id);
            self.stop = None;
            self.open_after = None;
        }
        (Some(self.count), stopped)
    }

    pub(super) fn record(&mut self, entry: &Entry) {
        if entry.stamp.is_none() {
            return;
        }
        if let Body::Known(Event::CallFailed { .. }) = entry.body {
            // It says why the boot stopped; where it stopped (in a stage,
            // after one) is what the record before it left.
            self.open_after = None;
            return;
        }
        self.last = Some((entry.offset, entry.seq));
        self.stop = match &entry.body {
            Body::Known(event) => BootStop::of_event(event),
            Body::UnknownKind(_) | Body::Unreadable => None,
        };
        self.open_after = None;
        let stopped = matches!(entry.after, Some((_, State::Complete | State::Poisoned)));
        match &entry.body {
            Body::Known(Event::StageEnded { stage }) if self.stop.is_none() => {
                self.open_after = Some(format!("end {stage}"))
            }
            Body::Known(Event::AttemptStarted { .. } | Event::Restarted { .. }) => {
                self.open_after = Some("check".to_owned());
            }
            Body::Known(Event::ConfigFetched { .. } | Event::ConfigKept { .. }) if !stopped => {
                self.open_after = Some("fetched".to_owned());
            }
            Body::Known(_) | Body::UnknownKind(_) | Body::Unreadable => {}
        }
    }

    pub(super) fn stopped(&self, at_end: bool) -> Option<Anomaly> {
        let (boot, (offset, seq)) = (self.current?, self.last?);
        let boot_number = self.count;
        if let Some(stop) = self.stop {
            return Some(Anomaly::Stopped {
                offset,
                seq,
                boot_number,
                boot,
                stop,
                at_end,
            });
        }
        // The last boot may still be running: only a boot that another
        // followed is known to have stopped.
        let after = self.open_after.clone().filter(|_| !at_end)?;
        Some(Anomaly::UnplannedRestart {
            offset,
            seq,
            boot_number,
            boot,
            after,
            torn_at_red_line: false,
        })
    }
}
