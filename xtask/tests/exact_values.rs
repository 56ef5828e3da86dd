//! Python-era values survive the migration digit for digit: backfill into
//! PostgreSQL, reads from PostgreSQL, and `backup`'s legacy export hold
//! `0.9999989889179475` as the original wrote it, and `verify` reports a
//! value that was rounded on the way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use domain::PortfolioId;
use domain::ports::Stores;
use sea_orm::{ConnectionTrait, Statement};
use std::sync::Arc;

const LEGACY_TRADE: &str = "trade_20251020_170245_540206";

async fn text(site: &Site, sql: &str) -> String {
    let row = site
        .db
        .connection()
        .query_one_raw(Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            sql,
        ))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no row for {sql}"));
    row.try_get_by_index::<String>(0).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn python_era_prices_come_back_digit_for_digit_from_postgres_and_backup() {
    let site = Site::new().await;
    site.ok(&["backfill"]).await;

    // In the database, as numbers: nothing rounded.
    let stored = text(
        &site,
        &format!(
            "SELECT trim(trailing '0' from entry_price::text) FROM trades WHERE trade_id = '{LEGACY_TRADE}'"
        ),
    )
    .await;
    assert_eq!(stored, "0.9999989889179475");
    let yes = text(
        &site,
        "SELECT trim(trailing '0' from yes_price::text) FROM trading_signals ORDER BY id LIMIT 1",
    )
    .await;
    assert_eq!(yes, "0.0000010110820525", "1.0110820525e-06 as written");

    // Through the PostgreSQL store, as domain values.
    let pg = Stores::transactional(Arc::new(site.db.store()));
    let id = PortfolioId::default();
    let trades = pg.trades.load_trades(&id).await.unwrap();
    let legacy = trades
        .iter()
        .find(|t| t.trade_id.as_str() == LEGACY_TRADE)
        .expect("the Python-era trade");
    assert_eq!(legacy.entry_price.value().to_string(), "0.9999989889179475");
    let portfolio = pg.portfolio.load_portfolio(&id).await.unwrap().unwrap();
    assert!(
        portfolio
            .positions
            .iter()
            .any(|p| p.entry_price.value().to_string() == "0.9999989889179475")
    );

    // verify compares the exact values: clean.
    let out = site.xtask(&["verify"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // backup's legacy export writes the digits the original wrote.
    let backup = site.dir.path().join("backup");
    site.ok(&["backup", "--out", backup.to_str().unwrap()])
        .await;
    let exported = std::fs::read_to_string(backup.join("data/trades/paper_trades.json")).unwrap();
    assert!(
        exported.contains("\"entry_price\": 0.9999989889179475"),
        "{exported}"
    );
    let signals = std::fs::read_to_string(backup.join("data/trades/current_signals.json")).unwrap();
    assert!(signals.contains("0.9999989889179475"), "{signals}");
    let original = Stores::single(Arc::new(storage_json::JsonStore::open_read_only(
        &site.data,
        Default::default(),
    )));
    let export = Stores::single(Arc::new(storage_json::JsonStore::open_read_only(
        backup.join("data"),
        Default::default(),
    )));
    assert_eq!(
        export.trades.load_trades(&id).await.unwrap(),
        original.trades.load_trades(&id).await.unwrap(),
        "the export holds the original's trades, value for value"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_reports_a_price_rounded_on_the_way() {
    let site = Site::new().await;
    site.ok(&["backfill"]).await;
    // What the plan's DECIMAL(10, 6) did to the value.
    site.sql(&format!(
        "UPDATE trades SET entry_price = round(entry_price, 6) WHERE trade_id = '{LEGACY_TRADE}'"
    ))
    .await;
    let out = site.xtask(&["verify", "--dataset", "trades"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("differs: {LEGACY_TRADE} (entry_price)")),
        "{stdout}"
    );
}
