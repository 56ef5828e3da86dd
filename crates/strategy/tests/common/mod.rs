//! Builders for the strategy tests: markets and events with sensible defaults
//! (tradable, liquid), changed field by field in each case.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use domain::{Event, EventId, FilteredEvent, Market, MarketId, Price};
use rust_decimal::Decimal;
use std::str::FromStr;

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub fn price(s: &str) -> Price {
    Price::new(dec(s)).unwrap()
}

/// A tradable Yes/No market priced `yes`/`no`, liquidity 20 000, volume 100 000.
pub fn market(id: &str, yes: &str, no: &str) -> Market {
    Market {
        id: MarketId::new(id),
        question: format!("Question {id}?"),
        slug: None,
        outcomes: vec!["Yes".into(), "No".into()],
        outcome_prices: Some(vec![price(yes), price(no)]),
        liquidity: Some(dec("20000")),
        volume: Some(dec("100000")),
        volume_24hr: Some(dec("5000")),
        active: true,
        closed: false,
        archived: false,
        accepting_orders: true,
        end_date: None,
        uma_resolution_status: None,
        event: None,
        raw: domain::RawJson::empty_object(),
    }
}

/// An event ending at `end`, liquidity 20 000, volume `volume`, no markets.
pub fn event(id: &str, volume: &str, end: Option<DateTime<Utc>>) -> Event {
    Event {
        id: EventId::new(id),
        title: format!("Event {id}"),
        slug: None,
        liquidity: Some(dec("20000")),
        volume: Some(dec(volume)),
        volume_24hr: Some(dec("1000")),
        start_date: None,
        end_date: end,
        active: true,
        closed: false,
        markets: Vec::new(),
        raw: domain::RawJson::empty_object(),
    }
}

pub fn filtered(event: Event) -> FilteredEvent {
    FilteredEvent {
        event,
        days_until_end: Some(30),
    }
}
