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
