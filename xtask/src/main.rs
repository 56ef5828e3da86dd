//! Developer and operator commands for Prescient, run as `cargo xtask <command>`.
//!
//! Each command is one module and stays thin: it parses arguments and calls
//! library code in the crates or runs cargo. Logic worth testing lives in the
//! crates, where it is tested.
//!
//! `test`: the whole suite against a real PostgreSQL (reused, or a throw-away
//! cluster started for the run). `db`: that server. `bench`: the benchmarks.

mod bench;
mod cmd;
mod db;
mod migrate;
mod soak;
mod test;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    about = "Prescient developer and operator commands"
)]
struct Xtask {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole test suite (cargo-nextest when installed, else cargo test).
    Test(test::TestArgs),
    /// Run the benchmarks and print a table of the goals they check.
    Bench(bench::BenchArgs),
    /// A PostgreSQL server for tests and development.
    Db {
        #[command(subcommand)]
        command: db::DbCommand,
    },
    /// The migration phase: status, advance (gated), rollback.
    Phase {
        #[command(flatten)]
        common: migrate::Common,
        #[command(subcommand)]
        command: migrate::PhaseCommand,
    },
    /// Import the JSON history into PostgreSQL (idempotent, resumable).
    Backfill {
        #[command(flatten)]
        common: migrate::Common,
        /// portfolio, trades, history, signals, markets or all.
        #[arg(long, default_value = "all")]
        dataset: String,
    },
    /// Compare JSON and PostgreSQL record by record. Exit 0 clean, 1
    /// mismatches, 2 could not run.
    Verify {
        #[command(flatten)]
        common: migrate::Common,
        #[arg(long, default_value = "all")]
        dataset: String,
        /// Copy mismatching data sets from the side that is the truth in the
        /// current phase, then verify again.
        #[arg(long)]
        repair: bool,
    },
    /// Export the database to the legacy JSON layout (plus pg_dump if present).
    Backup {
        #[command(flatten)]
        common: migrate::Common,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Load a backup into an empty database.
    Restore {
        #[command(flatten)]
        common: migrate::Common,
        #[arg(long)]
        from: std::path::PathBuf,
        /// Merge into a database that is not empty.
        #[arg(long)]
        force: bool,
    },
    /// Archive the JSON data directory with a manifest of checksums (phase 7).
    ArchiveJson {
        #[command(flatten)]
        common: migrate::Common,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// The crash harness, long: cycles killed and restarted in each phase.
    Soak(soak::SoakArgs),
    /// Write a Gamma snapshot directory of generated events shaped like the
    /// recorded fixtures (`DIR/events.json`), for the memory benches.
    GenSnapshot {
        #[arg(long, default_value_t = 1000)]
        events: usize,
        #[arg(long, default_value_t = 10)]
        markets_per_event: usize,
        dir: std::path::PathBuf,
    },
    /// The outbox of dual writes PostgreSQL did not take.
    Outbox {
        #[command(flatten)]
        common: migrate::Common,
        #[command(subcommand)]
        command: migrate::OutboxCommand,
    },
}

fn gen_snapshot(dir: &std::path::Path, events: usize, markets_per_event: usize) -> Result<()> {
    let template = testkit::generate::template().map_err(anyhow::Error::msg)?;
    let bytes = testkit::generate::write_snapshot(
        dir,
        &template,
        events,
        markets_per_event,
        chrono::Utc::now(),
    )?;
    eprintln!(
        "{events} events × {markets_per_event} markets: {} ({:.1} MB)",
        dir.join("events.json").display(),
        bytes as f64 / 1e6
    );
    Ok(())
}

fn main() -> ExitCode {
    let result: Result<()> = match Xtask::parse().command {
        Command::Test(args) => test::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Db { command } => db::run(command),
        Command::Phase { common, command } => migrate::phase(&common, command),
        Command::Backfill { common, dataset } => migrate::backfill(&common, &dataset),
        Command::Verify {
            common,
            dataset,
            repair,
        } => return migrate::verify(&common, &dataset, repair),
        Command::Backup { common, out } => migrate::backup(&common, &out),
        Command::Restore {
            common,
            from,
            force,
        } => migrate::restore(&common, &from, force),
        Command::ArchiveJson { common, out } => migrate::archive_json(&common, &out),
        Command::Outbox { common, command } => migrate::outbox(&common, command),
        Command::Soak(args) => soak::run(args),
        Command::GenSnapshot {
            events,
            markets_per_event,
            dir,
        } => gen_snapshot(&dir, events, markets_per_event),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", orchestrator::one_line(&e));
            ExitCode::FAILURE
        }
    }
}
