//! `prescient cycle`: one full trading cycle.

use crate::app::{App, SourceSpec, StoreChoice, open_source, portfolio_params};
use crate::cycle::run_cycles;
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
    /// Run this portfolio only [default: every live portfolio].
    #[arg(long, value_name = "ID")]
    pub portfolio: Option<String>,
    #[command(flatten)]
    pub filters: FilterOverrides,
}

/// One portfolio: its summary as before (`--json`: the summary object).
/// Several (`[[portfolios]]`): each summary in turn (`--json`:
/// `{"portfolios": [{"portfolio", "summary" | "error"}]}`); any failure
/// makes the exit code non-zero after every portfolio ran.
pub async fn run(args: CycleArgs, mut settings: Settings) -> Result<()> {
    settings = args.filters.applied_to(&settings)?;
    let source = open_source(&args.source, &settings)?;
    let only = args.portfolio.map(domain::PortfolioId::new);
    let all = portfolio_params(&settings, only.as_ref())?;
    let app = App::open_as(settings, args.store, crate::app::Access::Write, "cycle").await?;
    let mut results = run_cycles(&app.stores, source.as_ref(), &all).await;
    // The PostgreSQL half of dual writes lands before the process exits.
    app.flush().await;
    if results.len() == 1 {
        let (_, result) = results.remove(0);
        let summary = result.context("cycle failed")?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&summary)?);
        } else {
            print!("{summary}");
        }
        return Ok(());
    }
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(id, r)| r.as_ref().err().map(|e| format!("{id}: {e}")))
        .collect();
    if args.json {
        let rows: Vec<serde_json::Value> = results
            .iter()
            .map(|(id, r)| match r {
                Ok(summary) => serde_json::json!({ "portfolio": id, "summary": summary }),
                Err(e) => serde_json::json!({ "portfolio": id, "error": e.to_string() }),
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "portfolios": rows }))?
        );
    } else {
        for (id, r) in &results {
            match r {
                Ok(summary) => print!("portfolio {id}:\n{summary}"),
                Err(e) => println!("portfolio {id}: cycle failed: {e}"),
            }
        }
    }
    if !failed.is_empty() {
        anyhow::bail!("cycle failed for {}", failed.join("; "));
    }
    Ok(())
}
