//! A data directory the original Python system wrote loads through every port
//! with the right values, and our writes on top keep every record, every
//! unknown field and the shape the Python reader expects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Utc};
use common::{copy_of, python_era, read_json};
use domain::ports::{
    HistoryStore, MarketStore, MetadataStore, PortfolioStore, SignalStore, TradeStore,
};
use domain::time::NaiveZone;
use domain::{Action, PortfolioId, PositionStatus, Usd};
use rust_decimal::Decimal;
use serde_json::json;
use storage_json::{JsonStore, JsonStoreOptions};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn open(dir: &std::path::Path) -> JsonStore {
    JsonStore::open(dir, JsonStoreOptions::default()).unwrap()
}

#[tokio::test]
async fn the_portfolio_loads_with_derived_shares_and_initial_balance() {
    let (_tmp, dir) = copy_of(&python_era());
    let store = open(&dir);
    let p = store
        .load_portfolio(&PortfolioId::default())
        .await
        .unwrap()
        .expect("portfolio.json exists");
    assert_eq!(p.balance, Usd::from_int(9800));
    assert_eq!(
        p.initial_balance,
        Usd::from_int(10_000),
        "derived from the invariant"
    );
    assert_eq!(p.total_invested, Usd::from_int(200));
    assert_eq!(p.total_profit_loss.value(), d("2.33"));
    assert_eq!(p.trade_count, 2);
    assert_eq!(p.created_at, utc("2025-10-20T09:00:00Z"));
    assert_eq!(p.last_updated, utc("2025-10-20T17:02:46.001234Z"));
    assert_eq!(p.last_price_update, Some(utc("2025-10-20T17:05:00.5Z")));
    assert_eq!(
        p.extra.get("strategy_notes"),
        Some(&json!("kept by Prescient"))
    );

    let [arizona, fed] = &p.positions[..] else {
        panic!("two positions, got {}", p.positions.len());
    };
    assert_eq!(
        arizona.entry_price.value().to_string(),
        "0.9999989889179475",
        "every digit the original wrote"
    );
    assert_eq!(
        arizona.shares.value(),
        d("100.000101"),
        "amount / entry price"
    );
    assert_eq!(arizona.action, Action::BuyNo);
    assert_eq!(fed.amount, Usd::from_int(100));
    assert_eq!(fed.shares.value(), d("116.279070"));
    assert_eq!(fed.entry_timestamp, utc("2025-10-20T17:02:45Z"));
    assert_eq!(fed.status, PositionStatus::Open);
    assert_eq!(
        fed.current_pnl.map(Usd::value),
        Some(d("2.33")),
        "legacy P&L kept"
    );
    assert_eq!(
        (fed.realized_pnl, fed.exit_price, fed.current_price),
        (None, None, None)
    );
    assert_eq!(fed.extra.get("position_note"), Some(&json!("kept")));
    p.check_invariant().unwrap();
}

#[tokio::test]
async fn trades_signals_history_and_archives_load() {
    let (_tmp, dir) = copy_of(&python_era());
    let store = open(&dir);
    let id = PortfolioId::default();

    let trades = store.load_trades(&id).await.unwrap();
    let ids: Vec<_> = trades.iter().map(|t| t.trade_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "trade_20251020_170245_540206",
            "trade_20251020_170245_634159"
        ]
    );
    let t = &trades[0];
    assert_eq!(t.amount, Usd::from_int(100));
    assert_eq!(t.timestamp, utc("2025-10-20T17:02:45.912345Z"));
    assert_eq!(t.confidence, d("0.5"));
    assert_eq!(t.current_pnl, Some(Usd::ZERO));
    assert_eq!(
        (t.realized_pnl, &t.event_id, &t.event_end_date),
        (None, &None, &None)
    );
    assert_eq!(
        t.extra.get("python_extra"),
        Some(&json!({"source": "manual", "tags": ["a", 1]}))
    );
    assert_eq!(trades[1].shares.value(), d("116.279070"));

    let signals = store.load_current_signals(&id).await.unwrap();
    assert_eq!(signals.len(), 2);
    assert_eq!(
        signals[0].target_price.value().to_string(),
        "0.9999989889179475"
    );
    assert_eq!(
        signals[0].yes_price.value(),
        d("0.0000010110820525"),
        "1.0110820525e-06 parses, every digit kept"
    );
    assert_eq!(signals[1].confidence, d("0.36"));
    assert_eq!(
        signals[1].market_liquidity.map(Usd::value),
        Some(d("412345.1234")),
        "Gamma's liquidity as the original stored it, not rounded to cents"
    );
    assert!(!signals[1].executed);

    let history = store.load_history(&id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        history[0].total_value.value(),
        d("9802.33"),
        "kept as the original wrote it"
    );
    assert_eq!(history[0].open_positions, 2);
    assert_eq!(history[0].date.to_string(), "2025-10-20");

    let archives = store.load_signal_archives(&id, None).await.unwrap();
    assert_eq!(archives.len(), 1);
    assert_eq!(archives[0].month, "2025-10");
    assert_eq!(archives[0].archived_at, utc("2025-10-20T17:02:47.5Z"));
    assert_eq!(archives[0].signals, signals);
    assert_eq!(
        store
            .load_signal_archives(&id, Some("2025-10"))
            .await
            .unwrap(),
        archives
    );

    assert!(store.load_metadata().await.unwrap().is_empty());
    assert!(
        store
            .load_portfolio_snapshots(&id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.load_market_snapshots(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn gamma_events_and_markets_load_with_every_field() {
    let (_tmp, dir) = copy_of(&python_era());
    let store = open(&dir);

    let raw = store.load_raw_events().await.unwrap();
    assert_eq!(raw.len(), 2);
    assert_eq!(raw[0].id.as_str(), "23656");
    assert_eq!(raw[0].liquidity, Some(d("22924218.59881")));
    assert_eq!(raw[0].markets.len(), 3);
    let placeholder = raw[0]
        .markets
        .iter()
        .find(|m| m.id.as_str() == "540561")
        .unwrap();
    assert_eq!(
        placeholder.outcome_prices, None,
        "no outcomePrices is a placeholder"
    );
    assert!(
        raw[0].raw.to_object().unwrap().contains_key("tags")
            && raw[0]
                .raw
                .to_object()
                .unwrap()
                .contains_key("negRiskMarketID")
    );

    let filtered = store.load_filtered_events().await.unwrap();
    let days: Vec<_> = filtered.iter().map(|f| f.days_until_end).collect();
    assert_eq!(days, [Some(111), None]);
    assert!(
        !filtered[0]
            .event
            .raw
            .to_object()
            .unwrap()
            .contains_key("days_until_end")
    );
    assert_eq!(filtered[1].event.end_date, None);

    let markets = store.load_filtered_markets().await.unwrap();
    let ids: Vec<_> = markets.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["634159", "540209"]);
    assert_eq!(markets[0].yes_price().map(|p| p.value()), Some(d("0.86")));
    assert_eq!(
        markets[0].event, None,
        "the original lost the event context"
    );
}

#[tokio::test]
async fn naive_timestamps_are_read_in_the_configured_zone() {
    let (_tmp, dir) = copy_of(&python_era());
    let options = JsonStoreOptions {
        naive_zone: NaiveZone::parse("Europe/Berlin").unwrap(),
    };
    let store = JsonStore::open(&dir, options).unwrap();
    let trades = store.load_trades(&PortfolioId::default()).await.unwrap();
    assert_eq!(trades[0].timestamp, utc("2025-10-20T15:02:45.912345Z"));
}

#[tokio::test]
async fn rewriting_the_portfolio_keeps_unknown_fields_and_the_python_shape() {
    let (_tmp, dir) = copy_of(&python_era());
    let store = open(&dir);
    let id = PortfolioId::default();
    let mut p = store.load_portfolio(&id).await.unwrap().unwrap();
    p.last_updated = utc("2025-10-21T08:00:00Z");
    store.save_portfolio(&p).await.unwrap();

    let file = read_json(&dir.join("trades/portfolio.json"));
    assert_eq!(file["strategy_notes"], json!("kept by Prescient"));
    assert_eq!(file["positions"][1]["position_note"], json!("kept"));
    assert_eq!(
        file["positions"][0]["amount"],
        json!(100),
        "still a JSON number"
    );
    assert_eq!(
        file["positions"][0]["trade_id"],
        json!("trade_20251020_170245_540206")
    );
    assert_eq!(file["positions"][0]["status"], json!("open"));
    assert_eq!(file["positions"][1]["entry_price"], json!(0.86));
    assert_eq!(file["balance"], json!(9800));
    assert_eq!(
        file["initial_balance"],
        json!(10000),
        "new field for us, ignored by Python"
    );
    assert_eq!(
        file["last_updated"],
        json!("2025-10-21T08:00:00.000000+00:00")
    );
    let text = std::fs::read_to_string(dir.join("trades/portfolio.json")).unwrap();
    assert!(
        text.starts_with("{\n  \""),
        "pretty-printed with indent 2 like the original"
    );

    let again = store.load_portfolio(&id).await.unwrap().unwrap();
    assert_eq!(again, p, "reads back exactly");
}

#[tokio::test]
async fn appending_keeps_every_legacy_record_untouched() {
    let (_tmp, dir) = copy_of(&python_era());
    let store = open(&dir);
    let id = PortfolioId::default();
    let before = read_json(&dir.join("trades/paper_trades.json"));

    let mut trade = testkit::sample_trade(9);
    trade.trade_id = "trade_20251021_080000_634159".into();
    store.append_trade(&trade).await.unwrap();
    // A replay of a legacy trade changes nothing.
    let legacy = store.load_trades(&id).await.unwrap()[0].clone();
    store.append_trade(&legacy).await.unwrap();

    let after = read_json(&dir.join("trades/paper_trades.json"));
    let after = after.as_array().unwrap();
    assert_eq!(after.len(), 3);
    assert_eq!(
        &after[..2],
        before.as_array().unwrap().as_slice(),
        "old records byte-identical as JSON"
    );
    assert_eq!(after[2]["trade_id"], json!("trade_20251021_080000_634159"));
    assert_eq!(after[2]["amount"], json!(100));
    let loaded = store.load_trades(&id).await.unwrap();
    assert_eq!(loaded[2], trade);

    let mut entry = testkit::sample_history_entry(5);
    entry.timestamp = utc("2025-10-21T08:00:00Z");
    store.append_history_entry(&entry).await.unwrap();
    let history = store.load_history(&id).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1], entry);
    // The legacy entry's timestamp, appended again in another notation, is the same key.
    let mut replay = history[0].clone();
    replay.balance = Usd::from_int(1);
    store.append_history_entry(&replay).await.unwrap();
    assert_eq!(store.load_history(&id).await.unwrap().len(), 2);

    let archive = testkit::sample_signal_archive(utc("2025-10-21T08:00:00Z"), 1);
    store.append_signal_archive(&archive).await.unwrap();
    let archives = store
        .load_signal_archives(&id, Some("2025-10"))
        .await
        .unwrap();
    assert_eq!(archives.len(), 2);
    assert_eq!(archives[1], archive);
}

#[tokio::test]
async fn python_era_records_are_the_default_portfolio_and_the_original_strategy() {
    let (_tmp, dir) = copy_of(&python_era());
    let store = open(&dir);
    let id = PortfolioId::default();
    let trades = store.load_trades(&id).await.unwrap();
    assert!(
        trades.iter().all(|t| t.strategy == domain::LEGACY_STRATEGY
            && t.portfolio_id == id
            && t.closed_at.is_none()),
        "{trades:?}"
    );
    let signals = store.load_current_signals(&id).await.unwrap();
    assert!(
        signals
            .iter()
            .all(|s| s.strategy == "most_likely" && s.portfolio_id == id)
    );
    let archives = store.load_signal_archives(&id, None).await.unwrap();
    assert!(
        archives
            .iter()
            .all(|a| a.portfolio_id == id && a.signals.iter().all(|s| s.strategy == "most_likely"))
    );
    assert_eq!(
        store.list_portfolios().await.unwrap(),
        vec![id.clone()],
        "the legacy files are the default portfolio"
    );

    // Written back, a signal says its strategy; the Python reader ignores it.
    store.replace_current_signals(&id, &signals).await.unwrap();
    let file = read_json(&dir.join("trades/current_signals.json"));
    assert_eq!(file[0]["strategy"], json!("most_likely"));
    assert_eq!(file[0]["market_id"], json!("540206"));
    assert_eq!(store.load_current_signals(&id).await.unwrap(), signals);
}

#[tokio::test]
async fn settling_a_legacy_trade_rewrites_that_record_only() {
    let (_tmp, dir) = copy_of(&python_era());
    let store = open(&dir);
    let id = PortfolioId::default();
    let path = dir.join("trades/paper_trades.json");
    let before = std::fs::read_to_string(&path).unwrap();
    let trades = store.load_trades(&id).await.unwrap();
    let settlement = domain::TradeSettlement::closed(
        id.clone(),
        trades[1].trade_id.clone(),
        Usd::new(d("16.28")),
        utc("2025-12-11T19:00:00Z"),
    );
    assert!(store.settle_trade(&settlement).await.unwrap());

    let after = std::fs::read_to_string(&path).unwrap();
    let second = before
        .find("  {\n    \"trade_id\": \"trade_20251020_170245_634159\"")
        .unwrap();
    assert_eq!(
        &after[..second],
        &before[..second],
        "the first record, as Python wrote it, byte for byte"
    );
    let file = read_json(&path);
    assert_eq!(file[1]["status"], json!("closed"));
    assert_eq!(file[1]["realized_pnl"], json!(16.28));
    assert_eq!(
        file[1]["closed_at"],
        json!("2025-12-11T19:00:00.000000+00:00")
    );
    assert_eq!(
        file[1]["entry_price"],
        json!(0.86),
        "the execution as it was"
    );
    assert_eq!(file[0]["status"], json!("open"));
    assert!(
        after.ends_with("\n]\n") || after.ends_with("]"),
        "still one array"
    );
    let loaded = store.load_trades(&id).await.unwrap();
    assert_eq!(
        loaded,
        vec![trades[0].clone(), trades[1].settled(&settlement)]
    );

    // A replay of the trade's append keeps the settlement; a new trade appends.
    store.append_trade(&trades[1]).await.unwrap();
    let mut trade = testkit::sample_trade(9);
    trade.trade_id = "trade_20251021_080000_634159".into();
    store.append_trade(&trade).await.unwrap();
    let loaded = store.load_trades(&id).await.unwrap();
    assert_eq!(loaded.len(), 3);
    assert_eq!(loaded[1], trades[1].settled(&settlement));
    assert_eq!(loaded[2], trade);
}

#[tokio::test]
async fn other_portfolios_live_beside_the_legacy_layout_in_its_shapes() {
    let (_tmp, dir) = copy_of(&python_era());
    let store = open(&dir);
    let legacy_trades = std::fs::read(dir.join("trades/paper_trades.json")).unwrap();
    let legacy_portfolio = std::fs::read(dir.join("trades/portfolio.json")).unwrap();
    let other = PortfolioId::new("momentum");
    assert_eq!(store.load_portfolio(&other).await.unwrap(), None);
    assert!(store.load_trades(&other).await.unwrap().is_empty());

    let trade = testkit::sample_trade_of("momentum", "momentum", 1);
    store.append_trade(&trade).await.unwrap();
    let mut p = testkit::sample_portfolio(1, 0);
    p.id = other.clone();
    p.positions[0].trade_id = trade.trade_id.clone();
    store.save_portfolio(&p).await.unwrap();
    let signal = testkit::sample_signal_of("momentum", "momentum", 1);
    store
        .replace_current_signals(&other, std::slice::from_ref(&signal))
        .await
        .unwrap();
    let mut entry = testkit::sample_history_entry(1);
    entry.portfolio_id = other.clone();
    store.append_history_entry(&entry).await.unwrap();

    let root = dir.join("portfolios/momentum");
    let trades = read_json(&root.join("trades/paper_trades.json"));
    assert_eq!(trades[0]["trade_id"], json!(trade.trade_id.as_str()));
    assert_eq!(trades[0]["strategy"], json!("momentum"));
    assert_eq!(trades[0]["amount"], json!(100));
    assert!(
        trades[0].get("portfolio_id").is_none(),
        "the directory names it"
    );
    let portfolio = read_json(&root.join("trades/portfolio.json"));
    assert_eq!(
        portfolio["positions"][0]["trade_id"],
        json!(trade.trade_id.as_str())
    );
    assert_eq!(
        read_json(&root.join("trades/current_signals.json"))[0]["strategy"],
        json!("momentum")
    );
    assert_eq!(
        read_json(&root.join("history/portfolio_history.json"))
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        std::fs::read(dir.join("trades/paper_trades.json")).unwrap(),
        legacy_trades,
        "the default portfolio's files untouched"
    );
    assert_eq!(
        std::fs::read(dir.join("trades/portfolio.json")).unwrap(),
        legacy_portfolio
    );

    assert_eq!(store.load_trades(&other).await.unwrap(), vec![trade]);
    assert_eq!(store.load_portfolio(&other).await.unwrap(), Some(p));
    assert_eq!(store.load_history(&other).await.unwrap(), vec![entry]);
    assert_eq!(
        store.load_current_signals(&other).await.unwrap(),
        vec![signal]
    );
    assert_eq!(
        store
            .load_trades(&PortfolioId::default())
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store.list_portfolios().await.unwrap(),
        vec![PortfolioId::default(), other]
    );
}

#[tokio::test]
async fn a_portfolio_id_that_is_not_a_safe_name_is_refused() {
    let (_tmp, dir) = copy_of(&python_era());
    let store = open(&dir);
    for bad in ["../trades", "Momentum", "a/b", ""] {
        let id = PortfolioId::new(bad);
        let err = store.load_trades(&id).await.unwrap_err();
        assert!(
            matches!(&err, domain::StoreError::InvalidRecord { key, message, .. }
                if key == bad && message.starts_with("`portfolio id`")),
            "{bad:?}: {err}"
        );
        let mut trade = testkit::sample_trade(1);
        trade.portfolio_id = id.clone();
        assert!(matches!(
            store.append_trade(&trade).await,
            Err(domain::StoreError::InvalidRecord { .. })
        ));
        assert!(store.load_current_signals(&id).await.is_err());
    }
    assert!(!dir.join("portfolios").exists(), "nothing was written");
    assert!(
        !dir.join("trades/trades").exists(),
        "nothing was written outside either"
    );
    let err = store
        .load_trades(&PortfolioId::new("../trades"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"../trades\" holds '.'; a portfolio id is made of a-z, 0-9, _ and - only"),
        "{err}"
    );
}
