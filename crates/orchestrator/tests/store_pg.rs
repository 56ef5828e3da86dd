//! `prescient cycle --store pg`: a cycle on PostgreSQL alone leaves the rows
//! a user would expect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use domain::PortfolioId;
use domain::ports::Stores;
use sea_orm::{ConnectionTrait, Statement};
use std::sync::Arc;
use storage_pg::testing::TestDb;

async fn count(db: &TestDb, sql: &str) -> i64 {
    let row = db
        .connection()
        .query_one_raw(Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test]
async fn a_cycle_on_postgres_alone_leaves_the_expected_rows() {
    let Some(fixtures) = real_fixtures() else {
        return;
    };
    let db = TestDb::create().await.unwrap();
    let stores = Stores::transactional(Arc::new(db.store()));
    let snapshot = snapshot_from(&[
        fixtures.join("gamma/events_super_bowl_2026.json"),
        fixtures.join("gamma/events_democratic_nominee_2028.json"),
    ]);
    let source = polymarket_client::SnapshotSource::open(snapshot.path()).unwrap();
    let now = at("2025-12-01T00:00:00Z");
    orchestrator::run_cycle(&stores, &source, &params(&settings(), now))
        .await
        .unwrap();

    assert_eq!(count(&db, "SELECT count(*) FROM trades").await, 32);
    assert_eq!(
        count(&db, "SELECT count(*) FROM portfolio_positions").await,
        32
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM trading_signals WHERE is_current").await,
        32
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM events WHERE NOT is_filtered").await,
        2
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM events WHERE is_filtered").await,
        1
    );
    assert_eq!(count(&db, "SELECT count(*) FROM markets").await, 32);
    assert_eq!(
        count(&db, "SELECT count(*) FROM market_snapshots").await,
        32
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM portfolio_history").await,
        1
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM portfolio_snapshots").await,
        1
    );
    assert_eq!(count(&db, "SELECT count(*) FROM signal_archives").await, 1);
    // Every signal links to its trade, under the foreign key.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM trading_signals s JOIN trades t ON t.trade_id = s.trade_id \
             WHERE s.executed AND s.market_id = t.market_id"
        )
        .await,
        32
    );
    // The portfolio state equals the sum of its positions.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM portfolio_state p WHERE p.balance + \
             (SELECT sum(amount) FROM portfolio_positions WHERE status = 'open') \
             = p.initial_balance AND p.total_invested = \
             (SELECT sum(amount) FROM portfolio_positions)"
        )
        .await,
        1
    );
    let p = stores
        .portfolio
        .load_portfolio(&PortfolioId::default())
        .await
        .unwrap()
        .unwrap();
    p.check_invariant().unwrap();
    assert_eq!(p.open_positions().count(), 32);

    // A second cycle adds no duplicate positions.
    orchestrator::run_cycle(
        &stores,
        &source,
        &params(&settings(), at("2025-12-01T01:00:00Z")),
    )
    .await
    .unwrap();
    assert_eq!(count(&db, "SELECT count(*) FROM trades").await, 32);
    assert_eq!(
        count(&db, "SELECT count(*) FROM portfolio_history").await,
        2
    );
}

#[test]
fn the_binary_runs_a_cycle_with_store_pg() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::create()).unwrap();
    let data = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_prescient"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", db.url())
        .env("PRESCIENT_STATE_DIR", data.path().join("state"))
        .env("RUST_LOG", "warn")
        .args([
            "cycle",
            "--store",
            "pg",
            "--event-max-days-until-end",
            "1000",
            "--source",
        ])
        .arg(format!("snapshot:{}", example_snapshot().display()))
        .arg("--data-dir")
        .arg(data.path().join("data"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("executed=3"));
    assert!(
        !data.path().join("data/trades").exists(),
        "--store pg touches no JSON file"
    );
    let trades = rt.block_on(async {
        domain::ports::TradeStore::load_trades(&db.store(), &PortfolioId::default())
            .await
            .unwrap()
    });
    assert_eq!(trades.len(), 3);
}
