//! `prescient update-prices [--source live|snapshot:DIR] [--json] [--store …]`.

use crate::app::{Access, App, SourceSpec, StoreChoice, open_source, portfolio_params};
use crate::prices::update_prices_with;
use crate::settings::Settings;
use anyhow::{Context, Result};
use clap::Args;
use domain::PortfolioId;

#[derive(Debug, Args)]
pub struct UpdatePricesArgs {
    /// Where market data comes from: `live` (the Gamma API) or `snapshot:DIR`.
    #[arg(long, default_value = "live")]
    pub source: SourceSpec,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Run on one store instead of the phase's routes.
    #[arg(long, value_enum, default_value_t = StoreChoice::Phase)]
    pub store: StoreChoice,
    /// The portfolio to re-price (its exit rules apply).
    #[arg(long, value_name = "ID", default_value = PortfolioId::DEFAULT)]
    pub portfolio: String,
}

pub async fn run(args: UpdatePricesArgs, settings: Settings) -> Result<()> {
    let source = open_source(&args.source, &settings)?;
    let id = PortfolioId::new(args.portfolio);
    let exits = portfolio_params(&settings, Some(&id))?
        .first()
        .map(|p| p.exits)
        .unwrap_or_default();
    let app = App::open_as(settings, args.store, Access::Write, "update-prices").await?;
    let now = (crate::cycle::system_clock())();
    let result = update_prices_with(&app.stores, source.as_ref(), &id, now, &exits).await;
    app.flush().await;
    let update = result.context("price update failed")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&update)?);
    } else {
        print!("{update}");
    }
    Ok(())
}
