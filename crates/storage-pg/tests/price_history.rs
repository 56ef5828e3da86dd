//! Price history on a real PostgreSQL: inserting a token's points twice
//! adds nothing, the stored span is where a fetch resumes, and a read
//! streams the points of the markets asked for in time order — the CLOB's
//! and the cycles' market snapshots alike.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::ports::MarketStore;
use domain::{
    HistoryPoint, MarketId, MarketSnapshot, Outcome, Price, PricePoint, PriceSource, StoreError,
    TokenId,
};
use futures_util::StreamExt;
use proptest::prelude::*;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, Statement};
use storage_pg::testing::TestDb;
use storage_pg::{PgStore, StoredSpan};

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn token(s: &str) -> TokenId {
    TokenId::parse(s).unwrap()
}

fn price(thousandths: i64) -> Price {
    Price::exact(Decimal::new(thousandths, 3)).unwrap()
}

fn points(minutes: &[i64]) -> Vec<PricePoint> {
    minutes
        .iter()
        .map(|m| PricePoint {
            t: t(*m),
            p: price(100 + m % 800),
        })
        .collect()
}

async fn rows(db: &TestDb) -> i64 {
    let row = db
        .connection()
        .query_one_raw(Statement::from_string(
            db.connection().get_database_backend(),
            "SELECT count(*) FROM price_history",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn read(store: &PgStore, markets: &[&str], from: i64, to: i64) -> Vec<HistoryPoint> {
    let ids: Vec<MarketId> = markets.iter().map(|m| MarketId::new(*m)).collect();
    store
        .price_history(&ids, t(from), t(to))
        .map(|p| p.unwrap())
        .collect()
        .await
}

#[tokio::test]
async fn inserting_the_same_points_again_adds_nothing() {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    let (m, yes) = (MarketId::new("540206"), token("1111"));
    assert_eq!(store.stored_span(&yes).await.unwrap(), None);

    let first = points(&[0, 60, 120]);
    assert_eq!(
        store
            .insert_price_points(&m, Outcome::Yes, &yes, &first)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .insert_price_points(&m, Outcome::Yes, &yes, &first)
            .await
            .unwrap(),
        0
    );
    // An overlapping fetch adds only what is new; a stored instant keeps
    // its first price.
    let mut overlap = points(&[120, 180]);
    overlap[0].p = price(999);
    assert_eq!(
        store
            .insert_price_points(&m, Outcome::Yes, &yes, &overlap)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .insert_price_points(&m, Outcome::Yes, &yes, &[])
            .await
            .unwrap(),
        0
    );
    assert_eq!(rows(&db).await, 4);

    assert_eq!(
        store.stored_span(&yes).await.unwrap(),
        Some(StoredSpan {
            first: t(0),
            last: t(180)
        })
    );
    // The span is the token's own.
    assert_eq!(store.stored_span(&token("2222")).await.unwrap(), None);

    let got = read(&store, &["540206"], 0, 1000).await;
    let prices: Vec<(DateTime<Utc>, Price)> = got.iter().map(|p| (p.t, p.price)).collect();
    assert_eq!(
        prices,
        [
            (t(0), first[0].p),
            (t(60), first[1].p),
            (t(120), first[2].p),
            (t(180), overlap[1].p)
        ]
    );
    assert!(
        got.iter()
            .all(|p| p.outcome == Outcome::Yes && p.source == PriceSource::Clob)
    );
}

#[tokio::test]
async fn a_point_no_store_could_hold_is_refused_and_nothing_is_written() {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    let mut bad = points(&[0, 1]);
    bad[1].t = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
    let e = store
        .insert_price_points(&MarketId::new("1"), Outcome::No, &token("9"), &bad)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::InvalidRecord { .. }), "{e}");
    let e = store
        .insert_price_points(&MarketId::new(""), Outcome::No, &token("9"), &points(&[0]))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::InvalidRecord { .. }), "{e}");
    assert_eq!(rows(&db).await, 0);
}

#[tokio::test]
async fn a_large_history_goes_in_and_streams_back_in_order() {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    let minutes: Vec<i64> = (0..25_000).collect();
    let (m, no) = (MarketId::new("7"), token("77"));
    let inserted = store
        .insert_price_points(&m, Outcome::No, &no, &points(&minutes))
        .await
        .unwrap();
    assert_eq!(inserted, 25_000);
    let mut stream = store.price_history(&[m], t(100), t(24_099));
    let mut n = 0;
    let mut last = None;
    while let Some(p) = stream.next().await {
        let p = p.unwrap();
        assert!(last < Some(p.t));
        last = Some(p.t);
        n += 1;
    }
    assert_eq!(n, 24_000);
    assert_eq!(last, Some(t(24_099)));
}

fn snapshot(market: &str, minute: i64, yes: Option<i64>, no: Option<i64>) -> MarketSnapshot {
    MarketSnapshot {
        market_id: MarketId::new(market),
        timestamp: t(minute),
        yes_price: yes.map(price),
        no_price: no.map(price),
        liquidity: None,
        volume: None,
        volume_24hr: None,
        conviction: None,
    }
}

#[tokio::test]
async fn recorded_cycles_read_as_cycle_points_beside_the_clob_ones() {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    let snapshots = vec![
        snapshot("10", 30, Some(600), Some(400)),
        snapshot("10", 90, None, None),
        snapshot("20", 30, Some(250), None),
        snapshot("30", 30, Some(500), Some(500)),
    ];
    store.append_market_snapshots(&snapshots).await.unwrap();
    let (m10, m20) = (MarketId::new("10"), MarketId::new("20"));
    store
        .insert_price_points(&m10, Outcome::Yes, &token("101"), &points(&[0, 30, 60]))
        .await
        .unwrap();
    store
        .insert_price_points(&m10, Outcome::No, &token("102"), &points(&[30]))
        .await
        .unwrap();
    store
        .insert_price_points(&m20, Outcome::Yes, &token("201"), &points(&[15]))
        .await
        .unwrap();

    let got = read(&store, &["10", "20"], 0, 60).await;
    let shown: Vec<(i64, &str, Outcome, PriceSource)> = got
        .iter()
        .map(|p| {
            (
                (p.t - t(0)).num_minutes(),
                p.market_id.as_str(),
                p.outcome,
                p.source,
            )
        })
        .collect();
    use Outcome::{No, Yes};
    use PriceSource::{Clob, Cycle};
    assert_eq!(
        shown,
        [
            (0, "10", Yes, Clob),
            (15, "20", Yes, Clob),
            (30, "10", No, Clob),
            (30, "10", No, Cycle),
            (30, "10", Yes, Clob),
            (30, "10", Yes, Cycle),
            (30, "20", Yes, Cycle),
            (60, "10", Yes, Clob),
        ]
    );
    // The cycle points are exactly what `MarketSnapshot::price_points` says
    // a snapshot stands for.
    let cycle: Vec<HistoryPoint> = got.into_iter().filter(|p| p.source == Cycle).collect();
    let mut expected: Vec<HistoryPoint> = snapshots
        .iter()
        .filter(|s| s.market_id != MarketId::new("30"))
        .flat_map(MarketSnapshot::price_points)
        .collect();
    expected.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    assert_eq!(cycle, expected);
    assert!(read(&store, &[], 0, 60).await.is_empty());
}

/// Points of a few markets, each outcome with its own token, at random
/// minutes, and snapshots at random minutes.
#[derive(Clone, Debug)]
struct Case {
    clob: Vec<(usize, Outcome, Vec<i64>)>,
    snapshots: Vec<(usize, i64, Option<i64>, Option<i64>)>,
    asked: Vec<usize>,
    from: i64,
    to: i64,
}

// "a-2" < "a1" in byte order, the other way round in most locales: the read
// sorts as Rust does whatever the database's collation.
const MARKETS: [&str; 4] = ["1", "12", "a-2", "a1"];

fn case() -> impl Strategy<Value = Case> {
    let outcome = prop_oneof![Just(Outcome::Yes), Just(Outcome::No)];
    (
        proptest::collection::vec(
            (
                0..4usize,
                outcome,
                proptest::collection::vec(0..200i64, 0..12),
            ),
            0..5,
        ),
        proptest::collection::vec(
            (
                0..4usize,
                0..200i64,
                proptest::option::of(0..1000i64),
                proptest::option::of(0..1000i64),
            ),
            0..6,
        ),
        proptest::collection::vec(0..4usize, 0..4),
        0..200i64,
        0..200i64,
    )
        .prop_map(|(clob, snapshots, asked, from, to)| Case {
            clob,
            snapshots,
            asked,
            from,
            to,
        })
}

/// What a read must return, computed in Rust: every stored point of the
/// markets asked for inside the range, in `order_key` order.
fn model(case: &Case) -> Vec<HistoryPoint> {
    let asked = |i: usize| case.asked.contains(&i);
    let inside = |m: i64| case.from <= m && m <= case.to;
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (market, outcome, minutes) in &case.clob {
        for m in minutes {
            // One point per token and instant: the first inserted stays.
            if !seen.insert((*market, *outcome, *m)) || !asked(*market) || !inside(*m) {
                continue;
            }
            out.push(HistoryPoint {
                market_id: MarketId::new(MARKETS[*market]),
                outcome: *outcome,
                t: t(*m),
                price: points(&[*m])[0].p,
                source: PriceSource::Clob,
            });
        }
    }
    let mut snapped = std::collections::HashSet::new();
    for (market, minute, yes, no) in &case.snapshots {
        // Snapshots are unique per (market, timestamp): the first stays.
        if !snapped.insert((*market, *minute)) || !asked(*market) || !inside(*minute) {
            continue;
        }
        out.extend(snapshot(MARKETS[*market], *minute, *yes, *no).price_points());
    }
    out.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    out
}

async fn check(store: &PgStore, db: &TestDb, case: &Case) -> Vec<HistoryPoint> {
    db.connection()
        .execute_unprepared("TRUNCATE price_history, market_snapshots")
        .await
        .unwrap();
    for (market, outcome, minutes) in &case.clob {
        let token = token(&format!("{}{}", market + 1, outcome.index()));
        store
            .insert_price_points(
                &MarketId::new(MARKETS[*market]),
                *outcome,
                &token,
                &points(minutes),
            )
            .await
            .unwrap();
    }
    let snapshots: Vec<MarketSnapshot> = case
        .snapshots
        .iter()
        .map(|(m, minute, yes, no)| snapshot(MARKETS[*m], *minute, *yes, *no))
        .collect();
    store.append_market_snapshots(&snapshots).await.unwrap();
    let asked: Vec<&str> = case.asked.iter().map(|i| MARKETS[*i]).collect();
    read(store, &asked, case.from, case.to).await
}

/// The read against a model of it, on random histories: one database,
/// emptied before each case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_is_every_point_of_the_markets_asked_in_range_in_order() {
    use proptest::test_runner::{Config, TestRunner};
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config::with_cases(24));
    let result = runner.run(&case(), |case| {
        let got = tokio::task::block_in_place(|| handle.block_on(check(&store, &db, &case)));
        prop_assert_eq!(got, model(&case));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// `history_markets` as `(market, first, last)`.
async fn spans(
    store: &PgStore,
    among: Option<&[&str]>,
    from: i64,
    to: i64,
) -> Vec<(String, DateTime<Utc>, DateTime<Utc>)> {
    let ids: Option<Vec<MarketId>> = among.map(|a| a.iter().map(|m| MarketId::new(*m)).collect());
    store
        .history_markets(ids.as_deref(), t(from), t(to))
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.market_id.to_string(), s.first, s.last))
        .collect()
}

#[tokio::test]
async fn the_markets_with_history_in_a_range_and_where_each_history_ends() {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    // 101: CLOB points at 0, 60, 120; 202: one at 200; 303: only cycle
    // snapshots, at 30 and 90 (and one without prices at 150).
    store
        .insert_price_points(
            &MarketId::new("101"),
            Outcome::Yes,
            &token("1011"),
            &points(&[0, 60, 120]),
        )
        .await
        .unwrap();
    store
        .insert_price_points(
            &MarketId::new("202"),
            Outcome::No,
            &token("2022"),
            &points(&[200]),
        )
        .await
        .unwrap();
    store
        .append_market_snapshots(&[
            snapshot("303", 30, Some(400), Some(600)),
            snapshot("303", 90, Some(450), None),
            snapshot("303", 150, None, None),
        ])
        .await
        .unwrap();
    assert_eq!(
        spans(&store, None, 0, 1000).await,
        [
            ("101".to_owned(), t(0), t(120)),
            ("202".to_owned(), t(200), t(200)),
            ("303".to_owned(), t(30), t(90)),
        ]
    );
    // The first point is the range's, the last the last stored: 101's
    // history goes on after 70; 303 has points before and after, none in it.
    assert_eq!(
        spans(&store, None, 50, 70).await,
        [("101".to_owned(), t(60), t(120))]
    );
    assert_eq!(
        spans(&store, Some(&["202", "404"]), 0, 1000).await,
        [("202".to_owned(), t(200), t(200))]
    );
    assert!(
        spans(&store, None, 121, 199).await.is_empty(),
        "no point in 121–199"
    );
}

fn gamma_market(id: &str, closed: bool) -> domain::Market {
    domain::gamma::decode_market(&serde_json::json!({
        "id": id,
        "question": format!("Will {id} resolve Yes?"),
        "outcomes": "[\"Yes\", \"No\"]",
        "outcomePrices": if closed { "[\"1\", \"0\"]" } else { "[\"0.6\", \"0.4\"]" },
        "active": !closed, "closed": closed,
    }))
    .unwrap()
}

#[tokio::test]
async fn a_fetch_keeps_each_markets_newest_record() {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    let ids = [
        MarketId::new("101"),
        MarketId::new("202"),
        MarketId::new("303"),
    ];
    assert!(store.load_history_records(&ids).await.unwrap().is_empty());

    store
        .save_history_records(&[gamma_market("202", false), gamma_market("101", false)])
        .await
        .unwrap();
    // A later fetch: 202 resolved; given twice, the first counts.
    store
        .save_history_records(&[gamma_market("202", true), gamma_market("202", false)])
        .await
        .unwrap();
    let stored = store.load_history_records(&ids).await.unwrap();
    assert_eq!(
        stored,
        [gamma_market("101", false), gamma_market("202", true)],
        "by id, the newest record of each, exactly as given"
    );
    assert!(stored[1].closed);
    assert_eq!(
        store
            .load_history_records(&[MarketId::new("202")])
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_database_older_than_the_records_table_has_no_records() {
    let db = TestDb::create().await.unwrap();
    let store = db.store();
    store
        .save_history_records(&[gamma_market("101", true)])
        .await
        .unwrap();
    db.connection()
        .execute_unprepared("DROP TABLE price_history_markets")
        .await
        .unwrap();
    assert!(
        store
            .load_history_records(&[MarketId::new("101")])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .save_history_records(&[gamma_market("101", true)])
            .await
            .is_err()
    );
}
