//! `MarketStore`: `events` (raw and filtered sets), `markets`, `market_snapshots`.
//!
//! A set is replaced in one transaction: delete its rows, insert the new
//! members in batches with their order.

use super::{BATCH_ROWS, batches, begin, commit};
use crate::PgStore;
use crate::convert::{event, market, market_snapshot};
use crate::entities::{events, market_snapshots, markets};
use crate::error::db_err;
use async_trait::async_trait;
use domain::ports::MarketStore;
use domain::{Event, FilteredEvent, Market, MarketId, MarketSnapshot, StoreError};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashSet;

fn ordinal(i: usize) -> i32 {
    i32::try_from(i).unwrap_or(i32::MAX)
}

/// A set holds each id once (the unique keys say so); say which id repeats
/// instead of failing on the constraint.
fn check_unique<'a>(table: &str, ids: impl Iterator<Item = &'a str>) -> Result<(), StoreError> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(StoreError::InvalidRecord {
                location: format!("postgres table {table}"),
                key: id.to_owned(),
                message: "the set holds this id twice".into(),
            });
        }
    }
    Ok(())
}

/// A row to insert with the bytes of its long text (for [`batches`]).
type Sized<R> = (R, usize);

/// The bytes of an event's or a market's long text: its Gamma JSON and
/// the copies of its title or question.
fn text(raw: &domain::RawJson, title: &str) -> usize {
    raw.get().len() + title.len()
}

async fn insert_events<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<Sized<events::ActiveModel>>,
) -> Result<(), StoreError> {
    for chunk in batches(&rows, |(_, bytes)| *bytes) {
        events::Entity::insert_many(chunk.iter().map(|(row, _)| row.clone()))
            .exec_without_returning(conn)
            .await
            .map_err(|e| db_err("saving events", e))?;
    }
    Ok(())
}

impl PgStore {
    /// Replace the raw (`filtered = false`) or filtered set of events.
    async fn replace_events(
        &self,
        filtered: bool,
        rows: Vec<Sized<events::ActiveModel>>,
    ) -> Result<(), StoreError> {
        let what = if filtered {
            "save_filtered_events"
        } else {
            "save_raw_events"
        };
        let txn = begin(&self.db, what).await?;
        events::Entity::delete_many()
            .filter(events::Column::IsFiltered.eq(filtered))
            .exec(&txn)
            .await
            .map_err(|e| db_err(what, e))?;
        insert_events(&txn, rows).await?;
        commit(txn, what).await
    }

    async fn event_rows(&self, filtered: bool) -> Result<Vec<events::Model>, StoreError> {
        events::Entity::find()
            .filter(events::Column::IsFiltered.eq(filtered))
            .order_by_asc(events::Column::Ordinal)
            .all(&self.db)
            .await
            .map_err(|e| db_err("loading events", e))
    }
}

#[async_trait]
impl MarketStore for PgStore {
    async fn save_raw_events(&self, all: &[Event]) -> Result<(), StoreError> {
        check_unique(event::TABLE, all.iter().map(|e| e.id.as_str()))?;
        for e in all {
            crate::convert::checked(event::TABLE, || e.id.to_string(), e)?;
        }
        let rows = all
            .iter()
            .enumerate()
            .map(|(i, e)| Ok((event::to_row(e, ordinal(i), None)?, text(&e.raw, &e.title))))
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.replace_events(false, rows).await
    }

    async fn load_raw_events(&self) -> Result<Vec<Event>, StoreError> {
        self.event_rows(false)
            .await?
            .into_iter()
            .map(event::from_row)
            .collect()
    }

    async fn save_filtered_events(&self, all: &[FilteredEvent]) -> Result<(), StoreError> {
        check_unique(event::TABLE, all.iter().map(|f| f.event.id.as_str()))?;
        for f in all {
            crate::convert::checked(event::TABLE, || f.event.id.to_string(), f)?;
        }
        let rows = all
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let row = event::to_row(&f.event, ordinal(i), Some(f.days_until_end))?;
                Ok((row, text(&f.event.raw, &f.event.title)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.replace_events(true, rows).await
    }

    async fn load_filtered_events(&self) -> Result<Vec<FilteredEvent>, StoreError> {
        self.event_rows(true)
            .await?
            .into_iter()
            .map(event::filtered_from_row)
            .collect()
    }

    async fn save_filtered_markets(&self, all: &[Market]) -> Result<(), StoreError> {
        check_unique(market::TABLE, all.iter().map(|m| m.id.as_str()))?;
        for m in all {
            crate::convert::checked(market::TABLE, || m.id.to_string(), m)?;
        }
        let what = "save_filtered_markets";
        let rows: Vec<_> = all
            .iter()
            .enumerate()
            .map(|(i, m)| Ok((market::to_row(m, ordinal(i))?, text(&m.raw, &m.question))))
            .collect::<Result<_, StoreError>>()?;
        let txn = begin(&self.db, what).await?;
        markets::Entity::delete_many()
            .exec(&txn)
            .await
            .map_err(|e| db_err(what, e))?;
        for chunk in batches(&rows, |(_, bytes)| *bytes) {
            markets::Entity::insert_many(chunk.iter().map(|(row, _)| row.clone()))
                .exec_without_returning(&txn)
                .await
                .map_err(|e| db_err(what, e))?;
        }
        commit(txn, what).await
    }

    async fn load_filtered_markets(&self) -> Result<Vec<Market>, StoreError> {
        markets::Entity::find()
            .order_by_asc(markets::Column::Ordinal)
            .all(&self.db)
            .await
            .map_err(|e| db_err("loading filtered markets", e))?
            .into_iter()
            .map(market::from_row)
            .collect()
    }

    async fn append_market_snapshots(
        &self,
        snapshots: &[MarketSnapshot],
    ) -> Result<(), StoreError> {
        if snapshots.is_empty() {
            return Ok(());
        }
        for s in snapshots {
            crate::convert::checked(
                "market_snapshots",
                || format!("{}@{}", s.market_id, s.timestamp.to_rfc3339()),
                s,
            )?;
        }
        let what = "append_market_snapshots";
        let txn = begin(&self.db, what).await?;
        for chunk in snapshots.chunks(BATCH_ROWS) {
            let rows: Vec<_> = chunk.iter().map(market_snapshot::to_row).collect();
            market_snapshots::Entity::insert_many(rows)
                .on_conflict_do_nothing_on([
                    market_snapshots::Column::MarketId,
                    market_snapshots::Column::Timestamp,
                ])
                .exec_without_returning(&txn)
                .await
                .map_err(|e| db_err(what, e))?;
        }
        commit(txn, what).await
    }

    async fn load_market_snapshots(
        &self,
        market: Option<&MarketId>,
    ) -> Result<Vec<MarketSnapshot>, StoreError> {
        let mut query = market_snapshots::Entity::find();
        if let Some(m) = market {
            query = query.filter(market_snapshots::Column::MarketId.eq(m.as_str()));
        }
        query
            .order_by_asc(market_snapshots::Column::Id)
            .all(&self.db)
            .await
            .map_err(|e| db_err("loading market snapshots", e))?
            .into_iter()
            .map(market_snapshot::from_row)
            .collect()
    }
}
