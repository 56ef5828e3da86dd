//! `history fetch` end to end: markets from the stores (or Gamma), their
//! tokens' history from the fake CLOB (`testkit::clob`), rows in a test
//! PostgreSQL. Run twice it adds nothing; interrupted — by a CLOB that went
//! away or by killing the task — and run again it completes, each point
//! stored once, without asking again for what it had.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use common::clob_history::{clob_client as client, market_json, tokens_of};
use domain::ports::{MarketStore, PortfolioStore, Stores};
use domain::{Market, MarketId, PortfolioId};
use orchestrator::history::{
    FetchReport, FetchRequest, HistoryError, Progress, Selection, fetch_history,
};
use polymarket_client::SnapshotSource;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use storage_pg::PgStore;
use storage_pg::testing::TestDb;
use testkit::clob::{ClobBehaviour, FakeClob, generated};
use testkit::memory::MemoryStore;

/// Five days, hourly, both ends on a point.
const DAYS: i64 = 5;
const POINTS: usize = (DAYS as usize) * 24 + 1;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn request(selection: Selection) -> FetchRequest {
    FetchRequest {
        selection,
        from: t0(),
        to: t0() + Span::days(DAYS),
        fidelity_minutes: 60,
    }
}

fn market(id: &str) -> Market {
    domain::gamma::decode_market(&market_json(id, true)).unwrap()
}

/// A fake CLOB serving the hourly history of every token of `markets`.
fn clob_serving(markets: &[&str], behaviour: ClobBehaviour) -> FakeClob {
    let mut clob = FakeClob::new(behaviour);
    for (i, id) in markets.iter().enumerate() {
        for (k, token) in tokens_of(id).iter().enumerate() {
            let series = generated(t0(), POINTS, Duration::from_secs(3600), (i * 2 + k) as u64);
            clob = clob.with_series(token, series);
        }
    }
    clob
}

async fn stores_with_filtered(ids: &[&str]) -> Stores {
    let store = Arc::new(MemoryStore::new());
    let markets: Vec<Market> = ids.iter().map(|id| market(id)).collect();
    store.save_filtered_markets(&markets).await.unwrap();
    Stores::single(store)
}

/// Gamma, for markets not among the filtered ones: a snapshot directory.
fn gamma_with(markets: &[Value]) -> (tempfile::TempDir, SnapshotSource) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("events.json"), "[]").unwrap();
    std::fs::write(
        dir.path().join("markets.json"),
        serde_json::to_vec(&Value::Array(markets.to_vec())).unwrap(),
    )
    .unwrap();
    let source = SnapshotSource::open(dir.path()).unwrap();
    (dir, source)
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    let row = db
        .connection()
        .query_one_raw(Statement::from_string(
            db.connection().get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn rows(db: &TestDb) -> i64 {
    count(db, "SELECT count(*) FROM price_history").await
}

/// Every stored row is the fake's point for its token and instant.
async fn assert_stored_exactly(db: &TestDb, clob: &FakeClob, markets: &[&str]) {
    let mut expected = 0;
    for id in markets {
        for (k, token) in tokens_of(id).iter().enumerate() {
            let want = clob.expected(
                token,
                t0().timestamp(),
                (t0() + Span::days(DAYS)).timestamp(),
                60,
            );
            expected += want.len();
            let outcome = if k == 0 { "yes" } else { "no" };
            for (t, p) in [want.first().unwrap(), want.last().unwrap()] {
                let sql = format!(
                    "SELECT count(*) FROM price_history WHERE token_id = '{token}' AND market_id = '{id}' \
                     AND outcome = '{outcome}' AND t = to_timestamp({t}) AND price = {p}"
                );
                assert_eq!(count(db, &sql).await, 1, "{token} at {t}");
            }
        }
    }
    assert_eq!(rows(db).await, expected as i64);
    assert_eq!(
        count(
            db,
            "SELECT count(DISTINCT (token_id, t)) FROM price_history"
        )
        .await,
        expected as i64
    );
}

async fn run(
    stores: &Stores,
    source: &SnapshotSource,
    url: &str,
    pg: &PgStore,
    selection: Selection,
) -> Result<FetchReport, HistoryError> {
    fetch_history(
        stores,
        source,
        &client(url),
        pg,
        &request(selection),
        &|_| {},
    )
    .await
}

const MARKETS: [&str; 3] = ["101", "202", "303"];

#[tokio::test]
async fn fetching_twice_stores_every_point_once_and_asks_nothing_the_second_time() {
    let db = TestDb::create().await.unwrap();
    let pg = db.store();
    let stores = stores_with_filtered(&MARKETS).await;
    let (_dir, gamma) = gamma_with(&[]);
    let (clob, url) = clob_serving(&MARKETS, ClobBehaviour::default())
        .start()
        .await;

    let events = std::sync::Mutex::new(Vec::new());
    let report = fetch_history(
        &stores,
        &gamma,
        &client(&url),
        &pg,
        &request(Selection::Filtered),
        &|p| {
            events.lock().unwrap().push(match p {
                Progress::Planned { markets, tokens } => format!("planned {markets} {tokens}"),
                Progress::Skipped(s) => format!("skipped {}", s.market_id),
                Progress::Token(t) => format!("{} {} +{}", t.market_id, t.outcome, t.inserted),
            })
        },
    )
    .await
    .unwrap();
    assert_eq!(report.inserted(), (6 * POINTS) as u64);
    assert_eq!(
        report.stats.requests, 18,
        "three windows for each of six tokens"
    );
    let per_market: Vec<(String, u64)> = report
        .markets
        .iter()
        .map(|m| (m.market_id.to_string(), m.inserted()))
        .collect();
    assert_eq!(
        per_market,
        MARKETS.map(|m| (m.to_owned(), 2 * POINTS as u64))
    );
    assert_eq!(
        events.into_inner().unwrap(),
        [
            "planned 3 6".to_owned(),
            format!("101 yes +{POINTS}"),
            format!("101 no +{POINTS}"),
            format!("202 yes +{POINTS}"),
            format!("202 no +{POINTS}"),
            format!("303 yes +{POINTS}"),
            format!("303 no +{POINTS}"),
        ]
    );
    assert_stored_exactly(&db, &clob, &MARKETS).await;

    let again = run(&stores, &gamma, &url, &pg, Selection::Filtered)
        .await
        .unwrap();
    assert_eq!(again.inserted(), 0);
    assert_eq!(
        again.stats.requests, 0,
        "every token's span covers the range"
    );
    assert!(
        again
            .markets
            .iter()
            .flat_map(|m| &m.tokens)
            .all(|t| t.ranges.is_empty())
    );
    assert_eq!(clob.requests(), 18);
    assert_stored_exactly(&db, &clob, &MARKETS).await;

    // A later `--to` asks only for what came since.
    let later = FetchRequest {
        to: t0() + Span::days(DAYS) + Span::hours(3),
        ..request(Selection::Filtered)
    };
    let report = fetch_history(&stores, &gamma, &client(&url), &pg, &later, &|_| {})
        .await
        .unwrap();
    assert_eq!(report.stats.requests, 6, "one window for each token");
    let starts: Vec<i64> = clob.hits()[18..]
        .iter()
        .map(|h| h.start_ts.unwrap())
        .collect();
    assert!(
        starts
            .iter()
            .all(|s| *s == (t0() + Span::days(DAYS)).timestamp()),
        "{starts:?}"
    );
}

#[tokio::test]
async fn a_fetch_stopped_by_the_clob_going_away_completes_when_run_again() {
    let db = TestDb::create().await.unwrap();
    let pg = db.store();
    let stores = stores_with_filtered(&MARKETS).await;
    let (_dir, gamma) = gamma_with(&[]);
    // Two tokens (six requests) answered, then 503s.
    let (down, url) = clob_serving(
        &MARKETS,
        ClobBehaviour {
            down_from: Some(7),
            ..ClobBehaviour::default()
        },
    )
    .start()
    .await;
    let e = run(&stores, &gamma, &url, &pg, Selection::Filtered)
        .await
        .unwrap_err();
    match &e {
        HistoryError::Clob { market, token, .. } => {
            assert_eq!(market.as_str(), "202");
            assert_eq!(token.as_str(), tokens_of("202")[0]);
        }
        other => panic!("expected a CLOB error, got {other}"),
    }
    assert!(e.to_string().contains("503"), "{e}");
    assert_eq!(
        rows(&db).await,
        2 * POINTS as i64,
        "the tokens done are kept"
    );
    assert_eq!(
        down.requests(),
        9,
        "the seventh window and its retry, then stop"
    );

    let (clob, url) = clob_serving(&MARKETS, ClobBehaviour::default())
        .start()
        .await;
    let report = run(&stores, &gamma, &url, &pg, Selection::Filtered)
        .await
        .unwrap();
    assert_eq!(report.inserted(), (4 * POINTS) as u64);
    let asked: Vec<String> = clob
        .hits()
        .iter()
        .map(|h| h.token.clone().unwrap())
        .collect();
    assert!(
        !asked.iter().any(|t| tokens_of("101").contains(t)),
        "market 101 was complete: not asked again"
    );
    assert_eq!(clob.requests(), 12);
    assert_stored_exactly(&db, &clob, &MARKETS).await;
}

#[tokio::test]
async fn a_fetch_killed_midway_completes_when_run_again() {
    let db = TestDb::create().await.unwrap();
    let pg = db.store();
    let stores = stores_with_filtered(&MARKETS).await;
    let (dir, _) = gamma_with(&[]);
    let (clob, url) = clob_serving(&MARKETS, ClobBehaviour::default())
        .start()
        .await;

    // Killed (the task aborted) once three tokens are reported done.
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
    let task = {
        let (stores, pg, url) = (stores.clone(), pg.clone(), url.clone());
        let gamma = SnapshotSource::open(dir.path()).unwrap();
        tokio::spawn(async move {
            let progress = move |p: Progress<'_>| {
                if let Progress::Token(_) = p {
                    let _ = done_tx.send(());
                }
            };
            run_with(&stores, &gamma, &url, &pg, &progress).await
        })
    };
    for _ in 0..3 {
        done_rx.recv().await.unwrap();
    }
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let stored = rows(&db).await;
    assert!(
        stored >= 3 * POINTS as i64 && stored < 6 * POINTS as i64,
        "{stored}"
    );

    let gamma = SnapshotSource::open(dir.path()).unwrap();
    let report = run(&stores, &gamma, &url, &pg, Selection::Filtered)
        .await
        .unwrap();
    assert_eq!(report.inserted() as i64, 6 * POINTS as i64 - stored);
    assert_stored_exactly(&db, &clob, &MARKETS).await;
}

async fn run_with(
    stores: &Stores,
    source: &SnapshotSource,
    url: &str,
    pg: &PgStore,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<FetchReport, HistoryError> {
    fetch_history(
        stores,
        source,
        &client(url),
        pg,
        &request(Selection::Filtered),
        progress,
    )
    .await
}

#[tokio::test]
async fn held_and_named_markets_come_from_the_stores_or_gamma_and_the_rest_is_reported() {
    let db = TestDb::create().await.unwrap();
    let pg = db.store();
    let portfolio = testkit::sample_portfolio(2, 1);
    let open: Vec<String> = portfolio
        .open_positions()
        .map(|p| p.market_id.to_string())
        .collect();
    assert_eq!(open.len(), 2);
    let store = Arc::new(MemoryStore::new());
    store.save_portfolio(&portfolio).await.unwrap();
    // The first held market is among the filtered ones, the second only on
    // Gamma.
    store
        .save_filtered_markets(&[market(&open[0])])
        .await
        .unwrap();
    let stores = Stores::single(store);
    let (_dir, gamma) = gamma_with(&[market_json(&open[1], true), market_json("404", false)]);
    let served = [open[0].as_str(), open[1].as_str()];
    let (_clob, url) = clob_serving(
        &served,
        ClobBehaviour {
            // The CLOB refuses the second market's "no" token.
            refused: [tokens_of(&open[1])[1].clone()].into(),
            ..ClobBehaviour::default()
        },
    )
    .start()
    .await;

    let held = run(
        &stores,
        &gamma,
        &url,
        &pg,
        Selection::Held(PortfolioId::default()),
    )
    .await
    .unwrap();
    let ids: Vec<&str> = held.markets.iter().map(|m| m.market_id.as_str()).collect();
    assert_eq!(ids, served);
    assert!(held.skipped.is_empty());
    let failed: Vec<String> = held.failed().map(|t| t.token_id.to_string()).collect();
    assert_eq!(failed, [tokens_of(&open[1])[1].clone()]);
    assert_eq!(
        held.inserted(),
        3 * POINTS as u64,
        "the refused token aside"
    );

    let named = Selection::Markets(vec![
        MarketId::new(open[1].clone()),
        MarketId::new("404"),
        MarketId::new("999"),
        MarketId::new(open[1].clone()),
    ]);
    let report = run(&stores, &gamma, &url, &pg, named).await.unwrap();
    assert_eq!(report.markets.len(), 1, "each market once");
    assert_eq!(report.inserted(), 0, "stored by the held fetch");
    let skipped: Vec<(&str, bool)> = report
        .skipped
        .iter()
        .map(|s| (s.market_id.as_str(), s.reason.contains("clobTokenIds")))
        .collect();
    assert_eq!(skipped, [("404", true), ("999", false)]);
    assert_eq!(rows(&db).await, 3 * POINTS as i64);

    let empty = Stores::single(Arc::new(MemoryStore::new()));
    let e = run(
        &empty,
        &gamma,
        &url,
        &pg,
        Selection::Held(PortfolioId::default()),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, HistoryError::NoPortfolio(_)), "{e}");
    let backwards = FetchRequest {
        from: t0() + Span::days(1),
        to: t0(),
        ..request(Selection::Filtered)
    };
    let e = fetch_history(&empty, &gamma, &client(&url), &pg, &backwards, &|_| {})
        .await
        .unwrap_err();
    assert!(matches!(e, HistoryError::EmptyRange { .. }), "{e}");
}
