//! Price history of outcome tokens (`price_history`, migration
//! `m20261220_000001_price_history`) and its read together with the
//! history recorded cycles left in `market_snapshots`.
//!
//! A PostgreSQL-only API, not a port of `domain::ports`: the history is
//! fetched into the database and read from it by backtests (issue #16), and
//! no other store holds it. So it is not routed by the migration phase, and
//! the JSON store has no counterpart.
//!
//! - [`PgStore::insert_price_points`]: one token's points, idempotent (`ON
//!   CONFLICT DO NOTHING` on `(token_id, t)`), in one transaction, so a
//!   token's stored points always cover one unbroken span of fetches;
//! - [`PgStore::stored_span`]: its first and last stored instants, where a
//!   fetch resumes;
//! - [`PgStore::price_history`]: the points of some markets in a time range,
//!   streamed row by row in time order (never loaded whole: a backtest reads
//!   millions), CLOB points and cycle snapshots alike;
//! - [`PgStore::history_markets`]: which markets have points in a time
//!   range, with their first instant there and their last of all (what a
//!   backtest replays, and whether each market's history ends inside it).

use crate::PgStore;
use crate::convert::{RowCtx, instant};
use crate::error::sqlx_err;
use chrono::{DateTime, Utc};
use domain::{
    HistoryPoint, MarketId, Outcome, PricePoint, PriceSource, StoreError, TokenId, Validate,
};
use futures_util::stream::{BoxStream, StreamExt};
use rust_decimal::Decimal;
use sea_orm::sqlx;
use sea_orm::sqlx::postgres::PgRow;

const TABLE: &str = "price_history";

/// Points per `INSERT` (bound as two arrays, so no parameter limit applies;
/// this only bounds one statement's size).
const INSERT_ROWS: usize = 10_000;

const INSERT: &str = "INSERT INTO price_history (token_id, t, market_id, outcome, price) \
     SELECT $1, u.t, $2, $3, u.price FROM UNNEST($4::timestamptz[], $5::numeric[]) AS u(t, price) \
     ON CONFLICT (token_id, t) DO NOTHING";

const SPAN: &str = "SELECT min(t), max(t) FROM price_history WHERE token_id = $1";

/// CLOB points and, as `cycle` points, the prices of the cycles' market
/// snapshots (`domain::MarketSnapshot::price_points` in SQL), ordered as
/// `HistoryPoint::order_key` orders them (byte order: `COLLATE "C"`).
const READ: &str = r#"
SELECT market_id::text, outcome::text, t, price, source::text FROM (
    SELECT market_id, outcome, t, price, source FROM price_history
     WHERE market_id = ANY($1) AND t >= $2 AND t <= $3
    UNION ALL
    SELECT market_id, 'yes', "timestamp", yes_price, 'cycle' FROM market_snapshots
     WHERE market_id = ANY($1) AND "timestamp" >= $2 AND "timestamp" <= $3 AND yes_price IS NOT NULL
    UNION ALL
    SELECT market_id, 'no', "timestamp", no_price, 'cycle' FROM market_snapshots
     WHERE market_id = ANY($1) AND "timestamp" >= $2 AND "timestamp" <= $3 AND no_price IS NOT NULL
) AS points
ORDER BY t, market_id COLLATE "C", outcome COLLATE "C", source COLLATE "C"
"#;

/// Every market with a point (CLOB or cycle snapshot, as [`READ`] reads
/// them) from `$1` to `$2`, among `$3` when it is not null, with its first
/// point from `$1` on and its last point of all (which may be after `$2`);
/// by market id in byte order.
const MARKETS: &str = r#"
SELECT market_id::text, min(t), max(t) FROM (
    SELECT market_id, t FROM price_history
     WHERE t >= $1 AND ($3::text[] IS NULL OR market_id = ANY($3))
    UNION ALL
    SELECT market_id, "timestamp" FROM market_snapshots
     WHERE "timestamp" >= $1 AND ($3::text[] IS NULL OR market_id = ANY($3))
       AND (yes_price IS NOT NULL OR no_price IS NOT NULL)
) AS points
GROUP BY market_id
HAVING min(t) <= $2
ORDER BY market_id COLLATE "C"
"#;

/// A market that has history in a range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketHistorySpan {
    pub market_id: MarketId,
    /// Its first point in the range.
    pub first: DateTime<Utc>,
    /// Its last point of all, after the range when its history goes on
    /// (so a reader knows whether the history ends inside the range).
    pub last: DateTime<Utc>,
}

/// The first and last instants of a token's stored CLOB points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredSpan {
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

impl PgStore {
    /// Store `points` of `token`, the `outcome` token of `market`, skipping
    /// instants already stored for it; returns how many rows were added (0
    /// when every point was stored already). All or nothing: one
    /// transaction.
    pub async fn insert_price_points(
        &self,
        market: &MarketId,
        outcome: Outcome,
        token: &TokenId,
        points: &[PricePoint],
    ) -> Result<u64, StoreError> {
        let key = || format!("{token} of market {market}");
        domain::validate::id("market_id", market.as_str())
            .map_err(|e| crate::error::invalid_row(TABLE, key(), e.to_string()))?;
        for p in points {
            p.validate().map_err(|e| {
                crate::error::invalid_row(TABLE, format!("{}@{}", key(), p.t), e.to_string())
            })?;
        }
        if points.is_empty() {
            return Ok(0);
        }
        let what = "insert_price_points";
        let pool = self.db.get_postgres_connection_pool();
        let mut tx = pool
            .begin()
            .await
            .map_err(|e| sqlx_err(format!("{what}: cannot begin a transaction"), e))?;
        let mut inserted = 0;
        for chunk in points.chunks(INSERT_ROWS) {
            let ts: Vec<DateTime<Utc>> = chunk.iter().map(|p| instant(p.t)).collect();
            let prices: Vec<Decimal> = chunk.iter().map(|p| p.p.value()).collect();
            inserted += sqlx::query(INSERT)
                .bind(token.as_str())
                .bind(market.as_str())
                .bind(outcome.as_str())
                .bind(ts)
                .bind(prices)
                .execute(&mut *tx)
                .await
                .map_err(|e| sqlx_err(what, e))?
                .rows_affected();
        }
        tx.commit()
            .await
            .map_err(|e| sqlx_err(format!("{what}: commit failed"), e))?;
        Ok(inserted)
    }

    /// The first and last instants stored for `token`; `None` when nothing
    /// is (answered off the primary key).
    pub async fn stored_span(&self, token: &TokenId) -> Result<Option<StoredSpan>, StoreError> {
        let pool = self.db.get_postgres_connection_pool();
        let (first, last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = sqlx::query_as(SPAN)
            .bind(token.as_str())
            .fetch_one(pool)
            .await
            .map_err(|e| sqlx_err("stored_span", e))?;
        Ok(first
            .zip(last)
            .map(|(first, last)| StoredSpan { first, last }))
    }

    /// The markets with a point from `from` to `to` (both inclusive), CLOB
    /// or cycle snapshot alike, each with its first instant in that range
    /// and its last instant of all (possibly after `to`); only those of
    /// `among` when given. By market id (byte order).
    pub async fn history_markets(
        &self,
        among: Option<&[MarketId]>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<MarketHistorySpan>, StoreError> {
        let ids: Option<Vec<String>> =
            among.map(|ms| ms.iter().map(|m| m.as_str().to_owned()).collect());
        let pool = self.db.get_postgres_connection_pool();
        let rows: Vec<(String, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(MARKETS)
            .bind(from)
            .bind(to)
            .bind(ids)
            .fetch_all(pool)
            .await
            .map_err(|e| sqlx_err("history_markets", e))?;
        Ok(rows
            .into_iter()
            .map(|(market_id, first, last)| MarketHistorySpan {
                market_id: MarketId::new(market_id),
                first,
                last,
            })
            .collect())
    }

    /// Every point of `markets` from `from` to `to` (both inclusive): the
    /// CLOB's and, as [`PriceSource::Cycle`], the yes and no prices of the
    /// cycles' market snapshots. In time order, then by market, outcome and
    /// source ([`HistoryPoint::order_key`]); streamed as PostgreSQL sends
    /// the rows, holding one connection until the stream ends or is dropped.
    pub fn price_history<'a>(
        &'a self,
        markets: &[MarketId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> BoxStream<'a, Result<HistoryPoint, StoreError>> {
        let ids: Vec<String> = markets.iter().map(|m| m.as_str().to_owned()).collect();
        let pool = self.db.get_postgres_connection_pool();
        sqlx::query(READ)
            .bind(ids)
            .bind(from)
            .bind(to)
            .fetch(pool)
            .map(|row| match row {
                Ok(row) => point_from_row(&row),
                Err(e) => Err(sqlx_err("reading price history", e)),
            })
            .boxed()
    }
}

/// A row of [`READ`] as a [`HistoryPoint`].
fn point_from_row(row: &PgRow) -> Result<HistoryPoint, StoreError> {
    let unknown = RowCtx {
        table: TABLE,
        key: "?",
    };
    let market_id: String = unknown.get(row, 0, "market_id")?;
    let t: DateTime<Utc> = unknown.get(row, 2, "t")?;
    let key = format!("{market_id}@{}", t.to_rfc3339());
    let ctx = RowCtx {
        table: TABLE,
        key: &key,
    };
    let outcome: String = ctx.get(row, 1, "outcome")?;
    let source: String = ctx.get(row, 4, "source")?;
    ctx.validate(HistoryPoint {
        outcome: Outcome::parse(&outcome)
            .ok_or_else(|| ctx.invalid(format!("outcome {outcome:?} is not yes or no")))?,
        price: ctx.price("price", ctx.get(row, 3, "price")?)?,
        source: PriceSource::parse(&source)
            .ok_or_else(|| ctx.invalid(format!("source {source:?} is not clob or cycle")))?,
        market_id: MarketId::new(market_id),
        t,
    })
}
