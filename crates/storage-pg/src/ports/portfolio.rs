//! `PortfolioStore`: `portfolio_state`, `portfolio_positions`, `portfolio_snapshots`.

use super::{BATCH_ROWS, begin, commit};
use crate::PgStore;
use crate::convert::RowCtx;
use crate::convert::{portfolio, portfolio_snapshot, position};
use crate::entities::{
    portfolio_positions as positions, portfolio_snapshots as snapshots, portfolio_state as state,
};
use crate::error::{db_err, sqlx_err};
use async_trait::async_trait;
use domain::ports::PortfolioStore;
use domain::{Portfolio, PortfolioId, PortfolioSnapshot, StoreError};
use sea_orm::sea_query::OnConflict;
use sea_orm::sqlx;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

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

/// Every portfolio with a row in a table it owns (trades through their
/// per-portfolio count, `trade_counts`, rather than a scan of `trades`).
const LIST_PORTFOLIOS: &str = "SELECT portfolio_id::text FROM portfolio_state \
     UNION SELECT portfolio_id FROM portfolio_positions \
     UNION SELECT portfolio_id FROM trade_counts WHERE trades > 0 \
     UNION SELECT portfolio_id FROM portfolio_snapshots \
     UNION SELECT portfolio_id FROM portfolio_history \
     UNION SELECT portfolio_id FROM trading_signals \
     UNION SELECT portfolio_id FROM signal_archives";

/// Where [`portfolio::COLUMNS`] start in a row of [`LOAD`] (after
/// `ordinal` and `version`).
const STATE_AT: usize = 2;
/// Where [`position::COLUMNS`] start in a row of [`LOAD`].
const POSITION_AT: usize = STATE_AT + portfolio::COLUMNS.len();

/// A portfolio in one round trip: its state row (`ordinal` NULL, its
/// `portfolio_versions` version, position columns NULL), then its positions
/// by `ordinal` (state columns NULL), off `idx_positions_portfolio_ordinal`.
/// No state row: no portfolio. Each column is sent once, not the state with
/// every position as a join would. One statement, so the version is the
/// one of the rows it returns.
static LOAD: LazyLock<String> = LazyLock::new(|| {
    let nulls = |n: usize| vec!["NULL"; n].join(", ");
    format!(
        "SELECT NULL::integer AS ordinal, \
         (SELECT version FROM portfolio_versions WHERE portfolio_id = $1) AS version, \
         {state}, {no_positions} \
         FROM portfolio_state WHERE portfolio_id = $1 \
         UNION ALL \
         (SELECT ordinal, NULL::bigint, {no_state}, {positions} \
         FROM portfolio_positions WHERE portfolio_id = $1 ORDER BY ordinal)",
        state = selected(&portfolio::COLUMNS, portfolio::DECIMALS),
        no_positions = nulls(position::COLUMNS.len()),
        no_state = nulls(portfolio::COLUMNS.len()),
        positions = selected(&position::COLUMNS, position::DECIMALS),
    )
});

/// The stored version of one portfolio: one row off the primary key.
const VERSION: &str = "SELECT version FROM portfolio_versions WHERE portfolio_id = $1";

/// The last portfolio each id decoded to, with the `portfolio_versions`
/// version it was read at. A read first asks for the version alone and
/// decodes the rows again only when it changed: the triggers of
/// `m20261224_000001_portfolio_versions` change it in the transaction of
/// every write to the portfolio's rows, whoever makes it. A portfolio with
/// no version (none stored, or the table truncated) is never kept. Shared
/// by the clones of one store.
#[derive(Clone, Default)]
pub(crate) struct PortfolioCache(Arc<Mutex<Kept>>);

/// By portfolio id: the version read and the portfolio decoded at it.
type Kept = HashMap<String, (i64, Arc<Portfolio>)>;

impl PortfolioCache {
    fn get(&self, id: &PortfolioId) -> Option<(i64, Arc<Portfolio>)> {
        self.lock().get(id.as_str()).cloned()
    }

    fn put(&self, id: &PortfolioId, version: Option<i64>, portfolio: Option<&Portfolio>) {
        let mut map = self.lock();
        match (version, portfolio) {
            (Some(v), Some(p)) => {
                map.insert(id.to_string(), (v, Arc::new(p.clone())));
            }
            _ => {
                map.remove(id.as_str());
            }
        }
    }

    /// The map, even if a thread panicked holding it: every entry is
    /// inserted whole, so none is half-written.
    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `columns` for a `SELECT`, the `NUMERIC(p, 28)` ones among them sent
/// through `trim_scale`: the same value without the column's trailing zeros
/// (what [`crate::convert::num`] makes of it anyway), so each is a few
/// base-10000 digits on the wire instead of eight and decodes in a fraction
/// of the time.
fn selected(columns: &[&str], decimals: &[&str]) -> String {
    columns
        .iter()
        .map(|c| {
            if decimals.contains(c) {
                format!("trim_scale({c}) AS {c}")
            } else {
                (*c).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait]
impl PortfolioStore for PgStore {
    async fn load_portfolio(&self, id: &PortfolioId) -> Result<Option<Portfolio>, StoreError> {
        let what = "loading a portfolio";
        let pool = self.db.get_postgres_connection_pool();
        if let Some((kept, portfolio)) = self.portfolios.get(id) {
            let version: Option<i64> = sqlx::query_scalar(VERSION)
                .bind(id.as_str())
                .fetch_optional(pool)
                .await
                .map_err(|e| sqlx_err(what, e))?;
            if version == Some(kept) {
                return Ok(Some(Portfolio::clone(&portfolio)));
            }
        }
        let rows = sqlx::query(sqlx::AssertSqlSafe(LOAD.as_str()))
            .bind(id.as_str())
            .fetch_all(pool)
            .await
            .map_err(|e| sqlx_err(what, e))?;
        let ctx = RowCtx {
            table: position::TABLE,
            key: id.as_str(),
        };
        let mut state = None;
        let mut positions = Vec::with_capacity(rows.len().saturating_sub(1));
        for row in &rows {
            let ordinal: Option<i32> = ctx.get(row, 0, "ordinal")?;
            match ordinal {
                None => state = Some(row),
                Some(n) => positions.push((n, position::from_pg_row(row, POSITION_AT)?)),
            }
        }
        let Some(state) = state else {
            self.portfolios.put(id, None, None);
            return Ok(None);
        };
        let version: Option<i64> = ctx.get(state, 1, "version")?;
        // The statement orders them; the order is the domain's, so it is
        // not left to how PostgreSQL appends the two branches.
        if !positions.is_sorted_by_key(|(n, _)| *n) {
            positions.sort_by_key(|(n, _)| *n);
        }
        let positions = positions.into_iter().map(|(_, p)| p).collect();
        let portfolio = portfolio::from_pg_row(state, STATE_AT, positions)?;
        self.portfolios.put(id, version, Some(&portfolio));
        Ok(Some(portfolio))
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

    /// From every table a portfolio owns rows of; sorted in Rust (by
    /// bytes, as every store sorts), not by the database's collation.
    async fn list_portfolios(&self) -> Result<Vec<PortfolioId>, StoreError> {
        let pool = self.db.get_postgres_connection_pool();
        let mut ids: Vec<String> = sqlx::query_scalar(LIST_PORTFOLIOS)
            .fetch_all(pool)
            .await
            .map_err(|e| sqlx_err("listing portfolios", e))?;
        ids.sort();
        ids.dedup();
        Ok(ids.into_iter().map(PortfolioId::new).collect())
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
