//! *longshot_fade*: longshots are overpriced (the favourite–longshot bias),
//! so sell them by buying the other side: yes below the cap → buy no.

use crate::params::{AMOUNT, ParamDef, ParamKind, Params, Reader, StrategyConfigError, dec};
use crate::signal::{Pick, best_first, p3, side, side_price, signal, tradable_prices};
use crate::{PriceHistory, Strategy, StrategySpec};
use chrono::{DateTime, Utc};
use domain::{Action, Market, Price, Signal, Usd};

/// When one side of a tradable binary market is priced below `cap` (and
/// below the other side), buys the other side at its price, for `amount`.
/// Confidence is `cap − longshot price`: the deeper the longshot, the
/// stronger. Looks at no history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongshotFade {
    pub amount: Usd,
    pub cap: Price,
}

const CAP: ParamDef = ParamDef {
    name: "cap",
    kind: ParamKind::Price,
    default: dec(10, 2),
    min: dec(1, 3),
    max: dec(5, 1),
    description: "a side priced below this is a longshot; its opposite is bought",
};

impl Default for LongshotFade {
    fn default() -> Self {
        LongshotFade {
            amount: AMOUNT.default_usd(),
            cap: CAP.default_price(),
        }
    }
}

impl LongshotFade {
    pub const NAME: &'static str = "longshot_fade";

    pub(crate) fn spec() -> StrategySpec {
        StrategySpec {
            name: Self::NAME,
            description: "Fade longshots: when one side is priced below a cap, buy the other side.",
            parameters: vec![AMOUNT.spec(), CAP.spec()],
        }
    }

    pub(crate) fn from_params(params: &Params) -> Result<Self, StrategyConfigError> {
        let r = Reader::new(&Self::spec(), params)?;
        Ok(LongshotFade {
            amount: r.usd(&AMOUNT)?,
            cap: r.price(&CAP)?,
        })
    }

    fn pick(&self, market: &Market) -> Option<Pick> {
        let (yes, no) = tradable_prices(market)?;
        let (longshot, action) = if yes < no {
            (yes, Action::BuyNo)
        } else if no < yes {
            (no, Action::BuyYes)
        } else {
            return None;
        };
        if longshot >= self.cap {
            return None;
        }
        let price = side_price(action, yes, no);
        if price.value().is_zero() {
            return None;
        }
        let faded = match action {
            Action::BuyYes => "NO",
            Action::BuyNo => "YES",
        };
        let side = side(action);
        Some(Pick {
            prices: (yes, no),
            action,
            price,
            confidence: self.cap.value() - longshot.value(),
            reason: format!(
                "longshot_fade: {faded} price {} < {}, buying {side} at {}",
                p3(longshot),
                p3(self.cap),
                p3(price)
            ),
        })
    }
}

impl Strategy for LongshotFade {
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
