//! *momentum*: follow the move. Compare a market's yes price now with the
//! oldest recorded price of a lookback window; a rise buys yes, a fall no.

use crate::params::{AMOUNT, ParamDef, ParamKind, Params, Reader, StrategyConfigError, dec};
use crate::signal::{Pick, best_first, p3, side, side_price, signal, tradable_prices};
use crate::{PriceHistory, Strategy, StrategySpec};
use chrono::{DateTime, TimeDelta, Utc};
use domain::{Action, Market, Price, Signal, Usd};

/// For each tradable binary market with at least `min_points` recorded
/// points in the `lookback_hours` before `now` (`[now − lookback, now)`),
/// `move = yes now − yes at the oldest of those points`: a move of at least
/// `+min_move` buys yes at its price, of at most `−min_move` buys no at its
/// price, for `amount`. Confidence is `|move|`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Momentum {
    pub amount: Usd,
    pub lookback_hours: u32,
    pub min_points: u32,
    pub min_move: Price,
}

const LOOKBACK_HOURS: ParamDef = ParamDef {
    name: "lookback_hours",
    kind: ParamKind::Integer,
    default: dec(24, 0),
    min: dec(1, 0),
    max: dec(24 * 90, 0),
    description: "hours of recorded history compared with the current price",
};

const MIN_POINTS: ParamDef = ParamDef {
    name: "min_points",
    kind: ParamKind::Integer,
    default: dec(3, 0),
    min: dec(1, 0),
    max: dec(100_000, 0),
    description: "recorded points the lookback window must hold, or the market is skipped",
};

const MIN_MOVE: ParamDef = ParamDef {
    name: "min_move",
    kind: ParamKind::Price,
    default: dec(5, 2),
    min: dec(1, 3),
    max: dec(5, 1),
    description: "smallest change of the yes price over the window that is followed",
};

impl Default for Momentum {
    fn default() -> Self {
        Momentum {
            amount: AMOUNT.default_usd(),
            lookback_hours: LOOKBACK_HOURS.default_integer(),
            min_points: MIN_POINTS.default_integer(),
            min_move: MIN_MOVE.default_price(),
        }
    }
}

impl Momentum {
    pub const NAME: &'static str = "momentum";

    pub(crate) fn spec() -> StrategySpec {
        StrategySpec {
            name: Self::NAME,
            description: "Follow the move: buy yes after the yes price rose by min_move over the lookback window, no after it fell.",
            parameters: vec![
                AMOUNT.spec(),
                LOOKBACK_HOURS.spec(),
                MIN_POINTS.spec(),
                MIN_MOVE.spec(),
            ],
        }
    }

    pub(crate) fn from_params(params: &Params) -> Result<Self, StrategyConfigError> {
        let r = Reader::new(&Self::spec(), params)?;
        Ok(Momentum {
            amount: r.usd(&AMOUNT)?,
            lookback_hours: r.integer(&LOOKBACK_HOURS)?,
            min_points: r.integer(&MIN_POINTS)?,
            min_move: r.price(&MIN_MOVE)?,
        })
    }

    fn pick(&self, market: &Market, history: &PriceHistory, now: DateTime<Utc>) -> Option<Pick> {
        let (yes, no) = tradable_prices(market)?;
        let from = now
            .checked_sub_signed(TimeDelta::hours(i64::from(self.lookback_hours)))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let window = history.window(&market.id, from, now);
        if window.len() < usize::try_from(self.min_points).unwrap_or(usize::MAX) {
            return None;
        }
        let reference = window.first()?.yes;
        let change = yes.value() - reference.value();
        let action = if change >= self.min_move.value() {
            Action::BuyYes
        } else if -change >= self.min_move.value() {
            Action::BuyNo
        } else {
            return None;
        };
        let price = side_price(action, yes, no);
        if price.value().is_zero() {
            return None;
        }
        let sign = if change.is_sign_negative() { "-" } else { "+" };
        let side = side(action);
        Some(Pick {
            prices: (yes, no),
            action,
            price,
            confidence: change.abs(),
            reason: format!(
                "momentum: YES {} -> {} ({sign}{:.3}) over {}h ({} points), buying {side} at {}",
                p3(reference),
                p3(yes),
                domain::money::round_dp(change.abs(), 3),
                self.lookback_hours,
                window.len(),
                p3(price)
            ),
        })
    }
}

impl Strategy for Momentum {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn lookback(&self) -> Option<TimeDelta> {
        Some(TimeDelta::hours(i64::from(self.lookback_hours)))
    }

    fn generate(
        &self,
        markets: &[Market],
        history: &PriceHistory,
        now: DateTime<Utc>,
    ) -> Vec<Signal> {
        best_first(markets.iter().filter_map(|m| {
            Some(signal(
                Self::NAME,
                m,
                self.pick(m, history, now)?,
                self.amount,
                now,
            ))
        }))
    }
}
