//! `prescient run --cycle-every 1h --prices-every 5m [--source …] [--store …]`:
//! the schedule, headless, until Ctrl-C or SIGTERM.

use crate::app::{Access, App, SourceSpec, StoreChoice, open_source, portfolio_params};
use crate::filters::FilterOverrides;
use crate::schedule::{Schedule, parse_period};
use crate::settings::Settings;
use anyhow::Result;
use clap::Args;
use polymarket_client::MarketSource;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Time between full cycles (`1h`, `30m`, `90s`).
    #[arg(long, default_value = "1h", value_parser = parse_period)]
    pub cycle_every: Duration,
    /// Time between price updates (`5m`, `30s`).
    #[arg(long, default_value = "5m", value_parser = parse_period)]
    pub prices_every: Duration,
    /// Where market data comes from: `live` (the Gamma API) or `snapshot:DIR`.
    #[arg(long, default_value = "live")]
    pub source: SourceSpec,
    /// Run on one store instead of the phase's routes.
    #[arg(long, value_enum, default_value_t = StoreChoice::Phase)]
    pub store: StoreChoice,
    #[command(flatten)]
    pub filters: FilterOverrides,
}

pub async fn run(args: RunArgs, mut settings: Settings) -> Result<()> {
    settings = args.filters.applied_to(&settings)?;
    let source: Arc<dyn MarketSource> = Arc::from(open_source(&args.source, &settings)?);
    let all = portfolio_params(&settings, None)?;
    let app = App::open_as(settings, args.store, Access::Write, "run").await?;
    let schedule = Schedule {
        cycle_every: args.cycle_every,
        prices_every: args.prices_every,
    };
    let scheduler = crate::app::jobs::scheduler(&app, source, &all, schedule, Arc::default());
    tracing::info!(
        cycle_every = %humantime::format_duration(args.cycle_every),
        prices_every = %humantime::format_duration(args.prices_every),
        "scheduler started; Ctrl-C or SIGTERM stops it"
    );
    let report = scheduler.run_until_signalled().await;
    app.flush().await;
    println!(
        "stopped: {} cycles ({} failed), {} price updates ({} failed)",
        report.cycles.succeeded + report.cycles.failed,
        report.cycles.failed,
        report.price_updates.succeeded + report.price_updates.failed,
        report.price_updates.failed
    );
    Ok(())
}
