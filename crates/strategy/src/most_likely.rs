//! SPEC §2 step 4: the *most-likely* strategy. Buy the side the market thinks
//! is more likely, when it is above the threshold.

use crate::Strategy;
use chrono::{DateTime, Utc};
use domain::money::{round_confidence, round_dp};
use domain::{Action, Extra, Market, Price, Signal, Usd};
use rust_decimal::Decimal;

/// Buys the larger side of every tradable binary market whose yes or no price
/// is above `threshold`, for `amount` each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MostLikely {
    pub amount: Usd,
    pub threshold: Price,
}

impl Default for MostLikely {
    /// SPEC §2 step 4: 100 a trade, above 0.50.
    fn default() -> Self {
        MostLikely {
            amount: Usd::from_int(100),
            threshold: Price::half(),
        }
    }
}

impl Strategy for MostLikely {
    fn name(&self) -> &str {
        "most_likely"
    }

    fn generate(&self, markets: &[Market], now: DateTime<Utc>) -> Vec<Signal> {
        let mut signals: Vec<Signal> = markets
            .iter()
            .filter_map(|m| self.signal_for(m, now))
            .collect();
        // Stable: equal confidence keeps market order.
        signals.sort_by_key(|s| std::cmp::Reverse(s.confidence));
        tracing::debug!(
            markets = markets.len(),
            signals = signals.len(),
            "most_likely"
        );
        signals
    }
}

impl MostLikely {
    /// The signal for one market, if any. Markets that are not tradable
    /// (closed, not accepting orders, settled at 1.0, not binary, unpriced)
    /// give none; neither does a tie, which has no "larger side".
    fn signal_for(&self, market: &Market, now: DateTime<Utc>) -> Option<Signal> {
        if !market.is_tradable_binary() {
            return None;
        }
        let (yes, no) = (market.yes_price()?, market.no_price()?);
        let action = if yes > no && yes > self.threshold {
            Action::BuyYes
        } else if no > yes && no > self.threshold {
            Action::BuyNo
        } else {
            return None;
        };
        let price = match action {
            Action::BuyYes => yes,
            Action::BuyNo => no,
        };
        let context = market.event.as_ref();
        Some(Signal {
            timestamp: now,
            market_id: market.id.clone(),
            market_question: market.question.clone(),
            action,
            outcome: market.outcomes.get(action.outcome_index()).cloned(),
            target_price: price,
            amount: self.amount,
            confidence: round_confidence(price.value() - Decimal::new(5, 1)),
            reason: self.reason(action, price),
            yes_price: yes,
            no_price: no,
            market_liquidity: market.liquidity.map(Usd::new),
            market_volume: market.volume.map(Usd::new),
            event_id: context.map(|c| c.event_id.clone()),
            event_title: context.map(|c| c.event_title.clone()),
            event_end_date: context.and_then(|c| c.event_end_date),
            executed: false,
            executed_at: None,
            trade_id: None,
            extra: Extra::new(),
        })
    }

    /// The original's text: `"YES price 0.860 > 0.50, buying YES at 0.860"`.
    /// Prices show 3 decimals, rounded (0.9995 prints as "1.000", as Python's
    /// `%.3f` did); "YES"/"NO" name the side, whatever the outcome labels.
    fn reason(&self, action: Action, price: Price) -> String {
        let side = match action {
            Action::BuyYes => "YES",
            Action::BuyNo => "NO",
        };
        let p = round_dp(price.value(), 3);
        let threshold = round_dp(self.threshold.value(), 2);
        format!("{side} price {p:.3} > {threshold:.2}, buying {side} at {p:.3}")
    }
}
