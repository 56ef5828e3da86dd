//! The `prescient` command line, a leaf: one module per command, each
//! parsing its arguments, calling library code (the wiring is in
//! [`crate::app`]) and printing. Nothing outside `cli` imports it but the
//! binary.

mod backtest;
mod compare;
mod cycle;
mod history;
#[cfg(feature = "json")]
pub mod migrate;
mod record;
mod run;
mod serve;
mod stats;
mod strategies;
mod update_prices;

use crate::settings::Settings;
use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

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
    Cycle(cycle::CycleArgs),
    /// Save the live Gamma data (events.json, markets.json) to DIR for replay
    /// with `--source snapshot:DIR`, or, with `--into SEQDIR`, as the next
    /// moment of a sequence for `backtest --source snapshots:SEQDIR`.
    Record(record::RecordArgs),
    /// Replay a recorded sequence through the trading cycle, strategies side
    /// by side in throw-away portfolios (README, "Backtests"): trades, final
    /// value, P&L, return, win rate, drawdown, Sharpe, Brier score and the
    /// equity curve of each. Opens no live store.
    Backtest(backtest::BacktestArgs),
    /// Serve the HTTP API and the dashboard (README, "HTTP API") until Ctrl-C
    /// or SIGTERM; with `--cycle-every`/`--prices-every`, also run the
    /// schedule. Beyond loopback it needs PRESCIENT_API_TOKEN; with it set,
    /// POST actions require it.
    Serve(serve::ServeArgs),
    /// Performance of the portfolio: P&L, return, win rate, drawdown,
    /// exposure by event, best and worst markets. Works beside a running
    /// `serve` or `run`.
    Stats(stats::StatsArgs),
    /// Re-price open positions from fresh market data (closed markets asked
    /// for explicitly) and settle the resolved ones.
    UpdatePrices(update_prices::UpdatePricesArgs),
    /// Run cycles and price updates on a schedule, never overlapping, until
    /// Ctrl-C or SIGTERM (headless; `serve --cycle-every` does the same with
    /// the API).
    Run(run::RunArgs),
    /// Every live portfolio side by side: equity, return, drawdown, win rate,
    /// Sharpe, Brier score, correlation of daily P&L, open exposure.
    Compare(compare::CompareArgs),
    /// Price history from Polymarket's CLOB into PostgreSQL (`history fetch`).
    History(history::HistoryArgs),
    /// The strategies a portfolio can run (name, description, parameters)
    /// and the live portfolios.
    Strategies(strategies::StrategiesArgs),
    /// The operator's migration commands: phase status|advance|rollback,
    /// backfill, verify, backup, restore, archive-json, outbox (README,
    /// "Migrating to PostgreSQL").
    #[cfg(feature = "json")]
    Migrate(migrate::MigrateArgs),
}

/// Run a parsed command line with loaded settings. `Ok` carries the exit
/// code (`migrate verify` exits 1 on mismatches).
pub async fn run(cli: Cli, mut settings: Settings) -> Result<std::process::ExitCode> {
    use std::process::ExitCode;
    if let Some(dir) = &cli.data_dir {
        settings.data_dir = dir.clone();
    }
    match cli.command {
        Command::Cycle(args) => cycle::run(args, settings).await?,
        Command::Record(args) => record::run(args, &settings).await?,
        Command::Backtest(args) => backtest::run(args, &settings).await?,
        Command::Serve(args) => serve::run(args, settings).await?,
        Command::Stats(args) => stats::run(args, settings).await?,
        Command::UpdatePrices(args) => update_prices::run(args, settings).await?,
        Command::Run(args) => run::run(args, settings).await?,
        Command::Strategies(args) => strategies::run(args, &settings)?,
        Command::Compare(args) => compare::run(args, settings).await?,
        Command::History(args) => history::command(args, settings).await?,
        #[cfg(feature = "json")]
        Command::Migrate(args) => return migrate::run(args, settings).await,
    }
    Ok(ExitCode::SUCCESS)
}

/// `value` as pretty JSON, or as its text.
pub(crate) fn print<T: serde::Serialize + std::fmt::Display>(json: bool, value: &T) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{value}");
    }
    Ok(())
}

/// Warn on stderr that figures come from the JSON files because PostgreSQL
/// did not answer (phase 6 with PostgreSQL down), with the export's time.
fn warn_if_stale(stale: Option<chrono::DateTime<chrono::Utc>>) {
    if let Some(at) = stale {
        eprintln!(
            "warning: PostgreSQL did not answer; these figures are from the JSON files as of {} (stale)",
            domain::time::format_timestamp(at)
        );
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    /// `prescient cycle`, `run` and `serve` take the filter flags, beside their own.
    #[test]
    fn the_flags_fit_every_command_that_takes_them() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
        for command in ["cycle", "run", "serve"] {
            let cli = super::Cli::try_parse_from([
                "prescient",
                command,
                "--event-min-liquidity",
                "5000",
                "--min-liquidity=20000",
            ])
            .unwrap();
            let filters = match cli.command {
                super::Command::Cycle(args) => args.filters,
                super::Command::Run(args) => args.filters,
                super::Command::Serve(args) => args.filters,
                other => panic!("{other:?}"),
            };
            assert_eq!(filters.given(), ["event_min_liquidity", "min_liquidity"]);
        }
    }
}
