//! `HistoryStore`: `portfolio_history` and `signal_archives`.

use super::is_month;
use crate::PgStore;
use crate::convert::usd;
use crate::convert::{archive, history};
use crate::entities::{portfolio_history, signal_archives};
use crate::error::{db_err, sqlx_err};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::HistoryStore;
use domain::{
    Drawdown, HistorySummary, PortfolioHistoryEntry, PortfolioId, SignalArchive, StoreError, Usd,
};
use rust_decimal::Decimal;
use sea_orm::sqlx;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// `domain::history::max_drawdown` in one statement: the running peak of
/// `total_value` in timestamp order, the largest fall, and the (peak, value)
/// of the largest relative fall over positive peaks, whose fraction is then
/// computed (and rounded) by the same Rust code as the other stores'. Also
/// the count and the first and last timestamps.
const DRAWDOWN: &str = "WITH h AS ( \
         SELECT timestamp, total_value AS v, \
                max(total_value) OVER (ORDER BY timestamp ROWS UNBOUNDED PRECEDING) AS peak \
         FROM portfolio_history WHERE portfolio_id = $1) \
     SELECT (SELECT count(*) FROM h), (SELECT min(timestamp) FROM h), \
            (SELECT max(timestamp) FROM h), (SELECT max(peak - v) FROM h), \
            d.peak, d.v \
     FROM (SELECT 1) AS one \
     LEFT JOIN LATERAL (SELECT peak, v FROM h WHERE peak > 0 AND peak > v \
                        ORDER BY (peak - v) / peak DESC LIMIT 1) AS d ON true";

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

    async fn history_summary(&self, portfolio: &PortfolioId) -> Result<HistorySummary, StoreError> {
        let pool = self.db.get_postgres_connection_pool();
        let row: (
            i64,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<Decimal>,
            Option<Decimal>,
            Option<Decimal>,
        ) = sqlx::query_as(DRAWDOWN)
            .bind(portfolio.to_string())
            .fetch_one(pool)
            .await
            .map_err(|e| sqlx_err("summarizing portfolio history", e))?;
        let (entries, first, last, amount, peak, value) = row;
        let fraction = match (peak, value) {
            (Some(peak), Some(value)) => Drawdown::fraction_of(usd(peak), usd(value)),
            _ => None,
        };
        Ok(HistorySummary {
            first,
            last,
            max_drawdown: Drawdown {
                amount: amount.map_or(Usd::ZERO, usd),
                fraction: fraction.unwrap_or(Decimal::ZERO),
                entries: usize::try_from(entries).unwrap_or(usize::MAX),
            },
        })
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
            .on_conflict_do_nothing_on([
                signal_archives::Column::PortfolioId,
                signal_archives::Column::ArchivedAt,
            ])
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| db_err("appending a signal archive", e))?;
        Ok(())
    }

    /// Oldest month first, append order within a month (as the JSON files).
    async fn load_signal_archives(
        &self,
        portfolio: &PortfolioId,
        month: Option<&str>,
    ) -> Result<Vec<SignalArchive>, StoreError> {
        let mut query = signal_archives::Entity::find()
            .filter(signal_archives::Column::PortfolioId.eq(portfolio.as_str()));
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
