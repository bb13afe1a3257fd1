//! Journals and helpers shared by the `dump` tests and benchmark.

#![allow(dead_code)]

use std::path::PathBuf;

#[path = "../support/mod.rs"]
pub mod support;

use provision_journal::config::PolicySettings;
use provision_journal::report::{Outcome, dump_human, dump_json};
use provision_journal::testing::encode_payload;
use provision_journal::testing::{encode_frame, encode_header};
use provision_journal::{
    BootId, Clock, Event, FixedClock, Journal, MemStorage, RebootReason, Sha256, Stage, Stamp,
    Trigger,
};

/// The wall-clock time of the first boot in every generated journal.
pub const START_MS: i64 = 1_700_000_000_000;

/// Renders both reports of `bytes`, checking they agree on the outcome.
pub fn render(bytes: &[u8]) -> (String, String, Outcome) {
    let mut human = Vec::new();
    let outcome = dump_human(
        &mut MemStorage::with_bytes(bytes),
        &PolicySettings::default(),
        &mut human,
    )
    .expect("dump");
    let mut json = Vec::new();
    let json_outcome = dump_json(
        &mut MemStorage::with_bytes(bytes),
        &PolicySettings::default(),
        &mut json,
    )
    .expect("dump --json");
    assert_eq!(outcome, json_outcome);
    (
        String::from_utf8(human).expect("the report is UTF-8"),
        String::from_utf8(json).expect("the JSON is UTF-8"),
        outcome,
    )
}

/// The golden directory.
pub fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compares `actual` with `tests/golden/NAME`, or rewrites the file when
/// `UPDATE_GOLDEN=1`.
pub fn check_golden(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if support::golden::update(&path, actual.as_bytes()) {
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "{}: {error}; run `UPDATE_GOLDEN=1 cargo test --test dump_golden` to create it",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{} differs from the output (rerun with UPDATE_GOLDEN=1 if the change is intended):\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

/// Writes one boot's records through a real journal, with a deterministic
/// clock.
pub struct Writer {
    journal: Journal<MemStorage>,
    disk: MemStorage,
    clock: FixedClock,
    boots: u8,
}

impl Writer {
    /// A new journal.
    pub fn new() -> Self {
        let storage = MemStorage::new();
        let disk = storage.reopen();
        Writer {
            journal: Journal::open(storage).expect("open"),
            disk,
            clock: FixedClock::new(BootId([0; 16]), START_MS),
            boots: 0,
        }
    }

    /// Starts the next boot, a minute after the previous one started.
    pub fn boot(&mut self) -> &mut Self {
        self.boots += 1;
        let n = self.boots;
        self.clock = FixedClock::new(boot_id(n), START_MS + 60_000 * i64::from(n - 1));
        self
    }

    /// Appends a valid record.
    pub fn add(&mut self, event: Event) -> &mut Self {
        let stamp = self.clock.stamp();
        self.journal.append(event, stamp).expect("a valid record");
        self
    }

    /// Lets `ms` pass on the monotonic and wall clocks.
    pub fn wait(&mut self, ms: u32) -> &mut Self {
        self.clock.wall_ms += i64::from(ms);
        self.clock.mono_ns += u64::from(ms) * 1_000_000;
        self
    }

    /// Runs a mutating stage to its end.
    pub fn stage(&mut self, stage: Stage, ms: u32) -> &mut Self {
        self.add(Event::StageBegan { stage })
            .wait(ms)
            .add(Event::StageEnded { stage })
    }

    /// The journal's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        self.disk.contents().expect("the journal exists")
    }
}

/// The ID of the `n`th boot a [`Writer`] writes.
pub fn boot_id(n: u8) -> BootId {
    let mut id = [n.wrapping_mul(0x11); 16];
    id[15] = n;
    BootId(id)
}

/// A journal with a terminal escape sequence in every string field, each
/// record valid and checksummed: a failed stage's reason, free-text planned
/// reboot reasons (announced and restarted), a poisoning stage failure, a
/// reset's reason and a forced rerun's token.
pub fn hostile_journal() -> Vec<u8> {
    let mut writer = Writer::new();
    let other = RebootReason::Other(hostile("reboot"));
    first_check(&mut writer)
        .add(Event::StageBegan {
            stage: Stage::Kargs,
        })
        .wait(50)
        .add(Event::StageFailed {
            stage: Stage::Kargs,
            reason: hostile("kargs"),
        })
        .boot()
        .add(Event::Restarted { planned: None })
        .add(Event::ConfigFetched { sha256: config() })
        .stage(Stage::Kargs, 40)
        .add(Event::RebootPlanned {
            reason: other.clone(),
        })
        .boot()
        .add(Event::Restarted {
            planned: Some(other),
        })
        .add(Event::ConfigFetched { sha256: config() })
        .add(Event::StageBegan {
            stage: Stage::Disks,
        })
        .wait(700)
        .add(Event::StageFailed {
            stage: Stage::Disks,
            reason: hostile("disks"),
        })
        .boot()
        .add(Event::Reset {
            reason: hostile("reset"),
        })
        .boot()
        .add(Event::AttemptStarted {
            epoch: 2,
            trigger: Trigger::Firstboot,
        })
        .add(Event::ConfigFetched { sha256: config() });
    all_stages(&mut writer).boot().add(Event::AttemptStarted {
        epoch: 3,
        trigger: Trigger::ForcedRerun {
            token: hostile("token"),
        },
    });
    writer.bytes()
}

/// Whether `text` holds nothing a terminal would act on but newlines.
pub fn terminal_safe(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c != '\n' && provision_journal::testing::is_unsafe(c))
}

/// The config digest of the generated journals.
pub fn config() -> Sha256 {
    Sha256([0x3b; 32])
}

/// A first attempt's check and fetch.
pub fn first_check(writer: &mut Writer) -> &mut Writer {
    writer
        .boot()
        .add(Event::AttemptStarted {
            epoch: 1,
            trigger: Trigger::Firstboot,
        })
        .wait(1200)
        .add(Event::ConfigFetched { sha256: config() })
}

/// The whole sequence on one boot, after fetch.
pub fn all_stages(writer: &mut Writer) -> &mut Writer {
    writer
        .stage(Stage::Kargs, 100)
        .stage(Stage::Disks, 4200)
        .stage(Stage::Mount, 300)
        .stage(Stage::Files, 900)
        .stage(Stage::Umount, 150)
        .add(Event::Completed)
}

/// Free text with a terminal escape sequence of every common kind.
pub fn hostile(what: &str) -> String {
    format!("{what}\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mred\u{9b}1m\r\n\u{202e}txt\u{7f}\\\"end")
}

/// Builds a journal by encoding frames directly (for kinds and sizes the
/// journal API would not write).
pub struct RawJournal {
    pub bytes: Vec<u8>,
    seq: u64,
    prev: u32,
}

impl RawJournal {
    /// A header and no record.
    pub fn new() -> Self {
        let header = encode_header(START_MS);
        let prev = u32::from_le_bytes(header[20..24].try_into().unwrap());
        RawJournal {
            bytes: header.to_vec(),
            seq: 0,
            prev,
        }
    }

    /// Appends a frame around `payload`.
    pub fn frame(&mut self, payload: &[u8]) -> &mut Self {
        let frame = encode_frame(self.seq, self.prev, payload);
        self.prev = u32::from_le_bytes(frame[0..4].try_into().unwrap());
        self.seq += 1;
        self.bytes.extend_from_slice(&frame);
        self
    }

    /// Appends a record.
    pub fn record(&mut self, stamp: Stamp, event: &Event) -> &mut Self {
        let payload = encode_payload(&stamp, event).expect("encodable");
        self.frame(&payload)
    }
}

/// A stamp on boot `n`.
pub fn stamp(n: u8, mono_ms: u64) -> Stamp {
    Stamp {
        boot_id: BootId([n; 16]),
        wall_ms: START_MS + mono_ms as i64,
        mono_ns: mono_ms * 1_000_000,
    }
}

/// Appends `boots` boots of a planned-reboot loop (5 records each): valid
/// for the transition function, and as large as wanted.
pub fn reboot_loop(raw: &mut RawJournal, boots: u64) {
    reboot_loop_with(raw, boots, &mut |_| {});
}

/// [`reboot_loop`], calling `after_boot` after each boot (to drain the
/// bytes to a file, say).
pub fn reboot_loop_with(
    raw: &mut RawJournal,
    boots: u64,
    after_boot: &mut dyn FnMut(&mut RawJournal),
) {
    for boot in 0..boots {
        let mut stamp = stamp(1, 1_000 * boot);
        stamp.boot_id.0[..8].copy_from_slice(&boot.to_le_bytes());
        let mut next = |event: Event, raw: &mut RawJournal| {
            stamp.mono_ns += 250_000_000;
            stamp.wall_ms += 250;
            raw.record(stamp, &event);
        };
        next(
            match boot {
                0 => Event::AttemptStarted {
                    epoch: 1,
                    trigger: Trigger::Firstboot,
                },
                _ => Event::Restarted {
                    planned: Some(RebootReason::Kargs),
                },
            },
            raw,
        );
        next(Event::ConfigFetched { sha256: config() }, raw);
        next(
            Event::StageBegan {
                stage: Stage::Kargs,
            },
            raw,
        );
        next(
            Event::StageEnded {
                stage: Stage::Kargs,
            },
            raw,
        );
        next(
            Event::RebootPlanned {
                reason: RebootReason::Kargs,
            },
            raw,
        );
        after_boot(raw);
    }
}
