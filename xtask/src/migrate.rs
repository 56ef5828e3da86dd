//! The migration commands (`phase`, `backfill`, `verify`, `backup`,
//! `restore`, `archive-json`, `outbox`) for developers: a thin alias of
//! `prescient migrate …`, the same parser and library code, so a deployed
//! host needs only the release binary.

use orchestrator::cli::migrate::run_args;
use orchestrator::{Settings, Sources};
use std::process::ExitCode;

/// `cargo xtask NAME ARGS…` = `prescient migrate NAME ARGS…`.
pub fn run(name: &str, args: Vec<String>) -> ExitCode {
    let result = (|| {
        let settings = Settings::load(&Sources::from_process()?)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let all: Vec<String> = std::iter::once(name.to_owned()).chain(args).collect();
        runtime.block_on(run_args(&all, settings))
    })();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", orchestrator::one_line(&e));
            ExitCode::FAILURE
        }
    }
}
