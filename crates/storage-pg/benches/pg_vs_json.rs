//! PostgreSQL side of the phase-5 read gate ("read benchmark at least as fast
//! as JSON") and of the backfill speed: the JSON side is measured by
//! `storage-json`'s bench with the same names, sizes and sample records
//! (`testkit::sample_trade`), so the two reports line up.
//!
//! Sizes: `PRESCIENT_BENCH_SIZES` (comma-separated trade counts, default
//! `1000`; e.g. `1000,100000,1000000`). Each size gets its own test database
//! (`DATABASE_URL` server, see `storage_pg::testing::TestDb`).
//!
//! Groups (criterion ids `group/size`):
//! - `pg_load_portfolio`: `load_portfolio` of a 100-position portfolio;
//! - `pg_trades_by_market`: `trades_for_market` (a third of the trades);
//! - `pg_recent_trades_100`: `recent_trades(…, 100)`;
//! - `pg_full_trade_history`: `load_trades`, every trade;
//! - `pg_bulk_insert`: `bulk_insert_trades` of `size` rows (throughput in
//!   rows/s) vs `pg_copy`: the same rows through `COPY trades FROM STDIN`
//!   (psql), the ceiling for a backfill.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use domain::ports::{PortfolioStore, TradeStore};
use domain::{PortfolioId, Trade};
use sea_orm::ConnectionTrait;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;
use storage_pg::testing::TestDb;
use tokio::runtime::Runtime;

fn sizes() -> Vec<u32> {
    std::env::var("PRESCIENT_BENCH_SIZES")
        .unwrap_or_else(|_| "1000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn trades(n: u32) -> Vec<Trade> {
    (0..n).map(testkit::sample_trade).collect()
}

fn reads(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let id = PortfolioId::default();
    for size in sizes() {
        let db = rt.block_on(TestDb::create()).unwrap();
        let store = db.store();
        rt.block_on(async {
            store.bulk_insert_trades(&trades(size)).await.unwrap();
            store
                .save_portfolio(&testkit::sample_portfolio(60, 40))
                .await
                .unwrap();
        });
        let market = testkit::sample_market_id(1);
        let mut group = c.benchmark_group("pg_reads");
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(5));
        group.bench_function(BenchmarkId::new("pg_load_portfolio", size), |b| {
            b.iter(|| rt.block_on(store.load_portfolio(&id)).unwrap())
        });
        group.bench_function(BenchmarkId::new("pg_trades_by_market", size), |b| {
            b.iter(|| rt.block_on(store.trades_for_market(&id, &market)).unwrap())
        });
        group.bench_function(BenchmarkId::new("pg_recent_trades_100", size), |b| {
            b.iter(|| rt.block_on(store.recent_trades(&id, 100)).unwrap())
        });
        group.bench_function(BenchmarkId::new("pg_full_trade_history", size), |b| {
            b.iter(|| rt.block_on(store.load_trades(&id)).unwrap())
        });
        group.finish();
        drop(store);
        drop(db);
    }
}

/// One trade as a `COPY … (FORMAT csv)` line: unquoted empty is NULL.
fn csv_line(t: &Trade, out: &mut String) {
    fn q(out: &mut String, s: &str) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    }
    fn opt(out: &mut String, s: Option<String>) {
        if let Some(s) = s {
            q(out, &s);
        }
    }
    let fields: Vec<Option<String>> = vec![
        Some(t.portfolio_id.to_string()),
        Some(t.trade_id.to_string()),
        Some(t.timestamp.to_rfc3339()),
        Some(t.market_id.to_string()),
        Some(t.market_question.clone()),
        Some(t.action.as_str().into()),
        t.outcome.clone(),
        Some(t.amount.value().to_string()),
        Some(t.entry_price.value().to_string()),
        Some(t.shares.value().to_string()),
        Some(t.confidence.to_string()),
        t.reason.clone(),
        Some(t.status.as_str().into()),
        t.event_id.as_ref().map(ToString::to_string),
        t.event_title.clone(),
        t.event_end_date.map(|d| d.to_rfc3339()),
        t.current_pnl.map(|u| u.value().to_string()),
        t.realized_pnl.map(|u| u.value().to_string()),
        Some(serde_json::Value::Object(t.extra.clone()).to_string()),
    ];
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        opt(out, f);
    }
    out.push('\n');
}

fn copy_in(url: &str, csv: &str) {
    let mut child = Command::new("psql")
        .args([url, "-q", "-v", "ON_ERROR_STOP=1", "-c"])
        .arg(
            "\\copy trades (portfolio_id, trade_id, timestamp, market_id, market_question, action, \
             outcome, amount, entry_price, shares, confidence, reason, status, event_id, \
             event_title, event_end_date, current_pnl, realized_pnl, extra) FROM STDIN WITH (FORMAT csv)",
        )
        .stdin(Stdio::piped())
        .spawn()
        .expect("psql on PATH");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(csv.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "COPY failed");
}

fn bulk_insert(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    for size in sizes() {
        let db = rt.block_on(TestDb::create()).unwrap();
        let store = db.store();
        let rows = trades(size);
        let mut csv = String::new();
        rows.iter().for_each(|t| csv_line(t, &mut csv));
        let truncate = || {
            rt.block_on(
                db.connection()
                    .execute_unprepared("TRUNCATE trades CASCADE"),
            )
            .unwrap();
        };
        let mut group = c.benchmark_group("pg_bulk");
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(10))
            .throughput(Throughput::Elements(u64::from(size)));
        group.bench_function(BenchmarkId::new("pg_bulk_insert", size), |b| {
            b.iter_batched(
                truncate,
                |()| rt.block_on(store.bulk_insert_trades(&rows)).unwrap(),
                criterion::BatchSize::PerIteration,
            )
        });
        group.bench_function(BenchmarkId::new("pg_copy", size), |b| {
            b.iter_batched(
                truncate,
                |()| copy_in(db.url(), &csv),
                criterion::BatchSize::PerIteration,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, reads, bulk_insert);
criterion_main!(benches);
