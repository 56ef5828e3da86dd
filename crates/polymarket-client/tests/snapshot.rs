//! A snapshot directory in, events and market details out: what replaying a
//! recorded run gives the trading cycle.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use domain::MarketId;
use polymarket_client::snapshot::write_snapshot;
use polymarket_client::{ClientError, MarketSource, SnapshotSource};
use serde_json::json;

fn ids(list: &[&str]) -> Vec<MarketId> {
    list.iter().map(|s| MarketId::from(*s)).collect()
}

fn market_ids(fetch: &polymarket_client::MarketsFetch) -> Vec<&str> {
    fetch.markets.iter().map(|m| m.id.as_str()).collect()
}

#[tokio::test]
async fn events_are_decoded_deduplicated_and_bad_records_counted() {
    let bad_market = json!({"id": "13", "liquidity": "<string>"});
    let dir = snapshot_dir(
        &[
            event("1", vec![market("11", false, ["0.6", "0.4"]), bad_market]),
            event("2", vec![market("21", false, ["0.1", "0.9"])]),
            event("1", vec![]),
            json!({"id": "3", "volume": "lots"}),
            json!({"title": "no id"}),
        ],
        None,
    );
    let source = SnapshotSource::open(dir.path()).unwrap();
    let fetched = source.fetch_active_events().await.unwrap();
    let got: Vec<&str> = fetched.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(got, ["1", "2"]);
    assert_eq!(fetched.events[0].markets.len(), 1);
    assert_eq!(fetched.stats.duplicates, 1);
    let skipped: Vec<Option<&str>> = fetched
        .stats
        .skipped
        .iter()
        .map(|e| e.id.as_deref())
        .collect();
    assert_eq!(skipped, [Some("13"), Some("3"), None]);
    assert_eq!(fetched.stats.requests, 0);
    assert!(source.describe().starts_with("snapshot "));
}

#[tokio::test]
async fn nested_markets_serve_as_details_without_markets_json() {
    let dir = snapshot_dir(
        &[event(
            "1",
            vec![
                market("11", false, ["0.6", "0.4"]),
                market("12", true, ["0", "1"]),
            ],
        )],
        None,
    );
    let source = SnapshotSource::open(dir.path()).unwrap();
    let open_only = source
        .fetch_markets(&ids(&["12", "11", "99", "11"]), false)
        .await
        .unwrap();
    assert_eq!(market_ids(&open_only), ["11"]);
    assert_eq!(
        open_only.missing,
        ids(&["12", "99"]),
        "closed left out, as live"
    );

    let with_closed = source
        .fetch_markets(&ids(&["12", "11"]), true)
        .await
        .unwrap();
    assert_eq!(market_ids(&with_closed), ["12", "11"], "in the order asked");
    assert!(with_closed.missing.is_empty());
}

/// A crawl leaves the details as they were (the nested markets, first seen
/// wins), and a second crawl gives the same events.
#[tokio::test]
async fn a_crawl_leaves_the_same_details_and_crawls_again_the_same() {
    let dir = snapshot_dir(
        &[
            event(
                "1",
                vec![
                    market("11", false, ["0.6", "0.4"]),
                    market("12", true, ["0", "1"]),
                ],
            ),
            event("2", vec![market("11", false, ["0.1", "0.9"])]),
        ],
        None,
    );
    let asked = ids(&["12", "11", "99"]);
    let before = SnapshotSource::open(dir.path())
        .unwrap()
        .fetch_markets(&asked, true)
        .await
        .unwrap();
    let source = SnapshotSource::open(dir.path()).unwrap();
    let first = source.fetch_active_events().await.unwrap();
    assert_eq!(first.events.len(), 2);
    let after = source.fetch_markets(&asked, true).await.unwrap();
    assert_eq!(after.markets, before.markets);
    assert_eq!(market_ids(&after), ["12", "11"]);
    // The first event's market 11 is the detail (first seen wins).
    assert_eq!(
        after.markets[1].yes_price(),
        first.events[0].markets[0].yes_price()
    );
    assert_eq!(after.missing, ids(&["99"]));
    assert_eq!(
        source.fetch_active_events().await.unwrap().events,
        first.events
    );
}

#[tokio::test]
async fn markets_json_takes_over_the_details() {
    let dir = snapshot_dir(
        &[event(
            "1",
            vec![
                market("11", false, ["0.6", "0.4"]),
                market("12", false, ["0.5", "0.5"]),
            ],
        )],
        Some(&[
            market("11", false, ["0.7", "0.3"]),
            json!({"id": "14", "outcomePrices": "[\"2\", \"0\"]"}),
            market("11", false, ["0.1", "0.9"]),
        ]),
    );
    let source = SnapshotSource::open(dir.path()).unwrap();
    assert_eq!(source.details_len(), 1);
    assert_eq!(source.details_stats().duplicates, 1);
    assert_eq!(source.details_stats().skipped.len(), 1);
    let fetched = source
        .fetch_markets(&ids(&["11", "12", "14"]), false)
        .await
        .unwrap();
    assert_eq!(market_ids(&fetched), ["11"]);
    assert_eq!(
        fetched.markets[0].yes_price().unwrap().value().to_string(),
        "0.7",
        "the detailed record, not the nested one"
    );
    assert_eq!(fetched.missing, ids(&["12", "14"]));
    assert_eq!(fetched.stats.skipped[0].id.as_deref(), Some("14"));
}

#[test]
fn a_missing_or_malformed_file_is_an_error_naming_it() {
    let empty = tempfile::tempdir().unwrap();
    let err = SnapshotSource::open(empty.path()).unwrap_err();
    assert!(matches!(err, ClientError::Io { .. }), "{err}");
    assert!(err.to_string().contains("events.json"), "{err}");

    let object = tempfile::tempdir().unwrap();
    write_json(&object.path().join("events.json"), &json!({"events": []}));
    let err = SnapshotSource::open(object.path()).unwrap_err();
    assert!(matches!(err, ClientError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("events.json"), "{err}");

    let bad_markets = snapshot_dir(&[event("1", vec![])], None);
    std::fs::write(bad_markets.path().join("markets.json"), "[{\"id\": ").unwrap();
    let err = SnapshotSource::open(bad_markets.path()).unwrap_err();
    assert!(matches!(err, ClientError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("markets.json"), "{err}");
}

/// A deferred snapshot checks only that its events file opens; it reads
/// the records when first asked, and answers as one opened at once.
#[tokio::test]
async fn a_deferred_snapshot_reads_when_first_asked_and_answers_the_same() {
    let empty = tempfile::tempdir().unwrap();
    let err = SnapshotSource::open_deferred(empty.path()).unwrap_err();
    assert!(matches!(err, ClientError::Io { .. }), "{err}");
    assert!(err.to_string().contains("events.json"), "{err}");

    let object = tempfile::tempdir().unwrap();
    write_json(&object.path().join("events.json"), &json!({"events": []}));
    let deferred = SnapshotSource::open_deferred(object.path()).unwrap();
    let err = deferred.fetch_active_events().await.unwrap_err();
    assert!(matches!(err, ClientError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("events.json"), "{err}");

    let dir = snapshot_dir(
        &[event(
            "1",
            vec![
                market("11", false, ["0.6", "0.4"]),
                market("12", true, ["0", "1"]),
            ],
        )],
        None,
    );
    let now = SnapshotSource::open(dir.path()).unwrap();
    let deferred = SnapshotSource::open_deferred(dir.path()).unwrap();
    assert_eq!(deferred.details_len(), 0, "nothing read yet");
    let asked = ids(&["12", "11"]);
    assert_eq!(
        deferred.fetch_markets(&asked, true).await.unwrap().markets,
        now.fetch_markets(&asked, true).await.unwrap().markets
    );
    assert_eq!(deferred.details_len(), now.details_len());
    assert_eq!(
        deferred.fetch_active_events().await.unwrap().events,
        now.fetch_active_events().await.unwrap().events
    );
}

#[tokio::test]
async fn a_written_snapshot_replays_the_same_records() {
    let original = snapshot_dir(
        &[
            event("1", vec![market("11", false, ["0.6", "0.4"])]),
            event("2", vec![market("21", true, ["1", "0"])]),
        ],
        None,
    );
    let source = SnapshotSource::open(original.path()).unwrap();
    let events = source.fetch_active_events().await.unwrap().events;
    let details = source
        .fetch_markets(&ids(&["11", "21"]), true)
        .await
        .unwrap()
        .markets;

    let copy = tempfile::tempdir().unwrap();
    let target = copy.path().join("nested/dir");
    write_snapshot(&target, &events, &details).unwrap();
    assert_eq!(
        read_json(&target.join("events.json")),
        read_json(&original.path().join("events.json")),
        "every field as received"
    );
    let replay = SnapshotSource::open(&target).unwrap();
    assert_eq!(replay.fetch_active_events().await.unwrap().events, events);
    let again = replay
        .fetch_markets(&ids(&["11", "21"]), true)
        .await
        .unwrap();
    assert_eq!(again.markets, details);
}

/// After the cycle releases the crawl, the markets it keeps are served as
/// before, an unknown kept id is missing, and anything else is read from the
/// directory again: the answers never change.
#[tokio::test]
async fn a_released_snapshot_answers_as_before() {
    let dir = snapshot_dir(
        &[event(
            "1",
            vec![
                market("11", false, ["0.6", "0.4"]),
                market("12", true, ["0", "1"]),
                json!({"id": "13", "liquidity": "<string>"}),
            ],
        )],
        None,
    );
    let source = SnapshotSource::open(dir.path()).unwrap();
    let before = source.fetch_active_events().await.unwrap();
    let asked = ids(&["11", "12", "13", "99"]);
    let details = source.fetch_markets(&asked, true).await.unwrap();

    source.release_crawl(&ids(&["11", "12", "13", "99"]));
    let kept = source.fetch_markets(&asked, true).await.unwrap();
    assert_eq!(market_ids(&kept), ["11", "12"]);
    assert_eq!(kept.markets, details.markets);
    assert_eq!(kept.missing, details.missing);
    assert_eq!(kept.stats.skipped, details.stats.skipped);
    let open_only = source
        .fetch_markets(&ids(&["11", "12"]), false)
        .await
        .unwrap();
    assert_eq!(market_ids(&open_only), ["11"]);
    assert_eq!(open_only.missing, ids(&["12"]));

    // A second release narrows the first: what it keeps answers as before
    // (copied out of the snapshot's text), the rest is read again.
    source.release_crawl(&ids(&["11"]));
    let narrowed = source.fetch_markets(&ids(&["11"]), true).await.unwrap();
    assert_eq!(narrowed.markets[..], details.markets[..1]);
    assert_eq!(narrowed.markets[0].raw.get(), details.markets[0].raw.get());
    let other = source.fetch_markets(&ids(&["12"]), true).await.unwrap();
    assert_eq!(market_ids(&other), ["12"]);
    source.release_crawl(&[]);
    let again = source.fetch_active_events().await.unwrap();
    assert_eq!(again.events, before.events);
    assert_eq!(again.stats, before.stats);
}
