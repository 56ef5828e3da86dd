//! Property tests over every registered strategy: whatever the markets and
//! the recorded history, signals are valid records that buy the side they
//! name at its current price, best first, one per market, and nothing
//! recorded at or after `now` changes them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::{market, utc};
use domain::{Action, Market, MarketId, Price, Validate};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::HashSet;
use strategy::{Params, PriceHistory, PricePoint, build, registry};

fn now() -> DateTime<Utc> {
    utc("2026-01-10T12:00:00Z")
}

fn micro(n: u32) -> String {
    Decimal::new(i64::from(n), 6).to_string()
}

#[derive(Clone, Debug)]
struct Case {
    /// yes, no (millionths), closed, ends in hours.
    markets: Vec<(u32, u32, bool, Option<i64>)>,
    /// market index, hours before (negative: after) now, yes (millionths).
    points: Vec<(usize, i64, u32)>,
}

fn case() -> impl proptest::strategy::Strategy<Value = Case> {
    let m = (
        0u32..=1_000_000,
        0u32..=1_000_000,
        proptest::bool::weighted(0.1),
        proptest::option::of(-48i64..=24 * 30),
    );
    (
        proptest::collection::vec(m, 0..8),
        proptest::collection::vec((0usize..8, -48i64..=72, 0u32..=1_000_000), 0..40),
    )
        .prop_map(|(markets, points)| Case { markets, points })
}

fn markets(case: &Case) -> Vec<Market> {
    case.markets
        .iter()
        .enumerate()
        .map(|(i, (yes, no, closed, ends))| {
            let mut m = market(&i.to_string(), &micro(*yes), &micro(*no));
            m.closed = *closed;
            m.end_date = ends.map(|h| now() + TimeDelta::hours(h));
            m
        })
        .collect()
}

/// The history of `case`; with `future`, the points at or after now too.
fn history(case: &Case, future: bool) -> PriceHistory {
    let mut h = PriceHistory::new();
    for (i, hours_before, yes) in &case.points {
        if *hours_before <= 0 && !future {
            continue;
        }
        h.insert(
            MarketId::new(i.to_string()),
            [PricePoint {
                time: now() - TimeDelta::hours(*hours_before),
                yes: Price::new(Decimal::new(i64::from(*yes), 6)).unwrap(),
                no: None,
            }],
        );
    }
    h
}

fn low_thresholds(name: &str) -> Params {
    // Loose settings, so that the properties meet many signals.
    let v = match name {
        "momentum" => serde_json::json!({"min_points": 1, "min_move": 0.001, "lookback_hours": 72}),
        "near_resolution" => serde_json::json!({"min_price": 0.5, "max_days": 30}),
        "favourite_band" => serde_json::json!({"low": 0.5, "high": 1}),
        "longshot_fade" => serde_json::json!({"cap": 0.5}),
        _ => serde_json::json!({}),
    };
    serde_json::from_value(v).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn signals_are_valid_priced_sorted_and_blind_to_the_future(case in case()) {
        let markets = markets(&case);
        let past = history(&case, false);
        let all = history(&case, true);
        for spec in registry() {
            for params in [Params::new(), low_thresholds(spec.name)] {
                let s = build(spec.name, &params).unwrap();
                let signals = s.generate(&markets, &past, now());
                prop_assert_eq!(&s.generate(&markets, &all, now()), &signals, "{} saw the future", spec.name);
                let mut seen = HashSet::new();
                for w in signals.windows(2) {
                    prop_assert!(w[0].confidence >= w[1].confidence, "{} not best first", spec.name);
                }
                for sig in &signals {
                    prop_assert!(sig.validate().is_ok(), "{}: {:?}", spec.name, sig.validate());
                    prop_assert!(seen.insert(sig.market_id.clone()), "one signal per market");
                    let m = markets.iter().find(|m| m.id == sig.market_id).unwrap();
                    prop_assert!(m.is_tradable_binary());
                    prop_assert_eq!(Some(sig.yes_price), m.yes_price());
                    prop_assert_eq!(Some(sig.no_price), m.no_price());
                    let side = match sig.action { Action::BuyYes => sig.yes_price, Action::BuyNo => sig.no_price };
                    prop_assert_eq!(sig.target_price, side, "buys at the side's price");
                    prop_assert!(sig.target_price > Price::ZERO);
                    prop_assert!(sig.confidence >= Decimal::ZERO && sig.confidence <= Decimal::ONE);
                    prop_assert_eq!(sig.timestamp, now());
                    prop_assert!(!sig.executed && sig.trade_id.is_none());
                    if spec.name != "most_likely" {
                        prop_assert!(sig.reason.starts_with(&format!("{}: ", spec.name)), "{}", sig.reason);
                    }
                }
            }
        }
    }
}
