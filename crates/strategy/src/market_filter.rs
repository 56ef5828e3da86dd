//! SPEC §2 step 3: the tradable binary markets of the filtered events, with
//! the event they were found under.

use domain::gamma::attach_event_context;
use domain::{EventContext, FilteredEvent, Market, MarketId};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};

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
    // Sized once for every market that could pass (a vector grown by
    // doubling holds up to twice its markets, and both buffers while it
    // grows: issue #13); what does not pass is given back at the end.
    let markets: usize = events.iter().map(|f| f.event.markets.len()).sum();
    report.passed.reserve_exact(markets);
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
    report.passed.shrink_to_fit();
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

/// What became of a candidate in [`carry_event_context`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carried {
    /// Replaced by its detailed record, its event context copied onto it.
    Detailed,
    /// No detailed record of its id: left as it was.
    Undetailed,
    /// An earlier candidate of the same id took the detailed record.
    Repeated,
}

/// Gamma's `/markets` records do not carry the event they belong to (the
/// original lost it, so every downstream `event_*` field was null): each
/// candidate is replaced, in place, by the `detailed` record with its id,
/// given the candidate's context (on [`Market::event`]; the stores write it
/// into the record they persist, `domain::gamma::raw_with_context`, so `raw`
/// is not copied; a candidate without context leaves the record's own). The
/// first candidate of an id takes the record; detailed records no candidate
/// asked for are dropped. In place: a crawl's candidates and their details
/// are not two vectors of markets (issue #13).
pub fn carry_event_context(candidates: &mut [Market], detailed: Vec<Market>) -> Vec<Carried> {
    let mut by_id: HashMap<MarketId, Market> =
        detailed.into_iter().map(|m| (m.id.clone(), m)).collect();
    let mut taken: HashSet<MarketId> = HashSet::new();
    candidates
        .iter_mut()
        .map(|candidate| match by_id.remove(&candidate.id) {
            Some(mut detail) => {
                if let Some(context) = candidate.event.take() {
                    attach_event_context(&mut detail, context);
                }
                *candidate = detail;
                taken.insert(candidate.id.clone());
                Carried::Detailed
            }
            None if taken.contains(&candidate.id) => Carried::Repeated,
            None => Carried::Undetailed,
        })
        .collect()
}
