//! SPEC §2 step 4: the *most-likely* strategy. Buy the side the market thinks
//! is more likely, when it is above the threshold.

use crate::params::{AMOUNT, ParamDef, ParamKind, Params, Reader, StrategyConfigError, dec};
use crate::signal::{Pick, best_first, favourite, p3, side, signal, tradable_prices};
use crate::{PriceHistory, Strategy, StrategySpec};
use chrono::{DateTime, Utc};
use domain::money::round_dp;
use domain::{Market, Price, Signal, Usd};
use rust_decimal::Decimal;

/// Buys the larger side of every tradable binary market whose yes or no price
/// is above `threshold`, for `amount` each. Looks at no history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MostLikely {
    pub amount: Usd,
    pub threshold: Price,
}

const THRESHOLD: ParamDef = ParamDef {
    name: "threshold",
    kind: ParamKind::Price,
    default: dec(5, 1),
    min: dec(5, 1),
    max: dec(99, 2),
    description: "buy the larger side only when its price is above this",
};

impl Default for MostLikely {
    /// SPEC §2 step 4: 100 a trade, above 0.50.
    fn default() -> Self {
        MostLikely {
            amount: Usd::from_int(100),
            threshold: Price::half(),
        }
    }
}

impl MostLikely {
    pub const NAME: &'static str = "most_likely";

    pub(crate) fn spec() -> StrategySpec {
        StrategySpec {
            name: Self::NAME,
            description: "Buy the more likely side of every market whose price is above a threshold (the original strategy).",
            parameters: vec![AMOUNT.spec(), THRESHOLD.spec()],
        }
    }

    pub(crate) fn from_params(params: &Params) -> Result<Self, StrategyConfigError> {
        let r = Reader::new(&Self::spec(), params)?;
        Ok(MostLikely {
            amount: r.usd(&AMOUNT)?,
            threshold: r.price(&THRESHOLD)?,
        })
    }

    /// The pick for one market, if any. Markets that are not tradable
    /// (closed, not accepting orders, settled at 1.0, not binary, unpriced)
    /// give none; neither does a tie, which has no "larger side".
    fn pick(&self, market: &Market) -> Option<Pick> {
        let (yes, no) = tradable_prices(market)?;
        let (action, price) = favourite(yes, no)?;
        if price <= self.threshold {
            return None;
        }
        Some(Pick {
            prices: (yes, no),
            action,
            price,
            confidence: price.value() - Decimal::new(5, 1),
            reason: self.reason(side(action), price),
        })
    }

    /// The original's text: `"YES price 0.860 > 0.50, buying YES at 0.860"`.
    /// It does not name the strategy: the SPEC keeps the original's reason.
    fn reason(&self, side: &str, price: Price) -> String {
        let p = p3(price);
        let threshold = round_dp(self.threshold.value(), 2);
        format!("{side} price {p} > {threshold:.2}, buying {side} at {p}")
    }
}

impl Strategy for MostLikely {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn generate(
        &self,
        markets: &[Market],
        _history: &PriceHistory,
        now: DateTime<Utc>,
    ) -> Vec<Signal> {
        let signals = best_first(
            markets
                .iter()
                .filter_map(|m| Some(signal(Self::NAME, m, self.pick(m)?, self.amount, now))),
        );
        tracing::debug!(
            markets = markets.len(),
            signals = signals.len(),
            "most_likely"
        );
        signals
    }
}
