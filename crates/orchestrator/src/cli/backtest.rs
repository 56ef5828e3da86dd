//! `prescient backtest`: strategies side by side over a recorded sequence,
//! in throw-away portfolios (no live store is opened, no lock is taken).

use crate::app::cycle_params;
use crate::backtest::{BacktestConfig, SnapshotSequence, run_backtest, snapshots, svg};
use crate::filters::FilterOverrides;
use crate::settings::Settings;
use anyhow::{Context, Result, bail};
use clap::Args;
use domain::Usd;
use rust_decimal::Decimal;
use std::path::PathBuf;

/// What a backtest replays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BacktestSource {
    /// A directory of moments (`snapshots:DIR`).
    Snapshots(PathBuf),
    /// The price history in PostgreSQL (`pg`).
    Pg,
}

impl std::str::FromStr for BacktestSource {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        if s == "pg" {
            return Ok(BacktestSource::Pg);
        }
        match s.strip_prefix("snapshots:") {
            Some(dir) if !dir.is_empty() => Ok(BacktestSource::Snapshots(PathBuf::from(dir))),
            _ => bail!("--source must be `snapshots:DIR` or `pg`, not {s:?}"),
        }
    }
}

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// What to replay: `snapshots:DIR` (one subdirectory per moment, named
    /// YYYYmmddTHHMMSSZ, as `prescient record --into DIR` writes them) or
    /// `pg` (the price history in PostgreSQL).
    #[arg(long)]
    pub source: BacktestSource,
    /// First moment replayed (inclusive): RFC 3339 or YYYYmmddTHHMMSSZ.
    #[arg(long)]
    pub from: Option<String>,
    /// Last moment replayed (inclusive): RFC 3339 or YYYYmmddTHHMMSSZ.
    #[arg(long)]
    pub to: Option<String>,
    /// The strategies to run side by side, by name (`prescient strategies`
    /// lists them), comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub strategies: Vec<String>,
    /// Starting balance of each strategy's portfolio [default: the
    /// initial_balance setting].
    #[arg(long)]
    pub initial_balance: Option<Decimal>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write report.json and equity.svg (every strategy's equity
    /// curve) to this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Sell a position once its gain reaches this fraction of its amount
    /// (as a portfolio's `exits.take_profit`).
    #[arg(long, value_name = "FRACTION")]
    pub take_profit: Option<Decimal>,
    /// Sell a position once its loss reaches this fraction of its amount.
    #[arg(long, value_name = "FRACTION")]
    pub stop_loss: Option<Decimal>,
    /// Sell a position held this long on the moments' clock (`12h`, `7d`).
    #[arg(long, value_name = "DURATION")]
    pub max_holding: Option<String>,
    /// Slippage on every buy and sell, in basis points (as `fill.slippage_bps`).
    #[arg(long, value_name = "BPS", default_value_t = 0)]
    pub slippage_bps: u32,
    /// Fee on every trade's amount, in basis points (as `fill.fee_bps`).
    #[arg(long, value_name = "BPS", default_value_t = 0)]
    pub fee_bps: u32,
    #[command(flatten)]
    pub filters: FilterOverrides,
}

pub async fn run(args: BacktestArgs, settings: &Settings) -> Result<()> {
    let settings = args.filters.applied_to(settings)?;
    let config = config(&args, &settings)?;
    let from = args
        .from
        .as_deref()
        .map(snapshots::parse_bound)
        .transpose()?;
    let to = args.to.as_deref().map(snapshots::parse_bound).transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        bail!(
            "--from {} comes after --to {}",
            f.to_rfc3339(),
            t.to_rfc3339()
        );
    }
    let report = match &args.source {
        BacktestSource::Snapshots(dir) => {
            let mut moments = SnapshotSequence::open(dir, from, to)?;
            run_backtest(&mut moments, &config).await?
        }
        BacktestSource::Pg => {
            let pg = storage_pg::PgStore::connect(settings.pg_config()?)
                .await
                .context("the price history is kept in PostgreSQL, which does not answer")?;
            let now = (crate::cycle::system_clock())();
            let mut moments =
                crate::backtest::pg::PgMoments::open_between(&pg, None, from, to, now).await?;
            for id in moments.unknown_markets() {
                eprintln!("warning: market {id} has price history but no stored record; left out");
            }
            run_backtest(&mut moments, &config).await?
        }
    };
    let json = report.to_json()?;
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
        let path = out.join("report.json");
        std::fs::write(&path, &json).with_context(|| format!("cannot write {}", path.display()))?;
        let path = out.join("equity.svg");
        std::fs::write(&path, svg::equity_chart(&report))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if args.json {
        print!("{json}");
    } else {
        print!("{report}");
        if let Some(out) = &args.out {
            println!(
                "wrote {} and {}",
                out.join("report.json").display(),
                out.join("equity.svg").display()
            );
        }
    }
    Ok(())
}

/// The backtest the arguments and settings describe: the settings' filters,
/// policy and trade amount (each strategy's `amount`), the starting
/// balance, and the exit rules and fill model of the flags (none by
/// default), checked as a portfolio's are.
fn config(args: &BacktestArgs, settings: &Settings) -> Result<BacktestConfig> {
    let base = cycle_params(settings)?;
    let initial_balance = match args.initial_balance {
        Some(b) => {
            let b = Usd::new(b);
            if b.is_negative() || !b.is_storable() {
                bail!("--initial-balance {b} must be at least 0 and below 10^13");
            }
            b
        }
        None => base.initial_balance,
    };
    let amount: serde_json::Value = serde_json::from_str(&settings.trade_amount.to_string())
        .context("the trade amount is not a number")?;
    let mut strategies = Vec::new();
    for name in &args.strategies {
        let name = name.trim();
        let params = strategy::Params::from([("amount".to_owned(), amount.clone())]);
        let built = strategy::build(name, &params)?;
        strategies.push((name.to_owned(), built));
    }
    use crate::settings::portfolios::{ExitConfig, FillConfig, exits_of};
    let exits = exits_of(
        &ExitConfig {
            take_profit: args.take_profit,
            stop_loss: args.stop_loss,
            max_holding: args.max_holding.clone(),
        },
        &FillConfig {
            slippage_bps: args.slippage_bps,
            fee_bps: args.fee_bps,
        },
    )
    .map_err(anyhow::Error::msg)?;
    Ok(BacktestConfig {
        initial_balance,
        exits,
        ..BacktestConfig::new(strategies, base)
    })
}
