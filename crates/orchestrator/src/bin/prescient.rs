//! The `prescient` binary: parse arguments and settings, set up logging, run,
//! and on failure print one line naming the cause and exit non-zero.

use clap::Parser;
use orchestrator::cli::{Cli, run};
use orchestrator::{Settings, Sources};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    let settings = match Sources::from_process().and_then(|s| Settings::load(&s)) {
        Ok(s) => s,
        Err(e) => return fail(&anyhow::Error::new(e)),
    };
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.log))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match run(cli, settings).await {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

/// One line: the error and its causes, outermost first, each cause once
/// (many errors already print their source; it is not repeated).
fn fail(error: &anyhow::Error) -> ExitCode {
    eprintln!("error: {}", orchestrator::one_line(error));
    ExitCode::FAILURE
}

/// Rust ignores SIGPIPE, so printing into a closed pipe (`prescient stats
/// | head -1`) would panic with "failed printing to stdout". A command-line
/// tool ends quietly instead, as `cat` does (the `sigpipe` crate restores
/// the default disposition). Sockets are unaffected: the standard library
/// sends with `MSG_NOSIGNAL`.
fn restore_sigpipe() {
    #[cfg(unix)]
    sigpipe::reset();
}
