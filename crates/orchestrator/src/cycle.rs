//! The trading cycle (SPEC §2), steps 1–8, over any [`Stores`] and any
//! [`MarketSource`]. Each step persists its output through the ports and hands
//! it to the next step in memory (re-reading what was just written was a fifth
//! of the original's cycle time).
//!
//! Each step is a function of its own ([`export_events`], [`filter_events`],
//! [`filter_markets`], [`generate_signals`], [`execute_signals`],
//! [`reprice`], [`archive_signals`], [`record_metadata`]) returning its
//! output and its [`StepSummary`]; [`run_cycle`] chains them, and
//! [`crate::steps`] runs one on its own over what the stores hold.
//!
//! Step 5 records each execution (trade, portfolio, signal link) through the
//! `ExecutionStore` port: one transaction on PostgreSQL; on JSON the trade is
//! appended before the portfolio holding its position is saved, so a crash
//! between the two leaves a trade without a position (visible, no money
//! moved) rather than a position whose trade record is lost.
//!
//! Before its first write, a cycle reads every file and table a later step
//! appends to or rewrites from what is there ([`preflight`]): a corrupt
//! history, snapshot series, signal archive or metadata file stops it before
//! anything is traded, with every file as it was. (Derived files are replaced
//! by the cycle anyway; a corrupt one is kept aside by the store.)
//! A failure after a trade was recorded is reported as such
//! ([`CycleError::AfterTrading`]); the trades and the portfolio holding them
//! are stored, and the next cycle archives the signal set the failed one did
//! not.

use crate::prices::{PriceError, PriceUpdate};
use crate::summary::{
    ArchiveCounts, CycleSummary, ExecuteCounts, ExecutedTrade, ExportCounts, FilterEventsCounts,
    FilterMarketsCounts, NoCounts, Parameters, RepriceCounts, SignalCounts, SkippedSignal,
    StepCounts, StepSummary,
};
use chrono::{DateTime, Utc};
use domain::ports::Stores;
use domain::{
    Event, FilteredEvent, Market, MarketId, MarketSnapshot, Portfolio, PortfolioId, Signal,
    SignalArchive, StoreError, Trade, TradeId, Usd,
};
use paper_trading::{ExecutionPolicy, SkipReason};
use polymarket_client::{ClientError, FetchStats, MarketSource, MarketsFetch};
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
    /// The portfolio's exit rules and fill model (none by default).
    pub exits: crate::prices::Exits,
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
    /// The crawl every portfolio shares (steps 1–3) failed: no portfolio
    /// traded this cycle.
    #[error("{message}")]
    Shared { step: &'static str, message: String },
    /// A step failed after trades were recorded: they and the portfolio
    /// holding them are stored; what the later steps would have written
    /// (history, snapshot, archive, metadata) is missing for this cycle.
    #[error(
        "{source} — after {} trade(s) were recorded ({}); they and the portfolio holding them are stored, and the next cycle completes what is missing",
        trades.len(),
        trades.iter().map(TradeId::as_str).collect::<Vec<_>>().join(", ")
    )]
    AfterTrading {
        trades: Vec<TradeId>,
        #[source]
        source: Box<CycleError>,
    },
}

impl CycleError {
    /// The error itself, whether or not trades were recorded before it.
    pub fn cause(&self) -> &CycleError {
        match self {
            CycleError::AfterTrading { source, .. } => source.cause(),
            other => other,
        }
    }
}

/// How many times an execution is retried under a fresh trade id when the
/// trade store already holds the one allocated.
const ID_RETRIES: usize = 100;

fn store(step: &'static str) -> impl FnOnce(StoreError) -> CycleError {
    move |source| CycleError::Store { step, source }
}

fn fetch(step: &'static str) -> impl FnOnce(ClientError) -> CycleError {
    move |source| CycleError::Source { step, source }
}

/// Run one full cycle. Its writes are acknowledged together, when it ends
/// (`routing::batch`: one journal fsync for all of a dual-writing cycle).
#[tracing::instrument(skip_all, fields(source = %source.describe()))]
pub async fn run_cycle(
    stores: &Stores,
    source: &dyn MarketSource,
    params: &CycleParams,
) -> Result<CycleSummary, CycleError> {
    routing::batch::acknowledged_together(async {
        let mut traded = Vec::new();
        let result = cycle(stores, source, params, &mut traded).await;
        after_trading(result, traded)
    })
    .await
}

/// A cycle's result, its error marked [`CycleError::AfterTrading`] when
/// `traded` (the trades it recorded before failing) is not empty.
fn after_trading<T>(result: Result<T, CycleError>, traded: Vec<TradeId>) -> Result<T, CycleError> {
    match result {
        Ok(out) => Ok(out),
        Err(e) if traded.is_empty() => Err(e),
        Err(e) => Err(CycleError::AfterTrading {
            trades: traded,
            source: Box::new(e),
        }),
    }
}

/// Read, before the first write, every file and table a later step appends
/// to or rewrites from what is stored, so that a corrupt one stops the cycle
/// before anything is traded. Returns the portfolio's trades. The market
/// snapshots and the month's signal archives are checked, not loaded (a
/// store that knows them as it left them does not read them again: they
/// grow by a crawl's worth every cycle, issue #13).
async fn preflight(
    stores: &Stores,
    params: &CycleParams,
    month: &str,
) -> Result<Vec<Trade>, CycleError> {
    let step = "check stores";
    let trades = stores
        .trades
        .load_trades(&params.portfolio_id)
        .await
        .map_err(store(step))?;
    stores
        .markets
        .check_market_snapshots()
        .await
        .map_err(store(step))?;
    stores
        .history
        .load_history(&params.portfolio_id)
        .await
        .map_err(store(step))?;
    stores
        .portfolio
        .load_portfolio_snapshots(&params.portfolio_id)
        .await
        .map_err(store(step))?;
    stores.metadata.load_metadata().await.map_err(store(step))?;
    stores
        .history
        .check_signal_archives(&params.portfolio_id, month)
        .await
        .map_err(store(step))?;
    Ok(trades)
}

/// Trades recorded after the portfolio was last saved whose positions it
/// lacks: an execution interrupted between its two writes (the trade is
/// written first). Their positions are opened now, so the market is not
/// bought again. Returns how many.
fn adopt_interrupted_executions(
    portfolio: &mut Portfolio,
    trades: &[Trade],
    now: chrono::DateTime<chrono::Utc>,
    policy: &ExecutionPolicy,
) -> usize {
    let saved_at = portfolio.last_updated;
    let mut adopted = 0;
    for trade in trades.iter().filter(|t| t.timestamp >= saved_at) {
        if portfolio
            .positions
            .iter()
            .any(|p| p.trade_id == trade.trade_id)
        {
            continue;
        }
        match paper_trading::adopt_trade(portfolio, trade, now, policy) {
            Ok(()) => adopted += 1,
            Err(e) => tracing::warn!(error = %e, "a trade without its position was left as it is"),
        }
    }
    adopted
}

/// The previous cycle's signals when they were executed but never archived
/// (it failed after trading): the next cycle archives them first. The
/// month's archives are read only when the previous set traded.
async fn unarchived_previous_signals(
    stores: &Stores,
    portfolio: &PortfolioId,
    month: &str,
) -> Result<Option<Vec<Signal>>, CycleError> {
    // A corrupt current-signals file is replaced by step 4 anyway.
    let previous = match stores.signals.executed_current_signals(portfolio).await {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(None),
        Err(e) => {
            tracing::warn!(error = %e, "the previous signal set does not load; it is replaced by this cycle");
            return Ok(None);
        }
    };
    let Some(first) = previous.first() else {
        return Ok(None);
    };
    if domain::time::month_key(first.timestamp) != month {
        return Ok(None);
    }
    let archives = stores
        .history
        .load_signal_archives(portfolio, Some(month))
        .await
        .map_err(store("check stores"))?;
    let archived = archives.iter().any(|a| {
        a.signals.iter().any(|s| {
            s.timestamp == first.timestamp
                && s.market_id == first.market_id
                && s.action == first.action
        })
    });
    Ok((!archived).then_some(previous))
}

async fn cycle(
    stores: &Stores,
    source: &dyn MarketSource,
    params: &CycleParams,
    traded: &mut Vec<TradeId>,
) -> Result<CycleSummary, CycleError> {
    let started_at = (params.clock)();
    let started = Instant::now();
    let mut summary = CycleSummary::new(source.describe(), started_at, params.parameters());
    let mut portfolio = prepare(stores, params, started_at).await?;
    // Once step 3 has its details only the filtered markets (whose signals
    // step 5 executes) and the open positions are asked for: a source
    // holding the decoded crawl may free it (issue #13). Step 5 narrows this
    // to the positions.
    let open: Vec<MarketId> = portfolio
        .positions
        .iter()
        .map(|p| p.market_id.clone())
        .collect();
    let markets = crawl(stores, source, params, Some(&open), &mut summary).await?;
    drop(open);
    let (signals, step) = generate_signals(stores, params, &markets).await?;
    summary.push(step);
    // Nothing after signal generation reads the crawl (a crawl's worth of
    // market texts: issue #13).
    drop(markets);
    trade_signals(
        stores,
        source,
        params,
        &mut portfolio,
        signals,
        &mut summary,
        traded,
        true,
    )
    .await?;
    summary.push(record_metadata(stores, params, &METADATA_KEYS).await?);
    summary.finish(&portfolio, (params.clock)(), started.elapsed());
    Ok(summary)
}

/// Run one cycle for every portfolio of `all` (the first one's filters and
/// clock apply to the crawl): the events and markets are fetched and
/// filtered once, then each portfolio generates, executes, re-prices and
/// archives with its own strategy, rules and books. A portfolio that fails
/// does not stop the others. One summary per portfolio, in `all`'s order,
/// each with the shared crawl steps. The writes of all of them are
/// acknowledged together, when the last ends (as [`run_cycle`]'s).
pub async fn run_cycles(
    stores: &Stores,
    source: &dyn MarketSource,
    all: &[CycleParams],
) -> Vec<(PortfolioId, Result<CycleSummary, CycleError>)> {
    routing::batch::acknowledged_together(cycles(stores, source, all)).await
}

async fn cycles(
    stores: &Stores,
    source: &dyn MarketSource,
    all: &[CycleParams],
) -> Vec<(PortfolioId, Result<CycleSummary, CycleError>)> {
    let Some(first) = all.first() else {
        return Vec::new();
    };
    if all.len() == 1 {
        return vec![(
            first.portfolio_id.clone(),
            run_cycle(stores, source, first).await,
        )];
    }
    let started_at = (first.clock)();
    let started = Instant::now();
    // Every portfolio is loaded and checked before anything is written.
    let mut books = Vec::new();
    for params in all {
        books.push(prepare(stores, params, started_at).await);
    }
    let mut shared = CycleSummary::new(source.describe(), started_at, first.parameters());
    let markets = match crawl(stores, source, first, None, &mut shared).await {
        Ok(markets) => markets,
        Err(e) => {
            // The first portfolio gets the error itself, the others its text.
            let others: Vec<_> = all
                .iter()
                .skip(1)
                .map(|p| (p.portfolio_id.clone(), Err(shared_error(&e))))
                .collect();
            let mut out = vec![(first.portfolio_id.clone(), Err(e))];
            out.extend(others);
            return out;
        }
    };
    let mut out = Vec::new();
    for (params, book) in all.iter().zip(books) {
        let mut summary = shared.clone();
        summary.parameters = params.parameters();
        let mut traded = Vec::new();
        let result = match book {
            Err(e) => Err(e),
            Ok(mut portfolio) => {
                let traded_result = trade(
                    stores,
                    source,
                    params,
                    &mut portfolio,
                    &markets,
                    &mut summary,
                    &mut traded,
                )
                .await
                .map(|()| {
                    summary.finish(&portfolio, (params.clock)(), started.elapsed());
                    summary
                });
                after_trading(traded_result, traded)
            }
        };
        if let Err(e) = &result {
            tracing::error!(portfolio = %params.portfolio_id, error = %e, "the portfolio's cycle failed; the others go on");
        }
        out.push((params.portfolio_id.clone(), result));
    }
    if let Err(e) = record_metadata(stores, first, &METADATA_KEYS).await {
        tracing::error!(error = %e, "cannot record the cycle's metadata");
    }
    out
}

/// A crawl error, for each portfolio it stopped.
fn shared_error(e: &CycleError) -> CycleError {
    let step = match e.cause() {
        CycleError::Store { step, .. }
        | CycleError::Source { step, .. }
        | CycleError::Invariant { step, .. }
        | CycleError::Shared { step, .. } => step,
        CycleError::AfterTrading { .. } => &"crawl",
    };
    CycleError::Shared {
        step,
        message: e.to_string(),
    }
}

/// Before anything is written: load the portfolio (a portfolio that does not
/// parse stops its cycle with nothing touched), read every store a later
/// step appends to, complete an execution an earlier run interrupted, and
/// archive the previous signal set if that run traded and did not.
async fn prepare(
    stores: &Stores,
    params: &CycleParams,
    started_at: DateTime<Utc>,
) -> Result<Portfolio, CycleError> {
    let mut portfolio = load_portfolio(stores, params, started_at).await?;
    let month = domain::time::month_key(started_at);
    let trades = preflight(stores, params, &month).await?;
    complete_interrupted_executions(stores, &mut portfolio, &trades, params).await?;
    drop(trades);
    if let Some(previous) =
        unarchived_previous_signals(stores, &params.portfolio_id, &month).await?
    {
        tracing::warn!(
            signals = previous.len(),
            "the previous cycle traded but did not archive its signals; archiving them now"
        );
        let archived_at = (params.clock)();
        stores
            .history
            .append_signal_archive(&SignalArchive {
                portfolio_id: params.portfolio_id.clone(),
                archived_at,
                month: domain::time::month_key(archived_at),
                signals: previous,
                extra: Default::default(),
            })
            .await
            .map_err(store("complete the previous cycle"))?;
    }
    Ok(portfolio)
}

/// Steps 1–3, shared by every portfolio: export, filter events, filter
/// markets. Returns the filtered markets.
async fn crawl(
    stores: &Stores,
    source: &dyn MarketSource,
    params: &CycleParams,
    release: Option<&[MarketId]>,
    summary: &mut CycleSummary,
) -> Result<Vec<Market>, CycleError> {
    let (events, step) = export_events(stores, source).await?;
    summary.push(step);
    let (events, step) = filter_events(stores, params, events).await?;
    summary.push(step);
    let (markets, step) = detail_markets(stores, source, params, events, release).await?;
    summary.push(step);
    Ok(markets)
}

/// Steps 4–7 for one portfolio: signals from its strategy, executed into its
/// books, re-priced (exits and settlement), archived.
async fn trade(
    stores: &Stores,
    source: &dyn MarketSource,
    params: &CycleParams,
    portfolio: &mut Portfolio,
    markets: &[Market],
    summary: &mut CycleSummary,
    traded: &mut Vec<TradeId>,
) -> Result<(), CycleError> {
    let (signals, step) = generate_signals(stores, params, markets).await?;
    summary.push(step);
    trade_signals(
        stores, source, params, portfolio, signals, summary, traded, false,
    )
    .await
}

/// Steps 5–7 for one portfolio: its signals executed into its books,
/// re-priced (exits and settlement), archived. With `release_crawl` (the
/// one portfolio of a cycle: no other trades on the crawl), the source is
/// told after executing that only the open positions' markets are asked
/// for from here on, so one holding the crawl may free it (issue #13).
#[allow(clippy::too_many_arguments)]
async fn trade_signals(
    stores: &Stores,
    source: &dyn MarketSource,
    params: &CycleParams,
    portfolio: &mut Portfolio,
    mut signals: Vec<Signal>,
    summary: &mut CycleSummary,
    traded: &mut Vec<TradeId>,
    release_crawl: bool,
) -> Result<(), CycleError> {
    summary.push(execute_signals(stores, params, portfolio, &mut signals, traded).await?);
    if release_crawl {
        let keep: Vec<MarketId> = portfolio
            .positions
            .iter()
            .map(|p| p.market_id.clone())
            .collect();
        source.release_crawl(&keep);
    }
    summary.push(reprice(stores, source, params, portfolio).await?);
    summary.push(archive_signals(stores, params, signals).await?);
    Ok(())
}

/// The system metadata keys a cycle records (step 8), one per step that
/// has one.
pub const METADATA_KEYS: [&str; 4] = [
    "last_event_export",
    "last_market_filter",
    "last_signal_generation",
    "last_trade_execution",
];

impl CycleParams {
    /// The parameters a summary reports.
    pub fn parameters(&self) -> Parameters {
        let e = &self.event_filter;
        let m = &self.market_filter;
        Parameters {
            event_min_liquidity: e.min_liquidity,
            event_min_volume: e.min_volume,
            event_min_volume_24hr: e.min_volume_24hr,
            event_min_days_until_end: e.min_days_until_end,
            event_max_days_until_end: e.max_days_until_end,
            min_liquidity: m.min_liquidity,
            min_volume: m.min_volume,
            min_volume_24hr: m.min_volume_24hr,
            min_market_conviction: m.min_conviction,
            max_market_conviction: m.max_conviction,
            strategy: self.strategy.name().to_owned(),
            one_position_per_market: self.policy.one_position_per_market,
        }
    }
}

/// The stored portfolio (a new one when there is none yet), its ledger
/// checked.
pub async fn load_portfolio(
    stores: &Stores,
    params: &CycleParams,
    now: DateTime<Utc>,
) -> Result<Portfolio, CycleError> {
    let step = "load portfolio";
    let portfolio = stores
        .portfolio
        .load_portfolio(&params.portfolio_id)
        .await
        .map_err(store(step))?
        .unwrap_or_else(|| {
            Portfolio::new(params.portfolio_id.clone(), params.initial_balance, now)
        });
    portfolio
        .check_invariant()
        .map_err(|e| CycleError::Invariant {
            step,
            message: e.to_string(),
        })?;
    Ok(portfolio)
}

/// Open the positions of trades an interrupted execution recorded without
/// them ([`adopt_interrupted_executions`]), and save the portfolio if any.
pub async fn complete_interrupted_executions(
    stores: &Stores,
    portfolio: &mut Portfolio,
    trades: &[Trade],
    params: &CycleParams,
) -> Result<(), CycleError> {
    if adopt_interrupted_executions(portfolio, trades, (params.clock)(), &params.policy) > 0 {
        stores
            .portfolio
            .save_portfolio(portfolio)
            .await
            .map_err(store("complete the previous cycle"))?;
    }
    Ok(())
}

/// Step 1: fetch every active event and persist them as the raw event set.
pub async fn export_events(
    stores: &Stores,
    source: &dyn MarketSource,
) -> Result<(Vec<Event>, StepSummary), CycleError> {
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
    for skipped in &fetched.stats.skipped {
        tracing::warn!(record = %skipped, "skipped a Gamma record that does not decode");
    }
    let counts = ExportCounts {
        events: fetched.events.len(),
        skipped_records: fetched.stats.skipped.len(),
        duplicates: fetched.stats.duplicates,
        requests: fetched.stats.requests,
        pages: fetched.stats.pages,
        retries: fetched.stats.retries,
    };
    Ok((
        fetched.events,
        StepSummary::new(StepCounts::ExportEvents(counts), step),
    ))
}

/// Step 2: filter the exported events, persist those that pass (by volume).
/// The events are taken: those that pass move on, the rest are dropped.
pub async fn filter_events(
    stores: &Stores,
    params: &CycleParams,
    events: Vec<Event>,
) -> Result<(Vec<FilteredEvent>, StepSummary), CycleError> {
    let step = Instant::now();
    let report = strategy::filter_events(events, &params.event_filter, (params.clock)());
    stores
        .markets
        .save_filtered_events(&report.passed)
        .await
        .map_err(store("filter events"))?;
    let counts = FilterEventsCounts {
        input: report.input,
        passed: report.passed.len(),
        rejected_liquidity: report.rejected_liquidity,
        rejected_volume: report.rejected_volume,
        rejected_volume_24hr: report.rejected_volume_24hr,
        rejected_days: report.rejected_days,
        missing_end_date: report.missing_end_date,
    };
    Ok((
        report.passed,
        StepSummary::new(StepCounts::FilterEvents(counts), step),
    ))
}

/// Candidates whose details step 3 fetches and merges at a time (20 of the
/// live client's batches of 100).
const DETAILS_CHUNK: usize = 2_000;

/// Step 3: filter the markets of the filtered events, fetch the details of
/// those that pass (keeping their event context), persist them and append a
/// snapshot of each. The events are taken: only the markets that pass stay,
/// one copy of each (issue #13).
pub async fn filter_markets(
    stores: &Stores,
    source: &dyn MarketSource,
    params: &CycleParams,
    events: Vec<FilteredEvent>,
) -> Result<(Vec<Market>, StepSummary), CycleError> {
    detail_markets(stores, source, params, events, None).await
}

/// [`filter_markets`]; with `release`, the source is then told that only
/// the markets passed and those of `release` are asked for from here on
/// ([`MarketSource::release_crawl`]), before they are persisted.
async fn detail_markets(
    stores: &Stores,
    source: &dyn MarketSource,
    params: &CycleParams,
    events: Vec<FilteredEvent>,
    release: Option<&[MarketId]>,
) -> Result<(Vec<Market>, StepSummary), CycleError> {
    let step = Instant::now();
    let mut candidates = strategy::filter_markets(events, &params.market_filter);
    let passed = std::mem::take(&mut candidates.passed);
    let Detailed {
        markets,
        fallback: fallback_count,
        stats,
    } = detail_candidates(source, passed, DETAILS_CHUNK).await?;
    if let Some(open) = release {
        let keep: Vec<MarketId> = markets
            .iter()
            .map(|m| m.id.clone())
            .chain(open.iter().cloned())
            .collect();
        source.release_crawl(&keep);
    }
    stores
        .markets
        .save_filtered_markets(&markets)
        .await
        .map_err(store("filter markets"))?;
    let snapshot_at = (params.clock)();
    let snapshots: Vec<MarketSnapshot> = markets
        .iter()
        .map(|m| market_snapshot(m, snapshot_at))
        .collect();
    stores
        .markets
        .append_market_snapshots(&snapshots)
        .await
        .map_err(store("filter markets"))?;
    let counts = FilterMarketsCounts {
        input: candidates.input,
        passed: markets.len(),
        not_tradable: candidates.not_tradable,
        rejected_liquidity: candidates.rejected_liquidity,
        rejected_volume: candidates.rejected_volume,
        rejected_volume_24hr: candidates.rejected_volume_24hr,
        rejected_conviction: candidates.rejected_conviction,
        details_fetched: markets.len().saturating_sub(fallback_count),
        details_missing: fallback_count,
        dropped_unrequested: stats.dropped_unrequested,
        snapshots: snapshots.len(),
        requests: stats.requests,
        retries: stats.retries,
    };
    Ok((
        markets,
        StepSummary::new(StepCounts::FilterMarkets(counts), step),
    ))
}

/// Step 3's markets: the detail of each candidate, with its event context.
struct Detailed {
    /// The details with their context, then the candidates whose details
    /// could not be fetched.
    markets: Vec<Market>,
    /// How many of `markets` are candidates without details.
    fallback: usize,
    stats: FetchStats,
}

/// What became of a candidate of step 3.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Replaced by its detail, with its event context.
    Detail,
    /// Kept: its detail could not be fetched.
    Fallback,
    /// Dropped: a second candidate of an id whose detail is already in.
    Dropped,
}

/// Fetch the details of `passed` and carry each candidate's event context
/// into its detail, `chunk` candidates at a time.
async fn detail_candidates(
    source: &dyn MarketSource,
    passed: Vec<Market>,
    chunk: usize,
) -> Result<Detailed, CycleError> {
    // The details are fetched a chunk of candidates at a time and each takes
    // its candidate's place in the candidates' own vector: the crawl's
    // candidates and all their details are never held together, nor two
    // vectors of markets (issue #13).
    let mut markets = passed;
    let mut slots = vec![Slot::Dropped; markets.len()];
    let mut stats = FetchStats::default();
    let mut asked: HashSet<MarketId> = HashSet::with_capacity(markets.len());
    let mut missing: HashSet<MarketId> = HashSet::new();
    let chunk = chunk.max(1);
    for start in (0..markets.len()).step_by(chunk) {
        let end = start.saturating_add(chunk).min(markets.len());
        let (Some(batch), Some(batch_slots)) =
            (markets.get_mut(start..end), slots.get_mut(start..end))
        else {
            break;
        };
        // An id already asked for (a market listed by two events) is not
        // asked again: the first candidate of an id wins, as one fetch of
        // every id did.
        let ids: Vec<MarketId> = batch
            .iter()
            .filter(|c| asked.insert(c.id.clone()))
            .map(|c| c.id.clone())
            .collect();
        let details = if ids.is_empty() {
            MarketsFetch::default()
        } else {
            source
                .fetch_markets(&ids, false)
                .await
                .map_err(fetch("filter markets"))?
        };
        drop(ids);
        missing.extend(details.missing);
        stats.merge(details.stats);
        let carried = strategy::carry_event_context(batch, details.markets);
        for ((slot, carried), candidate) in batch_slots.iter_mut().zip(carried).zip(batch.iter()) {
            *slot = match carried {
                strategy::Carried::Detailed => Slot::Detail,
                // A market whose details could not be fetched keeps the
                // record nested in its event, fetched in the same crawl
                // (with its context); it is counted.
                strategy::Carried::Undetailed if missing.contains(&candidate.id) => Slot::Fallback,
                // A second candidate of an id detailed before.
                strategy::Carried::Undetailed | strategy::Carried::Repeated => Slot::Dropped,
            };
        }
    }
    // The details in the candidates' order, then the candidates without one.
    // (Few: copied, and the details kept in place.)
    let fallback: Vec<Market> = markets
        .iter()
        .zip(&slots)
        .filter(|(_, s)| **s == Slot::Fallback)
        .map(|(m, _)| m.clone())
        .collect();
    let mut kinds = slots.iter();
    markets.retain(|_| kinds.next() == Some(&Slot::Detail));
    let fallback_count = fallback.len();
    markets.extend(fallback);
    Ok(Detailed {
        markets,
        fallback: fallback_count,
        stats,
    })
}

/// Step 4: the strategy's signals for the filtered markets, persisted as the
/// current set (replacing the previous one).
pub async fn generate_signals(
    stores: &Stores,
    params: &CycleParams,
    markets: &[Market],
) -> Result<(Vec<Signal>, StepSummary), CycleError> {
    let step = Instant::now();
    let now = (params.clock)();
    let history = match params.strategy.lookback() {
        None => strategy::PriceHistory::new(),
        Some(window) => recorded_prices(stores, markets, now, window).await?,
    };
    let mut signals = params.strategy.generate(markets, &history, now);
    for s in &mut signals {
        s.portfolio_id = params.portfolio_id.clone();
    }
    stores
        .signals
        .replace_current_signals(&params.portfolio_id, &signals)
        .await
        .map_err(store("generate signals"))?;
    let counts = SignalCounts {
        strategy: params.strategy.name().to_owned(),
        signals: signals.len(),
    };
    Ok((
        signals,
        StepSummary::new(StepCounts::GenerateSignals(counts), step),
    ))
}

/// The prices earlier crawls recorded (`market_snapshots`, step 3) for
/// `markets` in the `window` before `now`, for a strategy that looks back.
///
/// The newest snapshot set of these markets is the crawl that gave them
/// their current prices (this cycle's step 3, or the filter step a
/// standalone signal step runs on): it is left out, so a live cycle, whose
/// clock moved on since step 3, counts the same points as a backtest,
/// whose clock reads the moment's time throughout. The whole series is
/// read, as the preflight does; a store that can answer by market and time
/// would read less.
async fn recorded_prices(
    stores: &Stores,
    markets: &[Market],
    now: DateTime<Utc>,
    window: chrono::TimeDelta,
) -> Result<strategy::PriceHistory, CycleError> {
    let from = now
        .checked_sub_signed(window)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let wanted: HashSet<&MarketId> = markets.iter().map(|m| &m.id).collect();
    let snapshots = stores
        .markets
        .load_market_snapshots(None)
        .await
        .map_err(store("generate signals"))?;
    let ours = || snapshots.iter().filter(|s| wanted.contains(&s.market_id));
    let current = ours().map(|s| s.timestamp).filter(|t| *t <= now).max();
    let before = current.map_or(now, |t| t.min(now));
    Ok(strategy::PriceHistory::from_snapshots(
        ours().filter(|s| s.timestamp >= from && s.timestamp < before),
    ))
}

/// Step 5: execute each signal in order against `portfolio` (a signal
/// already executed is skipped), then record every execution together (one
/// call: the JSON store appends the trades at once and saves the portfolio
/// once, PostgreSQL commits one transaction; issue #13); the signal set is
/// saved again with its links when anything was executed. The ids of the
/// trades recorded are pushed to `traded`.
///
/// When the trade store already holds an id allocated (with another trade:
/// a restored older portfolio, a crash between trades and portfolio),
/// nothing of the step is written: the executions are undone and made
/// again with that id taken, so no new trade is lost.
pub async fn execute_signals(
    stores: &Stores,
    params: &CycleParams,
    portfolio: &mut Portfolio,
    signals: &mut [Signal],
    traded: &mut Vec<TradeId>,
) -> Result<StepSummary, CycleError> {
    let step = Instant::now();
    let mut taken: HashSet<String> = HashSet::new();
    let batch = loop {
        let batch = execute_in_memory(portfolio, signals, params, &taken);
        if batch.trades.is_empty() {
            break batch;
        }
        match stores
            .execution
            .record_executions(&batch.trades, portfolio, &batch.linked)
            .await
        {
            Ok(()) => break batch,
            Err(StoreError::Conflict { key, .. }) if taken.len() < ID_RETRIES => {
                tracing::warn!(trade_id = %key, "the trade store already holds this id with another trade; taking the next one");
                batch.undo(portfolio, signals);
                taken.insert(key);
            }
            Err(e) => return Err(store("execute")(e)),
        }
    };
    traded.extend(batch.trades.iter().map(|t| t.trade_id.clone()));
    if !batch.trades.is_empty() {
        stores
            .signals
            .replace_current_signals(&params.portfolio_id, signals)
            .await
            .map_err(store("execute"))?;
    }
    let executed = batch
        .trades
        .into_iter()
        .map(|trade| ExecutedTrade {
            action: trade.action.as_str(),
            amount: trade.amount.value(),
            entry_price: trade.entry_price.value(),
            trade_id: trade.trade_id,
            market_id: trade.market_id,
        })
        .collect();
    Ok(StepSummary::new(
        StepCounts::Execute(ExecuteCounts::new(executed, batch.skipped)),
        step,
    ))
}

/// Step 5's executions before they are recorded.
struct Executions {
    /// In execution order.
    trades: Vec<domain::Trade>,
    /// The executed signals, linked to their trades.
    linked: Vec<Signal>,
    /// The signals skipped, with why.
    skipped: Vec<SkippedSignal>,
    /// How to take the executions back: the portfolio as before the first
    /// of them, and each executed signal (by index) as it was.
    before: Option<paper_trading::Undo>,
    unlinked: Vec<(usize, Signal)>,
}

impl Executions {
    /// Put `portfolio` and `signals` back as they were before.
    fn undo(self, portfolio: &mut Portfolio, signals: &mut [Signal]) {
        if let Some(undo) = self.before {
            undo.apply(portfolio);
        }
        for (index, signal) in self.unlinked {
            if let Some(slot) = signals.get_mut(index) {
                *slot = signal;
            }
        }
    }
}

/// Execute each signal of `signals` not executed yet into `portfolio`, ids
/// in `taken` avoided, and link it to its trade; nothing is stored.
fn execute_in_memory(
    portfolio: &mut Portfolio,
    signals: &mut [Signal],
    params: &CycleParams,
    taken: &HashSet<String>,
) -> Executions {
    let mut out = Executions {
        trades: Vec::new(),
        linked: Vec::new(),
        skipped: Vec::new(),
        before: None,
        unlinked: Vec::new(),
    };
    for (index, signal) in signals.iter_mut().enumerate() {
        if signal.executed {
            out.skipped.push(SkippedSignal {
                market_id: signal.market_id.clone(),
                reason: match &signal.trade_id {
                    Some(id) => format!("already executed as {id}"),
                    None => "already executed".into(),
                },
                kind: "already_executed",
            });
            continue;
        }
        let at = (params.clock)();
        // A skip leaves the portfolio as it was; an execution says how to
        // take it back (no copy of the portfolio per signal).
        match paper_trading::execute_signal_with(
            portfolio,
            signal,
            at,
            &params.policy,
            &params.exits.fill,
            &|id| taken.contains(id),
        ) {
            Ok(execution) => {
                out.before.get_or_insert(execution.undo);
                out.unlinked.push((index, signal.clone()));
                signal.mark_executed(execution.trade.trade_id.clone(), at);
                out.linked.push(signal.clone());
                out.trades.push(execution.trade);
            }
            Err(reason) => out.skipped.push(SkippedSignal {
                market_id: signal.market_id.clone(),
                reason: reason.to_string(),
                kind: skip_kind(&reason),
            }),
        }
    }
    out
}

/// Step 6: re-price open positions (closed markets asked for explicitly),
/// settle resolved ones, save the portfolio, and record a history entry and
/// a snapshot.
pub async fn reprice(
    stores: &Stores,
    source: &dyn MarketSource,
    params: &CycleParams,
    portfolio: &mut Portfolio,
) -> Result<StepSummary, CycleError> {
    let step = Instant::now();
    let at = (params.clock)();
    let report = crate::prices::reprice_open_positions(portfolio, source, at, &params.exits)
        .await
        .map_err(reprice_error)?;
    portfolio.last_updated = at;
    crate::prices::save_repriced(stores, portfolio, &report)
        .await
        .map_err(store("re-price"))?;
    stores
        .history
        .append_history_entry(&paper_trading::history_entry(portfolio, at))
        .await
        .map_err(store("re-price"))?;
    stores
        .portfolio
        .append_portfolio_snapshot(&paper_trading::snapshot(portfolio, at))
        .await
        .map_err(store("re-price"))?;
    Ok(StepSummary::new(
        StepCounts::Reprice(reprice_counts(&report)),
        step,
    ))
}

/// The counts of a price update.
pub fn reprice_counts(update: &PriceUpdate) -> RepriceCounts {
    RepriceCounts {
        open_positions: update.open_markets,
        repriced: update.repriced,
        settled: update.settled.len(),
        undecided: update.undecided.clone(),
        unpriced: update.unpriced.len(),
        exited: update.exits.len(),
        realized_pnl: update.realized_pnl.value(),
    }
}

/// Step 7: archive the signal set into the month's archive (nothing when
/// there are none, as the original).
pub async fn archive_signals(
    stores: &Stores,
    params: &CycleParams,
    signals: Vec<Signal>,
) -> Result<StepSummary, CycleError> {
    let step = Instant::now();
    let archived = signals.len();
    if !signals.is_empty() {
        let archived_at = (params.clock)();
        stores
            .history
            .append_signal_archive(&SignalArchive {
                portfolio_id: params.portfolio_id.clone(),
                archived_at,
                month: domain::time::month_key(archived_at),
                signals,
                extra: Default::default(),
            })
            .await
            .map_err(store("archive signals"))?;
    }
    Ok(StepSummary::new(
        StepCounts::ArchiveSignals(ArchiveCounts { archived }),
        step,
    ))
}

/// Step 8: record the time under each of `keys` in system metadata.
pub async fn record_metadata(
    stores: &Stores,
    params: &CycleParams,
    keys: &[&str],
) -> Result<StepSummary, CycleError> {
    let step = Instant::now();
    let now = (params.clock)();
    let stamp = domain::time::format_timestamp(now);
    let entries: Vec<(&str, &str)> = keys.iter().map(|key| (*key, stamp.as_str())).collect();
    stores
        .metadata
        .set_metadata_all(&entries, now)
        .await
        .map_err(store("metadata"))?;
    Ok(StepSummary::new(StepCounts::Metadata(NoCounts {}), step))
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

#[cfg(test)]
mod tests {
    use super::*;
    use polymarket_client::SnapshotSource;
    use testkit::{sample_market, sample_market_in_event};

    /// What a chunked merge gives, as (id, event id, whether the record is
    /// the detail) per market.
    async fn merged(chunk: usize) -> (Vec<(String, Option<String>, bool)>, usize) {
        // Details of markets 0–6 except 3 and 5, each marked as the detail.
        let details: Vec<Market> = (0..7)
            .filter(|n| ![3, 5].contains(n))
            .map(|n| {
                let mut m = sample_market(n);
                m.question = format!("detail {n}");
                m
            })
            .collect();
        let source = SnapshotSource::from_records("test", Vec::new(), details);
        // Candidates with context; market 1 listed twice (two events), the
        // second time in another chunk of 2, market 3 without a detail.
        let candidates: Vec<Market> = [0, 1, 2, 3, 4, 1, 5, 6]
            .into_iter()
            .map(sample_market_in_event)
            .collect();
        let out = detail_candidates(&source, candidates, chunk).await.unwrap();
        let rows = out
            .markets
            .iter()
            .map(|m| {
                (
                    m.id.as_str().to_owned(),
                    m.event.as_ref().map(|e| e.event_id.as_str().to_owned()),
                    m.question.starts_with("detail"),
                )
            })
            .collect();
        (rows, out.fallback)
    }

    #[tokio::test]
    async fn details_merged_in_chunks_are_the_details_merged_at_once() {
        let (whole, fallback) = merged(usize::MAX).await;
        // Every detail once, with its candidate's context; the candidates
        // without one after them.
        let id = |n: u32| sample_market(n).id.as_str().to_owned();
        let ctx = Some("23656".to_owned());
        let expected: Vec<_> = [0, 1, 2, 4, 6]
            .into_iter()
            .map(|n| (id(n), ctx.clone(), true))
            .chain([3, 5].into_iter().map(|n| (id(n), ctx.clone(), false)))
            .collect();
        assert_eq!((whole.clone(), fallback), (expected, 2));
        for chunk in [1, 2, 3] {
            assert_eq!(merged(chunk).await, (whole.clone(), 2), "chunks of {chunk}");
        }
    }
}
