//! The storage conformance suite: the port contract of `domain::ports` as
//! executable checks, generic over the port traits, so the JSON store, the
//! PostgreSQL store and the routed store are held to the same behaviour.
//!
//! Every check expects a fresh, empty store and panics with a message on the
//! first broken expectation. Run them all from a store crate's test file:
//!
//! ```text
//! async fn fresh() -> (tempfile::TempDir, JsonStore) { /* … */ }
//! testkit::storage_conformance!(fresh);
//! ```
//!
//! which generates one `#[tokio::test]` per check (the calling crate needs
//! `tokio` with `macros` and `rt`), or call [`run_all`] with the same factory.

use crate::samples::*;
use domain::ports::{
    HistoryStore, MarketStore, MetadataStore, PortfolioStore, SignalStore, TradeStore,
};
use domain::{
    MarketId, Portfolio, PortfolioHistoryEntry, PortfolioId, PortfolioSnapshot, Signal,
    SignalArchive, StoreError, Trade, TradeId, TradeSettlement,
};
use std::collections::BTreeMap;
use std::future::Future;

/// A store serving every port.
pub trait AllPorts:
    PortfolioStore + TradeStore + HistoryStore + SignalStore + MarketStore + MetadataStore
{
}

impl<S> AllPorts for S where
    S: PortfolioStore + TradeStore + HistoryStore + SignalStore + MarketStore + MetadataStore
{
}

/// An execution stores the trade and the portfolio holding its position;
/// recording it again changes nothing.
pub async fn execution_records_trade_and_portfolio<S>(store: &S)
where
    S: domain::ports::ExecutionStore + TradeStore + PortfolioStore,
{
    let trade = sample_trade(0);
    let portfolio = sample_portfolio(1, 0);
    assert_eq!(portfolio.positions[0].trade_id, trade.trade_id);
    store
        .record_execution(&trade, &portfolio, None)
        .await
        .expect("record_execution");
    store
        .record_execution(&trade, &portfolio, None)
        .await
        .expect("record_execution again");
    assert_eq!(
        store.load_trades(&default_id()).await.expect("load_trades"),
        vec![trade],
        "the trade, once"
    );
    assert_eq!(
        store
            .load_portfolio(&default_id())
            .await
            .expect("load_portfolio"),
        Some(portfolio),
        "the portfolio holding its position"
    );
}

/// A step's executions are recorded together: every trade in order and the
/// portfolio holding all their positions; recording them again changes
/// nothing. A batch with a trade under a stored id (other content) is
/// `StoreError::Conflict` and writes none of it: neither its new trades nor
/// its portfolio.
pub async fn executions_recorded_together<S>(store: &S)
where
    S: domain::ports::ExecutionStore + TradeStore + PortfolioStore,
{
    let trades: Vec<Trade> = (0..3).map(sample_trade).collect();
    let portfolio = sample_portfolio(3, 0);
    for _ in 0..2 {
        store
            .record_executions(&trades, &portfolio, &[])
            .await
            .expect("record_executions");
    }
    let mut other = sample_trade(1);
    other.market_question = "another trade under a stored id".into();
    let refused = [sample_trade(3), other];
    let err = store
        .record_executions(&refused, &sample_portfolio(4, 0), &[])
        .await
        .expect_err("a stored id with other content");
    assert!(
        matches!(&err, StoreError::Conflict { key, .. } if key == trades[1].trade_id.as_str()),
        "a conflict naming the id, got {err:?}"
    );
    assert_eq!(
        store.load_trades(&default_id()).await.expect("load_trades"),
        trades,
        "the three trades, once each, and nothing of the refused batch"
    );
    assert_eq!(
        store
            .load_portfolio(&default_id())
            .await
            .expect("load_portfolio"),
        Some(portfolio),
        "the portfolio as the first batch left it"
    );
}

/// Settling a position records it on its trade and the portfolio in one
/// call; recording it again changes nothing.
pub async fn settlements_record_trades_and_portfolio<S>(store: &S)
where
    S: domain::ports::ExecutionStore + TradeStore + PortfolioStore,
{
    let trade = sample_trade(0);
    let open = sample_portfolio(1, 0);
    store
        .record_execution(&trade, &open, None)
        .await
        .expect("record_execution");
    // The same portfolio with position 0 settled as a win.
    let settled = sample_portfolio(0, 1);
    let position = &settled.positions[0];
    assert_eq!(position.trade_id, trade.trade_id);
    let settlement = TradeSettlement::closed(
        default_id(),
        trade.trade_id.clone(),
        position.realized_pnl.expect("settled"),
        position.exit_timestamp.expect("settled"),
    );
    for _ in 0..2 {
        store
            .record_settlements(&settled, std::slice::from_ref(&settlement))
            .await
            .expect("record_settlements");
    }
    assert_eq!(
        store.load_trades(&default_id()).await.expect("load_trades"),
        vec![trade.settled(&settlement)],
        "the trade record is closed with the position's realized P&L"
    );
    assert_eq!(
        store
            .load_portfolio(&default_id())
            .await
            .expect("load_portfolio"),
        Some(settled),
        "the portfolio with its position closed"
    );
}

fn default_id() -> PortfolioId {
    PortfolioId::default()
}

/// A portfolio with open and closed positions reads back exactly; a second
/// save replaces the first.
pub async fn portfolio_round_trip<S: PortfolioStore>(store: &S) {
    let id = default_id();
    assert_eq!(
        store.load_portfolio(&id).await.unwrap(),
        None,
        "fresh store has no portfolio"
    );
    let first = sample_portfolio(2, 1);
    store.save_portfolio(&first).await.unwrap();
    assert_eq!(store.load_portfolio(&id).await.unwrap(), Some(first));

    let second = sample_portfolio(3, 2);
    store.save_portfolio(&second).await.unwrap();
    let loaded = store
        .load_portfolio(&id)
        .await
        .unwrap()
        .expect("saved portfolio");
    assert_eq!(loaded, second, "save replaces the previous portfolio");
    assert_eq!(loaded.positions.iter().filter(|p| !p.is_open()).count(), 2);
    loaded
        .check_invariant()
        .expect("loaded portfolio keeps the invariant");
}

/// An empty portfolio (no positions, nothing invested) round-trips too.
pub async fn portfolio_empty_round_trip<S: PortfolioStore>(store: &S) {
    let empty = sample_portfolio(0, 0);
    store.save_portfolio(&empty).await.unwrap();
    assert_eq!(
        store.load_portfolio(&default_id()).await.unwrap(),
        Some(empty)
    );
}

/// Snapshots load in append order; re-appending one changes nothing.
pub async fn portfolio_snapshots_append<S: PortfolioStore>(store: &S) {
    let id = default_id();
    assert!(
        store
            .load_portfolio_snapshots(&id)
            .await
            .unwrap()
            .is_empty()
    );
    let snapshots: Vec<_> = (0..3).map(sample_portfolio_snapshot).collect();
    for s in &snapshots {
        store.append_portfolio_snapshot(s).await.unwrap();
    }
    store
        .append_portfolio_snapshot(&snapshots[1])
        .await
        .unwrap();
    assert_eq!(
        store.load_portfolio_snapshots(&id).await.unwrap(),
        snapshots
    );
}

/// Trades read back field for field: Decimal scale-insensitive equality,
/// microsecond UTC timestamps, optional fields both set and unset.
pub async fn trades_round_trip<S: TradeStore>(store: &S) {
    let id = default_id();
    assert!(
        store.load_trades(&id).await.unwrap().is_empty(),
        "fresh store has no trades"
    );
    let full = sample_trade(1);
    let legacy = sample_legacy_trade(2);
    store.append_trade(&full).await.unwrap();
    store.append_trade(&legacy).await.unwrap();
    let loaded = store.load_trades(&id).await.unwrap();
    assert_eq!(loaded, vec![full.clone(), legacy]);
    assert_eq!(loaded[0].timestamp, full.timestamp, "microseconds survive");
    assert_eq!(
        loaded[0].entry_price.value().to_string(),
        full.entry_price.value().to_string()
    );
}

/// Trades load in append order; appending a stored trade again (a replay)
/// changes nothing; appending another trade under a stored `trade_id` is
/// `StoreError::Conflict` and changes nothing either (ids are unique in the
/// trade store, and the new trade must not vanish silently).
pub async fn trades_append_idempotent<S: TradeStore>(store: &S) {
    let id = default_id();
    let trades: Vec<_> = (0..5).map(sample_trade).collect();
    for t in &trades {
        store.append_trade(t).await.unwrap();
    }
    store.append_trade(&trades[2]).await.unwrap();
    store.append_trade(&trades[0]).await.unwrap();
    let mut other = trades[2].clone();
    other.market_question = "another trade under a stored id".into();
    let err = store.append_trade(&other).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict { key, .. } if key == trades[2].trade_id.as_str()),
        "a conflict naming the id, got {err:?}"
    );
    assert_eq!(store.load_trades(&id).await.unwrap(), trades);
}

/// Values as the original system wrote them (floats with 16 significant
/// digits, amounts with more than cents) read back digit for digit: prices,
/// amounts and P&L of trades, positions, the portfolio, signals and history.
pub async fn legacy_values_keep_every_digit<S: AllPorts>(store: &S) {
    let id = default_id();
    let trade = sample_python_era_trade(1);
    store.append_trade(&trade).await.unwrap();
    let loaded = store.load_trades(&id).await.unwrap();
    assert_eq!(loaded, vec![trade.clone()]);
    assert_eq!(
        loaded[0].entry_price.value().to_string(),
        "0.9999989889179475"
    );

    let portfolio = sample_python_era_portfolio();
    store.save_portfolio(&portfolio).await.unwrap();
    let back = store.load_portfolio(&id).await.unwrap().expect("saved");
    assert_eq!(back, portfolio);
    assert_eq!(back.balance.value().to_string(), "9899.999999999998");
    let position = &back.positions[0];
    assert_eq!(
        position.entry_price.value().to_string(),
        "0.9999989889179475"
    );
    assert_eq!(
        position.current_pnl.map(|u| u.value().to_string()),
        Some("0.0001011".into())
    );

    let signal = sample_python_era_signal(1);
    store
        .replace_current_signals(&id, std::slice::from_ref(&signal))
        .await
        .unwrap();
    let signals = store.load_current_signals(&id).await.unwrap();
    assert_eq!(signals, vec![signal]);
    assert_eq!(
        signals[0].yes_price.value().to_string(),
        "0.0000010110820525"
    );
    assert_eq!(
        signals[0].market_liquidity.map(|u| u.value().to_string()),
        Some("1758359.76599".into())
    );

    let entry = sample_python_era_history_entry();
    store.append_history_entry(&entry).await.unwrap();
    let history = store.load_history(&id).await.unwrap();
    assert_eq!(history, vec![entry]);
    assert_eq!(history[0].total_value.value().to_string(), "9900.0001011");
}

/// Per-market and most-recent queries.
pub async fn trades_queries<S: TradeStore>(store: &S) {
    let id = default_id();
    let trades: Vec<_> = (0..7).map(sample_trade).collect();
    for t in &trades {
        store.append_trade(t).await.unwrap();
    }
    let market = sample_market_id(1);
    let expected: Vec<_> = trades
        .iter()
        .filter(|t| t.market_id == market)
        .cloned()
        .collect();
    assert!(expected.len() >= 2);
    assert_eq!(
        store.trades_for_market(&id, &market).await.unwrap(),
        expected
    );
    assert!(
        store
            .trades_for_market(&id, &MarketId::new("no-such-market"))
            .await
            .unwrap()
            .is_empty()
    );
    let recent = store.recent_trades(&id, 3).await.unwrap();
    let ids: Vec<_> = recent.iter().map(|t| t.trade_id.clone()).collect();
    assert_eq!(
        ids,
        ["trade-0000006", "trade-0000005", "trade-0000004"].map(TradeId::new),
        "newest first"
    );
    assert_eq!(store.recent_trades(&id, 100).await.unwrap().len(), 7);
}

/// Counts and pages newest first (of one market or all) and lookups by id
/// answer as the full loads do.
pub async fn trades_pages_and_counts<S: TradeStore>(store: &S) {
    let id = default_id();
    let none: &[TradeId] = &[];
    assert_eq!(store.count_trades(&id, None).await.unwrap(), 0);
    assert!(
        store
            .trades_page(&id, None, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.trades_by_ids(&id, none).await.unwrap().is_empty());
    let trades: Vec<_> = (0..7).map(sample_trade).collect();
    for t in &trades {
        store.append_trade(t).await.unwrap();
    }
    store.append_trade(&trades[3]).await.unwrap();
    let ids = |page: Vec<domain::Trade>| -> Vec<String> {
        page.into_iter().map(|t| t.trade_id.to_string()).collect()
    };
    assert_eq!(
        store.count_trades(&id, None).await.unwrap(),
        7,
        "a replay counts once"
    );
    assert_eq!(
        ids(store.trades_page(&id, None, 0, 3).await.unwrap()),
        ["trade-0000006", "trade-0000005", "trade-0000004"],
        "first page, newest first"
    );
    assert_eq!(
        ids(store.trades_page(&id, None, 5, 10).await.unwrap()),
        ["trade-0000001", "trade-0000000"],
        "last page, short"
    );
    assert!(
        store
            .trades_page(&id, None, 7, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.trades_page(&id, None, 0, 3).await.unwrap()[0],
        trades[6]
    );

    let market = sample_market_id(1);
    let mut of_market: Vec<_> = trades
        .iter()
        .filter(|t| t.market_id == market)
        .cloned()
        .collect();
    of_market.reverse();
    assert!(of_market.len() >= 2);
    assert_eq!(
        store.count_trades(&id, Some(&market)).await.unwrap(),
        of_market.len() as u64
    );
    assert_eq!(
        store.trades_page(&id, Some(&market), 0, 100).await.unwrap(),
        of_market,
        "one market's, newest first"
    );
    assert_eq!(
        store.trades_page(&id, Some(&market), 1, 1).await.unwrap(),
        of_market[1..2].to_vec()
    );
    let nowhere = MarketId::new("no-such-market");
    assert_eq!(store.count_trades(&id, Some(&nowhere)).await.unwrap(), 0);
    assert!(
        store
            .trades_page(&id, Some(&nowhere), 0, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let wanted = [
        trades[4].trade_id.clone(),
        TradeId::new("no-such-trade"),
        trades[1].trade_id.clone(),
    ];
    assert_eq!(
        store.trades_by_ids(&id, &wanted).await.unwrap(),
        vec![trades[1].clone(), trades[4].clone()],
        "found ones, oldest first"
    );
    assert_eq!(
        store.trade_events(&id, &wanted).await.unwrap(),
        [&trades[1], &trades[4]].map(domain::TradeEvent::of),
        "their events, oldest first"
    );
    assert!(store.trade_events(&id, &[]).await.unwrap().is_empty());
    let other = PortfolioId::new("someone-else");
    assert_eq!(store.count_trades(&other, None).await.unwrap(), 0);
    assert!(
        store
            .trades_page(&other, None, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .trades_by_ids(&other, &wanted)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .trade_events(&other, &wanted)
            .await
            .unwrap()
            .is_empty()
    );
}

/// The history's summary (count, first and last, max drawdown) is what the
/// entries give, whatever order they were appended in.
pub async fn history_summary_of_entries<S: HistoryStore>(store: &S) {
    let id = default_id();
    assert_eq!(
        store.history_summary(&id).await.unwrap(),
        domain::HistorySummary::default(),
        "no history"
    );
    // A fall of 1 from 3 (a third, the largest fraction) and of 110 from
    // 1100 (the largest amount), appended out of timestamp order.
    let values = ["3", "2", "1000", "1100", "990"];
    let entries: Vec<_> = values
        .iter()
        .enumerate()
        .map(|(n, v)| {
            let mut e = sample_history_entry(n as u32);
            e.total_value = domain::Usd::new(v.parse().unwrap());
            e
        })
        .collect();
    for n in [2, 0, 4, 1, 3] {
        store.append_history_entry(&entries[n]).await.unwrap();
    }
    let summary = store.history_summary(&id).await.unwrap();
    assert_eq!(summary, domain::HistorySummary::of(&entries));
    assert_eq!(summary.first, Some(entries[0].timestamp));
    assert_eq!(summary.last, Some(entries[4].timestamp));
    assert_eq!(summary.max_drawdown.entries, 5);
    assert_eq!(summary.max_drawdown.amount.value().to_string(), "110");
    assert_eq!(summary.max_drawdown.fraction.to_string(), "0.333333");
    assert_eq!(
        store
            .history_summary(&PortfolioId::new("someone-else"))
            .await
            .unwrap()
            .max_drawdown
            .entries,
        0
    );
}

/// History entries load in append order, idempotent on timestamp.
pub async fn history_append<S: HistoryStore>(store: &S) {
    let id = default_id();
    assert!(store.load_history(&id).await.unwrap().is_empty());
    let entries: Vec<_> = (0..4).map(sample_history_entry).collect();
    for e in &entries {
        store.append_history_entry(e).await.unwrap();
    }
    store.append_history_entry(&entries[3]).await.unwrap();
    assert_eq!(store.load_history(&id).await.unwrap(), entries);
}

/// Archives are kept per month, oldest first, idempotent on `archived_at`.
pub async fn signal_archives_by_month<S: HistoryStore>(store: &S) {
    let id = default_id();
    assert!(
        store
            .load_signal_archives(&id, None)
            .await
            .unwrap()
            .is_empty()
    );
    let oct = sample_signal_archive(in_month(2025, 10, 0), 3);
    let oct2 = sample_signal_archive(in_month(2025, 10, 90), 0);
    let nov = sample_signal_archive(in_month(2025, 11, 0), 2);
    for a in [&oct, &oct2, &nov] {
        store.append_signal_archive(a).await.unwrap();
    }
    store.append_signal_archive(&oct).await.unwrap();
    assert_eq!(
        store
            .load_signal_archives(&id, Some("2025-10"))
            .await
            .unwrap(),
        vec![oct.clone(), oct2.clone()]
    );
    assert_eq!(
        store
            .load_signal_archives(&id, Some("2025-11"))
            .await
            .unwrap(),
        vec![nov.clone()]
    );
    assert!(
        store
            .load_signal_archives(&id, Some("2031-01"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.load_signal_archives(&id, None).await.unwrap(),
        vec![oct, oct2, nov]
    );
}

/// The current signal set is replaced wholesale, down to none.
pub async fn current_signals_replace<S: SignalStore>(store: &S) {
    let id = default_id();
    assert!(store.load_current_signals(&id).await.unwrap().is_empty());
    assert_eq!(
        store.executed_current_signals(&id).await.unwrap(),
        None,
        "no set yet"
    );
    let mut first: Vec<_> = (0..3).map(sample_signal).collect();
    // The word a fast check may look for, in a set none of which executed.
    first[1].reason = "true to form: YES at 0.9".into();
    store.replace_current_signals(&id, &first).await.unwrap();
    assert_eq!(store.load_current_signals(&id).await.unwrap(), first);
    assert_eq!(
        store.executed_current_signals(&id).await.unwrap(),
        None,
        "nothing executed"
    );

    let mut executed = sample_signal(7);
    executed.mark_executed(TradeId::new("trade-0000007"), at(8));
    let traded = vec![sample_signal(6), executed];
    store.replace_current_signals(&id, &traded).await.unwrap();
    assert_eq!(store.load_current_signals(&id).await.unwrap(), traded);
    assert_eq!(
        store.executed_current_signals(&id).await.unwrap(),
        Some(traded),
        "the whole set, one of it executed"
    );

    store.replace_current_signals(&id, &[]).await.unwrap();
    assert!(
        store.load_current_signals(&id).await.unwrap().is_empty(),
        "zero signals is a value"
    );
    assert_eq!(store.executed_current_signals(&id).await.unwrap(), None);
}

/// Settling a position updates its trade record in place: status, realized
/// P&L and closing time, every other field and every other trade as they
/// were. Settling again changes nothing; a replay of the trade's append
/// keeps its settlement; a trade that is not stored (or is another
/// portfolio's) is not settled.
pub async fn settling_updates_the_trade_record<S: TradeStore>(store: &S) {
    let id = default_id();
    let trades: Vec<_> = (0..3).map(sample_trade).collect();
    for t in &trades {
        store.append_trade(t).await.unwrap();
    }
    let settlement = TradeSettlement::closed(
        id.clone(),
        trades[1].trade_id.clone(),
        usd("-41.17"),
        at(90),
    );
    assert!(
        store.settle_trade(&settlement).await.unwrap(),
        "a stored trade is settled"
    );
    let settled = trades[1].settled(&settlement);
    assert_eq!(settled.status, domain::PositionStatus::Closed);
    let expected = vec![trades[0].clone(), settled.clone(), trades[2].clone()];
    assert_eq!(
        store.load_trades(&id).await.unwrap(),
        expected,
        "closed in place, the other trades untouched"
    );
    assert!(store.settle_trade(&settlement).await.unwrap());
    store.append_trade(&trades[1]).await.unwrap();
    assert_eq!(
        store.load_trades(&id).await.unwrap(),
        expected,
        "settling again, or replaying the trade's append, changes nothing"
    );
    assert_eq!(store.count_trades(&id, None).await.unwrap(), 3);
    assert_eq!(
        store
            .trades_by_ids(&id, std::slice::from_ref(&trades[1].trade_id))
            .await
            .unwrap(),
        vec![settled.clone()]
    );
    assert_eq!(
        store
            .trades_page(&id, Some(&trades[1].market_id), 0, 1)
            .await
            .unwrap(),
        vec![settled],
        "every read sees the settlement"
    );

    let nowhere = TradeSettlement {
        trade_id: TradeId::new("no-such-trade"),
        ..settlement.clone()
    };
    assert!(!store.settle_trade(&nowhere).await.unwrap());
    let elsewhere = TradeSettlement {
        portfolio_id: PortfolioId::new("someone-else"),
        trade_id: trades[2].trade_id.clone(),
        ..settlement.clone()
    };
    assert!(
        !store.settle_trade(&elsewhere).await.unwrap(),
        "another portfolio's trade is not settled"
    );
    assert_eq!(store.load_trades(&id).await.unwrap(), expected);

    // A trade copied already closed (a backfill, a restore) reads back closed.
    let copied = sample_trade(5).settled(&TradeSettlement::closed(
        id.clone(),
        sample_trade(5).trade_id,
        usd("12.5"),
        at(120),
    ));
    store.append_trade(&copied).await.unwrap();
    assert_eq!(store.load_trades(&id).await.unwrap().last(), Some(&copied));
}

/// Everything one portfolio holds in [`portfolio_isolation`].
struct Holdings {
    id: PortfolioId,
    portfolio: Portfolio,
    snapshots: Vec<PortfolioSnapshot>,
    trades: Vec<Trade>,
    history: Vec<PortfolioHistoryEntry>,
    signals: Vec<Signal>,
    archives: Vec<SignalArchive>,
}

/// A full set of records of portfolio `name`, at the same instants and in
/// the same markets as every other portfolio's (so only the portfolio tells
/// them apart), with `extra` records after the first `extra`.
fn holdings(name: &str, strategy: &str, extra: u32) -> Holdings {
    let id = PortfolioId::new(name);
    let mut portfolio = sample_portfolio(2, 1);
    portfolio.id = id.clone();
    for (n, p) in portfolio.positions.iter_mut().enumerate() {
        p.trade_id = TradeId::new(format!("trade-{name}-{n:07}"));
    }
    let with_id = |mut e: PortfolioHistoryEntry| {
        e.portfolio_id = id.clone();
        e
    };
    let history: Vec<_> = (0..2 + extra)
        .map(|n| with_id(sample_history_entry(n)))
        .collect();
    let snapshots = (0..2 + extra)
        .map(|n| PortfolioSnapshot {
            portfolio_id: id.clone(),
            ..sample_portfolio_snapshot(n)
        })
        .collect();
    let signals: Vec<_> = (0..2 + extra)
        .map(|n| sample_signal_of(name, strategy, n))
        .collect();
    let archives = [in_month(2025, 10, 0), in_month(2025, 11, 0)]
        .into_iter()
        .take(1 + extra.min(1) as usize)
        .map(|t| SignalArchive {
            portfolio_id: id.clone(),
            signals: signals.clone(),
            ..sample_signal_archive(t, 0)
        })
        .collect();
    Holdings {
        trades: (0..3 + extra)
            .map(|n| sample_trade_of(name, strategy, n))
            .collect(),
        id,
        portfolio,
        snapshots,
        history,
        signals,
        archives,
    }
}

/// Several portfolios in one store: nothing of one is visible through
/// another's id — portfolio, snapshots, trades (every query), history and
/// its summary, current signals, archives — and replacing one portfolio's
/// signals leaves the others'. The store lists the portfolios it holds.
pub async fn portfolio_isolation<S: AllPorts>(store: &S) {
    assert!(
        store.list_portfolios().await.unwrap().is_empty(),
        "a fresh store holds no portfolio"
    );
    let all = [
        holdings("a", "momentum", 0),
        holdings("b", "near_resolution", 1),
        holdings(PortfolioId::DEFAULT, domain::LEGACY_STRATEGY, 2),
    ];
    for h in &all {
        store.save_portfolio(&h.portfolio).await.unwrap();
        for s in &h.snapshots {
            store.append_portfolio_snapshot(s).await.unwrap();
        }
        for t in &h.trades {
            store.append_trade(t).await.unwrap();
        }
        for e in &h.history {
            store.append_history_entry(e).await.unwrap();
        }
        store
            .replace_current_signals(&h.id, &h.signals)
            .await
            .unwrap();
        for a in &h.archives {
            store.append_signal_archive(a).await.unwrap();
        }
    }
    assert_eq!(
        store.list_portfolios().await.unwrap(),
        ["a", "b", "default"].map(PortfolioId::new),
        "every portfolio, sorted"
    );
    let every_id: Vec<TradeId> = all
        .iter()
        .flat_map(|h| h.trades.iter().map(|t| t.trade_id.clone()))
        .collect();
    for h in &all {
        let id = &h.id;
        let market = sample_market_id(1);
        let in_market: Vec<_> = h
            .trades
            .iter()
            .filter(|t| t.market_id == market)
            .cloned()
            .collect();
        let newest_first: Vec<_> = h.trades.iter().rev().cloned().collect();
        assert_eq!(
            store.load_portfolio(id).await.unwrap().as_ref(),
            Some(&h.portfolio),
            "{id}: its portfolio"
        );
        assert_eq!(
            store.load_portfolio_snapshots(id).await.unwrap(),
            h.snapshots,
            "{id}: its snapshots"
        );
        assert_eq!(
            store.load_trades(id).await.unwrap(),
            h.trades,
            "{id}: its trades, with their strategy"
        );
        assert_eq!(
            store.trades_for_market(id, &market).await.unwrap(),
            in_market,
            "{id}: its trades in one market"
        );
        assert_eq!(store.recent_trades(id, 100).await.unwrap(), newest_first);
        assert_eq!(
            store.count_trades(id, None).await.unwrap(),
            h.trades.len() as u64,
            "{id}: its trade count"
        );
        assert_eq!(
            store.count_trades(id, Some(&market)).await.unwrap(),
            in_market.len() as u64
        );
        assert_eq!(
            store.trades_page(id, None, 0, 100).await.unwrap(),
            newest_first
        );
        assert_eq!(
            store.trades_by_ids(id, &every_id).await.unwrap(),
            h.trades,
            "{id}: only its trades by id"
        );
        assert_eq!(
            store.load_history(id).await.unwrap(),
            h.history,
            "{id}: its history"
        );
        assert_eq!(
            store.history_summary(id).await.unwrap(),
            domain::HistorySummary::of(&h.history)
        );
        assert_eq!(
            store.load_current_signals(id).await.unwrap(),
            h.signals,
            "{id}: its current signals, with their strategy"
        );
        assert_eq!(
            store.load_signal_archives(id, None).await.unwrap(),
            h.archives,
            "{id}: its archives"
        );
        assert_eq!(
            store
                .load_signal_archives(id, Some("2025-10"))
                .await
                .unwrap(),
            h.archives[..1].to_vec()
        );
    }

    // A signal of another portfolio is refused in a portfolio's set.
    let (a, b) = (&all[0], &all[1]);
    let err = store
        .replace_current_signals(&a.id, &b.signals)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidRecord { .. }),
        "a signal of b in a's set: {err:?}"
    );
    assert_eq!(store.load_current_signals(&a.id).await.unwrap(), a.signals);

    // Replacing (or settling) in one portfolio leaves the others alone.
    store.replace_current_signals(&a.id, &[]).await.unwrap();
    assert!(store.load_current_signals(&a.id).await.unwrap().is_empty());
    assert_eq!(store.load_current_signals(&b.id).await.unwrap(), b.signals);
    let settlement = TradeSettlement::closed(
        a.id.clone(),
        a.trades[0].trade_id.clone(),
        usd("3"),
        at(500),
    );
    assert!(store.settle_trade(&settlement).await.unwrap());
    assert_eq!(store.load_trades(&b.id).await.unwrap(), b.trades);
    assert_eq!(
        store.load_trades(&a.id).await.unwrap().first(),
        Some(&a.trades[0].settled(&settlement))
    );
    let nobody = PortfolioId::new("nobody");
    assert_eq!(store.load_portfolio(&nobody).await.unwrap(), None);
    assert!(store.load_trades(&nobody).await.unwrap().is_empty());
    assert!(
        store
            .load_current_signals(&nobody)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .load_signal_archives(&nobody, None)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Raw events, filtered events and filtered markets keep every Gamma field
/// and are replaced on save.
pub async fn markets_and_events_round_trip<S: MarketStore>(store: &S) {
    assert!(store.load_raw_events().await.unwrap().is_empty());
    assert!(store.load_filtered_events().await.unwrap().is_empty());
    assert!(store.load_filtered_markets().await.unwrap().is_empty());

    let raw = vec![sample_event(0, 3), sample_event(1, 0), sample_event(2, 1)];
    store.save_raw_events(&raw).await.unwrap();
    assert_eq!(store.load_raw_events().await.unwrap(), raw);
    store.save_raw_events(&raw[1..]).await.unwrap();
    assert_eq!(store.load_raw_events().await.unwrap(), raw[1..].to_vec());

    let filtered = vec![
        sample_filtered_event(0, 2, Some(42)),
        sample_filtered_event(3, 1, None),
    ];
    store.save_filtered_events(&filtered).await.unwrap();
    assert_eq!(store.load_filtered_events().await.unwrap(), filtered);

    let markets = vec![sample_market_in_event(0), sample_market(5)];
    store.save_filtered_markets(&markets).await.unwrap();
    let loaded = store.load_filtered_markets().await.unwrap();
    assert_eq!(loaded, markets);
    assert!(loaded[0].event.is_some(), "event context survives");
    store.save_filtered_markets(&[]).await.unwrap();
    assert!(store.load_filtered_markets().await.unwrap().is_empty());
}

/// Market snapshots append in order, idempotent on (market, timestamp), and
/// filter by market.
pub async fn market_snapshots_append<S: MarketStore>(store: &S) {
    assert!(store.load_market_snapshots(None).await.unwrap().is_empty());
    let (a, b) = (MarketId::new("540200"), MarketId::new("540201"));
    let first = vec![sample_market_snapshot(&a, 0), sample_market_snapshot(&b, 0)];
    let second = vec![
        sample_market_snapshot(&a, 1),
        sample_market_snapshot(&a, 0), // already stored
        sample_market_snapshot(&b, 1),
    ];
    store.append_market_snapshots(&first).await.unwrap();
    store.append_market_snapshots(&second).await.unwrap();
    store.append_market_snapshots(&[]).await.unwrap();
    let all = store.load_market_snapshots(None).await.unwrap();
    assert_eq!(
        all,
        vec![
            first[0].clone(),
            first[1].clone(),
            second[0].clone(),
            second[2].clone()
        ]
    );
    assert_eq!(
        store.load_market_snapshots(Some(&a)).await.unwrap(),
        vec![first[0].clone(), second[0].clone()]
    );
}

/// Metadata keys are set, overwritten and read back.
pub async fn metadata_set_get<S: MetadataStore>(store: &S) {
    assert!(store.load_metadata().await.unwrap().is_empty());
    store
        .set_metadata("last_event_export", "2025-10-20T17:02:45Z", at(0))
        .await
        .unwrap();
    store.set_metadata("phase", "0", at(1)).await.unwrap();
    store.set_metadata("phase", "1", at(2)).await.unwrap();
    let expected: BTreeMap<String, String> = [
        (
            "last_event_export".to_owned(),
            "2025-10-20T17:02:45Z".to_owned(),
        ),
        ("phase".to_owned(), "1".to_owned()),
    ]
    .into();
    assert_eq!(store.load_metadata().await.unwrap(), expected);
}

/// Several keys set at once: new ones added, a stored one overwritten,
/// the others kept; a key given twice keeps its last value.
pub async fn metadata_set_all<S: MetadataStore>(store: &S) {
    store.set_metadata("phase", "0", at(0)).await.unwrap();
    store.set_metadata("kept", "yes", at(0)).await.unwrap();
    store
        .set_metadata_all(
            &[
                ("last_event_export", "2025-10-20T17:02:45Z"),
                ("phase", "1"),
                ("last_trade_execution", "first"),
                ("last_trade_execution", "2025-10-20T17:03:00Z"),
            ],
            at(1),
        )
        .await
        .unwrap();
    store.set_metadata_all(&[], at(2)).await.unwrap();
    let expected: BTreeMap<String, String> = [
        ("kept", "yes"),
        ("last_event_export", "2025-10-20T17:02:45Z"),
        ("last_trade_execution", "2025-10-20T17:03:00Z"),
        ("phase", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(store.load_metadata().await.unwrap(), expected);
}

/// Run every check, each on a fresh store from `fresh` (which returns a guard
/// to keep alive, e.g. a temp dir or a test database, and the store).
pub async fn run_all<S, G, F, Fut>(mut fresh: F)
where
    S: AllPorts,
    F: FnMut() -> Fut,
    Fut: Future<Output = (G, S)>,
{
    // Keep this list and the one in `storage_conformance!` the same.
    macro_rules! each {
        ($($check:ident),* $(,)?) => {
            $({
                let (_guard, store) = fresh().await;
                $check(&store).await;
            })*
        };
    }
    each!(
        portfolio_round_trip,
        portfolio_empty_round_trip,
        portfolio_snapshots_append,
        trades_round_trip,
        trades_append_idempotent,
        trades_queries,
        trades_pages_and_counts,
        legacy_values_keep_every_digit,
        history_append,
        history_summary_of_entries,
        signal_archives_by_month,
        current_signals_replace,
        settling_updates_the_trade_record,
        portfolio_isolation,
        markets_and_events_round_trip,
        market_snapshots_append,
        metadata_set_get,
        metadata_set_all,
    );
}

/// Generate one `#[tokio::test]` per conformance check, each on a fresh store
/// from `$fresh`, an async fn returning `(guard, store)`.
#[macro_export]
macro_rules! storage_conformance {
    ($fresh:path) => {
        $crate::storage_conformance!(@tests $fresh;
            portfolio_round_trip,
            portfolio_empty_round_trip,
            portfolio_snapshots_append,
            trades_round_trip,
            trades_append_idempotent,
            trades_queries,
            trades_pages_and_counts,
            legacy_values_keep_every_digit,
            history_append,
            history_summary_of_entries,
            signal_archives_by_month,
            current_signals_replace,
            settling_updates_the_trade_record,
            portfolio_isolation,
            markets_and_events_round_trip,
            market_snapshots_append,
            metadata_set_get,
            metadata_set_all,
        );
    };
    (@tests $fresh:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let (_guard, store) = $fresh().await;
                $crate::conformance::$check(&store).await;
            }
        )*
    };
}
