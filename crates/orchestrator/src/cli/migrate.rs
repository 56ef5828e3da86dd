//! `prescient migrate …`: the operator's migration commands — `phase
//! status|advance|rollback`, `backfill`, `verify [--repair]`, `backup`,
//! `restore`, `archive-json`, `outbox list|replay`. They parse, call
//! [`crate::ops`], print, and pick the exit code; `cargo xtask` runs the same
//! commands through [`run_args`].

use crate::ops::{Migration, archive, backup, phase};
use crate::settings::Settings;
use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// `prescient migrate [--json] COMMAND`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: MigrateCommand,
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// The migration phase: status, advance (gated), rollback.
    Phase {
        #[command(subcommand)]
        command: PhaseCommand,
    },
    /// Import the JSON history into PostgreSQL (idempotent, resumable).
    Backfill {
        /// portfolio, trades, history, signals, markets or all.
        #[arg(long, default_value = "all")]
        dataset: String,
    },
    /// Compare JSON and PostgreSQL record by record. Exit 0 clean, 1
    /// mismatches, 2 could not run.
    Verify {
        #[arg(long, default_value = "all")]
        dataset: String,
        /// Copy mismatching data sets from the side that is the truth in the
        /// current phase, then verify again.
        #[arg(long)]
        repair: bool,
    },
    /// Export the database to the legacy JSON layout (plus pg_dump if present).
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Load a backup into an empty database.
    Restore {
        #[arg(long)]
        from: PathBuf,
        /// Merge into a database that is not empty.
        #[arg(long)]
        force: bool,
    },
    /// Archive the JSON data directory with a manifest of checksums (phase 7).
    ArchiveJson {
        #[arg(long)]
        out: PathBuf,
    },
    /// The outbox of dual writes PostgreSQL did not take.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
}

/// The migration commands on their own, as `cargo xtask` parses them.
#[derive(Debug, Parser)]
#[command(name = "migrate")]
pub struct Standalone {
    /// The JSON data directory [default: PRESCIENT_DATA_DIR or ./data]
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub args: MigrateArgs,
}

/// Run a migration command with loaded settings; the exit code is the
/// command's (`verify`: 0 clean, 1 mismatches, 2 could not run).
pub async fn run(args: MigrateArgs, settings: Settings) -> Result<ExitCode> {
    let common = &args.common;
    match args.command {
        MigrateCommand::Phase { command } => phase(common, settings, command).await?,
        MigrateCommand::Backfill { dataset } => backfill(settings, &dataset).await?,
        MigrateCommand::Verify { dataset, repair } => {
            return Ok(verify(common, settings, &dataset, repair).await);
        }
        MigrateCommand::Backup { out } => backup(settings, &out).await?,
        MigrateCommand::Restore { from, force } => restore(settings, &from, force).await?,
        MigrateCommand::ArchiveJson { out } => archive_json(settings, &out)?,
        MigrateCommand::Outbox { command } => outbox(common, settings, command).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Parse `args` (without a program name) as a migration command and run it
/// with `settings`: what `prescient migrate phase …` and friends call.
pub async fn run_args(args: &[String], mut settings: Settings) -> Result<ExitCode> {
    let parsed = Standalone::try_parse_from(
        std::iter::once("migrate".to_owned()).chain(args.iter().cloned()),
    )
    .unwrap_or_else(|e| e.exit());
    if let Some(d) = parsed.data_dir {
        settings.data_dir = d;
    }
    run(parsed.args, settings).await
}

/// Options every migration command takes.
#[derive(Debug, Args)]
pub struct Common {
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
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
        /// this backup (`prescient migrate backup --out DIR`) and step to 5.4.
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

use super::print;

async fn phase(common: &Common, settings: Settings, command: PhaseCommand) -> Result<()> {
    let mut m = Migration::open(settings)?;
    {
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
    }
}

async fn backfill(settings: Settings, dataset: &str) -> Result<()> {
    let m = Migration::open(settings)?;
    let data_sets = Migration::data_sets(dataset)?;
    let report = backup::backfill(&m, &data_sets).await?;
    println!("backfill done:\n{report}");
    Ok(())
}

/// `verify`: exit 0 clean, 1 mismatches, 2 could not run.
async fn verify(common: &Common, settings: Settings, dataset: &str, repair: bool) -> ExitCode {
    let result = async {
        let mut m = Migration::open(settings)?;
        let data_sets = Migration::data_sets(dataset)?;
        {
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
            Ok::<bool, anyhow::Error>(again.is_clean())
        }
    }
    .await;
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: verify could not run: {}", crate::one_line(&e));
            ExitCode::from(2)
        }
    }
}

async fn backup(settings: Settings, out: &std::path::Path) -> Result<()> {
    let m = Migration::open(settings)?;
    let report = backup::backup(&m, out).await?;
    println!("backup written to {}:\n{}", report.dir, report.copied);
    match &report.dump {
        Ok(file) => println!("pg_dump: {file}"),
        Err(why) => println!("pg_dump: none ({why})"),
    }
    Ok(())
}

async fn restore(settings: Settings, from: &std::path::Path, force: bool) -> Result<()> {
    let m = Migration::open(settings)?;
    let report = backup::restore(&m, from, force).await?;
    println!("restored from {}:\n{report}", from.display());
    Ok(())
}

fn archive_json(settings: Settings, out: &std::path::Path) -> Result<()> {
    let mut m = Migration::open(settings)?;
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

async fn outbox(common: &Common, settings: Settings, command: OutboxCommand) -> Result<()> {
    let m = Migration::open(settings)?;
    let outbox = m.outbox();
    {
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
    }
}
