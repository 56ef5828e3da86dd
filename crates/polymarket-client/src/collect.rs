//! Turning pages of raw Gamma events into decoded, de-duplicated events: one
//! record at a time, so a record that does not decode is skipped and counted,
//! never the whole page (SPEC §2 step 1). Shared by the live crawl and the
//! snapshot replay.

use crate::FetchStats;
use domain::gamma::{DecodeError, DecodedEvent, decode_event, decode_event_raw};
use domain::{Event, EventId, RawJson};
use serde_json::Value;
use std::collections::HashSet;

/// One record of a page, decoded or not.
pub(crate) type Decoded = Result<DecodedEvent, DecodeError>;

/// Decode every record of a page, each on its own (CPU work: the live crawl
/// runs it off the async runtime, overlapping the next page's request).
pub(crate) fn decode_page(records: &[Value]) -> Vec<Decoded> {
    records.iter().map(decode_event).collect()
}

/// Decode records kept as text, each on its own.
pub(crate) fn decode_raw_page(records: Vec<RawJson>) -> Vec<Decoded> {
    use rayon::prelude::*;
    // Each record decodes alone; in order, on every core (a snapshot's
    // thousand events are a third of a cycle decoded on one).
    records.into_par_iter().map(decode_event_raw).collect()
}

#[derive(Debug, Default)]
pub(crate) struct EventCollector {
    pub events: Vec<Event>,
    pub stats: FetchStats,
    seen: HashSet<EventId>,
}

impl EventCollector {
    /// Take in one decoded page: first-seen order, later copies of an id
    /// counted as duplicates, records (events or nested markets) that did not
    /// decode counted with their ids and logged.
    pub fn merge(&mut self, page: Vec<Decoded>) {
        for decoded in page {
            match decoded {
                Ok(decoded) => {
                    if self.seen.contains(&decoded.event.id) {
                        self.stats.duplicates += 1;
                        continue;
                    }
                    for skipped in &decoded.skipped_markets {
                        tracing::warn!(record = %skipped, "skipping a Gamma market that does not decode");
                    }
                    self.stats.skipped.extend(decoded.skipped_markets);
                    self.seen.insert(decoded.event.id.clone());
                    self.events.push(decoded.event);
                }
                Err(e) => {
                    tracing::warn!(record = %e, "skipping a Gamma event that does not decode");
                    self.stats.skipped.push(e);
                }
            }
        }
    }

    pub fn nested_markets(&self) -> usize {
        self.events.iter().map(|e| e.markets.len()).sum()
    }
}

/// What a JSON value is, for error messages that must not quote a whole body.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
