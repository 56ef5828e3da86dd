//! The phase-5 read gate ("PostgreSQL at least as fast as JSON", the goal
//! being 10×) and the speed of bulk inserts: both stores hold the same
//! generated trades (`support::bench_trades`) and answer the same four
//! queries in the same run, so their ratio is measured, not compared across
//! runs.
//!
//! Sizes: `PRESCIENT_BENCH_SIZES` (comma-separated trade counts, default
//! `1000`; e.g. `1000,100000,1000000`). Each size gets its own test database
//! (`DATABASE_URL` server, see `storage_pg::testing::TestDb`), filled through
//! `COPY`, and its own JSON data directory, written directly.
//!
//! Shaped like use: markets ≈ trades / 20 (`support::TRADES_PER_MARKET`), an
//! hourly history of a month (720 entries), portfolios of 100 and 10,000
//! open positions. Criterion ids `pg_reads/<query>/<size>`, queries for
//! `pg_` and `json_`, each the port calls an API handler makes:
//! - `load_portfolio_<open>`: `GET /paper-trading/portfolio`;
//! - `trades_page_50`: `trades-history?limit=50` (count + newest 50);
//! - `trades_by_market`: the same for one market (count + newest 50);
//! - `performance_summary_<open>`: `GET /trading/performance-summary`'s reads
//!   (portfolio, trades of its open positions, count, history summary);
//! - `full_trade_history`: `load_trades`, every trade.
//!
//! The two paged reads are also timed call by call on PostgreSQL
//! (`pg_<query>_p99/<size>`, seconds).
//!
//! Then, timed directly (a 1M-row insert is too slow for criterion's ten
//! samples): `bulk_insert_trades` of `size` rows into an empty table vs the
//! same rows through psql's `\copy … FROM STDIN`, the ceiling for a backfill.
//!
//! Last, one market's price history out of `PRESCIENT_BENCH_SNAPSHOT_ROWS`
//! market snapshots (default 1M; 720 a market), timed call by call
//! (`pg_market_history/<rows>`, `…_p99/<rows>`).
//!
//! Medians go to `target/bench-results/pg_vs_json.json` (`<id>/<size>` in
//! seconds; `bulk_insert_rows_per_s/<size>`, `copy_rows_per_s/<size>`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../xtask/src/bench/results.rs"]
mod results;
mod support;

use criterion::{BenchmarkId, Criterion, SamplingMode};
use domain::ports::{HistoryStore, MarketStore, PortfolioStore, TradeStore};
use domain::{Portfolio, PortfolioId, TradeId, Usd};
use results::{Results, per_iteration};
use sea_orm::ConnectionTrait;
use std::time::{Duration, Instant};
use storage_json::{JsonStore, JsonStoreOptions};
use storage_pg::PgStore;
use storage_pg::testing::TestDb;
use tokio::runtime::Runtime;

const QUERIES: [&str; 5] = [
    "load_portfolio",
    "trades_page_50",
    "trades_by_market",
    "performance_summary",
    "full_trade_history",
];

/// Open positions of the two portfolios each size is measured with.
const PORTFOLIOS: [u32; 2] = [100, 10_000];

/// Calls timed one by one for the p99 of the paged reads.
const P99_CALLS: usize = 200;

/// The 99th percentile of calls timed one by one (sorts them).
fn p99(each: &mut [f64]) -> f64 {
    each.sort_by(f64::total_cmp);
    each[(each.len() * 99).div_ceil(100) - 1]
}

/// A portfolio of `open` open positions on the first `open` trades.
fn bench_portfolio(open: u32) -> Portfolio {
    let mut p = testkit::sample_portfolio(0, 0);
    p.positions = (0..open).map(testkit::sample_position).collect();
    let invested: Usd = p.positions.iter().map(|x| x.amount).sum();
    p.initial_balance = invested + Usd::from_int(10_000);
    p.balance = Usd::from_int(10_000);
    p.total_invested = invested;
    p.total_profit_loss = p.realized_pnl() + p.unrealized_pnl();
    p.trade_count = u64::from(open);
    p.check_invariant()
        .expect("bench portfolio keeps the invariant");
    p
}

/// One query on one store, as the API asks it (`/paper-trading/portfolio`,
/// `trades-history?limit=50`, the same for one market, the reads of
/// `/trading/performance-summary`, every trade).
async fn query<S: PortfolioStore + TradeStore + HistoryStore>(
    store: &S,
    which: &str,
    size: u32,
) -> usize {
    let id = PortfolioId::default();
    match which {
        "load_portfolio" => store
            .load_portfolio(&id)
            .await
            .unwrap()
            .map_or(0, |p| p.positions.len()),
        "trades_page_50" => {
            let total = store.count_trades(&id, None).await.unwrap();
            total as usize + store.trades_page(&id, None, 0, 50).await.unwrap().len()
        }
        "trades_by_market" => {
            let market = support::bench_market(size / 2);
            let total = store.count_trades(&id, Some(&market)).await.unwrap();
            total as usize
                + store
                    .trades_page(&id, Some(&market), 0, 50)
                    .await
                    .unwrap()
                    .len()
        }
        "performance_summary" => {
            let p = store.load_portfolio(&id).await.unwrap().unwrap();
            let open: Vec<TradeId> = p.open_positions().map(|x| x.trade_id.clone()).collect();
            let trades = store.trade_events(&id, &open).await.unwrap();
            let total = store.count_trades(&id, None).await.unwrap();
            let history = store.history_summary(&id).await.unwrap();
            trades.len() + total as usize + history.max_drawdown.entries
        }
        "full_trade_history" => store.load_trades(&id).await.unwrap().len(),
        other => unreachable!("unknown query {other}"),
    }
}

/// Criterion id and results key of `q` with a portfolio of `open` positions
/// (only the portfolio reads depend on it).
fn name(q: &str, open: u32) -> String {
    match q {
        "load_portfolio" | "performance_summary" => format!("{q}_{open}"),
        _ => q.to_owned(),
    }
}

fn reads(c: &mut Criterion, rt: &Runtime, size: u32, out: &mut Results) {
    let db = rt.block_on(TestDb::create()).unwrap();
    let pg = db.store();
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let json = rt.block_on(async {
        support::copy_in(db.url(), &support::csv(&support::bench_trades(size)));
        db.connection()
            .execute_unprepared("ANALYZE trades")
            .await
            .unwrap();
        support::write_json_trades(tmp.path(), size).await;
        let json = JsonStore::open(tmp.path(), JsonStoreOptions::default()).unwrap();
        // An hourly history of a month.
        for n in 0..720 {
            let e = testkit::sample_history_entry(n);
            pg.append_history_entry(&e).await.unwrap();
            json.append_history_entry(&e).await.unwrap();
        }
        json
    });
    eprintln!(
        "generated {size} trades (PostgreSQL and JSON) in {:.1?}",
        started.elapsed()
    );
    let expected = rt.block_on(query(&pg, "full_trade_history", size));
    assert_eq!(expected, size as usize);
    assert_eq!(
        rt.block_on(query(&json, "full_trade_history", size)),
        expected
    );

    let mut group = c.benchmark_group("pg_reads");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    if size >= 100_000 {
        group.sampling_mode(SamplingMode::Flat);
    }
    for open in PORTFOLIOS {
        let portfolio = bench_portfolio(open);
        rt.block_on(async {
            pg.save_portfolio(&portfolio).await.unwrap();
            json.save_portfolio(&portfolio).await.unwrap();
        });
        for q in QUERIES {
            let key = name(q, open);
            if open != PORTFOLIOS[0] && key == q {
                continue; // measured with the first portfolio
            }
            assert_eq!(
                rt.block_on(query(&pg, q, size)),
                rt.block_on(query(&json, q, size)),
                "{key}: the same answer from both stores"
            );
            let mut samples = Vec::new();
            group.bench_function(BenchmarkId::new(format!("pg_{key}"), size), |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        std::hint::black_box(rt.block_on(query(&pg, q, size)));
                    }
                    per_iteration(&mut samples, iters, start.elapsed())
                })
            });
            out.set_median(format!("pg_{key}/{size}"), &std::mem::take(&mut samples));
            group.bench_function(BenchmarkId::new(format!("json_{key}"), size), |b| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    for _ in 0..iters {
                        std::hint::black_box(rt.block_on(query(&json, q, size)));
                    }
                    per_iteration(&mut samples, iters, start.elapsed())
                })
            });
            out.set_median(format!("json_{key}/{size}"), &samples);
            if key != q {
                // The first read after a write: a store that has decoded
                // nothing yet (what `load_portfolio` does when the
                // portfolio's version moved).
                group.bench_function(BenchmarkId::new(format!("pg_{key}_cold"), size), |b| {
                    b.iter_custom(|iters| {
                        let start = Instant::now();
                        for _ in 0..iters {
                            let cold = PgStore::from_connection(
                                pg.connection().clone(),
                                pg.config().clone(),
                            );
                            std::hint::black_box(rt.block_on(query(&cold, q, size)));
                        }
                        per_iteration(&mut samples, iters, start.elapsed())
                    })
                });
                out.set_median(format!("pg_{key}_cold/{size}"), &samples);
            }
            if matches!(q, "trades_page_50" | "trades_by_market") {
                let mut each: Vec<f64> = (0..P99_CALLS)
                    .map(|_| {
                        let start = Instant::now();
                        std::hint::black_box(rt.block_on(query(&pg, q, size)));
                        start.elapsed().as_secs_f64()
                    })
                    .collect();
                let p99 = p99(&mut each);
                eprintln!("pg_{key}/{size}: p99 {:.2} ms", p99 * 1e3);
                out.set(format!("pg_{key}_p99/{size}"), p99);
            }
        }
    }
    group.finish();
}

fn bulk_insert(rt: &Runtime, size: u32, out: &mut Results) {
    let db = rt.block_on(TestDb::create()).unwrap();
    let store = db.store();
    let rows = support::bench_trades(size);
    let csv = support::csv(&rows);
    let truncate = || {
        rt.block_on(
            db.connection()
                .execute_unprepared("TRUNCATE trades CASCADE"),
        )
        .unwrap();
    };
    let runs = if size >= 1_000_000 { 1 } else { 3 };
    let (mut bulk, mut copy) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        truncate();
        let start = Instant::now();
        rt.block_on(store.bulk_insert_trades(&rows)).unwrap();
        bulk.push(start.elapsed().as_secs_f64());
        truncate();
        let start = Instant::now();
        support::copy_in(db.url(), &csv);
        copy.push(start.elapsed().as_secs_f64());
    }
    let (bulk, copy) = (
        results::median(&bulk).unwrap(),
        results::median(&copy).unwrap(),
    );
    let n = f64::from(size);
    eprintln!(
        "pg_bulk/{size}: bulk_insert_trades {:.0} rows/s, COPY {:.0} rows/s (median of {runs})",
        n / bulk,
        n / copy
    );
    out.set(format!("bulk_insert_rows_per_s/{size}"), n / bulk);
    out.set(format!("copy_rows_per_s/{size}"), n / copy);
}

/// Hours of price history per market in the generated `market_snapshots`:
/// a month of hourly crawls.
const SNAPSHOTS_PER_MARKET: u64 = 720;

/// One market's price history out of `rows` market snapshots (issue #12:
/// < 10 ms at 10M rows): `rows` generated in PostgreSQL (`generate_series`,
/// 720 hourly snapshots per market), then `load_market_snapshots(market)`
/// timed call by call. PostgreSQL only: the JSON store reads its whole
/// series file for any market.
fn market_history(rt: &Runtime, rows: u64, out: &mut Results) {
    let db = rt.block_on(TestDb::create()).unwrap();
    let pg = db.store();
    let markets = rows.div_ceil(SNAPSHOTS_PER_MARKET).max(1);
    let started = Instant::now();
    rt.block_on(async {
        db.connection()
            .execute_unprepared(&format!(
                "INSERT INTO market_snapshots (market_id, timestamp, yes_price, no_price, \
                 liquidity, volume, volume24hr, market_conviction) \
                 SELECT 'bench-' || (g % {markets}), \
                 timestamp with time zone '2026-01-01 00:00:00+00' + (g / {markets}) * interval '1 hour', \
                 0.5 + (g % 400) / 1000.0, 0.5 - (g % 400) / 1000.0, 1000, 2000, 300, (g % 400) / 500.0 \
                 FROM generate_series(0, {last}) AS g",
                last = rows - 1
            ))
            .await
            .unwrap();
        db.connection()
            .execute_unprepared("ANALYZE market_snapshots")
            .await
            .unwrap();
    });
    eprintln!(
        "generated {rows} market snapshots over {markets} markets in {:.1?}",
        started.elapsed()
    );
    let k = markets / 2;
    let market = domain::MarketId::new(format!("bench-{k}"));
    // Rows g with g % markets == k.
    let expected = usize::try_from(rows / markets + u64::from(k < rows % markets)).unwrap();
    let mut each: Vec<f64> = (0..P99_CALLS)
        .map(|_| {
            let start = Instant::now();
            let got = rt
                .block_on(pg.load_market_snapshots(Some(&market)))
                .unwrap();
            let elapsed = start.elapsed().as_secs_f64();
            assert_eq!(got.len(), expected, "one market's whole history");
            elapsed
        })
        .collect();
    let p99 = p99(&mut each);
    let median = results::median(&each).unwrap();
    eprintln!(
        "pg_market_history/{rows}: {expected} snapshots, median {:.2} ms, p99 {:.2} ms",
        median * 1e3,
        p99 * 1e3
    );
    out.set(format!("pg_market_history/{rows}"), median);
    out.set(format!("pg_market_history_p99/{rows}"), p99);
    out.set(format!("market_history_points/{rows}"), expected as f64);
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let rt = Runtime::new().unwrap();
    let mut out = Results::default();
    for size in results::sizes(&[1_000]) {
        reads(&mut c, &rt, size, &mut out);
        bulk_insert(&rt, size, &mut out);
    }
    // `PRESCIENT_BENCH_SNAPSHOT_ROWS` (default 1M; xtask's `--full` 10M;
    // 0 leaves it out).
    let snapshot_rows = std::env::var("PRESCIENT_BENCH_SNAPSHOT_ROWS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1_000_000);
    if snapshot_rows > 0 {
        market_history(&rt, snapshot_rows, &mut out);
    }
    c.final_summary();
    let dir = results::dir_for(env!("CARGO_MANIFEST_DIR"));
    let path = out.write(&dir, "pg_vs_json").unwrap();
    eprintln!("results: {}", path.display());
}
