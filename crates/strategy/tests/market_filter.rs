//! SPEC §2 step 3: the market filter and the event context it attaches.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{dec, event, filtered, market, price, utc};
use domain::gamma::raw_with_context;
use domain::{EventContext, EventId, Market};
use serde_json::json;
use strategy::{Carried, MarketFilter, carry_event_context, filter_markets};

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Passed,
    NotTradable,
    Liquidity,
    Volume,
    Volume24hr,
    Conviction,
}

fn verdict(market: Market, filter: &MarketFilter) -> Verdict {
    let mut e = event("ev", "100000", None);
    e.markets = vec![market];
    let r = filter_markets(vec![filtered(e)], filter);
    assert_eq!(r.input, 1);
    let counts = [
        r.not_tradable,
        r.rejected_liquidity,
        r.rejected_volume,
        r.rejected_volume_24hr,
        r.rejected_conviction,
    ];
    match (r.passed.len(), counts) {
        (1, [0, 0, 0, 0, 0]) => Verdict::Passed,
        (0, [1, 0, 0, 0, 0]) => Verdict::NotTradable,
        (0, [0, 1, 0, 0, 0]) => Verdict::Liquidity,
        (0, [0, 0, 1, 0, 0]) => Verdict::Volume,
        (0, [0, 0, 0, 1, 0]) => Verdict::Volume24hr,
        (0, [0, 0, 0, 0, 1]) => Verdict::Conviction,
        other => panic!("unexpected report {other:?}"),
    }
}

fn with(f: impl FnOnce(&mut Market)) -> Market {
    let mut m = market("m", "0.7", "0.3");
    f(&mut m);
    m
}

#[test]
fn market_filter_table() {
    let std = MarketFilter::default();
    let bounded = MarketFilter {
        min_volume_24hr: Some(dec("5000")),
        min_conviction: Some(dec("0.2")),
        max_conviction: Some(dec("0.9")),
        ..MarketFilter::default()
    };
    let cases: Vec<(&str, Market, &MarketFilter, Verdict)> = vec![
        ("typical", with(|_| {}), &std, Verdict::Passed),
        (
            "closed",
            with(|m| m.closed = true),
            &std,
            Verdict::NotTradable,
        ),
        (
            "inactive",
            with(|m| m.active = false),
            &std,
            Verdict::NotTradable,
        ),
        (
            "not accepting orders",
            with(|m| m.accepting_orders = false),
            &std,
            Verdict::NotTradable,
        ),
        (
            "three outcomes",
            with(|m| {
                m.outcomes.push("Maybe".into());
                m.outcome_prices = Some(vec![price("0.5"), price("0.3"), price("0.2")]);
            }),
            &std,
            Verdict::NotTradable,
        ),
        (
            "no prices (placeholder)",
            with(|m| m.outcome_prices = None),
            &std,
            Verdict::NotTradable,
        ),
        (
            "not tradable counts before illiquid",
            with(|m| {
                m.closed = true;
                m.liquidity = None
            }),
            &std,
            Verdict::NotTradable,
        ),
        (
            "liquidity exactly 10000",
            with(|m| m.liquidity = Some(dec("10000"))),
            &std,
            Verdict::Passed,
        ),
        (
            "liquidity 9999",
            with(|m| m.liquidity = Some(dec("9999"))),
            &std,
            Verdict::Liquidity,
        ),
        (
            "liquidity missing = 0",
            with(|m| m.liquidity = None),
            &std,
            Verdict::Liquidity,
        ),
        (
            "volume exactly 50000",
            with(|m| m.volume = Some(dec("50000"))),
            &std,
            Verdict::Passed,
        ),
        (
            "volume 49999",
            with(|m| m.volume = Some(dec("49999"))),
            &std,
            Verdict::Volume,
        ),
        (
            "24h volume ignored by default",
            with(|m| m.volume_24hr = None),
            &std,
            Verdict::Passed,
        ),
        (
            "24h volume at the bound",
            with(|_| {}),
            &bounded,
            Verdict::Passed,
        ),
        (
            "24h volume below the bound",
            with(|m| m.volume_24hr = Some(dec("4999"))),
            &bounded,
            Verdict::Volume24hr,
        ),
        (
            "conviction 0.4 within [0.2, 0.9]",
            with(|_| {}),
            &bounded,
            Verdict::Passed,
        ),
        (
            "conviction exactly 0.2",
            with(|m| m.outcome_prices = Some(vec![price("0.6"), price("0.4")])),
            &bounded,
            Verdict::Passed,
        ),
        (
            "conviction exactly 0.9",
            with(|m| m.outcome_prices = Some(vec![price("0.05"), price("0.95")])),
            &bounded,
            Verdict::Passed,
        ),
        (
            "conviction 0.1 below min",
            with(|m| m.outcome_prices = Some(vec![price("0.55"), price("0.45")])),
            &bounded,
            Verdict::Conviction,
        ),
        (
            "conviction 0.98 above max",
            with(|m| m.outcome_prices = Some(vec![price("0.99"), price("0.01")])),
            &bounded,
            Verdict::Conviction,
        ),
        (
            "conviction unbounded by default",
            with(|m| m.outcome_prices = Some(vec![price("0.5"), price("0.5")])),
            &std,
            Verdict::Passed,
        ),
    ];
    for (name, market, filter, expected) in cases {
        assert_eq!(verdict(market, filter), expected, "{name}");
    }
}

#[test]
fn every_market_of_every_event_is_seen_and_passed_ones_carry_their_event() {
    let end = utc("2026-02-08T12:00:00Z");
    let mut first = event("e1", "100000", Some(end));
    first.markets = vec![market("a", "0.7", "0.3"), with(|m| m.closed = true)];
    let mut second = event("e2", "100000", None);
    second.markets = vec![market("b", "0.2", "0.8")];
    let r = filter_markets(
        vec![filtered(first), filtered(second)],
        &MarketFilter::default(),
    );
    assert_eq!((r.input, r.not_tradable), (3, 1));
    let got: Vec<(&str, Option<&EventContext>)> = r
        .passed
        .iter()
        .map(|m| (m.id.as_str(), m.event.as_ref()))
        .collect();
    let ctx = |id: &str, end| EventContext {
        event_id: EventId::new(id),
        event_title: format!("Event {id}"),
        event_end_date: end,
    };
    assert_eq!(
        got,
        [
            ("a", Some(&ctx("e1", Some(end)))),
            ("b", Some(&ctx("e2", None)))
        ]
    );
    // Carried onto the records persisted (a candidate whose details could
    // not be fetched is persisted itself), it is in the record a store writes.
    let mut persisted = r.passed.clone();
    let carried = carry_event_context(&mut persisted, r.passed.clone());
    assert_eq!(carried, [Carried::Detailed, Carried::Detailed]);
    assert_eq!(
        raw_with_context(&persisted[0])
            .to_object()
            .unwrap()
            .get("event_id"),
        Some(&json!("e1"))
    );
    assert_eq!(
        raw_with_context(&persisted[0])
            .to_object()
            .unwrap()
            .get("event_title"),
        Some(&json!("Event e1"))
    );
    assert_eq!(
        raw_with_context(&persisted[0])
            .to_object()
            .unwrap()
            .get("event_end_date"),
        Some(&json!("2026-02-08T12:00:00.000000+00:00"))
    );
    assert_eq!(
        raw_with_context(&persisted[1])
            .to_object()
            .unwrap()
            .get("event_end_date"),
        Some(&json!(null))
    );
}

#[test]
fn detailed_records_take_their_candidates_places_with_their_context() {
    let ctx = |id: &str| EventContext {
        event_id: EventId::new(id),
        event_title: format!("Event {id}"),
        event_end_date: None,
    };
    let candidate = |id: &str, event: &str| {
        let mut m = market(id, "0.7", "0.3");
        domain::gamma::attach_event_context(&mut m, ctx(event));
        m
    };
    let mut out = vec![
        candidate("a", "e1"),
        candidate("b", "e2"),
        candidate("c", "e3"),
        candidate("a", "e4"),
    ];
    // Re-fetched from /markets: fresh prices, no context; one id not asked
    // for, one candidate without a record.
    let detailed = vec![
        market("b", "0.1", "0.9"),
        market("x", "0.6", "0.4"),
        market("a", "0.8", "0.2"),
    ];
    let carried = carry_event_context(&mut out, detailed);
    assert_eq!(
        carried,
        [
            Carried::Detailed,
            Carried::Detailed,
            Carried::Undetailed,
            Carried::Repeated
        ]
    );
    let got: Vec<(&str, Option<&str>, Option<String>)> = out
        .iter()
        .map(|m| {
            (
                m.id.as_str(),
                m.event.as_ref().map(|c| c.event_id.as_str()),
                raw_with_context(m)
                    .to_object()
                    .unwrap()
                    .get("event_id")
                    .and_then(|v| v.as_str().map(str::to_owned)),
            )
        })
        .collect();
    // In the candidates' places; the first candidate of an id gives its
    // context, the others are left as they were.
    assert_eq!(
        got,
        [
            ("a", Some("e1"), Some("e1".to_owned())),
            ("b", Some("e2"), Some("e2".to_owned())),
            ("c", Some("e3"), Some("e3".to_owned())),
            ("a", Some("e4"), Some("e4".to_owned()))
        ]
    );
    // The detailed prices are kept, not the candidate's.
    assert_eq!(out[1].yes_price(), Some(price("0.1")));
    assert_eq!(out[0].yes_price(), Some(price("0.8")));
    assert_eq!(out[3].yes_price(), Some(price("0.7")));
}
