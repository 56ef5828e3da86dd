//! The registry: what `prescient strategies --json` prints, and building a
//! strategy from configuration, refusing what does not fit with a message
//! naming it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{market, utc};
use serde_json::{Value, json};
use strategy::{Params, PriceHistory, StrategyConfigError, build, build_from_toml, registry};

fn params(v: Value) -> Params {
    serde_json::from_value(v).unwrap()
}

fn error(name: &str, v: Value) -> String {
    match build(name, &params(v)) {
        Ok(s) => panic!("{name} built as {}", s.name()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_listing_names_every_strategy_with_its_parameters() {
    let listing = serde_json::to_value(registry()).unwrap();
    let names: Vec<&str> = listing
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "most_likely",
            "favourite_band",
            "longshot_fade",
            "momentum",
            "near_resolution"
        ]
    );
    assert_eq!(
        listing[0],
        json!({
            "name": "most_likely",
            "description": "Buy the more likely side of every market whose price is above a threshold (the original strategy).",
            "parameters": [
                {"name": "amount", "kind": "usd", "default": 100, "min": 0.01, "max": 1000000,
                 "description": "USD spent on each signal"},
                {"name": "threshold", "kind": "price", "default": 0.5, "min": 0.5, "max": 0.99,
                 "description": "buy the larger side only when its price is above this"}
            ]
        })
    );
    for spec in listing.as_array().unwrap() {
        assert!(!spec["description"].as_str().unwrap().is_empty());
        for p in spec["parameters"].as_array().unwrap() {
            let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
            assert_eq!(
                keys,
                ["name", "kind", "default", "min", "max", "description"]
            );
            let (d, lo, hi) = (
                p["default"].as_f64().unwrap(),
                p["min"].as_f64().unwrap(),
                p["max"].as_f64().unwrap(),
            );
            assert!(lo <= d && d <= hi, "{}.{}", spec["name"], p["name"]);
        }
    }
}

#[test]
fn every_strategy_builds_from_its_defaults_under_its_own_name() {
    for spec in registry() {
        let s = build(spec.name, &Params::new()).unwrap();
        assert_eq!(s.name(), spec.name);
    }
}

#[test]
fn configured_values_change_what_the_strategy_does() {
    let m = [market("m", "0.8", "0.2")];
    let none = PriceHistory::new();
    let now = utc("2026-01-01T00:00:00Z");
    let default = build("most_likely", &Params::new()).unwrap();
    assert_eq!(default.generate(&m, &none, now).len(), 1);
    let strict = build(
        "most_likely",
        &params(json!({"threshold": 0.85, "amount": 25})),
    )
    .unwrap();
    assert!(strict.generate(&m, &none, now).is_empty(), "0.80 ≤ 0.85");
    let small = build("most_likely", &params(json!({"amount": 12.5}))).unwrap();
    assert_eq!(
        small.generate(&m, &none, now)[0].amount.to_string(),
        "12.50"
    );
    let band = build("favourite_band", &params(json!({"low": 0.81}))).unwrap();
    assert!(band.generate(&m, &none, now).is_empty(), "0.80 < 0.81");
}

#[test]
fn what_does_not_fit_is_refused_naming_it() {
    assert_eq!(
        error("most_likley", json!({})),
        "unknown strategy \"most_likley\" (known: most_likely, favourite_band, longshot_fade, momentum, near_resolution)"
    );
    assert_eq!(
        error("favourite_band", json!({"lo": 0.7})),
        "strategy favourite_band has no parameter \"lo\" (its parameters: amount, low, high)"
    );
    assert_eq!(
        error("most_likely", json!({"threshold": "0.6"})),
        "most_likely.threshold must be a price (a number in [0, 1]), not a string"
    );
    assert_eq!(
        error("momentum", json!({"min_points": 2.5})),
        "momentum.min_points must be a whole number, not 2.5"
    );
    assert_eq!(
        error("momentum", json!({"lookback_hours": true})),
        "momentum.lookback_hours must be a whole number, not a boolean"
    );
    assert_eq!(
        error("most_likely", json!({"threshold": 1.2})),
        "most_likely.threshold = 1.2 is outside [0.5, 0.99]"
    );
    assert_eq!(
        error("most_likely", json!({"amount": 0})),
        "most_likely.amount = 0 is outside [0.01, 1000000]"
    );
    assert_eq!(
        error("near_resolution", json!({"max_days": -3})),
        "near_resolution.max_days = -3 is outside [1, 365]"
    );
    assert_eq!(
        error("favourite_band", json!({"low": 0.9, "high": 0.7})),
        "favourite_band: low 0.9 is above high 0.7"
    );
    assert!(matches!(
        build("longshot_fade", &params(json!({"cap": null}))),
        Err(StrategyConfigError::WrongType { .. })
    ));
}

#[test]
fn toml_tables_build_the_same_strategies() {
    let table: toml::Table = toml::from_str("low = 0.75\nhigh = 0.85\namount = 50").unwrap();
    let s = build_from_toml("favourite_band", &table).unwrap();
    let signals = s.generate(
        &[market("a", "0.8", "0.2"), market("b", "0.88", "0.12")],
        &PriceHistory::new(),
        utc("2026-01-01T00:00:00Z"),
    );
    assert_eq!(signals.len(), 1);
    assert_eq!(signals[0].market_id.as_str(), "a");
    assert_eq!(signals[0].amount.to_string(), "50.00");
    let dated: toml::Table = toml::from_str("low = 1979-05-27T07:32:00Z").unwrap();
    assert!(matches!(
        build_from_toml("favourite_band", &dated),
        Err(StrategyConfigError::WrongType { .. })
    ));
}
