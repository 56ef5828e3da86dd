//! What every strategy does the same way: finding the favourite, building a
//! [`Signal`] from a market and the side picked, and ordering signals.

use chrono::{DateTime, Utc};
use domain::money::{round_confidence, round_dp};
use domain::{Action, Extra, Market, PortfolioId, Price, Signal, Usd};
use rust_decimal::Decimal;

/// The side a strategy buys in one market, and why.
pub(crate) struct Pick {
    /// The market's `(yes, no)` prices, as [`tradable_prices`] read them.
    pub prices: (Price, Price),
    pub action: Action,
    /// The price of the side bought (the signal's target price).
    pub price: Price,
    /// How strongly the strategy wants it; rounded to 4 dp on the signal.
    pub confidence: Decimal,
    pub reason: String,
}

/// The prices of a tradable binary market: `(yes, no)`. Markets that are not
/// tradable (closed, not accepting orders, not binary, unpriced) have none.
pub(crate) fn tradable_prices(market: &Market) -> Option<(Price, Price)> {
    if !market.is_tradable_binary() {
        return None;
    }
    Some((market.yes_price()?, market.no_price()?))
}

/// The strictly more likely side and its price; a tie has none.
pub(crate) fn favourite(yes: Price, no: Price) -> Option<(Action, Price)> {
    if yes > no {
        Some((Action::BuyYes, yes))
    } else if no > yes {
        Some((Action::BuyNo, no))
    } else {
        None
    }
}

/// The price of `action`'s side.
pub(crate) fn side_price(action: Action, yes: Price, no: Price) -> Price {
    match action {
        Action::BuyYes => yes,
        Action::BuyNo => no,
    }
}

/// `"YES"`/`"NO"`, whatever the outcome labels.
pub(crate) fn side(action: Action) -> &'static str {
    match action {
        Action::BuyYes => "YES",
        Action::BuyNo => "NO",
    }
}

/// A price as the reasons print it: 3 decimals, rounded half away from zero
/// (0.9995 prints as "1.000", as the original's `%.3f` did).
pub(crate) fn p3(price: Price) -> String {
    format!("{:.3}", round_dp(price.value(), 3))
}

/// A signal of the strategy `strategy` (its registry name) for `pick` in
/// `market`, for `amount`, at `now`, not executed. It belongs to the default
/// portfolio until the caller running the strategy for a portfolio says
/// otherwise.
pub(crate) fn signal(
    strategy: &str,
    market: &Market,
    pick: Pick,
    amount: Usd,
    now: DateTime<Utc>,
) -> Signal {
    let context = market.event.as_ref();
    Signal {
        portfolio_id: PortfolioId::default(),
        strategy: strategy.to_owned(),
        timestamp: now,
        market_id: market.id.clone(),
        market_question: market.question.clone(),
        action: pick.action,
        outcome: market.outcomes.get(pick.action.outcome_index()).cloned(),
        target_price: pick.price,
        amount,
        confidence: round_confidence(pick.confidence),
        reason: pick.reason,
        yes_price: pick.prices.0,
        no_price: pick.prices.1,
        market_liquidity: market.liquidity.map(Usd::new),
        market_volume: market.volume.map(Usd::new),
        event_id: context.map(|c| c.event_id.clone()),
        event_title: context.map(|c| c.event_title.clone()),
        event_end_date: context.and_then(|c| c.event_end_date),
        executed: false,
        executed_at: None,
        trade_id: None,
        extra: Extra::new(),
    }
}

/// Best first: confidence descending; equal confidence keeps market order.
/// The vector is sized for the most signals the iterator can give (one per
/// market): collected through a filter it would grow by doubling, up to half
/// of it spare, held through the rest of a cycle (issue #13).
pub(crate) fn best_first(signals: impl Iterator<Item = Signal>) -> Vec<Signal> {
    let mut out = Vec::with_capacity(signals.size_hint().1.unwrap_or(0));
    out.extend(signals);
    // Stable, like `sort_by_key`, but permuting in place: a merge sort's
    // scratch copy of ten thousand signals was this cycle's peak.
    out.sort_by_cached_key(|s| std::cmp::Reverse(s.confidence));
    out
}
