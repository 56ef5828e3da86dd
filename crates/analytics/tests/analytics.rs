//! The analytics of equity curves, closed positions and open exposure, each
//! figure worked out by hand in the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use analytics::{
    EquityCurve, EquityPoint, Exposure, Forecast, MaxDrawdown, analyze, brier_score, concentration,
    correlation_matrix, daily_returns, forecasts, max_drawdown, open_exposures, pearson,
    settled_payouts, sharpe, total_return, win_rate,
};
use chrono::{DateTime, Utc};
use domain::{Action, EventId, Market, MarketId, PortfolioId, Position, PositionStatus, Price};
use rust_decimal::Decimal;
use std::collections::HashMap;
use testkit::samples::{dec, price, sample_portfolio, sample_position, sample_trade, usd};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A curve from `(time, value)` pairs.
fn curve(points: &[(&str, &str)]) -> EquityCurve {
    EquityCurve::new(points.iter().map(|(time, value)| EquityPoint {
        time: t(time),
        value: usd(value),
    }))
}

/// One value per day from 2026-01-01, at noon.
fn daily(values: &[&str]) -> EquityCurve {
    let days: Vec<String> = (1..=values.len())
        .map(|d| format!("2026-01-{d:02}T12:00:00Z"))
        .collect();
    let pairs: Vec<(&str, &str)> = days
        .iter()
        .map(String::as_str)
        .zip(values.iter().copied())
        .collect();
    curve(&pairs)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn total_return_is_last_over_first() {
    assert_eq!(
        total_return(&daily(&["1000", "1100", "1250"])),
        Some(dec("0.25"))
    );
    assert_eq!(total_return(&daily(&["1000", "900"])), Some(dec("-0.1")));
    // 1000 → 1000.01: 0.00001
    assert_eq!(
        total_return(&daily(&["1000", "1000.01"])),
        Some(dec("0.00001"))
    );
    assert_eq!(total_return(&daily(&["1000"])), Some(Decimal::ZERO));
    assert_eq!(total_return(&EquityCurve::default()), None);
    assert_eq!(total_return(&daily(&["0", "10"])), None, "no base");
    // Given out of order, taken in time order.
    let shuffled = curve(&[
        ("2026-01-02T00:00:00Z", "1100"),
        ("2026-01-01T00:00:00Z", "1000"),
    ]);
    assert_eq!(total_return(&shuffled), Some(dec("0.1")));
}

#[test]
fn max_drawdown_names_the_deepest_fall_with_its_peak_and_trough() {
    let c = curve(&[
        ("2026-01-01T00:00:00Z", "1000"),
        ("2026-01-02T00:00:00Z", "1200"), // peak
        ("2026-01-03T00:00:00Z", "900"),  // trough: (1200 − 900) / 1200 = 0.25
        ("2026-01-04T00:00:00Z", "1300"), // new peak
        ("2026-01-05T00:00:00Z", "1040"), // (1300 − 1040) / 1300 = 0.2: shallower
    ]);
    let d = max_drawdown(&c);
    assert_eq!((d.fraction, d.amount), (dec("0.25"), usd("300")));
    assert_eq!(
        (d.peak.unwrap().time, d.trough.unwrap().time),
        (t("2026-01-02T00:00:00Z"), t("2026-01-03T00:00:00Z"))
    );
    // The peak holds through later dips: 1000 → 44, (1000 − 44) / 1000 = 0.956.
    let d = max_drawdown(&daily(&["1000", "990", "50", "44"]));
    assert_eq!((d.fraction, d.amount), (dec("0.956"), usd("956")));
    assert_eq!(
        max_drawdown(&daily(&["100", "100", "150"])),
        MaxDrawdown::default()
    );
    assert_eq!(
        max_drawdown(&EquityCurve::default()),
        MaxDrawdown::default()
    );
    // Equal falls: the first is reported.
    let d = max_drawdown(&daily(&["100", "50", "100", "50"]));
    assert_eq!(d.trough.unwrap().time, t("2026-01-02T12:00:00Z"));
}

#[test]
fn sharpe_is_the_annualised_mean_over_deviation_of_daily_returns() {
    // Closes 100, 110, 99, 108.9: returns +0.1, −0.1, +0.1.
    let c = daily(&["100", "110", "99", "108.9"]);
    let returns: Vec<Decimal> = daily_returns(&c).into_iter().map(|(_, r)| r).collect();
    assert_eq!(returns, [dec("0.1"), dec("-0.1"), dec("0.1")]);
    // mean 1/30; deviations 2/30, −4/30, 2/30; sample variance (4+16+4)/900/2 = 24/1800
    let mean = 1.0 / 30.0;
    let sd = (24.0f64 / 1800.0).sqrt();
    assert!(close(sharpe(&c).unwrap(), mean / sd * 365f64.sqrt()));
    assert!(
        close(sharpe(&c).unwrap(), 5.515_130_702_6),
        "{:?}",
        sharpe(&c)
    );
}

#[test]
fn sharpe_resamples_to_daily_closes_and_needs_varying_returns() {
    // Intraday points count by their day's last value: closes 100, 110, 99, 108.9 again.
    let intraday = curve(&[
        ("2026-01-01T01:00:00Z", "50"),
        ("2026-01-01T23:00:00Z", "100"),
        ("2026-01-02T09:00:00Z", "130"),
        ("2026-01-02T18:00:00Z", "110"),
        ("2026-01-03T18:00:00Z", "99"),
        ("2026-01-04T00:00:00Z", "108.9"),
    ]);
    assert_eq!(
        sharpe(&intraday),
        sharpe(&daily(&["100", "110", "99", "108.9"]))
    );
    assert_eq!(sharpe(&daily(&["100", "110"])), None, "one return");
    assert_eq!(
        sharpe(&daily(&["100", "110", "121", "133.1"])),
        None,
        "+10 % every day: no deviation"
    );
    assert_eq!(sharpe(&EquityCurve::default()), None);
}

fn closed(pnl: &str) -> Position {
    Position {
        status: PositionStatus::Closed,
        realized_pnl: Some(usd(pnl)),
        ..sample_position(0)
    }
}

#[test]
fn win_rate_counts_closed_positions_above_zero() {
    let ps = [
        closed("10"),
        closed("-5"),
        closed("0"),
        closed("2.5"),
        sample_position(1),
    ];
    // 2 wins of 4 closed; the open one does not count
    assert_eq!(win_rate(&ps), Some(dec("0.5")));
    assert_eq!(win_rate(&[sample_position(1)]), None);
}

fn bought(market: &str, action: Action, entry: &str) -> Position {
    Position {
        market_id: MarketId::new(market),
        action,
        entry_price: price(entry),
        ..sample_position(0)
    }
}

fn settled_market(id: &str, yes: &str, no: &str) -> Market {
    let mut m = testkit::samples::sample_market(0);
    m.id = MarketId::new(id);
    m.closed = true;
    m.outcome_prices = Some(vec![price(yes), price(no)]);
    m
}

#[test]
fn brier_scores_entry_prices_against_how_markets_settled() {
    let markets = [
        settled_market("a", "1", "0"),
        settled_market("b", "0", "1"),
        settled_market("c", "0.5", "0.5"),
        {
            let mut open = settled_market("d", "0.7", "0.3");
            open.closed = false;
            open
        },
    ];
    let payouts = settled_payouts(&markets);
    assert_eq!(payouts.len(), 3, "the open market has not settled");
    let positions = [
        bought("a", Action::BuyYes, "0.8"), // won:  (0.8 − 1)² = 0.04
        bought("b", Action::BuyYes, "0.3"), // lost: (0.3 − 0)² = 0.09
        bought("b", Action::BuyNo, "0.6"),  // won:  (0.6 − 1)² = 0.16
        bought("c", Action::BuyNo, "0.5"),  // split: (0.5 − 0.5)² = 0
        bought("d", Action::BuyYes, "0.7"), // not settled: not scored
    ];
    let scored = forecasts(&positions, &payouts);
    assert_eq!(scored.len(), 4);
    assert_eq!(
        scored[1],
        Forecast {
            price: price("0.3"),
            outcome: Price::ZERO
        }
    );
    // (0.04 + 0.09 + 0.16 + 0) / 4 = 0.0725
    assert_eq!(brier_score(&scored), Some(dec("0.0725")));
    assert_eq!(brier_score(&[]), None);
}

#[test]
fn correlation_of_daily_pnl_pairs_portfolios() {
    let a = daily(&["100", "110", "105", "120", "118"]); // P&L +10 −5 +15 −2
    let b = daily(&["50", "70", "60", "90", "86"]); //      P&L +20 −10 +30 −4 = 2 × a
    let c = daily(&["100", "90", "95", "80", "82"]); //     P&L −10 +5 −15 +2 = −a
    let flat = daily(&["100", "101", "102", "103", "104"]); // +1 every day: constant
    let short = daily(&["100", "110", "100"]); //           2 days of P&L
    let ids: Vec<PortfolioId> = ["a", "b", "c", "flat", "short"]
        .map(PortfolioId::new)
        .to_vec();
    let m = correlation_matrix(&[
        (ids[0].clone(), a),
        (ids[1].clone(), b),
        (ids[2].clone(), c),
        (ids[3].clone(), flat),
        (ids[4].clone(), short),
    ]);
    assert_eq!(m.portfolios, ids);
    assert!(close(m.get(&ids[0], &ids[1]).unwrap(), 1.0));
    assert!(close(m.get(&ids[0], &ids[2]).unwrap(), -1.0));
    assert!(close(m.get(&ids[0], &ids[0]).unwrap(), 1.0));
    assert_eq!(m.get(&ids[0], &ids[3]), None, "constant");
    assert_eq!(m.get(&ids[3], &ids[3]), None);
    assert_eq!(m.get(&ids[0], &ids[4]), None, "2 common days < 3");
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["values"][0][3], serde_json::Value::Null);
    assert_eq!(json["portfolios"][4], "short");
}

#[test]
fn pearson_of_a_hand_sized_series() {
    // x 1 2 3 4, y 2 1 4 3: means 2.5, 2.5; Σdxdy = 3; Σdx² = Σdy² = 5 → 0.6
    let xs = ["1", "2", "3", "4"].map(dec);
    let ys = ["2", "1", "4", "3"].map(dec);
    assert!(close(pearson(&xs, &ys).unwrap(), 0.6));
    assert_eq!(pearson(&xs[..1], &ys[..1]), None);
    // Constant by exact value, although its f64 mean is not exactly 0.1.
    assert_eq!(pearson(&["0.1", "0.1", "0.1"].map(dec), &xs[..3]), None);
}

#[test]
fn concentration_shares_open_money_by_event_and_by_tag() {
    let exposure = |amount: &str, event: Option<&str>, tags: &[&str]| Exposure {
        amount: usd(amount),
        event_id: event.map(EventId::new),
        tags: tags.iter().map(|s| s.to_string()).collect(),
    };
    let c = concentration(&[
        exposure("300", Some("e1"), &["Sports", "NFL"]),
        exposure("100", Some("e1"), &["Sports", "NFL"]),
        exposure("400", Some("e2"), &["Politics"]),
        exposure("200", None, &[]),
    ]);
    assert_eq!(c.total, usd("1000"));
    let by_event: Vec<(Option<&str>, Decimal)> = c
        .by_event
        .iter()
        .map(|s| (s.key.as_deref(), s.share))
        .collect();
    // e1 400 and e2 400 tie: by key; then no event 200
    assert_eq!(
        by_event,
        [
            (Some("e1"), dec("0.4")),
            (Some("e2"), dec("0.4")),
            (None, dec("0.2"))
        ]
    );
    let by_tag: Vec<(Option<&str>, Decimal)> = c
        .by_tag
        .iter()
        .map(|s| (s.key.as_deref(), s.share))
        .collect();
    assert_eq!(
        by_tag,
        [
            (Some("NFL"), dec("0.4")),
            (Some("Politics"), dec("0.4")),
            (Some("Sports"), dec("0.4")),
            (None, dec("0.2"))
        ]
    );
    // One third each: 0.333333 (6 dp).
    let thirds = concentration(&[
        exposure("1", Some("a"), &[]),
        exposure("1", Some("b"), &[]),
        exposure("1", Some("c"), &[]),
    ]);
    assert!(thirds.by_event.iter().all(|s| s.share == dec("0.333333")));
    assert_eq!(concentration(&[]).by_event, []);
}

#[test]
fn open_exposures_join_positions_to_their_trades_events_and_tags() {
    let p = sample_portfolio(3, 2); // positions 0..3 open, 3..5 closed
    let trades: Vec<_> = (0..5).map(sample_trade).collect();
    let event = trades[0].event_id.clone().unwrap();
    let tags = HashMap::from([(event.clone(), vec!["Sports".to_owned()])]);
    let events: Vec<_> = trades[..2].iter().map(domain::TradeEvent::of).collect();
    let exposures = open_exposures(&p, &events, &tags);
    assert_eq!(exposures.len(), 3, "open positions only");
    assert_eq!(exposures[0].event_id, Some(event));
    assert_eq!(exposures[0].tags, ["Sports"]);
    assert_eq!(exposures[2].event_id, None, "its trade was not given");
    assert_eq!(exposures[0].amount, p.positions[0].amount);
}

#[test]
fn analyze_gathers_every_figure() {
    let c = daily(&["1000", "1100", "990", "1089"]);
    let positions = [closed("10"), closed("-5")];
    let a = analyze(&c, &positions, &HashMap::new());
    assert_eq!(a.total_return, Some(dec("0.089")));
    assert_eq!(a.max_drawdown.fraction, dec("0.1"));
    assert_eq!(a.sharpe, sharpe(&c));
    assert_eq!((a.closed_positions, a.win_rate), (2, Some(dec("0.5"))));
    assert_eq!((a.forecasts, a.brier_score), (0, None));
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json["brier_score"], serde_json::Value::Null);
}
