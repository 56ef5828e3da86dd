//! A Gamma event with its nested markets.

use crate::{EventId, Market, RawJson};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A Gamma event, typed where Prescient reads it and verbatim in `raw`
/// (including the nested `markets` array exactly as received).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub title: String,
    pub slug: Option<String>,
    pub liquidity: Option<Decimal>,
    pub volume: Option<Decimal>,
    pub volume_24hr: Option<Decimal>,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub active: bool,
    pub closed: bool,
    /// The nested markets that decoded; the ones that did not are counted by
    /// the decoder and left out here (they stay in `raw`).
    pub markets: Vec<Market>,
    pub raw: RawJson,
}

/// An event that passed the event filter, with the days left until it ends
/// (`null` in the file when `endDate` is missing or unparseable).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FilteredEvent {
    pub event: Event,
    pub days_until_end: Option<i64>,
}
