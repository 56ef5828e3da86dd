//! Rows that break a rule — edited by hand, written by an older release —
//! are an error naming the table and the key when they are read, never a
//! panic and never a silently different value; and records PostgreSQL could
//! not store are refused before a statement is sent. Counts what it tried
//! (`-- --nocapture`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::ports::{HistoryStore, MarketStore, PortfolioStore, SignalStore, TradeStore};
use domain::{MarketId, PortfolioId, StoreError, Usd};
use sea_orm::ConnectionTrait;
use storage_pg::PgStore;
use storage_pg::testing::TestDb;
use testkit::*;

async fn seeded() -> (TestDb, PgStore) {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    store.append_trade(&sample_trade(1)).await.unwrap();
    store.save_portfolio(&sample_portfolio(2, 1)).await.unwrap();
    store
        .replace_current_signals(&domain::PortfolioId::default(), &[sample_signal(1)])
        .await
        .unwrap();
    store
        .append_history_entry(&sample_history_entry(1))
        .await
        .unwrap();
    store
        .append_signal_archive(&sample_signal_archive(at(5), 2))
        .await
        .unwrap();
    let market = sample_market_id(1);
    store
        .append_market_snapshots(&[sample_market_snapshot(&market, 1)])
        .await
        .unwrap();
    (db, store)
}

/// What to read after the edit.
#[derive(Clone, Copy)]
enum Read {
    Trades,
    Portfolio,
    Signals,
    History,
    Archives,
    Snapshots,
}

async fn read(store: &PgStore, what: Read) -> Result<(), StoreError> {
    let id = PortfolioId::default();
    match what {
        Read::Trades => store.load_trades(&id).await.map(drop),
        Read::Portfolio => store.load_portfolio(&id).await.map(drop),
        Read::Signals => store
            .load_current_signals(&domain::PortfolioId::default())
            .await
            .map(drop),
        Read::History => store.load_history(&id).await.map(drop),
        Read::Archives => store
            .load_signal_archives(&domain::PortfolioId::default(), None)
            .await
            .map(drop),
        Read::Snapshots => store
            .load_market_snapshots(Some(&MarketId::new(sample_market_id(1).as_str())))
            .await
            .map(drop),
    }
}

const EDITS: &[(&str, &str, Read)] = &[
    ("trades", "UPDATE trades SET entry_price = 2", Read::Trades),
    (
        "trades",
        "UPDATE trades SET entry_price = -0.5",
        Read::Trades,
    ),
    ("trades", "UPDATE trades SET amount = -5", Read::Trades),
    ("trades", "UPDATE trades SET amount = 0", Read::Trades),
    ("trades", "UPDATE trades SET shares = -1", Read::Trades),
    ("trades", "UPDATE trades SET action = 'sell'", Read::Trades),
    ("trades", "UPDATE trades SET status = 'maybe'", Read::Trades),
    ("trades", "UPDATE trades SET extra = '[1]'", Read::Trades),
    (
        "trades",
        "UPDATE trades SET timestamp = '20000-01-01T00:00:00Z'",
        Read::Trades,
    ),
    ("trades", "UPDATE trades SET trade_id = ' '", Read::Trades),
    (
        "portfolio_state",
        "UPDATE portfolio_state SET trade_count = -1",
        Read::Portfolio,
    ),
    (
        "portfolio_state",
        "UPDATE portfolio_state SET extra = '\"x\"'",
        Read::Portfolio,
    ),
    (
        "portfolio_positions",
        "UPDATE portfolio_positions SET entry_price = 1.5",
        Read::Portfolio,
    ),
    (
        "portfolio_positions",
        "UPDATE portfolio_positions SET shares = 0",
        Read::Portfolio,
    ),
    (
        "portfolio_positions",
        "UPDATE portfolio_positions SET status = 'gone'",
        Read::Portfolio,
    ),
    (
        "trading_signals",
        "UPDATE trading_signals SET yes_price = 3",
        Read::Signals,
    ),
    (
        "trading_signals",
        "UPDATE trading_signals SET action = ''",
        Read::Signals,
    ),
    (
        "portfolio_history",
        "UPDATE portfolio_history SET open_positions = -3",
        Read::History,
    ),
    (
        "portfolio_history",
        "UPDATE portfolio_history SET snapshot_date = '12000-01-01'",
        Read::History,
    ),
    (
        "signal_archives",
        "UPDATE signal_archives SET signals_data = '{\"x\": 1}'",
        Read::Archives,
    ),
    (
        "signal_archives",
        "UPDATE signal_archives SET signals_data = '[{\"target_price\": 7}]'",
        Read::Archives,
    ),
    (
        "market_snapshots",
        "UPDATE market_snapshots SET yes_price = 5",
        Read::Snapshots,
    ),
];

#[tokio::test]
async fn hostile_rows_are_an_error_naming_table_and_key() {
    let mut tried = 0;
    let mut handled = 0;
    let mut failures = Vec::new();
    for (table, edit, what) in EDITS {
        tried += 1;
        let (db, store) = seeded().await;
        db.connection().execute_unprepared(edit).await.unwrap();
        match read(&store, *what).await {
            Err(e) if e.to_string().contains(table) => handled += 1,
            Err(e) => failures.push(format!("{edit}: the error does not name {table}: {e}")),
            Ok(()) => failures.push(format!("{edit}: read as if valid")),
        }
        drop(db);
    }
    println!("hostile database values: tried {tried}, handled {handled}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn values_postgres_cannot_store_are_refused_before_the_statement() {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    let mut long_id = sample_trade(2);
    long_id.market_id = MarketId::new("9".repeat(256));
    let mut huge = sample_trade(3);
    huge.current_pnl = Some(Usd::new(dec("10000000000000")));
    let mut nul = sample_trade(4);
    nul.market_question = "nul\0".into();
    for t in [&long_id, &huge, &nul] {
        let err = store.append_trade(t).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidRecord { location, key, .. }
                if location.contains("trades") && key == t.trade_id.as_str()),
            "{err:?}"
        );
    }
    let err = store.bulk_insert_trades(&[huge.clone()]).await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidRecord { .. }), "{err:?}");
    assert!(
        store
            .load_trades(&PortfolioId::default())
            .await
            .unwrap()
            .is_empty()
    );
    drop(db);
}

#[tokio::test]
async fn a_bulk_insert_with_a_stored_id_and_other_content_is_refused_whole() {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    let trades: Vec<_> = (0..3).map(sample_trade).collect();
    assert_eq!(store.bulk_insert_trades(&trades).await.unwrap(), 3);
    assert_eq!(
        store.bulk_insert_trades(&trades).await.unwrap(),
        0,
        "a replay"
    );
    let mut other = sample_trade(9);
    other.trade_id = trades[1].trade_id.clone();
    let err = store
        .bulk_insert_trades(&[sample_trade(7), other])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict { key, .. } if key == trades[1].trade_id.as_str()),
        "{err:?}"
    );
    assert_eq!(
        store.load_trades(&PortfolioId::default()).await.unwrap(),
        trades,
        "rolled back whole"
    );
    drop(db);
}
