//! `market_snapshots` rows ↔ [`MarketSnapshot`].

use super::{RowCtx, instant, num, opt_usd};
use crate::entities::market_snapshots::{ActiveModel, Model};
use domain::{MarketId, MarketSnapshot, StoreError, Usd};
use sea_orm::ActiveValue::{NotSet, Set};

pub(crate) const TABLE: &str = "market_snapshots";

pub(crate) fn to_row(s: &MarketSnapshot) -> ActiveModel {
    ActiveModel {
        id: NotSet,
        market_id: Set(s.market_id.to_string()),
        timestamp: Set(instant(s.timestamp)),
        yes_price: Set(s.yes_price.map(|p| p.value())),
        no_price: Set(s.no_price.map(|p| p.value())),
        liquidity: Set(s.liquidity.map(Usd::value)),
        volume: Set(s.volume.map(Usd::value)),
        volume24hr: Set(s.volume_24hr.map(Usd::value)),
        market_conviction: Set(s.conviction),
        created_at: NotSet,
    }
}

pub(crate) fn from_row(m: Model) -> Result<MarketSnapshot, StoreError> {
    let key = format!("{}@{}", m.market_id, m.timestamp.to_rfc3339());
    let ctx = RowCtx {
        table: TABLE,
        key: &key,
    };
    ctx.validate(MarketSnapshot {
        yes_price: ctx.opt_price("yes_price", m.yes_price)?,
        no_price: ctx.opt_price("no_price", m.no_price)?,
        market_id: MarketId::new(m.market_id),
        timestamp: m.timestamp,
        liquidity: opt_usd(m.liquidity),
        volume: opt_usd(m.volume),
        volume_24hr: opt_usd(m.volume24hr),
        conviction: m.market_conviction.map(num),
    })
}
