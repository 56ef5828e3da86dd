//! `prescient compare [--json] [--store …]`: every live portfolio side by
//! side. A reader: it works beside a running writer.

use crate::app::{App, StoreChoice};
use crate::settings::Settings;
use anyhow::{Context, Result};
use clap::Args;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Print the comparison as JSON.
    #[arg(long)]
    pub json: bool,
    /// Read from one store instead of the phase's routes.
    #[arg(long, value_enum, default_value_t = StoreChoice::Phase)]
    pub store: StoreChoice,
}

pub async fn run(args: CompareArgs, settings: Settings) -> Result<()> {
    let live = settings.portfolios()?;
    let app = App::open_reader(settings, args.store).await?;
    let (comparison, stale) =
        routing::stale::allow_stale(crate::compare::compare(&app.stores, &live)).await;
    let comparison = comparison.context("cannot compare the portfolios")?;
    super::warn_if_stale(stale);
    super::print(args.json, &comparison)
}
