//! The in-memory stand-in keeps the same port contract as the real stores,
//! so routing tests built on it mean something.

async fn fresh() -> ((), testkit::memory::MemoryStore) {
    ((), testkit::memory::MemoryStore::new())
}

testkit::storage_conformance!(fresh);

#[tokio::test]
async fn a_store_switched_off_refuses_every_call_and_recovers() {
    use domain::ports::TradeStore;
    let store = testkit::memory::MemoryStore::new();
    let id = domain::PortfolioId::default();
    store.set_down(true);
    let err = store.load_trades(&id).await.unwrap_err();
    assert!(
        matches!(err, domain::StoreError::Unavailable { .. }),
        "{err}"
    );
    assert!(store.append_trade(&testkit::sample_trade(1)).await.is_err());
    store.set_down(false);
    store.append_trade(&testkit::sample_trade(1)).await.unwrap();
    assert_eq!(store.load_trades(&id).await.unwrap().len(), 1);
}

/// Executions and settlements step by step, as `Stores::single` records them.
#[tokio::test]
async fn executions_and_settlements_step_by_step() {
    let stores = || {
        testkit::ports::Ports(domain::ports::Stores::single(std::sync::Arc::new(
            testkit::memory::MemoryStore::new(),
        )))
    };
    testkit::conformance::execution_records_trade_and_portfolio(&stores()).await;
    testkit::conformance::executions_recorded_together(&stores()).await;
    testkit::conformance::settlements_record_trades_and_portfolio(&stores()).await;
}

/// A lean store (a backtest's) keeps trade ids apart by portfolio: each
/// portfolio trades as if it ran alone. A full store holds an id once.
#[tokio::test]
async fn a_lean_store_keeps_trade_ids_apart_by_portfolio() {
    use domain::ports::TradeStore;
    let mut trade = testkit::sample_trade(1);
    let lean = testkit::memory::MemoryStore::lean();
    let full = testkit::memory::MemoryStore::new();
    lean.append_trade(&trade).await.unwrap();
    full.append_trade(&trade).await.unwrap();
    trade.portfolio_id = domain::PortfolioId::new("other");
    lean.append_trade(&trade).await.unwrap();
    assert_eq!(
        lean.load_trades(&trade.portfolio_id).await.unwrap().len(),
        1
    );
    assert_eq!(lean.state().trades.len(), 2);
    assert!(matches!(
        full.append_trade(&trade).await,
        Err(domain::StoreError::Conflict { .. })
    ));
}
