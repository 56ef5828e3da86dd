//! The shared storage conformance suite (testkit) against the JSON store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use storage_json::{JsonStore, JsonStoreOptions};

async fn fresh() -> (tempfile::TempDir, JsonStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = JsonStore::open(dir.path().join("data"), JsonStoreOptions::default()).unwrap();
    (dir, store)
}

testkit::storage_conformance!(fresh);

#[tokio::test]
async fn run_all_passes_on_one_factory() {
    testkit::conformance::run_all(fresh).await;
}

/// Executions step by step (trade, then portfolio), as the JSON store's
/// `Stores` records them.
#[tokio::test]
async fn execution_records_trade_and_portfolio() {
    let (_dir, store) = fresh().await;
    let ports = testkit::ports::Ports(domain::ports::Stores::single(std::sync::Arc::new(store)));
    testkit::conformance::execution_records_trade_and_portfolio(&ports).await;
}

/// A step's executions together (one append, one portfolio save), as the
/// JSON store's `Stores` records them.
#[tokio::test]
async fn executions_recorded_together() {
    let (_dir, store) = fresh().await;
    let ports = testkit::ports::Ports(domain::ports::Stores::single(std::sync::Arc::new(store)));
    testkit::conformance::executions_recorded_together(&ports).await;
}

/// Settlements step by step (trade records, then portfolio), as the JSON
/// store's `Stores` records them.
#[tokio::test]
async fn settlements_record_trades_and_portfolio() {
    let (_dir, store) = fresh().await;
    let ports = testkit::ports::Ports(domain::ports::Stores::single(std::sync::Arc::new(store)));
    testkit::conformance::settlements_record_trades_and_portfolio(&ports).await;
}
