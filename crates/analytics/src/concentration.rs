//! Where a portfolio's open money sits: its share by event and by tag.

use crate::ratio;
use domain::{EventId, Portfolio, TradeEvent, TradeId, Usd};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The open amount of one position, with what it is grouped by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exposure {
    /// The capital put in.
    pub amount: Usd,
    pub event_id: Option<EventId>,
    /// The tags of its event (Gamma's event `tags` labels).
    pub tags: Vec<String>,
}

/// The open positions of `portfolio` as exposures: the event from each
/// position's trade (joined by trade id; `None` when the trade is not given
/// or carries none) and the tags `tags_by_event` gives that event.
pub fn open_exposures(
    portfolio: &Portfolio,
    trades: &[TradeEvent],
    tags_by_event: &HashMap<EventId, Vec<String>>,
) -> Vec<Exposure> {
    let by_trade: HashMap<&TradeId, &TradeEvent> =
        trades.iter().map(|t| (&t.trade_id, t)).collect();
    portfolio
        .open_positions()
        .map(|p| {
            let event_id = by_trade.get(&p.trade_id).and_then(|t| t.event_id.clone());
            let tags = event_id
                .as_ref()
                .and_then(|e| tags_by_event.get(e))
                .cloned()
                .unwrap_or_default();
            Exposure {
                amount: p.amount,
                event_id,
                tags,
            }
        })
        .collect()
}

/// One group's part of the open amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Share {
    /// The event id or tag; `None` for positions without one.
    pub key: Option<String>,
    pub amount: Usd,
    /// `amount / total open amount`, to [`crate::RATIO_DP`] places.
    pub share: Decimal,
}

/// Open exposure by event and by tag, each largest first (ties by key,
/// `None` last).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Concentration {
    /// Σ open amounts.
    pub total: Usd,
    /// The shares add up to 1 (give or take the rounding).
    pub by_event: Vec<Share>,
    /// A position counts under each tag of its event, so these shares may
    /// add up to more than 1; untagged positions are under `None`.
    pub by_tag: Vec<Share>,
}

/// How concentrated `exposures` are. Empty (total 0) without open money.
pub fn concentration(exposures: &[Exposure]) -> Concentration {
    let total: Usd = exposures.iter().map(|e| e.amount).sum();
    let mut events: BTreeMap<Option<String>, Usd> = BTreeMap::new();
    let mut tags: BTreeMap<Option<String>, Usd> = BTreeMap::new();
    for e in exposures {
        *events
            .entry(e.event_id.as_ref().map(|id| id.to_string()))
            .or_default() += e.amount;
        if e.tags.is_empty() {
            *tags.entry(None).or_default() += e.amount;
        }
        let mut seen: Vec<&String> = Vec::new();
        for tag in &e.tags {
            if !seen.contains(&tag) {
                seen.push(tag);
                *tags.entry(Some(tag.clone())).or_default() += e.amount;
            }
        }
    }
    Concentration {
        total,
        by_event: shares(events, total),
        by_tag: shares(tags, total),
    }
}

fn shares(groups: BTreeMap<Option<String>, Usd>, total: Usd) -> Vec<Share> {
    if !total.is_positive() {
        return Vec::new();
    }
    let mut out: Vec<Share> = groups
        .into_iter()
        .map(|(key, amount)| Share {
            share: ratio(amount.value(), total.value()).unwrap_or(Decimal::ZERO),
            key,
            amount,
        })
        .collect();
    out.sort_by(|a, b| {
        b.amount
            .cmp(&a.amount)
            .then_with(|| a.key.is_none().cmp(&b.key.is_none()))
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}
