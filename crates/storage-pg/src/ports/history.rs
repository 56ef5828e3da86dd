//! `HistoryStore`: `portfolio_history` and `signal_archives`.

use super::is_month;
use crate::PgStore;
use crate::convert::{archive, history};
use crate::entities::{portfolio_history, signal_archives};
use crate::error::db_err;
use async_trait::async_trait;
use domain::ports::HistoryStore;
use domain::{PortfolioHistoryEntry, PortfolioId, SignalArchive, StoreError};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

#[async_trait]
impl HistoryStore for PgStore {
    async fn append_history_entry(&self, entry: &PortfolioHistoryEntry) -> Result<(), StoreError> {
        crate::convert::checked("portfolio_history", || entry.timestamp.to_rfc3339(), entry)?;
        portfolio_history::Entity::insert(history::to_row(entry)?)
            .on_conflict_do_nothing_on([
                portfolio_history::Column::PortfolioId,
                portfolio_history::Column::Timestamp,
            ])
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| db_err("appending a portfolio history entry", e))?;
        Ok(())
    }

    async fn load_history(
        &self,
        portfolio: &PortfolioId,
    ) -> Result<Vec<PortfolioHistoryEntry>, StoreError> {
        portfolio_history::Entity::find()
            .filter(portfolio_history::Column::PortfolioId.eq(portfolio.as_str()))
            .order_by_asc(portfolio_history::Column::Id)
            .all(&self.db)
            .await
            .map_err(|e| db_err("loading portfolio history", e))?
            .into_iter()
            .map(history::from_row)
            .collect()
    }

    async fn append_signal_archive(&self, entry: &SignalArchive) -> Result<(), StoreError> {
        if !is_month(&entry.month) {
            return Err(StoreError::InvalidRecord {
                location: "postgres table signal_archives".into(),
                key: entry.archived_at.to_rfc3339(),
                message: format!("month {:?} is not YYYY-MM", entry.month),
            });
        }
        crate::convert::checked("signal_archives", || entry.archived_at.to_rfc3339(), entry)?;
        signal_archives::Entity::insert(archive::to_row(entry)?)
            .on_conflict_do_nothing_on([signal_archives::Column::ArchivedAt])
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| db_err("appending a signal archive", e))?;
        Ok(())
    }

    /// Oldest month first, append order within a month (as the JSON files).
    async fn load_signal_archives(
        &self,
        month: Option<&str>,
    ) -> Result<Vec<SignalArchive>, StoreError> {
        let mut query = signal_archives::Entity::find();
        if let Some(m) = month {
            query = query.filter(signal_archives::Column::ArchiveMonth.eq(m));
        }
        query
            .order_by_asc(signal_archives::Column::ArchiveMonth)
            .order_by_asc(signal_archives::Column::Id)
            .all(&self.db)
            .await
            .map_err(|e| db_err("loading signal archives", e))?
            .into_iter()
            .map(archive::from_row)
            .collect()
    }
}
