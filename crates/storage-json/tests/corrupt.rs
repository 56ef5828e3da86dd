//! A file that does not parse is an error naming the file and the position,
//! never replaced by an empty value; the bytes on disk stay as they were.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{copy_of, python_era};
use domain::PortfolioId;
use domain::StoreError;
use domain::ports::{PortfolioStore, TradeStore};
use std::path::Path;
use storage_json::{JsonStore, JsonStoreOptions};

fn open(dir: &Path) -> JsonStore {
    JsonStore::open(dir, JsonStoreOptions::default()).unwrap()
}

/// Replace `path` with `f(original bytes)` and return the new bytes.
fn damage(path: &Path, f: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let bytes = f(&std::fs::read(path).unwrap());
    std::fs::write(path, &bytes).unwrap();
    bytes
}

fn truncated(b: &[u8]) -> Vec<u8> {
    b[..b.len() / 2].to_vec()
}

/// The error is `Corrupt`, names the file, and its message shows line and column.
fn assert_corrupt(err: StoreError, file: &str, line: Option<usize>) {
    let text = err.to_string();
    let StoreError::Corrupt {
        path,
        line: l,
        column,
        ..
    } = err
    else {
        panic!("expected Corrupt, got {err:?}");
    };
    assert!(path.ends_with(file), "{path} should name {file}");
    // serde_json counts lines from 1; column 0 means "before the first byte".
    assert!(l >= 1, "a position: line {l}, column {column}");
    if let Some(line) = line {
        assert_eq!(l, line, "{text}");
    }
    assert!(
        text.contains(file) && text.contains(&format!("line {l}")),
        "{text}"
    );
}

#[tokio::test]
async fn a_truncated_portfolio_is_an_error_and_stays_on_disk() {
    let (_tmp, dir) = copy_of(&python_era());
    let path = dir.join("trades/portfolio.json");
    let bytes = damage(&path, truncated);
    let store = open(&dir);
    let err = store
        .load_portfolio(&PortfolioId::default())
        .await
        .unwrap_err();
    assert_corrupt(err, "portfolio.json", None);
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "never replaced");
}

#[tokio::test]
async fn a_syntax_error_in_the_portfolio_names_its_line() {
    let (_tmp, dir) = copy_of(&python_era());
    let path = dir.join("trades/portfolio.json");
    let bytes = damage(&path, |b| {
        String::from_utf8_lossy(b)
            .replacen("\"balance\": 9800.0", "\"balance\": 98OO.0", 1)
            .into_bytes()
    });
    let store = open(&dir);
    let err = store
        .load_portfolio(&PortfolioId::default())
        .await
        .unwrap_err();
    assert_corrupt(err, "portfolio.json", Some(2));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[tokio::test]
async fn an_empty_portfolio_file_is_corrupt_not_a_fresh_portfolio() {
    let (_tmp, dir) = copy_of(&python_era());
    let path = dir.join("trades/portfolio.json");
    std::fs::write(&path, b"").unwrap();
    let err = open(&dir)
        .load_portfolio(&PortfolioId::default())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("portfolio.json"));
}

#[tokio::test]
async fn a_truncated_trade_history_is_cut_back_to_its_complete_records_on_open() {
    let (_tmp, dir) = copy_of(&python_era());
    let path = dir.join("trades/paper_trades.json");
    let complete = std::fs::read(&path).unwrap();
    let torn = damage(&path, truncated);
    let store = open(&dir);
    let [recovered] = store.recovered_tails() else {
        panic!("one file recovered: {:?}", store.recovered_tails());
    };
    assert!(recovered.file.ends_with("trades/paper_trades.json"));
    let kept_path = recovered.kept.clone().expect("the cut bytes are kept");
    let kept = std::fs::read(&kept_path).unwrap();
    assert!(
        kept_path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("paper_trades.json.torn-")
    );
    // Nothing is lost: what stays plus what was cut is the torn file.
    let now = std::fs::read(&path).unwrap();
    let stays = &torn[..torn.len() - kept.len()];
    assert!(torn.ends_with(&kept));
    assert!(now.starts_with(stays) && now.len() - stays.len() <= 3);
    let trades = store.load_trades(&PortfolioId::default()).await.unwrap();
    assert_eq!(trades.len(), recovered.records);
    let all: Vec<serde_json::Value> = serde_json::from_slice(&complete).unwrap();
    assert!(trades.len() < all.len());
    for (t, v) in trades.iter().zip(&all) {
        assert_eq!(v["trade_id"], serde_json::json!(t.trade_id.as_str()));
    }
    store.append_trade(&testkit::sample_trade(1)).await.unwrap();
    assert_eq!(
        store
            .load_trades(&PortfolioId::default())
            .await
            .unwrap()
            .len(),
        trades.len() + 1
    );
}

#[tokio::test]
async fn a_tail_damaged_after_the_index_was_built_refuses_the_append() {
    let (_tmp, dir) = copy_of(&python_era());
    let path = dir.join("trades/paper_trades.json");
    let store = open(&dir);
    store.append_trade(&testkit::sample_trade(1)).await.unwrap();
    // Someone cuts the closing bracket off behind our back.
    let bytes = damage(&path, |b| {
        let s = String::from_utf8_lossy(b);
        s.trim_end().trim_end_matches(']').to_owned().into_bytes()
    });
    let err = store
        .append_trade(&testkit::sample_trade(2))
        .await
        .unwrap_err();
    assert_corrupt(err, "paper_trades.json", None);
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing written");
}

#[tokio::test]
async fn an_unknown_action_or_a_bad_price_names_file_and_record() {
    let (_tmp, dir) = copy_of(&python_era());
    let path = dir.join("trades/paper_trades.json");
    damage(&path, |b| {
        String::from_utf8_lossy(b)
            .replacen("\"action\": \"buy_yes\"", "\"action\": \"sell_yes\"", 1)
            .into_bytes()
    });
    let err = open(&dir)
        .load_trades(&PortfolioId::default())
        .await
        .unwrap_err();
    let StoreError::InvalidRecord {
        location,
        key,
        message,
    } = &err
    else {
        panic!("expected InvalidRecord, got {err:?}");
    };
    assert!(location.contains("paper_trades.json line "), "{location}");
    assert_eq!(key, "trade_20251020_170245_634159");
    assert!(message.contains("sell_yes"), "{message}");

    let (_tmp2, dir) = copy_of(&python_era());
    damage(&dir.join("trades/portfolio.json"), |b| {
        String::from_utf8_lossy(b)
            .replacen("\"entry_price\": 0.86", "\"entry_price\": 1.5", 1)
            .into_bytes()
    });
    let err = open(&dir)
        .load_portfolio(&PortfolioId::default())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::InvalidRecord { .. }), "{err:?}");
    assert!(
        text.contains("portfolio.json") && text.contains("positions[1]"),
        "{text}"
    );
    assert!(
        text.contains("trade_20251020_170245_634159") && text.contains("entry_price"),
        "{text}"
    );
}

/// A series the store recorded as checked (`checked.rs`) and then changed
/// behind its back is read and checked whole again: the bad record stops
/// the check a cycle makes before trading, and the append.
#[tokio::test]
async fn a_series_changed_after_the_store_left_it_is_checked_whole_again() {
    use domain::ports::{HistoryStore, MarketStore};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let market = domain::MarketId::new("540201");
    let archived_at = testkit::in_month(2025, 11, 10);
    let store = open(&dir);
    store
        .append_market_snapshots(&[testkit::sample_market_snapshot(&market, 1)])
        .await
        .unwrap();
    store
        .append_signal_archive(&testkit::sample_signal_archive(archived_at, 2))
        .await
        .unwrap();
    let portfolio = PortfolioId::default();
    store.check_market_snapshots().await.unwrap();
    store
        .check_signal_archives(&portfolio, "2025-11")
        .await
        .unwrap();
    drop(store);
    // Still valid JSON, same length: a price of 7 where one of 0 was.
    let bad_price = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replacen("\"no_price\": 0", "\"no_price\": 7", 1)
            .into_bytes()
    };
    let snapshots = dir.join("markets/market_snapshots.json");
    let archive = dir.join("history/signals_archive_2025-11.json");
    for path in [&snapshots, &archive] {
        let before = std::fs::read(path).unwrap();
        assert_ne!(damage(path, bad_price), before, "{}", path.display());
    }
    let store = open(&dir);
    let invalid = |e: StoreError| matches!(e, StoreError::InvalidRecord { .. });
    assert!(invalid(store.check_market_snapshots().await.unwrap_err()));
    assert!(invalid(
        store
            .check_signal_archives(&portfolio, "2025-11")
            .await
            .unwrap_err()
    ));
    let bytes = std::fs::read(&archive).unwrap();
    let later = testkit::sample_signal_archive(testkit::in_month(2025, 11, 20), 2);
    assert!(invalid(
        store.append_signal_archive(&later).await.unwrap_err()
    ));
    assert_eq!(std::fs::read(&archive).unwrap(), bytes, "nothing written");
}

/// Read a chunk at a time (as a backfill reads it), a trade file gives what
/// a load gives; a record further in that breaks a rule, or repeats an id,
/// ends the chunks with the load's error after the chunks before it; a file
/// that does not parse gives no chunk at all.
#[tokio::test]
async fn trades_in_chunks_are_the_load_and_a_bad_record_ends_them_with_its_error() {
    let (_tmp, dir) = copy_of(&python_era());
    let path = dir.join("trades/paper_trades.json");
    let store = open(&dir);
    let p = PortfolioId::default();
    let all = store.load_trades(&p).await.unwrap();
    assert_eq!(all.len(), 2, "the fixture's two trades");
    let chunks = store.trade_chunks(&p, 1).await.unwrap();
    assert_eq!(chunks.total(), 2);
    let read: Vec<Vec<domain::Trade>> = chunks.map(Result::unwrap).collect();
    assert_eq!(read.len(), 2);
    assert_eq!(read.concat(), all);

    let original = std::fs::read(&path).unwrap();
    for (from, to) in [
        ("\"action\": \"buy_yes\"", "\"action\": \"sell_yes\""),
        (
            "trade_20251020_170245_634159",
            "trade_20251020_170245_540206",
        ),
    ] {
        std::fs::write(&path, &original).unwrap();
        damage(&path, |b| {
            String::from_utf8_lossy(b)
                .replacen(from, to, 1)
                .into_bytes()
        });
        let err = store.load_trades(&p).await.unwrap_err();
        let mut chunks = store.trade_chunks(&p, 1).await.unwrap();
        assert_eq!(chunks.next().unwrap().unwrap(), all[..1]);
        let chunk_err = chunks.next().unwrap().unwrap_err();
        assert_eq!(chunk_err.to_string(), err.to_string());
        assert!(
            matches!(chunk_err, StoreError::InvalidRecord { .. }),
            "{chunk_err:?}"
        );
        assert!(chunks.next().is_none(), "nothing after the error");
    }

    std::fs::write(&path, &original).unwrap();
    damage(&path, truncated);
    let err = store.trade_chunks(&p, 1).await.unwrap_err();
    assert_corrupt(err, "paper_trades.json", None);
}
