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
}

fn main() -> ExitCode {
    let result: Result<()> = match Xtask::parse().command {
        Command::Test(args) => test::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Db { command } => db::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}
