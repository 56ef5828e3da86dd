//! Rows ↔ domain types, one module per table (STYLE 4). Rows never leave the
//! crate: ports take and return domain types only.
//!
//! Read-back rules (domain::ports contract "a value reads back exactly"):
//! - decimals come back from `NUMERIC(p, s)` with the column's scale
//!   (`100.00`); they are normalized (`100`) so they print like the value
//!   that was written, and domain types compare by value anyway;
//! - instants are written truncated to microseconds (PostgreSQL's
//!   precision; the JSON store writes microseconds too), so what is read is
//!   what a second store would read;
//! - `extra` maps are JSONB objects;
//! - values keep every digit (the columns are wide enough, migration
//!   `m20261201_000001_exact_legacy_values`): a legacy price such as
//!   `0.9999989889179475` reads back as written;
//! - every record is checked whole when it is read ([`RowCtx::validate`]) and
//!   before it is written ([`checked`]), against the same rules as the JSON
//!   store (`domain::validate`), so a row that breaks one is an error naming
//!   table and key, and a value PostgreSQL cannot take is refused before the
//!   statement is sent.

pub(crate) mod archive;
pub(crate) mod event;
pub(crate) mod history;
pub(crate) mod market;
pub(crate) mod market_snapshot;
pub(crate) mod portfolio;
pub(crate) mod portfolio_snapshot;
pub(crate) mod position;
pub(crate) mod signal;
pub(crate) mod trade;

use crate::error::invalid_row;
use chrono::{DateTime, SubsecRound, Utc};
use domain::money::{USD_DP, round_dp};
use domain::{Action, Extra, PositionStatus, Price, Shares, StoreError, Usd, Validate};
use rust_decimal::Decimal;
use sea_orm::sqlx::Row;
use sea_orm::sqlx::postgres::{PgRow, Postgres};
use serde_json::Value;

/// Where a row came from, for errors that name it.
#[derive(Clone, Copy)]
pub(crate) struct RowCtx<'a> {
    pub table: &'static str,
    pub key: &'a str,
}

impl RowCtx<'_> {
    pub fn invalid(&self, message: impl Into<String>) -> StoreError {
        invalid_row(self.table, self.key, message)
    }

    pub fn price(&self, column: &str, value: Decimal) -> Result<Price, StoreError> {
        Price::exact(value.normalize()).map_err(|e| self.invalid(format!("{column}: {e}")))
    }

    /// The record read from this row, checked whole.
    pub fn validate<T: Validate>(&self, record: T) -> Result<T, StoreError> {
        record.validate().map_err(|e| self.invalid(e.to_string()))?;
        Ok(record)
    }

    pub fn opt_price(
        &self,
        column: &str,
        value: Option<Decimal>,
    ) -> Result<Option<Price>, StoreError> {
        value.map(|v| self.price(column, v)).transpose()
    }

    pub fn action(&self, value: &str) -> Result<Action, StoreError> {
        value
            .parse()
            .map_err(|e| self.invalid(format!("action: {e}")))
    }

    pub fn status(&self, value: &str) -> Result<PositionStatus, StoreError> {
        PositionStatus::parse(value)
            .ok_or_else(|| self.invalid(format!("status {value:?} is not open or closed")))
    }

    pub fn extra(&self, value: Value) -> Result<Extra, StoreError> {
        match value {
            Value::Object(map) => Ok(map),
            other => Err(self.invalid(format!("extra is not a JSON object: {other}"))),
        }
    }

    pub fn count(&self, column: &str, value: i32) -> Result<u64, StoreError> {
        u64::try_from(value).map_err(|_| self.invalid(format!("{column} {value} is negative")))
    }

    /// Column `i` (`name`) of a row read through sqlx, decoded as `T`; a
    /// value that does not decode is an error naming table, key and column.
    pub fn get<'r, T>(&self, row: &'r PgRow, i: usize, name: &str) -> Result<T, StoreError>
    where
        T: sea_orm::sqlx::Decode<'r, Postgres> + sea_orm::sqlx::Type<Postgres>,
    {
        row.try_get::<T, _>(i)
            .map_err(|e| invalid_row_of(self.table, self.key, name, e))
    }
}

/// A column of a row read through sqlx that does not decode into its type.
pub(crate) fn invalid_row_of(
    table: &'static str,
    key: &str,
    column: &str,
    e: sea_orm::sqlx::Error,
) -> StoreError {
    invalid_row(table, key, format!("{column}: {e}"))
}

/// An instant as stored: UTC, truncated to microseconds.
pub(crate) fn instant(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

pub(crate) fn opt_instant(t: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    t.map(instant)
}

/// A decimal as read: without the column's trailing zeros.
pub(crate) fn num(d: Decimal) -> Decimal {
    d.normalize()
}

/// An amount as stored, every digit kept. (A value beyond the money limit
/// cannot be in the column; if it were, the record's check refuses it.)
pub(crate) fn usd(d: Decimal) -> Usd {
    let d = d.normalize();
    Usd::exact(d).unwrap_or_else(|_| Usd::new(d))
}

/// Shares as stored, every digit kept (checked with the record).
pub(crate) fn shares(d: Decimal) -> Shares {
    let d = d.normalize();
    Shares::exact(d).unwrap_or_else(|_| Shares::new(d))
}

/// Refuse to write a record that breaks a rule or that PostgreSQL could not
/// hold: nothing is sent.
pub(crate) fn checked<T: Validate>(
    table: &'static str,
    key: impl FnOnce() -> String,
    record: &T,
) -> Result<(), StoreError> {
    record
        .validate()
        .map_err(|e| invalid_row(table, key(), e.to_string()))
}

pub(crate) fn opt_usd(d: Option<Decimal>) -> Option<Usd> {
    d.map(usd)
}

pub(crate) fn json(extra: &Extra) -> Value {
    Value::Object(extra.clone())
}

/// A count that must fit the plan's `INTEGER` columns.
pub(crate) fn int_count(
    table: &'static str,
    key: &str,
    column: &str,
    value: u64,
) -> Result<i32, StoreError> {
    i32::try_from(value)
        .map_err(|_| invalid_row(table, key, format!("{column} {value} does not fit INTEGER")))
}

/// The queryable copy of a Gamma number in a `DECIMAL(15, 2)` column: rounded
/// to cents, or NULL when it does not fit. The exact value stays in the
/// JSONB payload, which is what reads decode.
pub(crate) fn money_copy(d: Option<Decimal>) -> Option<Decimal> {
    let limit = Decimal::from(10_000_000_000_000_i64);
    d.map(|d| round_dp(d, USD_DP)).filter(|d| d.abs() < limit)
}
