//! `cargo xtask bench`: run the criterion benchmarks and print the goals.

use crate::cmd;
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Extra arguments for the bench binaries (e.g. a criterion filter).
    #[arg(trailing_var_arg = true)]
    rest: Vec<String>,
}

pub fn run(args: BenchArgs) -> Result<()> {
    let mut bench = cmd::cargo();
    bench.args(["bench", "-p", "storage-json"]);
    if !args.rest.is_empty() {
        bench.arg("--").args(&args.rest);
    }
    cmd::run(bench)
}
