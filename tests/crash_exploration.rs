//! Exhaustive crash-state exploration.
//!
//! Drives the real journal and classifier through `MemStorage` for every
//! hook sequence the transition rules allow, up to a bounded length per
//! boot. After every operation of every hook it builds every on-disk state
//! the ALICE model allows (see `MemDisk::crash_states`) and boots on it:
//! recovery, the classifier and the writer after recovery must keep every
//! invariant of `spec/FORMAT.md`, "Crash model this journal is proven
//! against". Boots are chained: a deterministic sample of the crash states
//! of one boot is booted on, and crashed again, several boots deep.
//!
//! `PROVISION_JOURNAL_EXPLORE_DEEP=1` explores longer sequences, deeper and
//! with denser sampling; `PROVISION_JOURNAL_EXPLORE_HOOKS`,
//! `_DEPTH` and `_SAMPLE` set the bounds one by one.

use std::io::Write as _;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use provision_journal::fuzzing::{
    CONFIG_A, CONFIG_B, Machine, boot_context, boot_id, check_crash_state,
};
use provision_journal::storage::Tearing;
use provision_journal::{FixedClock, Sha256};

/// How far the exploration goes.
#[derive(Clone, Copy, Debug)]
struct Bounds {
    /// Hooks after `check` in the first boot.
    hooks: usize,
    /// Hooks after `check` in the second boot; one fewer in each later one
    /// (at least one).
    chained_hooks: usize,
    /// Boots in a chain (the first included).
    depth: u8,
    /// One in this many crash states that a hook left whole (the boot
    /// ended after it) is booted on again (at least 2).
    sample_whole: u64,
    /// One in this many torn crash states is booted on again.
    sample_torn: u64,
}

impl Bounds {
    fn from_env() -> Self {
        let deep = std::env::var("PROVISION_JOURNAL_EXPLORE_DEEP").is_ok_and(|value| value == "1");
        let mut bounds = if deep {
            Bounds {
                hooks: 8,
                chained_hooks: 5,
                depth: 4,
                sample_whole: 3,
                sample_torn: 1_500,
            }
        } else {
            Bounds {
                hooks: 5,
                chained_hooks: 2,
                depth: 3,
                sample_whole: 6,
                sample_torn: 9_001,
            }
        };
        let number = |name: &str| {
            std::env::var(format!("PROVISION_JOURNAL_EXPLORE_{name}"))
                .ok()
                .map(|value| value.parse::<u64>().expect("a number"))
        };
        if let Some(hooks) = number("HOOKS") {
            bounds.hooks = hooks as usize;
        }
        if let Some(hooks) = number("CHAINED_HOOKS") {
            bounds.chained_hooks = hooks as usize;
        }
        if let Some(depth) = number("DEPTH") {
            bounds.depth = depth as u8;
        }
        if let Some(sample) = number("SAMPLE_WHOLE") {
            bounds.sample_whole = sample.max(2);
        }
        if let Some(sample) = number("SAMPLE_TORN") {
            bounds.sample_torn = sample.max(1);
        }
        bounds
    }

    fn hooks_at(&self, depth: u8) -> usize {
        match depth {
            0 => self.hooks,
            _ => self
                .chained_hooks
                .saturating_sub(usize::from(depth) - 1)
                .max(1),
        }
    }
}

#[derive(Default)]
struct Counts {
    boots: u64,
    sequences: u64,
    crash_states: u64,
    chained: u64,
    violations: u64,
    reports: Vec<String>,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.boots += other.boots;
        self.sequences += other.sequences;
        self.crash_states += other.crash_states;
        self.chained += other.chained;
        self.violations += other.violations;
        self.reports.extend(other.reports);
        self.reports.truncate(10);
    }
}

/// A crash state to boot on again, and how it came about.
struct Seed {
    journal: Option<Vec<u8>>,
    depth: u8,
    path: String,
}

struct Explorer {
    bounds: Bounds,
    counts: Counts,
    seen_whole: u64,
    seen_torn: u64,
    /// Where the second boots go when they are run later, in parallel;
    /// `None` boots on at once.
    deferred: Option<Vec<Seed>>,
}

impl Explorer {
    fn new(bounds: Bounds, defer: bool) -> Self {
        Explorer {
            bounds,
            counts: Counts::default(),
            seen_whole: 0,
            seen_torn: 0,
            deferred: defer.then(Vec::new),
        }
    }

    fn violation(&mut self, what: String) {
        self.counts.violations += 1;
        if self.counts.reports.len() < 10 {
            self.counts.reports.push(what);
        }
    }

    fn boot(&mut self, seed: Seed) {
        self.counts.boots += 1;
        let Seed {
            journal,
            depth,
            path,
        } = seed;
        // The third boot of a chain carries a forced-rerun argument, so
        // completed attempts are rerun and crashed in too.
        let token = (depth == 2).then_some("rerun");
        let machine = Machine::on_disk(journal.as_deref(), depth, token);
        let configs: &[Sha256] = if depth == 0 {
            &[CONFIG_A]
        } else {
            &[CONFIG_A, CONFIG_B]
        };
        self.hooks(&machine, configs, depth, 0, &path);
    }

    fn hooks(&mut self, machine: &Machine, configs: &[Sha256], depth: u8, run: usize, path: &str) {
        for hook in machine.next_hooks(configs) {
            let mut next = machine.fork();
            let path = format!("{path}, {}", hook.command());
            let ran = catch_unwind(AssertUnwindSafe(|| next.run(&hook)));
            let ran = match ran {
                Ok(Ok(ran)) => ran,
                Ok(Err(error)) => {
                    self.violation(format!("[{path}] the hook failed: {error}"));
                    continue;
                }
                Err(_) => {
                    self.violation(format!("[{path}] the hook panicked"));
                    continue;
                }
            };
            self.counts.sequences += 1;
            for (point, state) in next.crash_states(&ran) {
                self.counts.crash_states += 1;
                let acknowledged = &next.acknowledged[..point.acknowledged];
                let in_flight = &next.acknowledged[point.acknowledged..][..point.in_flight];
                let after = depth + 1;
                let mut clock = FixedClock::new(boot_id(after), 0);
                let context = boot_context(boot_id(after), None);
                let checked = catch_unwind(AssertUnwindSafe(|| {
                    check_crash_state(
                        state.journal.as_deref(),
                        acknowledged,
                        in_flight,
                        &mut clock,
                        &context,
                    )
                }));
                match checked {
                    Ok(Ok(_)) => {}
                    Ok(Err(violation)) => {
                        self.violation(format!(
                            "[{path}] crash after op {} ({:?}): {violation}",
                            point.ops, state.tearing
                        ));
                        continue;
                    }
                    Err(_) => {
                        self.violation(format!(
                            "[{path}] crash after op {} ({:?}): recovery panicked",
                            point.ops, state.tearing
                        ));
                        continue;
                    }
                }
                if after < self.bounds.depth && self.chain(&state.tearing, point.in_flight, depth) {
                    self.counts.chained += 1;
                    let seed = Seed {
                        journal: state.journal.clone(),
                        depth: after,
                        path: format!("{path} | crash {:?} |", state.tearing),
                    };
                    match &mut self.deferred {
                        Some(deferred) => deferred.push(seed),
                        None => self.boot(seed),
                    }
                }
            }
            if run < self.bounds.hooks_at(depth) {
                self.hooks(&next, configs, depth, run + 1, &path);
            }
        }
    }

    /// Whether to boot on a crash state again: a deterministic sample of
    /// the states in which all that was written landed whole after a hook
    /// returned (the boot ended there), and a sparser one of the others.
    /// Each boot deeper samples four times more sparsely.
    fn chain(&mut self, tearing: &Tearing, in_flight: usize, depth: u8) -> bool {
        let sparser = 1 << (2 * u32::from(depth));
        if in_flight == 0 && matches!(tearing, Tearing::Whole { .. }) {
            self.seen_whole += 1;
            self.seen_whole % (self.bounds.sample_whole * sparser) == 1
        } else {
            self.seen_torn += 1;
            self.seen_torn % (self.bounds.sample_torn * sparser) == 0
        }
    }
}

#[test]
fn every_crash_state_of_every_hook_sequence_recovers_safely() {
    let bounds = Bounds::from_env();
    let mut first = Explorer::new(bounds, true);
    first.boot(Seed {
        journal: None,
        depth: 0,
        path: String::new(),
    });
    let seeds = first.deferred.take().expect("deferred");
    let mut counts = first.counts;

    // The later boots of every chain are independent: share them out.
    let next = AtomicUsize::new(0);
    let total = Mutex::new(Counts::default());
    let workers = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .min(4);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut explorer = Explorer::new(bounds, false);
                while let Some(seed) = seeds.get(next.fetch_add(1, Ordering::Relaxed)) {
                    explorer.boot(Seed {
                        journal: seed.journal.clone(),
                        depth: seed.depth,
                        path: seed.path.clone(),
                    });
                }
                total.lock().expect("no worker panics").add(explorer.counts);
            });
        }
    });
    counts.add(total.into_inner().expect("no worker panics"));

    // Written past the test harness's capture: CI logs show the figures.
    writeln!(
        std::io::stderr(),
        "crash exploration ({bounds:?}): {} boots, {} hook sequences, {} crash states explored ({} booted on again), {} violations",
        counts.boots, counts.sequences, counts.crash_states, counts.chained, counts.violations
    )
    .expect("stderr");
    for report in &counts.reports {
        println!("violation: {report}");
    }
    assert!(counts.sequences > 100, "the exploration ran");
    assert!(counts.chained > 0, "boots were chained");
    assert_eq!(counts.violations, 0, "{:#?}", counts.reports);
}
