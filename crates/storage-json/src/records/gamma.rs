//! `events/raw_events_backup.json`, `events/filtered_events.json` and
//! `markets/filtered_markets.json` (LEGACY-FORMATS §1.1–1.3): Gamma objects
//! exactly as received (`Event::raw`, `Market::raw`), decoded on load with
//! `domain::gamma` so the client and every store read them the same way.
//!
//! Raw events are written compact, one event per line inside the array:
//! pretty-printing them was half of the original's cycle time (SPEC §2).

use super::Located;
use domain::gamma::{DecodeError, decode_event, decode_market};
use domain::{Event, EventContext, FilteredEvent, Market, RawJson, StoreError, Validate};
use serde_json::Value;
use std::io::{self, Write};

/// The key filtered events carry on top of the raw event.
const DAYS_UNTIL_END: &str = "days_until_end";

fn invalid(location: &str, line: usize, index: usize, e: DecodeError) -> StoreError {
    StoreError::InvalidRecord {
        location: format!("{location} line {line}"),
        key: e
            .id
            .clone()
            .map(|id| format!("{} {id}", e.kind))
            .unwrap_or_else(|| format!("{} [{index}]", e.kind)),
        message: e.message,
    }
}

pub(crate) fn decode_events(
    location: &str,
    values: Vec<Located<Value>>,
) -> Result<Vec<Event>, StoreError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            decode_event(&v.record)
                .map(|d| d.event)
                .map_err(|e| invalid(location, v.line, i, e))
        })
        .collect()
}

pub(crate) fn decode_filtered_events(
    location: &str,
    values: Vec<Located<Value>>,
) -> Result<Vec<FilteredEvent>, StoreError> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let line = v.line;
            let mut value = v.record;
            let days = value
                .as_object_mut()
                .and_then(|o| o.remove(DAYS_UNTIL_END))
                .and_then(|d| d.as_i64().or_else(|| d.as_f64().map(|f| f.floor() as i64)));
            let event = decode_event(&value)
                .map(|d| d.event)
                .map_err(|e| invalid(location, line, i, e))?;
            let filtered = FilteredEvent {
                event,
                days_until_end: days,
            };
            filtered.validate().map_err(|e| StoreError::InvalidRecord {
                location: format!("{location} line {line}"),
                key: format!("event {}", filtered.event.id),
                message: e.to_string(),
            })?;
            Ok(filtered)
        })
        .collect()
}

pub(crate) fn decode_markets(
    location: &str,
    values: Vec<Located<Value>>,
) -> Result<Vec<Market>, StoreError> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| decode_market(&v.record).map_err(|e| invalid(location, v.line, i, e)))
        .collect()
}

/// `[\n{event},\n{event}\n]\n`: compact objects, one per line, each the
/// event's text as received: copied, never re-serialized.
pub(crate) fn write_raw_events(out: &mut dyn Write, events: &[RawJson]) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, raw) in events.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        out.write_all(raw.get().as_bytes())?;
    }
    out.write_all(if events.is_empty() { b"]\n" } else { b"\n]\n" })
}

/// `events/filtered_events.json` in the layout of [`write_raw_events`]:
/// each filtered event's text with `days_until_end` added at the end, every
/// other member copied as text.
pub(crate) fn write_filtered_events(
    out: &mut dyn Write,
    events: &[(RawJson, Option<i64>)],
) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, (raw, days)) in events.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        let days = days.map(Value::from).unwrap_or(Value::Null);
        raw.write_line_with(out, &[(DAYS_UNTIL_END, days)])?;
    }
    out.write_all(if events.is_empty() { b"]\n" } else { b"\n]\n" })
}

/// `markets/filtered_markets.json`: `[\n  {market},\n  {market}\n]\n`, the
/// layout `serde_json`'s pretty printer gives an array of raw texts (each
/// object on one line, as [`RawJson`] serializes), streamed record by record:
/// no buffer of the whole file (a crawl's detailed markets are tens of MB).
/// Each record gets its event context as it is written
/// (`domain::gamma::raw_with_event`), one record's copy at a time.
pub(crate) fn write_filtered_markets(
    out: &mut dyn Write,
    markets: &[(RawJson, Option<EventContext>)],
) -> io::Result<()> {
    if markets.is_empty() {
        return out.write_all(b"[]\n");
    }
    out.write_all(b"[")?;
    for (i, (raw, event)) in markets.iter().enumerate() {
        out.write_all(if i == 0 { b"\n  " } else { b",\n  " })?;
        domain::gamma::write_with_event(raw, event.as_ref(), out)?;
    }
    out.write_all(b"\n]\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The streamed file is byte for byte what the pretty printer wrote
    /// before it (a pretty-printed record is put on one line).
    #[test]
    fn filtered_markets_stream_as_the_pretty_printer_wrote_them() {
        let raws = [
            RawJson::parse(r#"{"id": "1", "q": "a,b"}"#.into()).unwrap(),
            RawJson::parse("{\n  \"id\": \"2\",\n  \"n\": [1, 2]\n}".into()).unwrap(),
        ];
        let records: Vec<_> = raws.iter().map(|r| (r.clone(), None)).collect();
        for (markets, records) in [
            (&raws[..], &records[..]),
            (&raws[..1], &records[..1]),
            (&[], &[]),
        ] {
            let mut streamed = Vec::new();
            write_filtered_markets(&mut streamed, records).unwrap();
            let mut pretty = serde_json::to_vec_pretty(markets).unwrap();
            pretty.push(b'\n');
            assert_eq!(
                String::from_utf8(streamed).unwrap(),
                String::from_utf8(pretty).unwrap()
            );
        }
    }

    #[test]
    fn days_until_end_is_appended_and_read_back() {
        let raw = RawJson::parse(r#"{"id": "1", "title": "t"}"#.into()).unwrap();
        let mut out = Vec::new();
        write_filtered_events(&mut out, &[(raw.clone(), Some(37)), (raw, None)]).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "[\n{\"id\": \"1\", \"title\": \"t\",\"days_until_end\":37},\n{\"id\": \"1\", \"title\": \"t\",\"days_until_end\":null}\n]\n"
        );
    }
}
