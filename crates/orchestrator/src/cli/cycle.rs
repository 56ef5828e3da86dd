//! `prescient cycle`: one full trading cycle.

use crate::app::{App, SourceSpec, StoreChoice, cycle_params, open_source};
use crate::cycle::run_cycle;
use crate::filters::FilterOverrides;
use crate::settings::Settings;
use anyhow::{Context, Result};
use clap::Args;

#[derive(Debug, Args)]
pub struct CycleArgs {
    /// Where market data comes from: `live` (the Gamma API) or `snapshot:DIR`
    /// (a recorded snapshot directory).
    #[arg(long, default_value = "live")]
    pub source: SourceSpec,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Run on one store instead of the phase's routes.
    #[arg(long, value_enum, default_value_t = StoreChoice::Phase)]
    pub store: StoreChoice,
    #[command(flatten)]
    pub filters: FilterOverrides,
}

pub async fn run(args: CycleArgs, mut settings: Settings) -> Result<()> {
    settings = args.filters.applied_to(&settings)?;
    let source = open_source(&args.source, &settings)?;
    let params = cycle_params(&settings)?;
    let app = App::open_as(settings, args.store, crate::app::Access::Write, "cycle").await?;
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
