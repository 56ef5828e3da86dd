//! The CLOB client against the fake CLOB on 127.0.0.1:0 (`testkit::clob`):
//! a long range is asked for in windows the server accepts, 429s are
//! retried, points that do not check are skipped and counted, and no second
//! ever holds more requests than the configured rate.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use domain::TokenId;
use polymarket_client::{ClientError, ClobClient, ClobConfig};
use serde_json::json;
use std::time::Duration;
use testkit::clob::{ClobBehaviour, FakeClob, generated, max_in_window};

const TOKEN: &str =
    "104239898038807136052399800151408521467737075933964991162589336683346093173875";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn token() -> TokenId {
    TokenId::parse(TOKEN).unwrap()
}

fn config(base_url: &str) -> ClobConfig {
    ClobConfig {
        base_url: base_url.to_owned(),
        requests_per_second: 0,
        request_timeout: Duration::from_secs(5),
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        ..ClobConfig::default()
    }
}

/// 40 days of a point every 10 minutes.
fn forty_days() -> Vec<(i64, serde_json::Value)> {
    generated(t0(), 40 * 24 * 6, Duration::from_secs(600), 3)
}

#[tokio::test]
async fn a_long_range_is_asked_for_in_windows_the_server_accepts() {
    let (clob, url) = FakeClob::new(ClobBehaviour {
        max_span_secs: Some(14 * 86_400),
        ..ClobBehaviour::default()
    })
    .with_series(TOKEN, forty_days())
    .start()
    .await;
    let client = ClobClient::new(config(&url)).unwrap();
    assert_eq!(client.describe(), format!("clob {url}/"));
    let end = t0() + Span::days(40) - Span::seconds(1);

    let got = client
        .prices_history(&token(), t0(), end, 60)
        .await
        .unwrap();
    let expected = clob.expected(TOKEN, t0().timestamp(), end.timestamp(), 60);
    assert_eq!(got.points.len(), 40 * 24, "one point an hour");
    assert_eq!(got.points.len(), expected.len());
    for (point, (t, p)) in got.points.iter().zip(&expected) {
        assert_eq!(point.t.timestamp(), *t);
        assert_eq!(point.p.value().to_string(), p.to_string());
    }
    assert_eq!(
        (got.stats.windows, got.stats.requests, got.stats.retries),
        (3, 3, 0)
    );
    assert_eq!(
        (
            got.stats.skipped,
            got.stats.duplicates,
            got.stats.out_of_range
        ),
        (0, 0, 0)
    );

    let hits = clob.hits();
    assert!(hits.iter().all(|h| h.status == 200), "{hits:?}");
    assert!(
        hits.iter()
            .all(|h| h.fidelity == Some(60) && h.token.as_deref() == Some(TOKEN))
    );
    let spans: Vec<(i64, i64)> = hits
        .iter()
        .map(|h| (h.start_ts.unwrap(), h.end_ts.unwrap()))
        .collect();
    assert_eq!(spans[0].0, t0().timestamp());
    assert_eq!(spans[2].1, end.timestamp());
    assert_eq!(spans[1].0, spans[0].1 + 1, "windows touch without overlap");

    // Asked in one piece, the server refuses: the windows are what works.
    let whole = ClobClient::new(ClobConfig {
        window: Span::days(40),
        ..config(&url)
    })
    .unwrap();
    let e = whole
        .prices_history(&token(), t0(), end, 60)
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Http { status: 400, .. }), "{e}");
}

#[tokio::test]
async fn rate_limited_answers_are_retried() {
    let (clob, url) = FakeClob::new(ClobBehaviour {
        too_many_first: 3,
        ..ClobBehaviour::default()
    })
    .with_series(TOKEN, forty_days())
    .start()
    .await;
    let client = ClobClient::new(config(&url)).unwrap();
    let got = client
        .prices_history(&token(), t0(), t0() + Span::days(2), 60)
        .await
        .unwrap();
    assert_eq!(got.points.len(), 49);
    assert_eq!(
        (got.stats.requests, got.stats.retries, got.stats.windows),
        (4, 3, 1)
    );
    let statuses: Vec<u16> = clob.hits().iter().map(|h| h.status).collect();
    assert_eq!(statuses, [429, 429, 429, 200]);

    // Past the retry budget, the status is the error.
    let (_, url) = FakeClob::new(ClobBehaviour {
        too_many_first: 10,
        ..ClobBehaviour::default()
    })
    .start()
    .await;
    let client = ClobClient::new(ClobConfig {
        max_retries: 2,
        ..config(&url)
    })
    .unwrap();
    let e = client
        .prices_history(&token(), t0(), t0() + Span::days(1), 60)
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Http { status: 429, .. }), "{e}");
}

#[tokio::test]
async fn points_that_do_not_check_are_skipped_and_counted() {
    let series = vec![
        (t0().timestamp(), json!(0.25)),
        (t0().timestamp() + 3600, json!("0.5")),
    ];
    let junk = vec![
        json!({"t": t0().timestamp() + 7200, "p": 1.5}),
        json!({"t": "later", "p": 0.5}),
        json!({"t": t0().timestamp() + 7200}),
        json!("not a point"),
        // Outside the range asked for.
        json!({"t": t0().timestamp() - 3600, "p": 0.5}),
        // An instant answered already.
        json!({"t": t0().timestamp(), "p": 0.3}),
    ];
    let (_, url) = FakeClob::new(ClobBehaviour::default())
        .with_series(TOKEN, series)
        .with_junk(TOKEN, junk)
        .start()
        .await;
    let client = ClobClient::new(config(&url)).unwrap();
    let got = client
        .prices_history(&token(), t0(), t0() + Span::days(1), 60)
        .await
        .unwrap();
    let prices: Vec<String> = got.points.iter().map(|p| p.p.to_string()).collect();
    assert_eq!(
        prices,
        ["0.25", "0.5"],
        "the first answer for an instant stays"
    );
    assert_eq!(
        (
            got.stats.skipped,
            got.stats.out_of_range,
            got.stats.duplicates
        ),
        (4, 1, 1)
    );
}

#[tokio::test]
async fn no_second_holds_more_requests_than_the_rate() {
    let (clob, url) = FakeClob::new(ClobBehaviour::default())
        .with_series(TOKEN, forty_days())
        .start()
        .await;
    let client = ClobClient::new(ClobConfig {
        requests_per_second: 4,
        window: Span::hours(6),
        ..config(&url)
    })
    .unwrap();
    // Three days in six-hour windows: 12 requests.
    let end = t0() + Span::days(3) - Span::seconds(1);
    let got = client
        .prices_history(&token(), t0(), end, 60)
        .await
        .unwrap();
    assert_eq!(got.points.len(), 72);
    let at: Vec<_> = clob.hits().iter().map(|h| h.at).collect();
    assert_eq!(at.len(), 12);
    // Counted on the server's clock: 4 grants a second at most (a little
    // under a second, for the jitter between a grant and its arrival).
    assert!(max_in_window(at.clone(), Duration::from_millis(900)) <= 4);
    // Unlimited, the same requests arrive together.
    let (fast, url) = FakeClob::new(ClobBehaviour::default())
        .with_series(TOKEN, forty_days())
        .start()
        .await;
    let unlimited = ClobClient::new(ClobConfig {
        window: Span::hours(6),
        ..config(&url)
    })
    .unwrap();
    unlimited
        .prices_history(&token(), t0(), end, 60)
        .await
        .unwrap();
    let at: Vec<_> = fast.hits().iter().map(|h| h.at).collect();
    assert!(max_in_window(at, Duration::from_millis(900)) > 4);
}

#[tokio::test]
async fn nothing_is_asked_for_an_empty_range_or_fidelity() {
    let (clob, url) = FakeClob::new(ClobBehaviour::default()).start().await;
    let client = ClobClient::new(config(&url)).unwrap();
    let got = client
        .prices_history(&token(), t0() + Span::days(1), t0(), 60)
        .await
        .unwrap();
    assert!(got.points.is_empty());
    let e = client
        .prices_history(&token(), t0(), t0() + Span::days(1), 0)
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::InvalidRequest(_)), "{e}");
    assert_eq!(clob.requests(), 0);
    // A token the CLOB does not know has an empty history.
    let got = client
        .prices_history(&token(), t0(), t0() + Span::days(1), 60)
        .await
        .unwrap();
    assert!(got.points.is_empty());
    assert_eq!(clob.requests(), 1);
}
