//! The trading cycle (SPEC §2), steps 1–8, over any [`Stores`] and any
//! [`MarketSource`]. Each step persists its output through the ports and hands
//! it to the next step in memory (re-reading what was just written was a fifth
//! of the original's cycle time).
//!
//! Step 5 records each execution (trade, portfolio, signal link) through the
//! `ExecutionStore` port: one transaction on PostgreSQL; on JSON the trade is
//! appended before the portfolio holding its position is saved, so a crash
//! between the two leaves a trade without a position (visible, no money
//! moved) rather than a position whose trade record is lost.

use crate::prices::PriceError;
use crate::summary::{CycleSummary, StepSummary};
use chrono::{DateTime, Utc};
use domain::ports::Stores;
use domain::{MarketId, MarketSnapshot, Portfolio, PortfolioId, SignalArchive, StoreError, Usd};
use paper_trading::{ExecutionPolicy, SkipReason};
use polymarket_client::{ClientError, MarketSource};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;
use strategy::{EventFilter, MarketFilter, Strategy};

/// The clock the cycle reads; tests pass a fixed one.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The system clock, to the microsecond: both stores keep microseconds, so
/// a timestamp used as a natural key reads back equal from either.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        use chrono::SubsecRound;
        Utc::now().trunc_subsecs(6)
    })
}

/// Everything a cycle needs besides stores and a source.
#[derive(Clone)]
pub struct CycleParams {
    pub portfolio_id: PortfolioId,
    pub initial_balance: Usd,
    pub event_filter: EventFilter,
    pub market_filter: MarketFilter,
    pub policy: ExecutionPolicy,
    pub strategy: Arc<dyn Strategy>,
    pub clock: Clock,
}

/// Why a cycle stopped. The steps before `step` completed and persisted.
#[derive(Debug, thiserror::Error)]
pub enum CycleError {
    #[error("step {step}: {source}")]
    Store {
        step: &'static str,
        #[source]
        source: StoreError,
    },
    #[error("step {step}: {source}")]
    Source {
        step: &'static str,
        #[source]
        source: ClientError,
    },
    #[error("step {step}: {message}")]
    Invariant { step: &'static str, message: String },
}

fn store(step: &'static str) -> impl FnOnce(StoreError) -> CycleError {
    move |source| CycleError::Store { step, source }
}

fn fetch(step: &'static str) -> impl FnOnce(ClientError) -> CycleError {
    move |source| CycleError::Source { step, source }
}

/// Run one full cycle.
#[tracing::instrument(skip_all, fields(source = %source.describe()))]
pub async fn run_cycle(
    stores: &Stores,
    source: &dyn MarketSource,
    params: &CycleParams,
) -> Result<CycleSummary, CycleError> {
    let now = || (params.clock)();
    let started_at = now();
    let started = Instant::now();
    let mut summary = CycleSummary::new(source.describe(), started_at, params);

    // Load the portfolio before anything is written: a portfolio that does not
    // parse stops the cycle with nothing touched.
    let mut portfolio = stores
        .portfolio
        .load_portfolio(&params.portfolio_id)
        .await
        .map_err(store("load portfolio"))?
        .unwrap_or_else(|| {
            Portfolio::new(
                params.portfolio_id.clone(),
                params.initial_balance,
                started_at,
            )
        });
    portfolio
        .check_invariant()
        .map_err(|e| CycleError::Invariant {
            step: "load portfolio",
            message: e.to_string(),
        })?;

    // 1. Export events.
    let step = Instant::now();
    let fetched = source
        .fetch_active_events()
        .await
        .map_err(fetch("export events"))?;
    stores
        .markets
        .save_raw_events(&fetched.events)
        .await
        .map_err(store("export events"))?;
    summary.push(StepSummary::new("export_events", step).counts(json!({
        "events": fetched.events.len(),
        "skipped_records": fetched.stats.skipped.len(),
        "duplicates": fetched.stats.duplicates,
        "requests": fetched.stats.requests,
        "pages": fetched.stats.pages,
        "retries": fetched.stats.retries,
    })));
    for skipped in &fetched.stats.skipped {
        tracing::warn!(record = %skipped, "skipped a Gamma record that does not decode");
    }

    // 2. Filter events.
    let step = Instant::now();
    let events = strategy::filter_events(&fetched.events, &params.event_filter, now());
    stores
        .markets
        .save_filtered_events(&events.passed)
        .await
        .map_err(store("filter events"))?;
    summary.push(StepSummary::new("filter_events", step).counts(json!({
        "input": events.input,
        "passed": events.passed.len(),
        "rejected_liquidity": events.rejected_liquidity,
        "rejected_volume": events.rejected_volume,
        "rejected_volume_24hr": events.rejected_volume_24hr,
        "rejected_days": events.rejected_days,
        "missing_end_date": events.missing_end_date,
    })));

    // 3. Filter markets, fetch their details, snapshot them.
    let step = Instant::now();
    let candidates = strategy::filter_markets(&events.passed, &params.market_filter);
    let ids: Vec<MarketId> = candidates.passed.iter().map(|m| m.id.clone()).collect();
    let details = source
        .fetch_markets(&ids, false)
        .await
        .map_err(fetch("filter markets"))?;
    // A market whose details could not be fetched keeps the record nested in
    // its event, fetched in the same crawl; it is counted.
    let mut detailed = details.markets;
    let missing: HashSet<&MarketId> = details.missing.iter().collect();
    let fallback: Vec<_> = candidates
        .passed
        .iter()
        .filter(|c| missing.contains(&c.id))
        .cloned()
        .collect();
    detailed.extend(fallback.iter().cloned());
    let markets = strategy::carry_event_context(detailed, &candidates.passed);
    stores
        .markets
        .save_filtered_markets(&markets)
        .await
        .map_err(store("filter markets"))?;
    let snapshot_at = now();
    let snapshots: Vec<MarketSnapshot> = markets
        .iter()
        .map(|m| market_snapshot(m, snapshot_at))
        .collect();
    stores
        .markets
        .append_market_snapshots(&snapshots)
        .await
        .map_err(store("filter markets"))?;
    summary.push(StepSummary::new("filter_markets", step).counts(json!({
        "input": candidates.input,
        "passed": markets.len(),
        "not_tradable": candidates.not_tradable,
        "rejected_liquidity": candidates.rejected_liquidity,
        "rejected_volume": candidates.rejected_volume,
        "rejected_volume_24hr": candidates.rejected_volume_24hr,
        "rejected_conviction": candidates.rejected_conviction,
        "details_fetched": markets.len() - fallback.len(),
        "details_missing": fallback.len(),
        "dropped_unrequested": details.stats.dropped_unrequested,
        "snapshots": snapshots.len(),
    })));

    // 4. Generate signals.
    let step = Instant::now();
    let mut signals = params.strategy.generate(&markets, now());
    stores
        .signals
        .replace_current_signals(&signals)
        .await
        .map_err(store("generate signals"))?;
    summary.push(StepSummary::new("generate_signals", step).counts(json!({
        "strategy": params.strategy.name(),
        "signals": signals.len(),
    })));

    // 5. Execute.
    let step = Instant::now();
    let mut executed = Vec::new();
    let mut skipped = Vec::new();
    for signal in signals.iter_mut() {
        let at = now();
        match paper_trading::execute_signal(&mut portfolio, signal, at, &params.policy) {
            Ok(trade) => {
                signal.mark_executed(trade.trade_id.clone(), at);
                stores
                    .execution
                    .record_execution(&trade, &portfolio, Some(signal))
                    .await
                    .map_err(store("execute"))?;
                executed.push(json!({
                    "trade_id": trade.trade_id.as_str(),
                    "market_id": trade.market_id.as_str(),
                    "action": trade.action.as_str(),
                    "amount": trade.amount.value(),
                    "entry_price": trade.entry_price.value(),
                }));
            }
            Err(reason) => skipped.push(json!({
                "market_id": signal.market_id.as_str(),
                "reason": reason.to_string(),
                "kind": skip_kind(&reason),
            })),
        }
    }
    if !executed.is_empty() {
        stores
            .signals
            .replace_current_signals(&signals)
            .await
            .map_err(store("execute"))?;
    }
    summary.push(StepSummary::new("execute", step).counts(json!({
        "executed": executed.len(),
        "skipped": skipped.len(),
        "trades": executed,
        "skips": skipped,
    })));

    // 6. Re-price open positions (closed markets asked for explicitly), settle
    //    resolved ones, record history and a snapshot.
    let step = Instant::now();
    let at = now();
    let report = crate::prices::reprice_open_positions(&mut portfolio, source, at)
        .await
        .map_err(reprice_error)?;
    portfolio.last_updated = at;
    stores
        .portfolio
        .save_portfolio(&portfolio)
        .await
        .map_err(store("re-price"))?;
    stores
        .history
        .append_history_entry(&paper_trading::history_entry(&portfolio, at))
        .await
        .map_err(store("re-price"))?;
    stores
        .portfolio
        .append_portfolio_snapshot(&paper_trading::snapshot(&portfolio, at))
        .await
        .map_err(store("re-price"))?;
    summary.push(StepSummary::new("reprice", step).counts(json!({
        "open_positions": report.open_markets,
        "repriced": report.repriced,
        "settled": report.settled.len(),
        "undecided": report.undecided.iter().map(MarketId::as_str).collect::<Vec<_>>(),
        "unpriced": report.unpriced.len(),
        "realized_pnl": report.realized_pnl.value(),
    })));

    // 7. Archive signals (nothing when there are none, as the original).
    let step = Instant::now();
    if !signals.is_empty() {
        let archived_at = now();
        stores
            .history
            .append_signal_archive(&SignalArchive {
                archived_at,
                month: domain::time::month_key(archived_at),
                signals: signals.clone(),
                extra: Default::default(),
            })
            .await
            .map_err(store("archive signals"))?;
    }
    summary.push(StepSummary::new("archive_signals", step).counts(json!({
        "archived": signals.len(),
    })));

    // 8. System metadata.
    let step = Instant::now();
    let stamp = domain::time::format_timestamp(now());
    for key in [
        "last_event_export",
        "last_market_filter",
        "last_signal_generation",
        "last_trade_execution",
    ] {
        stores
            .metadata
            .set_metadata(key, &stamp, now())
            .await
            .map_err(store("metadata"))?;
    }
    summary.push(StepSummary::new("metadata", step));

    summary.finish(&portfolio, now(), started.elapsed());
    Ok(summary)
}

/// Step 6 runs the shared price update ([`crate::prices`]); its errors are
/// the cycle's, named for the step.
fn reprice_error(e: PriceError) -> CycleError {
    const STEP: &str = "re-price";
    match e {
        PriceError::Store(source) => CycleError::Store { step: STEP, source },
        PriceError::Source(source) => CycleError::Source { step: STEP, source },
        PriceError::Invariant(message) => CycleError::Invariant {
            step: STEP,
            message,
        },
        PriceError::NoPortfolio(_) => CycleError::Invariant {
            step: STEP,
            message: e.to_string(),
        },
    }
}

fn skip_kind(reason: &SkipReason) -> &'static str {
    match reason {
        SkipReason::InsufficientBalance { .. } => "insufficient_balance",
        SkipReason::PositionAlreadyOpen { .. } => "position_already_open",
        SkipReason::InvalidSignal(_) => "invalid_signal",
    }
}

fn market_snapshot(market: &domain::Market, at: DateTime<Utc>) -> MarketSnapshot {
    MarketSnapshot {
        market_id: market.id.clone(),
        timestamp: at,
        yes_price: market.yes_price(),
        no_price: market.no_price(),
        liquidity: market.liquidity.map(Usd::new),
        volume: market.volume.map(Usd::new),
        volume_24hr: market.volume_24hr.map(Usd::new),
        conviction: market.conviction(),
    }
}
