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
//! Criterion ids `pg_reads/<query>/<size>`, queries for `pg_` and `json_`:
//! - `load_portfolio`: `load_portfolio` of a 100-position portfolio;
//! - `trades_by_market`: `trades_for_market` (a third of the trades; the JSON
//!   store loads every trade and filters);
//! - `recent_trades_100`: `recent_trades(…, 100)` (JSON: load all, take 100);
//! - `full_trade_history`: `load_trades`, every trade.
//!
//! Then, timed directly (a 1M-row insert is too slow for criterion's ten
//! samples): `bulk_insert_trades` of `size` rows into an empty table vs the
//! same rows through psql's `\copy … FROM STDIN`, the ceiling for a backfill.
//!
//! Medians go to `target/bench-results/pg_vs_json.json` (`<id>/<size>` in
//! seconds; `bulk_insert_rows_per_s/<size>`, `copy_rows_per_s/<size>`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../xtask/src/bench/results.rs"]
mod results;
mod support;

use criterion::{BenchmarkId, Criterion, SamplingMode};
use domain::PortfolioId;
use domain::ports::{PortfolioStore, TradeStore};
use results::{Results, per_iteration};
use sea_orm::ConnectionTrait;
use std::time::{Duration, Instant};
use storage_json::{JsonStore, JsonStoreOptions};
use storage_pg::testing::TestDb;
use tokio::runtime::Runtime;

const QUERIES: [&str; 4] = [
    "load_portfolio",
    "trades_by_market",
    "recent_trades_100",
    "full_trade_history",
];

/// One query on one store.
async fn query<S: PortfolioStore + TradeStore>(store: &S, which: &str) -> usize {
    let id = PortfolioId::default();
    match which {
        "load_portfolio" => store
            .load_portfolio(&id)
            .await
            .unwrap()
            .map_or(0, |p| p.positions.len()),
        "trades_by_market" => store
            .trades_for_market(&id, &testkit::sample_market_id(1))
            .await
            .unwrap()
            .len(),
        "recent_trades_100" => store.recent_trades(&id, 100).await.unwrap().len(),
        "full_trade_history" => store.load_trades(&id).await.unwrap().len(),
        other => unreachable!("unknown query {other}"),
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
        let portfolio = testkit::sample_portfolio(60, 40);
        pg.save_portfolio(&portfolio).await.unwrap();
        support::write_json_trades(tmp.path(), size).await;
        let json = JsonStore::open(tmp.path(), JsonStoreOptions::default()).unwrap();
        json.save_portfolio(&portfolio).await.unwrap();
        json
    });
    eprintln!(
        "generated {size} trades (PostgreSQL and JSON) in {:.1?}",
        started.elapsed()
    );
    let expected = rt.block_on(query(&pg, "full_trade_history"));
    assert_eq!(expected, size as usize);
    assert_eq!(rt.block_on(query(&json, "full_trade_history")), expected);

    let mut group = c.benchmark_group("pg_reads");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    if size >= 100_000 {
        group.sampling_mode(SamplingMode::Flat);
    }
    for q in QUERIES {
        let mut samples = Vec::new();
        group.bench_function(BenchmarkId::new(format!("pg_{q}"), size), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(rt.block_on(query(&pg, q)));
                }
                per_iteration(&mut samples, iters, start.elapsed())
            })
        });
        out.set_median(format!("pg_{q}/{size}"), &std::mem::take(&mut samples));
        group.bench_function(BenchmarkId::new(format!("json_{q}"), size), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(rt.block_on(query(&json, q)));
                }
                per_iteration(&mut samples, iters, start.elapsed())
            })
        });
        out.set_median(format!("json_{q}/{size}"), &samples);
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

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let rt = Runtime::new().unwrap();
    let mut out = Results::default();
    for size in results::sizes(&[1_000]) {
        reads(&mut c, &rt, size, &mut out);
        bulk_insert(&rt, size, &mut out);
    }
    c.final_summary();
    let dir = results::dir_for(env!("CARGO_MANIFEST_DIR"));
    let path = out.write(&dir, "pg_vs_json").unwrap();
    eprintln!("results: {}", path.display());
}
