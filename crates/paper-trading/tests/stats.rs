//! Performance analytics: a worked portfolio, drawdown tables, and properties
//! that hold for any sequence of trades.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::{dec, market, portfolio, signal, t0, usd};
use domain::{Action, EventId, Portfolio, PortfolioHistoryEntry, Trade, Usd};
use paper_trading::stats::{Drawdown, performance};
use paper_trading::{ExecutionPolicy, execute_signal, history_entry, reprice};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn execute(
    p: &mut Portfolio,
    market: &str,
    action: Action,
    target: &str,
    amount: &str,
    event: Option<(&str, &str)>,
) -> Trade {
    let mut s = signal(market, action, target, amount);
    s.event_id = event.map(|(id, _)| EventId::new(id));
    s.event_title = event.map(|(_, title)| title.to_owned());
    execute_signal(p, &s, t0(), &ExecutionPolicy::default()).unwrap()
}

/// History entries with these total values, one minute apart.
fn history(values: &[&str]) -> Vec<PortfolioHistoryEntry> {
    let p = portfolio("1000");
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let mut e = history_entry(&p, t0() + Duration::minutes(i as i64));
            e.total_value = usd(v);
            e
        })
        .collect()
}

#[test]
fn a_worked_portfolio() {
    let mut p = portfolio("1000");
    let trades = vec![
        execute(
            &mut p,
            "A",
            Action::BuyYes,
            "0.5",
            "100",
            Some(("E1", "One")),
        ),
        execute(&mut p, "B", Action::BuyNo, "0.8", "80", Some(("E2", "Two"))),
        execute(
            &mut p,
            "C",
            Action::BuyYes,
            "0.4",
            "40",
            Some(("E1", "One")),
        ),
        execute(&mut p, "D", Action::BuyYes, "0.5", "10", None),
    ];
    // A wins (200 shares pay 1), C loses, B marks at 0.6 (100 shares), D unpriced.
    let markets = [
        market("A", "1", "0", true),
        market("B", "0.4", "0.6", false),
        market("C", "0", "1", true),
    ];
    reprice(&mut p, &markets, t0());
    let hist = history(&["1000", "1100", "990", "1040"]);

    let perf = performance(&p, &trades, &hist);

    assert_eq!(perf.initial_balance, usd("1000"));
    assert_eq!(perf.balance, usd("970"));
    assert_eq!(perf.realized_pnl, usd("60"));
    assert_eq!(perf.unrealized_pnl, usd("-20"));
    assert_eq!(perf.total_pnl, usd("40"));
    assert_eq!(perf.total_pnl, p.total_profit_loss);
    assert_eq!(perf.total_value, usd("1040"));
    assert_eq!(perf.return_on_initial, Some(dec("0.04")));
    assert_eq!((perf.open_positions, perf.closed_positions), (2, 2));
    assert_eq!((perf.wins, perf.losses), (1, 1));
    assert_eq!(perf.win_rate, Some(dec("0.5")));
    assert_eq!(perf.average_win, Some(usd("100")));
    assert_eq!(perf.average_loss, Some(usd("-40")));
    assert_eq!(perf.max_drawdown.amount, usd("110"));
    assert_eq!(perf.max_drawdown.fraction, dec("0.1"));

    let exposure: Vec<_> = perf
        .exposure_by_event
        .iter()
        .map(|e| {
            (
                e.event_id.as_ref().map(EventId::as_str),
                e.event_title.as_deref(),
                e.open_positions,
                e.amount,
                e.mark_value,
            )
        })
        .collect();
    assert_eq!(
        exposure,
        vec![
            (Some("E2"), Some("Two"), 1, usd("80"), usd("60")),
            (None, None, 1, usd("10"), usd("10")),
        ]
    );

    let best: Vec<_> = perf
        .best_markets
        .iter()
        .map(|m| (m.market_id.as_str(), m.total_pnl))
        .collect();
    let worst: Vec<_> = perf
        .worst_markets
        .iter()
        .map(|m| (m.market_id.as_str(), m.total_pnl))
        .collect();
    assert_eq!(best, vec![("A", usd("100"))]);
    assert_eq!(worst, vec![("C", usd("-40")), ("B", usd("-20"))]);
}

#[test]
fn an_empty_portfolio() {
    let p = portfolio("500");
    let perf = performance(&p, &[], &[]);
    assert_eq!(perf.total_pnl, Usd::ZERO);
    assert_eq!(perf.total_value, usd("500"));
    assert_eq!(perf.return_on_initial, Some(Decimal::ZERO));
    assert_eq!(perf.win_rate, None);
    assert_eq!(perf.average_win, None);
    assert_eq!(perf.average_loss, None);
    assert_eq!(perf.max_drawdown, Drawdown::default());
    assert!(perf.exposure_by_event.is_empty());
    assert!(perf.best_markets.is_empty() && perf.worst_markets.is_empty());
    // Without an initial balance there is no return to speak of.
    assert_eq!(
        performance(&portfolio("0"), &[], &[]).return_on_initial,
        None
    );
}

#[test]
fn positions_without_a_recorded_trade_count_as_no_event() {
    let mut p = portfolio("100");
    execute(
        &mut p,
        "A",
        Action::BuyYes,
        "0.5",
        "10",
        Some(("E1", "One")),
    );
    let perf = performance(&p, &[], &[]);
    assert_eq!(perf.exposure_by_event.len(), 1);
    assert_eq!(perf.exposure_by_event[0].event_id, None);
    assert_eq!(perf.exposure_by_event[0].amount, usd("10"));
}

#[test]
fn max_drawdown_table() {
    // (total values in time order, amount, fraction)
    let cases: &[(&[&str], &str, &str)] = &[
        (&[], "0", "0"),
        (&["1000"], "0", "0"),
        (&["1000", "1010", "1020"], "0", "0"),
        (&["1000", "900"], "100", "0.1"),
        (
            &["1000", "1100", "990", "1050", "900", "1200"],
            "200",
            "0.181818",
        ),
        // The largest amount and the largest fraction come from different dips.
        (&["50", "44", "1000", "990"], "10", "0.12"),
        // A recovery above the old peak starts a new one.
        (&["100", "50", "200", "150"], "50", "0.5"),
        (&["0", "0"], "0", "0"),
    ];
    for (values, amount, fraction) in cases {
        let d = performance(&portfolio("1000"), &[], &history(values)).max_drawdown;
        assert_eq!(d.amount, usd(amount), "{values:?}");
        assert_eq!(d.fraction, dec(fraction), "{values:?}");
        assert_eq!(d.entries, values.len());
    }
}

#[test]
fn history_is_taken_in_time_order_whatever_the_store_returned() {
    let mut h = history(&["1000", "800", "1000"]);
    h.reverse();
    let d = performance(&portfolio("1000"), &[], &h).max_drawdown;
    assert_eq!((d.amount, d.fraction), (usd("200"), dec("0.2")));
}

#[test]
fn break_even_positions_are_closed_but_neither_wins_nor_losses() {
    let mut p = portfolio("1000");
    execute(&mut p, "A", Action::BuyYes, "0.5", "100", None);
    execute(&mut p, "B", Action::BuyYes, "0.5", "100", None);
    // A 50/50 settlement at the entry price is break-even; B wins.
    reprice(
        &mut p,
        &[market("A", "0.5", "0.5", true), market("B", "1", "0", true)],
        t0(),
    );
    let perf = performance(&p, &[], &[]);
    assert_eq!((perf.closed_positions, perf.wins, perf.losses), (2, 1, 0));
    assert_eq!(perf.win_rate, Some(dec("0.5")));
    assert_eq!(perf.average_loss, None);
}

#[test]
fn performance_serializes_with_plain_field_names() {
    let mut p = portfolio("1000");
    execute(
        &mut p,
        "A",
        Action::BuyYes,
        "0.5",
        "100",
        Some(("E1", "One")),
    );
    let json = serde_json::to_value(performance(&p, &[], &[])).unwrap();
    for field in [
        "realized_pnl",
        "unrealized_pnl",
        "total_pnl",
        "return_on_initial",
        "win_rate",
        "average_win",
        "average_loss",
        "max_drawdown",
        "exposure_by_event",
        "best_markets",
        "worst_markets",
    ] {
        assert!(json.get(field).is_some(), "{field} missing from {json}");
    }
    // Money is a decimal string, never a float.
    assert_eq!(dec(json["balance"].as_str().unwrap()), dec("900"));
}

/// One step of a random trading run.
#[derive(Clone, Debug)]
enum Step {
    Execute {
        market: u8,
        yes: bool,
        micro: u32,
        cents: i64,
    },
    /// For each market: `None` absent, `Some((closed, yes millionths))`.
    Reprice(Vec<Option<(bool, u32)>>),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u8..4, any::<bool>(), 1u32..=1_000_000, 1i64..=20_000)
            .prop_map(|(market, yes, micro, cents)| Step::Execute { market, yes, micro, cents }),
        2 => proptest::collection::vec(
            proptest::option::of((any::<bool>(), prop_oneof![0u32..=1_000_000, Just(0), Just(500_000), Just(1_000_000)])),
            4,
        ).prop_map(Step::Reprice),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn performance_is_consistent_with_the_ledger(
        initial_cents in 0i64..=100_000,
        steps in proptest::collection::vec(step(), 0..40),
    ) {
        let mut p = portfolio(&Decimal::new(initial_cents, 2).to_string());
        let mut trades = Vec::new();
        let mut hist = Vec::new();
        for (i, s) in steps.into_iter().enumerate() {
            let now = t0() + Duration::seconds(i as i64);
            match s {
                Step::Execute { market, yes, micro, cents } => {
                    let action = if yes { Action::BuyYes } else { Action::BuyNo };
                    let mut sig = signal(&market.to_string(), action, "0.5", "1");
                    sig.target_price = domain::Price::new(Decimal::new(i64::from(micro), 6)).unwrap();
                    sig.amount = Usd::new(Decimal::new(cents, 2));
                    sig.event_id = Some(EventId::new(format!("E{}", market % 2)));
                    if let Ok(t) = execute_signal(&mut p, &sig, now, &ExecutionPolicy::default()) {
                        trades.push(t);
                    }
                }
                Step::Reprice(quotes) => {
                    let markets: Vec<_> = quotes.iter().enumerate().filter_map(|(m, q)| {
                        let (closed, y) = (*q)?;
                        let yes = Decimal::new(i64::from(y), 6).to_string();
                        let no = Decimal::new(i64::from(1_000_000 - y), 6).to_string();
                        Some(market(&m.to_string(), &yes, &no, closed))
                    }).collect();
                    reprice(&mut p, &markets, now);
                }
            }
            hist.push(history_entry(&p, now));
        }
        let perf = performance(&p, &trades, &hist);

        prop_assert_eq!(perf.realized_pnl + perf.unrealized_pnl, perf.total_pnl);
        prop_assert_eq!(perf.total_pnl, p.total_profit_loss);
        prop_assert_eq!(perf.total_value, perf.initial_balance + perf.total_pnl);
        prop_assert!(!perf.max_drawdown.amount.is_negative());
        prop_assert!(perf.max_drawdown.fraction >= Decimal::ZERO);
        prop_assert!(perf.max_drawdown.fraction <= Decimal::ONE);
        if let Some(rate) = perf.win_rate {
            prop_assert!((Decimal::ZERO..=Decimal::ONE).contains(&rate));
        }
        prop_assert!(perf.wins + perf.losses <= perf.closed_positions);
        prop_assert_eq!(perf.open_positions + perf.closed_positions, p.positions.len());
        prop_assert!(perf.average_win.is_none_or(|w| w.is_positive()));
        prop_assert!(perf.average_loss.is_none_or(|l| l.is_negative()));
        let exposed: Usd = perf.exposure_by_event.iter().map(|e| e.amount).sum();
        prop_assert_eq!(exposed, p.open_amounts());
        prop_assert!(perf.best_markets.iter().all(|m| m.total_pnl.is_positive()));
        prop_assert!(perf.worst_markets.iter().all(|m| m.total_pnl.is_negative()));
    }

    #[test]
    fn drawdown_is_bounded_by_the_range_of_values(
        cents in proptest::collection::vec(0i64..=1_000_000, 0..50),
    ) {
        let values: Vec<String> = cents.iter().map(|c| Decimal::new(*c, 2).to_string()).collect();
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let d = performance(&portfolio("1000"), &[], &history(&refs)).max_drawdown;
        prop_assert!(!d.amount.is_negative());
        let (lo, hi) = (cents.iter().min().copied().unwrap_or(0), cents.iter().max().copied().unwrap_or(0));
        prop_assert!(d.amount.value() <= Decimal::new(hi - lo, 2));
        prop_assert!((Decimal::ZERO..=Decimal::ONE).contains(&d.fraction));
        // A history that never falls has no drawdown.
        let mut sorted = cents.clone();
        sorted.sort_unstable();
        if sorted == cents {
            prop_assert_eq!(d.amount, Usd::ZERO);
        }
    }
}
