//! Developer and operator commands for Prescient, run as `cargo xtask <command>`.
//!
//! Each command is one module and stays thin: it parses arguments and calls
//! library code in the crates or runs cargo. Logic worth testing lives in the
//! crates, where it is tested.

mod bench;
mod cmd;
mod test;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Prescient developer and operator commands")]
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
}

fn main() -> ExitCode {
    let result: Result<()> = match Xtask::parse().command {
        Command::Test(args) => test::run(args),
        Command::Bench(args) => bench::run(args),
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
