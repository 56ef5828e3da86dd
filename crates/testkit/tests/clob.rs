//! The fake CLOB answers as the real one does: the points of the range asked
//! for at the fidelity asked for, 429s and refusals when told to, and a log
//! of every request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use std::time::Duration;
use testkit::clob::{ClobBehaviour, FakeClob, generated};

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

async fn get(base: &str, query: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{base}/prices-history?{query}"))
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn ts(body: &Value) -> Vec<i64> {
    body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["t"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn it_serves_the_range_at_the_fidelity_asked_for() {
    // A point a minute for three hours.
    let start = Utc.timestamp_opt(T0, 0).unwrap();
    let series = generated(start, 180, Duration::from_secs(60), 1);
    let (clob, base) = FakeClob::new(ClobBehaviour::default())
        .with_series("11", series.clone())
        .start()
        .await;

    let (status, body) = get(
        &base,
        &format!("market=11&startTs={T0}&endTs={}&fidelity=60", T0 + 3 * 3600),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(ts(&body), [T0, T0 + 3600, T0 + 7200]);
    assert_eq!(body["history"][0]["p"], series[0].1);

    // Both ends inclusive, one point a minute at fidelity 1.
    let (_, body) = get(
        &base,
        &format!(
            "market=11&startTs={}&endTs={}&fidelity=1",
            T0 + 60,
            T0 + 180
        ),
    )
    .await;
    assert_eq!(ts(&body), [T0 + 60, T0 + 120, T0 + 180]);

    // A token it does not know has no history (not an error).
    let (status, body) = get(&base, &format!("market=99&startTs={T0}&endTs={}", T0 + 60)).await;
    assert_eq!((status, body), (200, json!({"history": []})));

    let hits = clob.hits();
    assert_eq!(clob.requests(), 3);
    assert_eq!(hits[0].token.as_deref(), Some("11"));
    assert_eq!(
        (hits[1].start_ts, hits[1].fidelity),
        (Some(T0 + 60), Some(1))
    );
}

#[tokio::test]
async fn it_refuses_long_spans_rate_limits_and_goes_down_when_told() {
    let (clob, base) = FakeClob::new(ClobBehaviour {
        max_span_secs: Some(3600),
        too_many_first: 2,
        down_from: Some(5),
        refused: ["8".to_owned()].into(),
    })
    .with_series("7", vec![(T0, json!(0.5))])
    .with_junk("7", vec![json!({"t": "x", "p": 2})])
    .start()
    .await;
    let ok = format!("market=7&startTs={T0}&endTs={}", T0 + 3600);
    assert_eq!(get(&base, &ok).await.0, 429);
    assert_eq!(get(&base, &ok).await.0, 429);
    let (status, body) = get(&base, &ok).await;
    assert_eq!(status, 200);
    // The junk comes once, after the real points.
    assert_eq!(body["history"].as_array().unwrap().len(), 2);
    let (status, body) = get(&base, &format!("market=7&startTs={T0}&endTs={}", T0 + 3601)).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("too long"));
    assert_eq!(
        get(&base, &format!("market=8&startTs={T0}&endTs={T0}"))
            .await
            .0,
        400
    );
    assert_eq!(get(&base, &ok).await.0, 503);
    let statuses: Vec<u16> = clob.hits().iter().map(|h| h.status).collect();
    assert_eq!(statuses, [429, 429, 200, 400, 400, 503]);
}
