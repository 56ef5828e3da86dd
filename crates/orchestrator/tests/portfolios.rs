//! Several strategies as live portfolios, as a user configures them in
//! `prescient.toml`: one cycle crawls once and runs every portfolio, each
//! in its own books (the default in the legacy files, the others under
//! `data/portfolios/<id>/`), every signal and trade naming its strategy;
//! `stats --portfolio`, `compare` and `?portfolio=` read them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

const CONFIG: &str = r#"
[[portfolios]]
id = "band"
strategy = "favourite_band"
amount = 40
params = { low = 0.5, high = 0.99 }

[[portfolios]]
id = "near"
strategy = "near_resolution"
params = { max_days = 365, min_price = 0.5 }

[[portfolios]]
id = "fade"
strategy = "longshot_fade"
params = { cap = 0.5 }
exits = { take_profit = 0.5, stop_loss = 0.5 }
fill = { slippage_bps = 50, fee_bps = 20 }
"#;

fn prescient(site: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_prescient"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRESCIENT_CONFIG", site.join("prescient.toml"))
        .env("PRESCIENT_DATA_DIR", site.join("data"))
        .env("PRESCIENT_EVENT_MAX_DAYS_UNTIL_END", "1000")
        .env("RUST_LOG", "warn")
        .current_dir(site)
        .args(args)
        .output()
        .unwrap()
}

fn ok(site: &Path, args: &[&str]) -> String {
    let out = prescient(site, args);
    assert!(
        out.status.success(),
        "prescient {args:?}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn trades_of(data: &Path, portfolio: &str) -> Vec<serde_json::Value> {
    let path = if portfolio == "default" {
        data.join("trades/paper_trades.json")
    } else {
        data.join("portfolios")
            .join(portfolio)
            .join("trades/paper_trades.json")
    };
    if !path.exists() {
        return Vec::new();
    }
    read_json(&path).as_array().cloned().unwrap_or_default()
}

#[test]
fn one_cycle_runs_every_portfolio_each_in_its_own_books() {
    let site = tempfile::tempdir().unwrap();
    std::fs::write(site.path().join("prescient.toml"), CONFIG).unwrap();
    let source = format!("snapshot:{}", example_snapshot().display());
    let data = site.path().join("data");

    let out = ok(site.path(), &["cycle", "--json", "--source", &source]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = report["portfolios"].as_array().unwrap();
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r["portfolio"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["default", "band", "near", "fade"]);
    for row in rows {
        assert_eq!(row["summary"]["status"], "success", "{row:#}");
    }

    // Each portfolio's trades are its own, attributed to its strategy.
    let strategies = [
        ("default", "most_likely"),
        ("band", "favourite_band"),
        ("near", "near_resolution"),
        ("fade", "longshot_fade"),
    ];
    let mut seen = HashSet::new();
    let mut traded = 0;
    for (portfolio, strategy) in strategies {
        let trades = trades_of(&data, portfolio);
        traded += usize::from(!trades.is_empty());
        for t in &trades {
            assert_eq!(t["strategy"], strategy, "{portfolio}: {t:#}");
            // Unique across portfolios, as PostgreSQL's `trades` requires
            // (a backfill or a dual write would otherwise lose one).
            let id = t["trade_id"].as_str().unwrap().to_owned();
            assert!(
                seen.insert(id.clone()),
                "{portfolio}: trade id {id} taken twice"
            );
            assert_eq!(
                id.starts_with(&format!("{portfolio}~trade_")),
                portfolio != "default",
                "{id}"
            );
        }
        let executed = rows
            .iter()
            .find(|r| r["portfolio"] == portfolio)
            .and_then(|r| r["summary"]["steps"].as_array())
            .and_then(|steps| steps.iter().find(|s| s["step"] == "execute"))
            .map(|s| s["counts"]["executed"].as_u64().unwrap() as usize)
            .unwrap();
        assert_eq!(trades.len(), executed, "{portfolio}");
    }
    assert!(
        traded >= 3,
        "at least three strategies traded on the example"
    );
    // `band` buys 40 a trade: its balance is its own.
    let band = read_json(&data.join("portfolios/band/trades/portfolio.json"));
    let band_trades = trades_of(&data, "band").len();
    let spent: f64 = 40.0 * band_trades as f64;
    assert_eq!(
        band["balance"].as_f64().unwrap(),
        10000.0 - spent,
        "{band:#}"
    );
    // The legacy files hold the default portfolio only.
    let default = read_json(&data.join("trades/portfolio.json"));
    assert_eq!(
        default["positions"].as_array().unwrap().len(),
        trades_of(&data, "default").len()
    );

    // Readers by portfolio.
    let stats: serde_json::Value = serde_json::from_str(&ok(
        site.path(),
        &["stats", "--json", "--portfolio", "band"],
    ))
    .unwrap();
    assert_eq!(stats["portfolio_id"], "band");
    assert_eq!(
        stats["open_positions"].as_u64().unwrap() as usize,
        band_trades
    );
    let unknown = prescient(site.path(), &["stats", "--portfolio", "nope"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("band"));
    let compare: serde_json::Value =
        serde_json::from_str(&ok(site.path(), &["compare", "--json"])).unwrap();
    let compared: Vec<&str> = compare["portfolios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["portfolio"].as_str().unwrap())
        .collect();
    assert_eq!(compared, ["default", "band", "near", "fade"]);
    assert!(
        compare["portfolios"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["started"] == true)
    );
    assert_eq!(
        compare["correlation"]["portfolios"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    // `--portfolio` runs one alone.
    let out = ok(
        site.path(),
        &[
            "cycle",
            "--json",
            "--portfolio",
            "band",
            "--source",
            &source,
        ],
    );
    let one: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(one["status"], "success");
}
