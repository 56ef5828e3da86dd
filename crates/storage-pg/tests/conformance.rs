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

/// A step's executions are one transaction here.
#[tokio::test]
async fn executions_recorded_together() {
    let (_db, store) = fresh().await;
    testkit::conformance::executions_recorded_together(&store).await;
}

/// Closing positions is one transaction here.
#[tokio::test]
async fn settlements_record_trades_and_portfolio() {
    let (_db, store) = fresh().await;
    testkit::conformance::settlements_record_trades_and_portfolio(&store).await;
}

/// A backfill (bulk copy of the truth) brings the settlements PostgreSQL
/// missed level; another execution under a stored id is still refused.
/// A backfill copies straight into `trades` while none of its rows is
/// stored; a trade given twice still ends as through the staging table:
/// once, with the last settlement given, and two executions under one id
/// are refused with nothing written. Rows after stored ones are appended.
#[tokio::test]
async fn a_bulk_copy_given_one_trade_twice_or_after_stored_ones() {
    use domain::ports::TradeStore;
    use sea_orm::ConnectionTrait;
    let (db, store) = fresh().await;
    let id = domain::PortfolioId::default();
    let trade = testkit::sample_trade(1);
    let settled = trade.settled(&domain::TradeSettlement::closed(
        id.clone(),
        trade.trade_id.clone(),
        testkit::usd("4.5"),
        testkit::at(50),
    ));
    let twice = [trade.clone(), settled.clone()];
    assert_eq!(store.bulk_insert_trades(&twice).await.unwrap(), 1);
    assert_eq!(store.load_trades(&id).await.unwrap(), [settled]);
    assert_eq!(store.count_trades(&id, None).await.unwrap(), 1);

    db.connection()
        .execute_unprepared("TRUNCATE trades CASCADE")
        .await
        .unwrap();
    let mut other = trade.clone();
    other.strategy = "momentum".into();
    let err = store
        .bulk_insert_trades(&[testkit::sample_trade(2), trade.clone(), other])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, domain::StoreError::Conflict { key, .. } if key == trade.trade_id.as_str()),
        "{err:?}"
    );
    assert!(
        store.load_trades(&id).await.unwrap().is_empty(),
        "nothing written"
    );

    let first: Vec<_> = (0..3).map(testkit::sample_trade).collect();
    let then: Vec<_> = (3..6).map(testkit::sample_trade).collect();
    assert_eq!(store.bulk_insert_trades(&first).await.unwrap(), 3);
    assert_eq!(store.bulk_insert_trades(&then).await.unwrap(), 3);
    assert_eq!(
        store.load_trades(&id).await.unwrap(),
        [first, then].concat()
    );
    assert_eq!(store.count_trades(&id, None).await.unwrap(), 6);
}

#[tokio::test]
async fn a_bulk_copy_takes_the_settlement_it_is_given() {
    use domain::ports::TradeStore;
    let (_db, store) = fresh().await;
    let id = domain::PortfolioId::default();
    let trades: Vec<_> = (0..3).map(testkit::sample_trade).collect();
    assert_eq!(store.bulk_insert_trades(&trades).await.unwrap(), 3);
    let settled = trades[1].settled(&domain::TradeSettlement::closed(
        id.clone(),
        trades[1].trade_id.clone(),
        testkit::usd("4.5"),
        testkit::at(50),
    ));
    let copy = vec![trades[0].clone(), settled, trades[2].clone()];
    assert_eq!(
        store.bulk_insert_trades(&copy).await.unwrap(),
        0,
        "no new row"
    );
    assert_eq!(store.load_trades(&id).await.unwrap(), copy);
    let mut other = trades[2].clone();
    other.strategy = "momentum".into();
    let err = store.bulk_insert_trades(&[other]).await.unwrap_err();
    assert!(
        matches!(&err, domain::StoreError::Conflict { key, .. } if key == trades[2].trade_id.as_str()),
        "{err:?}"
    );
    assert_eq!(store.load_trades(&id).await.unwrap(), copy);
}

/// Text with quotes, commas, new lines and non-ASCII, an `extra` object and
/// every optional field present or absent go through `COPY` as an append
/// stores them: a bulk copy and appends read back the same trades.
#[tokio::test]
async fn a_bulk_copy_stores_awkward_text_as_an_append_does() {
    use domain::ports::TradeStore;
    let (_db, bulk) = fresh().await;
    let (_db2, one_by_one) = fresh().await;
    let id = domain::PortfolioId::default();
    let mut trades: Vec<_> = (0..4).map(testkit::sample_trade).collect();
    trades[0].market_question = "Will \"A, B\" win?\nSay \"\"yes\"\" — ünïcode".into();
    trades[0].reason = Some("\"".into());
    trades[0].event_title = Some(",\",".into());
    trades[0].extra.insert(
        "note".into(),
        serde_json::json!({"q": "a \"quoted\", text", "n": [1, 2.5, null]}),
    );
    trades[1].reason = None;
    trades[1].outcome = None;
    trades[1].event_id = None;
    trades[1].event_title = None;
    trades[1].event_end_date = None;
    trades[1].current_pnl = None;
    trades[2].market_question = String::new();
    assert_eq!(bulk.bulk_insert_trades(&trades).await.unwrap(), 4);
    for t in &trades {
        one_by_one.append_trade(t).await.unwrap();
    }
    let copied = bulk.load_trades(&id).await.unwrap();
    assert_eq!(copied, one_by_one.load_trades(&id).await.unwrap());
    assert_eq!(copied[0].market_question, trades[0].market_question);
    assert_eq!(copied[0].extra, trades[0].extra);
    assert_eq!(copied[1].reason, None);
}
