//! [`TradeRecord`] read in one pass. The derived `Deserialize` of a struct
//! with `#[serde(flatten)]` buffers every field of every record as a
//! generic value before it decodes a known one; a trade file is the largest
//! file a backfill or a verify reads, so the fields are matched here as
//! they come. What it accepts and gives is the derive's: the same required
//! fields, defaults, duplicate-field errors, and every other field kept in
//! `extra` in the file's order (a repeated one: its last value). The test
//! below holds it to that.

use super::TradeRecord;
use crate::num::Num;
use domain::Extra;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;

impl<'de> Deserialize<'de> for TradeRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RecordVisitor)
    }
}

/// A key of a trade record: a field of [`TradeRecord`], or one it keeps in
/// `extra`.
enum Field {
    TradeId,
    Timestamp,
    MarketId,
    MarketQuestion,
    Action,
    Amount,
    EntryPrice,
    Confidence,
    Reason,
    Status,
    EventId,
    EventTitle,
    EventEndDate,
    CurrentPnl,
    RealizedPnl,
    Outcome,
    Shares,
    Strategy,
    ClosedAt,
    Other(String),
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(FieldVisitor)
    }
}

struct FieldVisitor;

impl Visitor<'_> for FieldVisitor {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
        Ok(match v {
            "trade_id" => Field::TradeId,
            "timestamp" => Field::Timestamp,
            "market_id" => Field::MarketId,
            "market_question" => Field::MarketQuestion,
            "action" => Field::Action,
            "amount" => Field::Amount,
            "entry_price" => Field::EntryPrice,
            "confidence" => Field::Confidence,
            "reason" => Field::Reason,
            "status" => Field::Status,
            "event_id" => Field::EventId,
            "event_title" => Field::EventTitle,
            "event_end_date" => Field::EventEndDate,
            "current_pnl" => Field::CurrentPnl,
            "realized_pnl" => Field::RealizedPnl,
            "outcome" => Field::Outcome,
            "shares" => Field::Shares,
            "strategy" => Field::Strategy,
            "closed_at" => Field::ClosedAt,
            other => Field::Other(other.to_owned()),
        })
    }
}

struct RecordVisitor;

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = TradeRecord;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct TradeRecord")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TradeRecord, A::Error> {
        let mut trade_id: Option<String> = None;
        let mut timestamp: Option<String> = None;
        let mut market_id: Option<String> = None;
        let mut market_question: Option<String> = None;
        let mut action: Option<String> = None;
        let mut amount: Option<Num> = None;
        let mut entry_price: Option<Num> = None;
        let mut confidence: Option<Option<Num>> = None;
        let mut reason: Option<Option<String>> = None;
        let mut status: Option<String> = None;
        let mut event_id: Option<Option<String>> = None;
        let mut event_title: Option<Option<String>> = None;
        let mut event_end_date: Option<Option<String>> = None;
        let mut current_pnl: Option<Option<Num>> = None;
        let mut realized_pnl: Option<Option<Num>> = None;
        let mut outcome: Option<Option<String>> = None;
        let mut shares: Option<Option<Num>> = None;
        let mut strategy: Option<String> = None;
        let mut closed_at: Option<Option<String>> = None;
        let mut extra = Extra::new();
        // Each known field once, as the derive refuses a second.
        macro_rules! once {
            ($slot:ident, $name:literal) => {{
                if $slot.is_some() {
                    return Err(de::Error::duplicate_field($name));
                }
                $slot = Some(map.next_value()?);
            }};
        }
        while let Some(key) = map.next_key::<Field>()? {
            match key {
                Field::TradeId => once!(trade_id, "trade_id"),
                Field::Timestamp => once!(timestamp, "timestamp"),
                Field::MarketId => once!(market_id, "market_id"),
                Field::MarketQuestion => once!(market_question, "market_question"),
                Field::Action => once!(action, "action"),
                Field::Amount => once!(amount, "amount"),
                Field::EntryPrice => once!(entry_price, "entry_price"),
                Field::Confidence => once!(confidence, "confidence"),
                Field::Reason => once!(reason, "reason"),
                Field::Status => once!(status, "status"),
                Field::EventId => once!(event_id, "event_id"),
                Field::EventTitle => once!(event_title, "event_title"),
                Field::EventEndDate => once!(event_end_date, "event_end_date"),
                Field::CurrentPnl => once!(current_pnl, "current_pnl"),
                Field::RealizedPnl => once!(realized_pnl, "realized_pnl"),
                Field::Outcome => once!(outcome, "outcome"),
                Field::Shares => once!(shares, "shares"),
                Field::Strategy => once!(strategy, "strategy"),
                Field::ClosedAt => once!(closed_at, "closed_at"),
                Field::Other(name) => {
                    let value = map.next_value()?;
                    extra.insert(name, value);
                }
            }
        }
        fn required<T, E: de::Error>(v: Option<T>, name: &'static str) -> Result<T, E> {
            v.ok_or_else(|| de::Error::missing_field(name))
        }
        Ok(TradeRecord {
            trade_id: required(trade_id, "trade_id")?,
            timestamp: required(timestamp, "timestamp")?,
            market_id: required(market_id, "market_id")?,
            market_question: market_question.unwrap_or_default(),
            action: required(action, "action")?,
            amount: required(amount, "amount")?,
            entry_price: required(entry_price, "entry_price")?,
            confidence: confidence.flatten(),
            reason: reason.flatten(),
            status: required(status, "status")?,
            event_id: event_id.flatten(),
            event_title: event_title.flatten(),
            event_end_date: event_end_date.flatten(),
            current_pnl: current_pnl.flatten(),
            realized_pnl: realized_pnl.flatten(),
            outcome: outcome.flatten(),
            shares: shares.flatten(),
            strategy: strategy.unwrap_or_else(domain::signal::legacy_strategy),
            closed_at: closed_at.flatten(),
            extra,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The record as the derive read it before: the reference.
    #[derive(Debug, Deserialize)]
    struct Derived {
        trade_id: String,
        timestamp: String,
        market_id: String,
        #[serde(default)]
        market_question: String,
        action: String,
        amount: Num,
        entry_price: Num,
        #[serde(default)]
        confidence: Option<Num>,
        #[serde(default)]
        reason: Option<String>,
        status: String,
        #[serde(default)]
        event_id: Option<String>,
        #[serde(default)]
        event_title: Option<String>,
        #[serde(default)]
        event_end_date: Option<String>,
        #[serde(default)]
        current_pnl: Option<Num>,
        #[serde(default)]
        realized_pnl: Option<Num>,
        #[serde(default)]
        outcome: Option<String>,
        #[serde(default)]
        shares: Option<Num>,
        #[serde(default = "domain::signal::legacy_strategy")]
        strategy: String,
        #[serde(default)]
        closed_at: Option<String>,
        #[serde(flatten)]
        extra: Extra,
    }

    impl From<Derived> for TradeRecord {
        fn from(d: Derived) -> Self {
            TradeRecord {
                trade_id: d.trade_id,
                timestamp: d.timestamp,
                market_id: d.market_id,
                market_question: d.market_question,
                action: d.action,
                amount: d.amount,
                entry_price: d.entry_price,
                confidence: d.confidence,
                reason: d.reason,
                status: d.status,
                event_id: d.event_id,
                event_title: d.event_title,
                event_end_date: d.event_end_date,
                current_pnl: d.current_pnl,
                realized_pnl: d.realized_pnl,
                outcome: d.outcome,
                shares: d.shares,
                strategy: d.strategy,
                closed_at: d.closed_at,
                extra: d.extra,
            }
        }
    }

    /// Both readings of `text`: the same record, or both an error.
    fn check(text: &str) {
        let ours = serde_json::from_str::<TradeRecord>(text).map(|r| format!("{r:?}"));
        let derived =
            serde_json::from_str::<Derived>(text).map(|r| format!("{:?}", TradeRecord::from(r)));
        match (ours, derived) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("{text}: ours {a:?}, derived {b:?}"),
        }
    }

    #[test]
    fn a_full_record_and_a_legacy_one_read_as_the_derive_reads_them() {
        check(
            r#"{"trade_id": "t1", "timestamp": "2025-01-02T03:04:05", "market_id": "m",
                "market_question": "Q?", "action": "BUY_YES", "amount": 10.5,
                "entry_price": "0.123456", "confidence": 0.7, "reason": null,
                "status": "OPEN", "event_id": "e", "event_title": "E",
                "event_end_date": null, "current_pnl": 0.0, "realized_pnl": null,
                "outcome": "Yes", "shares": 85.05, "strategy": "s", "closed_at": null,
                "note": {"a": [1, 2.5, "x"]}, "zeta": true}"#,
        );
        check(
            r#"{"trade_id": "t2", "timestamp": "x", "market_id": "m", "action": "BUY_NO",
                "amount": 1, "entry_price": 0.5, "status": "CLOSED"}"#,
        );
    }

    /// Required fields, one of each kind of value in every field, unknown
    /// and repeated fields in any order.
    fn field() -> impl Strategy<Value = (String, String)> {
        let names = prop::sample::select(vec![
            "trade_id",
            "timestamp",
            "market_id",
            "market_question",
            "action",
            "amount",
            "entry_price",
            "confidence",
            "reason",
            "status",
            "event_id",
            "event_end_date",
            "current_pnl",
            "outcome",
            "shares",
            "strategy",
            "closed_at",
            "extra",
            "other",
        ]);
        let values = prop::sample::select(vec![
            "\"text\"",
            "\"0.25\"",
            "null",
            "1",
            "-2.5",
            "1e400",
            "\"not a number\"",
            "[1, {\"a\": null}]",
            "{\"k\": \"v\"}",
            "true",
        ]);
        (names, values).prop_map(|(n, v)| (n.to_owned(), v.to_owned()))
    }

    proptest! {
        #[test]
        fn any_object_reads_as_the_derive_reads_it(
            fields in prop::collection::vec(field(), 0..12),
            base in proptest::bool::ANY,
        ) {
            let mut all: Vec<(String, String)> = Vec::new();
            if base {
                for (n, v) in [("trade_id", "\"t\""), ("timestamp", "\"t\""), ("market_id", "\"m\""),
                               ("action", "\"BUY_YES\""), ("amount", "1"), ("entry_price", "0.5"),
                               ("status", "\"OPEN\"")] {
                    all.push((n.to_owned(), v.to_owned()));
                }
            }
            all.extend(fields);
            let body: Vec<String> = all.iter().map(|(n, v)| format!("\"{n}\": {v}")).collect();
            check(&format!("{{{}}}", body.join(", ")));
        }
    }
}
