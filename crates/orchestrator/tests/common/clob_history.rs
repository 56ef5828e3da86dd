//! Markets with CLOB tokens and a client for the fake CLOB
//! (`testkit::clob`), shared by the `history fetch` and `--source pg`
//! backtest tests.

use chrono::Duration as Span;
use polymarket_client::{ClobClient, ClobConfig};
use serde_json::{Value, json};
use std::time::Duration;

/// The two tokens of market `id` (long, like Gamma's).
pub fn tokens_of(id: &str) -> [String; 2] {
    [
        format!("{id}0000000000000000000000001"),
        format!("{id}0000000000000000000000002"),
    ]
}

/// An open binary Gamma market `id` (its tokens [`tokens_of`] when
/// `with_tokens`).
pub fn market_json(id: &str, with_tokens: bool) -> Value {
    let mut m = json!({
        "id": id,
        "question": format!("Will market {id} resolve Yes?"),
        "outcomes": "[\"Yes\", \"No\"]",
        "outcomePrices": "[\"0.6\", \"0.4\"]",
        "liquidity": "1758359.76599",
        "volume": "23286094.862589",
        "active": true, "closed": false, "acceptingOrders": true,
        "endDate": "2026-02-08T12:00:00Z",
    });
    if with_tokens {
        m["clobTokenIds"] = json!(serde_json::to_string(&tokens_of(id)).unwrap());
    }
    m
}

/// A CLOB client for the fake at `url`: no rate limit, two-day windows
/// (three windows for five days), quick retries.
pub fn clob_client(url: &str) -> ClobClient {
    ClobClient::new(ClobConfig {
        base_url: url.to_owned(),
        requests_per_second: 0,
        // Three windows a token: [0, 2d), [2d, 4d), [4d, 5d].
        window: Span::days(2),
        max_retries: 1,
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(10),
        ..ClobConfig::default()
    })
    .unwrap()
}
