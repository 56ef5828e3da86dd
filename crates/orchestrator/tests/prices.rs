//! `prescient update-prices` on recorded resolved markets: what settles, what
//! stays open and is reported, and that running it again changes nothing
//! (SPEC §3: each position settles exactly once).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use assert_cmd::Command;
use common::*;
use domain::{Action, MarketId, Portfolio, PortfolioId, Price, Usd};
use paper_trading::ExecutionPolicy;
use rust_decimal::Decimal;
use serde_json::Value;
use std::path::Path;
use std::str::FromStr;

const NO_WINS: &str = "1460332";
const UNDECIDED: &str = "12";
const OPEN: &str = "1557558";
const FIFTY: &str = "9001460332";

fn prescient(state: &Path) -> Command {
    let mut cmd = Command::cargo_bin("prescient").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRESCIENT_CONFIG", "/nonexistent/prescient.toml")
        .env("PRESCIENT_STATE_DIR", state)
        .env("RUST_LOG", "warn")
        .current_dir(scratch_dir());
    cmd
}

fn dec(v: &Value) -> Decimal {
    match v {
        Value::String(s) => Decimal::from_str(s).unwrap(),
        other => Decimal::from_str(&other.to_string()).unwrap(),
    }
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A data directory whose portfolio ($1000) holds one open position in each
/// market, executed by `paper_trading` and saved through the JSON store's ports:
/// - NO_WINS: buy No at 0.6 for $60 (100 shares; No won: payout 100, +40);
/// - UNDECIDED: buy Yes at 0.5 for $50 (closed ["0","0"]: stays open);
/// - OPEN: buy Yes at 0.5 for $30 (60 shares, re-marked at 0.505);
/// - FIFTY: buy Yes at 0.4 for $40 (100 shares; 50/50: payout 50, +10).
async fn data_with_positions(data: &Path) -> Portfolio {
    let now = at("2026-03-01T00:00:00Z");
    let mut portfolio = Portfolio::new(PortfolioId::default(), Usd::from_int(1000), now);
    let stores = json_stores(data);
    for (market, action, target, amount) in [
        (NO_WINS, Action::BuyNo, "0.6", 60),
        (UNDECIDED, Action::BuyYes, "0.5", 50),
        (OPEN, Action::BuyYes, "0.5", 30),
        (FIFTY, Action::BuyYes, "0.4", 40),
    ] {
        let mut signal = testkit::samples::sample_signal(0);
        signal.market_id = MarketId::new(market);
        signal.action = action;
        signal.target_price = Price::new(d(target)).unwrap();
        signal.amount = Usd::from_int(amount);
        let trade = paper_trading::execute_signal(
            &mut portfolio,
            &signal,
            now,
            &ExecutionPolicy::default(),
        )
        .unwrap();
        stores.trades.append_trade(&trade).await.unwrap();
    }
    stores.portfolio.save_portfolio(&portfolio).await.unwrap();
    portfolio
}

fn update_prices(data: &Path, state: &Path, snapshot: &Path) -> Value {
    let out = prescient(state)
        .args(["update-prices", "--json", "--store", "json", "--source"])
        .arg(format!("snapshot:{}", snapshot.display()))
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn position<'a>(portfolio: &'a Value, market: &str) -> &'a Value {
    portfolio["positions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["market_id"] == market)
        .unwrap_or_else(|| panic!("no position in {market}: {portfolio:#}"))
}

#[tokio::test]
async fn update_prices_settles_recorded_resolved_markets_exactly_once() {
    let Some(fixtures) = real_fixtures() else {
        return;
    };
    let snapshot = resolved_snapshot(&fixtures);
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    data_with_positions(data.path()).await;
    let portfolio_file = data.path().join("trades/portfolio.json");
    assert_eq!(dec(&read_json(&portfolio_file)["balance"]), d("820"));

    let report = update_prices(data.path(), state.path(), snapshot.path());

    // What the command reports.
    assert_eq!(report["open_markets"], 4);
    assert_eq!(report["repriced"], 1);
    let settled = report["settled"].as_array().unwrap();
    let by_market = |m: &str| settled.iter().find(|s| s["market_id"] == m).unwrap();
    assert_eq!(settled.len(), 2, "{report:#}");
    assert_eq!(dec(&by_market(NO_WINS)["exit_price"]), d("1"));
    assert_eq!(dec(&by_market(NO_WINS)["payout"]), d("100"));
    assert_eq!(dec(&by_market(NO_WINS)["realized_pnl"]), d("40"));
    assert_eq!(dec(&by_market(FIFTY)["exit_price"]), d("0.5"));
    assert_eq!(dec(&by_market(FIFTY)["payout"]), d("50"));
    assert_eq!(dec(&by_market(FIFTY)["realized_pnl"]), d("10"));
    assert_eq!(dec(&report["realized_pnl"]), d("50"));
    assert_eq!(report["undecided"], serde_json::json!([UNDECIDED]));
    assert_eq!(report["unpriced"], serde_json::json!([]));

    // What the user sees in the portfolio file: 820 + 100 + 50 credited.
    let file = read_json(&portfolio_file);
    assert_eq!(dec(&file["balance"]), d("970"));
    let won = position(&file, NO_WINS);
    assert_eq!(won["status"], "closed");
    assert_eq!(dec(&won["realized_pnl"]), d("40"));
    assert_eq!(dec(&won["exit_price"]), d("1"));
    let split = position(&file, FIFTY);
    assert_eq!(split["status"], "closed");
    assert_eq!(dec(&split["realized_pnl"]), d("10"));
    let undecided = position(&file, UNDECIDED);
    assert_eq!(undecided["status"], "open");
    assert!(undecided["realized_pnl"].is_null());
    let open = position(&file, OPEN);
    assert_eq!(open["status"], "open");
    assert_eq!(dec(&open["current_price"]), d("0.505"));

    // Again: nothing more settles, the money does not move.
    let again = update_prices(data.path(), state.path(), snapshot.path());
    assert_eq!(again["settled"], serde_json::json!([]));
    assert_eq!(dec(&again["realized_pnl"]), Decimal::ZERO);
    assert_eq!(again["undecided"], serde_json::json!([UNDECIDED]));
    let file_again = read_json(&portfolio_file);
    assert_eq!(dec(&file_again["balance"]), d("970"));
    for market in [NO_WINS, FIFTY, UNDECIDED, OPEN] {
        let (before, after) = (position(&file, market), position(&file_again, market));
        assert_eq!(before["status"], after["status"], "{market}");
        assert_eq!(before["realized_pnl"], after["realized_pnl"], "{market}");
        assert_eq!(
            before["exit_timestamp"], after["exit_timestamp"],
            "{market}"
        );
    }
    // Trades are an append-only history: update-prices adds none.
    assert_eq!(array_len(&data.path().join("trades/paper_trades.json")), 4);
}

#[tokio::test]
async fn update_prices_as_a_library_call_reports_the_same() {
    let Some(fixtures) = real_fixtures() else {
        return;
    };
    let snapshot = resolved_snapshot(&fixtures);
    let data = tempfile::tempdir().unwrap();
    data_with_positions(data.path()).await;
    let stores = json_stores(data.path());
    let source = polymarket_client::SnapshotSource::open(snapshot.path()).unwrap();
    let now = at("2026-03-20T00:00:00Z");
    let update =
        orchestrator::prices::update_prices(&stores, &source, &PortfolioId::default(), now)
            .await
            .unwrap();
    assert_eq!(update.settled.len(), 2);
    assert_eq!(update.realized_pnl, Usd::from_int(50));
    assert_eq!(update.undecided, vec![MarketId::new(UNDECIDED)]);
    assert_eq!(update.balance, Usd::from_int(970));
    assert_eq!(update.open_positions, 2);
    let saved = stores
        .portfolio
        .load_portfolio(&PortfolioId::default())
        .await
        .unwrap()
        .unwrap();
    saved.check_invariant().unwrap();
    assert_eq!(saved.balance, Usd::from_int(970));
}

#[test]
fn update_prices_without_a_portfolio_fails_with_one_line() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let snapshot = tempfile::tempdir().unwrap();
    std::fs::write(snapshot.path().join("events.json"), "[]").unwrap();
    let out = prescient(state.path())
        .args(["update-prices", "--store", "json", "--source"])
        .arg(format!("snapshot:{}", snapshot.path().display()))
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("run a cycle first"), "{stderr}");
}
