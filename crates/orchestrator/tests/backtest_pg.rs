//! `--source pg` moments (`backtest::pg::PgMoments`) on a test PostgreSQL
//! filled the way a user fills it: `history fetch` from the fake CLOB
//! (`testkit::clob`), market records from a cycle's sets, or only the
//! cycles' market snapshots. Each moment is asked what a cycle asks its
//! market source (`/events`, `/markets?id=`), and the answers are compared
//! with what the fake served.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use common::clob_history::{clob_client, market_json, tokens_of};
use domain::ports::{MarketStore, Stores};
use domain::{Market, MarketId, MarketSnapshot, Outcome, Price, PricePoint, TokenId};
use orchestrator::backtest::Moments;
use orchestrator::backtest::pg::PgMoments;
use orchestrator::history::{FetchRequest, Selection, fetch_history};
use polymarket_client::SnapshotSource;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::Arc;
use storage_pg::testing::TestDb;
use testkit::clob::{ClobBehaviour, FakeClob};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn at(minutes: i64) -> DateTime<Utc> {
    t0() + Span::minutes(minutes)
}

/// What one moment showed of one market.
#[derive(Clone, Debug, PartialEq)]
struct Seen {
    yes: Decimal,
    no: Decimal,
    closed: bool,
}

/// Every moment as `(time, market → what it showed)`, through the moment's
/// `/markets?id=` answer (closed ones asked for), checking that its
/// `/events` nest the open markets with the same prices.
async fn replay(
    moments: &mut PgMoments,
    ids: &[&str],
) -> Vec<(DateTime<Utc>, BTreeMap<String, Seen>)> {
    let ids: Vec<MarketId> = ids.iter().map(|id| MarketId::new(*id)).collect();
    let mut out = Vec::new();
    while let Some(moment) = moments.next_moment().await.unwrap() {
        let details = moment.source.fetch_markets(&ids, true).await.unwrap();
        let seen: BTreeMap<String, Seen> = details
            .markets
            .iter()
            .map(|m| (m.id.to_string(), seen_in(m)))
            .collect();
        let events = moment.source.fetch_active_events().await.unwrap();
        let nested: BTreeMap<String, Seen> = events
            .events
            .iter()
            .flat_map(|e| &e.markets)
            .map(|m| (m.id.to_string(), seen_in(m)))
            .collect();
        assert_eq!(nested, seen, "events nest the markets at {}", moment.time);
        out.push((moment.time, seen));
    }
    out
}

fn seen_in(m: &Market) -> Seen {
    Seen {
        yes: m.yes_price().unwrap().value(),
        no: m.no_price().unwrap().value(),
        closed: m.closed,
    }
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(&v.to_string()).unwrap()
}

/// The series of a token: `(minutes after t0, price)`.
fn series(points: &[(i64, &str)]) -> Vec<(i64, Value)> {
    points
        .iter()
        .map(|(m, p)| (at(*m).timestamp(), json!(p.parse::<f64>().unwrap())))
        .collect()
}

/// Market 303: resolved Yes (closed, prices 1/0).
fn resolved_json(id: &str) -> Value {
    let mut m = market_json(id, true);
    m["closed"] = json!(true);
    m["active"] = json!(false);
    m["acceptingOrders"] = json!(false);
    m["outcomePrices"] = json!("[\"1\", \"0\"]");
    m
}

/// An event nesting `markets`, as the raw set stores it.
fn event_json(id: &str, markets: &[Value]) -> Value {
    json!({
        "id": id,
        "title": format!("Event {id}"),
        "liquidity": 500000.0, "volume": 900000.0,
        "active": true, "closed": false,
        "endDate": "2026-02-08T12:00:00Z",
        "markets": markets,
    })
}

/// The fake CLOB's history, half-hourly at most:
/// - 101: yes and no every hour, 0–3 h;
/// - 202: only its yes token, at 0:30, 1:30 and 2:00 (no token served empty);
/// - 303: yes and no at 0 and 1 h, then resolved (its record is closed).
fn clob() -> FakeClob {
    let [y101, n101] = tokens_of("101");
    let [y202, _] = tokens_of("202");
    let [y303, n303] = tokens_of("303");
    FakeClob::new(ClobBehaviour::default())
        .with_series(
            &y101,
            series(&[(0, "0.41"), (60, "0.43"), (120, "0.47"), (180, "0.52")]),
        )
        .with_series(
            &n101,
            series(&[(0, "0.6"), (60, "0.56"), (120, "0.52"), (180, "0.47")]),
        )
        .with_series(&y202, series(&[(30, "0.2"), (90, "0.25"), (120, "0.31")]))
        .with_series(&y303, series(&[(0, "0.7"), (60, "0.9")]))
        .with_series(&n303, series(&[(0, "0.3"), (60, "0.1")]))
}

/// A database as `history fetch` leaves it: 101 and 202 among the stored
/// filtered markets; 303 resolved since the last cycle, which saw it open
/// in event 9 (its raw set), so only Gamma, asked by the fetch, knows it
/// resolved. Their history from `clob` from 0 to 3 h at 30-minute
/// fidelity.
async fn fetched(db: &TestDb, clob: FakeClob) -> Arc<FakeClob> {
    let pg = db.store();
    let filtered: Vec<Market> = ["101", "202"]
        .iter()
        .map(|id| domain::gamma::decode_market(&market_json(id, true)).unwrap())
        .collect();
    pg.save_filtered_markets(&filtered).await.unwrap();
    let raw = domain::gamma::decode_event(&event_json("9", &[market_json("303", true)]))
        .unwrap()
        .event;
    pg.save_raw_events(&[raw]).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("events.json"), "[]").unwrap();
    std::fs::write(
        dir.path().join("markets.json"),
        serde_json::to_vec(&json!([resolved_json("303")])).unwrap(),
    )
    .unwrap();
    let gamma = SnapshotSource::open(dir.path()).unwrap();
    let (clob, url) = clob.start().await;
    let stores = Stores::single(Arc::new(pg.clone()));
    let report = fetch_history(
        &stores,
        &gamma,
        &clob_client(&url),
        &pg,
        &FetchRequest {
            selection: Selection::Markets(["101", "202", "303"].map(MarketId::from).to_vec()),
            from: at(0),
            to: at(180),
            fidelity_minutes: 30,
        },
        &|_| {},
    )
    .await
    .unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.inserted(), 4 + 4 + 3 + 2 + 2);
    clob
}

/// A token's points as served.
type Series = Vec<(DateTime<Utc>, Decimal)>;

/// What the moments must show, from the fake's answers alone: every
/// distinct instant served; at each, every market served at or before it
/// with its last yes and no (a missing no is 1 − yes); 303 closed at 1/0
/// after its last point.
fn expected_from(
    clob: &FakeClob,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, BTreeMap<String, Seen>)> {
    let mut served: BTreeMap<(String, Outcome), Series> = BTreeMap::new();
    let mut instants = BTreeSet::new();
    for id in ["101", "202", "303"] {
        for (token, outcome) in tokens_of(id).iter().zip([Outcome::Yes, Outcome::No]) {
            let points = clob.expected(token, at(0).timestamp(), to.timestamp(), 30);
            for (t, p) in points {
                let t = Utc.timestamp_opt(t, 0).unwrap();
                instants.insert(t);
                served
                    .entry((id.to_owned(), outcome))
                    .or_default()
                    .push((t, dec(&p)));
            }
        }
    }
    let last_at = |id: &str, outcome, t| {
        served
            .get(&(id.to_owned(), outcome))
            .and_then(|ps| ps.iter().rev().find(|(pt, _)| *pt <= t).map(|(_, p)| *p))
    };
    let last_point_303 = served[&("303".to_owned(), Outcome::Yes)].last().unwrap().0;
    instants
        .into_iter()
        .map(|t| {
            let mut shown = BTreeMap::new();
            for id in ["101", "202", "303"] {
                let (yes, no) = (last_at(id, Outcome::Yes, t), last_at(id, Outcome::No, t));
                let seen = match (yes, no) {
                    _ if id == "303" && t > last_point_303 => Seen {
                        yes: Decimal::ONE,
                        no: Decimal::ZERO,
                        closed: true,
                    },
                    (Some(yes), Some(no)) => Seen {
                        yes,
                        no,
                        closed: false,
                    },
                    (Some(yes), None) => Seen {
                        yes,
                        no: Decimal::ONE - yes,
                        closed: false,
                    },
                    (None, Some(no)) => Seen {
                        yes: Decimal::ONE - no,
                        no,
                        closed: false,
                    },
                    (None, None) => continue,
                };
                shown.insert(id.to_owned(), seen);
            }
            (t, shown)
        })
        .collect()
}

#[tokio::test]
async fn moments_are_the_fetched_instants_with_each_markets_last_prices() {
    let db = TestDb::create().await.unwrap();
    let clob = fetched(&db, clob()).await;
    let pg = db.store();

    let mut moments = PgMoments::open(&pg, at(0), at(180)).await.unwrap();
    assert_eq!(moments.market_count(), 3);
    assert!(moments.unknown_markets().is_empty());
    assert!(
        moments.describe().starts_with("pg (3 markets"),
        "{}",
        moments.describe()
    );
    let got = replay(&mut moments, &["101", "202", "303"]).await;

    let times: Vec<DateTime<Utc>> = got.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        times,
        [0, 30, 60, 90, 120, 180].map(at),
        "the distinct instants served"
    );
    assert_eq!(got, expected_from(&clob, at(180)));
    // Spelled out for two moments: 202 has no no token, so its no is 1 − yes;
    // 303 resolved Yes after its last point at 1 h.
    assert_eq!(
        got[1].1["202"],
        Seen {
            yes: Decimal::new(2, 1),
            no: Decimal::new(8, 1),
            closed: false
        }
    );
    assert_eq!(
        got[2].1["303"],
        Seen {
            yes: Decimal::new(9, 1),
            no: Decimal::new(1, 1),
            closed: false
        }
    );
    assert_eq!(
        got[3].1["303"],
        Seen {
            yes: Decimal::ONE,
            no: Decimal::ZERO,
            closed: true
        }
    );
    assert_eq!(got[0].1.keys().collect::<Vec<_>>(), ["101", "303"]);
}

#[tokio::test]
async fn a_closed_market_at_the_end_of_its_history_settles_in_one_more_moment_at_to() {
    let db = TestDb::create().await.unwrap();
    fetched(&db, clob()).await;
    let pg = db.store();

    let mut moments = PgMoments::open_markets(&pg, Some(&[MarketId::new("303")]), at(0), at(300))
        .await
        .unwrap();
    let got = replay(&mut moments, &["303"]).await;
    let times: Vec<DateTime<Utc>> = got.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, [at(0), at(60), at(300)]);
    let last = &got[2].1["303"];
    assert!(last.closed);
    let record = domain::gamma::decode_market(&resolved_json("303")).unwrap();
    assert_eq!(
        (last.yes, last.no),
        (
            record.yes_price().unwrap().value(),
            record.no_price().unwrap().value()
        )
    );
    assert_eq!(
        record.resolution(),
        domain::Resolution::Settled {
            payout: [Price::ONE, Price::ZERO]
        }
    );
    // An open market ending its history gets no extra moment.
    let mut open_only = PgMoments::open_markets(&pg, Some(&[MarketId::new("101")]), at(0), at(300))
        .await
        .unwrap();
    assert_eq!(replay(&mut open_only, &["101"]).await.len(), 4);
}

#[tokio::test]
async fn a_range_selects_the_points_inside_it() {
    let db = TestDb::create().await.unwrap();
    let clob = fetched(&db, clob()).await;
    let pg = db.store();
    let mut moments = PgMoments::open(&pg, at(60), at(120)).await.unwrap();
    let got = replay(&mut moments, &["101", "202", "303"]).await;
    let times: Vec<DateTime<Utc>> = got.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, [at(60), at(90), at(120)]);
    // At 1 h only what is served from 1 h on is known: 202 appears at 1:30.
    assert_eq!(got[0].1.keys().collect::<Vec<_>>(), ["101", "303"]);
    let full = expected_from(&clob, at(180));
    assert_eq!(got[2].1["101"], full[4].1["101"]);
    assert_eq!(got[2].1["202"], full[4].1["202"]);
}

#[tokio::test]
async fn a_range_ending_before_a_resolved_markets_last_point_does_not_close_it() {
    let db = TestDb::create().await.unwrap();
    fetched(&db, clob()).await;
    let pg = db.store();
    // 303's points are at 0 and 1 h: up to 0:30 it is still trading.
    let mut moments = PgMoments::open(&pg, at(0), at(30)).await.unwrap();
    let got = replay(&mut moments, &["101", "202", "303"]).await;
    let times: Vec<DateTime<Utc>> = got.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, [at(0), at(30)], "and no closing moment");
    assert_eq!(
        got[1].1["303"],
        Seen {
            yes: Decimal::new(7, 1),
            no: Decimal::new(3, 1),
            closed: false
        }
    );
}

#[tokio::test]
async fn without_bounds_the_replay_runs_from_the_first_point_to_now() {
    let db = TestDb::create().await.unwrap();
    fetched(&db, clob()).await;
    let pg = db.store();
    let now = at(24 * 60);
    let mut moments = PgMoments::open_between(&pg, None, None, None, now)
        .await
        .unwrap();
    assert_eq!(
        moments.describe(),
        format!(
            "pg (3 markets, {} to {})",
            at(0).to_rfc3339(),
            now.to_rfc3339()
        )
    );
    let got = replay(&mut moments, &["101", "202", "303"]).await;
    let times: Vec<DateTime<Utc>> = got.iter().map(|(t, _)| *t).collect();
    // 303 shows closed from 1:30 on and 101 and 202 are open records whose
    // history just ends: no moment at `now` is owed.
    assert_eq!(times, [0, 30, 60, 90, 120, 180].map(at));
    let mut only_303 = PgMoments::open_between(&pg, Some(&[MarketId::new("303")]), None, None, now)
        .await
        .unwrap();
    let got = replay(&mut only_303, &["303"]).await;
    assert_eq!(got.last().unwrap().0, now, "it settles in a moment at now");
    assert!(got.last().unwrap().1["303"].closed);
}

#[tokio::test]
async fn history_without_a_stored_record_is_left_out_and_listed() {
    let db = TestDb::create().await.unwrap();
    fetched(&db, clob()).await;
    let pg = db.store();
    pg.insert_price_points(
        &MarketId::new("999"),
        Outcome::Yes,
        &TokenId::parse("9990001").unwrap(),
        &[PricePoint {
            t: at(45),
            p: Price::exact(Decimal::new(5, 1)).unwrap(),
        }],
    )
    .await
    .unwrap();
    let mut moments = PgMoments::open(&pg, at(0), at(180)).await.unwrap();
    assert_eq!(moments.unknown_markets(), [MarketId::new("999")]);
    let got = replay(&mut moments, &["101", "202", "303", "999"]).await;
    let times: Vec<DateTime<Utc>> = got.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        times,
        [0, 30, 60, 90, 120, 180].map(at),
        "no moment of its own"
    );
    assert!(got.iter().all(|(_, shown)| !shown.contains_key("999")));
}

#[tokio::test]
async fn an_empty_range_or_a_range_without_history_is_refused() {
    let db = TestDb::create().await.unwrap();
    let pg = db.store();
    let e = PgMoments::open(&pg, at(0), at(180)).await.err().unwrap();
    assert!(e.to_string().contains("history fetch"), "{e}");
    let e = PgMoments::open(&pg, at(180), at(0)).await.err().unwrap();
    assert!(e.to_string().contains("after"), "{e}");
}

/// A snapshot of market `id` at `t` as a cycle records it.
fn snapshot(id: &str, t: DateTime<Utc>, yes: &str, no: &str) -> MarketSnapshot {
    MarketSnapshot {
        market_id: MarketId::new(id),
        timestamp: t,
        yes_price: Some(Price::exact(Decimal::from_str(yes).unwrap()).unwrap()),
        no_price: Some(Price::exact(Decimal::from_str(no).unwrap()).unwrap()),
        liquidity: None,
        volume: None,
        volume_24hr: None,
        conviction: None,
    }
}

#[tokio::test]
async fn recorded_cycles_alone_are_moments_too() {
    let db = TestDb::create().await.unwrap();
    let pg = db.store();
    // 501 among the filtered markets, 502 only nested in a raw event.
    let filtered = domain::gamma::decode_market(&market_json("501", false)).unwrap();
    pg.save_filtered_markets(&[filtered]).await.unwrap();
    let raw = domain::gamma::decode_event(&event_json("7", &[market_json("502", false)]))
        .unwrap()
        .event;
    pg.save_raw_events(&[raw]).await.unwrap();
    pg.append_market_snapshots(&[
        snapshot("501", at(0), "0.3", "0.7"),
        snapshot("502", at(0), "0.8", "0.2"),
        snapshot("501", at(15), "0.35", "0.65"),
        snapshot("502", at(30), "0.75", "0.25"),
    ])
    .await
    .unwrap();

    let mut moments = PgMoments::open(&pg, at(0), at(60)).await.unwrap();
    let got = replay(&mut moments, &["501", "502"]).await;
    let times: Vec<DateTime<Utc>> = got.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, [at(0), at(15), at(30)]);
    let shown = |i: usize, id: &str| {
        let s: &Seen = &got[i].1[id];
        (
            s.yes.normalize().to_string(),
            s.no.normalize().to_string(),
            s.closed,
        )
    };
    assert_eq!(shown(0, "501"), ("0.3".into(), "0.7".into(), false));
    assert_eq!(shown(1, "501"), ("0.35".into(), "0.65".into(), false));
    assert_eq!(
        shown(1, "502"),
        ("0.8".into(), "0.2".into(), false),
        "its last snapshot"
    );
    assert_eq!(shown(2, "502"), ("0.75".into(), "0.25".into(), false));
}

/// A whole backtest over `PgMoments`.
mod with_the_engine {
    use super::*;
    use orchestrator::backtest::run_backtest;

    #[tokio::test]
    async fn a_backtest_over_the_fetched_history_trades_and_settles_the_resolved_market() {
        let db = TestDb::create().await.unwrap();
        fetched(&db, clob()).await;
        let pg = db.store();
        let mut moments = PgMoments::open(&pg, at(0), at(180)).await.unwrap();
        let report = run_backtest(&mut moments, &common::backtest_config(&["most_likely"]))
            .await
            .unwrap();
        let most_likely = &report.strategies[0];
        // At 0 h: 101's no (0.6) and 303's yes (0.7) are above 0.5; 202's
        // yes at 0.2 (no 0.8) from 0:30.
        assert_eq!(most_likely.trades, 3, "{most_likely:?}");
        // 303 resolved Yes after 1 h: its yes shares, bought at 0.7, pay 1.
        assert!(most_likely.brier.is_some(), "a position settled");
        assert!(most_likely.realized_pnl.is_positive(), "{most_likely:?}");
    }

    /// `prescient backtest --source pg` on the same database: four
    /// strategies side by side, `most_likely` with the figures of the
    /// library run above, byte-identical on a rerun, and no row changed.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_command_backtests_four_strategies_on_the_fetched_history() {
        let db = TestDb::create().await.unwrap();
        fetched(&db, clob()).await;
        let pg = db.store();
        let mut moments = PgMoments::open(&pg, at(0), at(180)).await.unwrap();
        let expected = run_backtest(&mut moments, &common::backtest_config(&["most_likely"]))
            .await
            .unwrap();
        let points = || async {
            use futures_util::StreamExt;
            let ids: Vec<MarketId> = ["101", "202", "303"].map(MarketId::new).to_vec();
            pg.price_history(&ids, at(-10_000), at(10_000))
                .map(|p| p.unwrap())
                .collect::<Vec<_>>()
                .await
        };
        let before = points().await;
        assert!(!before.is_empty());
        let tables = common::db_rows::row_counts(&db).await;
        let run = || {
            let cwd = tempfile::tempdir().unwrap();
            let out = common::prescient_in(cwd.path())
                .env("DATABASE_URL", db.url())
                .args([
                    "backtest",
                    "--json",
                    "--source",
                    "pg",
                    "--strategies",
                    "most_likely,favourite_band,longshot_fade,near_resolution",
                    "--from",
                    &at(0).to_rfc3339(),
                    "--to",
                    &at(180).to_rfc3339(),
                ])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        let first = run();
        assert_eq!(first, run(), "byte-identical reruns");
        let report: serde_json::Value = serde_json::from_slice(&first).unwrap();
        let rows = report["strategies"].as_array().unwrap();
        let names: Vec<&str> = rows
            .iter()
            .map(|r| r["strategy"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "most_likely",
                "favourite_band",
                "longshot_fade",
                "near_resolution"
            ]
        );
        let ml = &rows[0];
        let want = &expected.strategies[0];
        assert_eq!(ml["trades"], json!(want.trades));
        assert_eq!(
            ml["final_value"].to_string().parse::<Decimal>().unwrap(),
            want.final_value.value()
        );
        assert_eq!(
            ml["equity"].as_array().unwrap().len(),
            want.equity.points().len()
        );
        assert_eq!(points().await, before, "the history is unchanged");
        assert_eq!(
            common::db_rows::row_counts(&db).await,
            tables,
            "no table changed"
        );
    }
}
