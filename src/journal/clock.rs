//! Where record stamps come from: the system clocks, or a fixed,
//! deterministic clock for tests and examples.

use crate::model::event::{BootId, Stamp};

/// A source of stamps for records.
pub trait Clock {
    /// The stamp for a record written now.
    fn stamp(&mut self) -> Stamp;
}

/// The real clocks: `CLOCK_REALTIME` and `CLOCK_MONOTONIC`, and the boot's ID.
#[derive(Clone, Copy, Debug)]
pub struct SystemClock {
    boot_id: BootId,
}

impl SystemClock {
    /// Stamps records as written on boot `boot_id`.
    pub fn new(boot_id: BootId) -> Self {
        SystemClock { boot_id }
    }
}

impl Clock for SystemClock {
    fn stamp(&mut self) -> Stamp {
        use rustix::time::{ClockId, clock_gettime};
        let wall = clock_gettime(ClockId::Realtime);
        let mono = clock_gettime(ClockId::Monotonic);
        Stamp {
            boot_id: self.boot_id,
            wall_ms: wall.tv_sec.saturating_mul(1000) + wall.tv_nsec / 1_000_000,
            mono_ns: (mono.tv_sec as u64)
                .saturating_mul(1_000_000_000)
                .saturating_add(mono.tv_nsec as u64),
        }
    }
}

/// A deterministic clock: starts at given times and advances by a fixed
/// step on every stamp.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct FixedClock {
    /// The boot to stamp.
    pub boot_id: BootId,
    /// Wall-clock time of the next stamp (Unix milliseconds).
    pub wall_ms: i64,
    /// Monotonic time of the next stamp (nanoseconds).
    pub mono_ns: u64,
    /// How far each stamp advances both clocks, in milliseconds.
    pub step_ms: u32,
}

impl FixedClock {
    /// Starts boot `boot_id` at `wall_ms`, with the monotonic clock at one
    /// second, advancing 250 ms per record.
    pub fn new(boot_id: BootId, wall_ms: i64) -> Self {
        FixedClock {
            boot_id,
            wall_ms,
            mono_ns: 1_000_000_000,
            step_ms: 250,
        }
    }
}

impl Clock for FixedClock {
    fn stamp(&mut self) -> Stamp {
        let stamp = Stamp {
            boot_id: self.boot_id,
            wall_ms: self.wall_ms,
            mono_ns: self.mono_ns,
        };
        self.wall_ms += i64::from(self.step_ms);
        self.mono_ns += u64::from(self.step_ms) * 1_000_000;
        stamp
    }
}
