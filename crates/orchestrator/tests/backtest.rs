//! `prescient backtest`: recorded sequences replayed through the cycle, with
//! figures checked against a hand computation, strategies side by side,
//! byte-identical reruns, the report files, refusals, and a property: a
//! backtest never touches a live data directory or database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use orchestrator::backtest::{SnapshotSequence, run_backtest};
use orchestrator::cycle::run_cycle;
use polymarket_client::SnapshotSource;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

/// A Gamma market as `/markets` returns it: `yes` is the Yes price (No is
/// its complement); a closed market is no longer accepting orders.
fn market(id: &str, yes: &str, closed: bool) -> Value {
    let no = (dec!(1) - yes.parse::<rust_decimal::Decimal>().unwrap()).to_string();
    json!({
        "id": id,
        "question": format!("Will {id} happen?"),
        "slug": format!("market-{id}"),
        "outcomes": "[\"Yes\", \"No\"]",
        "outcomePrices": format!("[\"{yes}\", \"{no}\"]"),
        "liquidity": "50000",
        "volume": "200000",
        "active": true,
        "closed": closed,
        "acceptingOrders": !closed,
        "endDate": "2026-02-01T00:00:00Z",
    })
}

/// An active event ending 2026-02-01 that passes the default filters.
fn event(markets: &[Value]) -> Value {
    json!({
        "id": "9001",
        "slug": "test-event",
        "title": "Test event",
        "endDate": "2026-02-01T00:00:00Z",
        "active": true,
        "closed": false,
        "liquidity": 100000,
        "volume": 500000,
        "markets": markets,
    })
}

/// `seq/name/` holding one event with `markets` nested, and the same
/// markets as `markets.json`.
fn moment(seq: &Path, name: &str, markets: &[Value]) {
    let dir = seq.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("events.json"),
        serde_json::to_vec_pretty(&json!([event(markets)])).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("markets.json"),
        serde_json::to_vec_pretty(&markets).unwrap(),
    )
    .unwrap();
}

/// Three days of one event with two markets:
/// - day 1: A at 0.80 (Yes favourite), B at 0.375 (No favourite at 0.625);
/// - day 2: A at 0.90, B at 0.50;
/// - day 3: both closed, both resolved Yes.
fn three_days() -> tempfile::TempDir {
    let seq = tempfile::tempdir().unwrap();
    moment(
        seq.path(),
        "20260105T120000Z",
        &[market("1001", "0.8", false), market("1002", "0.375", false)],
    );
    moment(
        seq.path(),
        "20260106T120000Z",
        &[market("1001", "0.9", false), market("1002", "0.5", false)],
    );
    moment(
        seq.path(),
        "20260107T120000Z",
        &[market("1001", "1", true), market("1002", "1", true)],
    );
    seq
}

fn backtest_json(seq: &Path, strategies: &str) -> String {
    backtest_json_with(seq, strategies, &[])
}

/// `prescient backtest --json` of `strategies` over `seq` with `flags`
/// besides; its stdout, the run having succeeded.
fn backtest_json_with(seq: &Path, strategies: &str, flags: &[&str]) -> String {
    let cwd = tempfile::tempdir().unwrap();
    let out = prescient_in(cwd.path())
        .args(["backtest", "--json", "--strategies", strategies])
        .args(flags)
        .arg("--source")
        .arg(format!("snapshots:{}", seq.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// By hand, most_likely with 100 a trade from 10000:
/// - day 1 buys A Yes at 0.80 (125 shares) and B No at 0.625 (160 shares):
///   balance 9800, value 9800 + 125 × 0.80 + 160 × 0.625 = 10000;
/// - day 2 marks them: 9800 + 125 × 0.90 + 160 × 0.50 = 9992.50;
/// - day 3 settles them: A pays 125 (+25), B pays 0 (−100): 9925, realized
///   −75, one win in two, return −0.0075, drawdown 75 / 10000 = 0.0075;
///   Brier ((0.8 − 1)² + (0.625 − 0)²) / 2 = 0.2153125.
#[tokio::test]
async fn a_sequence_backtests_to_the_figures_computed_by_hand() {
    let seq = three_days();
    let mut moments = SnapshotSequence::open(seq.path(), None, None).unwrap();
    let report = run_backtest(&mut moments, &backtest_config(&["most_likely"]))
        .await
        .unwrap();
    let [s] = report.strategies.as_slice() else {
        panic!("{report:?}")
    };
    assert_eq!(s.strategy, "most_likely");
    assert_eq!(s.trades, 2);
    assert_eq!(s.final_value, testkit::usd("9925"));
    assert_eq!(s.realized_pnl, testkit::usd("-75"));
    assert_eq!(s.total_return, Some(dec!(-0.0075)));
    assert_eq!(s.win_rate, Some(dec!(0.5)));
    assert_eq!(s.max_drawdown, dec!(0.0075));
    assert_eq!(s.brier, Some(dec!(0.215313)));
    let equity: Vec<_> = s
        .equity
        .points()
        .iter()
        .map(|p| (p.time.to_rfc3339(), p.value))
        .collect();
    assert_eq!(
        equity,
        [
            ("2026-01-05T12:00:00+00:00".into(), testkit::usd("10000")),
            ("2026-01-06T12:00:00+00:00".into(), testkit::usd("9992.50")),
            ("2026-01-07T12:00:00+00:00".into(), testkit::usd("9925")),
        ]
    );
    // Two days of negative returns.
    assert!(s.sharpe.is_some_and(|x| x < 0.0), "{:?}", s.sharpe);
}

/// By hand, momentum (lookback 24 h, 3 points, move 0.05) over five hourly
/// moments of a market rising 0.50, 0.55, 0.60, 0.65, 0.78: the fourth
/// moment is the first with three earlier points, up 0.15, so it buys Yes
/// at 0.65 (100 / 0.65 shares); the fifth holds it (one position a
/// market) and marks it at 0.78: 9900 + 100 × 0.78 / 0.65 = 10020. The
/// prices it reads are the moments' own, as a live cycle's market
/// snapshots hold them.
#[tokio::test]
async fn momentum_follows_the_prices_of_earlier_moments() {
    let seq = tempfile::tempdir().unwrap();
    for (hour, yes) in ["0.5", "0.55", "0.6", "0.65", "0.78"].iter().enumerate() {
        moment(
            seq.path(),
            &format!("20260105T{:02}0000Z", 12 + hour),
            &[market("1001", yes, false)],
        );
    }
    let mut moments = SnapshotSequence::open(seq.path(), None, None).unwrap();
    let report = run_backtest(&mut moments, &backtest_config(&["momentum"]))
        .await
        .unwrap();
    let [s] = report.strategies.as_slice() else {
        panic!("{report:?}")
    };
    assert_eq!(s.trades, 1);
    let values: Vec<_> = s.equity.points().iter().map(|p| p.value).collect();
    let flat = testkit::usd("10000");
    assert_eq!(values, [flat, flat, flat, flat, testkit::usd("10020")]);
    assert_eq!(s.final_value, testkit::usd("10020"));
}

#[test]
fn the_json_report_prints_the_hand_computed_figures_as_numbers() {
    let seq = three_days();
    let text = backtest_json(seq.path(), "most_likely");
    let v: Value = serde_json::from_str(&text).unwrap();
    let s = &v["strategies"][0];
    let keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "strategy",
            "trades",
            "final_value",
            "realized_pnl",
            "return",
            "win_rate",
            "max_drawdown",
            "sharpe",
            "brier",
            "equity"
        ]
    );
    assert_eq!(s["strategy"], "most_likely");
    assert_eq!(s["trades"], 2);
    // Money as numbers, written from their decimal digits.
    assert!(text.contains(r#""final_value": 9925.00"#), "{text}");
    assert!(text.contains(r#""realized_pnl": -75.00"#), "{text}");
    assert!(text.contains(r#""return": -0.0075"#), "{text}");
    assert!(text.contains(r#""win_rate": 0.5"#), "{text}");
    assert_eq!(s["equity"].as_array().unwrap().len(), 3);
    assert_eq!(s["equity"][1]["time"], "2026-01-06T12:00:00Z");
    assert_eq!(s["equity"][1]["total_value"].as_f64(), Some(9992.5));
}

const FIVE: &str = "most_likely,favourite_band,longshot_fade,momentum,near_resolution";

#[test]
fn strategies_run_side_by_side_and_a_rerun_gives_the_same_bytes() {
    let seq = three_days();
    let first = backtest_json(seq.path(), FIVE);
    let second = backtest_json(seq.path(), FIVE);
    assert_eq!(first, second);
    let v: Value = serde_json::from_str(&first).unwrap();
    let names: Vec<&str> = v["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(names, FIVE.split(',').collect::<Vec<_>>());
    for s in v["strategies"].as_array().unwrap() {
        assert_eq!(s["equity"].as_array().unwrap().len(), 3, "{s}");
        // Every portfolio is its own: it starts from the full balance.
        let first_value = s["equity"][0]["total_value"].as_f64().unwrap();
        assert!(first_value <= 10000.0, "{s}");
    }
    // most_likely trades the same alone as beside the others.
    let alone: Value = serde_json::from_str(&backtest_json(seq.path(), "most_likely")).unwrap();
    assert_eq!(alone["strategies"][0], v["strategies"][0]);
}

#[test]
fn out_writes_the_report_and_a_chart_with_every_strategys_curve() {
    let seq = three_days();
    let cwd = tempfile::tempdir().unwrap();
    let out = cwd.path().join("report");
    let run = prescient_in(cwd.path())
        .args(["backtest", "--strategies", FIVE, "--out"])
        .arg(&out)
        .arg("--source")
        .arg(format!("snapshots:{}", seq.path().display()))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert!(stdout.contains("most_likely"), "{stdout}");
    assert!(stdout.contains("9925.00"), "{stdout}");
    let report = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert_eq!(report, backtest_json(seq.path(), FIVE));
    let svg = std::fs::read_to_string(out.join("equity.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert_eq!(svg.matches("<polyline").count(), 5, "{svg}");
    for name in FIVE.split(',') {
        assert!(
            svg.contains(&format!(r#"<polyline data-strategy="{name}""#)),
            "{name}: {svg}"
        );
        assert!(svg.contains(&format!(">{name}</text>")), "legend {name}");
    }
    // Three points per curve.
    let line = svg
        .lines()
        .find(|l| l.contains(r#"data-strategy="most_likely""#))
        .unwrap();
    let points = line.split("points=\"").nth(1).unwrap();
    assert_eq!(points.trim_end_matches("\"/>").split(' ').count(), 3);
}

#[test]
fn from_and_to_bound_the_moments_inclusively() {
    let seq = three_days();
    let cwd = tempfile::tempdir().unwrap();
    let out = prescient_in(cwd.path())
        .args([
            "backtest",
            "--json",
            "--strategies",
            "most_likely",
            "--from",
            "2026-01-06T12:00:00Z",
            "--to",
            "20260107T120000Z",
            "--source",
        ])
        .arg(format!("snapshots:{}", seq.path().display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["strategies"][0];
    // Day 2: A Yes at 0.90 (111.111111 shares), B at 0.50 is a tie: no trade.
    assert_eq!(s["trades"], 1);
    assert_eq!(s["equity"].as_array().unwrap().len(), 2);
    assert_eq!(s["equity"][0]["time"], "2026-01-06T12:00:00Z");
}

#[test]
fn a_sequence_with_a_stray_entry_or_no_moment_is_refused_naming_it() {
    let seq = three_days();
    // A moment being recorded is hidden, and skipped.
    std::fs::create_dir(seq.path().join(".20260108T120000Z.partial")).unwrap();
    let v: Value = serde_json::from_str(&backtest_json(seq.path(), "most_likely")).unwrap();
    assert_eq!(v["strategies"][0]["equity"].as_array().unwrap().len(), 3);
    std::fs::create_dir(seq.path().join("2026-01-08")).unwrap();
    let cwd = tempfile::tempdir().unwrap();
    prescient_in(cwd.path())
        .args(["backtest", "--strategies", "most_likely", "--source"])
        .arg(format!("snapshots:{}", seq.path().display()))
        .assert()
        .failure()
        .stderr(predicates::str::contains("2026-01-08"))
        .stderr(predicates::str::contains("YYYYmmddTHHMMSSZ"));

    let seq = three_days();
    prescient_in(cwd.path())
        .args([
            "backtest",
            "--strategies",
            "most_likely",
            "--from",
            "2027-01-01T00:00:00Z",
            "--source",
        ])
        .arg(format!("snapshots:{}", seq.path().display()))
        .assert()
        .failure()
        .stderr(predicates::str::contains("holds no moments"));

    prescient_in(cwd.path())
        .args(["backtest", "--strategies", "no_such", "--source"])
        .arg(format!("snapshots:{}", seq.path().display()))
        .assert()
        .failure()
        .stderr(predicates::str::contains("no_such"));

    prescient_in(cwd.path())
        .args([
            "backtest",
            "--strategies",
            "most_likely,most_likely",
            "--source",
        ])
        .arg(format!("snapshots:{}", seq.path().display()))
        .assert()
        .failure()
        .stderr(predicates::str::contains("twice"));

    // `pg` without a database configured says what to set.
    prescient_in(cwd.path())
        .args(["backtest", "--strategies", "most_likely", "--source", "pg"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("DATABASE_URL"));
}

/// Every file under `dir` with its bytes, by path relative to `dir`.
fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            if path.is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                walk(root, &path, out);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Property: whatever the sequence and the strategies, a backtest run with
/// a live data directory and a live database configured leaves both as
/// they were (every file's bytes, every table's row count), and creates
/// nothing in its working directory (no state, no lock).
#[test]
fn a_backtest_never_touches_live_files_or_rows() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt
        .block_on(storage_pg::testing::TestDb::create())
        .expect("PostgreSQL at DATABASE_URL is needed for this test");
    let data = tempfile::tempdir().unwrap();
    let now = at("2026-01-05T12:00:00Z");
    let live = three_days();
    let snapshot = live.path().join("20260105T120000Z");
    rt.block_on(async {
        cycle(data.path(), &snapshot, &settings(), now).await;
        let stores = domain::ports::Stores::transactional(Arc::new(db.store()));
        let source = SnapshotSource::open(&snapshot).unwrap();
        run_cycle(&stores, &source, &params(&settings(), now))
            .await
            .unwrap();
    });
    let files_before = tree(data.path());
    let rows_before = rt.block_on(common::db_rows::row_counts(&db));
    assert!(
        rows_before.iter().any(|(t, n)| t == "trades" && *n > 0),
        "the live database holds no trades to protect: {rows_before:?}"
    );
    assert!(
        files_before.keys().any(|f| f.contains("trades")),
        "the live data directory holds no trades to protect: {:?}",
        files_before.keys()
    );

    let names = [
        "most_likely",
        "favourite_band",
        "longshot_fade",
        "momentum",
        "near_resolution",
    ];
    let prices = prop::collection::vec((5u32..96, 5u32..96), 1..4);
    let mut runner = TestRunner::new(Config {
        cases: 6,
        ..Config::default()
    });
    runner
        .run(
            &(prices, 1usize..32, any::<bool>()),
            |(days, mask, resolve)| {
                let seq = tempfile::tempdir().unwrap();
                for (i, (a, b)) in days.iter().enumerate() {
                    let last = i + 1 == days.len();
                    let closed = last && resolve;
                    let price = |p: u32| {
                        if closed {
                            "1".to_owned()
                        } else {
                            format!("0.{p:02}")
                        }
                    };
                    moment(
                        seq.path(),
                        &format!("202601{:02}T120000Z", 5 + i),
                        &[
                            market("1001", &price(*a), closed),
                            market("1002", &price(*b), closed),
                        ],
                    );
                }
                let chosen: Vec<&str> = names
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, n)| *n)
                    .collect();
                let cwd = tempfile::tempdir().unwrap();
                let out = prescient_in(cwd.path())
                    .env("PRESCIENT_DATA_DIR", data.path())
                    .env("DATABASE_URL", db.url())
                    .args([
                        "backtest",
                        "--json",
                        "--strategies",
                        &chosen.join(","),
                        "--source",
                    ])
                    .arg(format!("snapshots:{}", seq.path().display()))
                    .output()
                    .unwrap();
                prop_assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                prop_assert_eq!(v["strategies"].as_array().unwrap().len(), chosen.len());
                prop_assert!(
                    tree(data.path()) == files_before,
                    "the live data directory changed"
                );
                prop_assert_eq!(
                    rt.block_on(common::db_rows::row_counts(&db)),
                    rows_before.clone()
                );
                prop_assert!(tree(cwd.path()).is_empty(), "{:?}", tree(cwd.path()).keys());
                Ok(())
            },
        )
        .unwrap();
}

/// `prescient record --into SEQ` against a Gamma stand-in: the moment is
/// named by its UTC time, its `markets.json` holds closed markets and the
/// markets the previous moment held unsettled (here 1003 and 1004, whose
/// event is gone; not 1005, settled already),
/// and the sequence backtests; a moment is never recorded twice.
#[tokio::test(flavor = "multi_thread")]
async fn record_into_adds_a_moment_with_closed_and_carried_markets() {
    let served = tempfile::tempdir().unwrap();
    let markets = [
        market("1001", "0.8", false),
        market("1002", "1", true),
        market("1003", "1", true),
        market("1004", "1", true),
        market("1005", "1", true),
    ];
    std::fs::write(
        served.path().join("events.json"),
        serde_json::to_vec(&json!([event(&markets[..2])])).unwrap(),
    )
    .unwrap();
    std::fs::write(
        served.path().join("markets.json"),
        serde_json::to_vec(&markets).unwrap(),
    )
    .unwrap();
    let gamma = common::fake_gamma::serve(served.path()).await;

    let seq = tempfile::tempdir().unwrap();
    // Before: 1003 open, 1004 closed undecided, 1005 settled.
    moment(
        seq.path(),
        "20200101T000000Z",
        &[
            market("1003", "0.6", false),
            market("1004", "0.7", true),
            market("1005", "1", true),
        ],
    );
    let cwd = tempfile::tempdir().unwrap();
    let mut cmd = prescient_in(cwd.path());
    cmd.env("PRESCIENT_GAMMA_URL", &gamma)
        .arg("record")
        .arg("--into")
        .arg(seq.path());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = std::fs::read_dir(seq.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    let new = &names[1];
    let t = orchestrator::backtest::snapshots::parse_moment_name(new).unwrap();
    assert!((chrono::Utc::now() - t).num_seconds().abs() < 120, "{new}");
    let recorded = read_json(&seq.path().join(new).join("markets.json"));
    let mut ids: Vec<&str> = recorded
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, ["1001", "1002", "1003", "1004"]);

    // The sequence backtests, one equity point per moment.
    let text = backtest_json(seq.path(), "most_likely");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["strategies"][0]["equity"].as_array().unwrap().len(), 2);

    // The same moment again is refused.
    let mut settings = settings();
    settings.gamma_url = gamma;
    let err = orchestrator::app::sources::record_into(&settings, seq.path(), t)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("exists already"), "{err}");
}

/// `--amount 50 --initial-balance 1000` over the three days, by hand:
/// day 1 buys 62.5 A shares at 0.80 and 80 B No shares at 0.625 (balance
/// 900, value 1000); day 2 marks them at 0.90 and 0.50 (900 + 56.25 + 40 =
/// 996.25); day 3 settles A for 62.50 (+12.50) and B for 0 (−50): 962.50,
/// realized −37.50, return −0.0375.
#[test]
fn amount_and_initial_balance_set_every_portfolio() {
    let seq = three_days();
    let text = backtest_json_with(
        seq.path(),
        "most_likely",
        &["--amount", "50", "--initial-balance", "1000"],
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    let s = &v["strategies"][0];
    let equity: Vec<f64> = s["equity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["total_value"].as_f64().unwrap())
        .collect();
    assert_eq!(equity, [1000.0, 996.25, 962.5]);
    assert!(text.contains(r#""final_value": 962.50"#), "{text}");
    assert!(text.contains(r#""realized_pnl": -37.50"#), "{text}");
    assert!(text.contains(r#""return": -0.0375"#), "{text}");
    assert_eq!(s["trades"], 2);
    assert_eq!(s["win_rate"].as_f64(), Some(0.5));
}

/// Holding times run on the moments' clock: with a maximum holding of one
/// day, day 2 sells both positions at its prices — A 125 × 0.90 = 112.50
/// (+12.50), B 160 × 0.50 = 80 (−20) — so the resolutions of day 3 find
/// nothing open: 9800 + 192.50 = 9992.50, realized −7.50. The exited
/// positions still forecast their markets: Brier as before.
#[tokio::test]
async fn exits_use_the_moment_clock_for_holding_times() {
    let seq = three_days();
    let mut config = backtest_config(&["most_likely"]);
    config.exits.rules =
        paper_trading::ExitRules::new(None, None, Some(chrono::TimeDelta::days(1))).unwrap();
    let mut moments = SnapshotSequence::open(seq.path(), None, None).unwrap();
    let report = run_backtest(&mut moments, &config).await.unwrap();
    let s = &report.strategies[0];
    assert_eq!(s.trades, 2);
    let values: Vec<String> = s
        .equity
        .points()
        .iter()
        .map(|p| p.value.to_string())
        .collect();
    assert_eq!(values, ["10000.00", "9992.50", "9992.50"]);
    assert_eq!(s.final_value, testkit::usd("9992.50"));
    assert_eq!(s.realized_pnl, testkit::usd("-7.50"));
    assert_eq!(s.win_rate, Some(dec!(0.5)));
    assert_eq!(s.brier, Some(dec!(0.215313)));

    // The same through the command's flag.
    let text = backtest_json_with(seq.path(), "most_likely", &["--max-holding", "1d"]);
    assert!(text.contains(r#""final_value": 9992.50"#), "{text}");
    assert!(text.contains(r#""realized_pnl": -7.50"#), "{text}");
}

/// A fee of 100 bps (1 of every 100) buys fewer shares: A 99 / 0.80 =
/// 123.75, B 99 / 0.625 = 158.4; day 3 pays A's 123.75 and nothing for B:
/// 9800 + 123.75 = 9923.75, realized 23.75 − 100 = −76.25. A refused rule
/// names its flag's field.
#[test]
fn fill_and_exit_flags_are_the_portfolios_rules() {
    let seq = three_days();
    let cwd = tempfile::tempdir().unwrap();
    let text = backtest_json_with(seq.path(), "most_likely", &["--fee-bps", "100"]);
    assert!(text.contains(r#""final_value": 9923.75"#), "{text}");
    assert!(text.contains(r#""realized_pnl": -76.25"#), "{text}");

    prescient_in(cwd.path())
        .args([
            "backtest",
            "--strategies",
            "most_likely",
            "--max-holding",
            "soon",
        ])
        .arg("--source")
        .arg(format!("snapshots:{}", seq.path().display()))
        .assert()
        .failure()
        .stderr(predicates::str::contains("exits.max_holding \"soon\""));
}
