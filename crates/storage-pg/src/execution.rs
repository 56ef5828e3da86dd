//! Executing a trade as ONE transaction (SPEC §5): the trade row, the
//! portfolio's state and position rows, and the signal → trade link commit
//! together or not at all. Closing positions likewise: the trade rows'
//! settlements and the portfolio commit together.

use crate::PgStore;
use crate::convert::instant;
use crate::convert::signal::{self, Link};
use crate::entities::trading_signals as signals;
use crate::error::db_err;
use crate::ports::{
    begin, commit, insert_trades, promote_pending_links, settle_trades, write_portfolio,
};
use domain::{Portfolio, Signal, StoreError, Trade, TradeSettlement};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// The steps of [`PgStore::record_executions`], for failpoints (feature `testing`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutionStep {
    /// The trade row is inserted; portfolio and signal are not written yet.
    AfterTrade,
    /// Trade and portfolio are written; the signal is not linked yet.
    AfterPortfolio,
}

impl PgStore {
    /// Record executed trades: insert `trades` (idempotent on `trade_id`),
    /// save `portfolio` (state and positions, as after the last trade), and
    /// link each of `signals` to the trade its `trade_id` names — in one
    /// transaction. Replaying the same call changes nothing.
    #[tracing::instrument(skip_all, fields(trades = trades.len()))]
    pub async fn record_executions(
        &self,
        trades: &[Trade],
        portfolio: &Portfolio,
        signals: &[Signal],
    ) -> Result<(), StoreError> {
        let what = "record_execution";
        let txn = begin(&self.db, what).await?;
        insert_trades(&txn, trades).await?;
        // A signal saved before its trade waits in `pending_trade_id`.
        promote_pending_links(&txn).await?;
        self.failpoint(ExecutionStep::AfterTrade)?;
        write_portfolio(&txn, portfolio).await?;
        self.failpoint(ExecutionStep::AfterPortfolio)?;
        for s in signals {
            let Some(trade) = trades
                .iter()
                .find(|t| s.trade_id.as_ref() == Some(&t.trade_id))
            else {
                return Err(StoreError::InvalidRecord {
                    location: "trading_signals".into(),
                    key: s.market_id.to_string(),
                    message: "the executed signal names no trade of this execution".into(),
                });
            };
            link_signal(&txn, s, trade).await?;
        }
        commit(txn, what).await
    }

    /// Record closed positions: each settlement on its trade row and
    /// `portfolio` (its positions closed) in one transaction. Replaying the
    /// same call changes nothing.
    #[tracing::instrument(skip_all, fields(portfolio = %portfolio.id, settled = settlements.len()))]
    pub async fn record_settlements(
        &self,
        portfolio: &Portfolio,
        settlements: &[TradeSettlement],
    ) -> Result<(), StoreError> {
        let what = "record_settlements";
        let txn = begin(&self.db, what).await?;
        settle_trades(&txn, settlements).await?;
        write_portfolio(&txn, portfolio).await?;
        commit(txn, what).await
    }

    #[cfg(not(feature = "testing"))]
    #[inline]
    fn failpoint(&self, _step: ExecutionStep) -> Result<(), StoreError> {
        Ok(())
    }

    #[cfg(feature = "testing")]
    fn failpoint(&self, step: ExecutionStep) -> Result<(), StoreError> {
        self.failpoints.hit(step)
    }
}

/// Mark the current, unexecuted row of `s` executed by `trade`. When no such
/// row exists (signals are not stored in PostgreSQL yet, or this is a
/// replay), the executed signal is kept as a non-current row so the link is
/// recorded; on a replay the link already exists and nothing changes.
async fn link_signal<C: ConnectionTrait>(
    conn: &C,
    s: &Signal,
    trade: &Trade,
) -> Result<(), StoreError> {
    let what = "linking the signal to its trade";
    let executed_at = instant(s.executed_at.unwrap_or(trade.timestamp));
    let updated = signals::Entity::update_many()
        .col_expr(signals::Column::Executed, Expr::value(true))
        .col_expr(signals::Column::ExecutedAt, Expr::value(executed_at))
        .col_expr(
            signals::Column::TradeId,
            Expr::value(trade.trade_id.to_string()),
        )
        .filter(signals::Column::PortfolioId.eq(s.portfolio_id.as_str()))
        .filter(signals::Column::IsCurrent.eq(true))
        .filter(signals::Column::TradeId.is_null())
        .filter(signals::Column::PendingTradeId.is_null())
        .filter(signals::Column::MarketId.eq(s.market_id.as_str()))
        .filter(signals::Column::Timestamp.eq(instant(s.timestamp)))
        .filter(signals::Column::Action.eq(s.action.as_str()))
        .exec(conn)
        .await
        .map_err(|e| db_err(what, e))?;
    if updated.rows_affected > 0 {
        return Ok(());
    }
    let mut linked = s.clone();
    linked.mark_executed(trade.trade_id.clone(), executed_at);
    signals::Entity::insert(signal::to_row(&linked, 0, false, Link::Trade))
        .on_conflict_do_nothing_on([signals::Column::TradeId])
        .exec_without_returning(conn)
        .await
        .map_err(|e| db_err(what, e))?;
    Ok(())
}
