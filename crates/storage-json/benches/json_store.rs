//! JSON store benchmarks (SPEC §4: one append costs the same at 100 records
//! as at 1,000,000): append one trade to `paper_trades.json` in steady state
//! (key index already built), and load the portfolio and the full trade
//! history, at 1k, 100k and 1M existing trades.
//!
//! `PRESCIENT_BENCH_SIZES=1000,100000` overrides the sizes (smoke runs).
//! Files are generated directly in the original's pretty layout, not through
//! a million appends. The medians go to `target/bench-results/json_store.json`
//! (`append_trade/<n>`, `load_portfolio/<n>`, `load_trades/<n>`, seconds) for
//! `cargo xtask bench`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../xtask/src/bench/results.rs"]
mod results;

use criterion::{BenchmarkId, Criterion, SamplingMode};
use domain::PortfolioId;
use domain::ports::{PortfolioStore, TradeStore};
use results::{Results, per_iteration};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};
use storage_json::{JsonStore, JsonStoreOptions};
use tokio::runtime::Runtime;

fn sizes() -> Vec<usize> {
    results::sizes(&[1_000, 100_000, 1_000_000])
        .into_iter()
        .map(|n| n as usize)
        .collect()
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A Python-era trade record, as `json.dump(indent=2)` laid it out.
fn write_trade(out: &mut impl Write, n: usize, last: bool) -> std::io::Result<()> {
    let market = 540_200 + n % 50;
    write!(
        out,
        "  {{\n    \"trade_id\": \"trade_bench_{n:08}_{market}\",\n    \"timestamp\": \"2025-10-20T17:02:45.884042\",\n    \"market_id\": \"{market}\",\n    \"market_question\": \"Will benchmark market {market} resolve Yes?\",\n    \"action\": \"buy_yes\",\n    \"amount\": 100,\n    \"entry_price\": 0.86,\n    \"confidence\": 0.36,\n    \"reason\": \"YES price 0.860 > 0.50, buying YES at 0.860\",\n    \"status\": \"open\",\n    \"event_id\": null,\n    \"event_title\": null,\n    \"event_end_date\": null,\n    \"current_pnl\": 0.0,\n    \"realized_pnl\": null\n  }}{}\n",
        if last { "" } else { "," }
    )
}

/// `paper_trades.json` with `n` trades and `portfolio.json` with `n` open
/// positions (the original never pruned positions: one per trade).
fn generate(dir: &Path, n: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("trades"))?;
    let mut trades = BufWriter::new(std::fs::File::create(dir.join("trades/paper_trades.json"))?);
    trades.write_all(b"[\n")?;
    for i in 0..n {
        write_trade(&mut trades, i, i + 1 == n)?;
    }
    trades.write_all(b"]\n")?;
    trades.flush()?;

    let mut p = BufWriter::new(std::fs::File::create(dir.join("trades/portfolio.json"))?);
    let balance = 1_000_000_000u64 - 100 * n as u64;
    write!(p, "{{\n  \"balance\": {balance}.0,\n  \"positions\": [\n")?;
    for i in 0..n {
        let market = 540_200 + i % 50;
        write!(
            p,
            "    {{\n      \"trade_id\": \"trade_bench_{i:08}_{market}\",\n      \"market_id\": \"{market}\",\n      \"market_question\": \"Will benchmark market {market} resolve Yes?\",\n      \"action\": \"buy_yes\",\n      \"amount\": 100,\n      \"entry_price\": 0.86,\n      \"entry_timestamp\": \"2025-10-20T17:02:45.884042\",\n      \"status\": \"open\",\n      \"current_pnl\": 0.0\n    }}{}\n",
            if i + 1 == n { "" } else { "," }
        )?;
    }
    write!(
        p,
        "  ],\n  \"total_invested\": {}.0,\n  \"total_profit_loss\": 0.0,\n  \"trade_count\": {n},\n  \"created_at\": \"2025-10-20T09:00:00\",\n  \"last_updated\": \"2025-10-20T17:02:46.001234\"\n}}\n",
        100 * n as u64
    )?;
    p.flush()
}

fn bench(c: &mut Criterion, out: &mut Results) {
    let rt = runtime();
    for n in sizes() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let started = Instant::now();
        generate(&dir, n).unwrap();
        eprintln!("generated {n} trades in {:?}", started.elapsed());
        let store = JsonStore::open(&dir, JsonStoreOptions::default()).unwrap();
        let id = PortfolioId::default();
        let mut next = 0u32;
        let mut fresh_trade = || {
            next += 1;
            let mut t = testkit::sample_trade(next);
            t.trade_id = format!("trade_bench_append_{next:08}").into();
            t
        };
        // Build the key index (the one O(n) scan) before measuring.
        rt.block_on(store.append_trade(&fresh_trade())).unwrap();

        let big = n >= 100_000;
        let mut group = c.benchmark_group("json_store");
        if big {
            group.sample_size(10);
            group.measurement_time(Duration::from_secs(5));
            group.warm_up_time(Duration::from_secs(1));
            // One or a few calls per sample: a load of 1M takes seconds.
            group.sampling_mode(SamplingMode::Flat);
        }
        // Loads first: every append grows the file criterion measures next.
        let mut samples = Vec::new();
        group.bench_with_input(BenchmarkId::new("load_portfolio", n), &n, |b, _| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(rt.block_on(store.load_portfolio(&id)).unwrap());
                }
                per_iteration(&mut samples, iters, start.elapsed())
            })
        });
        out.set_median(format!("load_portfolio/{n}"), &std::mem::take(&mut samples));
        group.bench_with_input(BenchmarkId::new("load_trades", n), &n, |b, _| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(rt.block_on(store.load_trades(&id)).unwrap());
                }
                per_iteration(&mut samples, iters, start.elapsed())
            })
        });
        out.set_median(format!("load_trades/{n}"), &std::mem::take(&mut samples));
        group.bench_with_input(BenchmarkId::new("append_trade", n), &n, |b, _| {
            b.iter_custom(|iters| {
                let trades: Vec<_> = (0..iters).map(|_| fresh_trade()).collect();
                let start = Instant::now();
                for t in &trades {
                    rt.block_on(store.append_trade(t)).unwrap();
                }
                per_iteration(&mut samples, iters, start.elapsed())
            })
        });
        out.set_median(format!("append_trade/{n}"), &std::mem::take(&mut samples));
        group.finish();
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let mut out = Results::default();
    bench(&mut c, &mut out);
    c.final_summary();
    let dir = results::dir_for(env!("CARGO_MANIFEST_DIR"));
    let path = out.write(&dir, "json_store").unwrap();
    eprintln!("results: {}", path.display());
}
