//! `events` rows ↔ [`Event`] / [`FilteredEvent`]. `event_data` is the Gamma
//! object as received (`Event::raw`); reads decode it with
//! `domain::gamma::decode_event`, as the JSON store does, so both stores
//! return the same `Event`. The typed columns are copies for queries.

use super::{RowCtx, money_copy, opt_instant};
use crate::entities::events::{ActiveModel, Model};
use domain::gamma::decode_event;
use domain::{Event, FilteredEvent, StoreError};
use sea_orm::ActiveValue::{NotSet, Set};

pub(crate) const TABLE: &str = "events";

/// Member `ordinal` of the raw (`filtered: None`) or the filtered set
/// (`filtered: Some(days_until_end)`).
pub(crate) fn to_row(
    e: &Event,
    ordinal: i32,
    filtered: Option<Option<i64>>,
) -> Result<ActiveModel, StoreError> {
    let ctx = RowCtx {
        table: TABLE,
        key: e.id.as_str(),
    };
    let days = match filtered.flatten() {
        Some(d) => Some(
            i32::try_from(d)
                .map_err(|_| ctx.invalid(format!("days_until_end {d} is out of range")))?,
        ),
        None => None,
    };
    // JSONB takes a tree: the kept text is parsed here, one record at a time.
    let data = e
        .raw
        .to_value()
        .map_err(|err| ctx.invalid(format!("event_data: {err}")))?;
    Ok(ActiveModel {
        id: NotSet,
        event_id: Set(e.id.to_string()),
        is_filtered: Set(filtered.is_some()),
        ordinal: Set(ordinal),
        title: Set(e.title.clone()),
        slug: Set(e.slug.clone()),
        liquidity: Set(money_copy(e.liquidity)),
        volume: Set(money_copy(e.volume)),
        volume24hr: Set(money_copy(e.volume_24hr)),
        start_date: Set(opt_instant(e.start_date)),
        end_date: Set(opt_instant(e.end_date)),
        days_until_end: Set(days),
        event_data: Set(data),
        created_at: NotSet,
        updated_at: NotSet,
    })
}

pub(crate) fn from_row(m: Model) -> Result<Event, StoreError> {
    let ctx = RowCtx {
        table: TABLE,
        key: &m.event_id,
    };
    decode_event(&m.event_data)
        .map(|d| d.event)
        .map_err(|e| ctx.invalid(format!("event_data: {e}")))
}

pub(crate) fn filtered_from_row(m: Model) -> Result<FilteredEvent, StoreError> {
    let days_until_end = m.days_until_end.map(i64::from);
    Ok(FilteredEvent {
        event: from_row(m)?,
        days_until_end,
    })
}
