//! *near_resolution*: buy a clear favourite shortly before its market ends,
//! when little time is left for the price to turn.

use crate::params::{AMOUNT, ParamDef, ParamKind, Params, Reader, StrategyConfigError, dec};
use crate::signal::{Pick, best_first, favourite, p3, side, signal, tradable_prices};
use crate::{PriceHistory, Strategy, StrategySpec};
use chrono::{DateTime, TimeDelta, Utc};
use domain::{Market, Price, Signal, Usd};
use rust_decimal::Decimal;

/// Buys the strictly larger side of a tradable binary market ending within
/// `max_days` of `now` (its own `end_date`, else its event's) when that
/// side's price is above `min_price`, for `amount`. A market without an end
/// date, or whose end has passed, gives none. Confidence is `price − 0.50`.
/// Looks at no history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NearResolution {
    pub amount: Usd,
    pub max_days: u32,
    pub min_price: Price,
}

const MAX_DAYS: ParamDef = ParamDef {
    name: "max_days",
    kind: ParamKind::Integer,
    default: dec(7, 0),
    min: dec(1, 0),
    max: dec(365, 0),
    description: "only markets ending within this many days",
};

const MIN_PRICE: ParamDef = ParamDef {
    name: "min_price",
    kind: ParamKind::Price,
    default: dec(80, 2),
    min: dec(5, 1),
    max: dec(99, 2),
    description: "buy the favourite only when its price is above this",
};

impl Default for NearResolution {
    fn default() -> Self {
        NearResolution {
            amount: AMOUNT.default_usd(),
            max_days: MAX_DAYS.default_integer(),
            min_price: MIN_PRICE.default_price(),
        }
    }
}

impl NearResolution {
    pub const NAME: &'static str = "near_resolution";

    pub(crate) fn spec() -> StrategySpec {
        StrategySpec {
            name: Self::NAME,
            description: "Buy the favourite of markets ending within max_days when its price is above min_price.",
            parameters: vec![AMOUNT.spec(), MAX_DAYS.spec(), MIN_PRICE.spec()],
        }
    }

    pub(crate) fn from_params(params: &Params) -> Result<Self, StrategyConfigError> {
        let r = Reader::new(&Self::spec(), params)?;
        Ok(NearResolution {
            amount: r.usd(&AMOUNT)?,
            max_days: r.integer(&MAX_DAYS)?,
            min_price: r.price(&MIN_PRICE)?,
        })
    }

    fn pick(&self, market: &Market, now: DateTime<Utc>) -> Option<Pick> {
        let (yes, no) = tradable_prices(market)?;
        let end = market
            .end_date
            .or_else(|| market.event.as_ref().and_then(|e| e.event_end_date))?;
        let left = end.signed_duration_since(now);
        if left <= TimeDelta::zero() || left > TimeDelta::days(i64::from(self.max_days)) {
            return None;
        }
        let (action, price) = favourite(yes, no)?;
        if price <= self.min_price {
            return None;
        }
        let side = side(action);
        Some(Pick {
            prices: (yes, no),
            action,
            price,
            confidence: price.value() - Decimal::new(5, 1),
            reason: format!(
                "near_resolution: ends in {}h (within {} days), {side} price {} > {}, buying {side} at {}",
                left.num_hours(),
                self.max_days,
                p3(price),
                p3(self.min_price),
                p3(price)
            ),
        })
    }
}

impl Strategy for NearResolution {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn generate(
        &self,
        markets: &[Market],
        _history: &PriceHistory,
        now: DateTime<Utc>,
    ) -> Vec<Signal> {
        best_first(
            markets
                .iter()
                .filter_map(|m| Some(signal(Self::NAME, m, self.pick(m, now)?, self.amount, now))),
        )
    }
}
