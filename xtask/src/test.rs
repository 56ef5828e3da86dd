//! `cargo xtask test`: the whole test suite, as CI runs it.

use crate::cmd;
use anyhow::Result;
use clap::Args;

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Use `cargo test` even when cargo-nextest is installed.
    #[arg(long)]
    no_nextest: bool,
    /// Extra arguments passed to the test runner (e.g. a filter).
    #[arg(trailing_var_arg = true)]
    rest: Vec<String>,
}

pub fn run(args: TestArgs) -> Result<()> {
    let nextest = !args.no_nextest && cmd::available("cargo-nextest", &["nextest", "--version"]);
    let mut test = cmd::cargo();
    if nextest {
        test.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        test.args(["test", "--workspace", "--no-fail-fast"]);
    }
    test.args(&args.rest);
    cmd::run(test)?;
    if nextest && args.rest.is_empty() {
        // nextest does not run doc tests.
        let mut doc = cmd::cargo();
        doc.args(["test", "--workspace", "--doc"]);
        cmd::run(doc)?;
    }
    Ok(())
}
