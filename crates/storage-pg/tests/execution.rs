//! Executing a trade is one transaction (SPEC §5): interrupted between its
//! statements it leaves nothing behind; completed, it links the signal; and
//! replayed, it changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::ports::{ExecutionStore, PortfolioStore, SignalStore, TradeStore};
use domain::{Portfolio, PortfolioId, Signal, Trade};
use storage_pg::testing::TestDb;
use storage_pg::{ExecutionStep, PgStore};
use testkit::{at, sample_portfolio, sample_position, sample_signal, sample_trade};

/// Before: portfolio with one open position and current signals 0..3.
/// The execution: signal 1 becomes trade 1, position 1, a debited balance.
async fn setup() -> (TestDb, PgStore, Portfolio, Trade, Signal, Portfolio) {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    let before = sample_portfolio(1, 0);
    store.save_portfolio(&before).await.unwrap();
    let signals: Vec<_> = (0..3).map(sample_signal).collect();
    store
        .replace_current_signals(&domain::PortfolioId::default(), &signals)
        .await
        .unwrap();

    let trade = sample_trade(1);
    let mut after = before.clone();
    after.positions.push(sample_position(1));
    after.balance -= trade.amount;
    after.total_invested += trade.amount;
    after.trade_count += 1;
    after.last_updated = at(30);
    after.check_invariant().unwrap();
    (db, store, before, trade, signals[1].clone(), after)
}

async fn assert_untouched(store: &PgStore, before: &Portfolio) {
    let id = PortfolioId::default();
    assert!(
        store.load_trades(&id).await.unwrap().is_empty(),
        "no trade row"
    );
    assert_eq!(
        store.load_portfolio(&id).await.unwrap().as_ref(),
        Some(before),
        "portfolio and positions unchanged"
    );
    let signals = store
        .load_current_signals(&domain::PortfolioId::default())
        .await
        .unwrap();
    assert!(
        signals.iter().all(|s| !s.executed && s.trade_id.is_none()),
        "signal not linked"
    );
}

#[tokio::test]
async fn failure_after_the_trade_insert_leaves_no_partial_row() {
    let (_db, store, before, trade, signal, after) = setup().await;
    store.fail_execution_at(ExecutionStep::AfterTrade);
    assert!(
        store
            .record_execution(&trade, &after, Some(&signal))
            .await
            .is_err()
    );
    assert_untouched(&store, &before).await;
}

#[tokio::test]
async fn failure_after_the_portfolio_write_leaves_no_partial_row() {
    let (_db, store, before, trade, signal, after) = setup().await;
    store.fail_execution_at(ExecutionStep::AfterPortfolio);
    assert!(
        store
            .record_execution(&trade, &after, Some(&signal))
            .await
            .is_err()
    );
    assert_untouched(&store, &before).await;
}

#[tokio::test]
async fn an_execution_writes_everything_and_a_replay_changes_nothing() {
    let (_db, store, _before, trade, signal, after) = setup().await;
    let id = PortfolioId::default();
    for _ in 0..2 {
        store
            .record_execution(&trade, &after, Some(&signal))
            .await
            .unwrap();
        assert_eq!(store.load_trades(&id).await.unwrap(), vec![trade.clone()]);
        assert_eq!(
            store.load_portfolio(&id).await.unwrap(),
            Some(after.clone())
        );
        let current = store
            .load_current_signals(&domain::PortfolioId::default())
            .await
            .unwrap();
        assert_eq!(current.len(), 3);
        let linked: Vec<_> = current.iter().filter(|s| s.executed).collect();
        assert_eq!(linked.len(), 1);
        assert_eq!(linked[0].trade_id.as_ref(), Some(&trade.trade_id));
        assert_eq!(linked[0].executed_at, Some(trade.timestamp));
        assert_eq!(linked[0].market_id, signal.market_id);
    }
}

#[tokio::test]
async fn a_signal_saved_before_its_trade_is_linked_when_the_trade_arrives() {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    let trade = sample_trade(4);
    let mut signal = sample_signal(4);
    signal.mark_executed(trade.trade_id.clone(), at(5));
    // Dual writes out of order: the signal's write lands first.
    store
        .replace_current_signals(
            &domain::PortfolioId::default(),
            std::slice::from_ref(&signal),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .load_current_signals(&domain::PortfolioId::default())
            .await
            .unwrap(),
        vec![signal.clone()]
    );
    store.append_trade(&trade).await.unwrap();
    assert_eq!(
        store
            .load_current_signals(&domain::PortfolioId::default())
            .await
            .unwrap(),
        vec![signal.clone()]
    );
    let linked = linked_trade_ids(&db).await;
    assert_eq!(linked, vec![(Some(trade.trade_id.to_string()), None)]);
}

/// `(trade_id, pending_trade_id)` of every signal row.
async fn linked_trade_ids(db: &TestDb) -> Vec<(Option<String>, Option<String>)> {
    use sea_orm::{ConnectionTrait, Statement};
    let conn = db.connection();
    conn.query_all_raw(Statement::from_string(
        conn.get_database_backend(),
        "SELECT trade_id, pending_trade_id FROM trading_signals ORDER BY id",
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.try_get_by_index::<Option<String>>(0).unwrap(),
            r.try_get_by_index::<Option<String>>(1).unwrap(),
        )
    })
    .collect()
}
