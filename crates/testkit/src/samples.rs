//! Deterministic sample records. Every value is already at the precision the
//! stores keep (money 2 dp, prices 6 dp, confidence 4 dp, microsecond UTC
//! timestamps), so it must read back identically from any store.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::gamma::{attach_event_context, decode_event, decode_market};
use domain::{
    Action, Event, EventContext, EventId, Extra, FilteredEvent, Market, MarketId, MarketSnapshot,
    Portfolio, PortfolioHistoryEntry, PortfolioId, PortfolioSnapshot, Position, PositionStatus,
    Price, Shares, Signal, SignalArchive, Trade, TradeId, Usd,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// The fixed instant samples start from: 2025-10-20T17:02:45.884042Z.
pub fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 20, 17, 2, 45).unwrap() + Duration::microseconds(884_042)
}

/// `base_time()` plus `minutes`.
pub fn at(minutes: i64) -> DateTime<Utc> {
    base_time() + Duration::minutes(minutes)
}

/// A decimal from its text (`dec("0.86")`).
pub fn dec(s: &str) -> Decimal {
    s.parse().expect("a decimal literal")
}

pub fn price(s: &str) -> Price {
    Price::new(dec(s)).expect("a price in [0, 1]")
}

pub fn usd(s: &str) -> Usd {
    Usd::new(dec(s))
}

/// The market sample `n` trades in: three markets, so some share one.
pub fn sample_market_id(n: u32) -> MarketId {
    MarketId::new(format!("{}", 540_200 + n % 3))
}

/// A yes price between 0.51 and 0.99 that varies with `n`.
fn yes_price(n: u32) -> Price {
    Price::new(Decimal::new(51 + i64::from(n % 49), 2)).expect("in range")
}

/// The strategy of the sample signals and trades: not the legacy
/// default, so a store that drops the field is caught.
pub const SAMPLE_STRATEGY: &str = "favourite_band";

/// Signal `n` of a cycle at `at(n)` of the default portfolio: alternately
/// buys yes and no.
pub fn sample_signal(n: u32) -> Signal {
    let yes = yes_price(n);
    let no = Price::new(Decimal::ONE - yes.value()).expect("in range");
    let action = if n % 2 == 0 {
        Action::BuyYes
    } else {
        Action::BuyNo
    };
    let target = if action == Action::BuyYes { yes } else { no };
    Signal {
        portfolio_id: PortfolioId::default(),
        strategy: SAMPLE_STRATEGY.into(),
        timestamp: at(i64::from(n)),
        market_id: sample_market_id(n),
        market_question: format!("Will sample market {n} resolve Yes?"),
        action,
        outcome: Some(
            if action == Action::BuyYes {
                "Yes"
            } else {
                "No"
            }
            .into(),
        ),
        target_price: target,
        amount: Usd::from_int(100),
        confidence: domain::money::round_confidence(target.value() - dec("0.5")),
        reason: format!("sample signal {n}"),
        yes_price: yes,
        no_price: no,
        market_liquidity: Some(usd("1758359.77")),
        market_volume: Some(usd("23286094.86")),
        event_id: Some(EventId::new("23656")),
        event_title: Some("Super Bowl Champion 2026".into()),
        event_end_date: Some(Utc.with_ymd_and_hms(2026, 2, 8, 12, 0, 0).unwrap()),
        executed: false,
        executed_at: None,
        trade_id: None,
        extra: Extra::new(),
    }
}

/// Trade `n` of the default portfolio at `at(n)`, with every field set.
pub fn sample_trade(n: u32) -> Trade {
    let signal = sample_signal(n);
    Trade {
        trade_id: TradeId::new(format!("trade-{n:07}")),
        portfolio_id: PortfolioId::default(),
        strategy: signal.strategy,
        timestamp: signal.timestamp,
        market_id: signal.market_id,
        market_question: signal.market_question,
        action: signal.action,
        outcome: signal.outcome,
        amount: signal.amount,
        entry_price: signal.target_price,
        shares: Shares::bought(signal.amount, signal.target_price).expect("a valid buy"),
        confidence: signal.confidence,
        reason: Some(signal.reason),
        status: PositionStatus::Open,
        event_id: signal.event_id,
        event_title: signal.event_title,
        event_end_date: signal.event_end_date,
        current_pnl: Some(Usd::ZERO),
        realized_pnl: None,
        closed_at: None,
        extra: Extra::new(),
    }
}

/// Signal `n` of portfolio `portfolio`, made by `strategy`.
pub fn sample_signal_of(portfolio: &str, strategy: &str, n: u32) -> Signal {
    Signal {
        portfolio_id: PortfolioId::new(portfolio),
        strategy: strategy.into(),
        ..sample_signal(n)
    }
}

/// Trade `n` of portfolio `portfolio`, made by `strategy`; its id names the
/// portfolio (trade ids are unique across portfolios).
pub fn sample_trade_of(portfolio: &str, strategy: &str, n: u32) -> Trade {
    Trade {
        trade_id: TradeId::new(format!("trade-{portfolio}-{n:07}")),
        portfolio_id: PortfolioId::new(portfolio),
        strategy: strategy.into(),
        ..sample_trade(n)
    }
}

/// A trade shaped like the original's: no outcome, no event context, no
/// reason, the original's strategy.
pub fn sample_legacy_trade(n: u32) -> Trade {
    Trade {
        strategy: domain::LEGACY_STRATEGY.into(),
        outcome: None,
        event_id: None,
        event_title: None,
        event_end_date: None,
        reason: None,
        current_pnl: None,
        ..sample_trade(n)
    }
}

/// An exact value as the original wrote it (`exact("0.9999989889179475")`).
pub fn exact_price(s: &str) -> Price {
    Price::exact(dec(s)).expect("a price in [0, 1]")
}

pub fn exact_usd(s: &str) -> Usd {
    Usd::exact(dec(s)).expect("an amount a store can hold")
}

/// A trade as the Python system recorded it: a float price with 16
/// significant digits (SPEC §3), an int amount, shares derived.
pub fn sample_python_era_trade(n: u32) -> Trade {
    let price = exact_price("0.9999989889179475");
    Trade {
        trade_id: TradeId::new(format!("trade_20251020_170245_{}", 634_159 + n)),
        action: Action::BuyNo,
        amount: Usd::from_int(100),
        entry_price: price,
        shares: Shares::bought(Usd::from_int(100), price).expect("a valid buy"),
        confidence: dec("0.5"),
        ..sample_legacy_trade(n)
    }
}

/// The portfolio holding [`sample_python_era_trade`]`(1)`, with a balance
/// and a P&L no cent-rounding store would keep.
pub fn sample_python_era_portfolio() -> Portfolio {
    let t = sample_python_era_trade(1);
    let mut p = Portfolio::new(
        PortfolioId::default(),
        exact_usd("9999.999999999998"),
        base_time(),
    );
    p.positions.push(Position {
        trade_id: t.trade_id,
        market_id: t.market_id,
        market_question: t.market_question,
        action: t.action,
        outcome: None,
        amount: t.amount,
        entry_price: t.entry_price,
        shares: t.shares,
        entry_timestamp: t.timestamp,
        status: PositionStatus::Open,
        current_price: None,
        current_pnl: Some(exact_usd("0.0001011")),
        realized_pnl: None,
        exit_price: None,
        exit_timestamp: None,
        extra: Extra::new(),
    });
    p.balance = exact_usd("9899.999999999998");
    p.total_invested = Usd::from_int(100);
    p.total_profit_loss = exact_usd("0.0001011");
    p.trade_count = 1;
    p.check_invariant().expect("keeps the invariant");
    p
}

/// A signal as the Python system wrote it: unrounded float prices, Gamma's
/// liquidity and volume with more than cents.
pub fn sample_python_era_signal(n: u32) -> Signal {
    Signal {
        strategy: domain::LEGACY_STRATEGY.into(),
        action: Action::BuyNo,
        target_price: exact_price("0.9999989889179475"),
        yes_price: exact_price("0.0000010110820525"),
        no_price: exact_price("0.9999989889179475"),
        confidence: dec("0.5"),
        market_liquidity: Some(exact_usd("1758359.76599")),
        market_volume: Some(exact_usd("23286094.862589")),
        ..sample_signal(n)
    }
}

/// A history entry of [`sample_python_era_portfolio`], values unrounded.
pub fn sample_python_era_history_entry() -> PortfolioHistoryEntry {
    PortfolioHistoryEntry {
        balance: exact_usd("9899.999999999998"),
        total_invested: Usd::from_int(100),
        total_profit_loss: exact_usd("0.0001011"),
        total_value: exact_usd("9900.0001011"),
        open_positions: 1,
        trade_count: 1,
        ..sample_history_entry(1)
    }
}

/// The open position trade `n` opened, marked at its entry price + 0.01.
pub fn sample_position(n: u32) -> Position {
    let t = sample_trade(n);
    let mark =
        Price::new((t.entry_price.value() + dec("0.01")).min(Decimal::ONE)).expect("in range");
    let current_pnl = t.shares.worth(mark) - t.amount;
    Position {
        trade_id: t.trade_id,
        market_id: t.market_id,
        market_question: t.market_question,
        action: t.action,
        outcome: t.outcome,
        amount: t.amount,
        entry_price: t.entry_price,
        shares: t.shares,
        entry_timestamp: t.timestamp,
        status: PositionStatus::Open,
        current_price: Some(mark),
        current_pnl: Some(current_pnl),
        realized_pnl: None,
        exit_price: None,
        exit_timestamp: None,
        extra: Extra::new(),
    }
}

/// Position `n`, settled as a win (exit price 1) an hour after entry.
pub fn sample_closed_position(n: u32) -> Position {
    let open = sample_position(n);
    let payout = open.shares.worth(Price::ONE);
    Position {
        status: PositionStatus::Closed,
        current_price: Some(Price::ONE),
        current_pnl: None,
        realized_pnl: Some(payout - open.amount),
        exit_price: Some(Price::ONE),
        exit_timestamp: Some(open.entry_timestamp + Duration::hours(1)),
        ..open
    }
}

/// The default portfolio, started with 10,000, holding `open` open positions
/// (samples 0..open) and `closed` settled ones (after them). Keeps the ledger
/// invariant.
pub fn sample_portfolio(open: u32, closed: u32) -> Portfolio {
    let initial = Usd::from_int(10_000);
    let mut p = Portfolio::new(PortfolioId::default(), initial, base_time());
    for n in 0..open {
        p.positions.push(sample_position(n));
    }
    for n in open..open + closed {
        p.positions.push(sample_closed_position(n));
    }
    let invested: Usd = p.positions.iter().map(|x| x.amount).sum();
    p.balance = initial - invested
        + p.positions
            .iter()
            .filter(|x| !x.is_open())
            .map(|x| x.shares.worth(Price::ONE))
            .sum::<Usd>();
    p.total_invested = invested;
    p.total_profit_loss = p.realized_pnl() + p.unrealized_pnl();
    p.trade_count = u64::from(open + closed);
    p.last_updated = at(i64::from(open + closed) + 1);
    p.last_price_update = Some(at(i64::from(open + closed) + 1));
    p.check_invariant()
        .expect("sample portfolio keeps the invariant");
    p
}

/// History entry `n` of the default portfolio at `at(n)`.
pub fn sample_history_entry(n: u32) -> PortfolioHistoryEntry {
    let p = sample_portfolio(n % 3, 0);
    let t = at(i64::from(n) * 60);
    PortfolioHistoryEntry {
        portfolio_id: PortfolioId::default(),
        date: t.date_naive(),
        timestamp: t,
        balance: p.balance,
        total_invested: p.total_invested,
        total_profit_loss: p.total_profit_loss,
        total_value: p.total_value(),
        open_positions: n % 3,
        trade_count: p.trade_count,
        extra: Extra::new(),
    }
}

/// Portfolio snapshot `n` of the default portfolio at `at(n)`.
pub fn sample_portfolio_snapshot(n: u32) -> PortfolioSnapshot {
    let e = sample_history_entry(n);
    PortfolioSnapshot {
        portfolio_id: e.portfolio_id,
        timestamp: e.timestamp,
        balance: e.balance,
        total_invested: e.total_invested,
        total_profit_loss: e.total_profit_loss,
        trade_count: e.trade_count,
    }
}

/// An archive of `count` signals taken at `archived_at`; its month is the
/// month of that instant.
pub fn sample_signal_archive(archived_at: DateTime<Utc>, count: u32) -> SignalArchive {
    let mut signals: Vec<Signal> = (0..count).map(sample_signal).collect();
    if let Some(first) = signals.first_mut() {
        first.mark_executed(TradeId::new("trade-0000000"), archived_at);
    }
    SignalArchive {
        portfolio_id: PortfolioId::default(),
        archived_at,
        month: domain::time::month_key(archived_at),
        signals,
        extra: Extra::new(),
    }
}

/// The first day of `month` (`"2025-11"`) at noon UTC plus `minutes`.
pub fn in_month(year: i32, month: u32, minutes: i64) -> DateTime<Utc> {
    let day = NaiveDate::from_ymd_opt(year, month, 1).expect("a valid month");
    Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).expect("noon")) + Duration::minutes(minutes)
}

/// A snapshot of `market` at `at(n)`.
pub fn sample_market_snapshot(market: &MarketId, n: u32) -> MarketSnapshot {
    let yes = yes_price(n);
    let no = Price::new(Decimal::ONE - yes.value()).expect("in range");
    MarketSnapshot {
        market_id: market.clone(),
        timestamp: at(i64::from(n)),
        yes_price: Some(yes),
        no_price: Some(no),
        liquidity: Some(usd("1758359.77")),
        volume: Some(usd("23286094.86")),
        volume_24hr: if n % 2 == 0 {
            Some(usd("10374216.16"))
        } else {
            None
        },
        conviction: Some(domain::money::round_dp((yes.value() - no.value()).abs(), 6)),
    }
}

/// A Gamma market object as `/markets` returns it (strings for liquidity and
/// volume, JSON-in-strings for outcomes and prices, unknown fields).
pub fn sample_market_json(n: u32) -> Value {
    let yes = yes_price(n).value();
    json!({
        "id": format!("{}", 540_200 + n),
        "question": format!("Will sample market {n} resolve Yes?"),
        "slug": format!("sample-market-{n}"),
        "outcomes": "[\"Yes\", \"No\"]",
        "outcomePrices": format!("[\"{}\", \"{}\"]", yes, Decimal::ONE - yes),
        "liquidity": "1758359.76599",
        "volume": "23286094.862589",
        "volume24hr": 10374216.164318996,
        "active": true,
        "closed": false,
        "archived": false,
        "acceptingOrders": true,
        "endDate": "2026-02-08T12:00:00Z",
        "clobTokenIds": "[\"42334954850219754195241248003172889699504912694714162671145392673031415571339\", \"36712164784060438704997454837621402414428053497881693129968518217985319932773\"]",
        "orderPriceMinTickSize": 0.001,
        "someFutureField": {"nested": [1, 2.5, "x"]}
    })
}

/// Market `n`, decoded, without event context.
pub fn sample_market(n: u32) -> Market {
    decode_market(&sample_market_json(n)).expect("sample market decodes")
}

/// Market `n` with the context of `sample_event(0)` attached.
pub fn sample_market_in_event(n: u32) -> Market {
    let mut m = sample_market(n);
    attach_event_context(
        &mut m,
        EventContext {
            event_id: EventId::new("23656"),
            event_title: "Super Bowl Champion 2026".into(),
            event_end_date: Some(Utc.with_ymd_and_hms(2026, 2, 8, 12, 0, 0).unwrap()),
        },
    );
    m
}

/// A Gamma event object with `markets` nested markets (numbers at event level).
pub fn sample_event_json(n: u32, markets: u32) -> Value {
    json!({
        "id": format!("{}", 23_656 + n),
        "ticker": format!("sample-event-{n}"),
        "slug": format!("sample-event-{n}"),
        "title": format!("Sample event {n}"),
        "startDate": "2025-05-01T17:45:50.454Z",
        "endDate": "2026-02-08T12:00:00Z",
        "active": true,
        "closed": false,
        "liquidity": 22924218.59881,
        "volume": 311846722.482737,
        "volume24hr": 59738785.64991311,
        "negRisk": true,
        "tags": [{"id": "1", "label": "Sports", "publishedAt": "2023-10-24 22:37:50.296+00"}],
        "markets": (0..markets).map(|m| sample_market_json(n * 100 + m)).collect::<Vec<_>>(),
    })
}

/// Event `n` with `markets` nested markets, decoded.
pub fn sample_event(n: u32, markets: u32) -> Event {
    decode_event(&sample_event_json(n, markets))
        .expect("sample event decodes")
        .event
}

/// Event `n` as the event filter passes it on.
pub fn sample_filtered_event(n: u32, markets: u32, days_until_end: Option<i64>) -> FilteredEvent {
    FilteredEvent {
        event: sample_event(n, markets),
        days_until_end,
    }
}
