//! A lean store keeps one record per portfolio of each series a cycle
//! appends to, and no market snapshots; a full store keeps them all.
#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use domain::ports::{HistoryStore, MarketStore};
use domain::{MarketId, MarketSnapshot, PortfolioHistoryEntry, PortfolioId, Usd};
use storage_memory::MemoryStore;

fn entry(portfolio: &str, minute: u32, value: i64) -> PortfolioHistoryEntry {
    let timestamp = Utc.with_ymd_and_hms(2026, 1, 1, 0, minute, 0).unwrap();
    PortfolioHistoryEntry {
        portfolio_id: PortfolioId::new(portfolio),
        date: timestamp.date_naive(),
        timestamp,
        balance: Usd::from_int(value),
        total_invested: Usd::ZERO,
        total_profit_loss: Usd::ZERO,
        total_value: Usd::from_int(value),
        open_positions: 0,
        trade_count: 0,
        extra: Default::default(),
    }
}

fn snapshot(minute: u32) -> MarketSnapshot {
    MarketSnapshot {
        market_id: MarketId::new("m1"),
        timestamp: Utc.with_ymd_and_hms(2026, 1, 1, 0, minute, 0).unwrap(),
        yes_price: None,
        no_price: None,
        liquidity: None,
        volume: None,
        volume_24hr: None,
        conviction: None,
    }
}

async fn fill(store: &MemoryStore) {
    for minute in 0..5 {
        for p in ["a", "b"] {
            store
                .append_history_entry(&entry(p, minute, i64::from(minute)))
                .await
                .unwrap();
        }
        store
            .append_market_snapshots(&[snapshot(minute)])
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_lean_store_keeps_each_portfolios_last_entry_and_no_market_snapshots() {
    let store = MemoryStore::lean();
    fill(&store).await;
    let a = store.load_history(&PortfolioId::new("a")).await.unwrap();
    assert_eq!(a, vec![entry("a", 4, 4)]);
    let b = store.load_history(&PortfolioId::new("b")).await.unwrap();
    assert_eq!(b, vec![entry("b", 4, 4)]);
    assert!(store.load_market_snapshots(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_full_store_keeps_everything() {
    let store = MemoryStore::new();
    fill(&store).await;
    assert_eq!(
        store
            .load_history(&PortfolioId::new("a"))
            .await
            .unwrap()
            .len(),
        5
    );
    assert_eq!(store.load_market_snapshots(None).await.unwrap().len(), 5);
}

/// Keeping the prices of a window: of minutes 0–4, a two-minute window
/// after minute 4 keeps 2, 3 and 4 (the edge, `newest − window`, is kept).
#[tokio::test]
async fn a_lean_store_keeping_prices_keeps_the_window_before_the_newest() {
    let store = MemoryStore::lean_keeping_prices(chrono::TimeDelta::minutes(2));
    fill(&store).await;
    let kept: Vec<_> = store
        .load_market_snapshots(None)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.timestamp)
        .collect();
    assert_eq!(
        kept,
        [snapshot(2), snapshot(3), snapshot(4)].map(|s| s.timestamp)
    );
    // The series a cycle appends to stay lean.
    let a = store.load_history(&PortfolioId::new("a")).await.unwrap();
    assert_eq!(a, vec![entry("a", 4, 4)]);
}
