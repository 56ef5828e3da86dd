//! `TradeStore`: the append-only `trades` table.

use super::{BATCH_ROWS, begin, commit};
use crate::PgStore;
use crate::convert::trade;
use crate::entities::trades;
use crate::error::db_err;
use async_trait::async_trait;
use domain::ports::TradeStore;
use domain::{MarketId, PortfolioId, StoreError, Trade};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Insert `trades` in batches, skipping stored `trade_id`s; returns how many
/// rows were inserted. Runs on the caller's transaction.
pub(crate) async fn insert_trades<C: ConnectionTrait>(
    conn: &C,
    all: &[Trade],
) -> Result<u64, StoreError> {
    let mut inserted = 0;
    for chunk in all.chunks(BATCH_ROWS) {
        let rows: Vec<_> = chunk.iter().map(trade::to_row).collect();
        let result = trades::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([trades::Column::TradeId])
            .exec_without_returning(conn)
            .await
            .map_err(|e| db_err("inserting trades", e))?;
        if let sea_orm::TryInsertResult::Inserted(n) = result {
            inserted += n;
        }
    }
    Ok(inserted)
}

/// Move signal links that waited for their trade (`pending_trade_id`) onto
/// the foreign key now that the trade is stored.
pub(crate) async fn promote_pending_links<C: ConnectionTrait>(conn: &C) -> Result<(), StoreError> {
    conn.execute_unprepared(
        "UPDATE trading_signals AS s \
         SET trade_id = s.pending_trade_id, pending_trade_id = NULL \
         WHERE s.pending_trade_id IS NOT NULL \
           AND EXISTS (SELECT 1 FROM trades t WHERE t.trade_id = s.pending_trade_id)",
    )
    .await
    .map_err(|e| db_err("linking signals to their trades", e))?;
    Ok(())
}

impl PgStore {
    /// Backfill: insert `trades` in batches of [`super::BATCH_ROWS`] in one
    /// transaction, skipping `trade_id`s already stored. Returns the number
    /// of rows inserted (0 on a replay).
    pub async fn bulk_insert_trades(&self, all: &[Trade]) -> Result<u64, StoreError> {
        let what = "bulk_insert_trades";
        let txn = begin(&self.db, what).await?;
        let inserted = insert_trades(&txn, all).await?;
        promote_pending_links(&txn).await?;
        commit(txn, what).await?;
        Ok(inserted)
    }

    async fn query_trades(
        &self,
        portfolio: &PortfolioId,
        market: Option<&MarketId>,
        newest_first_limit: Option<u64>,
    ) -> Result<Vec<Trade>, StoreError> {
        let mut query =
            trades::Entity::find().filter(trades::Column::PortfolioId.eq(portfolio.as_str()));
        if let Some(m) = market {
            query = query.filter(trades::Column::MarketId.eq(m.as_str()));
        }
        // Append order is `id` order (the JSON file's order).
        query = match newest_first_limit {
            Some(limit) => query.order_by_desc(trades::Column::Id).limit(limit),
            None => query.order_by_asc(trades::Column::Id),
        };
        query
            .all(&self.db)
            .await
            .map_err(|e| db_err("loading trades", e))?
            .into_iter()
            .map(trade::from_row)
            .collect()
    }
}

#[async_trait]
impl TradeStore for PgStore {
    async fn append_trade(&self, t: &Trade) -> Result<(), StoreError> {
        let what = "append_trade";
        let txn = begin(&self.db, what).await?;
        insert_trades(&txn, std::slice::from_ref(t)).await?;
        promote_pending_links(&txn).await?;
        commit(txn, what).await
    }

    async fn load_trades(&self, portfolio: &PortfolioId) -> Result<Vec<Trade>, StoreError> {
        self.query_trades(portfolio, None, None).await
    }

    async fn trades_for_market(
        &self,
        portfolio: &PortfolioId,
        market: &MarketId,
    ) -> Result<Vec<Trade>, StoreError> {
        self.query_trades(portfolio, Some(market), None).await
    }

    async fn recent_trades(
        &self,
        portfolio: &PortfolioId,
        limit: usize,
    ) -> Result<Vec<Trade>, StoreError> {
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        self.query_trades(portfolio, None, Some(limit)).await
    }
}
