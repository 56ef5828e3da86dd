//! A store keeps the last portfolio it decoded and decodes it again only
//! when `portfolio_versions` says its rows changed. Whoever changes them —
//! this store, another process, a hand-made statement, a `TRUNCATE` — the
//! next read returns what a store that never read it would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::ports::PortfolioStore;
use domain::{Portfolio, PortfolioId};
use proptest::prelude::*;
use sea_orm::ConnectionTrait;
use storage_pg::PgStore;
use storage_pg::testing::TestDb;

/// Something done to the stored portfolio, or a read of it.
#[derive(Clone, Debug)]
enum Op {
    /// `save_portfolio` through store 0 or 1: open and closed positions.
    Save(usize, u32, u32),
    /// A statement another tool could run.
    Sql(&'static str),
    /// `load_portfolio` through store 0 or 1, checked.
    Load(usize),
}

const EDITS: [&str; 5] = [
    "UPDATE portfolio_positions SET market_question = market_question || ' (edited)'",
    "UPDATE portfolio_state SET last_price_update = '2026-01-02T03:04:05Z'",
    "DELETE FROM portfolio_positions WHERE ordinal = \
     (SELECT max(ordinal) FROM portfolio_positions)",
    "TRUNCATE portfolio_positions",
    "TRUNCATE portfolio_state, portfolio_positions",
];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..2usize, 0..4u32, 0..3u32).prop_map(|(s, open, closed)| Op::Save(s, open, closed)),
        (0..EDITS.len()).prop_map(|i| Op::Sql(EDITS[i])),
        (0..2usize).prop_map(Op::Load),
        (0..2usize).prop_map(Op::Load),
    ]
}

/// What a read returned: the portfolio, or the error's message.
type Read = Result<Option<Portfolio>, String>;

async fn load(store: &PgStore) -> Read {
    store
        .load_portfolio(&PortfolioId::default())
        .await
        .map_err(|e| e.to_string())
}

/// A store over the same database that has never read anything.
fn fresh(db: &TestDb) -> PgStore {
    PgStore::from_connection(db.connection().clone(), db.store().config().clone())
}

async fn run(db: &TestDb, stores: &[PgStore; 2], ops: &[Op]) -> Result<(), TestCaseError> {
    db.connection()
        .execute_unprepared("TRUNCATE portfolio_state, portfolio_positions")
        .await
        .unwrap();
    for op in ops {
        match op {
            Op::Save(s, open, closed) => {
                let p = testkit::sample_portfolio(*open, *closed);
                stores[*s].save_portfolio(&p).await.unwrap();
            }
            Op::Sql(sql) => {
                db.connection().execute_unprepared(sql).await.unwrap();
            }
            Op::Load(s) => {
                let got = load(&stores[*s]).await;
                let truth = load(&fresh(db)).await;
                prop_assert_eq!(got, truth, "after {:?}", ops);
            }
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_is_what_a_store_that_never_read_would_return() {
    use proptest::test_runner::{Config, TestRunner};
    let db = TestDb::create().await.unwrap();
    // Two stores with their own kept portfolios: two processes.
    let stores = [fresh(&db), fresh(&db)];
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config::with_cases(48));
    let result = runner.run(&proptest::collection::vec(op(), 1..12), |ops| {
        tokio::task::block_in_place(|| handle.block_on(run(&db, &stores, &ops)))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The version moves with every write and only then: a read of an unchanged
/// portfolio is answered from the kept one, a write from elsewhere is seen.
#[tokio::test]
async fn a_write_from_another_store_is_seen_by_the_next_read() {
    let db = TestDb::create().await.unwrap();
    let (a, b) = (fresh(&db), fresh(&db));
    let version = || async {
        db.connection()
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT version FROM portfolio_versions",
            ))
            .await
            .unwrap()
            .map(|row| row.try_get::<i64>("", "version").unwrap())
    };
    assert_eq!(version().await, None, "nothing stored, no version");
    a.save_portfolio(&testkit::sample_portfolio(3, 1))
        .await
        .unwrap();
    let first = version().await.expect("a save sets a version");
    assert_eq!(load(&b).await.unwrap().unwrap().positions.len(), 4);
    assert_eq!(load(&b).await.unwrap().unwrap().positions.len(), 4);
    assert_eq!(version().await, Some(first), "reads leave it");

    a.save_portfolio(&testkit::sample_portfolio(1, 0))
        .await
        .unwrap();
    assert_ne!(version().await, Some(first), "a write moves it");
    assert_eq!(load(&b).await.unwrap().unwrap().positions.len(), 1);
}
