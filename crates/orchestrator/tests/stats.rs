//! `prescient stats`: the same records, written through the ports of the JSON
//! store and of PostgreSQL, give the same performance, to the byte.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use assert_cmd::Command;
use common::*;
use domain::ports::Stores;
use domain::{Action, EventId, MarketId, Portfolio, PortfolioId, Price, Usd};
use paper_trading::ExecutionPolicy;
use rust_decimal::Decimal;
use serde_json::Value;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use storage_pg::testing::TestDb;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(
        v.as_str()
            .unwrap_or_else(|| panic!("{v} is not a decimal string")),
    )
    .unwrap()
}

/// The same history through any store's ports: five trades, a history entry,
/// a price update that settles three of them, a dip, another history entry.
async fn trade_and_settle(stores: &Stores, snapshot: &Path) {
    let t0 = at("2026-03-01T00:00:00Z");
    let mut portfolio = Portfolio::new(PortfolioId::default(), Usd::from_int(1000), t0);
    let policy = ExecutionPolicy {
        one_position_per_market: false,
    };
    for (market, event, action, target, amount) in [
        ("1460332", "E-katana", Action::BuyNo, "0.6", 60), // No won: +40
        ("1460332", "E-katana", Action::BuyYes, "0.4", 20), // Yes lost: −20
        ("12", "E-biden", Action::BuyYes, "0.5", 50),      // undecided, open
        ("1557558", "E-btc", Action::BuyYes, "0.5", 30),   // open, 0.505
        ("9001460332", "E-katana", Action::BuyYes, "0.4", 40), // 50/50: +10
    ] {
        let mut signal = testkit::samples::sample_signal(0);
        signal.market_id = MarketId::new(market);
        signal.event_id = Some(EventId::new(event));
        signal.event_title = Some(format!("Event {event}"));
        signal.action = action;
        signal.target_price = Price::new(d(target)).unwrap();
        signal.amount = Usd::from_int(amount);
        let trade = paper_trading::execute_signal(&mut portfolio, &signal, t0, &policy).unwrap();
        stores
            .execution
            .record_execution(&trade, &portfolio, None)
            .await
            .unwrap();
    }
    stores
        .history
        .append_history_entry(&paper_trading::history_entry(&portfolio, t0))
        .await
        .unwrap();
    let source = polymarket_client::SnapshotSource::open(snapshot).unwrap();
    let t1 = at("2026-03-20T00:00:00Z");
    orchestrator::prices::update_prices(stores, &source, &PortfolioId::default(), t1)
        .await
        .unwrap();
    let after = stores
        .portfolio
        .load_portfolio(&PortfolioId::default())
        .await
        .unwrap()
        .unwrap();
    let mut dip = paper_trading::history_entry(&after, at("2026-03-10T00:00:00Z"));
    dip.total_value = Usd::new(d("950.5"));
    stores.history.append_history_entry(&dip).await.unwrap();
    stores
        .history
        .append_history_entry(&paper_trading::history_entry(&after, t1))
        .await
        .unwrap();
}

fn stats(data: &Path, state: &Path, store: &str, database_url: Option<&str>) -> String {
    let mut cmd = Command::cargo_bin("prescient").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRESCIENT_CONFIG", "/nonexistent/prescient.toml")
        .env("PRESCIENT_STATE_DIR", state)
        .env("RUST_LOG", "warn")
        .current_dir(scratch_dir())
        .args(["stats", "--json", "--store", store])
        .arg("--data-dir")
        .arg(data);
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn stats_are_the_same_from_json_files_and_postgres() {
    let Some(fixtures) = real_fixtures() else {
        return;
    };
    let snapshot = resolved_snapshot(&fixtures);
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    trade_and_settle(&json_stores(data.path()), snapshot.path()).await;
    let db = TestDb::create().await.unwrap();
    trade_and_settle(
        &Stores::transactional(Arc::new(db.store())),
        snapshot.path(),
    )
    .await;

    let from_json = stats(data.path(), state.path(), "json", None);
    let from_pg = stats(data.path(), state.path(), "pg", Some(db.url()));
    assert_eq!(from_json, from_pg, "the two stores disagree");
    let json: Value = serde_json::from_str(&from_json).unwrap();

    // And the numbers are the ones the records imply.
    assert_eq!(dec(&json["balance"]), d("950")); // 1000 − 200 in, + 100 + 0 + 50 paid out
    assert_eq!(dec(&json["realized_pnl"]), d("30")); // +40 −20 +10
    assert_eq!(dec(&json["unrealized_pnl"]), d("0.3")); // 60 shares at 0.505 − 30
    assert_eq!(dec(&json["total_value"]), d("1030.3"));
    assert_eq!(dec(&json["total_pnl"]), d("30.3"));
    assert_eq!(dec(&json["return_on_initial"]), d("0.0303"));
    assert_eq!(json["closed_positions"], 3);
    assert_eq!(
        (json["wins"].clone(), json["losses"].clone()),
        (2.into(), 1.into())
    );
    assert_eq!(dec(&json["win_rate"]), d("0.666667"));
    assert_eq!(dec(&json["average_win"]), d("25"));
    assert_eq!(dec(&json["average_loss"]), d("-20"));
    // Peak 1000 at t0, dip to 950.50, recovery to 1030.30.
    assert_eq!(dec(&json["max_drawdown"]["amount"]), d("49.5"));
    assert_eq!(dec(&json["max_drawdown"]["fraction"]), d("0.0495"));
    let exposure: Vec<(String, Decimal)> = json["exposure_by_event"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event_id"].as_str().unwrap().to_owned(),
                dec(&e["amount"]),
            )
        })
        .collect();
    assert_eq!(
        exposure,
        vec![("E-biden".into(), d("50")), ("E-btc".into(), d("30"))]
    );
    assert_eq!(json["best_markets"][0]["market_id"], "1460332");
    assert_eq!(dec(&json["best_markets"][0]["total_pnl"]), d("20"));
    assert_eq!(json["worst_markets"], serde_json::json!([]));
}

#[test]
fn stats_prints_a_table() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let stores = json_stores(data.path());
        let p = Portfolio::new(
            PortfolioId::default(),
            Usd::from_int(1000),
            at("2026-03-01T00:00:00Z"),
        );
        stores.portfolio.save_portfolio(&p).await.unwrap();
    });
    let mut cmd = Command::cargo_bin("prescient").unwrap();
    let out = cmd
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRESCIENT_CONFIG", "/nonexistent/prescient.toml")
        .env("PRESCIENT_STATE_DIR", state.path())
        .current_dir(scratch_dir())
        .args(["stats", "--store", "json", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        "total value         1000.00",
        "return on initial   0.00%",
        "win rate            n/a",
        "max drawdown        0.00",
    ] {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }
}
