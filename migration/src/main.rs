//! `cargo run -p migration -- up|down|status|fresh|refresh|reset` —
//! sea-orm-migration's command line.
//!
//! The database is `-u URL`, else `DATABASE_URL` (also read from `.env`), else
//! the URL the plan's `POSTGRES_HOST/PORT/DB/USER/PASSWORD` describe.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectOptions, Database};

#[tokio::main]
async fn main() {
    dotenvy::dotenv().ok();
    let url_given = std::env::var_os("DATABASE_URL").is_some()
        || std::env::args().any(|a| a == "-u" || a.starts_with("--database-url"));
    if url_given {
        cli::run_cli(migration::Migrator).await;
        return;
    }
    let Some(url) = migration::url_from_postgres_vars(|k| std::env::var(k).ok()) else {
        eprintln!(
            "error: no database: pass -u URL, or set DATABASE_URL or the POSTGRES_HOST/PORT/DB/USER/PASSWORD variables"
        );
        std::process::exit(2);
    };
    cli::run_cli_with_custom_connection(migration::Migrator, async move || {
        Database::connect(ConnectOptions::new(url)).await
    })
    .await;
}
