//! `cargo xtask test`: the whole test suite, as CI runs it. Ensures a
//! PostgreSQL server first (reusing one that answers at `DATABASE_URL`, else
//! starting a throw-away cluster), runs every test against it, and tears down
//! what it started.

use crate::{cmd, db};
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
    let database = db::ensure()?;
    let result = run_suites(&args, &database.url);
    if database.started {
        if let Err(e) = db::stop_cluster() {
            eprintln!("note: could not remove the throw-away cluster: {e}");
        }
    }
    result
}

fn run_suites(args: &TestArgs, url: &str) -> Result<()> {
    let nextest = !args.no_nextest && cmd::available("cargo-nextest", &["nextest", "--version"]);
    let mut test = cmd::cargo();
    test.env("DATABASE_URL", url);
    if nextest {
        test.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        test.args(["test", "--workspace", "--no-fail-fast"]);
    }
    test.args(&args.rest);
    cmd::run(test)?;
    if args.rest.is_empty() {
        // Phase 7 runs without the JSON store: the orchestrator must build
        // and its own tests pass with no storage-json linked (SPEC §6).
        let mut bare = cmd::cargo();
        bare.env("DATABASE_URL", url).args([
            "test",
            "-p",
            "orchestrator",
            "--no-default-features",
            "--lib",
            "--bins",
        ]);
        cmd::run(bare)?;
    }
    if args.rest.is_empty() && nextest {
        // nextest does not run doc tests.
        let mut doc = cmd::cargo();
        doc.args(["test", "--workspace", "--doc"]);
        cmd::run(doc)?;
    }
    Ok(())
}
