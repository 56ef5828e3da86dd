//! The crash harness (`orchestrator::soak`) in short: the real `prescient
//! cycle` binary in phases 1, 4, 5.1, 5.4 and 6, killed with SIGKILL at
//! seeded random points and restarted, with PostgreSQL refusing a write,
//! unreachable and slow, and a cycle from another working directory; then no
//! position lost or duplicated, every trade on the sides the phase writes,
//! and verify clean. `cargo xtask soak` runs the same harness longer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use orchestrator::soak::{Fault, PhaseFigures, Site, SoakConfig};

fn config(phases: &[&str], cycles: usize) -> SoakConfig {
    // A seed from the environment reproduces a failing run.
    let seed = std::env::var("PRESCIENT_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        });
    eprintln!("crash harness seed {seed} (PRESCIENT_SOAK_SEED={seed} reproduces it)");
    SoakConfig {
        binary: env!("CARGO_BIN_EXE_prescient").into(),
        example_snapshot: example_snapshot(),
        phases: phases.iter().map(|p| p.parse().unwrap()).collect(),
        cycles,
        seed,
    }
}

fn assert_sound(figures: &[PhaseFigures]) {
    for f in figures {
        eprintln!("{f}");
        assert!(f.is_ok(), "{f}");
        assert!(f.records_checked > 0, "{f}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_and_restarted_cycles_lose_and_double_nothing_in_every_phase() {
    // Four cycles: the four fixed faults (refused, unreachable, other cwd,
    // slow + kill); the seed draws the kill delays of longer runs.
    let cfg = config(&["1", "4", "5.1", "5.4", "6"], 4);
    let figures = orchestrator::soak::run(&cfg).await.unwrap();
    assert_sound(&figures);
    assert_eq!(figures.len(), 5);
}

/// Trade ids and market ids JSON holds (trades file and open positions).
async fn json_view(site: &Site) -> (Vec<String>, Vec<String>) {
    let m = site.migration().unwrap();
    let json = m.json_reader();
    let trades = json.trades.load_trades(&m.portfolio()).await.unwrap();
    let p = json
        .portfolio
        .load_portfolio(&m.portfolio())
        .await
        .unwrap()
        .unwrap();
    let mut markets: Vec<String> = p
        .positions
        .iter()
        .map(|p| p.market_id.to_string())
        .collect();
    markets.sort();
    (
        trades.iter().map(|t| t.trade_id.to_string()).collect(),
        markets,
    )
}

async fn pg_trade_ids(site: &Site) -> Vec<String> {
    let m = site.migration().unwrap();
    let pg = m.pg().await.unwrap();
    use domain::ports::TradeStore;
    let mut ids: Vec<String> = pg
        .load_trades(&m.portfolio())
        .await
        .unwrap()
        .iter()
        .map(|t| t.trade_id.to_string())
        .collect();
    ids.sort();
    ids
}

fn no_market_twice(markets: &[String]) {
    let mut d = markets.to_vec();
    d.dedup();
    assert_eq!(d.len(), markets.len(), "a market held twice: {markets:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trade_postgres_refuses_in_phase_5_1_stays_in_json_and_reaches_postgres_later() {
    let cfg = config(&["5.1"], 0);
    let mut site = Site::new(&cfg, "5.1".parse().unwrap()).await.unwrap();
    let (before, _) = json_view(&site).await;
    site.next_generation();
    let out = site.run(Fault::PgRefuses).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (trades, markets) = json_view(&site).await;
    assert_eq!(trades.len(), before.len() + site.per_generation);
    assert_eq!(markets.len(), trades.len());
    // The next cycle: nothing bought twice, and PostgreSQL catches up.
    let out = site.run(Fault::None).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (mut after, markets) = json_view(&site).await;
    no_market_twice(&markets);
    after.sort();
    assert_eq!(after.len(), trades.len(), "the next cycle bought again");
    assert_eq!(pg_trade_ids(&site).await, after, "PostgreSQL lacks a trade");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kill_while_postgres_is_slow_loses_nothing_and_the_restart_replays_the_journal() {
    let cfg = config(&["4"], 0);
    let mut site = Site::new(&cfg, "4".parse().unwrap()).await.unwrap();
    let (before, _) = json_view(&site).await;
    site.next_generation();
    assert!(
        site.slow_kill().await.unwrap(),
        "the cycle never wrote its JSON trades"
    );
    let (after_kill, _) = json_view(&site).await;
    assert!(after_kill.len() > before.len());
    let out = site.run(Fault::None).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (mut trades, markets) = json_view(&site).await;
    no_market_twice(&markets);
    assert_eq!(
        trades.len(),
        before.len() + site.per_generation,
        "JSON trades {trades:?}, open positions {markets:?}"
    );
    trades.sort();
    assert_eq!(
        pg_trade_ids(&site).await,
        trades,
        "PostgreSQL lacks a trade"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cycle_from_another_cwd_in_phase_5_1_then_a_normal_one_overwrites_nothing() {
    let cfg = config(&["5.1"], 0);
    let mut site = Site::new(&cfg, "5.1".parse().unwrap()).await.unwrap();
    site.next_generation();
    let out = site.run(Fault::OtherCwd).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (trades, markets) = json_view(&site).await;
    site.next_generation();
    let out = site.run(Fault::None).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (after, after_markets) = json_view(&site).await;
    no_market_twice(&after_markets);
    assert!(
        trades.iter().all(|t| after.contains(t)),
        "a trade vanished from JSON"
    );
    assert!(markets.iter().all(|m| after_markets.contains(m)));
    assert_eq!(after.len(), trades.len() + site.per_generation);
}
