//! Lenient numbers and the checks that turn legacy fields into domain values.
//!
//! The original wrote `"amount": 100` (int), `0.9999989889179475` (float) and,
//! for Gamma-derived values, numeric strings; all three parse. We write JSON
//! numbers: an int when the value is integral (as Python did for `amount`),
//! otherwise the shortest float that reads back to the identical `Decimal`.
//! Values are kept to 2 dp (money) / 6 dp (prices), far inside f64's 15
//! significant digits; anything that would not survive the float is written as
//! a numeric string, which still parses.

use chrono::{DateTime, NaiveDate, Utc};
use domain::money::exact_confidence;
use domain::time::{NaiveZone, format_timestamp, parse_timestamp};
use domain::{Action, PositionStatus, Price, Shares, StoreError, Usd, Validate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Number, Value};
use std::fmt;
use std::str::FromStr;

/// A number field as the legacy files hold it: int, float or numeric string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Num(pub Decimal);

impl From<Decimal> for Num {
    fn from(d: Decimal) -> Self {
        Num(d)
    }
}

impl From<Usd> for Num {
    fn from(u: Usd) -> Self {
        Num(u.value())
    }
}

impl From<Price> for Num {
    fn from(p: Price) -> Self {
        Num(p.value())
    }
}

/// The JSON value a decimal is written as (see the module docs).
pub(crate) fn number_value(d: Decimal) -> Value {
    let n = d.normalize();
    if n.scale() == 0 {
        if let Some(i) = n.to_i64() {
            return Value::from(i);
        }
    }
    let text = n.to_string();
    if let Ok(f) = text.parse::<f64>() {
        if let Some(num) = Number::from_f64(f) {
            if Decimal::from_str(&f.to_string()).ok() == Some(n) {
                return Value::Number(num);
            }
        }
    }
    Value::String(text)
}

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        number_value(self.0).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumVisitor)
    }
}

struct NumVisitor;

impl Visitor<'_> for NumVisitor {
    type Value = Num;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a numeric string")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Num, E> {
        Ok(Num(Decimal::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Num, E> {
        Ok(Num(Decimal::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Num, E> {
        // The shortest text that reads back to this float is what the writer
        // meant: 0.9999989889179475, 10000.0 → 10000.
        domain::gamma::parse_decimal(&v.to_string())
            .map(Num)
            .ok_or_else(|| E::custom(format!("number {v:e} has more digits than can be kept")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Num, E> {
        domain::gamma::parse_decimal(v).map(Num).ok_or_else(|| {
            let shown: String = v.chars().take(40).collect();
            E::custom(format!(
                "{shown:?} is not a number that can be kept exactly"
            ))
        })
    }
}

/// Where a record sits (file and line) and which one it is (its key), for
/// errors.
pub(crate) struct RecordCtx<'a> {
    pub location: &'a str,
    /// The line the record starts on, when known.
    pub line: Option<usize>,
    pub key: String,
    pub zone: NaiveZone,
}

impl RecordCtx<'_> {
    /// The file, and the line when known: `…/paper_trades.json line 14`.
    pub(crate) fn place(&self) -> String {
        match self.line {
            Some(line) => format!("{} line {line}", self.location),
            None => self.location.to_owned(),
        }
    }

    pub(crate) fn invalid(&self, message: impl Into<String>) -> StoreError {
        StoreError::InvalidRecord {
            location: self.place(),
            key: self.key.clone(),
            message: message.into(),
        }
    }

    /// The record, checked whole against what every store can hold.
    pub(crate) fn validate<T: Validate>(&self, record: T) -> Result<T, StoreError> {
        record.validate().map_err(|e| self.invalid(e.to_string()))?;
        Ok(record)
    }

    /// A price as written, every digit kept.
    pub(crate) fn price(&self, field: &str, n: Num) -> Result<Price, StoreError> {
        Price::exact(n.0).map_err(|e| self.invalid(format!("`{field}` {e}")))
    }

    /// An amount as written, every digit kept.
    pub(crate) fn usd(&self, field: &str, n: Num) -> Result<Usd, StoreError> {
        Usd::exact(n.0).map_err(|e| self.invalid(format!("`{field}` {e}")))
    }

    pub(crate) fn opt_usd(&self, field: &str, n: Option<Num>) -> Result<Option<Usd>, StoreError> {
        n.map(|n| self.usd(field, n)).transpose()
    }

    /// Shares as written, every digit kept.
    pub(crate) fn shares(&self, field: &str, n: Num) -> Result<Shares, StoreError> {
        Shares::exact(n.0).map_err(|e| self.invalid(format!("`{field}` {e}")))
    }

    pub(crate) fn confidence(&self, field: &str, n: Num) -> Result<Decimal, StoreError> {
        exact_confidence(n.0).map_err(|e| self.invalid(format!("`{field}` {e}")))
    }

    pub(crate) fn opt_price(
        &self,
        field: &str,
        n: Option<Num>,
    ) -> Result<Option<Price>, StoreError> {
        n.map(|n| self.price(field, n)).transpose()
    }

    pub(crate) fn time(&self, field: &str, s: &str) -> Result<DateTime<Utc>, StoreError> {
        parse_timestamp(s, self.zone)
            .ok_or_else(|| self.invalid(format!("`{field}` is not a timestamp: {s:?}")))
    }

    pub(crate) fn opt_time(
        &self,
        field: &str,
        s: Option<&str>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        s.map(|s| self.time(field, s)).transpose()
    }

    pub(crate) fn date(&self, field: &str, s: &str) -> Result<NaiveDate, StoreError> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|e| self.invalid(format!("`{field}` is not a YYYY-MM-DD date ({e}): {s:?}")))
    }

    pub(crate) fn action(&self, s: &str) -> Result<Action, StoreError> {
        Action::from_str(s).map_err(|e| self.invalid(e.to_string()))
    }

    pub(crate) fn status(&self, s: &str) -> Result<PositionStatus, StoreError> {
        PositionStatus::parse(s)
            .ok_or_else(|| self.invalid(format!("unknown status {s:?} (expected open or closed)")))
    }

    pub(crate) fn count<T: TryFrom<u64>>(&self, field: &str, n: Num) -> Result<T, StoreError> {
        n.0.to_u64()
            .filter(|_| n.0.fract().is_zero())
            .and_then(|v| T::try_from(v).ok())
            .ok_or_else(|| self.invalid(format!("`{field}` is not a count: {}", n.0)))
    }
}

pub(crate) fn time_text(t: DateTime<Utc>) -> String {
    format_timestamp(t)
}

/// A timestamp's canonical text for key indexes: the same instant always maps
/// to the same key, whatever format the file holds it in.
pub(crate) fn time_key(s: &str, zone: NaiveZone) -> String {
    parse_timestamp(s, zone)
        .map(format_timestamp)
        .unwrap_or_else(|| s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ints_floats_and_strings_parse_and_write_back_identically() {
        let cases = [
            (json!(100), "100"),
            (json!(10000.0), "10000"),
            (json!(0.9999989889179475), "0.9999989889179475"),
            (json!("1758359.76599"), "1758359.76599"),
            (json!(-12.5), "-12.5"),
        ];
        for (input, expected) in cases {
            let n: Num = serde_json::from_value(input.clone()).unwrap();
            assert_eq!(n.0, Decimal::from_str(expected).unwrap(), "{input}");
            let again: Num = serde_json::from_value(serde_json::to_value(n).unwrap()).unwrap();
            assert_eq!(again, n, "{input}");
        }
        assert_eq!(number_value(Decimal::new(10000, 2)), json!(100));
        assert_eq!(number_value(Decimal::new(999999, 6)), json!(0.999999));
        assert!(serde_json::from_value::<Num>(json!("abc")).is_err());
        assert!(serde_json::from_value::<Num>(json!(null)).is_err());
        assert!(
            serde_json::from_value::<Num>(json!(1e300)).is_err(),
            "not rounded"
        );
        assert!(
            serde_json::from_value::<Num>(json!(1e-30)).is_err(),
            "not rounded"
        );
    }
}
