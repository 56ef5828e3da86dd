//! The `prescient` command line: argument parsing and wiring. Each command
//! builds its stores and source from [`Settings`] and calls library code.

use crate::app::{App, StoreChoice};
use crate::cycle::{CycleParams, run_cycle, system_clock};
use crate::settings::Settings;
use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use domain::ports::Stores;
use domain::{PortfolioId, Price, Usd};
use paper_trading::ExecutionPolicy;
use polymarket_client::{GammaClient, MarketSource, SnapshotSource, write_snapshot};
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::sync::Arc;
use strategy::MostLikely;

/// Prescient: paper trading on Polymarket, with storage that migrates from
/// JSON files to PostgreSQL while trading never stops.
#[derive(Debug, Parser)]
#[command(name = "prescient", version)]
pub struct Cli {
    /// The JSON data directory [env: PRESCIENT_DATA_DIR] [default: ./data]
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process; the size difference between commands is irrelevant.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one full trading cycle: export, filter, signal, execute, re-price,
    /// archive (README, "What a cycle does").
    Cycle(CycleArgs),
    /// Save the live Gamma data (events.json, markets.json) to DIR for replay
    /// with `--source snapshot:DIR`.
    Record {
        /// Directory to write the snapshot to.
        dir: PathBuf,
    },
    /// Serve the HTTP API and the dashboard (README, "HTTP API") until Ctrl-C.
    /// With PRESCIENT_API_TOKEN set, POST actions require it.
    Serve {
        /// Address to listen on (any but a loopback address needs
        /// PRESCIENT_API_TOKEN).
        #[arg(long, default_value = "127.0.0.1:8004")]
        addr: std::net::SocketAddr,
        /// Run on one store instead of the phase's routes.
        #[arg(long, value_enum, default_value_t = StoreChoice::Phase)]
        store: StoreChoice,
        /// Where `POST /trading/run-full-cycle` gets market data: `live` or
        /// `snapshot:DIR`.
        #[arg(long, default_value = "live")]
        source: String,
    },
    /// Performance of the portfolio: P&L, return, win rate, drawdown,
    /// exposure by event, best and worst markets.
    Stats(crate::stats_cmd::StatsArgs),
    /// Re-price open positions from fresh market data (closed markets asked
    /// for explicitly) and settle the resolved ones.
    UpdatePrices(crate::prices::UpdatePricesArgs),
    /// Run cycles and price updates on a schedule, never overlapping, until
    /// Ctrl-C.
    Run(crate::schedule::RunArgs),
}

#[derive(Debug, Args)]
pub struct CycleArgs {
    /// Where market data comes from: `live` (the Gamma API) or `snapshot:DIR`
    /// (a recorded snapshot directory).
    #[arg(long, default_value = "live")]
    pub source: String,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Run on one store instead of the phase's routes.
    #[arg(long, value_enum, default_value_t = StoreChoice::Phase)]
    pub store: StoreChoice,
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// The original's filter parameters; each overrides its setting.
#[derive(Debug, Default, Args)]
pub struct FilterArgs {
    /// Events: minimum liquidity [default: 10000]
    #[arg(long)]
    pub min_liquidity: Option<Decimal>,
    /// Events: minimum volume [default: 50000]
    #[arg(long)]
    pub min_volume: Option<Decimal>,
    /// Events: minimum 24 h volume [default: none]
    #[arg(long)]
    pub min_volume_24hr: Option<Decimal>,
    /// Events: minimum whole days until the event ends [default: 1]
    #[arg(long)]
    pub min_days_until_end: Option<i64>,
    /// Events: maximum whole days until the event ends [default: 90]
    #[arg(long)]
    pub max_days_until_end: Option<i64>,
    /// Markets: minimum liquidity [default: 10000]
    #[arg(long)]
    pub market_min_liquidity: Option<Decimal>,
    /// Markets: minimum volume [default: 50000]
    #[arg(long)]
    pub market_min_volume: Option<Decimal>,
    /// Markets: minimum 24 h volume [default: none]
    #[arg(long)]
    pub market_min_volume_24hr: Option<Decimal>,
    /// Markets: minimum conviction |yes − no| [default: none]
    #[arg(long)]
    pub min_conviction: Option<Decimal>,
    /// Markets: maximum conviction |yes − no| [default: none]
    #[arg(long)]
    pub max_conviction: Option<Decimal>,
    /// Amount each signal buys [default: 100]
    #[arg(long)]
    pub amount: Option<Decimal>,
}

impl FilterArgs {
    /// Apply the flags over the settings.
    pub fn apply(&self, s: &mut Settings) {
        macro_rules! set {
            ($($field:ident => $target:ident),* $(,)?) => {
                $(if let Some(v) = self.$field { s.$target = v; })*
            };
        }
        macro_rules! set_opt {
            ($($field:ident => $target:ident),* $(,)?) => {
                $(if let Some(v) = self.$field { s.$target = Some(v); })*
            };
        }
        set!(
            min_liquidity => min_liquidity,
            min_volume => min_volume,
            min_days_until_end => min_days_until_end,
            max_days_until_end => max_days_until_end,
            market_min_liquidity => market_min_liquidity,
            market_min_volume => market_min_volume,
            amount => trade_amount,
        );
        set_opt!(
            min_volume_24hr => min_volume_24hr,
            market_min_volume_24hr => market_min_volume_24hr,
            min_conviction => min_conviction,
            max_conviction => max_conviction,
        );
    }
}

/// Where a cycle's market data comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    Live,
    Snapshot(PathBuf),
}

impl std::str::FromStr for SourceSpec {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        if s == "live" {
            return Ok(SourceSpec::Live);
        }
        match s.strip_prefix("snapshot:") {
            Some(dir) if !dir.is_empty() => Ok(SourceSpec::Snapshot(PathBuf::from(dir))),
            _ => bail!("--source must be `live` or `snapshot:DIR`, not {s:?}"),
        }
    }
}

/// Run a parsed command line with loaded settings.
pub async fn run(cli: Cli, mut settings: Settings) -> Result<()> {
    if let Some(dir) = &cli.data_dir {
        settings.data_dir = dir.clone();
    }
    match cli.command {
        Command::Cycle(args) => {
            args.filters.apply(&mut settings);
            let source = open_source(&args.source.parse()?, &settings)?;
            let params = cycle_params(&settings)?;
            let app = App::open(settings, args.store).await?;
            let result = run_cycle(&app.stores, source.as_ref(), &params).await;
            // The PostgreSQL half of dual writes lands before the process exits.
            app.flush().await;
            let summary = result.context("cycle failed")?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&summary)?);
            } else {
                print!("{summary}");
            }
            Ok(())
        }
        Command::Record { dir } => record(&settings, &dir).await,
        Command::Serve {
            addr,
            store,
            source,
        } => {
            let source = source.parse()?;
            let token = settings.api_token.clone();
            crate::api::guard::check_bind(addr, token.as_deref())?;
            let app = App::open(settings, store).await?;
            crate::api::serve(app, addr, token, source).await
        }
        Command::Stats(args) => crate::stats_cmd::command(args, settings).await,
        Command::UpdatePrices(args) => crate::prices::command(args, settings).await,
        Command::Run(args) => crate::schedule::command(args, settings).await,
    }
}

/// The cycle parameters the settings describe. An amount or a balance no
/// store could hold, or a trade amount that is not positive, is refused.
pub fn cycle_params(settings: &Settings) -> Result<CycleParams> {
    let amount = Usd::new(settings.trade_amount);
    if !amount.is_positive() || !amount.is_storable() {
        anyhow::bail!(
            "the trade amount {} must be positive and below 10^13",
            settings.trade_amount
        );
    }
    let initial_balance = Usd::new(settings.initial_balance);
    if initial_balance.is_negative() || !initial_balance.is_storable() {
        anyhow::bail!(
            "the initial balance {} must be at least 0 and below 10^13",
            settings.initial_balance
        );
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
        clock: system_clock(),
    })
}

/// Open the market source a `--source` names.
pub fn open_source(spec: &SourceSpec, settings: &Settings) -> Result<Box<dyn MarketSource>> {
    match spec {
        SourceSpec::Snapshot(dir) => {
            Ok(Box::new(SnapshotSource::open(dir).with_context(|| {
                format!("cannot open snapshot {}", dir.display())
            })?))
        }
        SourceSpec::Live => Ok(Box::new(
            GammaClient::new(settings.gamma()).context("cannot set up the Gamma client")?,
        )),
    }
}

/// `prescient record DIR`: crawl the live API as a cycle would (every active
/// event, then the details of every nested market) and save it as a snapshot.
pub async fn record(settings: &Settings, dir: &std::path::Path) -> Result<()> {
    let client = GammaClient::new(settings.gamma()).context("cannot set up the Gamma client")?;
    let events = client
        .fetch_active_events()
        .await
        .context("cannot fetch the active events")?;
    let ids: Vec<domain::MarketId> = events
        .events
        .iter()
        .flat_map(|e| e.markets.iter().map(|m| m.id.clone()))
        .collect();
    let details = client
        .fetch_markets(&ids, false)
        .await
        .context("cannot fetch the market details")?;
    write_snapshot(dir, &events.events, &details.markets)
        .with_context(|| format!("cannot write the snapshot to {}", dir.display()))?;
    println!(
        "recorded {} events and {} markets to {} ({} skipped records, {} markets missing, {} requests, {} retries)",
        events.events.len(),
        details.markets.len(),
        dir.display(),
        events.stats.skipped.len() + details.stats.skipped.len(),
        details.missing.len(),
        events.stats.requests + details.stats.requests,
        events.stats.retries + details.stats.retries,
    );
    Ok(())
}

/// Every data set on the JSON store of the data directory (locked for writing).
pub fn open_json_stores(settings: &Settings) -> Result<Stores> {
    crate::app::json_stores(settings)
}
