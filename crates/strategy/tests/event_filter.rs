//! SPEC §2 step 2: the event filter, as a table of events in → verdict out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::{dec, event, utc};
use domain::Event;
use strategy::{EventFilter, EventFilterReport, filter_events};

/// What happened to one event.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Passed(i64),
    Liquidity,
    Volume,
    Volume24hr,
    Days,
    MissingEndDate,
}

/// Run one event through `filter` and say what became of it.
fn verdict(event: Event, filter: &EventFilter) -> Verdict {
    let now = utc("2026-01-01T12:00:00Z");
    let r = filter_events(vec![event], filter, now);
    assert_eq!(r.input, 1);
    let counts = [
        r.rejected_liquidity,
        r.rejected_volume,
        r.rejected_volume_24hr,
        r.rejected_days,
        r.missing_end_date,
    ];
    assert_eq!(r.passed.len() + counts.iter().sum::<usize>(), 1, "{r:?}");
    match (r.passed.first(), counts) {
        (Some(p), _) => Verdict::Passed(p.days_until_end.unwrap()),
        (None, [1, 0, 0, 0, 0]) => Verdict::Liquidity,
        (None, [0, 1, 0, 0, 0]) => Verdict::Volume,
        (None, [0, 0, 1, 0, 0]) => Verdict::Volume24hr,
        (None, [0, 0, 0, 1, 0]) => Verdict::Days,
        (None, [0, 0, 0, 0, 1]) => Verdict::MissingEndDate,
        (None, other) => panic!("unexpected counts {other:?}"),
    }
}

#[test]
fn event_filter_table() {
    let now = utc("2026-01-01T12:00:00Z");
    let days = |d: i64| Some(now + Duration::days(d));
    fn with(f: impl FnOnce(&mut Event)) -> Event {
        let end = utc("2026-01-01T12:00:00Z") + Duration::days(30);
        let mut e = event("1", "100000", Some(end));
        f(&mut e);
        e
    }
    let std = EventFilter::default();
    let need_24h = EventFilter {
        min_volume_24hr: Some(dec("1000")),
        ..EventFilter::default()
    };
    let cases: Vec<(&str, Event, &EventFilter, Verdict)> = vec![
        ("typical", with(|_| {}), &std, Verdict::Passed(30)),
        (
            "liquidity exactly 10000",
            with(|e| e.liquidity = Some(dec("10000"))),
            &std,
            Verdict::Passed(30),
        ),
        (
            "liquidity 9999.99",
            with(|e| e.liquidity = Some(dec("9999.99"))),
            &std,
            Verdict::Liquidity,
        ),
        (
            "liquidity missing = 0",
            with(|e| e.liquidity = None),
            &std,
            Verdict::Liquidity,
        ),
        (
            "volume exactly 50000",
            with(|e| e.volume = Some(dec("50000"))),
            &std,
            Verdict::Passed(30),
        ),
        (
            "volume 49999.99",
            with(|e| e.volume = Some(dec("49999.99"))),
            &std,
            Verdict::Volume,
        ),
        (
            "volume missing = 0",
            with(|e| e.volume = None),
            &std,
            Verdict::Volume,
        ),
        (
            "low liquidity counts before low volume",
            with(|e| {
                e.liquidity = None;
                e.volume = None
            }),
            &std,
            Verdict::Liquidity,
        ),
        (
            "24h volume ignored by default",
            with(|e| e.volume_24hr = None),
            &std,
            Verdict::Passed(30),
        ),
        (
            "24h volume exactly at the bound",
            with(|_| {}),
            &need_24h,
            Verdict::Passed(30),
        ),
        (
            "24h volume below the bound",
            with(|e| e.volume_24hr = Some(dec("999.99"))),
            &need_24h,
            Verdict::Volume24hr,
        ),
        (
            "24h volume missing = 0",
            with(|e| e.volume_24hr = None),
            &need_24h,
            Verdict::Volume24hr,
        ),
        (
            "exactly 1 day",
            with(|e| e.end_date = days(1)),
            &std,
            Verdict::Passed(1),
        ),
        (
            "23 hours is 0 days",
            with(|e| e.end_date = Some(now + Duration::hours(23))),
            &std,
            Verdict::Days,
        ),
        (
            "exactly 90 days",
            with(|e| e.end_date = days(90)),
            &std,
            Verdict::Passed(90),
        ),
        (
            "90 days 23 hours is 90 days",
            with(|e| e.end_date = Some(now + Duration::hours(90 * 24 + 23))),
            &std,
            Verdict::Passed(90),
        ),
        (
            "91 days",
            with(|e| e.end_date = days(91)),
            &std,
            Verdict::Days,
        ),
        (
            "already ended",
            with(|e| e.end_date = days(-3)),
            &std,
            Verdict::Days,
        ),
        (
            "no endDate fails the day filters",
            with(|e| e.end_date = None),
            &std,
            Verdict::MissingEndDate,
        ),
    ];
    for (name, event, filter, expected) in cases {
        assert_eq!(verdict(event, filter), expected, "{name}");
    }
}

#[test]
fn passed_events_are_sorted_by_volume_descending_and_stable() {
    let now = utc("2026-01-01T12:00:00Z");
    let end = Some(now + Duration::days(10));
    let events = vec![
        event("a", "60000", end),
        event("b", "900000", end),
        event("c", "60000", end),
        event("d", "10", end),
        event("e", "70000", None),
        event("f", "300000", end),
    ];
    let r = filter_events(events.clone(), &EventFilter::default(), now);
    let ids: Vec<&str> = r.passed.iter().map(|p| p.event.id.as_str()).collect();
    assert_eq!(ids, ["b", "f", "a", "c"]);
    assert_eq!(
        (
            r.input,
            r.rejected_volume,
            r.missing_end_date,
            r.rejected_liquidity,
            r.rejected_days,
            r.rejected_volume_24hr
        ),
        (6, 1, 1, 0, 0, 0)
    );
}

#[test]
fn no_events_is_an_empty_report() {
    let r = filter_events(
        Vec::new(),
        &EventFilter::default(),
        utc("2026-01-01T00:00:00Z"),
    );
    assert_eq!(r, EventFilterReport::default());
}

#[test]
fn defaults_are_the_spec_defaults() {
    let f = EventFilter::default();
    assert_eq!(
        (
            f.min_liquidity,
            f.min_volume,
            f.min_volume_24hr,
            f.min_days_until_end,
            f.max_days_until_end
        ),
        (dec("10000"), dec("50000"), None, 1, 90)
    );
}
