//! SPEC §2 step 3: the tradable binary markets of the filtered events, with
//! the event they were found under.

use domain::gamma::attach_event_context;
use domain::{EventContext, FilteredEvent, Market, MarketId};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Thresholds of the market filter. Every bound is inclusive; conviction is
/// `|yes − no|` ([`Market::conviction`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketFilter {
    pub min_liquidity: Decimal,
    pub min_volume: Decimal,
    pub min_volume_24hr: Option<Decimal>,
    pub min_conviction: Option<Decimal>,
    pub max_conviction: Option<Decimal>,
}

impl Default for MarketFilter {
    /// SPEC §2 step 3: liquidity 10 000, volume 50 000, no other bound.
    fn default() -> Self {
        MarketFilter {
            min_liquidity: Decimal::from(10_000),
            min_volume: Decimal::from(50_000),
            min_volume_24hr: None,
            min_conviction: None,
            max_conviction: None,
        }
    }
}

/// What the market filter kept, and why it dropped the rest. Each dropped
/// market is counted once, under the first rule it failed, in the order of the
/// fields, so `input == passed.len() + not_tradable + Σ rejected_*`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MarketFilterReport {
    /// In event order, then market order within the event; each carries the
    /// context of its event.
    pub passed: Vec<Market>,
    /// Every nested market of every filtered event.
    pub input: usize,
    /// Inactive, closed, not accepting orders, not exactly two outcomes, or
    /// without prices.
    pub not_tradable: usize,
    pub rejected_liquidity: usize,
    pub rejected_volume: usize,
    pub rejected_volume_24hr: usize,
    pub rejected_conviction: usize,
}

enum Rejection {
    NotTradable,
    Liquidity,
    Volume,
    Volume24hr,
    Conviction,
}

/// Filter every nested market of `events`. A missing liquidity or volume
/// counts as 0. The markets that pass get `event_id`, `event_title` and
/// `event_end_date` on [`Market::event`]; their `raw` stays a slice of the
/// event's text (the stores write the context into the records they
/// persist: re-writing every market's text was a second copy of the crawl's
/// markets, issue #13).
/// The events are taken: their markets that pass move into the report.
pub fn filter_markets(events: Vec<FilteredEvent>, filter: &MarketFilter) -> MarketFilterReport {
    let mut report = MarketFilterReport::default();
    for filtered in events {
        let event = filtered.event;
        for mut market in event.markets {
            report.input += 1;
            match check(&market, filter) {
                Ok(()) => {
                    market.event = Some(EventContext {
                        event_id: event.id.clone(),
                        event_title: event.title.clone(),
                        event_end_date: event.end_date,
                    });
                    report.passed.push(market);
                }
                Err(Rejection::NotTradable) => report.not_tradable += 1,
                Err(Rejection::Liquidity) => report.rejected_liquidity += 1,
                Err(Rejection::Volume) => report.rejected_volume += 1,
                Err(Rejection::Volume24hr) => report.rejected_volume_24hr += 1,
                Err(Rejection::Conviction) => report.rejected_conviction += 1,
            }
        }
    }
    tracing::debug!(
        input = report.input,
        passed = report.passed.len(),
        not_tradable = report.not_tradable,
        "filtered markets"
    );
    report
}

fn check(market: &Market, filter: &MarketFilter) -> Result<(), Rejection> {
    if !market.is_tradable_binary() {
        return Err(Rejection::NotTradable);
    }
    if market.liquidity.unwrap_or_default() < filter.min_liquidity {
        return Err(Rejection::Liquidity);
    }
    if market.volume.unwrap_or_default() < filter.min_volume {
        return Err(Rejection::Volume);
    }
    if let Some(min) = filter.min_volume_24hr {
        if market.volume_24hr.unwrap_or_default() < min {
            return Err(Rejection::Volume24hr);
        }
    }
    if filter.min_conviction.is_some() || filter.max_conviction.is_some() {
        // A tradable binary market always has both prices.
        let Some(conviction) = market.conviction() else {
            return Err(Rejection::Conviction);
        };
        if filter.min_conviction.is_some_and(|min| conviction < min)
            || filter.max_conviction.is_some_and(|max| conviction > max)
        {
            return Err(Rejection::Conviction);
        }
    }
    Ok(())
}

/// Gamma's `/markets` records do not carry the event they belong to (the
/// original lost it, so every downstream `event_*` field was null): copy it
/// onto each `detailed` record from the candidate with the same id (on
/// [`Market::event`]; the stores write it into the record they persist,
/// `domain::gamma::raw_with_context`, so `raw` is not copied). Records
/// without a candidate (or whose candidate has no context) keep what they
/// have. The order of `detailed` is kept.
///
/// The candidates are taken (only their contexts are kept), so a crawl's
/// markets are not held twice while the details are persisted.
pub fn carry_event_context(
    detailed: Vec<Market>,
    candidates: impl IntoIterator<Item = Market>,
) -> Vec<Market> {
    let mut contexts: HashMap<MarketId, EventContext> = HashMap::new();
    for candidate in candidates {
        if let Some(ctx) = candidate.event {
            // The first candidate of an id wins, as the first fetch did.
            contexts.entry(candidate.id).or_insert(ctx);
        }
    }
    detailed
        .into_iter()
        .map(|mut market| {
            if let Some(ctx) = contexts.get(&market.id) {
                attach_event_context(&mut market, ctx.clone());
            }
            market
        })
        .collect()
}
