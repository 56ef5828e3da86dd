//! Exact legacy values (SPEC §3): widen every column that holds a price, an
//! amount, P&L, shares or a confidence, so a value read from a legacy file
//! reads back from PostgreSQL digit for digit.
//!
//! Why: the original system stored floats (`"entry_price":
//! 0.9999989889179475`); the plan's `DECIMAL(10, 6)` rounded them to
//! `0.999999` on backfill, and `DECIMAL(15, 2)` rounded amounts and P&L to
//! cents. A migration must not change the user's records. Values Prescient
//! computes stay at their usual precision (2 dp money, 6 dp prices and
//! shares, 4 dp confidence); only the columns' room grows.
//!
//! Deviation from the plan's column types, and the rule behind the new ones:
//! the integer digits stay what the plan allowed, the scale becomes 28,
//! which is every fractional digit a `rust_decimal::Decimal` can carry — so
//! any value the domain accepts (`domain::validate`) fits exactly, and
//! nothing the domain refuses does:
//! - money (plan `DECIMAL(15, 2)`: 13 integer digits) → `NUMERIC(41, 28)`;
//! - prices and conviction (plan `DECIMAL(10, 6)`; prices are in [0, 1]) →
//!   `NUMERIC(29, 28)`;
//! - shares (`DECIMAL(20, 6)`: 14 integer digits) → `NUMERIC(42, 28)`;
//! - confidence (plan `DECIMAL(5, 4)`: 1 integer digit) → `NUMERIC(29, 28)`.
//!
//! PostgreSQL stores a `numeric` by its significant digits, so the wider
//! scale costs no space for `100` or `0.86`; reads come back with the
//! column's scale and are normalized (`storage-pg`'s `convert`).
//!
//! Not widened: the typed copies of Gamma numbers on `events` and `markets`
//! (`liquidity`, `volume`, `volume24hr`, `yes_price`, `no_price`,
//! `market_conviction`): the stores read those records from the JSONB
//! payload, which keeps the exact values; the columns are for queries.
//!
//! `down` narrows the columns back to the plan's types. PostgreSQL rounds
//! on the way (half away from zero), so rolling back loses the digits this
//! migration made room for — the reason it exists.
//!
//! Data written before this migration was already rounded; `verify` reports
//! those rows as differing from the JSON files and `verify --repair` copies
//! them again (RUNBOOK, "When verify fails").

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A column's type before (the plan's) and after this migration.
#[derive(Clone, Copy)]
enum Kind {
    Money,
    Price,
    Shares,
    Confidence,
}

impl Kind {
    fn wide(self) -> &'static str {
        match self {
            Kind::Money => "NUMERIC(41, 28)",
            Kind::Price | Kind::Confidence => "NUMERIC(29, 28)",
            Kind::Shares => "NUMERIC(42, 28)",
        }
    }

    fn plan(self) -> &'static str {
        match self {
            Kind::Money => "NUMERIC(15, 2)",
            Kind::Price => "NUMERIC(10, 6)",
            Kind::Shares => "NUMERIC(20, 6)",
            Kind::Confidence => "NUMERIC(5, 4)",
        }
    }
}

/// Every widened column, table by table.
const COLUMNS: &[(&str, &[(&str, Kind)])] = &[
    (
        "portfolio_state",
        &[
            ("initial_balance", Kind::Money),
            ("balance", Kind::Money),
            ("total_invested", Kind::Money),
            ("total_profit_loss", Kind::Money),
        ],
    ),
    (
        "portfolio_positions",
        &[
            ("amount", Kind::Money),
            ("entry_price", Kind::Price),
            ("shares", Kind::Shares),
            ("current_price", Kind::Price),
            ("current_pnl", Kind::Money),
            ("realized_pnl", Kind::Money),
            ("exit_price", Kind::Price),
        ],
    ),
    (
        "portfolio_snapshots",
        &[
            ("balance", Kind::Money),
            ("total_invested", Kind::Money),
            ("total_profit_loss", Kind::Money),
        ],
    ),
    (
        "trades",
        &[
            ("amount", Kind::Money),
            ("entry_price", Kind::Price),
            ("shares", Kind::Shares),
            ("confidence", Kind::Confidence),
            ("current_pnl", Kind::Money),
            ("realized_pnl", Kind::Money),
        ],
    ),
    (
        "trading_signals",
        &[
            ("target_price", Kind::Price),
            ("amount", Kind::Money),
            ("confidence", Kind::Confidence),
            ("yes_price", Kind::Price),
            ("no_price", Kind::Price),
            ("market_liquidity", Kind::Money),
            ("market_volume", Kind::Money),
        ],
    ),
    (
        "portfolio_history",
        &[
            ("balance", Kind::Money),
            ("total_invested", Kind::Money),
            ("total_profit_loss", Kind::Money),
            ("total_value", Kind::Money),
        ],
    ),
    (
        "market_snapshots",
        &[
            ("yes_price", Kind::Price),
            ("no_price", Kind::Price),
            ("liquidity", Kind::Money),
            ("volume", Kind::Money),
            ("volume24hr", Kind::Money),
            ("market_conviction", Kind::Price),
        ],
    ),
];

/// One `ALTER TABLE` per table, every column in it (one rewrite per table).
fn alter(type_of: impl Fn(Kind) -> &'static str) -> Vec<String> {
    COLUMNS
        .iter()
        .map(|(table, columns)| {
            let changes: Vec<String> = columns
                .iter()
                .map(|(column, kind)| format!("ALTER COLUMN \"{column}\" TYPE {}", type_of(*kind)))
                .collect();
            format!("ALTER TABLE \"{table}\" {}", changes.join(", "))
        })
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in alter(Kind::wide) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in alter(Kind::plan) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}
