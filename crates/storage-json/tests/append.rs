//! Appends keep a valid, Python-readable JSON array at any size, are
//! idempotent on the natural key, and overwrites leave no temp files behind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{empty_store, read_json};
use domain::PortfolioId;
use domain::ports::{MarketStore, PortfolioStore, SignalStore, TradeStore};
use storage_json::{JsonStore, JsonStoreOptions};

#[tokio::test]
async fn appending_a_stored_trade_id_writes_nothing() {
    let (_tmp, dir, store) = empty_store();
    let path = dir.join("trades/paper_trades.json");
    store.append_trade(&testkit::sample_trade(1)).await.unwrap();
    let once = std::fs::read(&path).unwrap();
    store.append_trade(&testkit::sample_trade(1)).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), once);
    assert!(
        String::from_utf8(once)
            .unwrap()
            .starts_with("[\n  {\n    \"trade_id\": \"trade-0000001\"")
    );

    // A new process (fresh index) still knows the key from the file.
    drop(store);
    let store = JsonStore::open(&dir, JsonStoreOptions::default()).unwrap();
    store.append_trade(&testkit::sample_trade(1)).await.unwrap();
    assert_eq!(read_json(&path).as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_thousand_appends_keep_one_valid_array_in_order() {
    let (_tmp, dir, store) = empty_store();
    let trades: Vec<_> = (0..1000).map(testkit::sample_trade).collect();
    for t in &trades {
        store.append_trade(t).await.unwrap();
    }
    let file = read_json(&dir.join("trades/paper_trades.json"));
    let items = file.as_array().expect("a JSON array");
    assert_eq!(items.len(), 1000);
    assert_eq!(items[999]["trade_id"], serde_json::json!("trade-0000999"));
    assert_eq!(
        store.load_trades(&PortfolioId::default()).await.unwrap(),
        trades
    );
    // A stored id with other content is refused (the trade would be lost),
    // and nothing is written.
    let before = std::fs::read(dir.join("trades/paper_trades.json")).unwrap();
    let mut t = testkit::sample_trade(1000);
    t.trade_id = trades[500].trade_id.clone();
    let err = store.append_trade(&t).await.unwrap_err();
    assert!(
        matches!(&err, domain::StoreError::Conflict { key, .. } if key == "trade-0000500"),
        "{err:?}"
    );
    assert_eq!(
        std::fs::read(dir.join("trades/paper_trades.json")).unwrap(),
        before
    );
    // The same trade again is a replay: nothing written, no error.
    store.append_trade(&trades[500]).await.unwrap();
    assert_eq!(
        read_json(&dir.join("trades/paper_trades.json"))
            .as_array()
            .unwrap()
            .len(),
        1000
    );
}

#[tokio::test]
async fn an_empty_array_or_trailing_whitespace_is_appended_to() {
    for initial in [
        "[]",
        "[]\n",
        "[\n]\n\n  \n",
        "[\n  {\"trade_id\": \"legacy\", \"timestamp\": \"2025-10-20T17:02:45.884042\", \"market_id\": \"1\", \"action\": \"buy_yes\", \"amount\": 100, \"entry_price\": 0.86, \"status\": \"open\", \"x\": 1}\n]   \n\n",
    ] {
        let (_tmp, dir, store) = empty_store();
        let path = dir.join("trades/paper_trades.json");
        std::fs::write(&path, initial).unwrap();
        let mut t = testkit::sample_trade(1);
        t.trade_id = "fresh".into();
        store.append_trade(&t).await.unwrap();
        let file = read_json(&path);
        let ids: Vec<_> = file
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["trade_id"].as_str().unwrap().to_owned())
            .collect();
        let expected: Vec<&str> = if initial.contains("legacy") {
            vec!["legacy", "fresh"]
        } else {
            vec!["fresh"]
        };
        assert_eq!(ids, expected, "{initial:?}");
        assert!(std::fs::read_to_string(&path).unwrap().ends_with("}\n]\n"));
    }
}

#[tokio::test]
async fn a_non_array_file_is_not_appended_to() {
    let (_tmp, dir, store) = empty_store();
    let path = dir.join("history/portfolio_history.json");
    std::fs::write(&path, "{\"not\": \"an array\"}\n").unwrap();
    let err = domain::ports::HistoryStore::append_history_entry(
        &store,
        &testkit::sample_history_entry(1),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("portfolio_history.json"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"not\": \"an array\"}\n"
    );
}

#[tokio::test]
async fn overwrites_leave_no_temp_files_and_raw_events_are_one_per_line() {
    let (_tmp, dir, store) = empty_store();
    for n in 0..20 {
        store
            .save_portfolio(&testkit::sample_portfolio(n % 4, n % 2))
            .await
            .unwrap();
        store
            .replace_current_signals(
                &domain::PortfolioId::default(),
                &[testkit::sample_signal(n)],
            )
            .await
            .unwrap();
    }
    let events: Vec<_> = (0..3).map(|n| testkit::sample_event(n, 2)).collect();
    store.save_raw_events(&events).await.unwrap();

    for sub in ["", "trades", "events", "markets", "history"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(!name.ends_with(".tmp"), "temp file {name} left in {sub}");
        }
    }
    assert_eq!(
        store.load_portfolio(&PortfolioId::default()).await.unwrap(),
        Some(testkit::sample_portfolio(19 % 4, 1))
    );
    let raw = std::fs::read_to_string(dir.join("events/raw_events_backup.json")).unwrap();
    assert_eq!(
        raw.lines().count(),
        events.len() + 2,
        "one compact event per line"
    );
    assert_eq!(store.load_raw_events().await.unwrap(), events);
}

/// The series a cycle appends to are not read again by the next process
/// when it left them as they are (`checked.rs`); a key already stored is
/// still never written twice, and an older one still goes in.
#[tokio::test]
async fn a_new_process_appends_once_to_the_series_it_left_checked() {
    use domain::ports::HistoryStore;
    let (_tmp, dir, store) = empty_store();
    let market = domain::MarketId::new("540201");
    let snapshot = |n| testkit::sample_market_snapshot(&market, n);
    let archive = |minutes| testkit::sample_signal_archive(testkit::in_month(2025, 11, minutes), 2);
    store
        .append_market_snapshots(&[snapshot(10)])
        .await
        .unwrap();
    store.append_signal_archive(&archive(10)).await.unwrap();
    store
        .append_history_entry(&testkit::sample_history_entry(10))
        .await
        .unwrap();
    drop(store);
    for round in 0..2 {
        let store = JsonStore::open(&dir, JsonStoreOptions::default()).unwrap();
        // Stored keys (the second round: every one), then newer and older ones.
        store
            .append_market_snapshots(&[snapshot(10), snapshot(20), snapshot(5)])
            .await
            .unwrap();
        store.append_signal_archive(&archive(10)).await.unwrap();
        store.append_signal_archive(&archive(20)).await.unwrap();
        store
            .append_history_entry(&testkit::sample_history_entry(20))
            .await
            .unwrap();
        store
            .append_history_entry(&testkit::sample_history_entry(10))
            .await
            .unwrap();
        let stamps = |v: serde_json::Value, field: &str| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|r| r[field].as_str().unwrap().to_owned())
                .collect()
        };
        let at = |n: i64| domain::time::format_timestamp(testkit::at(n));
        assert_eq!(
            stamps(
                read_json(&dir.join("markets/market_snapshots.json")),
                "timestamp"
            ),
            [at(10), at(20), at(5)],
            "round {round}"
        );
        let month = |m| domain::time::format_timestamp(testkit::in_month(2025, 11, m));
        assert_eq!(
            stamps(
                read_json(&dir.join("history/signals_archive_2025-11.json")),
                "archived_at"
            ),
            [month(10), month(20)],
            "round {round}"
        );
        assert_eq!(
            stamps(
                read_json(&dir.join("history/portfolio_history.json")),
                "timestamp"
            ),
            [at(600), at(1200)],
            "round {round}"
        );
    }
}
