//! The shared storage conformance suite (`testkit::conformance`) against
//! PostgreSQL: one test per check, each on its own migrated database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use storage_pg::PgStore;
use storage_pg::testing::TestDb;

async fn fresh() -> (TestDb, PgStore) {
    let db = TestDb::create().await.expect("a test database");
    let store = db.store();
    (db, store)
}

testkit::storage_conformance!(fresh);

/// An execution is one transaction here.
#[tokio::test]
async fn execution_records_trade_and_portfolio() {
    let (_db, store) = fresh().await;
    testkit::conformance::execution_records_trade_and_portfolio(&store).await;
}
