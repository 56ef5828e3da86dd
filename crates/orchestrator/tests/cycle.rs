//! A cycle over real and example snapshots into a JSON data directory: the
//! files a user would look at, and what they hold.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use domain::PortfolioId;
use rust_decimal_macros::dec;
use std::path::Path;
use std::sync::Arc;

const LEGACY_FILES: [&str; 7] = [
    "events/raw_events_backup.json",
    "events/filtered_events.json",
    "markets/filtered_markets.json",
    "trades/current_signals.json",
    "trades/portfolio.json",
    "trades/paper_trades.json",
    "history/portfolio_history.json",
];

#[tokio::test]
async fn a_cycle_on_real_fixtures_writes_every_legacy_file() {
    let Some(fixtures) = real_fixtures() else {
        return;
    };
    let snapshot = snapshot_from(&[
        fixtures.join("gamma/events_super_bowl_2026.json"),
        fixtures.join("gamma/events_democratic_nominee_2028.json"),
    ]);
    let data = tempfile::tempdir().unwrap();
    // 69 days before the Super Bowl; the 2028 nominee event is out of range.
    let now = at("2025-12-01T00:00:00Z");
    let summary = cycle(data.path(), snapshot.path(), &settings(), now).await;

    for file in LEGACY_FILES {
        read_json(&data.path().join(file));
    }
    read_json(&data.path().join("history/signals_archive_2025-12.json"));

    let d = data.path();
    assert_eq!(array_len(&d.join("events/raw_events_backup.json")), 2);
    let filtered = read_json(&d.join("events/filtered_events.json"));
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    assert_eq!(filtered[0]["id"], "23656");
    assert_eq!(filtered[0]["days_until_end"], 69);
    // 33 markets: one placeholder without prices is not tradable; the other
    // 32 pass liquidity/volume, and each has one side above 0.50.
    assert_eq!(array_len(&d.join("markets/filtered_markets.json")), 32);
    assert_eq!(array_len(&d.join("trades/current_signals.json")), 32);
    assert_eq!(array_len(&d.join("trades/paper_trades.json")), 32);
    assert_eq!(summary.execute().unwrap().executed, 32);

    let markets = read_json(&d.join("markets/filtered_markets.json"));
    assert_eq!(markets[0]["event_id"], "23656", "event context is kept");
    assert_eq!(markets[0]["event_title"], "Super Bowl Champion 2026");

    let signals = read_json(&d.join("trades/current_signals.json"));
    for s in signals.as_array().unwrap() {
        assert_eq!(s["executed"], true, "every signal is linked: {s}");
        assert!(
            s["trade_id"]
                .as_str()
                .unwrap()
                .starts_with("trade_20251201_000000_")
        );
    }

    // Everything reads back through the store, and the ledger holds.
    let stores = json_stores(d);
    let portfolio = stores
        .portfolio
        .load_portfolio(&PortfolioId::default())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(portfolio.balance.value(), dec!(6800));
    assert_eq!(portfolio.open_positions().count(), 32);
    assert_eq!(portfolio.total_value().value(), dec!(10000));
    portfolio.check_invariant().unwrap();
    let trades = stores
        .trades
        .load_trades(&PortfolioId::default())
        .await
        .unwrap();
    assert_eq!(trades.len(), 32);
    let history = stores
        .history
        .load_history(&PortfolioId::default())
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].total_value.value(), dec!(10000));
    assert_eq!(history[0].open_positions, 32);
    let archives = stores
        .history
        .load_signal_archives(&PortfolioId::default(), None)
        .await
        .unwrap();
    assert_eq!(archives.len(), 1);
    assert_eq!(archives[0].signals.len(), 32);
    assert!(
        archives[0]
            .signals
            .iter()
            .all(|s| s.strategy == "most_likely" && s.portfolio_id.is_default()),
        "signals name their strategy and portfolio"
    );
    assert!(trades.iter().all(|t| t.strategy == "most_likely"));
    let meta = stores.metadata.load_metadata().await.unwrap();
    assert!(meta.contains_key("last_trade_execution"));
    the_recorded_fixtures_backtest_as_live_cycles_trade(&fixtures).await;
}

/// The recorded Super Bowl event on two days: the first moment trades what
/// a live cycle at that time trades, into the same portfolio value.
async fn the_recorded_fixtures_backtest_as_live_cycles_trade(fixtures: &Path) {
    let snapshot = snapshot_from(&[fixtures.join("gamma/events_super_bowl_2026.json")]);
    let seq = tempfile::tempdir().unwrap();
    for name in ["20260110T120000Z", "20260111T120000Z"] {
        testkit::files::copy_tree(snapshot.path(), &seq.path().join(name));
    }
    let mut moments =
        orchestrator::backtest::SnapshotSequence::open(seq.path(), None, None).unwrap();
    let report = orchestrator::backtest::run_backtest(
        &mut moments,
        &backtest_config(&["most_likely", "favourite_band"]),
    )
    .await
    .unwrap();

    // The live cycle, on a store of its own, at the first moment's time.
    let now = at("2026-01-10T12:00:00Z");
    let store = Arc::new(testkit::memory::MemoryStore::new());
    let stores = domain::ports::Stores::single(store.clone());
    let mut params = params(&settings(), now);
    params.portfolio_id = domain::PortfolioId::new("most_likely");
    let live = orchestrator::run_cycle(
        &stores,
        &polymarket_client::SnapshotSource::open(snapshot.path()).unwrap(),
        &params,
    )
    .await
    .unwrap();
    let live_portfolio = live.portfolio.unwrap();
    let trades = store.state().trades;
    assert!(!trades.is_empty(), "the fixture trades nothing at {now}");

    let s = &report.strategies[0];
    assert_eq!(s.trades, trades.len() as u64);
    assert_eq!(
        s.equity.points()[0].value.to_string(),
        live_portfolio.total_value
    );
    assert_eq!(s.equity.points().len(), 2);
    // Nothing resolved: no realized P&L, no win rate.
    assert_eq!(s.realized_pnl, testkit::usd("0"));
    assert_eq!(s.win_rate, None);
    assert_eq!(report.strategies[1].strategy, "favourite_band");

    // The same sequence again: the same report.
    let mut again = orchestrator::backtest::SnapshotSequence::open(seq.path(), None, None).unwrap();
    let rerun = orchestrator::backtest::run_backtest(
        &mut again,
        &backtest_config(&["most_likely", "favourite_band"]),
    )
    .await
    .unwrap();
    assert_eq!(rerun.to_json().unwrap(), report.to_json().unwrap());
}

#[tokio::test]
async fn running_the_same_snapshot_again_adds_no_duplicate_positions() {
    let data = tempfile::tempdir().unwrap();
    let mut s = settings();
    s.event_max_days_until_end = 1000;
    let first = cycle(
        data.path(),
        &example_snapshot(),
        &s,
        at("2026-12-01T10:00:00Z"),
    )
    .await;
    let second = cycle(
        data.path(),
        &example_snapshot(),
        &s,
        at("2026-12-01T11:00:00Z"),
    )
    .await;

    assert_eq!(first.execute().unwrap().executed, 3);
    assert_eq!(second.execute().unwrap().executed, 0);
    assert_eq!(second.execute().unwrap().skipped, 3);
    let d = data.path();
    assert_eq!(array_len(&d.join("trades/paper_trades.json")), 3);
    assert_eq!(
        read_json(&d.join("trades/portfolio.json"))["positions"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(array_len(&d.join("history/portfolio_history.json")), 2);
    assert_eq!(
        array_len(&d.join("history/signals_archive_2026-12.json")),
        2
    );
}

#[tokio::test]
async fn the_example_snapshot_trades_what_its_readme_says() {
    let data = tempfile::tempdir().unwrap();
    let mut s = settings();
    s.event_max_days_until_end = 1000;
    let summary = cycle(
        data.path(),
        &example_snapshot(),
        &s,
        at("2026-12-01T10:00:00Z"),
    )
    .await;
    let filter = summary.filter_events().unwrap();
    assert_eq!(filter.input, 5);
    assert_eq!(filter.passed, 3);
    assert_eq!(filter.missing_end_date, 1);

    let signals = read_json(&data.path().join("trades/current_signals.json"));
    let picked: Vec<(String, String, f64)> = signals
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["market_id"].as_str().unwrap().to_owned(),
                s["action"].as_str().unwrap().to_owned(),
                s["target_price"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        picked,
        vec![
            ("700002".into(), "buy_yes".into(), 0.865),
            ("700001".into(), "buy_no".into(), 0.72),
            ("700010".into(), "buy_no".into(), 0.65),
        ]
    );
    assert_eq!(
        signals[0]["reason"],
        "YES price 0.865 > 0.50, buying YES at 0.865"
    );
}

#[tokio::test]
async fn a_python_era_data_set_loads_and_a_cycle_continues_on_top() {
    let era = python_era_data();
    assert!(era.is_dir(), "{} is part of the repository", era.display());
    let data = copy_tree(&era);
    let d = data.path();
    let trades_before = read_json(&d.join("trades/paper_trades.json"));
    let history_before = array_len(&d.join("history/portfolio_history.json"));
    let positions_before = read_json(&d.join("trades/portfolio.json"))["positions"]
        .as_array()
        .unwrap()
        .len();

    let mut s = settings();
    s.event_max_days_until_end = 1000;
    let summary = cycle(d, &example_snapshot(), &s, at("2026-12-01T10:00:00Z")).await;
    let executed = summary.execute().unwrap().executed;

    // Every old trade is still there, unchanged, and the new ones follow.
    let trades_after = read_json(&d.join("trades/paper_trades.json"));
    let before = trades_before.as_array().unwrap();
    let after = trades_after.as_array().unwrap();
    assert_eq!(after.len(), before.len() + executed);
    for (old, now) in before.iter().zip(after) {
        assert_eq!(old["trade_id"], now["trade_id"]);
        assert_eq!(old["market_id"], now["market_id"]);
        assert_eq!(
            old["amount"].as_f64(),
            now["amount"].as_f64(),
            "amount of {} changed",
            old["trade_id"]
        );
    }
    let portfolio = read_json(&d.join("trades/portfolio.json"));
    assert_eq!(
        portfolio["positions"].as_array().unwrap().len(),
        positions_before + executed
    );
    assert_eq!(
        array_len(&d.join("history/portfolio_history.json")),
        history_before + 1
    );

    // The ledger of the continued portfolio holds.
    let stores = json_stores(d);
    let p = stores
        .portfolio
        .load_portfolio(&PortfolioId::default())
        .await
        .unwrap()
        .unwrap();
    p.check_invariant().unwrap();
}

/// A strategy that looks back (momentum) sees the prices the earlier cycles
/// recorded, not its own crawl's: with three earlier points of a rising
/// market, the fourth cycle buys yes; the third, with two, does not — as in
/// a backtest of the same prices (`tests/backtest.rs`).
#[tokio::test]
async fn momentum_trades_on_the_prices_earlier_cycles_recorded() {
    let data = tempfile::tempdir().unwrap();
    let stores = json_stores(data.path());
    let mut settings = settings();
    settings.event_max_days_until_end = 1000;
    let mut params = params(&settings, at("2026-01-01T00:00:00Z"));
    params.strategy = strategy::build("momentum", &strategy::Params::new()).unwrap();
    let start = at("2026-01-01T00:00:00Z");
    let mut executed = Vec::new();
    for (hour, yes) in ["0.50", "0.55", "0.60", "0.65"].iter().enumerate() {
        let mut event = testkit::samples::sample_event_json(0, 1);
        let no = dec!(1) - yes.parse::<rust_decimal::Decimal>().unwrap();
        event["markets"][0]["outcomePrices"] = format!("[\"{yes}\", \"{no}\"]").into();
        let event = domain::gamma::decode_event(&event).unwrap().event;
        let source = polymarket_client::SnapshotSource::from_records(
            format!("hour {hour}"),
            vec![event],
            Vec::new(),
        );
        // A clock that moves on, as a live one does: each reading a
        // millisecond after the last, so step 4 runs after step 3's
        // snapshot (which must not count as an earlier cycle's price).
        let now = start + chrono::TimeDelta::hours(hour as i64);
        let ticks = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        params.clock = std::sync::Arc::new(move || {
            let n = ticks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            now + chrono::TimeDelta::milliseconds(n)
        });
        let summary = run_cycle_at(&stores, &source, &params).await;
        executed.push(summary);
    }
    assert_eq!(executed, [0, 0, 0, 1], "trades per cycle");
    let trades = stores
        .trades
        .load_trades(&PortfolioId::default())
        .await
        .unwrap();
    assert_eq!(trades.len(), 1);
    assert_eq!(trades[0].outcome.as_deref(), Some("Yes"));
    assert_eq!(trades[0].entry_price.value(), dec!(0.65));
    assert_eq!(trades[0].timestamp.format("%H").to_string(), "03");
    assert_eq!(trades[0].strategy, "momentum");
}

async fn run_cycle_at(
    stores: &domain::ports::Stores,
    source: &polymarket_client::SnapshotSource,
    params: &orchestrator::CycleParams,
) -> u64 {
    let summary = orchestrator::run_cycle(stores, source, params)
        .await
        .unwrap();
    summary.execute().map_or(0, |c| c.executed as u64)
}
