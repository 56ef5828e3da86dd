//! `markets` rows ↔ [`Market`]. `market_data` is the Gamma object as received
//! plus the event context (`domain::gamma::value_with_context`); reads decode it with
//! `domain::gamma::decode_market`. The typed columns are copies for queries.

use super::{RowCtx, money_copy, opt_instant};
use crate::entities::markets::{ActiveModel, Model};
use domain::gamma::decode_market;
use domain::{Market, StoreError};
use sea_orm::ActiveValue::{NotSet, Set};

pub(crate) const TABLE: &str = "markets";

pub(crate) fn to_row(m: &Market, ordinal: i32) -> Result<ActiveModel, StoreError> {
    let ctx = RowCtx {
        table: TABLE,
        key: m.id.as_str(),
    };
    // JSONB takes a tree: the kept text (with the event context written in)
    // is parsed here, one record at a time.
    let data = domain::gamma::value_with_context(m)
        .map_err(|e| ctx.invalid(format!("market_data: {e}")))?;
    Ok(ActiveModel {
        id: NotSet,
        market_id: Set(m.id.to_string()),
        ordinal: Set(ordinal),
        question: Set(m.question.clone()),
        event_id: Set(m.event.as_ref().map(|e| e.event_id.to_string())),
        event_title: Set(m.event.as_ref().map(|e| e.event_title.clone())),
        event_end_date: Set(opt_instant(m.event.as_ref().and_then(|e| e.event_end_date))),
        liquidity: Set(money_copy(m.liquidity)),
        volume: Set(money_copy(m.volume)),
        volume24hr: Set(money_copy(m.volume_24hr)),
        yes_price: Set(m.yes_price().map(|p| p.value())),
        no_price: Set(m.no_price().map(|p| p.value())),
        market_conviction: Set(m.conviction()),
        market_data: Set(data),
        is_filtered: Set(Some(true)),
        created_at: NotSet,
        updated_at: NotSet,
    })
}

pub(crate) fn from_row(m: Model) -> Result<Market, StoreError> {
    let ctx = RowCtx {
        table: TABLE,
        key: &m.market_id,
    };
    decode_market(&m.market_data).map_err(|e| ctx.invalid(format!("market_data: {e}")))
}
