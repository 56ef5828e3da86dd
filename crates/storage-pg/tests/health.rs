//! The health check answers within its timeout: the latency when the server
//! answers, `Unavailable` when it does not.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::StoreError;
use std::time::{Duration, Instant};
use storage_pg::testing::TestDb;
use storage_pg::{PgConfig, PgStore};

#[tokio::test]
async fn healthy_database_answers_with_its_latency() {
    let db = TestDb::create().await.unwrap();
    let latency = db.store().health().await.unwrap();
    assert!(latency < db.store().config().health_timeout);
}

#[tokio::test]
async fn unreachable_database_is_unavailable_within_the_timeout() {
    let mut config = PgConfig::new("postgres://postgres@127.0.0.1:1/postgres");
    config.health_timeout = Duration::from_millis(500);
    config.connect_timeout = Duration::from_millis(300);
    let store = PgStore::connect_lazy(config).await.unwrap();
    let started = Instant::now();
    let err = store.health().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            err,
            StoreError::Unavailable {
                store: "postgres",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn connecting_to_an_unreachable_database_names_it() {
    let mut config = PgConfig::new("postgres://postgres:secret@127.0.0.1:1/postgres");
    config.connect_timeout = Duration::from_millis(300);
    let err = PgStore::connect(config).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("127.0.0.1:1"), "{text}");
    assert!(!text.contains("secret"), "{text}");
    let port_err: StoreError = err.into();
    assert!(matches!(port_err, StoreError::Unavailable { .. }));
}

#[tokio::test]
async fn a_port_call_on_an_unreachable_database_is_unavailable() {
    use domain::ports::TradeStore;
    let mut config = PgConfig::new("postgres://postgres@127.0.0.1:1/postgres");
    config.connect_timeout = Duration::from_millis(300);
    let store = PgStore::connect_lazy(config).await.unwrap();
    let err = store
        .load_trades(&domain::PortfolioId::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Unavailable {
                store: "postgres",
                ..
            }
        ),
        "{err:?}"
    );
}
