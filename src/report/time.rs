//! Wall-clock times in UTC and monotonic durations, formatted without a
//! time-zone database: the report is the same on every machine, and says
//! that its times are UTC.

/// A calendar date and time of day in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utc {
    /// Year.
    pub year: i64,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of the month, 1 to 31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
    /// Millisecond.
    pub milli: u32,
}

impl Utc {
    /// The UTC time of `wall_ms` Unix milliseconds.
    pub fn from_unix_ms(wall_ms: i64) -> Self {
        let days = wall_ms.div_euclid(86_400_000);
        let in_day = wall_ms.rem_euclid(86_400_000);
        // Civil-from-days, after Howard Hinnant's public-domain algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Utc {
            year,
            month,
            day,
            hour: (in_day / 3_600_000) as u32,
            minute: (in_day / 60_000 % 60) as u32,
            second: (in_day / 1000 % 60) as u32,
            milli: (in_day % 1000) as u32,
        }
    }

    /// `2023-11-14`.
    pub fn date(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `22:13:20`.
    pub fn time(&self) -> String {
        format!("{:02}:{:02}:{:02}", self.hour, self.minute, self.second)
    }

    /// `2023-11-14T22:13:20.000Z` (RFC 3339).
    pub fn rfc3339(&self) -> String {
        format!("{}T{}.{:03}Z", self.date(), self.time(), self.milli)
    }

    /// `2023-11-14 22:13:20.000 UTC`.
    pub fn long(&self) -> String {
        format!("{} {}.{:03} UTC", self.date(), self.time(), self.milli)
    }
}

/// A monotonic duration in seconds with millisecond precision: `1.250s`,
/// `-0.500s` (a clock that went back, which only a damaged file shows).
pub fn seconds(ns: i128) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let ms = ns.unsigned_abs() / 1_000_000;
    format!("{sign}{}.{:03}s", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(Utc::from_unix_ms(0).rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Utc::from_unix_ms(1_700_000_000_123).rfc3339(),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(
            Utc::from_unix_ms(951_782_400_000).rfc3339(),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(Utc::from_unix_ms(-1).rfc3339(), "1969-12-31T23:59:59.999Z");
        assert_eq!(Utc::from_unix_ms(i64::MAX).year, 292_278_994);
        assert_eq!(Utc::from_unix_ms(i64::MIN).year, -292_275_055);
    }

    #[test]
    fn durations() {
        assert_eq!(seconds(1_250_000_000), "1.250s");
        assert_eq!(seconds(-500_000_000), "-0.500s");
        assert_eq!(seconds(0), "0.000s");
    }
}
