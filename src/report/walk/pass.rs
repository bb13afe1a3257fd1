//! The order a pass reports in: records and anomalies by offset.

use std::io;

use crate::model::event::{Event, PoisonReason};

use super::anomaly::Anomaly;
use super::boots::Boots;
use super::evidence::Evidence;
use super::item::{Body, Entry, Item};

/// Reports records and anomalies in offset order. An anomaly found apart
/// from a record (damage, a torn tail, a gap) waits until the boot before it
/// has been closed, since that boot's own anomaly sits at an earlier offset;
/// at most a few wait at a time.
///
/// A boot's unplanned restart is told by what the next boot's `check`
/// recorded of it: when that boot opens with a `tail repaired` record, the
/// restart and that record wait for the record after it, whose poisoning
/// for a torn tail at the red line says that the restart did not count as
/// a safe retry.
pub(super) struct Pass<'v> {
    pub(super) visit: &'v mut dyn FnMut(Item) -> io::Result<()>,
    pub(super) boots: Boots,
    pub(super) evidence: Evidence,
    deferred: Vec<Anomaly>,
    held: Option<(Anomaly, Entry)>,
    pub(super) anomalies: u64,
}

impl<'v> Pass<'v> {
    pub(super) fn new(visit: &'v mut dyn FnMut(Item) -> io::Result<()>) -> Self {
        Pass {
            visit,
            boots: Boots::default(),
            evidence: Evidence::default(),
            deferred: Vec::new(),
            held: None,
            anomalies: 0,
        }
    }

    pub(super) fn anomaly(&mut self, anomaly: Anomaly) -> io::Result<()> {
        self.anomalies += 1;
        (self.visit)(Item::Anomaly(anomaly))
    }

    pub(super) fn defer(&mut self, anomaly: Anomaly) {
        self.deferred.push(anomaly);
    }

    pub(super) fn flush(&mut self) -> io::Result<()> {
        self.release(false)?;
        for anomaly in std::mem::take(&mut self.deferred) {
            self.anomaly(anomaly)?;
        }
        Ok(())
    }

    /// Reports the restart and the `tail repaired` record held back, the
    /// restart as counted past the red line if `torn_at_red_line`.
    pub(super) fn release(&mut self, torn_at_red_line: bool) -> io::Result<()> {
        let Some((mut restart, repaired)) = self.held.take() else {
            return Ok(());
        };
        if let Anomaly::UnplannedRestart {
            torn_at_red_line: torn,
            ..
        } = &mut restart
        {
            *torn = torn_at_red_line;
        }
        self.anomaly(restart)?;
        self.visit_entry(repaired)
    }

    pub(super) fn entry(&mut self, mut entry: Entry) -> io::Result<()> {
        let poisoned_for_torn_tail = matches!(
            entry.body,
            Body::Known(Event::Poisoned {
                reason: PoisonReason::TornTailAtRedLine { .. }
            })
        );
        let same_boot =
            |held: &Entry| held.stamp.map(|s| s.boot_id) == entry.stamp.map(|s| s.boot_id);
        let decided =
            poisoned_for_torn_tail && self.held.as_ref().is_some_and(|(_, held)| same_boot(held));
        self.release(decided)?;
        let (number, stopped) = self.boots.enter(entry.stamp.as_ref());
        entry.boot_number = number;
        if let Some(stopped) = stopped {
            let repaired = matches!(entry.body, Body::Known(Event::TailRepaired { .. }));
            if repaired
                && self.deferred.is_empty()
                && matches!(stopped, Anomaly::UnplannedRestart { .. })
            {
                self.boots.record(&entry);
                self.evidence.record(&entry);
                self.held = Some((stopped, entry));
                return Ok(());
            }
            self.anomaly(stopped)?;
        }
        self.flush()?;
        self.boots.record(&entry);
        self.evidence.record(&entry);
        self.visit_entry(entry)
    }

    /// Reports a record, then the anomaly it is itself.
    fn visit_entry(&mut self, entry: Entry) -> io::Result<()> {
        let repaired = match entry.body {
            Body::Known(Event::TailRepaired { offset, dropped }) => Some(Anomaly::TailRepaired {
                offset: entry.offset,
                seq: entry.seq,
                torn_offset: offset,
                dropped,
            }),
            Body::UnknownKind(kind) => Some(Anomaly::UnknownKind {
                offset: entry.offset,
                seq: entry.seq,
                kind,
            }),
            Body::Known(_) | Body::Unreadable => None,
        };
        (self.visit)(Item::Record(entry))?;
        if let Some(anomaly) = repaired {
            self.anomaly(anomaly)?;
        }
        Ok(())
    }
}
