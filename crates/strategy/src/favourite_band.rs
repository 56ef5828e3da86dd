//! *favourite_band*: buy the favourite only while its price sits in a band,
//! e.g. 0.70–0.90 — likely enough to win often, cheap enough to pay.

use crate::params::{AMOUNT, ParamDef, ParamKind, Params, Reader, StrategyConfigError, dec};
use crate::signal::{Pick, best_first, favourite, p3, side, signal, tradable_prices};
use crate::{PriceHistory, Strategy, StrategySpec};
use chrono::{DateTime, Utc};
use domain::{Market, Price, Signal, Usd};
use rust_decimal::Decimal;

/// Buys the strictly larger side of a tradable binary market when its price
/// is in `[low, high]`, for `amount`. Confidence is `price − 0.50`. Looks at
/// no history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FavouriteBand {
    pub amount: Usd,
    pub low: Price,
    pub high: Price,
}

const LOW: ParamDef = ParamDef {
    name: "low",
    kind: ParamKind::Price,
    default: dec(70, 2),
    min: dec(5, 1),
    max: dec(1, 0),
    description: "lowest price of the favourite bought (inclusive)",
};

const HIGH: ParamDef = ParamDef {
    name: "high",
    kind: ParamKind::Price,
    default: dec(90, 2),
    min: dec(5, 1),
    max: dec(1, 0),
    description: "highest price of the favourite bought (inclusive)",
};

impl Default for FavouriteBand {
    fn default() -> Self {
        FavouriteBand {
            amount: AMOUNT.default_usd(),
            low: LOW.default_price(),
            high: HIGH.default_price(),
        }
    }
}

impl FavouriteBand {
    pub const NAME: &'static str = "favourite_band";

    pub(crate) fn spec() -> StrategySpec {
        StrategySpec {
            name: Self::NAME,
            description: "Buy the favourite only when its price is within a band [low, high].",
            parameters: vec![AMOUNT.spec(), LOW.spec(), HIGH.spec()],
        }
    }

    pub(crate) fn from_params(params: &Params) -> Result<Self, StrategyConfigError> {
        let r = Reader::new(&Self::spec(), params)?;
        let (low, high) = (r.price(&LOW)?, r.price(&HIGH)?);
        if low > high {
            return Err(r.inconsistent(format!("low {low} is above high {high}")));
        }
        Ok(FavouriteBand {
            amount: r.usd(&AMOUNT)?,
            low,
            high,
        })
    }

    fn pick(&self, market: &Market) -> Option<Pick> {
        let (yes, no) = tradable_prices(market)?;
        let (action, price) = favourite(yes, no)?;
        if price < self.low || price > self.high {
            return None;
        }
        let side = side(action);
        Some(Pick {
            prices: (yes, no),
            action,
            price,
            confidence: price.value() - Decimal::new(5, 1),
            reason: format!(
                "favourite_band: {side} price {} in [{}, {}], buying {side} at {}",
                p3(price),
                p3(self.low),
                p3(self.high),
                p3(price)
            ),
        })
    }
}

impl Strategy for FavouriteBand {
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
                .filter_map(|m| Some(signal(Self::NAME, m, self.pick(m)?, self.amount, now))),
        )
    }
}
