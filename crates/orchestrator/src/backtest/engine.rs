//! The backtest engine: every strategy of a [`BacktestConfig`] run over a
//! sequence of [`Moments`], each moment through the live cycle
//! ([`crate::cycle::run_cycles`]: one crawl shared by every strategy, then
//! each strategy's signals, executions, exits, re-pricing and settlement)
//! with the clock reading the moment's time.
//!
//! Each strategy trades a throw-away portfolio named after it in one lean
//! in-memory store ([`storage_memory::MemoryStore::lean`]), so nothing live
//! is opened and the store does not grow with the number of moments. Only
//! the current moment's snapshot is held; what the run keeps per moment is
//! one equity point per strategy (the report's curve).
//!
//! Deterministic: trade ids and timestamps derive from the moment's time
//! and the market, strategies run in the order given, and nothing reads the
//! system clock; the same moments give the same report.

use super::report::{BacktestReport, StrategyReport};
use super::{BacktestError, Moments};
use crate::cycle::{Clock, CycleParams, run_cycles};
use crate::prices::Exits;
use analytics::{EquityCurve, EquityPoint};
use chrono::{DateTime, Utc};
use domain::ports::Stores;
use domain::{MarketId, PortfolioId, Price, Usd};
use paper_trading::ExecutionPolicy;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use storage_memory::MemoryStore;
use strategy::{EventFilter, MarketFilter, Strategy};

/// What a backtest runs: the strategies side by side (each in a portfolio
/// of its own, named by its name), and the rules every one shares — the
/// starting balance, the event and market filters, the execution policy and
/// the exit rules with their fill model — as a live portfolio has them.
#[derive(Clone)]
pub struct BacktestConfig {
    /// `(name, strategy)`, in report order; names must be distinct.
    pub strategies: Vec<(String, Arc<dyn Strategy>)>,
    pub initial_balance: Usd,
    pub event_filter: EventFilter,
    pub market_filter: MarketFilter,
    pub policy: ExecutionPolicy,
    pub exits: Exits,
}

impl BacktestConfig {
    /// `strategies` under the rules of `base` (a live cycle's parameters:
    /// its starting balance, filters, execution policy and exits).
    pub fn new(strategies: Vec<(String, Arc<dyn Strategy>)>, base: CycleParams) -> Self {
        BacktestConfig {
            strategies,
            initial_balance: base.initial_balance,
            event_filter: base.event_filter,
            market_filter: base.market_filter,
            policy: base.policy,
            exits: base.exits,
        }
    }
}

/// Run every strategy of `config` over `moments`, one moment at a time, and
/// report each one's figures and equity curve (one point per moment).
///
/// Refuses a config without strategies or with a name twice, a sequence
/// without moments, and moments out of time order; stops at the first
/// cycle that fails, naming the moment and the strategy.
pub async fn run_backtest(
    moments: &mut dyn Moments,
    config: &BacktestConfig,
) -> Result<BacktestReport, BacktestError> {
    // The prices of the longest lookback any strategy reads, as the live
    // cycles' market snapshots would hold them.
    let store = match config
        .strategies
        .iter()
        .filter_map(|(_, s)| s.lookback())
        .max()
    {
        Some(window) => MemoryStore::lean_keeping_prices(window),
        None => MemoryStore::lean(),
    };
    run_on(Arc::new(store), moments, config).await
}

/// [`run_backtest`] on `store` (a test looks at what it holds afterwards).
async fn run_on(
    store: Arc<MemoryStore>,
    moments: &mut dyn Moments,
    config: &BacktestConfig,
) -> Result<BacktestReport, BacktestError> {
    check(config)?;
    let stores = Stores::single(store);
    let now = Arc::new(AtomicI64::new(0));
    let clock: Clock = {
        let now = now.clone();
        Arc::new(move || {
            DateTime::from_timestamp_micros(now.load(Ordering::SeqCst)).unwrap_or_default()
        })
    };
    let params: Vec<CycleParams> = config
        .strategies
        .iter()
        .map(|(name, strategy)| CycleParams {
            portfolio_id: PortfolioId::new(name.as_str()),
            initial_balance: config.initial_balance,
            event_filter: config.event_filter.clone(),
            market_filter: config.market_filter.clone(),
            policy: config.policy.clone(),
            strategy: strategy.clone(),
            exits: config.exits,
            clock: clock.clone(),
        })
        .collect();
    let mut curves: Vec<Vec<EquityPoint>> = vec![Vec::new(); params.len()];
    let mut payouts: HashMap<MarketId, [Price; 2]> = HashMap::new();
    let mut last: Option<DateTime<Utc>> = None;
    while let Some(moment) = moments.next_moment().await? {
        if last.is_some_and(|l| moment.time <= l) {
            return Err(BacktestError::Input(format!(
                "{}: the moment at {} does not come after the one at {}",
                moments.describe(),
                moment.time.to_rfc3339(),
                last.map(|l| l.to_rfc3339()).unwrap_or_default()
            )));
        }
        last = Some(moment.time);
        now.store(moment.time.timestamp_micros(), Ordering::SeqCst);
        let results = run_cycles(&stores, moment.source.as_ref(), &params).await;
        for (id, result) in results {
            if let Err(source) = result {
                return Err(BacktestError::Moment {
                    time: moment.time,
                    strategy: id.to_string(),
                    source,
                });
            }
        }
        let mut unsettled = BTreeSet::new();
        for (p, curve) in params.iter().zip(curves.iter_mut()) {
            let portfolio = load(&stores, &p.portfolio_id).await?;
            curve.push(EquityPoint {
                time: moment.time,
                value: portfolio.total_value(),
            });
            unsettled.extend(
                portfolio
                    .positions
                    .iter()
                    .map(|pos| pos.market_id.clone())
                    .filter(|m| !payouts.contains_key(m)),
            );
        }
        // How the markets traded resolved, for the Brier score: whatever
        // this moment shows of them (closed ones included).
        if !unsettled.is_empty() {
            let ids: Vec<MarketId> = unsettled.into_iter().collect();
            let seen = moment.source.fetch_markets(&ids, true).await?;
            payouts.extend(analytics::settled_payouts(&seen.markets));
        }
    }
    if last.is_none() {
        return Err(BacktestError::Input(format!(
            "{} holds no moments",
            moments.describe()
        )));
    }
    let mut strategies = Vec::with_capacity(params.len());
    for (p, points) in params.iter().zip(curves) {
        let portfolio = load(&stores, &p.portfolio_id).await?;
        let trades = stores.trades.count_trades(&p.portfolio_id, None).await?;
        strategies.push(StrategyReport::of(
            p.portfolio_id.as_str(),
            &portfolio,
            trades,
            EquityCurve::new(points),
            &payouts,
        ));
    }
    Ok(BacktestReport {
        source: moments.describe(),
        strategies,
    })
}

fn check(config: &BacktestConfig) -> Result<(), BacktestError> {
    if config.strategies.is_empty() {
        return Err(BacktestError::Input(
            "a backtest needs at least one strategy".into(),
        ));
    }
    let mut seen = BTreeSet::new();
    for (name, _) in &config.strategies {
        if !seen.insert(name.as_str()) {
            return Err(BacktestError::Input(format!(
                "strategy {name:?} is given twice; each runs once"
            )));
        }
    }
    if config.initial_balance.is_negative() || !config.initial_balance.is_storable() {
        return Err(BacktestError::Input(format!(
            "the initial balance {} must be at least 0 and below 10^13",
            config.initial_balance
        )));
    }
    Ok(())
}

async fn load(stores: &Stores, id: &PortfolioId) -> Result<domain::Portfolio, BacktestError> {
    stores
        .portfolio
        .load_portfolio(id)
        .await?
        .ok_or_else(|| BacktestError::Input(format!("portfolio {id} was never saved")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::Moment;
    use async_trait::async_trait;
    use polymarket_client::SnapshotSource;

    /// `n` daily moments of one event whose two markets drift.
    struct Drift {
        n: u32,
        day: u32,
    }

    fn market(id: &str, yes_cents: u32) -> domain::Market {
        let yes = format!("0.{yes_cents:02}");
        let no = format!("0.{:02}", 100 - yes_cents);
        domain::gamma::decode_market(&serde_json::json!({
            "id": id, "question": id, "slug": id,
            "outcomes": "[\"Yes\", \"No\"]",
            "outcomePrices": format!("[\"{yes}\", \"{no}\"]"),
            "liquidity": "50000", "volume": "200000",
            "active": true, "closed": false, "acceptingOrders": true,
            "endDate": "2026-03-01T00:00:00Z",
        }))
        .unwrap()
    }

    #[async_trait]
    impl Moments for Drift {
        fn describe(&self) -> String {
            format!("{} drifting days", self.n)
        }
        async fn next_moment(&mut self) -> Result<Option<Moment>, BacktestError> {
            if self.day >= self.n {
                return Ok(None);
            }
            self.day += 1;
            let time = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap()
                + chrono::Duration::days(i64::from(self.day));
            let cents = 60 + self.day % 30;
            let markets = vec![
                market(&format!("a{}", self.day % 7), cents),
                market("b", 100 - cents),
            ];
            let event = domain::gamma::decode_event(&serde_json::json!({
                "id": "e", "slug": "e", "title": "e",
                "endDate": "2026-03-01T00:00:00Z",
                "active": true, "closed": false,
                "liquidity": 100000, "volume": 500000,
                "markets": markets.iter().map(|m| m.raw.to_value().unwrap()).collect::<Vec<_>>(),
            }))
            .unwrap()
            .event;
            Ok(Some(Moment {
                time,
                source: Box::new(SnapshotSource::from_records("drift", vec![event], markets)),
            }))
        }
    }

    fn config() -> BacktestConfig {
        let names = ["most_likely", "favourite_band", "longshot_fade"];
        BacktestConfig {
            strategies: names
                .iter()
                .map(|n| {
                    (
                        n.to_string(),
                        strategy::build(n, &Default::default()).unwrap(),
                    )
                })
                .collect(),
            initial_balance: Usd::from_int(100_000),
            event_filter: EventFilter::default(),
            market_filter: MarketFilter::default(),
            policy: ExecutionPolicy::default(),
            exits: Exits::default(),
        }
    }

    /// What the store holds besides trades after `n` moments.
    async fn held_after(n: u32) -> (usize, usize, usize, usize, usize) {
        let store = Arc::new(MemoryStore::lean());
        let report = run_on(store.clone(), &mut Drift { n, day: 0 }, &config())
            .await
            .unwrap();
        assert_eq!(report.strategies[0].equity.points().len(), n as usize);
        assert!(report.strategies[0].trades > 0);
        let s = store.state();
        (
            s.history.len(),
            s.snapshots.len(),
            s.archives.len(),
            s.market_snapshots.len(),
            s.portfolios.len(),
        )
    }

    #[tokio::test]
    async fn the_store_does_not_grow_with_the_number_of_moments() {
        // At most one history entry, snapshot and archive per strategy
        // (a strategy that never signalled has no archive), whether after
        // 3 moments or 40.
        for n in [3, 40] {
            let (history, snapshots, archives, market_snapshots, portfolios) = held_after(n).await;
            assert_eq!((history, snapshots, portfolios), (3, 3, 3), "{n}");
            assert!((1..=3).contains(&archives), "{n}: {archives}");
            assert_eq!(market_snapshots, 0, "{n}");
        }
    }

    /// Keeping less changes nothing a backtest reports.
    #[tokio::test]
    async fn a_lean_store_reports_what_a_full_one_does() {
        let lean = run_on(
            Arc::new(MemoryStore::lean()),
            &mut Drift { n: 40, day: 0 },
            &config(),
        )
        .await
        .unwrap();
        let full = run_on(
            Arc::new(MemoryStore::new()),
            &mut Drift { n: 40, day: 0 },
            &config(),
        )
        .await
        .unwrap();
        assert!(
            lean.strategies
                .iter()
                .any(|s| s.realized_pnl != Usd::ZERO || s.trades > 1)
        );
        assert_eq!(lean.to_json().unwrap(), full.to_json().unwrap());
    }

    /// A strategy that looks back (momentum over 4 days, 2 points) on the
    /// store `run_backtest` gives it — the prices of its window kept — trades
    /// as on a store keeping every snapshot, over ten times its window.
    #[tokio::test]
    async fn keeping_the_window_of_prices_reports_what_keeping_all_does() {
        let mut config = config();
        let params = strategy::Params::from([
            ("lookback_hours".to_owned(), serde_json::json!(96)),
            ("min_points".to_owned(), serde_json::json!(2)),
        ]);
        config.strategies.push((
            "momentum".into(),
            strategy::build("momentum", &params).unwrap(),
        ));
        let window = chrono::TimeDelta::hours(96);
        let lean = run_on(
            Arc::new(MemoryStore::lean_keeping_prices(window)),
            &mut Drift { n: 40, day: 0 },
            &config,
        )
        .await
        .unwrap();
        let full = run_on(
            Arc::new(MemoryStore::new()),
            &mut Drift { n: 40, day: 0 },
            &config,
        )
        .await
        .unwrap();
        let momentum = lean
            .strategies
            .iter()
            .find(|s| s.strategy == "momentum")
            .unwrap();
        assert!(momentum.trades > 0, "{momentum:?}");
        assert_eq!(lean.to_json().unwrap(), full.to_json().unwrap());
    }
}
