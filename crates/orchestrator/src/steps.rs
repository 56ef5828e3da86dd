//! One step of the cycle on its own: the original services' actions
//! (`POST /events/export-all-active-events-json`, `/events/filter-events`,
//! …). Each reads its input from what the step before it persisted, runs the
//! step's own function in [`crate::cycle`] (nothing here repeats a step), and
//! records the time under the step's metadata key as a cycle does.
//!
//! A step on its own keeps the cycle's rules: the execution step loads and
//! checks the portfolio and completes an interrupted execution before it
//! trades, and executes only signals of the current set not executed yet.

use crate::cycle::{self, CycleError, CycleParams};
use crate::prices::PriceError;
use crate::summary::{StepCounts, StepSummary};
use domain::StoreError;
use domain::ports::Stores;
use polymarket_client::MarketSource;
use std::time::Instant;

fn store(step: &'static str) -> impl FnOnce(StoreError) -> CycleError {
    move |source| CycleError::Store { step, source }
}

/// Step 1: fetch every active event and persist them as the raw event set.
pub async fn export_events(
    stores: &Stores,
    source: &dyn MarketSource,
    params: &CycleParams,
) -> Result<StepSummary, CycleError> {
    let (_, summary) = cycle::export_events(stores, source).await?;
    cycle::record_metadata(stores, params, &["last_event_export"]).await?;
    Ok(summary)
}

/// Step 2: filter the stored raw events and persist those that pass.
pub async fn filter_events(
    stores: &Stores,
    params: &CycleParams,
) -> Result<StepSummary, CycleError> {
    let events = stores
        .markets
        .load_raw_events()
        .await
        .map_err(store("filter events"))?;
    let (_, summary) = cycle::filter_events(stores, params, events).await?;
    Ok(summary)
}

/// Step 3: filter the markets of the stored filtered events, fetch the
/// details of those that pass, persist them and their snapshots.
pub async fn filter_markets(
    stores: &Stores,
    source: &dyn MarketSource,
    params: &CycleParams,
) -> Result<StepSummary, CycleError> {
    let events = stores
        .markets
        .load_filtered_events()
        .await
        .map_err(store("filter markets"))?;
    let (_, summary) = cycle::filter_markets(stores, source, params, events).await?;
    cycle::record_metadata(stores, params, &["last_market_filter"]).await?;
    Ok(summary)
}

/// Step 4: the strategy's signals for the stored filtered markets, persisted
/// as the current set.
pub async fn generate_signals(
    stores: &Stores,
    params: &CycleParams,
) -> Result<StepSummary, CycleError> {
    let markets = stores
        .markets
        .load_filtered_markets()
        .await
        .map_err(store("generate signals"))?;
    let (_, summary) = cycle::generate_signals(stores, params, &markets).await?;
    cycle::record_metadata(stores, params, &["last_signal_generation"]).await?;
    Ok(summary)
}

/// Step 5: execute the stored current signals not executed yet against the
/// stored portfolio (a new one when there is none). A failure after a trade
/// was recorded is [`CycleError::AfterTrading`], as in a cycle.
pub async fn execute_signals(
    stores: &Stores,
    params: &CycleParams,
) -> Result<StepSummary, CycleError> {
    let mut portfolio = cycle::load_portfolio(stores, params, (params.clock)()).await?;
    let trades = stores
        .trades
        .load_trades(&params.portfolio_id)
        .await
        .map_err(store("check stores"))?;
    cycle::complete_interrupted_executions(stores, &mut portfolio, &trades, params).await?;
    drop(trades);
    let mut signals = stores
        .signals
        .load_current_signals(&params.portfolio_id)
        .await
        .map_err(store("execute"))?;
    let mut traded = Vec::new();
    let result = async {
        let summary =
            cycle::execute_signals(stores, params, &mut portfolio, &mut signals, &mut traded)
                .await?;
        cycle::record_metadata(stores, params, &["last_trade_execution"]).await?;
        Ok(summary)
    }
    .await;
    match result {
        Err(e) if !traded.is_empty() => Err(CycleError::AfterTrading {
            trades: traded,
            source: Box::new(e),
        }),
        other => other,
    }
}

/// A price update (`prescient update-prices`, `crate::prices`): re-price the
/// stored portfolio's open positions, settle resolved ones, save it.
pub async fn update_prices(
    stores: &Stores,
    source: &dyn MarketSource,
    params: &CycleParams,
) -> Result<StepSummary, PriceError> {
    let step = Instant::now();
    let update = crate::prices::update_prices_with(
        stores,
        source,
        &params.portfolio_id,
        (params.clock)(),
        &params.exits,
    )
    .await?;
    Ok(StepSummary::new(
        StepCounts::UpdatePrices(cycle::reprice_counts(&update)),
        step,
    ))
}
