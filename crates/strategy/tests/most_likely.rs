//! SPEC §2 step 4: the most-likely strategy, market prices in → signal out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{dec, market, price, utc};
use domain::gamma::attach_event_context;
use domain::{Action, EventContext, EventId, Market, Usd};
use rust_decimal::Decimal;
use strategy::{MostLikely, PriceHistory, Strategy};

/// What a signal says, in the terms a test cares about.
#[derive(Debug, PartialEq, Eq)]
struct Expected {
    action: Action,
    outcome: String,
    target_price: Decimal,
    confidence: Decimal,
    reason: String,
}

/// The signal MostLikely (defaults) gives for one market, if any.
fn check(market: Market) -> Option<Expected> {
    let signals = MostLikely::default().generate(
        &[market],
        &PriceHistory::new(),
        utc("2026-01-01T00:00:00Z"),
    );
    assert!(signals.len() <= 1);
    signals.into_iter().next().map(|s| Expected {
        action: s.action,
        outcome: s.outcome.unwrap(),
        target_price: s.target_price.value(),
        confidence: s.confidence,
        reason: s.reason,
    })
}

fn expected(
    action: Action,
    outcome: &'static str,
    p: &str,
    c: &str,
    reason: &'static str,
) -> Option<Expected> {
    Some(Expected {
        action,
        outcome: outcome.to_owned(),
        target_price: dec(p),
        confidence: dec(c),
        reason: reason.to_owned(),
    })
}

fn labelled(yes: &str, no: &str, labels: [&str; 2]) -> Market {
    let mut m = market("m", yes, no);
    m.outcomes = labels.iter().map(|s| s.to_string()).collect();
    m
}

#[test]
fn most_likely_table() {
    let closed = {
        let mut m = market("m", "0.9", "0.1");
        m.closed = true;
        m
    };
    let not_accepting = {
        let mut m = market("m", "0.9", "0.1");
        m.accepting_orders = false;
        m
    };
    let cases: Vec<(&str, Market, Option<Expected>)> = vec![
        (
            "yes side",
            market("m", "0.86", "0.14"),
            expected(
                Action::BuyYes,
                "Yes",
                "0.86",
                "0.36",
                "YES price 0.860 > 0.50, buying YES at 0.860",
            ),
        ),
        (
            "no side",
            market("m", "0.0065", "0.9935"),
            expected(
                Action::BuyNo,
                "No",
                "0.9935",
                "0.4935",
                "NO price 0.994 > 0.50, buying NO at 0.994",
            ),
        ),
        (
            "0.9995 prints as 1.000",
            market("m", "0.9995", "0.0005"),
            expected(
                Action::BuyYes,
                "Yes",
                "0.9995",
                "0.4995",
                "YES price 1.000 > 0.50, buying YES at 1.000",
            ),
        ),
        (
            "confidence rounded to 4 dp",
            market("m", "0.123456", "0.876544"),
            expected(
                Action::BuyNo,
                "No",
                "0.876544",
                "0.3765",
                "NO price 0.877 > 0.50, buying NO at 0.877",
            ),
        ),
        (
            "just above 0.50",
            market("m", "0.500001", "0.499999"),
            expected(
                Action::BuyYes,
                "Yes",
                "0.500001",
                "0",
                "YES price 0.500 > 0.50, buying YES at 0.500",
            ),
        ),
        (
            "team names kept",
            labelled("0.3", "0.7", ["Chiefs", "Eagles"]),
            expected(
                Action::BuyNo,
                "Eagles",
                "0.7",
                "0.2",
                "NO price 0.700 > 0.50, buying NO at 0.700",
            ),
        ),
        (
            "up/down kept",
            labelled("0.61", "0.39", ["Up", "Down"]),
            expected(
                Action::BuyYes,
                "Up",
                "0.61",
                "0.11",
                "YES price 0.610 > 0.50, buying YES at 0.610",
            ),
        ),
        ("0.5/0.5: no larger side", market("m", "0.5", "0.5"), None),
        ("neither above 0.50", market("m", "0.45", "0.45"), None),
        (
            "settled at 1.0 and closed",
            {
                let mut m = market("m", "1", "0");
                m.closed = true;
                m
            },
            None,
        ),
        ("closed", closed, None),
        ("not accepting orders", not_accepting, None),
        (
            "no prices",
            {
                let mut m = market("m", "0.9", "0.1");
                m.outcome_prices = None;
                m
            },
            None,
        ),
    ];
    for (name, market, want) in cases {
        assert_eq!(check(market), want, "{name}");
    }
}

#[test]
fn a_signal_carries_the_market_the_event_the_batch_time_and_is_not_executed() {
    let now = utc("2026-01-01T09:30:00Z");
    let end = utc("2026-02-08T12:00:00Z");
    let mut m = market("540206", "0.14", "0.86");
    attach_event_context(
        &mut m,
        EventContext {
            event_id: EventId::new("23656"),
            event_title: "Super Bowl Champion 2026".into(),
            event_end_date: Some(end),
        },
    );
    let mut bare = market("2", "0.7", "0.3");
    bare.liquidity = None;
    bare.volume = None;
    let strategy = MostLikely {
        amount: Usd::from_int(25),
        ..MostLikely::default()
    };
    let signals = strategy.generate(&[m, bare], &PriceHistory::new(), now);
    assert_eq!(signals.len(), 2);
    let s = &signals[0];
    assert_eq!(s.market_id.as_str(), "540206");
    assert_eq!(s.market_question, "Question 540206?");
    assert_eq!((s.yes_price, s.no_price), (price("0.14"), price("0.86")));
    assert_eq!(s.amount, Usd::from_int(25));
    assert_eq!(s.market_liquidity, Some(Usd::from_int(20000)));
    assert_eq!(s.market_volume, Some(Usd::from_int(100000)));
    assert_eq!(s.event_id, Some(EventId::new("23656")));
    assert_eq!(s.event_title.as_deref(), Some("Super Bowl Champion 2026"));
    assert_eq!(s.event_end_date, Some(end));
    assert!(signals.iter().all(|s| s.timestamp == now));
    assert!(
        signals
            .iter()
            .all(|s| !s.executed && s.executed_at.is_none() && s.trade_id.is_none())
    );
    let b = &signals[1];
    assert_eq!(
        (b.market_liquidity, b.market_volume, b.event_id.clone()),
        (None, None, None)
    );
}

#[test]
fn signals_are_sorted_by_confidence_descending_and_stable() {
    let markets = [
        market("a", "0.6", "0.4"),
        market("b", "0.1", "0.9"),
        market("c", "0.5", "0.5"),
        market("d", "0.4", "0.6"),
        market("e", "0.95", "0.05"),
    ];
    let signals =
        MostLikely::default().generate(&markets, &PriceHistory::new(), utc("2026-01-01T00:00:00Z"));
    let got: Vec<(&str, Decimal)> = signals
        .iter()
        .map(|s| (s.market_id.as_str(), s.confidence))
        .collect();
    assert_eq!(
        got,
        [
            ("e", dec("0.45")),
            ("b", dec("0.4")),
            ("a", dec("0.1")),
            ("d", dec("0.1"))
        ]
    );
}

#[test]
fn zero_markets_zero_signals_and_a_stable_name() {
    let s = MostLikely::default();
    assert!(
        s.generate(&[], &PriceHistory::new(), utc("2026-01-01T00:00:00Z"))
            .is_empty()
    );
    assert_eq!(s.name(), "most_likely");
    assert_eq!((s.amount, s.threshold), (Usd::from_int(100), price("0.5")));
}
