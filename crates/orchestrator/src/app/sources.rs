//! What a command runs with besides its stores: the market source a
//! `--source` names, and the cycle parameters the settings describe.

use super::error::{AppError, Result};
use crate::cycle::{CycleParams, system_clock};
use crate::settings::Settings;
use domain::{PortfolioId, Price, Usd};
use paper_trading::ExecutionPolicy;
use polymarket_client::{GammaClient, MarketSource, SnapshotSource, write_snapshot};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use strategy::MostLikely;

/// Where a cycle's market data comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    Live,
    Snapshot(PathBuf),
}

impl std::str::FromStr for SourceSpec {
    type Err = AppError;
    fn from_str(s: &str) -> Result<Self> {
        if s == "live" {
            return Ok(SourceSpec::Live);
        }
        match s.strip_prefix("snapshot:") {
            Some(dir) if !dir.is_empty() => Ok(SourceSpec::Snapshot(PathBuf::from(dir))),
            _ => Err(AppError::BadSource(s.to_owned())),
        }
    }
}

impl std::fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceSpec::Live => f.write_str("live"),
            SourceSpec::Snapshot(dir) => write!(f, "snapshot:{}", dir.display()),
        }
    }
}

/// Open the market source a `--source` names.
pub fn open_source(spec: &SourceSpec, settings: &Settings) -> Result<Box<dyn MarketSource>> {
    match spec {
        SourceSpec::Snapshot(dir) => Ok(Box::new(SnapshotSource::open_deferred(dir).map_err(
            |source| AppError::OpenSnapshot {
                dir: dir.clone(),
                source,
            },
        )?)),
        SourceSpec::Live => Ok(Box::new(
            GammaClient::new(settings.gamma()).map_err(AppError::GammaClient)?,
        )),
    }
}

/// The cycle parameters the settings describe. An amount or a balance no
/// store could hold, or a trade amount that is not positive, is refused.
pub fn cycle_params(settings: &Settings) -> Result<CycleParams> {
    let amount = Usd::new(settings.trade_amount);
    if !amount.is_positive() || !amount.is_storable() {
        return Err(AppError::TradeAmount(settings.trade_amount));
    }
    let initial_balance = Usd::new(settings.initial_balance);
    if initial_balance.is_negative() || !initial_balance.is_storable() {
        return Err(AppError::InitialBalance(settings.initial_balance));
    }
    Ok(CycleParams {
        portfolio_id: PortfolioId::default(),
        initial_balance,
        event_filter: settings.event_filter(),
        market_filter: settings.market_filter(),
        policy: ExecutionPolicy {
            one_position_per_market: settings.one_position_per_market,
        },
        strategy: Arc::new(MostLikely {
            amount,
            threshold: Price::half(),
        }),
        exits: Default::default(),
        clock: system_clock(),
    })
}

/// The cycle parameters of every live portfolio (`default` first, then the
/// `[[portfolios]]`), or of the one `only` names (refused when it is not
/// configured): each with its strategy, amount, balance, exits and fill, and
/// the settings' filters.
pub fn portfolio_params(
    settings: &Settings,
    only: Option<&PortfolioId>,
) -> Result<Vec<CycleParams>> {
    let base = cycle_params(settings)?;
    let live = settings.portfolios()?;
    if let Some(id) = only
        && !live.iter().any(|p| &p.id == id)
    {
        return Err(AppError::UnknownPortfolio {
            id: id.clone(),
            live: live
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(live
        .into_iter()
        .filter(|p| only.is_none_or(|id| &p.id == id))
        .map(|p| CycleParams {
            portfolio_id: p.id,
            initial_balance: p.initial_balance,
            strategy: p.strategy,
            exits: p.exits,
            ..base.clone()
        })
        .collect())
}

/// What `prescient record` saved.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Recorded {
    pub dir: PathBuf,
    pub events: usize,
    pub markets: usize,
    pub skipped: usize,
    pub missing: usize,
    pub requests: u64,
    pub retries: u64,
}

impl std::fmt::Display for Recorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "recorded {} events and {} markets to {} ({} skipped records, {} markets missing, {} requests, {} retries)",
            self.events,
            self.markets,
            self.dir.display(),
            self.skipped,
            self.missing,
            self.requests,
            self.retries,
        )
    }
}

/// Crawl the live API as a cycle would (every active event, then the details
/// of every nested market) and save it as a snapshot in `dir`.
pub async fn record(settings: &Settings, dir: &Path) -> Result<Recorded> {
    record_with(settings, dir, false, &[]).await
}

/// Add a moment to the snapshot sequence `seq` (see
/// [`crate::backtest::snapshots`]): a snapshot in `seq/<now as
/// YYYYmmddTHHMMSSZ>/`, refused when that directory exists. Its
/// `markets.json` holds closed markets too, and also the markets the
/// sequence's previous moment held unsettled (whether or not their event is
/// still active), so that a market resolving between two moments shows its
/// resolution in the later one.
pub async fn record_into(
    settings: &Settings,
    seq: &Path,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Recorded> {
    use crate::backtest::snapshots::{moment_name, parse_moment_name};
    let io = |what: &'static str, path: &Path| {
        let path = path.to_owned();
        move |source| AppError::Sequence { what, path, source }
    };
    std::fs::create_dir_all(seq).map_err(io("create", seq))?;
    let dir = seq.join(moment_name(now));
    if dir.exists() {
        return Err(AppError::MomentRecorded(dir));
    }
    let mut previous: Option<String> = None;
    for entry in std::fs::read_dir(seq).map_err(io("read", seq))? {
        let entry = entry.map_err(io("read", seq))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if parse_moment_name(&name).is_some_and(|t| t < now)
            && previous.as_ref().is_none_or(|p| *p < name)
        {
            previous = Some(name);
        }
    }
    let previous = previous.map(|name| seq.join(name));
    let carried = match &previous {
        Some(p) => {
            let failed = |source| AppError::OpenSnapshot {
                dir: p.clone(),
                source,
            };
            SnapshotSource::open(p)
                .map_err(failed)?
                .unsettled_market_ids()
                .map_err(failed)?
        }
        None => Vec::new(),
    };
    // A directory that is only ever complete: written aside, then renamed.
    // Named by this process too: two recordings of one second never write
    // into each other's directory (the second's rename is refused).
    let partial = seq.join(format!(
        ".{}.{}.partial",
        moment_name(now),
        std::process::id()
    ));
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(io("remove", &partial))?;
    }
    let mut recorded = record_with(settings, &partial, true, &carried).await?;
    if dir.exists() {
        // Another recording of this second finished first: it stands.
        let _ = std::fs::remove_dir_all(&partial);
        return Err(AppError::MomentRecorded(dir));
    }
    std::fs::rename(&partial, &dir).map_err(io("rename into place", &partial))?;
    recorded.dir = dir;
    Ok(recorded)
}

async fn record_with(
    settings: &Settings,
    dir: &Path,
    include_closed: bool,
    also: &[domain::MarketId],
) -> Result<Recorded> {
    let client = GammaClient::new(settings.gamma()).map_err(AppError::GammaClient)?;
    let events = client
        .fetch_active_events()
        .await
        .map_err(AppError::FetchEvents)?;
    let mut ids: Vec<domain::MarketId> = events
        .events
        .iter()
        .flat_map(|e| e.markets.iter().map(|m| m.id.clone()))
        .collect();
    let nested: std::collections::HashSet<domain::MarketId> = ids.iter().cloned().collect();
    ids.extend(also.iter().filter(|id| !nested.contains(*id)).cloned());
    let details = client
        .fetch_markets(&ids, include_closed)
        .await
        .map_err(AppError::FetchMarkets)?;
    write_snapshot(dir, &events.events, &details.markets).map_err(|source| {
        AppError::WriteSnapshot {
            dir: dir.to_owned(),
            source,
        }
    })?;
    Ok(Recorded {
        dir: dir.to_owned(),
        events: events.events.len(),
        markets: details.markets.len(),
        skipped: events.stats.skipped.len() + details.stats.skipped.len(),
        missing: details.missing.len(),
        requests: events.stats.requests + details.stats.requests,
        retries: events.stats.retries + details.stats.retries,
    })
}
