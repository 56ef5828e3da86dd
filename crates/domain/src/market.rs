//! A Gamma market, its outcomes and prices, and when it counts as resolved.

use crate::gamma::DecodeError;
use crate::money::round_dp;
use crate::{EventId, MarketId, OutcomeTokens, Price, RawJson};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The event a market was found under. Gamma's `/markets` records do not carry
/// it; the cycle adds it during filtering and keeps it on the detailed record
/// (the original lost it, so every downstream `event_*` field was null).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventContext {
    pub event_id: EventId,
    pub event_title: String,
    pub event_end_date: Option<DateTime<Utc>>,
}

/// A Gamma market, typed where Prescient reads it and verbatim in `raw`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Market {
    pub id: MarketId,
    pub question: String,
    pub slug: Option<String>,
    /// Outcome labels; index 0 is "yes", 1 is "no", even when they are team names.
    pub outcomes: Vec<String>,
    /// Prices aligned with `outcomes`; `None` when Gamma sent none (placeholders).
    pub outcome_prices: Option<Vec<Price>>,
    pub liquidity: Option<Decimal>,
    pub volume: Option<Decimal>,
    pub volume_24hr: Option<Decimal>,
    pub active: bool,
    pub closed: bool,
    pub archived: bool,
    pub accepting_orders: bool,
    pub end_date: Option<DateTime<Utc>>,
    pub uma_resolution_status: Option<String>,
    pub event: Option<EventContext>,
    /// The object exactly as Gamma sent it. The event context is beside it
    /// in `event` until a store writes the record
    /// ([`crate::gamma::raw_with_context`]); read back, it is in both.
    pub raw: RawJson,
}

/// Equal when every typed field is and so is the record a store would
/// persist: a market read back holds its event context in `raw` too, the
/// one it was written from only in `event`.
impl PartialEq for Market {
    fn eq(&self, other: &Self) -> bool {
        let Market {
            id,
            question,
            slug,
            outcomes,
            outcome_prices,
            liquidity,
            volume,
            volume_24hr,
            active,
            closed,
            archived,
            accepting_orders,
            end_date,
            uma_resolution_status,
            event,
            raw,
        } = self;
        *id == other.id
            && *question == other.question
            && *slug == other.slug
            && *outcomes == other.outcomes
            && *outcome_prices == other.outcome_prices
            && *liquidity == other.liquidity
            && *volume == other.volume
            && *volume_24hr == other.volume_24hr
            && *active == other.active
            && *closed == other.closed
            && *archived == other.archived
            && *accepting_orders == other.accepting_orders
            && *end_date == other.end_date
            && *uma_resolution_status == other.uma_resolution_status
            && *event == other.event
            && (*raw == other.raw
                || crate::gamma::raw_with_context(self) == crate::gamma::raw_with_context(other))
    }
}

/// Whether a market has settled, and what a share of each outcome pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resolution {
    /// Still trading (or closed so recently that no price is final).
    Open,
    /// Settled: a share of outcome 0 pays `payout[0]`, of outcome 1 `payout[1]`.
    Settled { payout: [Price; 2] },
    /// Closed, but the prices name no winner (e.g. `["0","0"]`): stays open and
    /// is reported.
    Undecided,
}

impl Market {
    /// Price of outcome 0 ("yes").
    pub fn yes_price(&self) -> Option<Price> {
        self.price(0)
    }

    /// Price of outcome 1 ("no").
    pub fn no_price(&self) -> Option<Price> {
        self.price(1)
    }

    pub fn price(&self, outcome: usize) -> Option<Price> {
        self.outcome_prices.as_ref()?.get(outcome).copied()
    }

    /// The CLOB tokens of its two outcomes, from Gamma's `clobTokenIds`
    /// ([`crate::gamma::outcome_tokens`]): `None` when Gamma sent none.
    pub fn outcome_tokens(&self) -> Result<Option<OutcomeTokens>, DecodeError> {
        crate::gamma::outcome_tokens(self)
    }

    /// `|yes − no|`, the market's conviction.
    pub fn conviction(&self) -> Option<Decimal> {
        let (yes, no) = (self.yes_price()?, self.no_price()?);
        Some(round_dp((yes.value() - no.value()).abs(), 6))
    }

    pub fn is_binary(&self) -> bool {
        self.outcomes.len() == 2 && self.outcome_prices.as_ref().is_some_and(|p| p.len() == 2)
    }

    /// SPEC §2 step 3: only tradable binary markets are traded: active, not
    /// closed, accepting orders, exactly two outcomes with prices.
    pub fn is_tradable_binary(&self) -> bool {
        self.active && !self.closed && self.accepting_orders && self.is_binary()
    }

    /// SPEC §3: resolved when closed, binary, and one price ≥ 0.999 while the
    /// other is ≤ 0.001 (winner pays 1, loser 0); 0.5/0.5 pays 0.5 a share. An
    /// open market at 0.999 is not resolved.
    pub fn resolution(&self) -> Resolution {
        if !self.closed {
            return Resolution::Open;
        }
        let (Some(a), Some(b)) = (self.yes_price(), self.no_price()) else {
            return Resolution::Undecided;
        };
        if !self.is_binary() {
            return Resolution::Undecided;
        }
        let high = Decimal::new(999, 3);
        let low = Decimal::new(1, 3);
        let half = Price::half();
        if a.value() >= high && b.value() <= low {
            Resolution::Settled {
                payout: [Price::ONE, Price::ZERO],
            }
        } else if b.value() >= high && a.value() <= low {
            Resolution::Settled {
                payout: [Price::ZERO, Price::ONE],
            }
        } else if a == half && b == half {
            Resolution::Settled {
                payout: [half, half],
            }
        } else {
            Resolution::Undecided
        }
    }
}
