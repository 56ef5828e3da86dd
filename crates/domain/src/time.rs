//! Time rules (SPEC §3): everything is UTC. Legacy files hold naive local
//! timestamps (`2025-10-20T17:02:45.884042`), read in a configured zone; Gamma
//! uses half a dozen formats (LEGACY-FORMATS §2). [`parse_timestamp`] accepts
//! all of them, and nothing outside years 1–9999: what RFC 3339 can write,
//! every store reads back, and PostgreSQL's `TIMESTAMPTZ` holds.
//!
//! Every function here takes text from outside (Gamma, legacy files) and never
//! panics on it: no byte slicing of strings, no unchecked date arithmetic.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The zone naive legacy timestamps are read in (default UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NaiveZone(pub Tz);

impl Default for NaiveZone {
    fn default() -> Self {
        NaiveZone(Tz::UTC)
    }
}

impl NaiveZone {
    /// Parse an IANA zone name (`Europe/Berlin`, `UTC`).
    pub fn parse(name: &str) -> Option<Self> {
        name.parse::<Tz>().ok().map(NaiveZone)
    }

    /// A naive local time in this zone, as UTC. An ambiguous time (DST fold)
    /// takes the earlier instant; a skipped one (DST gap) is read an hour later.
    pub fn to_utc(self, naive: NaiveDateTime) -> DateTime<Utc> {
        match self.0.from_local_datetime(&naive) {
            chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
            chrono::LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
            chrono::LocalResult::None => naive
                .checked_add_signed(chrono::Duration::hours(1))
                .and_then(|later| self.0.from_local_datetime(&later).earliest())
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| Utc.from_utc_datetime(&naive)),
        }
    }
}

/// Parse any timestamp format seen in Gamma payloads or legacy files:
/// RFC 3339 with `Z` or an offset and 0–9 fraction digits, a space instead of
/// `T`, a short `+00` offset, a bare date (midnight UTC), or a naive timestamp
/// (read in `zone`). Returns `None` for anything else, and for instants
/// outside years 1–9999 ([`is_storable`]).
pub fn parse_timestamp(input: &str, zone: NaiveZone) -> Option<DateTime<Utc>> {
    parse_any(input, zone).filter(|t| is_storable(*t))
}

/// The first and last year a timestamp may have: RFC 3339 writes four-digit
/// years, and both stores must read back what either wrote.
pub const FIRST_YEAR: i32 = 1;
pub const LAST_YEAR: i32 = 9999;

/// Whether `t` lies in years [`FIRST_YEAR`]–[`LAST_YEAR`] (UTC).
pub fn is_storable(t: DateTime<Utc>) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&t.year())
}

fn parse_any(input: &str, zone: NaiveZone) -> Option<DateTime<Utc>> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let normalized = normalize(s);
    if let Ok(t) = DateTime::parse_from_rfc3339(&normalized) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(&normalized, fmt) {
            return Some(zone.to_utc(naive));
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)));
    }
    None
}

/// `2023-10-24 22:37:50.296+00` → `2023-10-24T22:37:50.296+00:00`.
///
/// Looks at bytes only: the input may end in any character ("€", an emoji),
/// and slicing a `str` inside one panics.
fn normalize(s: &str) -> String {
    let mut out = s.replacen(' ', "T", 1);
    // A trailing `+HH` or `-HH` offset without minutes.
    if let [.., _, sign, h1, h2] = out.as_bytes() {
        if matches!(sign, b'+' | b'-') && h1.is_ascii_digit() && h2.is_ascii_digit() {
            out.push_str(":00");
        }
    }
    out
}

/// Whole days from `now` to `end` (SPEC §2 step 2). The original used Python's
/// `timedelta.days`, which floors; so do we: an event ending in 23 hours has 0
/// days left, one that ended an hour ago has -1.
pub fn days_until(now: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
    (end - now).num_seconds().div_euclid(86_400)
}

/// The `YYYY-MM` month of a UTC instant, as signal archives are named.
pub fn month_key(t: DateTime<Utc>) -> String {
    t.format("%Y-%m").to_string()
}

/// RFC 3339 with offset and microseconds, as Prescient writes every timestamp.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn every_gamma_and_legacy_format_parses() {
        let z = NaiveZone::default();
        let cases = [
            ("2026-02-08T12:00:00Z", "2026-02-08T12:00:00Z"),
            ("2025-05-01T20:30:33.749654Z", "2025-05-01T20:30:33.749654Z"),
            ("2025-05-01T17:45:50.454Z", "2025-05-01T17:45:50.454Z"),
            ("2023-10-24T22:37:50.31Z", "2023-10-24T22:37:50.31Z"),
            ("2026-02-08", "2026-02-08T00:00:00Z"),
            ("2023-10-24 22:37:50.296+00", "2023-10-24T22:37:50.296Z"),
            ("2025-10-20T17:02:45.884042", "2025-10-20T17:02:45.884042Z"),
            ("2025-10-20T17:02:45", "2025-10-20T17:02:45Z"),
            ("2025-10-20T17:02:45+02:00", "2025-10-20T15:02:45Z"),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_timestamp(input, z), Some(utc(expected)), "{input}");
        }
        assert_eq!(parse_timestamp("<string>", z), None);
        assert_eq!(parse_timestamp("", z), None);
    }

    #[test]
    fn naive_timestamps_are_read_in_the_configured_zone() {
        let berlin = NaiveZone::parse("Europe/Berlin").unwrap();
        assert_eq!(
            parse_timestamp("2025-10-20T17:02:45.884042", berlin),
            Some(utc("2025-10-20T15:02:45.884042Z"))
        );
    }

    #[test]
    fn text_ending_in_a_multi_byte_character_is_no_timestamp() {
        let z = NaiveZone::default();
        for input in [
            "2026-02-08T12:00:00€",
            "2026-02-08T12:00:00+0😀",
            "€",
            "😀😀",
            "+€",
            "12€",
        ] {
            assert_eq!(parse_timestamp(input, z), None, "{input}");
        }
    }

    #[test]
    fn years_outside_1_to_9999_are_refused() {
        let z = NaiveZone::default();
        assert_eq!(parse_timestamp("0000-01-01T00:00:00Z", z), None);
        assert_eq!(parse_timestamp("+12345-01-01T00:00:00", z), None);
        assert_eq!(parse_timestamp("-0044-03-15T12:00:00", z), None);
        assert!(parse_timestamp("9999-12-31T23:59:59Z", z).is_some());
        assert!(parse_timestamp("0001-01-01T00:00:00Z", z).is_some());
    }

    #[test]
    fn a_skipped_local_time_at_the_end_of_time_does_not_panic() {
        let z = NaiveZone::parse("Europe/Berlin").unwrap();
        let _ = z.to_utc(NaiveDateTime::MAX);
        let _ = z.to_utc(NaiveDateTime::MIN);
    }

    proptest::proptest! {
        /// Any text at all: a timestamp or `None`, never a panic; what parses
        /// is storable and reads back identically from its written form.
        #[test]
        fn parsing_never_panics_and_round_trips(input in "\\PC*", zone in 0usize..3) {
            let zone = [NaiveZone::default(), NaiveZone::parse("Europe/Berlin").unwrap(),
                NaiveZone::parse("America/New_York").unwrap()][zone];
            if let Some(t) = parse_timestamp(&input, zone) {
                proptest::prop_assert!(is_storable(t));
                use chrono::SubsecRound;
                proptest::prop_assert_eq!(
                    parse_timestamp(&format_timestamp(t), zone),
                    Some(t.trunc_subsecs(6))
                );
            }
        }

        /// Text shaped like a timestamp with any tail character.
        #[test]
        fn timestamp_like_text_never_panics(
            head in "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?",
            tail in "[+-]?[0-9]{0,2}\\PC{0,2}",
        ) {
            let _ = parse_timestamp(&format!("{head}{tail}"), NaiveZone::default());
        }
    }

    #[test]
    fn days_until_floors_like_python() {
        let now = utc("2026-01-01T12:00:00Z");
        assert_eq!(days_until(now, utc("2026-01-02T11:00:00Z")), 0);
        assert_eq!(days_until(now, utc("2026-01-02T12:00:00Z")), 1);
        assert_eq!(days_until(now, utc("2025-12-31T12:00:00Z")), -1);
        assert_eq!(days_until(now, utc("2026-01-01T11:00:00Z")), -1);
    }
}
