//! Corruption sweep: every single-bit flip and every zeroed 512-byte sector
//! of every golden journal in `tests/golden/`, one at a time.
//!
//! Each damaged journal goes through what `check` does (open for writing,
//! classify, append the decision: `hooks::check`). It must be refused as
//! corrupt, or, only when the damage touches the final record (the last
//! whole record and any torn bytes after it), read as a torn tail starting
//! at the first damaged frame; a flip in the version field may instead be
//! refused as a newer format. A zeroed sector that covers the final record
//! and records before it reads as a torn tail from the first of them when
//! that is no longer than one append: by `spec/FORMAT.md`'s recovery rule
//! it cannot be told from an interrupted append, so the classifier must
//! treat it as one that may hide a red-line `begin`. A single bit
//! flip cannot leave a valid record behind (CRC-32 detects every one), so a
//! damaged journal that reads clean is a violation, unless the flip turns
//! one golden journal into another (undoing `mid-file-corruption`'s flip).
//! No damaged journal may let provisioning proceed when the undamaged one
//! did not.

use std::io::Write as _;

use std::collections::BTreeMap;
use std::ops::Range;

use provision_journal::fuzzing::read_records;
use provision_journal::testing::{FRAME_HEADER_LEN, HEADER_LEN};
use provision_journal::{
    BootContext, BootId, FixedClock, Journal, JournalError, MemStorage, TornTail, Verdict, hooks,
};

/// What `check` made of one journal.
#[derive(Debug)]
enum Outcome {
    /// Refused as corrupt, at this offset.
    Corrupt(u64),
    /// Refused as written by a newer format version.
    Newer,
    /// Opened, and classified; `torn` is the torn tail it ended in.
    Classified {
        verdict: Verdict,
        torn: Option<TornTail>,
    },
}

impl Outcome {
    fn may_proceed(&self) -> bool {
        matches!(self, Outcome::Classified { verdict, .. } if verdict.may_proceed())
    }
}

/// A boot none of the golden journals has seen.
fn context() -> BootContext {
    BootContext {
        boot_id: Some(BootId([0xee; 16])),
        firstboot: true,
        ..BootContext::default()
    }
}

/// Runs `check` on `bytes` as the command line does, and cross-checks the
/// reader on the same bytes.
fn check(bytes: &[u8]) -> Result<Outcome, String> {
    let context = context();
    let reader = read_records(Some(bytes));
    let storage = MemStorage::with_bytes(bytes);
    let opened = Journal::open(storage.reopen());
    let mut journal = match opened {
        Ok(journal) => journal,
        Err(error) => {
            let same = matches!(
                (&error, &reader),
                (JournalError::Corrupt { offset: a, .. }, Err(JournalError::Corrupt { offset: b, .. })) if a == b
            ) || matches!(
                (&error, &reader),
                (
                    JournalError::UnsupportedVersion { .. },
                    Err(JournalError::UnsupportedVersion { .. })
                )
            );
            if !same {
                return Err(format!(
                    "check and the reader disagree: {error} / {reader:?}"
                ));
            }
            return match error {
                JournalError::Corrupt { offset, .. } => Ok(Outcome::Corrupt(offset)),
                JournalError::UnsupportedVersion { .. } => Ok(Outcome::Newer),
                other => Err(format!("unexpected error: {other}")),
            };
        }
    };
    let torn = journal.torn_tail();
    match &reader {
        Ok((records, reader_torn))
            if records.len() as u64 == journal.record_count() && *reader_torn == torn => {}
        other => return Err(format!("check and the reader disagree: {other:?}")),
    }
    let mut clock = FixedClock::new(BootId([0xee; 16]), 1_900_000_000_000);
    let decision = hooks::check(&mut journal, &context, &mut clock)
        .map_err(|error| format!("check failed to record its decision: {error}"))?;
    drop(journal);
    let after = storage.contents().expect("the journal exists");
    match read_records(Some(&after)) {
        Ok((_, None)) => {}
        other => {
            return Err(format!(
                "the journal after check does not read clean: {other:?}"
            ));
        }
    }
    Ok(Outcome::Classified {
        verdict: decision.verdict,
        torn,
    })
}

/// Where each frame starts, walking frames by their length fields
/// (checksums unchecked); the last may be cut short by the end of the file.
fn frame_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = HEADER_LEN;
    while at < bytes.len() {
        starts.push(at);
        let Some(fixed) = bytes.get(at..at + FRAME_HEADER_LEN) else {
            break;
        };
        let len = u32::from_le_bytes(fixed[4..8].try_into().expect("4 bytes")) as usize;
        if len == 0 {
            break;
        }
        at += FRAME_HEADER_LEN + len;
    }
    starts
}

/// Where the final record starts: the last frame that is whole in the file
/// (any bytes after it are a torn tail).
fn final_record_start(bytes: &[u8], starts: &[usize]) -> usize {
    starts
        .iter()
        .copied()
        .rfind(|&start| {
            bytes.get(start + 4..start + 8).is_some_and(|len| {
                let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
                start + FRAME_HEADER_LEN + len <= bytes.len()
            })
        })
        .unwrap_or(HEADER_LEN)
}

#[derive(Default)]
struct Counts {
    mutations: u64,
    corrupt: u64,
    torn: u64,
    torn_wider: u64,
    newer: u64,
    restored: u64,
    violations: Vec<String>,
}

struct Golden {
    name: String,
    bytes: Vec<u8>,
    outcome: Outcome,
    starts: Vec<usize>,
    final_start: usize,
}

impl Golden {
    /// Judges one damaged copy; `damaged` is the byte range that changed.
    fn judge(
        &self,
        mutated: &[u8],
        damaged: Range<usize>,
        what: &str,
        goldens: &BTreeMap<Vec<u8>, String>,
        counts: &mut Counts,
    ) {
        counts.mutations += 1;
        let mut violation = |message: String| {
            counts
                .violations
                .push(format!("{}: {what}: {message}", self.name));
        };
        let outcome = match check(mutated) {
            Ok(outcome) => outcome,
            Err(message) => return violation(message),
        };
        if outcome.may_proceed() && !self.outcome.may_proceed() {
            violation(format!(
                "classified as safe ({outcome:?}); the undamaged journal was {:?}",
                self.outcome
            ));
            return;
        }
        match outcome {
            Outcome::Corrupt(offset) => {
                let bound = match self.outcome {
                    Outcome::Corrupt(original) => original.min(damaged.start as u64),
                    _ => damaged.start as u64,
                };
                if offset > bound {
                    violation(format!(
                        "corruption reported at {offset}, after the first damaged byte {}",
                        damaged.start
                    ));
                } else {
                    counts.corrupt += 1;
                }
            }
            Outcome::Newer => {
                if damaged.start >= 8 && damaged.end <= 10 {
                    counts.newer += 1;
                } else {
                    violation("refused as a newer format outside the version field".into());
                }
            }
            Outcome::Classified {
                torn: Some(torn), ..
            } => {
                let runs_to_end = torn.offset + torn.len == mutated.len() as u64;
                let touches_final = damaged.end > self.final_start;
                let first_damaged_frame = self
                    .starts
                    .iter()
                    .copied()
                    .rfind(|&start| start <= damaged.start);
                let at_damage = first_damaged_frame == Some(torn.offset as usize);
                let wider = torn.offset < self.final_start as u64;
                if wider && damaged.len() == 1 {
                    violation(format!(
                        "one flipped bit made a torn tail {torn:?} reaching before the final record"
                    ));
                } else if runs_to_end && touches_final && at_damage {
                    counts.torn += 1;
                    if wider {
                        counts.torn_wider += 1;
                    }
                } else {
                    violation(format!(
                        "torn tail {torn:?} though the damage {damaged:?} is not in the final record (from {}) or the tail does not start at it",
                        self.final_start
                    ));
                }
            }
            Outcome::Classified { torn: None, .. } => match goldens.get(mutated) {
                Some(other) => {
                    counts.restored += 1;
                    println!("{}: {what} turns it into golden `{other}`", self.name);
                }
                None => violation("the damage went unnoticed: the journal reads clean".into()),
            },
        }
    }
}

fn load_goldens() -> Vec<Golden> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
    let mut goldens: Vec<Golden> = std::fs::read_dir(dir)
        .expect("tests/golden exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "journal"))
        .map(|path| {
            let bytes = std::fs::read(&path).expect("a golden journal reads");
            let name = path
                .file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned();
            let outcome = check(&bytes).unwrap_or_else(|message| panic!("{name}: {message}"));
            let starts = frame_starts(&bytes);
            Golden {
                final_start: final_record_start(&bytes, &starts),
                starts,
                name,
                bytes,
                outcome,
            }
        })
        .collect();
    goldens.sort_by(|a, b| a.name.cmp(&b.name));
    goldens
}

/// Ordered pairs of golden journals one bit apart, the second reading clean:
/// each is one flip that turns a golden journal into a clean one.
fn one_bit_apart(goldens: &[Golden]) -> u64 {
    let mut pairs = 0;
    for a in goldens {
        for b in goldens {
            let clean = matches!(b.outcome, Outcome::Classified { torn: None, .. });
            if clean && a.bytes.len() == b.bytes.len() {
                let bits: u32 = a
                    .bytes
                    .iter()
                    .zip(&b.bytes)
                    .map(|(x, y)| (x ^ y).count_ones())
                    .sum();
                pairs += u64::from(bits == 1);
            }
        }
    }
    pairs
}

#[test]
fn every_bit_flip_and_zeroed_sector_is_corruption_or_a_torn_final_record() {
    let goldens = load_goldens();
    assert!(
        goldens.len() >= 8,
        "expected the eight golden journals in tests/golden, found {}",
        goldens.len()
    );
    let by_bytes: BTreeMap<Vec<u8>, String> = goldens
        .iter()
        .map(|golden| (golden.bytes.clone(), golden.name.clone()))
        .collect();
    let mut counts = Counts::default();
    let mut sectors = 0;
    for golden in &goldens {
        let before = counts.mutations;
        let mut mutated = golden.bytes.clone();
        for byte in 0..mutated.len() {
            for bit in 0..8 {
                mutated[byte] ^= 1 << bit;
                let what = format!("bit {bit} of byte {byte} flipped");
                golden.judge(&mutated, byte..byte + 1, &what, &by_bytes, &mut counts);
                mutated[byte] ^= 1 << bit;
            }
        }
        for start in (0..golden.bytes.len()).step_by(512) {
            let end = (start + 512).min(golden.bytes.len());
            let mut zeroed = golden.bytes.clone();
            zeroed[start..end].fill(0);
            if zeroed == golden.bytes {
                continue;
            }
            sectors += 1;
            let what = format!("sector {start}..{end} zeroed");
            golden.judge(&zeroed, start..end, &what, &by_bytes, &mut counts);
        }
        println!(
            "{:<28} {:>5} bytes, {:>6} mutations, undamaged: {:?}",
            golden.name,
            golden.bytes.len(),
            counts.mutations - before,
            golden.outcome
        );
    }
    // Written past the test harness's capture: CI logs show the figures.
    writeln!(
        std::io::stderr(),
        "corruption sweep: {} golden journals, {} mutations ({} zeroed sectors): {} corrupt, {} torn final record ({} of them zeroed sectors reaching back into earlier records), {} refused as a newer version, {} turned into another golden journal, {} violations",
        goldens.len(),
        counts.mutations,
        sectors,
        counts.corrupt,
        counts.torn,
        counts.torn_wider,
        counts.newer,
        counts.restored,
        counts.violations.len()
    )
    .expect("stderr");
    for violation in counts.violations.iter().take(20) {
        println!("violation: {violation}");
    }
    assert!(
        counts.violations.is_empty(),
        "{} violations",
        counts.violations.len()
    );
    assert_eq!(counts.restored, one_bit_apart(&goldens));
    assert_eq!(
        counts.corrupt + counts.torn + counts.newer + counts.restored,
        counts.mutations
    );
    assert!(counts.corrupt > 0 && counts.torn > 0);
}
