//! What a record must satisfy for every store to hold it (SPEC §5): the
//! column limits of the schema, as one set of rules. Each edge applies them
//! once, where a record enters — `gamma` when it decodes a Gamma object, the
//! JSON store when it reads a file, the PostgreSQL store when it reads a row —
//! and both stores again before they write, so a value that PostgreSQL could
//! not take is refused where it arrives instead of failing later as a dead
//! letter.
//!
//! The limits, and the columns they come from (`migration/`):
//! - ids (`trade_id`, `market_id`, `event_id`, a signal's or trade's
//!   `strategy`): non-empty, at most [`ID_LEN`] characters (`VARCHAR(255)`);
//! - portfolio ids: a name of 1 to [`PortfolioId::MAX_LEN`] characters out
//!   of `a-z0-9_-` ([`portfolio_id`]): the JSON layout names a directory
//!   after it, so a portfolio any store holds can be backed up to JSON;
//! - event slugs: at most [`SLUG_LEN`] characters (`VARCHAR(500)`);
//! - text and JSON: no NUL character anywhere (PostgreSQL's `TEXT` and
//!   `JSONB` refuse `\u0000`), keys of `extra`/`raw` objects included;
//! - money below [`MONEY_LIMIT`], shares in [0, [`SHARES_LIMIT`]), confidence
//!   below [`CONFIDENCE_LIMIT`] (`money`), prices in [0, 1] (their type);
//! - counts at most [`INTEGER_MAX`] (`INTEGER`);
//! - instants and dates in years 1–9999 ([`crate::time::is_storable`]).
//!
//! Plus the rules of the records themselves: a trade or position has a
//! positive amount and positive shares; a portfolio holds each trade id once.

use crate::money::{CONFIDENCE_LIMIT, MONEY_LIMIT, SHARES_LIMIT};
use crate::time::{FIRST_YEAR, LAST_YEAR, is_storable};
use crate::{
    Event, Extra, FilteredEvent, Market, MarketSnapshot, Portfolio, PortfolioHistoryEntry,
    PortfolioId, PortfolioSnapshot, Position, Shares, Signal, SignalArchive, Trade,
    TradeSettlement, Usd,
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::HashSet;
use std::fmt;

/// `VARCHAR(255)`: trade, market, event and portfolio ids.
pub const ID_LEN: usize = 255;
/// `VARCHAR(500)`: an event's slug.
pub const SLUG_LEN: usize = 500;
/// `INTEGER`: trade counts, open positions, days until end.
pub const INTEGER_MAX: u64 = i32::MAX as u64;

/// The first rule a record breaks: which field, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The field, with the path into nested records (`positions[1].shares`).
    pub field: String,
    pub problem: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.problem)
    }
}

impl std::error::Error for Invalid {}

impl Invalid {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Invalid {
            field: field.into(),
            problem: problem.into(),
        }
    }

    /// The same problem, one level down: `positions[1]` + `shares`.
    pub fn inside(self, parent: impl fmt::Display) -> Self {
        Invalid {
            field: format!("{parent}.{}", self.field),
            problem: self.problem,
        }
    }
}

/// A record that can be checked whole against the rules above.
pub trait Validate {
    fn validate(&self) -> Result<(), Invalid>;
}

/// The result of a rule check: `Ok`, or the first rule broken.
pub(crate) type Check = Result<(), Invalid>;

/// An id: non-empty, at most [`ID_LEN`] characters, no NUL.
pub fn id(field: &str, value: &str) -> Check {
    if value.trim().is_empty() {
        return Err(Invalid::new(field, "is empty"));
    }
    bounded(field, value, ID_LEN)
}

/// A portfolio id: 1 to [`PortfolioId::MAX_LEN`] characters, each one of
/// `a-z`, `0-9`, `_`, `-` (so it is a safe directory name, never `..`).
pub fn portfolio_id(field: &str, value: &str) -> Check {
    if value.is_empty() {
        return Err(Invalid::new(field, "is empty"));
    }
    let len = value.chars().count();
    if len > PortfolioId::MAX_LEN {
        return Err(Invalid::new(
            field,
            format!(
                "has {len} characters; a portfolio id has at most {}",
                PortfolioId::MAX_LEN
            ),
        ));
    }
    match value
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '_' | '-'))
    {
        Some(c) => Err(Invalid::new(
            field,
            format!("{value:?} holds {c:?}; a portfolio id is made of a-z, 0-9, _ and - only"),
        )),
        None => Ok(()),
    }
}

/// Text of at most `max` characters (PostgreSQL counts characters), no NUL.
pub fn bounded(field: &str, value: &str, max: usize) -> Check {
    let chars = value.chars().count();
    if chars > max {
        return Err(Invalid::new(
            field,
            format!("has {chars} characters; at most {max} fit"),
        ));
    }
    text(field, value)
}

/// Text without a NUL character.
pub fn text(field: &str, value: &str) -> Check {
    match value.find('\0') {
        Some(at) => Err(Invalid::new(
            field,
            format!("holds a NUL character at byte {at}, which no store can keep"),
        )),
        None => Ok(()),
    }
}

fn opt<T: ?Sized>(value: Option<&T>, check: impl FnOnce(&T) -> Check) -> Check {
    value.map_or(Ok(()), check)
}

/// An amount of money below [`MONEY_LIMIT`] in magnitude.
pub fn money(field: &str, value: Usd) -> Check {
    decimal_below(field, value.value(), MONEY_LIMIT, "10^13")
}

/// A raw Gamma number kept in a money column.
pub fn money_decimal(field: &str, value: Decimal) -> Check {
    decimal_below(field, value, MONEY_LIMIT, "10^13")
}

fn decimal_below(field: &str, value: Decimal, limit: Decimal, text: &str) -> Check {
    if value.abs() >= limit {
        return Err(Invalid::new(
            field,
            format!("{value} is too large: it must stay below {text}"),
        ));
    }
    Ok(())
}

/// An amount that must be positive (a trade, a position).
pub fn positive_money(field: &str, value: Usd) -> Check {
    money(field, value)?;
    if !value.is_positive() {
        return Err(Invalid::new(field, format!("{value} must be positive")));
    }
    Ok(())
}

/// Shares in (0, [`SHARES_LIMIT`]).
pub fn positive_shares(field: &str, value: Shares) -> Check {
    let v = value.value();
    if v <= Decimal::ZERO {
        return Err(Invalid::new(field, format!("{v} must be positive")));
    }
    decimal_below(field, v, SHARES_LIMIT, "10^14")
}

/// A confidence below [`CONFIDENCE_LIMIT`] in magnitude.
pub fn confidence(field: &str, value: Decimal) -> Check {
    decimal_below(field, value, CONFIDENCE_LIMIT, "10")
}

/// An instant in years 1–9999.
pub fn instant(field: &str, value: DateTime<Utc>) -> Check {
    if is_storable(value) {
        return Ok(());
    }
    Err(Invalid::new(
        field,
        format!("{value} is outside years {FIRST_YEAR}-{LAST_YEAR}"),
    ))
}

/// A date in years 1–9999.
pub fn date(field: &str, value: NaiveDate) -> Check {
    if (FIRST_YEAR..=LAST_YEAR).contains(&value.year()) {
        return Ok(());
    }
    Err(Invalid::new(
        field,
        format!("{value} is outside years {FIRST_YEAR}-{LAST_YEAR}"),
    ))
}

/// A count that fits an `INTEGER` column.
pub fn count(field: &str, value: u64) -> Check {
    if value > INTEGER_MAX {
        return Err(Invalid::new(
            field,
            format!("{value} is too large: at most {INTEGER_MAX} fit"),
        ));
    }
    Ok(())
}

/// A signed day count that fits an `INTEGER` column.
pub fn days(field: &str, value: i64) -> Check {
    if i32::try_from(value).is_err() {
        return Err(Invalid::new(field, format!("{value} does not fit INTEGER")));
    }
    Ok(())
}

/// A JSON object kept verbatim (`extra`, Gamma's `raw`): no NUL in any key
/// or string, at any depth.
pub fn json_object(field: &str, value: &Extra) -> Check {
    for (k, v) in value {
        text(field, k).map_err(|_| {
            Invalid::new(
                field,
                format!("has a key with a NUL character ({k:?}), which no store can keep"),
            )
        })?;
        json_value(&format!("{field}.{k}"), v)?;
    }
    Ok(())
}

fn json_value(field: &str, value: &Value) -> Check {
    match value {
        Value::String(s) => text(field, s),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| json_value(&format!("{field}[{i}]"), v)),
        Value::Object(map) => json_object(field, map),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

impl Validate for Trade {
    fn validate(&self) -> Check {
        id("trade_id", self.trade_id.as_str())?;
        portfolio_id("portfolio_id", self.portfolio_id.as_str())?;
        id("strategy", &self.strategy)?;
        instant("timestamp", self.timestamp)?;
        id("market_id", self.market_id.as_str())?;
        text("market_question", &self.market_question)?;
        opt(self.outcome.as_deref(), |s| text("outcome", s))?;
        positive_money("amount", self.amount)?;
        positive_shares("shares", self.shares)?;
        confidence("confidence", self.confidence)?;
        opt(self.reason.as_deref(), |s| text("reason", s))?;
        opt(self.event_id.as_ref(), |e| id("event_id", e.as_str()))?;
        opt(self.event_title.as_deref(), |s| text("event_title", s))?;
        opt(self.event_end_date.as_ref(), |t| {
            instant("event_end_date", *t)
        })?;
        opt(self.current_pnl.as_ref(), |u| money("current_pnl", *u))?;
        opt(self.realized_pnl.as_ref(), |u| money("realized_pnl", *u))?;
        opt(self.closed_at.as_ref(), |t| instant("closed_at", *t))?;
        json_object("extra", &self.extra)
    }
}

impl Validate for TradeSettlement {
    fn validate(&self) -> Check {
        portfolio_id("portfolio_id", self.portfolio_id.as_str())?;
        id("trade_id", self.trade_id.as_str())?;
        opt(self.realized_pnl.as_ref(), |u| money("realized_pnl", *u))?;
        opt(self.closed_at.as_ref(), |t| instant("closed_at", *t))
    }
}

impl Validate for Position {
    fn validate(&self) -> Check {
        id("trade_id", self.trade_id.as_str())?;
        id("market_id", self.market_id.as_str())?;
        text("market_question", &self.market_question)?;
        opt(self.outcome.as_deref(), |s| text("outcome", s))?;
        positive_money("amount", self.amount)?;
        positive_shares("shares", self.shares)?;
        instant("entry_timestamp", self.entry_timestamp)?;
        opt(self.current_pnl.as_ref(), |u| money("current_pnl", *u))?;
        opt(self.realized_pnl.as_ref(), |u| money("realized_pnl", *u))?;
        opt(self.exit_timestamp.as_ref(), |t| {
            instant("exit_timestamp", *t)
        })?;
        json_object("extra", &self.extra)
    }
}

impl Validate for Portfolio {
    fn validate(&self) -> Check {
        portfolio_id("id", self.id.as_str())?;
        money("initial_balance", self.initial_balance)?;
        money("balance", self.balance)?;
        money("total_invested", self.total_invested)?;
        money("total_profit_loss", self.total_profit_loss)?;
        count("trade_count", self.trade_count)?;
        instant("created_at", self.created_at)?;
        instant("last_updated", self.last_updated)?;
        opt(self.last_price_update.as_ref(), |t| {
            instant("last_price_update", *t)
        })?;
        json_object("extra", &self.extra)?;
        let mut seen = HashSet::new();
        for (i, p) in self.positions.iter().enumerate() {
            let at = || format!("positions[{i}] ({})", p.trade_id);
            p.validate().map_err(|e| e.inside(at()))?;
            if !seen.insert(p.trade_id.as_str()) {
                return Err(Invalid::new(
                    format!("{}.trade_id", at()),
                    "is held by an earlier position too: a trade opens one position",
                ));
            }
        }
        count("positions", self.positions.len() as u64)
    }
}

impl Validate for Signal {
    fn validate(&self) -> Check {
        portfolio_id("portfolio_id", self.portfolio_id.as_str())?;
        id("strategy", &self.strategy)?;
        instant("timestamp", self.timestamp)?;
        id("market_id", self.market_id.as_str())?;
        text("market_question", &self.market_question)?;
        opt(self.outcome.as_deref(), |s| text("outcome", s))?;
        money("amount", self.amount)?;
        confidence("confidence", self.confidence)?;
        text("reason", &self.reason)?;
        opt(self.market_liquidity.as_ref(), |u| {
            money("market_liquidity", *u)
        })?;
        opt(self.market_volume.as_ref(), |u| money("market_volume", *u))?;
        opt(self.event_id.as_ref(), |e| id("event_id", e.as_str()))?;
        opt(self.event_title.as_deref(), |s| text("event_title", s))?;
        opt(self.event_end_date.as_ref(), |t| {
            instant("event_end_date", *t)
        })?;
        opt(self.executed_at.as_ref(), |t| instant("executed_at", *t))?;
        opt(self.trade_id.as_ref(), |t| id("trade_id", t.as_str()))?;
        json_object("extra", &self.extra)
    }
}

impl Validate for PortfolioHistoryEntry {
    fn validate(&self) -> Check {
        portfolio_id("portfolio_id", self.portfolio_id.as_str())?;
        date("date", self.date)?;
        instant("timestamp", self.timestamp)?;
        money("balance", self.balance)?;
        money("total_invested", self.total_invested)?;
        money("total_profit_loss", self.total_profit_loss)?;
        money("total_value", self.total_value)?;
        count("open_positions", u64::from(self.open_positions))?;
        count("trade_count", self.trade_count)?;
        json_object("extra", &self.extra)
    }
}

impl Validate for PortfolioSnapshot {
    fn validate(&self) -> Check {
        portfolio_id("portfolio_id", self.portfolio_id.as_str())?;
        instant("timestamp", self.timestamp)?;
        money("balance", self.balance)?;
        money("total_invested", self.total_invested)?;
        money("total_profit_loss", self.total_profit_loss)?;
        count("trade_count", self.trade_count)
    }
}

impl Validate for SignalArchive {
    fn validate(&self) -> Check {
        portfolio_id("portfolio_id", self.portfolio_id.as_str())?;
        instant("archived_at", self.archived_at)?;
        if !is_month(&self.month) {
            return Err(Invalid::new(
                "month",
                format!("{:?} is not YYYY-MM", self.month),
            ));
        }
        count("signals_count", self.signals.len() as u64)?;
        for (i, s) in self.signals.iter().enumerate() {
            let at = || format!("signals[{i}] (market {})", s.market_id);
            s.validate().map_err(|e| e.inside(at()))?;
            if s.portfolio_id != self.portfolio_id {
                return Err(Invalid::new(
                    format!("{}.portfolio_id", at()),
                    format!(
                        "is {}, but the archive is portfolio {}'s",
                        s.portfolio_id, self.portfolio_id
                    ),
                ));
            }
        }
        json_object("extra", &self.extra)
    }
}

impl Validate for MarketSnapshot {
    fn validate(&self) -> Check {
        id("market_id", self.market_id.as_str())?;
        instant("timestamp", self.timestamp)?;
        opt(self.liquidity.as_ref(), |u| money("liquidity", *u))?;
        opt(self.volume.as_ref(), |u| money("volume", *u))?;
        opt(self.volume_24hr.as_ref(), |u| money("volume_24hr", *u))?;
        opt(self.conviction.as_ref(), |c| confidence("conviction", *c))
    }
}

impl Validate for Market {
    fn validate(&self) -> Check {
        id("id", self.id.as_str())?;
        opt(self.liquidity.as_ref(), |d| money_decimal("liquidity", *d))?;
        opt(self.volume.as_ref(), |d| money_decimal("volume", *d))?;
        opt(self.volume_24hr.as_ref(), |d| {
            money_decimal("volume24hr", *d)
        })?;
        if let Some(e) = &self.event {
            id("event_id", e.event_id.as_str())?;
            // Written into the stored record beside `raw`'s text.
            text("event_title", &e.event_title)?;
        }
        raw_text("raw", &self.raw)
    }
}

impl Validate for Event {
    fn validate(&self) -> Check {
        id("id", self.id.as_str())?;
        opt(self.slug.as_deref(), |s| bounded("slug", s, SLUG_LEN))?;
        opt(self.liquidity.as_ref(), |d| money_decimal("liquidity", *d))?;
        opt(self.volume.as_ref(), |d| money_decimal("volume", *d))?;
        opt(self.volume_24hr.as_ref(), |d| {
            money_decimal("volume24hr", *d)
        })?;
        raw_text("raw", &self.raw)
    }
}

/// A Gamma object kept as text: no string in it may hold a NUL character.
fn raw_text(field: &str, raw: &crate::RawJson) -> Check {
    if raw.has_nul() {
        return Err(Invalid::new(
            field,
            "holds a NUL character, which no store can keep".to_owned(),
        ));
    }
    Ok(())
}

impl Validate for FilteredEvent {
    fn validate(&self) -> Check {
        self.event.validate()?;
        opt(self.days_until_end.as_ref(), |d| days("days_until_end", *d))
    }
}

/// `YYYY-MM` with a month 01–12 (it names a file and a column value).
pub fn is_month(s: &str) -> bool {
    let b = s.as_bytes();
    let [y1, y2, y3, y4, b'-', m1, m2] = b else {
        return false;
    };
    [y1, y2, y3, y4, m1, m2].iter().all(|c| c.is_ascii_digit())
        && matches!((m1, m2), (b'0', b'1'..=b'9') | (b'1', b'0'..=b'2'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bounded_in_characters_not_bytes() {
        assert!(id("market_id", &"€".repeat(255)).is_ok());
        let e = id("market_id", &"a".repeat(256)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`market_id` has 256 characters; at most 255 fit"
        );
        assert!(id("market_id", " ").is_err());
        assert!(id("market_id", "a\0b").is_err());
    }

    #[test]
    fn portfolio_ids_are_safe_directory_names() {
        for ok in ["default", "a", "momentum_2", "near-res", &"x".repeat(64)] {
            assert!(portfolio_id("portfolio", ok).is_ok(), "{ok}");
            assert_eq!(
                PortfolioId::parse(ok).map(|p| p.to_string()),
                Ok(ok.to_owned())
            );
        }
        for bad in [
            "",
            "..",
            "a/b",
            "Default",
            "a b",
            "é",
            "a\0",
            &"x".repeat(65),
        ] {
            assert!(portfolio_id("portfolio", bad).is_err(), "{bad:?}");
            assert!(PortfolioId::parse(bad).is_err(), "{bad:?}");
        }
        let e = PortfolioId::parse("../etc").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`portfolio` \"../etc\" holds '.'; a portfolio id is made of a-z, 0-9, _ and - only"
        );
    }

    #[test]
    fn nul_characters_are_found_at_any_depth() {
        let raw: Extra = serde_json::from_str(r#"{"a": [{"b": "x\u0000"}]}"#).unwrap();
        let e = json_object("raw", &raw).unwrap_err();
        assert_eq!(e.field, "raw.a[0].b");
        let key: Extra = serde_json::from_str(r#"{"a\u0000": 1}"#).unwrap();
        assert!(json_object("extra", &key).is_err());
    }

    #[test]
    fn months_are_yyyy_mm() {
        for ok in ["2025-01", "2025-12", "0001-10"] {
            assert!(is_month(ok), "{ok}");
        }
        for bad in [
            "2025-13",
            "2025-00",
            "2025-1",
            "25-01",
            "2025/01",
            "2025-€1",
            "",
        ] {
            assert!(!is_month(bad), "{bad}");
        }
    }
}
