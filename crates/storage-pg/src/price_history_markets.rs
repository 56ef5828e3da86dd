//! The Gamma records of the markets whose price history was fetched
//! (`price_history_markets`, migration
//! `m20261223_000001_price_history_markets`), kept by `prescient history
//! fetch` for backtests: the cycles' `markets` and `events` sets hold only
//! what is active now, so a market that resolved since, or was fetched by id
//! or as a held position, is in neither.
//!
//! A PostgreSQL-only API beside `price_history.rs`, for the same reason:
//! only a backtest reads it, and no other store holds the history.
//!
//! - [`PgStore::save_history_records`]: the records, each replacing the
//!   one stored for its market (the newest Gamma knows wins);
//! - [`PgStore::load_history_records`]: the records of some markets.
//!
//! `market_data` is the Gamma object as received (`Market::raw`, event
//! context included), decoded on the way out like `markets.market_data`.

use crate::PgStore;
use crate::error::{invalid_row, sqlx_err};
use domain::gamma::{decode_market_raw, raw_with_context};
use domain::{Market, MarketId, RawJson, StoreError};
use sea_orm::sqlx;
use std::collections::HashSet;

const TABLE: &str = "price_history_markets";

/// Records per `INSERT` (bound as two arrays; this only bounds one
/// statement's size).
const INSERT_ROWS: usize = 1_000;

const UPSERT: &str = "INSERT INTO price_history_markets (market_id, market_data) \
     SELECT u.id, u.data::jsonb FROM UNNEST($1::text[], $2::text[]) AS u(id, data) \
     ON CONFLICT (market_id) DO UPDATE SET market_data = EXCLUDED.market_data, fetched_at = now()";

const EXISTS: &str = "SELECT to_regclass('price_history_markets') IS NOT NULL";

const READ: &str = "SELECT market_id::text, market_data::text FROM price_history_markets \
     WHERE market_id = ANY($1) ORDER BY market_id COLLATE \"C\"";

impl PgStore {
    /// Store the records of `markets`, each replacing its market's stored
    /// one (a market given twice: the first); all or nothing, in one
    /// transaction.
    pub async fn save_history_records(&self, markets: &[Market]) -> Result<(), StoreError> {
        let mut seen = HashSet::new();
        let mut kept = Vec::with_capacity(markets.len());
        for m in markets {
            crate::convert::checked(TABLE, || m.id.to_string(), m)?;
            if seen.insert(&m.id) {
                kept.push(m);
            }
        }
        if kept.is_empty() {
            return Ok(());
        }
        let what = "save_history_records";
        let pool = self.db.get_postgres_connection_pool();
        let mut tx = pool
            .begin()
            .await
            .map_err(|e| sqlx_err(format!("{what}: cannot begin a transaction"), e))?;
        for chunk in kept.chunks(INSERT_ROWS) {
            let ids: Vec<&str> = chunk.iter().map(|m| m.id.as_str()).collect();
            let records: Vec<RawJson> = chunk.iter().map(|m| raw_with_context(m)).collect();
            let data: Vec<&str> = records.iter().map(RawJson::get).collect();
            sqlx::query(UPSERT)
                .bind(ids)
                .bind(data)
                .execute(&mut *tx)
                .await
                .map_err(|e| sqlx_err(what, e))?;
        }
        tx.commit()
            .await
            .map_err(|e| sqlx_err(format!("{what}: commit failed"), e))
    }

    /// The stored records of `markets` (those that have one), by market id
    /// in byte order. None in a database that predates the table (migrated
    /// by an older Prescient, read by a backtest, which does not migrate).
    pub async fn load_history_records(
        &self,
        markets: &[MarketId],
    ) -> Result<Vec<Market>, StoreError> {
        let ids: Vec<&str> = markets.iter().map(MarketId::as_str).collect();
        let pool = self.db.get_postgres_connection_pool();
        let (exists,): (bool,) = sqlx::query_as(EXISTS)
            .fetch_one(pool)
            .await
            .map_err(|e| sqlx_err("load_history_records", e))?;
        if !exists {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, String)> = sqlx::query_as(READ)
            .bind(ids)
            .fetch_all(pool)
            .await
            .map_err(|e| sqlx_err("load_history_records", e))?;
        rows.into_iter()
            .map(|(id, text)| {
                let raw = RawJson::parse(text)
                    .map_err(|e| invalid_row(TABLE, id.clone(), format!("market_data: {e}")))?;
                decode_market_raw(raw)
                    .map_err(|e| invalid_row(TABLE, id, format!("market_data: {e}")))
            })
            .collect()
    }
}
