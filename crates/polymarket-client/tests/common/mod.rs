//! Shared helpers of the client's integration tests: Gamma-shaped records
//! written by the project, and snapshot directories built from JSON values.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod server;

use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// A detailed Gamma market shaped like the recorded ones (strings for
/// `liquidity`/`volume`, JSON inside strings for outcomes and prices).
pub fn market(id: &str, closed: bool, prices: [&str; 2]) -> Value {
    json!({
        "id": id,
        "question": format!("Will market {id} resolve Yes?"),
        "slug": format!("market-{id}"),
        "outcomes": "[\"Yes\", \"No\"]",
        "outcomePrices": format!("[\"{}\", \"{}\"]", prices[0], prices[1]),
        "clobTokenIds": "[\"42334954850219754195241248003172889699\", \"1\"]",
        "liquidity": "1758359.76599",
        "volume": "23286094.862589",
        "volume24hr": 10374216.164318996,
        "active": !closed,
        "closed": closed,
        "acceptingOrders": !closed,
        "endDate": "2026-02-08T12:00:00Z",
    })
}

/// A Gamma event with nested markets, event numbers as JSON numbers.
pub fn event(id: &str, markets: Vec<Value>) -> Value {
    json!({
        "id": id,
        "title": format!("Event {id}"),
        "slug": format!("event-{id}"),
        "liquidity": 22924218.59881,
        "volume": 311846722.482737,
        "volume24hr": 59738785.64991311,
        "endDate": "2026-02-08T12:00:00Z",
        "active": true,
        "closed": false,
        "markets": markets,
    })
}

/// A snapshot directory holding `events` (and `markets`, when given).
pub fn snapshot_dir(events: &[Value], markets: Option<&[Value]>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_json(
        &dir.path().join("events.json"),
        &Value::Array(events.to_vec()),
    );
    if let Some(markets) = markets {
        write_json(
            &dir.path().join("markets.json"),
            &Value::Array(markets.to_vec()),
        );
    }
    dir
}

pub fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{} should exist: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} should parse: {e}", path.display()))
}

/// The real recorded Gamma responses (SPEC §8), found by
/// `testkit::fixtures::shared`: `None`, with a note, when absent outside CI;
/// under `CI=true` a missing folder fails the test.
pub fn real_fixtures() -> Option<PathBuf> {
    testkit::fixtures::shared()
}

/// The `*.json` files directly inside `dir`, sorted.
pub fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// Events to serve from the fake Gamma: the real recorded ones when the
/// fixtures are present (the 2028 nominee and Super Bowl events), else
/// project-written ones of the same shape. The crawl tests and bench do not
/// need the recorded ones (only their shape), so their absence is no skip.
pub fn template_events() -> Vec<Value> {
    let Ok(fixtures) = testkit::fixtures::locate() else {
        return vec![event(
            "9000",
            vec![
                market("9100", false, ["0.6", "0.4"]),
                market("9101", false, ["0.2", "0.8"]),
                market("9102", false, ["0.5", "0.5"]),
            ],
        )];
    };
    [
        "events_democratic_nominee_2028.json",
        "events_super_bowl_2026.json",
    ]
    .iter()
    .flat_map(|f| {
        read_json(&fixtures.join("gamma").join(f))
            .as_array()
            .unwrap()
            .clone()
    })
    .collect()
}
