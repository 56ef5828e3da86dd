//! `TradeStore`: the `trades` table. Rows are inserted once (idempotent on
//! `trade_id`); the one update is a trade's settlement (`status`,
//! `realized_pnl`, `closed_at`).

use super::{BATCH_ROWS, begin, commit};
use crate::PgStore;
use crate::convert::trade;
use crate::entities::trades;
use crate::error::{db_err, sqlx_err};
use async_trait::async_trait;
use domain::ports::TradeStore;
use domain::{
    EventId, MarketId, PortfolioId, StoreError, Trade, TradeEvent, TradeId, TradeSettlement,
};
use futures_util::TryStreamExt;
use sea_orm::sea_query::Expr;
use sea_orm::sqlx;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// Insert `trades` in batches, skipping stored trades (a replay, even of a
/// trade whose row has settled since); returns how many rows were inserted.
/// A stored `trade_id` with another execution is `StoreError::Conflict` (the
/// caller's transaction then rolls back): trade ids are unique in the trade
/// store. Runs on the caller's transaction.
pub(crate) async fn insert_trades<C: ConnectionTrait>(
    conn: &C,
    all: &[Trade],
) -> Result<u64, StoreError> {
    for t in all {
        crate::convert::checked(trade::TABLE, || t.trade_id.to_string(), t)?;
    }
    let mut inserted = 0;
    for chunk in all.chunks(BATCH_ROWS) {
        let rows: Vec<_> = chunk.iter().map(trade::to_row).collect();
        let result = trades::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([trades::Column::TradeId])
            .exec_without_returning(conn)
            .await
            .map_err(|e| db_err("inserting trades", e))?;
        let n = match result {
            sea_orm::TryInsertResult::Inserted(n) => n,
            _ => 0,
        };
        inserted += n;
        if n < chunk.len() as u64 {
            refuse_conflicts(conn, chunk).await?;
        }
    }
    Ok(inserted)
}

/// Some of `chunk` were already stored: each must be the same trade.
async fn refuse_conflicts<C: ConnectionTrait>(conn: &C, chunk: &[Trade]) -> Result<(), StoreError> {
    let ids: Vec<&str> = chunk.iter().map(|t| t.trade_id.as_str()).collect();
    let stored = trades::Entity::find()
        .filter(trades::Column::TradeId.is_in(ids))
        .all(conn)
        .await
        .map_err(|e| db_err("comparing trades with stored ones", e))?;
    for row in stored {
        let Some(given) = chunk.iter().find(|t| t.trade_id.as_str() == row.trade_id) else {
            continue;
        };
        if trade::from_row(row)?.as_executed() != trade::as_stored(given).as_executed() {
            return Err(StoreError::Conflict {
                location: format!("postgres table {}", trade::TABLE),
                key: given.trade_id.to_string(),
            });
        }
    }
    // Two trades with one id in the same call: the first is stored.
    let mut seen = std::collections::HashMap::new();
    for t in chunk {
        if let Some(first) = seen.insert(t.trade_id.as_str(), t) {
            if trade::as_stored(first).as_executed() != trade::as_stored(t).as_executed() {
                return Err(StoreError::Conflict {
                    location: format!("postgres table {}", trade::TABLE),
                    key: t.trade_id.to_string(),
                });
            }
        }
    }
    Ok(())
}

/// Record each settlement on its trade row (of its portfolio); returns how
/// many rows were found. Runs on the caller's transaction.
pub(crate) async fn settle_trades<C: ConnectionTrait>(
    conn: &C,
    settlements: &[TradeSettlement],
) -> Result<u64, StoreError> {
    let mut found = 0;
    for s in settlements {
        crate::convert::checked(trade::TABLE, || s.trade_id.to_string(), s)?;
        let result = trades::Entity::update_many()
            .col_expr(
                trades::Column::Status,
                Expr::value(s.status.as_str().to_owned()),
            )
            .col_expr(
                trades::Column::RealizedPnl,
                Expr::value(s.realized_pnl.map(|u| u.value())),
            )
            .col_expr(
                trades::Column::ClosedAt,
                Expr::value(crate::convert::opt_instant(s.closed_at)),
            )
            .filter(trades::Column::PortfolioId.eq(s.portfolio_id.as_str()))
            .filter(trades::Column::TradeId.eq(s.trade_id.as_str()))
            .exec(conn)
            .await
            .map_err(|e| db_err("settling a trade", e))?;
        found += result.rows_affected;
    }
    Ok(found)
}

/// Move signal links that waited for their trade (`pending_trade_id`) onto
/// the foreign key now that the trade is stored.
pub(crate) async fn promote_pending_links<C: ConnectionTrait>(conn: &C) -> Result<(), StoreError> {
    conn.execute_unprepared(PROMOTE_PENDING_LINKS)
        .await
        .map_err(|e| db_err("linking signals to their trades", e))?;
    Ok(())
}

const PROMOTE_PENDING_LINKS: &str = "UPDATE trading_signals AS s \
     SET trade_id = s.pending_trade_id, pending_trade_id = NULL \
     WHERE s.pending_trade_id IS NOT NULL \
       AND EXISTS (SELECT 1 FROM trades t WHERE t.trade_id = s.pending_trade_id)";

impl PgStore {
    /// Backfill: insert `trades` in one transaction, skipping `trade_id`s
    /// already stored (and repeats within `all`), in the order given; then
    /// link signals that waited for these trades. Returns the number of rows
    /// inserted (0 on a replay).
    ///
    /// A copy of the truth: a stored trade (the same execution) takes the
    /// settlement given — the last one, when `all` holds it twice — so a
    /// backfill brings settlements PostgreSQL missed level too.
    ///
    /// The rows go through `COPY` into a temporary table and one
    /// `INSERT … SELECT … ON CONFLICT (trade_id) DO NOTHING`: several times
    /// faster than multi-row `INSERT`s of bound parameters, which cost a
    /// backfill most of its time. Values are written as [`trade::to_row`]
    /// binds them (timestamps truncated to microseconds).
    pub async fn bulk_insert_trades(&self, all: &[Trade]) -> Result<u64, StoreError> {
        for t in all {
            crate::convert::checked(trade::TABLE, || t.trade_id.to_string(), t)?;
        }
        if let Some(inserted) = self.copy_straight_into_trades(all).await? {
            return Ok(inserted);
        }
        self.copy_through_staging(all).await
    }

    /// `COPY` straight into `trades`, as `psql \copy` does: the backfill's
    /// usual case, where no trade of `all` is stored yet. `None` (nothing
    /// written, the transaction rolled back) when one is, or when `all`
    /// gives one `trade_id` twice (`unique_violation`):
    /// [`Self::copy_through_staging`] then decides, and names a conflict.
    async fn copy_straight_into_trades(&self, all: &[Trade]) -> Result<Option<u64>, StoreError> {
        let what = "bulk_insert_trades";
        let fail = copy_fail(what);
        let pool = self.db.get_postgres_connection_pool();
        let mut tx = pool
            .begin()
            .await
            .map_err(fail("cannot begin a transaction"))?;
        let mut copy_in = tx
            .copy_in_raw(copy::COPY_INTO_TRADES)
            .await
            .map_err(fail("starting COPY"))?;
        for chunk in all.chunks(copy::CHUNK_ROWS) {
            if let Err(e) = copy_in.send(copy::csv(None, chunk).into_bytes()).await {
                return unless_repeated_id(e, fail("sending rows to COPY"));
            }
        }
        let inserted = match copy_in.finish().await {
            Ok(n) => n,
            Err(e) => return unless_repeated_id(e, fail("finishing COPY")),
        };
        link_and_commit(tx, &fail).await?;
        Ok(Some(inserted))
    }

    /// Into a `trades` table that may hold some of `all` already: `COPY`
    /// into a temporary table, then one `INSERT … SELECT … ON CONFLICT
    /// (trade_id) DO NOTHING`, a comparison with the stored rows and the
    /// settlements copied over.
    async fn copy_through_staging(&self, all: &[Trade]) -> Result<u64, StoreError> {
        let what = "bulk_insert_trades";
        let fail = copy_fail(what);
        let pool = self.db.get_postgres_connection_pool();
        let mut tx = pool
            .begin()
            .await
            .map_err(fail("cannot begin a transaction"))?;
        sqlx::query(copy::CREATE_STAGING)
            .execute(&mut *tx)
            .await
            .map_err(fail("creating the staging table"))?;
        let mut copy_in = tx
            .copy_in_raw(copy::COPY_INTO_STAGING)
            .await
            .map_err(fail("starting COPY"))?;
        for (n, chunk) in all.chunks(copy::CHUNK_ROWS).enumerate() {
            copy_in
                .send(copy::csv(Some(n * copy::CHUNK_ROWS), chunk).into_bytes())
                .await
                .map_err(fail("sending rows to COPY"))?;
        }
        copy_in.finish().await.map_err(fail("finishing COPY"))?;
        let inserted = sqlx::query(copy::INSERT_FROM_STAGING)
            .execute(&mut *tx)
            .await
            .map_err(fail("inserting trades"))?
            .rows_affected();
        // Every staged trade new (and none given twice): each stored row of
        // their ids is the staged one, so there is nothing to compare or
        // settle.
        if usize::try_from(inserted).ok() != Some(all.len()) {
            // A staged trade whose id was stored with other content (or
            // given twice): refused, and the transaction rolls back with
            // the error.
            let conflict: Option<(String,)> = sqlx::query_as(copy::FIRST_CONFLICT)
                .fetch_optional(&mut *tx)
                .await
                .map_err(fail("comparing trades with stored ones"))?;
            if let Some((key,)) = conflict {
                return Err(StoreError::Conflict {
                    location: format!("postgres table {}", trade::TABLE),
                    key,
                });
            }
            sqlx::query(copy::SETTLE_FROM_STAGING)
                .execute(&mut *tx)
                .await
                .map_err(fail("settling trades"))?;
        }
        link_and_commit(tx, &fail).await?;
        Ok(inserted)
    }

    /// Trades of `sql` (selecting [`trade::COLUMNS`]) with `binds`, each
    /// row decoded straight into a [`Trade`].
    async fn fetch_trades(
        &self,
        what: &'static str,
        sql: String,
        binds: Binds<'_>,
    ) -> Result<Vec<Trade>, StoreError> {
        let pool = self.db.get_postgres_connection_pool();
        // Built from this module's constants only, never from input.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(binds.portfolio.to_string());
        if let Some(m) = binds.market {
            query = query.bind(m.to_string());
        }
        if let Some(ids) = binds.ids {
            query = query.bind(ids);
        }
        if let Some((limit, offset)) = binds.page {
            query = query.bind(limit).bind(offset);
        }
        // Each row decoded as it arrives, while the server sends the next
        // ones, instead of all of them buffered first.
        let mut rows = query.fetch(pool);
        let mut trades = Vec::new();
        while let Some(row) = rows.try_next().await.map_err(|e| sqlx_err(what, e))? {
            trades.push(trade::from_pg_row(&row)?);
        }
        Ok(trades)
    }
}

/// A bulk insert's end: signals that waited for its trades linked to them,
/// then the commit.
async fn link_and_commit(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    fail: &impl Fn(&'static str) -> Box<dyn Fn(sqlx::Error) -> StoreError>,
) -> Result<(), StoreError> {
    sqlx::query(PROMOTE_PENDING_LINKS)
        .execute(&mut *tx)
        .await
        .map_err(fail("linking signals to their trades"))?;
    tx.commit().await.map_err(fail("commit failed"))
}

/// A failed step of a bulk insert as the store's error.
fn copy_fail(
    what: &'static str,
) -> impl Fn(&'static str) -> Box<dyn Fn(sqlx::Error) -> StoreError> {
    move |step| {
        Box::new(move |e: sqlx::Error| {
            db_err(
                format!("{what}: {step}"),
                sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e.into())),
            )
        })
    }
}

/// `None` when `e` is a `trade_id` given twice (`unique_violation`; the
/// transaction rolls back when dropped), else the error.
fn unless_repeated_id<T>(
    e: sqlx::Error,
    fail: Box<dyn Fn(sqlx::Error) -> StoreError>,
) -> Result<Option<T>, StoreError> {
    let unique = e
        .as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code == "23505");
    if unique { Ok(None) } else { Err(fail(e)) }
}

/// What one trade read binds, in this order after the portfolio.
struct Binds<'a> {
    portfolio: &'a PortfolioId,
    market: Option<&'a MarketId>,
    ids: Option<Vec<String>>,
    /// `LIMIT`, `OFFSET`.
    page: Option<(i64, i64)>,
}

impl<'a> Binds<'a> {
    fn new(portfolio: &'a PortfolioId, market: Option<&'a MarketId>) -> Self {
        Binds {
            portfolio,
            market,
            ids: None,
            page: None,
        }
    }
}

/// `SELECT` of a portfolio's trades (of `$2`'s market when `market`), in
/// append order (`id`, the JSON file's order) or newest first.
fn select(market: bool, newest_first: bool, tail: &str) -> String {
    format!(
        "SELECT {} FROM trades WHERE portfolio_id = $1{} ORDER BY id {}{tail}",
        trade::COLUMNS,
        if market { " AND market_id = $2" } else { "" },
        if newest_first { "DESC" } else { "ASC" },
    )
}

fn bind_count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl TradeStore for PgStore {
    async fn append_trade(&self, t: &Trade) -> Result<(), StoreError> {
        self.append_trades(std::slice::from_ref(t)).await
    }

    /// One transaction: every trade or none.
    async fn append_trades(&self, trades: &[Trade]) -> Result<(), StoreError> {
        let what = "append_trade";
        let txn = begin(&self.db, what).await?;
        insert_trades(&txn, trades).await?;
        promote_pending_links(&txn).await?;
        commit(txn, what).await
    }

    async fn settle_trade(&self, settlement: &TradeSettlement) -> Result<bool, StoreError> {
        Ok(settle_trades(&self.db, std::slice::from_ref(settlement)).await? > 0)
    }

    async fn load_trades(&self, portfolio: &PortfolioId) -> Result<Vec<Trade>, StoreError> {
        let sql = select(false, false, "");
        self.fetch_trades("loading trades", sql, Binds::new(portfolio, None))
            .await
    }

    async fn trades_for_market(
        &self,
        portfolio: &PortfolioId,
        market: &MarketId,
    ) -> Result<Vec<Trade>, StoreError> {
        let sql = select(true, false, "");
        self.fetch_trades(
            "loading a market's trades",
            sql,
            Binds::new(portfolio, Some(market)),
        )
        .await
    }

    async fn recent_trades(
        &self,
        portfolio: &PortfolioId,
        limit: usize,
    ) -> Result<Vec<Trade>, StoreError> {
        self.trades_page(portfolio, None, 0, limit).await
    }

    async fn count_trades(
        &self,
        portfolio: &PortfolioId,
        market: Option<&MarketId>,
    ) -> Result<u64, StoreError> {
        // All of a portfolio's: the row `trade_counts` keeps (migration
        // `m20261215_000001_trade_reads`); one market's: off its index.
        let pool = self.db.get_postgres_connection_pool();
        let what = "counting trades";
        let n: Option<i64> = match market {
            None => sqlx::query_scalar("SELECT trades FROM trade_counts WHERE portfolio_id = $1")
                .bind(portfolio.as_str())
                .fetch_optional(pool)
                .await
                .map_err(|e| sqlx_err(what, e))?,
            Some(m) => sqlx::query_scalar(
                "SELECT count(*) FROM trades WHERE portfolio_id = $1 AND market_id = $2",
            )
            .bind(portfolio.as_str())
            .bind(m.as_str())
            .fetch_optional(pool)
            .await
            .map_err(|e| sqlx_err(what, e))?,
        };
        Ok(n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }

    async fn trades_page(
        &self,
        portfolio: &PortfolioId,
        market: Option<&MarketId>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Trade>, StoreError> {
        let binds = market.map_or(1, |_| 2);
        let sql = select(
            market.is_some(),
            true,
            &format!(" LIMIT ${} OFFSET ${}", binds + 1, binds + 2),
        );
        let binds = Binds {
            page: Some((bind_count(limit), bind_count(offset))),
            ..Binds::new(portfolio, market)
        };
        self.fetch_trades("loading a page of trades", sql, binds)
            .await
    }

    async fn trades_by_ids(
        &self,
        portfolio: &PortfolioId,
        ids: &[TradeId],
    ) -> Result<Vec<Trade>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {} FROM trades WHERE portfolio_id = $1 AND trade_id = ANY($2) ORDER BY id",
            trade::COLUMNS
        );
        let binds = Binds {
            ids: Some(ids.iter().map(ToString::to_string).collect()),
            ..Binds::new(portfolio, None)
        };
        self.fetch_trades("loading trades by id", sql, binds).await
    }

    /// Three columns of each trade instead of twenty-one.
    async fn trade_events(
        &self,
        portfolio: &PortfolioId,
        ids: &[TradeId],
    ) -> Result<Vec<TradeEvent>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let what = "loading the events of trades";
        let pool = self.db.get_postgres_connection_pool();
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT trade_id::text, event_id::text, event_title FROM trades \
             WHERE portfolio_id = $1 AND trade_id = ANY($2) ORDER BY id",
        )
        .bind(portfolio.as_str())
        .bind(ids)
        .fetch_all(pool)
        .await
        .map_err(|e| sqlx_err(what, e))?;
        Ok(rows
            .into_iter()
            .map(|(trade_id, event_id, event_title)| TradeEvent {
                trade_id: TradeId::new(trade_id),
                event_id: event_id.map(EventId::new),
                event_title,
            })
            .collect())
    }
}

/// `bulk_insert_trades`' staging: the SQL and the `COPY … (FORMAT csv)` form
/// of a trade, field for field what [`trade::to_row`] binds.
mod copy {
    use chrono::{DateTime, SubsecRound, Utc};
    use domain::Trade;
    use std::fmt::Write;

    /// Rows per `COPY` message.
    pub(super) const CHUNK_ROWS: usize = 5_000;

    /// Dropped at commit or rollback; `ord` keeps the caller's order (the
    /// `id` order of the stored trades).
    pub(super) const CREATE_STAGING: &str = "CREATE TEMPORARY TABLE trades_staging ON COMMIT DROP AS \
         SELECT 0::bigint AS ord, portfolio_id, trade_id, timestamp, market_id, market_question, \
                action, outcome, amount, entry_price, shares, confidence, reason, status, event_id, \
                event_title, event_end_date, current_pnl, realized_pnl, extra, strategy, closed_at \
         FROM trades WITH NO DATA";

    /// [`COPY_INTO_STAGING`] without `ord`, into `trades` itself.
    pub(super) const COPY_INTO_TRADES: &str = "COPY trades (portfolio_id, trade_id, \
         timestamp, market_id, market_question, action, outcome, amount, entry_price, shares, \
         confidence, reason, status, event_id, event_title, event_end_date, current_pnl, \
         realized_pnl, extra, strategy, closed_at) FROM STDIN WITH (FORMAT csv)";

    pub(super) const COPY_INTO_STAGING: &str = "COPY trades_staging (ord, portfolio_id, trade_id, \
         timestamp, market_id, market_question, action, outcome, amount, entry_price, shares, \
         confidence, reason, status, event_id, event_title, event_end_date, current_pnl, \
         realized_pnl, extra, strategy, closed_at) FROM STDIN WITH (FORMAT csv)";

    pub(super) const INSERT_FROM_STAGING: &str = "INSERT INTO trades (portfolio_id, trade_id, \
         timestamp, market_id, market_question, action, outcome, amount, entry_price, shares, \
         confidence, reason, status, event_id, event_title, event_end_date, current_pnl, \
         realized_pnl, extra, strategy, closed_at) \
         SELECT portfolio_id, trade_id, timestamp, market_id, market_question, action, outcome, \
                amount, entry_price, shares, confidence, reason, status, event_id, event_title, \
                event_end_date, current_pnl, realized_pnl, extra, strategy, closed_at \
         FROM trades_staging ORDER BY ord \
         ON CONFLICT (trade_id) DO NOTHING";

    /// The first staged trade whose execution differs from the stored row
    /// of its id (the rows just inserted equal themselves; the settlement,
    /// `status`, `realized_pnl` and `closed_at`, is not compared: it is
    /// copied by [`SETTLE_FROM_STAGING`]).
    pub(super) const FIRST_CONFLICT: &str = "SELECT s.trade_id::text FROM trades_staging s \
         JOIN trades t ON t.trade_id = s.trade_id \
         WHERE (t.portfolio_id, t.timestamp, t.market_id, t.market_question, t.action, \
                t.outcome, t.amount, t.entry_price, t.shares, t.confidence, t.reason, \
                t.event_id, t.event_title, t.event_end_date, t.current_pnl, t.extra, t.strategy) \
         IS DISTINCT FROM \
               (s.portfolio_id, s.timestamp, s.market_id, s.market_question, s.action, \
                s.outcome, s.amount, s.entry_price, s.shares, s.confidence, s.reason, \
                s.event_id, s.event_title, s.event_end_date, s.current_pnl, s.extra, s.strategy) \
         LIMIT 1";

    /// Stored trades take the settlement staged for them (the last one
    /// given), where it differs.
    pub(super) const SETTLE_FROM_STAGING: &str = "UPDATE trades t \
         SET status = s.status, realized_pnl = s.realized_pnl, closed_at = s.closed_at \
         FROM (SELECT DISTINCT ON (trade_id) trade_id, status, realized_pnl, closed_at \
               FROM trades_staging ORDER BY trade_id, ord DESC) s \
         WHERE t.trade_id = s.trade_id \
           AND (t.status, t.realized_pnl, t.closed_at) \
               IS DISTINCT FROM (s.status, s.realized_pnl, s.closed_at)";

    /// `trades` as CSV rows, numbered from `first` when given (staging's
    /// `ord`): every present value quoted, an absent one unquoted and empty
    /// (NULL). Written straight into one buffer, no text made per field.
    pub(super) fn csv(first: Option<usize>, trades: &[Trade]) -> String {
        let mut out = String::with_capacity(trades.len() * 512);
        for (i, t) in trades.iter().enumerate() {
            let mut row = Row {
                out: &mut out,
                first: true,
            };
            if let Some(first) = first {
                row.raw(first + i);
            }
            row.text(Some(t.portfolio_id.as_str()));
            row.text(Some(t.trade_id.as_str()));
            row.value(Some(instant(t.timestamp)));
            row.text(Some(t.market_id.as_str()));
            row.text(Some(&t.market_question));
            row.text(Some(t.action.as_str()));
            row.text(t.outcome.as_deref());
            row.value(Some(t.amount.value()));
            row.value(Some(t.entry_price.value()));
            row.value(Some(t.shares.value()));
            row.value(Some(t.confidence));
            row.text(t.reason.as_deref());
            row.text(Some(t.status.as_str()));
            row.text(t.event_id.as_ref().map(|e| e.as_str()));
            row.text(t.event_title.as_deref());
            row.value(t.event_end_date.map(instant));
            row.value(t.current_pnl.map(|u| u.value()));
            row.value(t.realized_pnl.map(|u| u.value()));
            row.value(Some(Extra(&t.extra)));
            row.text(Some(&t.strategy));
            row.value(t.closed_at.map(instant));
            out.push('\n');
        }
        out
    }

    /// One CSV row being written.
    struct Row<'a> {
        out: &'a mut String,
        first: bool,
    }

    impl Row<'_> {
        fn separator(&mut self) {
            if !self.first {
                self.out.push(',');
            }
            self.first = false;
        }

        /// A number as it is (staging's `ord`).
        fn raw(&mut self, v: usize) {
            self.separator();
            let _ = write!(self.out, "{v}");
        }

        fn text(&mut self, v: Option<&str>) {
            self.separator();
            if let Some(v) = v {
                self.out.push('"');
                Quoted(self.out).push(v);
                self.out.push('"');
            }
        }

        fn value(&mut self, v: Option<impl std::fmt::Display>) {
            self.separator();
            if let Some(v) = v {
                self.out.push('"');
                // Writing into a `String` does not fail.
                let _ = write!(Quoted(self.out), "{v}");
                self.out.push('"');
            }
        }
    }

    /// Text inside a quoted CSV field: each `"` doubled.
    struct Quoted<'a>(&'a mut String);

    impl Quoted<'_> {
        fn push(&mut self, s: &str) {
            let mut parts = s.split('"');
            if let Some(head) = parts.next() {
                self.0.push_str(head);
            }
            for part in parts {
                self.0.push_str("\"\"");
                self.0.push_str(part);
            }
        }
    }

    impl Write for Quoted<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.push(s);
            Ok(())
        }
    }

    /// A trade's `extra` as the JSON object it is stored as.
    struct Extra<'a>(&'a domain::Extra);

    impl std::fmt::Display for Extra<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            // `serde_json` writes through `io::Write`; a map of JSON values
            // always serialises, and its bytes are UTF-8.
            let mut buf = Vec::new();
            serde_json::to_writer(&mut buf, self.0).map_err(|_| std::fmt::Error)?;
            f.write_str(std::str::from_utf8(&buf).map_err(|_| std::fmt::Error)?)
        }
    }

    /// As `convert::instant` stores it: microseconds, UTC.
    fn instant(t: DateTime<Utc>) -> String {
        t.trunc_subsecs(6)
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }
}
