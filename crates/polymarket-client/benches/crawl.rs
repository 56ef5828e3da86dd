//! A full crawl (every event, then the details of every market) of a large
//! generated Gamma from a local fake server, under a quota of N requests per
//! window. Prints how close the crawl gets to the quota's rate, its wall time
//! and its peak memory.
//!
//! `cargo bench -p polymarket-client --bench crawl`, sized by environment:
//! `PRESCIENT_BENCH_EVENTS` (10000), `PRESCIENT_BENCH_MARKETS_PER_EVENT` (5),
//! `PRESCIENT_BENCH_QUOTA` (200 requests per window, every family; 0 = no
//! limit), `PRESCIENT_BENCH_WINDOW_SECS` (10), `PRESCIENT_BENCH_PAGE_LIMIT`
//! (500), `PRESCIENT_BENCH_BATCH` (50), `PRESCIENT_BENCH_CONCURRENCY` (4).
//! Records are shaped like the recorded fixtures (the real ones when
//! `../shared/fixtures` is present).
//!
//! The fake server runs in the same process; its data is built before the
//! first memory reading, so the growth measured is the crawl's (plus the
//! server's response buffers).
//!
//! The figures also go to `target/bench-results/crawl.json` for `cargo xtask
//! bench` (which runs a smaller crawl by default, 2,000 events).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../xtask/src/bench/results.rs"]
mod results;

#[path = "../tests/common/mod.rs"]
mod common;

use common::server::{Behaviour, FakeGamma, replicate};
use domain::MarketId;
use polymarket_client::{GammaClient, GammaConfig, MarketSource, Quotas};
use std::str::FromStr;
use std::time::{Duration, Instant};

fn env_or<T: FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `VmRSS`/`VmHWM` of this process in MiB (Linux).
fn memory(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let events_n: usize = env_or("PRESCIENT_BENCH_EVENTS", 10_000);
    let per_event: usize = env_or("PRESCIENT_BENCH_MARKETS_PER_EVENT", 5);
    let quota: u32 = env_or("PRESCIENT_BENCH_QUOTA", 200);
    let window = Duration::from_secs_f64(env_or("PRESCIENT_BENCH_WINDOW_SECS", 10.0));
    let page_limit: u32 = env_or("PRESCIENT_BENCH_PAGE_LIMIT", 500);
    let batch_size: usize = env_or("PRESCIENT_BENCH_BATCH", 50);
    let concurrency: usize = env_or("PRESCIENT_BENCH_CONCURRENCY", 4);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let built = Instant::now();
        let events = replicate(&common::template_events(), events_n, Some(per_event));
        let ids: Vec<MarketId> = events
            .iter()
            .flat_map(|e| e["markets"].as_array().unwrap())
            .map(|m| MarketId::new(m["id"].as_str().unwrap()))
            .collect();
        let (server, url) = FakeGamma::new(&events, &[], Behaviour::default())
            .start()
            .await;
        drop(events);
        eprintln!(
            "generated {events_n} events / {} markets in {:.1?}",
            server.market_count(),
            built.elapsed()
        );

        let client = GammaClient::new(GammaConfig {
            base_url: url,
            page_limit,
            batch_size,
            concurrency,
            quotas: Quotas::uniform(quota, window),
            progress: false,
            ..GammaConfig::default()
        })
        .unwrap();

        let rss_before = memory("VmRSS:");
        let start = Instant::now();
        let crawl = client.fetch_active_events().await.unwrap();
        let events_time = start.elapsed();
        let details = client.fetch_markets(&ids, false).await.unwrap();
        let wall = start.elapsed();
        let hwm_after = memory("VmHWM:");
        let rss_after = memory("VmRSS:");

        assert_eq!(crawl.events.len(), events_n);
        assert_eq!(details.markets.len(), ids.len());
        let requests = crawl.stats.requests + details.stats.requests;
        let retries = crawl.stats.retries + details.stats.retries;
        let achieved = requests as f64 / wall.as_secs_f64();
        let allowed = f64::from(quota) / window.as_secs_f64();
        // Under an exact sliding window, R requests need at least
        // floor((R-1)/N) full windows (N go at once, then N per window).
        let optimum =
            window.as_secs_f64() * ((requests.saturating_sub(1)) / u64::from(quota.max(1))) as f64;

        println!("| metric | value |");
        println!("|---|---|");
        println!(
            "| events / markets | {} / {} |",
            crawl.events.len(),
            details.markets.len()
        );
        println!("| quota | {quota} per {window:?} (every family) |");
        println!(
            "| page limit / batch / concurrency | {page_limit} / {batch_size} / {concurrency} |"
        );
        println!(
            "| requests (pages + batches) / retries | {requests} ({} + {}) / {retries} |",
            crawl.stats.requests, details.stats.requests
        );
        println!("| crawl wall time (events, total) | {events_time:.2?}, {wall:.2?} |");
        println!("| achieved requests/s | {achieved:.2} |");
        if quota > 0 {
            println!("| achieved ÷ quota rate | {:.3} |", achieved / allowed);
            println!(
                "| exact-window optimum ÷ wall time | {:.3} (optimum {optimum:.1} s) |",
                optimum / wall.as_secs_f64()
            );
        }
        println!("| RSS before / after crawl (MiB) | {rss_before:.0} / {rss_after:.0} |");
        println!("| peak RSS (VmHWM) after crawl (MiB) | {hwm_after:.0} |");
        println!(
            "| crawl peak growth, VmHWM − RSS before (MiB) | {:.0} |",
            hwm_after - rss_before
        );

        let mut out = results::Results::default();
        out.set("events", events_n as f64);
        out.set("markets", details.markets.len() as f64);
        out.set("requests", requests as f64);
        out.set("retries", retries as f64);
        out.set("wall_seconds", wall.as_secs_f64());
        out.set("requests_per_second", achieved);
        if quota > 0 {
            out.set("quota_per_second", allowed);
            out.set("achieved_per_quota", achieved / allowed);
            out.set("optimum_per_wall", optimum / wall.as_secs_f64());
        }
        out.set("peak_rss_mib", hwm_after);
        out.set("peak_growth_mib", hwm_after - rss_before);
        let dir = results::dir_for(env!("CARGO_MANIFEST_DIR"));
        let path = out.write(&dir, "crawl").unwrap();
        eprintln!("results: {}", path.display());
    });
}
