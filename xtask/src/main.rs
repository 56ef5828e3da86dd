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
    /// The migration phase: status, advance (gated), rollback (`prescient
    /// migrate phase`).
    #[command(disable_help_flag = true)]
    Phase(Passthrough),
    /// Import the JSON history into PostgreSQL (`prescient migrate backfill`).
    #[command(disable_help_flag = true)]
    Backfill(Passthrough),
    /// Compare JSON and PostgreSQL record by record (`prescient migrate
    /// verify`). Exit 0 clean, 1 mismatches, 2 could not run.
    #[command(disable_help_flag = true)]
    Verify(Passthrough),
    /// Export the database to the legacy JSON layout (`prescient migrate
    /// backup`).
    #[command(disable_help_flag = true)]
    Backup(Passthrough),
    /// Load a backup into an empty database (`prescient migrate restore`).
    #[command(disable_help_flag = true)]
    Restore(Passthrough),
    /// Archive the JSON data directory with a manifest of checksums
    /// (`prescient migrate archive-json`).
    #[command(disable_help_flag = true)]
    ArchiveJson(Passthrough),
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
    /// The outbox of dual writes PostgreSQL did not take (`prescient
    /// migrate outbox`).
    #[command(disable_help_flag = true)]
    Outbox(Passthrough),
}

/// The arguments of a migration command, handed as they are to `prescient
/// migrate` (one parser, one implementation).
#[derive(Debug, clap::Args)]
struct Passthrough {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
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
        Command::Phase(a) => return migrate::run("phase", a.args),
        Command::Backfill(a) => return migrate::run("backfill", a.args),
        Command::Verify(a) => return migrate::run("verify", a.args),
        Command::Backup(a) => return migrate::run("backup", a.args),
        Command::Restore(a) => return migrate::run("restore", a.args),
        Command::ArchiveJson(a) => return migrate::run("archive-json", a.args),
        Command::Outbox(a) => return migrate::run("outbox", a.args),
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
