//! Lenient decoding of Gamma payloads into [`Event`] and [`Market`]
//! (LEGACY-FORMATS §2). It lives here, not in the HTTP client, because the
//! client and both stores must read a Gamma object the same way.
//!
//! Gamma's quirks handled: numbers sent as JSON numbers or decimal strings
//! (the same field differs between event and market level); `outcomes`,
//! `outcomePrices` and `clobTokenIds` JSON-encoded inside strings; several
//! date formats; optional fields; unknown fields kept verbatim in `raw`.
//!
//! Every decoded record is checked whole against what the stores can hold
//! ([`crate::validate`]: id lengths, NUL characters anywhere in the object,
//! money ranges); one that breaks a rule is a [`DecodeError`], skipped and
//! counted like a record that does not parse. Numbers are parsed exactly: a
//! number with more digits than a `Decimal` keeps is refused, never rounded.

use crate::time::{NaiveZone, parse_timestamp};
use crate::validate::Validate;
use crate::{
    Event, EventContext, EventId, Extra, Market, MarketId, OutcomeTokens, Price, RawJson, TokenId,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use serde_json::value::RawValue;
use std::fmt;

/// A record that could not be decoded. It is skipped and counted, never the
/// whole page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// `"event"` or `"market"`.
    pub kind: &'static str,
    /// The record's id, when it has one.
    pub id: Option<String>,
    pub message: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{} {}: {}", self.kind, id, self.message),
            None => write!(f, "{} without id: {}", self.kind, self.message),
        }
    }
}

impl std::error::Error for DecodeError {}

/// A decoded event and the nested markets that were skipped.
#[derive(Clone, Debug)]
pub struct DecodedEvent {
    pub event: Event,
    pub skipped_markets: Vec<DecodeError>,
}

/// Decode one Gamma event object given as a tree (stores reading a file
/// whole, tests): written back to text once, then as [`decode_event_raw`].
pub fn decode_event(value: &Value) -> Result<DecodedEvent, DecodeError> {
    decode_event_raw(to_raw("event", value)?)
}

/// Decode one Gamma market object given as a tree (see [`decode_event`]).
pub fn decode_market(value: &Value) -> Result<Market, DecodeError> {
    decode_market_raw(to_raw("market", value)?)
}

fn to_raw(kind: &'static str, value: &Value) -> Result<RawJson, DecodeError> {
    if !value.is_object() {
        return Err(err(kind, None, "not a JSON object"));
    }
    RawJson::from_value(value).map_err(|e| err(kind, None, e.to_string()))
}

/// Decode one Gamma event object kept as text: only the fields Prescient
/// reads are parsed; the text itself becomes `raw`, and each nested market's
/// `raw` is a slice of it (one copy of the bytes). Nested markets that do not
/// decode are skipped and returned in `skipped_markets`.
pub fn decode_event_raw(raw: RawJson) -> Result<DecodedEvent, DecodeError> {
    let fields = known_fields(&raw, EVENT_FIELDS).map_err(|e| err("event", None, e))?;
    let obj = &fields.map;
    let id = record_id(obj).ok_or_else(|| err("event", None, "missing id"))?;
    let fail = |message: String| err("event", Some(&id), message);
    let items = match fields.markets {
        Nested::None => Vec::new(),
        Nested::Items(items) => items,
        Nested::NotArray => return Err(fail("`markets` is not an array".into())),
    };
    let mut markets = Vec::with_capacity(items.len());
    let mut skipped_markets = Vec::new();
    for item in items {
        match decode_market_raw(raw.slice(item.get())) {
            Ok(m) => markets.push(m),
            Err(e) => skipped_markets.push(e),
        }
    }
    let event = Event {
        title: string(obj, "title").unwrap_or_default(),
        slug: string(obj, "slug"),
        liquidity: decimal_field(obj, "liquidity").map_err(&fail)?,
        volume: decimal_field(obj, "volume").map_err(&fail)?,
        volume_24hr: decimal_field(obj, "volume24hr").map_err(&fail)?,
        start_date: date_field(obj, "startDate"),
        end_date: date_field(obj, "endDate"),
        active: bool_field(obj, "active"),
        closed: bool_field(obj, "closed"),
        markets,
        raw,
        id: EventId::new(id.clone()),
    };
    event.validate().map_err(|e| fail(e.to_string()))?;
    Ok(DecodedEvent {
        event,
        skipped_markets,
    })
}

/// Decode one Gamma market object kept as text (nested in an event or from
/// `/markets`); the text becomes `raw`.
pub fn decode_market_raw(raw: RawJson) -> Result<Market, DecodeError> {
    let fields = known_fields(&raw, MARKET_FIELDS).map_err(|e| err("market", None, e))?;
    let obj = &fields.map;
    let id = record_id(obj).ok_or_else(|| err("market", None, "missing id"))?;
    let fail = |message: String| err("market", Some(&id), message);
    let outcomes = string_list(obj, "outcomes")
        .map_err(&fail)?
        .unwrap_or_default();
    let outcome_prices = match string_list(obj, "outcomePrices").map_err(&fail)? {
        None => None,
        Some(items) => Some(
            items
                .iter()
                .map(|s| {
                    let d = parse_decimal(s)
                        .ok_or_else(|| format!("outcomePrices entry {s:?} is not a number"))?;
                    Price::new(d).map_err(|e| format!("outcomePrices: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(&fail)?,
        ),
    };
    if let Some(prices) = &outcome_prices {
        if !outcomes.is_empty() && prices.len() != outcomes.len() {
            return Err(fail(format!(
                "{} outcomes but {} prices",
                outcomes.len(),
                prices.len()
            )));
        }
    }
    let event = string(obj, "event_id").map(|event_id| EventContext {
        event_id: EventId::new(event_id),
        event_title: string(obj, "event_title").unwrap_or_default(),
        event_end_date: date_field(obj, "event_end_date"),
    });
    let market = Market {
        question: string(obj, "question").unwrap_or_default(),
        slug: string(obj, "slug"),
        outcomes,
        outcome_prices,
        liquidity: decimal_field(obj, "liquidity").map_err(&fail)?,
        volume: decimal_field(obj, "volume").map_err(&fail)?,
        volume_24hr: decimal_field(obj, "volume24hr").map_err(&fail)?,
        active: bool_field(obj, "active"),
        closed: bool_field(obj, "closed"),
        archived: bool_field(obj, "archived"),
        accepting_orders: bool_field(obj, "acceptingOrders"),
        end_date: date_field(obj, "endDate"),
        uma_resolution_status: string(obj, "umaResolutionStatus"),
        event,
        raw,
        id: MarketId::new(id.clone()),
    };
    market.validate().map_err(|e| fail(e.to_string()))?;
    Ok(market)
}

/// The event fields Prescient reads (`markets` is taken as text).
const EVENT_FIELDS: &[&str] = &[
    "id",
    "title",
    "slug",
    "liquidity",
    "volume",
    "volume24hr",
    "startDate",
    "endDate",
    "active",
    "closed",
];

/// The market fields Prescient reads.
const MARKET_FIELDS: &[&str] = &[
    "id",
    "question",
    "slug",
    "outcomes",
    "outcomePrices",
    "liquidity",
    "volume",
    "volume24hr",
    "active",
    "closed",
    "archived",
    "acceptingOrders",
    "endDate",
    "umaResolutionStatus",
    "event_id",
    "event_title",
    "event_end_date",
];

/// The fields of an object that decoding reads, as a small map, and the text
/// of its `markets` member; every other member is skipped unparsed.
struct KnownFields<'a> {
    map: Extra,
    markets: Nested<'a>,
}

/// An event's `markets` member: each item's text, read in the same pass as
/// the event's other members (the text is not scanned again to split it).
enum Nested<'a> {
    /// Absent or `null`.
    None,
    Items(Vec<&'a RawValue>),
    /// Present, but not an array.
    NotArray,
}

impl<'de> serde::Deserialize<'de> for Nested<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Nested<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of market objects")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element::<&'de RawValue>()? {
                    items.push(item);
                }
                Ok(Nested::Items(items))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Nested::None)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Nested::NotArray)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Nested::NotArray)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Nested::NotArray)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Nested::NotArray)
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Nested::NotArray)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Nested::NotArray)
            }
        }
        d.deserialize_any(V)
    }
}

fn known_fields<'a>(
    raw: &'a RawJson,
    wanted: &'static [&'static str],
) -> Result<KnownFields<'a>, String> {
    struct Visit(&'static [&'static str]);
    impl<'de> serde::de::Visitor<'de> for Visit {
        type Value = KnownFields<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut access: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = KnownFields {
                map: Extra::new(),
                markets: Nested::None,
            };
            while let Some(key) = access.next_key::<Key<'de>>()? {
                let key = key.as_str();
                if key == "markets" {
                    out.markets = access.next_value::<Nested<'de>>()?;
                } else if self.0.contains(&key) {
                    let value = access.next_value::<Value>()?;
                    out.map.insert(key.to_owned(), value);
                } else {
                    access.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let fields = serde::Deserializer::deserialize_any(&mut de, Visit(wanted)).map_err(|e| {
        if e.is_data() {
            "not a JSON object".to_owned()
        } else {
            e.to_string()
        }
    })?;
    de.end().map_err(|e| e.to_string())?;
    Ok(fields)
}

/// An object key, borrowed from the text unless it holds escapes.
enum Key<'a> {
    Borrowed(&'a str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Key::Borrowed(s))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Key::Owned(s.to_owned()))
            }
        }
        d.deserialize_str(V)
    }
}

/// The CLOB tokens of a market's two outcomes, from Gamma's `clobTokenIds`
/// (a JSON array of decimal strings inside a string, aligned with
/// `outcomes`: token 0 is "yes", token 1 "no"). `Ok(None)` when the market
/// has none (absent, null or empty); a value that is not two token ids is a
/// [`DecodeError`] naming the market.
///
/// Read from `raw` on demand (only this field is parsed), so the typed
/// [`Market`] every store builds stays as it is.
pub fn outcome_tokens(market: &Market) -> Result<Option<OutcomeTokens>, DecodeError> {
    let fail = |message: String| err("market", Some(market.id.as_str()), message);
    let fields = known_fields(&market.raw, &["clobTokenIds"]).map_err(&fail)?;
    let Some(ids) = string_list(&fields.map, "clobTokenIds").map_err(&fail)? else {
        return Ok(None);
    };
    let [yes, no] = ids.as_slice() else {
        return Err(fail(format!(
            "`clobTokenIds` holds {} token ids; a binary market has 2",
            ids.len()
        )));
    };
    let token = |s: &str| TokenId::parse(s).map_err(|e| fail(format!("`clobTokenIds`: {e}")));
    Ok(Some(OutcomeTokens {
        yes: token(yes)?,
        no: token(no)?,
    }))
}

/// Set the event a market was found under (LEGACY-FORMATS §1.3: the
/// original lost it). `raw` stays the text as received, shared with its
/// event: copying every passing market's text to add three fields was a
/// second copy of the crawl (issue #13). The stores write the context into
/// the record they persist ([`raw_with_context`]).
pub fn attach_event_context(market: &mut Market, context: EventContext) {
    market.event = Some(context);
}

/// The object a store persists for `market`: `raw` with its event context
/// written in (`event_id`, `event_title`, `event_end_date`; a key already
/// there keeps its place, every other member keeps its text), or `raw`
/// itself (shared, no copy) when it has no context. Made one record at a
/// time, as it is written.
pub fn raw_with_context(market: &Market) -> RawJson {
    raw_with_event(&market.raw, market.event.as_ref())
}

/// [`raw_with_context`] of a market's `raw` and `event`.
pub fn raw_with_event(raw: &RawJson, event: Option<&EventContext>) -> RawJson {
    let Some(context) = event else {
        return raw.clone();
    };
    // `raw` is an object (decoding checked it), so this cannot fail.
    raw.with_fields(&context_fields(context))
        .unwrap_or_else(|_| raw.clone())
}

/// [`raw_with_event`] written on one line straight to `out`, the members
/// appended to the text as it is (no new text per record).
pub fn write_with_event(
    raw: &RawJson,
    event: Option<&EventContext>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match event {
        Some(context) => raw.write_line_with(out, &context_fields(context)),
        None => raw.write_line(out),
    }
}

/// [`raw_with_context`] as a tree (for a store that takes one, JSONB): the
/// text is parsed once and the context set in the tree, not written into a
/// new text first.
pub fn value_with_context(market: &Market) -> Result<Value, serde_json::Error> {
    let mut value = market.raw.to_value()?;
    if let (Some(context), Value::Object(members)) = (&market.event, &mut value) {
        for (key, field) in context_fields(context) {
            // An existing key keeps its place, as `RawJson::with_fields` sets it.
            members.insert(key.to_owned(), field);
        }
    }
    Ok(value)
}

fn context_fields(context: &EventContext) -> [(&'static str, Value); 3] {
    let end = context
        .event_end_date
        .map(|d| Value::String(crate::time::format_timestamp(d)))
        .unwrap_or(Value::Null);
    [
        ("event_id", Value::String(context.event_id.to_string())),
        ("event_title", Value::String(context.event_title.clone())),
        ("event_end_date", end),
    ]
}

/// A decimal from a JSON number or a decimal string (`"1758359.76599"`,
/// `0`, `1e-7`). `None` for null, an empty string or anything else.
pub fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => parse_decimal(&n.to_string()),
        Value::String(s) => parse_decimal(s),
        _ => None,
    }
}

/// Parse a decimal written plainly or in scientific notation, exactly: text
/// with more digits than a `Decimal` holds (28 after the point, 28–29 in
/// all) is `None`, never rounded.
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    let s = s.trim();
    if let Ok(d) = Decimal::from_str_exact(s) {
        return Some(d);
    }
    let (base, _) = s.split_once(['e', 'E'])?;
    Decimal::from_str_exact(base).ok()?;
    Decimal::from_scientific(s).ok()
}

fn err(kind: &'static str, id: Option<&str>, message: impl Into<String>) -> DecodeError {
    DecodeError {
        kind,
        id: id.map(str::to_owned),
        message: message.into(),
    }
}

fn record_id(obj: &Extra) -> Option<String> {
    match obj.get("id")? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn string(obj: &Extra, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn bool_field(obj: &Extra, key: &str) -> bool {
    match obj.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A present numeric field that is not a number is an error (the record is
/// skipped); an absent, null or empty one is `None`.
fn decimal_field(obj: &Extra, key: &str) -> Result<Option<Decimal>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(v) => decimal(v)
            .map(Some)
            .ok_or_else(|| format!("`{key}` is not a number: {v}")),
    }
}

/// Dates Gamma cannot be trusted to fill: unparseable counts as absent.
fn date_field(obj: &Extra, key: &str) -> Option<DateTime<Utc>> {
    match obj.get(key)? {
        Value::String(s) => parse_timestamp(s, NaiveZone::default()),
        _ => None,
    }
}

/// A list sent either as a JSON array or as a JSON array encoded in a string
/// (`"[\"Yes\", \"No\"]"`). Items may be strings or numbers.
fn string_list(obj: &Extra, key: &str) -> Result<Option<Vec<String>>, String> {
    let parsed;
    let items = match obj.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => {
            parsed = serde_json::from_str::<Value>(s)
                .map_err(|e| format!("`{key}` holds no JSON array ({e}): {s:?}"))?;
            &parsed
        }
        Some(v) => v,
    };
    let Some(array) = items.as_array() else {
        return Err(format!("`{key}` is not an array"));
    };
    array
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(format!("`{key}` has a non-scalar item {other}")),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Resolution;
    use rust_decimal_macros::dec;
    use serde_json::json;

    fn market(extra: Value) -> Value {
        let mut base = json!({
            "id": "540206",
            "question": "Will the Arizona Cardinals win Super Bowl 2026?",
            "outcomes": "[\"Yes\", \"No\"]",
            "outcomePrices": "[\"0.0065\", \"0.9935\"]",
            "liquidity": "1758359.76599",
            "volume": "23286094.862589",
            "volume24hr": 10374216.164318996,
            "active": true, "closed": false, "acceptingOrders": true,
            "endDate": "2026-02-08T12:00:00Z",
            "clobTokenIds": "[\"42334954850219754195241248003172889699\"]",
            "someFutureField": {"nested": [1, 2]}
        });
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        base
    }

    #[test]
    fn strings_numbers_and_json_in_strings_decode() {
        let m = decode_market(&market(json!({}))).unwrap();
        assert_eq!(m.id.as_str(), "540206");
        assert_eq!(m.outcomes, vec!["Yes", "No"]);
        assert_eq!(m.yes_price().map(Price::value), Some(dec!(0.0065)));
        assert_eq!(m.liquidity, Some(dec!(1758359.76599)));
        assert_eq!(m.volume_24hr, Some(dec!(10374216.164318996)));
        assert!(m.is_tradable_binary());
        assert_eq!(
            m.raw.to_object().unwrap().get("someFutureField"),
            Some(&json!({"nested": [1, 2]}))
        );
        assert_eq!(m.conviction(), Some(dec!(0.987)));
    }

    #[test]
    fn clob_token_ids_are_read_aligned_with_the_outcomes() {
        let both = "[\"42334954850219754195241248003172889699\", \"7\"]";
        let m = decode_market(&market(json!({ "clobTokenIds": both }))).unwrap();
        let tokens = outcome_tokens(&m).unwrap().unwrap();
        assert_eq!(
            tokens.yes.as_str(),
            "42334954850219754195241248003172889699"
        );
        assert_eq!(tokens.of(crate::Outcome::No).as_str(), "7");
        // Sent as a plain array, it reads the same.
        let plain = decode_market(&market(json!({ "clobTokenIds": ["1", "2"] }))).unwrap();
        assert_eq!(outcome_tokens(&plain).unwrap().unwrap().no.as_str(), "2");

        for none in [json!(null), json!(""), json!("  ")] {
            let m = decode_market(&market(json!({ "clobTokenIds": none }))).unwrap();
            assert_eq!(outcome_tokens(&m).unwrap(), None);
        }
        let mut absent = market(json!({}));
        absent.as_object_mut().unwrap().remove("clobTokenIds");
        assert_eq!(
            outcome_tokens(&decode_market(&absent).unwrap()).unwrap(),
            None
        );

        // The market still decodes (the field is read on demand); the
        // accessor names the market and the cause.
        for (bad, cause) in [
            (json!("[\"1\"]"), "holds 1 token ids"),
            (json!("<string>"), "clobTokenIds"),
            (json!("[\"1\", \"abc\"]"), "not a token id"),
            (json!("[1e77, 2]"), "not a token id"),
            (json!({"yes": "1"}), "not an array"),
        ] {
            let m = decode_market(&market(json!({ "clobTokenIds": bad }))).unwrap();
            let e = outcome_tokens(&m).unwrap_err();
            assert_eq!(e.id.as_deref(), Some("540206"));
            assert!(e.message.contains(cause), "{e}");
        }
    }

    #[test]
    fn a_bad_number_or_price_is_a_decode_error_with_the_id() {
        let e = decode_market(&market(json!({"liquidity": "<string>"}))).unwrap_err();
        assert_eq!(e.id.as_deref(), Some("540206"));
        assert!(decode_market(&market(json!({"outcomePrices": "[\"1.5\", \"0\"]"}))).is_err());
        assert!(decode_market(&market(json!({"outcomePrices": "not json"}))).is_err());
        assert!(decode_market(&json!({"question": "no id"})).is_err());
        assert!(decode_market(&json!([1, 2])).is_err());
    }

    #[test]
    fn what_no_store_can_hold_is_a_decode_error_not_a_panic() {
        let long_id = "9".repeat(256);
        for (what, extra) in [
            ("a 256-character id", json!({"id": long_id})),
            (
                "a NUL in the question",
                json!({"question": "Will it\u{0}?"}),
            ),
            (
                "a NUL deep inside",
                json!({"clobRewards": [{"id": "\u{0}"}]}),
            ),
            ("liquidity beyond 10^13", json!({"liquidity": "5e28"})),
            ("volume beyond Decimal", json!({"volume": "1e40"})),
            (
                "more digits than Decimal keeps",
                json!({"volume": "0.12345678901234567890123456789"}),
            ),
            ("an event id too long", json!({"event_id": "e".repeat(300)})),
        ] {
            let e = decode_market(&market(extra)).expect_err(what);
            assert_eq!(e.kind, "market", "{what}");
        }
        // A date that does not parse is absent, whatever its last character.
        let m = decode_market(&market(json!({"endDate": "2026-02-08T12:00:00€"}))).unwrap();
        assert_eq!(m.end_date, None);
        let m = decode_market(&market(json!({"endDate": "2026-02-08T12:00:0😀"}))).unwrap();
        assert_eq!(m.end_date, None);
    }

    #[test]
    fn an_event_holding_what_no_store_can_keep_is_skipped_whole() {
        let v = json!({
            "id": "1", "title": "t\u{0}", "markets": [market(json!({}))]
        });
        assert!(decode_event(&v).is_err(), "raw JSONB cannot hold NUL");
        let v = json!({"id": "1", "slug": "s".repeat(501)});
        assert!(decode_event(&v).is_err());
        let v = json!({"id": "1", "liquidity": 5e28});
        assert!(decode_event(&v).is_err());
    }

    #[test]
    fn numbers_parse_exactly_or_not_at_all() {
        assert_eq!(
            parse_decimal("0.9999989889179475"),
            Some(dec!(0.9999989889179475))
        );
        assert_eq!(parse_decimal("1.2e3"), Some(dec!(1200)));
        assert_eq!(
            parse_decimal("5e28"),
            Some(Decimal::from_scientific("5e28").unwrap())
        );
        assert_eq!(parse_decimal("1e-30"), None);
        assert_eq!(parse_decimal("1e29"), None);
        assert_eq!(parse_decimal("0.12345678901234567890123456789"), None);
        assert_eq!(parse_decimal("NaN"), None);
        assert_eq!(parse_decimal("€"), None);
    }

    #[test]
    fn missing_prices_is_a_placeholder_not_an_error() {
        let mut v = market(json!({"active": false, "liquidity": "0"}));
        v.as_object_mut().unwrap().remove("outcomePrices");
        let m = decode_market(&v).unwrap();
        assert_eq!(m.outcome_prices, None);
        assert!(!m.is_tradable_binary());
    }

    #[test]
    fn resolution_needs_closed_and_a_decided_price() {
        let check = |closed: bool, prices: &str| {
            decode_market(&market(json!({"closed": closed, "outcomePrices": prices})))
                .unwrap()
                .resolution()
        };
        let settled = |a: Price, b: Price| Resolution::Settled { payout: [a, b] };
        assert_eq!(
            check(true, "[\"0\", \"1\"]"),
            settled(Price::ZERO, Price::ONE)
        );
        assert_eq!(
            check(true, "[\"0.9995\", \"0.0005\"]"),
            settled(Price::ONE, Price::ZERO)
        );
        assert_eq!(
            check(true, "[\"0.5\", \"0.5\"]"),
            settled(Price::half(), Price::half())
        );
        assert_eq!(check(true, "[\"0\", \"0\"]"), Resolution::Undecided);
        assert_eq!(check(false, "[\"0.999\", \"0.001\"]"), Resolution::Open);
    }

    #[test]
    fn events_skip_bad_nested_markets_and_keep_raw() {
        let v = json!({
            "id": "23656", "title": "Super Bowl Champion 2026",
            "liquidity": 22924218.59881, "volume": 311846722.482737,
            "endDate": "2026-02-08T12:00:00Z", "active": true, "closed": false,
            "markets": [market(json!({})), market(json!({"id": "2", "volume": "abc"}))]
        });
        let d = decode_event(&v).unwrap();
        assert_eq!(d.event.markets.len(), 1);
        assert_eq!(d.skipped_markets.len(), 1);
        assert_eq!(d.skipped_markets[0].id.as_deref(), Some("2"));
        assert_eq!(d.event.raw.to_value().unwrap(), v);
        assert_eq!(d.event.liquidity, Some(dec!(22924218.59881)));
    }

    #[test]
    fn an_events_markets_member_is_an_array_null_or_absent() {
        let event = |markets: Value| json!({"id": "7", "title": "t", "markets": markets});
        for (markets, count) in [
            (json!(null), 0),
            (json!([]), 0),
            (json!([market(json!({})), 5, "x"]), 1),
        ] {
            let d = decode_event(&event(markets.clone())).unwrap();
            assert_eq!(d.event.markets.len(), count, "{markets}");
            assert_eq!(d.skipped_markets.len(), if count == 1 { 2 } else { 0 });
        }
        assert_eq!(
            decode_event(&json!({"id": "7"}))
                .unwrap()
                .event
                .markets
                .len(),
            0
        );
        for markets in [
            json!(5),
            json!("[]"),
            json!({"a": [1]}),
            json!(true),
            json!(-1.5),
        ] {
            let e = decode_event(&event(markets.clone())).unwrap_err();
            assert_eq!(e.id.as_deref(), Some("7"), "{markets}");
            assert!(e.message.contains("`markets` is not an array"), "{e}");
        }
    }

    #[test]
    fn event_context_round_trips_through_raw() {
        let mut m = decode_market(&market(json!({}))).unwrap();
        let ctx = EventContext {
            event_id: "23656".into(),
            event_title: "Super Bowl Champion 2026".into(),
            event_end_date: parse_timestamp("2026-02-08T12:00:00Z", NaiveZone::default()),
        };
        attach_event_context(&mut m, ctx.clone());
        assert_eq!(m.raw.to_object().unwrap().get("event_id"), None);
        let again = decode_market_raw(raw_with_context(&m)).unwrap();
        assert_eq!(again.event, Some(ctx));
        assert_eq!(again, m);
        // Written again, a record that holds its context keeps it in place.
        assert_eq!(raw_with_context(&again).get(), again.raw.get());
        // As a tree, the same object.
        assert_eq!(
            value_with_context(&m).unwrap(),
            raw_with_context(&m).to_value().unwrap()
        );
        assert_eq!(
            value_with_context(&again).unwrap(),
            again.raw.to_value().unwrap()
        );
    }
}
