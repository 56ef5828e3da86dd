//! `SignalStore`: each portfolio's current set in `trading_signals`.
//!
//! Replacing a portfolio's set, in one transaction (see the migrations for
//! the model), touching no other portfolio's rows:
//! 1. delete its current rows that were never executed (no trade link);
//! 2. clear `is_current` on the rest — executed signals stay, linked to
//!    their trades;
//! 3. insert the new set with `is_current` and its order; a signal linked to
//!    a trade upserts on that link (`trade_id`, or `pending_trade_id` when the
//!    trade is not stored yet), so re-saving an executed signal updates its
//!    row instead of duplicating it.

use super::{BATCH_ROWS, begin, commit};
use crate::PgStore;
use crate::convert::signal::{self, Link};
use crate::entities::{trades, trading_signals as signals};
use crate::error::db_err;
use async_trait::async_trait;
use domain::ports::SignalStore;
use domain::{PortfolioId, Signal, StoreError};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashSet;

/// Every column a re-saved signal updates (all but `id` and `created_at`).
const UPDATED: [signals::Column; 25] = [
    signals::Column::PortfolioId,
    signals::Column::Strategy,
    signals::Column::Timestamp,
    signals::Column::MarketId,
    signals::Column::MarketQuestion,
    signals::Column::Action,
    signals::Column::Outcome,
    signals::Column::TargetPrice,
    signals::Column::Amount,
    signals::Column::Confidence,
    signals::Column::Reason,
    signals::Column::YesPrice,
    signals::Column::NoPrice,
    signals::Column::MarketLiquidity,
    signals::Column::MarketVolume,
    signals::Column::EventId,
    signals::Column::EventTitle,
    signals::Column::EventEndDate,
    signals::Column::Executed,
    signals::Column::ExecutedAt,
    signals::Column::TradeId,
    signals::Column::PendingTradeId,
    signals::Column::IsCurrent,
    signals::Column::Ordinal,
    signals::Column::Extra,
];

/// Which of `ids` are stored in `trades`.
pub(crate) async fn stored_trade_ids<C: ConnectionTrait>(
    conn: &C,
    ids: Vec<String>,
) -> Result<HashSet<String>, StoreError> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(BATCH_ROWS) {
        let rows: Vec<String> = trades::Entity::find()
            .select_only()
            .column(trades::Column::TradeId)
            .filter(trades::Column::TradeId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(conn)
            .await
            .map_err(|e| db_err("looking up signal trades", e))?;
        found.extend(rows);
    }
    Ok(found)
}

/// Insert `rows` (all with the same kind of link) in batches.
async fn insert<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<signals::ActiveModel>,
    link: Link,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(BATCH_ROWS) {
        let insert = signals::Entity::insert_many(chunk.to_vec());
        let insert = match link {
            Link::None => insert,
            Link::Trade => insert.on_conflict(
                OnConflict::column(signals::Column::TradeId)
                    .update_columns(UPDATED)
                    .to_owned(),
            ),
            Link::Pending => insert.on_conflict(
                OnConflict::column(signals::Column::PendingTradeId)
                    .update_columns(UPDATED)
                    .to_owned(),
            ),
        };
        insert
            .exec_without_returning(conn)
            .await
            .map_err(|e| db_err("saving current signals", e))?;
    }
    Ok(())
}

#[async_trait]
impl SignalStore for PgStore {
    async fn replace_current_signals(
        &self,
        portfolio: &PortfolioId,
        all: &[Signal],
    ) -> Result<(), StoreError> {
        domain::ports::check_signal_portfolios("postgres table trading_signals", portfolio, all)?;
        for (i, s) in all.iter().enumerate() {
            crate::convert::checked(
                "trading_signals",
                || format!("[{i}] market {}", s.market_id),
                s,
            )?;
        }
        let what = "replace_current_signals";
        let txn = begin(&self.db, what).await?;
        signals::Entity::delete_many()
            .filter(signals::Column::PortfolioId.eq(portfolio.as_str()))
            .filter(signals::Column::IsCurrent.eq(true))
            .filter(signals::Column::TradeId.is_null())
            .filter(signals::Column::PendingTradeId.is_null())
            .exec(&txn)
            .await
            .map_err(|e| db_err(what, e))?;
        signals::Entity::update_many()
            .col_expr(signals::Column::IsCurrent, Expr::value(false))
            .filter(signals::Column::PortfolioId.eq(portfolio.as_str()))
            .filter(signals::Column::IsCurrent.eq(true))
            .exec(&txn)
            .await
            .map_err(|e| db_err(what, e))?;

        let linked: Vec<String> = all
            .iter()
            .filter_map(|s| s.trade_id.as_ref().map(ToString::to_string))
            .collect();
        let stored = stored_trade_ids(&txn, linked).await?;
        let (mut none, mut trade, mut pending) = (Vec::new(), Vec::new(), Vec::new());
        for (i, s) in all.iter().enumerate() {
            let ordinal = i32::try_from(i).unwrap_or(i32::MAX);
            match &s.trade_id {
                None => none.push(signal::to_row(s, ordinal, true, Link::None)),
                Some(t) if stored.contains(t.as_str()) => {
                    trade.push(signal::to_row(s, ordinal, true, Link::Trade));
                }
                Some(_) => pending.push(signal::to_row(s, ordinal, true, Link::Pending)),
            }
        }
        insert(&txn, none, Link::None).await?;
        insert(&txn, trade, Link::Trade).await?;
        insert(&txn, pending, Link::Pending).await?;
        commit(txn, what).await
    }

    async fn load_current_signals(
        &self,
        portfolio: &PortfolioId,
    ) -> Result<Vec<Signal>, StoreError> {
        signals::Entity::find()
            .filter(signals::Column::PortfolioId.eq(portfolio.as_str()))
            .filter(signals::Column::IsCurrent.eq(true))
            .order_by_asc(signals::Column::Ordinal)
            .all(&self.db)
            .await
            .map_err(|e| db_err("loading current signals", e))?
            .into_iter()
            .map(signal::from_row)
            .collect()
    }
}
