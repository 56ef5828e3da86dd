//! `PortfolioStore`: `portfolio_state`, `portfolio_positions`, `portfolio_snapshots`.

use super::{BATCH_ROWS, begin, commit};
use crate::PgStore;
use crate::convert::{portfolio, portfolio_snapshot, position};
use crate::entities::{
    portfolio_positions as positions, portfolio_snapshots as snapshots, portfolio_state as state,
};
use crate::error::db_err;
use async_trait::async_trait;
use domain::ports::PortfolioStore;
use domain::{Portfolio, PortfolioId, PortfolioSnapshot, StoreError};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

/// Upsert the portfolio's state row and its positions (by `trade_id`), and
/// delete the positions it no longer has. Runs on the caller's transaction.
pub(crate) async fn write_portfolio<C: ConnectionTrait>(
    conn: &C,
    p: &Portfolio,
) -> Result<(), StoreError> {
    let what = format!("saving portfolio {}", p.id);
    crate::convert::checked(portfolio::TABLE, || p.id.to_string(), p)?;
    state::Entity::insert(portfolio::to_row(p)?)
        .on_conflict(
            OnConflict::column(state::Column::PortfolioId)
                .update_columns([
                    state::Column::InitialBalance,
                    state::Column::Balance,
                    state::Column::TotalInvested,
                    state::Column::TotalProfitLoss,
                    state::Column::TradeCount,
                    state::Column::CreatedAt,
                    state::Column::LastUpdated,
                    state::Column::LastPriceUpdate,
                    state::Column::Extra,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await
        .map_err(|e| db_err(&what, e))?;

    let kept: Vec<String> = p.positions.iter().map(|x| x.trade_id.to_string()).collect();
    let mut delete =
        positions::Entity::delete_many().filter(positions::Column::PortfolioId.eq(p.id.as_str()));
    if !kept.is_empty() {
        delete = delete.filter(positions::Column::TradeId.is_not_in(kept));
    }
    delete.exec(conn).await.map_err(|e| db_err(&what, e))?;

    let rows: Vec<_> = p
        .positions
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let ordinal = i32::try_from(i).map_err(|_| StoreError::InvalidRecord {
                location: "postgres table portfolio_positions".into(),
                key: p.id.to_string(),
                message: "more positions than fit INTEGER".into(),
            })?;
            Ok(position::to_row(&p.id, ordinal, x))
        })
        .collect::<Result<_, StoreError>>()?;
    for chunk in rows.chunks(BATCH_ROWS) {
        positions::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(positions::Column::TradeId)
                    .update_columns([
                        positions::Column::PortfolioId,
                        positions::Column::Ordinal,
                        positions::Column::MarketId,
                        positions::Column::MarketQuestion,
                        positions::Column::Action,
                        positions::Column::Outcome,
                        positions::Column::Amount,
                        positions::Column::EntryPrice,
                        positions::Column::Shares,
                        positions::Column::EntryTimestamp,
                        positions::Column::Status,
                        positions::Column::CurrentPrice,
                        positions::Column::CurrentPnl,
                        positions::Column::RealizedPnl,
                        positions::Column::ExitPrice,
                        positions::Column::ExitTimestamp,
                        positions::Column::Extra,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await
            .map_err(|e| db_err(&what, e))?;
    }
    Ok(())
}

#[async_trait]
impl PortfolioStore for PgStore {
    async fn load_portfolio(&self, id: &PortfolioId) -> Result<Option<Portfolio>, StoreError> {
        let what = format!("loading portfolio {id}");
        let Some(row) = state::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await
            .map_err(|e| db_err(&what, e))?
        else {
            return Ok(None);
        };
        let rows = positions::Entity::find()
            .filter(positions::Column::PortfolioId.eq(id.as_str()))
            .order_by_asc(positions::Column::Ordinal)
            .all(&self.db)
            .await
            .map_err(|e| db_err(&what, e))?;
        let positions = rows
            .into_iter()
            .map(position::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        portfolio::from_row(row, positions).map(Some)
    }

    async fn save_portfolio(&self, portfolio: &Portfolio) -> Result<(), StoreError> {
        let what = "save_portfolio";
        let txn = begin(&self.db, what).await?;
        write_portfolio(&txn, portfolio).await?;
        commit(txn, what).await
    }

    async fn append_portfolio_snapshot(
        &self,
        snapshot: &PortfolioSnapshot,
    ) -> Result<(), StoreError> {
        crate::convert::checked(
            "portfolio_snapshots",
            || snapshot.timestamp.to_rfc3339(),
            snapshot,
        )?;
        snapshots::Entity::insert(portfolio_snapshot::to_row(snapshot)?)
            .on_conflict_do_nothing_on([
                snapshots::Column::PortfolioId,
                snapshots::Column::Timestamp,
            ])
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| db_err("appending a portfolio snapshot", e))?;
        Ok(())
    }

    async fn load_portfolio_snapshots(
        &self,
        id: &PortfolioId,
    ) -> Result<Vec<PortfolioSnapshot>, StoreError> {
        snapshots::Entity::find()
            .filter(snapshots::Column::PortfolioId.eq(id.as_str()))
            .order_by_asc(snapshots::Column::Id)
            .all(&self.db)
            .await
            .map_err(|e| db_err("loading portfolio snapshots", e))?
            .into_iter()
            .map(portfolio_snapshot::from_row)
            .collect()
    }
}
