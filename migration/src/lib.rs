//! Prescient's PostgreSQL schema as sea-orm-migration migrations, each with a
//! real `down` (SPEC §5).
//!
//! Owns: the tables of the plan's "Detailed Database Schema" (eleven tables
//! plus `data_set_versions`, `trade_counts`, `price_history`,
//! `price_history_markets` and `portfolio_versions`), their columns, keys
//! and indexes, the `system_metadata` seed rows, and the comments that say
//! where and why the schema deviates from the plan.
//!
//! Must not: contain business logic, know about domain types, or be edited
//! in place once released — a schema change is a new migration file.
//!
//! Start with [`Migrator`] (the migrations in order), then `columns.rs` for the
//! deviations that apply to every table (`TIMESTAMPTZ`, `portfolio_id`,
//! `extra`), and `m20261201_000001_exact_legacy_values` for the widened
//! money, price, shares and confidence columns (legacy values kept exactly),
//! and `m20261222_000001_portfolios_and_strategies` for several portfolios'
//! signals and archives, each record's strategy and settled trades. Run it
//! with `cargo run -p migration -- up|down|status|fresh`
//! against `DATABASE_URL` (or `-u URL`, or the plan's `POSTGRES_*` variables).

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20251027_000001_create_portfolio;
mod m20251027_000002_create_trades;
mod m20251027_000003_create_trading_signals;
mod m20251027_000004_create_history;
mod m20251027_000005_create_markets;
mod m20251027_000006_create_system_metadata;
mod m20251027_000007_create_outbox;
mod m20261201_000001_exact_legacy_values;
mod m20261201_000002_data_set_versions;
mod m20261215_000001_trade_reads;
mod m20261220_000001_price_history;
mod m20261222_000001_portfolios_and_strategies;
mod m20261223_000001_price_history_markets;
mod m20261224_000001_portfolio_versions;

pub use columns::DEFAULT_PORTFOLIO;
pub use m20251027_000006_create_system_metadata::SEED as METADATA_SEED;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20251027_000001_create_portfolio::Migration),
            Box::new(m20251027_000002_create_trades::Migration),
            Box::new(m20251027_000003_create_trading_signals::Migration),
            Box::new(m20251027_000004_create_history::Migration),
            Box::new(m20251027_000005_create_markets::Migration),
            Box::new(m20251027_000006_create_system_metadata::Migration),
            Box::new(m20251027_000007_create_outbox::Migration),
            Box::new(m20261201_000001_exact_legacy_values::Migration),
            Box::new(m20261201_000002_data_set_versions::Migration),
            Box::new(m20261215_000001_trade_reads::Migration),
            Box::new(m20261220_000001_price_history::Migration),
            Box::new(m20261222_000001_portfolios_and_strategies::Migration),
            Box::new(m20261223_000001_price_history_markets::Migration),
            Box::new(m20261224_000001_portfolio_versions::Migration),
        ]
    }
}

/// The connection URL the plan's `POSTGRES_HOST/PORT/DB/USER/PASSWORD`
/// variables describe, or `None` when `POSTGRES_HOST` is not set. `get`
/// answers a variable's value (the environment, a `.env` map…).
pub fn url_from_postgres_vars(get: impl Fn(&str) -> Option<String>) -> Option<String> {
    let host = get("POSTGRES_HOST").filter(|h| !h.is_empty())?;
    let port = get("POSTGRES_PORT")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "5432".into());
    let db = get("POSTGRES_DB")
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "prescient_os".into());
    let user = get("POSTGRES_USER")
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres".into());
    let auth = match get("POSTGRES_PASSWORD").filter(|p| !p.is_empty()) {
        Some(password) => format!("{}:{}", encode(&user), encode(&password)),
        None => encode(&user),
    };
    Some(format!("postgres://{auth}@{host}:{port}/{}", encode(&db)))
}

/// Percent-encode everything but unreserved characters (RFC 3986), so a
/// password with `@` or `/` survives in a URL.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_vars_make_a_url() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(url_from_postgres_vars(vars(&[])), None);
        assert_eq!(
            url_from_postgres_vars(vars(&[
                ("POSTGRES_HOST", "db"),
                ("POSTGRES_PORT", "6543"),
                ("POSTGRES_DB", "prescient_os"),
                ("POSTGRES_USER", "prescient_user"),
                ("POSTGRES_PASSWORD", "p@ss/word"),
            ])),
            Some("postgres://prescient_user:p%40ss%2Fword@db:6543/prescient_os".into())
        );
    }

    #[test]
    fn migrations_are_in_name_order() {
        let names: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }
}
