//! The migration commands: `phase status|advance|rollback`, `backfill`,
//! `verify [--repair]`, `backup`, `restore`, `archive-json`,
//! `outbox list|replay`. Thin: they load settings, call
//! `orchestrator::ops`, print, and pick the exit code.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use orchestrator::ops::{Migration, archive, backup, phase};
use orchestrator::{Settings, Sources};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options every migration command takes.
#[derive(Debug, Args)]
pub struct Common {
    /// The JSON data directory [default: PRESCIENT_DATA_DIR or ./data]
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PhaseCommand {
    /// Phase, routes per data set, overrides, outbox depth, last verify, and
    /// the gates of the next phase.
    Status {
        /// Do not evaluate the next phase's gates (they run verify).
        #[arg(long)]
        no_gates: bool,
    },
    /// Run the gates of the next phase and step into it.
    Advance {
        /// Step even if gates fail (logged in the transition).
        #[arg(long)]
        force: bool,
    },
    /// Step back one phase.
    Rollback {
        /// From phase 6 without PostgreSQL: restore the data directory from
        /// this backup (`cargo xtask backup --out DIR`) and step to 5.4.
        #[arg(long, value_name = "DIR")]
        from_backup: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// The writes waiting for PostgreSQL.
    List,
    /// Apply them now, in order.
    Replay,
}

fn migration(common: &Common) -> Result<Migration> {
    let mut settings = Settings::load(&Sources::from_process())?;
    if let Some(d) = &common.data_dir {
        settings.data_dir = d.clone();
    }
    Migration::open(settings)
}

fn print<T: serde::Serialize + std::fmt::Display>(json: bool, value: &T) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{value}");
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub fn phase(common: &Common, command: PhaseCommand) -> Result<()> {
    let mut m = migration(common)?;
    runtime()?.block_on(async {
        match command {
            PhaseCommand::Status { no_gates } => {
                let status = phase::status(&mut m, !no_gates).await?;
                print(common.json, &status)
            }
            PhaseCommand::Advance { force } => {
                let t = phase::advance(&mut m, force).await?;
                for g in &t.gates {
                    println!(
                        "  [{}] {}: {}",
                        if g.passed { "pass" } else { "FAIL" },
                        g.gate,
                        g.detail
                    );
                }
                println!(
                    "advanced {} → {}{}",
                    t.from,
                    t.to,
                    if t.forced {
                        " (forced over failing gates)"
                    } else {
                        ""
                    }
                );
                Ok(())
            }
            PhaseCommand::Rollback { from_backup } => {
                let t = match from_backup {
                    Some(dir) => phase::rollback_from_backup(&mut m, &dir).await?,
                    None => phase::rollback(&mut m).await?,
                };
                for g in &t.gates {
                    println!("  {}: {}", g.gate, g.detail);
                }
                println!("rolled back {} → {}", t.from, t.to);
                Ok(())
            }
        }
    })
}

pub fn backfill(common: &Common, dataset: &str) -> Result<()> {
    let m = migration(common)?;
    let data_sets = Migration::data_sets(dataset)?;
    let report = runtime()?.block_on(backup::backfill(&m, &data_sets))?;
    println!("backfill done:\n{report}");
    Ok(())
}

/// `verify`: exit 0 clean, 1 mismatches, 2 could not run.
pub fn verify(common: &Common, dataset: &str, repair: bool) -> ExitCode {
    let result = (|| -> Result<bool> {
        let mut m = migration(common)?;
        let data_sets = Migration::data_sets(dataset)?;
        runtime()?.block_on(async {
            let report = backup::verify_and_record(&mut m, &data_sets).await?;
            print(common.json, &report)?;
            if report.is_clean() || !repair {
                return Ok(report.is_clean());
            }
            for r in backup::repair(&m, &report.dirty_data_sets()).await? {
                println!("repaired {} from {} ({} rows)", r.data_set, r.from, r.rows);
            }
            let again = backup::verify_and_record(&mut m, &data_sets).await?;
            print(common.json, &again)?;
            Ok(again.is_clean())
        })
    })();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!(
                "error: verify could not run: {}",
                orchestrator::one_line(&e)
            );
            ExitCode::from(2)
        }
    }
}

pub fn backup(common: &Common, out: &std::path::Path) -> Result<()> {
    let m = migration(common)?;
    let report = runtime()?.block_on(backup::backup(&m, out))?;
    println!("backup written to {}:\n{}", report.dir, report.copied);
    match &report.dump {
        Ok(file) => println!("pg_dump: {file}"),
        Err(why) => println!("pg_dump: none ({why})"),
    }
    Ok(())
}

pub fn restore(common: &Common, from: &std::path::Path, force: bool) -> Result<()> {
    let m = migration(common)?;
    let report = runtime()?.block_on(backup::restore(&m, from, force))?;
    println!("restored from {}:\n{report}", from.display());
    Ok(())
}

pub fn archive_json(common: &Common, out: &std::path::Path) -> Result<()> {
    let mut m = migration(common)?;
    let record = archive::archive_json(&mut m, out)?;
    println!(
        "archived {} files to {} (sha256 {}); manifest {}",
        record.files,
        record.file,
        record.sha256,
        archive::manifest_path(out).display()
    );
    Ok(())
}

pub fn outbox(common: &Common, command: OutboxCommand) -> Result<()> {
    let m = migration(common)?;
    let outbox = m.outbox();
    runtime()?.block_on(async {
        match command {
            OutboxCommand::List => {
                let pending = outbox.pending().await?;
                if common.json {
                    println!("{}", serde_json::to_string_pretty(&pending)?);
                } else {
                    for q in &pending {
                        println!("{:>6} {} {} ({})", q.seq, q.queued_at, q.what, q.error);
                    }
                    println!("{} queued", pending.len());
                }
                Ok(())
            }
            OutboxCommand::Replay => {
                let pg = m.pg().await?;
                let stores = domain::ports::Stores::transactional(std::sync::Arc::new(pg));
                let report = outbox.replay(&stores).await?;
                println!("replayed {}, {} left", report.replayed, report.remaining);
                if let Some(why) = report.stopped_by {
                    anyhow::bail!("replay stopped: {why}");
                }
                Ok(())
            }
        }
    })
}
