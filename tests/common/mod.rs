//! Test scaffolding: a simulated machine whose boots drive the real journal
//! code through the in-memory storage, the way the stage hooks do.

#![allow(dead_code)]

use provision_journal::{
    BootContext, BootId, Clock, Decision, Event, FixedClock, Journal, MemStorage, Policy,
    RebootReason, Sha256, Stage, classify,
};

/// The config digest the examples fetch.
pub const CONFIG: Sha256 = Sha256([0xc0; 32]);
/// A different config.
pub const OTHER_CONFIG: Sha256 = Sha256([0xd1; 32]);
/// 2026-11-25T08:00:00Z, the examples' first boot.
pub const START_MS: i64 = 1_795_593_600_000;

/// A machine with a journal, booting again and again.
pub struct Machine {
    pub storage: MemStorage,
    pub clock: FixedClock,
    pub boots: u8,
    pub policy: Policy,
    pub rerun_token: Option<String>,
}

impl Machine {
    pub fn new() -> Self {
        Machine {
            storage: MemStorage::new(),
            clock: FixedClock::new(BootId([0; 16]), START_MS),
            boots: 0,
            policy: Policy::default(),
            rerun_token: None,
        }
    }

    pub fn from_bytes(bytes: &[u8]) -> Self {
        Machine {
            storage: MemStorage::with_bytes(bytes),
            // Boots of a copied journal get IDs no recorded boot has.
            boots: 100,
            ..Machine::new()
        }
    }

    /// The boot ID of the n-th boot (1-based): recognisable in hex dumps.
    pub fn boot_id(n: u8) -> BootId {
        let mut id = [0u8; 16];
        id[0] = 0xb0;
        id[1] = n;
        id[15] = n;
        BootId(id)
    }

    /// Starts a new boot: new boot ID, wall clock ten minutes later,
    /// monotonic clock back near zero.
    pub fn boot(&mut self) -> &mut Self {
        self.boots += 1;
        self.clock = FixedClock::new(
            Self::boot_id(self.boots),
            START_MS + i64::from(self.boots - 1) * 600_000,
        );
        self
    }

    pub fn context(&self) -> BootContext {
        BootContext {
            boot_id: Some(self.clock.boot_id),
            live: false,
            firstboot: true,
            rerun_token: self.rerun_token.clone(),
            policy: self.policy,
        }
    }

    pub fn journal(&self) -> Journal<MemStorage> {
        Journal::open(self.storage.reopen()).expect("journal opens")
    }

    /// What `check` does, for a test that does not look at the verdict.
    pub fn check(&mut self) -> &mut Self {
        let _verdict_not_needed = self.decide();
        self
    }

    /// What `check` does: classify, record the decision.
    pub fn decide(&mut self) -> Decision {
        let mut journal = self.journal();
        let decision = classify(journal.progress(), journal.torn_tail(), &self.context());
        if let Some(event) = decision.record.clone() {
            journal
                .append(event, self.clock.stamp())
                .expect("check records its decision");
        }
        decision
    }

    /// What a hook does: append one event.
    pub fn hook(&mut self, event: Event) -> &mut Self {
        let mut journal = self.journal();
        journal
            .append(event.clone(), self.clock.stamp())
            .unwrap_or_else(|error| panic!("hook {event:?} failed: {error}"));
        self
    }

    pub fn try_hook(&mut self, event: Event) -> Result<(), provision_journal::JournalError> {
        let mut journal = self.journal();
        journal.append(event, self.clock.stamp()).map(|_| ())
    }

    pub fn fetched(&mut self) -> &mut Self {
        self.hook(Event::ConfigFetched { sha256: CONFIG })
    }

    pub fn stage(&mut self, stage: Stage) -> &mut Self {
        self.hook(Event::StageBegan { stage });
        self.hook(Event::StageEnded { stage })
    }

    pub fn begin(&mut self, stage: Stage) -> &mut Self {
        self.hook(Event::StageBegan { stage })
    }

    pub fn reboot_for_kargs(&mut self) -> &mut Self {
        self.hook(Event::RebootPlanned {
            reason: RebootReason::Kargs,
        })
    }

    /// A full, uninterrupted provisioning boot after `check`.
    pub fn provision_all(&mut self) -> &mut Self {
        self.fetched();
        for stage in [
            Stage::Kargs,
            Stage::Disks,
            Stage::Mount,
            Stage::Files,
            Stage::Umount,
        ] {
            self.stage(stage);
        }
        self.hook(Event::Completed)
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.storage.contents().expect("journal exists")
    }

    pub fn classify_next_boot(&mut self) -> Decision {
        self.boot();
        let journal = self.journal();
        classify(journal.progress(), journal.torn_tail(), &self.context())
    }
}
