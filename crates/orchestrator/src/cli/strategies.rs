//! `prescient strategies [--json]`: every strategy a portfolio can run, with
//! its parameters (kind, default, bounds), and the live portfolios.

use crate::settings::Settings;
use anyhow::Result;
use clap::Args;
use std::fmt::Write as _;

#[derive(Debug, Args)]
pub struct StrategiesArgs {
    /// Print `[{"name", "description", "parameters"}]` as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: StrategiesArgs, settings: &Settings) -> Result<()> {
    let registry = strategy::registry();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&registry)?);
        return Ok(());
    }
    let mut out = String::new();
    for spec in &registry {
        let _ = writeln!(out, "{} — {}", spec.name, spec.description);
        for p in &spec.parameters {
            let _ = writeln!(
                out,
                "    {:<16} {:?}, default {}, {}–{}: {}",
                p.name, p.kind, p.default, p.min, p.max, p.description
            );
        }
    }
    let _ = writeln!(out, "\nlive portfolios (prescient.toml [[portfolios]]):");
    for p in settings.portfolios()? {
        let _ = writeln!(
            out,
            "    {:<16} {} at {} a trade, from {}",
            p.id, p.strategy_name, p.amount, p.initial_balance
        );
    }
    print!("{out}");
    Ok(())
}
