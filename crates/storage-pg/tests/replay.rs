//! Replaying the same writes (a retried outbox entry, a second backfill run)
//! leaves the same rows: counts and contents.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::ports::{
    ExecutionStore, HistoryStore, MarketStore, MetadataStore, PortfolioStore, SignalStore,
    TradeStore,
};
use domain::{MarketId, PortfolioId};
use sea_orm::{ConnectionTrait, Statement};
use storage_pg::PgStore;
use storage_pg::testing::TestDb;
use testkit::*;

const TABLES: [&str; 11] = [
    "portfolio_state",
    "portfolio_positions",
    "portfolio_snapshots",
    "trades",
    "trading_signals",
    "signal_archives",
    "portfolio_history",
    "events",
    "markets",
    "market_snapshots",
    "system_metadata",
];

/// Every row of every table as JSON text, without surrogate ids and
/// database-assigned times (`created_at`, `updated_at` of replaced sets).
async fn dump(db: &TestDb) -> Vec<(String, Vec<String>)> {
    let conn = db.connection();
    let mut out = Vec::new();
    for table in TABLES {
        let sql = format!(
            "SELECT (to_jsonb(t) - 'id' - 'created_at' - 'updated_at')::text FROM {table} t \
             ORDER BY (to_jsonb(t) - 'id' - 'created_at' - 'updated_at')::text"
        );
        let rows = conn
            .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get_by_index::<String>(0).unwrap())
            .collect();
        out.push((table.to_owned(), rows));
    }
    out
}

async fn write_everything(store: &PgStore) {
    let trades: Vec<_> = (0..5).map(sample_trade).collect();
    store.bulk_insert_trades(&trades).await.unwrap();
    store.append_trade(&sample_trade(5)).await.unwrap();
    let portfolio = sample_portfolio(2, 1);
    store.save_portfolio(&portfolio).await.unwrap();
    store
        .record_execution(
            &sample_trade(6),
            &sample_portfolio(3, 1),
            Some(&sample_signal(6)),
        )
        .await
        .unwrap();
    store
        .append_portfolio_snapshot(&sample_portfolio_snapshot(0))
        .await
        .unwrap();
    store
        .append_history_entry(&sample_history_entry(0))
        .await
        .unwrap();
    store
        .append_signal_archive(&sample_signal_archive(in_month(2025, 10, 0), 2))
        .await
        .unwrap();
    let mut executed = sample_signal(1);
    executed.mark_executed(trades[1].trade_id.clone(), at(9));
    store
        .replace_current_signals(
            &domain::PortfolioId::default(),
            &[sample_signal(0), executed, sample_signal(2)],
        )
        .await
        .unwrap();
    store
        .save_raw_events(&[sample_event(0, 2), sample_event(1, 0)])
        .await
        .unwrap();
    store
        .save_filtered_events(&[sample_filtered_event(0, 2, Some(3))])
        .await
        .unwrap();
    store
        .save_filtered_markets(&[sample_market_in_event(0), sample_market(1)])
        .await
        .unwrap();
    let m = MarketId::new("540200");
    store
        .append_market_snapshots(&[sample_market_snapshot(&m, 0), sample_market_snapshot(&m, 1)])
        .await
        .unwrap();
    store
        .set_metadata("last_trade_execution", "2025-10-20T17:02:45Z", at(0))
        .await
        .unwrap();
}

#[tokio::test]
async fn replaying_every_write_leaves_the_same_rows() {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    write_everything(&store).await;
    let first = dump(&db).await;
    assert!(
        first.iter().all(|(_, rows)| !rows.is_empty()),
        "every table written: {first:?}"
    );
    let id = PortfolioId::default();
    let trades = store.load_trades(&id).await.unwrap();

    write_everything(&store).await;
    assert_eq!(dump(&db).await, first);
    assert_eq!(store.load_trades(&id).await.unwrap(), trades);
    assert_eq!(
        store.bulk_insert_trades(&trades).await.unwrap(),
        0,
        "nothing new to insert"
    );
}

#[tokio::test]
async fn bulk_insert_spans_batches_and_keeps_append_order() {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    let n = u32::try_from(storage_pg::BATCH_ROWS).unwrap() * 2 + 17;
    let trades: Vec<_> = (0..n).map(sample_trade).collect();
    assert_eq!(
        store.bulk_insert_trades(&trades).await.unwrap(),
        u64::from(n)
    );
    let id = PortfolioId::default();
    assert_eq!(store.load_trades(&id).await.unwrap(), trades);
    let recent = store.recent_trades(&id, 2).await.unwrap();
    assert_eq!(
        recent,
        vec![
            trades[trades.len() - 1].clone(),
            trades[trades.len() - 2].clone()
        ]
    );
}

#[tokio::test]
async fn raw_and_filtered_event_sets_are_independent() {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    let filtered = vec![sample_filtered_event(0, 1, Some(10))];
    store.save_filtered_events(&filtered).await.unwrap();
    // The next export carries event 0 again, with other numbers.
    let mut json = sample_event_json(0, 1);
    json["liquidity"] = serde_json::json!(1.5);
    let newer = domain::gamma::decode_event(&json).unwrap().event;
    store
        .save_raw_events(std::slice::from_ref(&newer))
        .await
        .unwrap();
    assert_eq!(store.load_raw_events().await.unwrap(), vec![newer]);
    assert_eq!(
        store.load_filtered_events().await.unwrap(),
        filtered,
        "the filtered set keeps what it was decided on"
    );
}

#[tokio::test]
async fn fresh_database_metadata_hides_the_seed_and_keeps_schema_version() {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    assert!(store.load_metadata().await.unwrap().is_empty());
    assert_eq!(
        store.schema_version().await.unwrap().as_deref(),
        Some("1.0.0")
    );
    assert!(store.pending_migrations().await.unwrap().is_empty());
    // No data set has been verified level with a JSON directory yet.
    for data_set in domain::DataSet::ALL {
        assert_eq!(
            domain::ports::VersionStore::mirrored_version(&store, data_set)
                .await
                .unwrap(),
            None
        );
    }
}
