//! `prescient stats [--json] [--store phase|json|pg]`: the portfolio's
//! performance. A reader: it works beside a running writer.

use crate::app::{App, StoreChoice};
use crate::settings::Settings;
use crate::stats_cmd::{load_performance, render};
use anyhow::{Context, Result};
use clap::Args;
use domain::PortfolioId;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print the performance as JSON.
    #[arg(long)]
    pub json: bool,
    /// Read from one store instead of the phase's routes.
    #[arg(long, value_enum, default_value_t = StoreChoice::Phase)]
    pub store: StoreChoice,
    /// The portfolio to report on.
    #[arg(long, value_name = "ID", default_value = PortfolioId::DEFAULT)]
    pub portfolio: String,
}

pub async fn run(args: StatsArgs, settings: Settings) -> Result<()> {
    let id = PortfolioId::new(args.portfolio);
    crate::app::portfolio_params(&settings, Some(&id))?;
    let app = App::open_reader(settings, args.store).await?;
    // Shown, never written back: it may answer from the JSON files while
    // PostgreSQL is down in phase 6 (marked stale).
    let (performance, stale) =
        routing::stale::allow_stale(load_performance(&app.stores, &id)).await;
    let performance = performance.context("cannot compute the performance")?;
    super::warn_if_stale(stale);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&performance)?);
    } else {
        print!("{}", render(&performance));
    }
    Ok(())
}
