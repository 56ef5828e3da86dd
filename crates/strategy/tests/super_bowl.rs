//! The recorded Super Bowl 2026 `/events` response (1 event, 33 markets, one
//! placeholder without prices) through the market filter and MostLikely.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use domain::gamma::decode_event;
use domain::{Action, Event};
use strategy::{
    EventFilter, MarketFilter, MostLikely, PriceHistory, Strategy, filter_events, filter_markets,
};

/// The recorded events (`None`, with a note, when the shared fixtures are
/// absent outside CI; under `CI=true` their absence fails the test).
fn load() -> Option<Vec<Event>> {
    let path = testkit::fixtures::shared()?.join("gamma/events_super_bowl_2026.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let events = json
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let decoded = decode_event(v).unwrap();
            assert!(decoded.skipped_markets.is_empty());
            decoded.event
        })
        .collect();
    Some(events)
}

#[test]
fn super_bowl_fixture_yields_one_no_signal_per_tradable_team() {
    let Some(events) = load() else { return };
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].markets.len(), 33);

    // Recorded in October 2025; the event ends 2026-02-08 12:00 UTC.
    let now: DateTime<Utc> = "2026-01-01T12:00:00Z".parse().unwrap();
    let filtered = filter_events(events.clone(), &EventFilter::default(), now);
    assert_eq!(filtered.passed.len(), 1);
    assert_eq!(filtered.passed[0].days_until_end, Some(38));

    let markets = filter_markets(filtered.passed.clone(), &MarketFilter::default());
    assert_eq!(
        (markets.input, markets.not_tradable, markets.passed.len()),
        (33, 1, 32)
    );
    assert!(
        markets
            .passed
            .iter()
            .all(|m| m.event.as_ref().unwrap().event_id.as_str() == "23656")
    );

    let signals = MostLikely::default().generate(&markets.passed, &PriceHistory::new(), now);
    assert_eq!(signals.len(), 32);
    assert!(
        signals
            .iter()
            .all(|s| s.action == Action::BuyNo && s.outcome.as_deref() == Some("No"))
    );
    assert!(
        signals
            .windows(2)
            .all(|w| w[0].confidence >= w[1].confidence)
    );
    // The favourites (0.0065 / 0.9935) come first, in market order.
    let first = &signals[0];
    assert_eq!(first.market_id.as_str(), "540206");
    assert_eq!(first.confidence.to_string(), "0.4935");
    assert_eq!(first.reason, "NO price 0.994 > 0.50, buying NO at 0.994");
    assert_eq!(
        first.event_title.as_deref(),
        Some("Super Bowl Champion 2026")
    );
    let last = signals.last().unwrap();
    assert_eq!(
        (
            last.market_id.as_str(),
            last.confidence.to_string().as_str()
        ),
        ("540221", "0.375")
    );
}

#[test]
fn super_bowl_event_without_its_end_date_is_rejected() {
    let Some(mut events) = load() else { return };
    events[0].end_date = None;
    let now: DateTime<Utc> = "2026-01-01T12:00:00Z".parse().unwrap();
    let r = filter_events(events.clone(), &EventFilter::default(), now);
    assert_eq!((r.passed.len(), r.missing_end_date), (0, 1));
    assert!(
        filter_markets(r.passed, &MarketFilter::default())
            .passed
            .is_empty()
    );
}
