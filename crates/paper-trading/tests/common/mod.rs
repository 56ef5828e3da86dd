//! Builders for the paper-trading tests: a portfolio, a signal, a market.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use domain::{Action, Extra, Market, MarketId, Portfolio, PortfolioId, Price, Signal, Usd};
use rust_decimal::Decimal;
use std::str::FromStr;

pub fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// 2025-10-20 17:02:45 UTC, the second of the legacy trade id example.
pub fn t0() -> DateTime<Utc> {
    utc("2025-10-20T17:02:45.884042Z")
}

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub fn usd(s: &str) -> Usd {
    Usd::new(dec(s))
}

pub fn price(s: &str) -> Price {
    Price::new(dec(s)).unwrap()
}

pub fn portfolio(balance: &str) -> Portfolio {
    Portfolio::new(
        PortfolioId::default(),
        usd(balance),
        utc("2025-10-01T00:00:00Z"),
    )
}

/// A signal to buy `action` in `market` at `target` for `amount`.
pub fn signal(market: &str, action: Action, target: &str, amount: &str) -> Signal {
    let p = price(target);
    let other = Price::new(Decimal::ONE - p.value()).unwrap();
    let (yes, no) = match action {
        Action::BuyYes => (p, other),
        Action::BuyNo => (other, p),
    };
    Signal {
        portfolio_id: PortfolioId::default(),
        strategy: "most_likely".into(),
        timestamp: t0(),
        market_id: MarketId::new(market),
        market_question: format!("Question {market}?"),
        action,
        outcome: Some(match action {
            Action::BuyYes => "Yes".into(),
            Action::BuyNo => "No".into(),
        }),
        target_price: p,
        amount: usd(amount),
        confidence: p.value() - dec("0.5"),
        reason: format!("reason {market}"),
        yes_price: yes,
        no_price: no,
        market_liquidity: None,
        market_volume: None,
        event_id: Some("23656".into()),
        event_title: Some("Super Bowl Champion 2026".into()),
        event_end_date: Some(utc("2026-02-08T12:00:00Z")),
        executed: false,
        executed_at: None,
        trade_id: None,
        extra: Extra::new(),
    }
}

/// A binary market with prices `[yes, no]`, open unless `closed`.
pub fn market(id: &str, yes: &str, no: &str, closed: bool) -> Market {
    Market {
        id: MarketId::new(id),
        question: format!("Question {id}?"),
        slug: None,
        outcomes: vec!["Yes".into(), "No".into()],
        outcome_prices: Some(vec![price(yes), price(no)]),
        liquidity: None,
        volume: None,
        volume_24hr: None,
        active: true,
        closed,
        archived: false,
        accepting_orders: !closed,
        end_date: None,
        uma_resolution_status: None,
        event: None,
        raw: domain::RawJson::empty_object(),
    }
}

/// The ledger rules every test re-checks: the invariant, and total value =
/// initial balance + total P&L, exactly.
pub fn assert_ledger(p: &Portfolio) {
    p.check_invariant().unwrap();
    assert_eq!(
        p.total_value(),
        p.initial_balance + p.total_profit_loss,
        "{p:#?}"
    );
}
