//! `cargo xtask test`: the whole test suite, as CI runs it. Checks what the
//! tests need from the machine first: the recorded Gamma fixtures
//! (`../shared/fixtures`) and a headless Chromium, both required under
//! `CI=true` (Chromium is installed with the system's package manager when
//! missing), so that no test passes in CI without the thing it tests. Then
//! ensures a PostgreSQL server (reusing one that answers at `DATABASE_URL`,
//! else starting a throw-away cluster), runs every test against it, and tears
//! down what it started.

use crate::{cmd, db};
use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use std::process::Command;

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
    let ci = testkit::ci::enabled();
    check_fixtures(ci)?;
    ensure_browser(ci)?;
    let database = db::ensure()?;
    let result = run_suites(&args, &database.url);
    if database.started {
        if let Err(e) = db::stop_cluster() {
            eprintln!("note: could not remove the throw-away cluster: {e}");
        }
    }
    result
}

/// The recorded Gamma fixtures: under CI their absence stops the run before
/// anything is built; elsewhere the tests that read them skip with a note.
fn check_fixtures(ci: bool) -> Result<()> {
    match testkit::fixtures::locate() {
        Ok(dir) => {
            eprintln!("fixtures: {}", dir.display());
            Ok(())
        }
        Err(missing) if ci => bail!("{missing}. CI=true runs every test that reads them."),
        Err(missing) => {
            eprintln!("note: {missing}; the tests that read them will be skipped");
            Ok(())
        }
    }
}

/// A headless Chromium for the dashboard test. Under CI a missing one is
/// installed (`apt-get`, as root) or the run stops saying what is missing;
/// elsewhere the dashboard test skips with a note.
fn ensure_browser(ci: bool) -> Result<()> {
    if let Some(path) = testkit::browser::chromium() {
        eprintln!("browser: {}", path.display());
        return Ok(());
    }
    let names = testkit::browser::CHROMIUM_NAMES.join(", ");
    if !ci {
        eprintln!(
            "note: no Chromium on PATH ({names}); the dashboard browser test will be skipped \
             (Debian: apt-get install chromium)"
        );
        return Ok(());
    }
    if !cmd::available("apt-get", &["--version"]) {
        bail!(
            "CI=true needs a headless Chromium for the dashboard test: none on PATH ({names}) \
             and no apt-get to install one; install Chromium and run again"
        );
    }
    if !cmd::is_root() {
        bail!(
            "CI=true needs a headless Chromium for the dashboard test: none on PATH ({names}); \
             installing it with apt-get needs root: run `apt-get install chromium` as root, \
             or run this as root"
        );
    }
    eprintln!("no Chromium on PATH; installing it for the dashboard test");
    let mut update = Command::new("apt-get");
    update.arg("update");
    cmd::run(update).context("cannot install Chromium")?;
    let mut install = Command::new("apt-get");
    install
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "chromium"]);
    cmd::run(install).context("cannot install Chromium")?;
    let path = testkit::browser::chromium()
        .ok_or_else(|| anyhow!("apt-get installed chromium, but none of {names} is on PATH"))?;
    eprintln!("browser: {}", path.display());
    Ok(())
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
        // Phase 7 runs without the JSON store: the orchestrator's own tests
        // and binary build without storage-json, and `phase7_pg_only` runs a
        // cycle with that binary on PostgreSQL alone (SPEC §6).
        let mut bare = cmd::cargo();
        bare.env("DATABASE_URL", url).args([
            "test",
            "-p",
            "orchestrator",
            "--no-default-features",
            "--lib",
            "--bins",
            "--test",
            "phase7_pg_only",
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
