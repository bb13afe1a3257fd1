//! The order a pass reports in: records and anomalies by offset.

use std::io;

use crate::model::event::Event;

use super::anomaly::Anomaly;
use super::boots::Boots;
use super::evidence::Evidence;
use super::item::{Body, Entry, Item};

/// Reports records and anomalies in offset order. An anomaly found apart
/// from a record (damage, a torn tail, a gap) waits until the boot before it
/// has been closed, since that boot's own anomaly sits at an earlier offset;
/// at most a few wait at a time.
pub(super) struct Pass<'v> {
    pub(super) visit: &'v mut dyn FnMut(Item) -> io::Result<()>,
    pub(super) boots: Boots,
    pub(super) evidence: Evidence,
    deferred: Vec<Anomaly>,
    pub(super) anomalies: u64,
}

impl<'v> Pass<'v> {
    pub(super) fn new(visit: &'v mut dyn FnMut(Item) -> io::Result<()>) -> Self {
        Pass {
            visit,
            boots: Boots::default(),
            evidence: Evidence::default(),
            deferred: Vec::new(),
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
        for anomaly in std::mem::take(&mut self.deferred) {
            self.anomaly(anomaly)?;
        }
        Ok(())
    }

    pub(super) fn entry(&mut self, mut entry: Entry) -> io::Result<()> {
        let (number, stopped) = self.boots.enter(entry.stamp.as_ref());
        if let Some(stopped) = stopped {
            self.anomaly(stopped)?;
        }
        self.flush()?;
        entry.boot_number = number;
        self.boots.record(&entry);
        self.evidence.record(&entry);
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
