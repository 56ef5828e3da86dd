//! Property tests: random sequences of executions (with and without a fill
//! model), re-prices, settlements and early exits keep the ledger sound
//! after every step (SPEC §3).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::TimeDelta;
use common::{market, portfolio, signal, t0};
use domain::{Action, Market, Portfolio, Price, Usd};
use paper_trading::{
    ExecutionPolicy, ExitRules, FillModel, apply_exits, execute_signal_with, reprice,
    settle_position,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::HashSet;

const MARKETS: u8 = 5;

/// What the latest data says about one market.
#[derive(Clone, Debug)]
enum Quote {
    Absent,
    /// Open, yes at `micro` millionths, no at the rest.
    Open(u32),
    /// Closed with prices `[yes, no]` in millionths: decided or not.
    Closed(u32, u32),
}

#[derive(Clone, Debug)]
enum Op {
    Execute {
        market: u8,
        yes: bool,
        price_micro: u32,
        cents: i64,
        one_per_market: bool,
        /// Slippage and fee in basis points; `(0, 0)` is no model.
        fill: (u32, u32),
    },
    Reprice(Vec<Quote>),
    /// Apply exit rules (take-profit and stop-loss in thousandths, holding
    /// hours; 0 is off) at these quotes, selling through a fill model.
    Exit {
        quotes: Vec<Quote>,
        take_profit: u32,
        stop_loss: u32,
        max_hours: i64,
        fill: (u32, u32),
    },
    /// Time passes.
    Advance(i64),
    /// Settle the position at `pick` (mod the number of positions) at 0, 0.5 or 1.
    Settle {
        pick: usize,
        half_units: u8,
    },
}

fn quote() -> impl Strategy<Value = Quote> {
    prop_oneof![
        Just(Quote::Absent),
        (0u32..=1_000_000).prop_map(Quote::Open),
        Just(Quote::Open(999_000)),
        Just(Quote::Closed(1_000_000, 0)),
        Just(Quote::Closed(0, 1_000_000)),
        Just(Quote::Closed(500_000, 500_000)),
        Just(Quote::Closed(999_500, 500)),
        Just(Quote::Closed(0, 0)),
    ]
}

fn fill() -> impl Strategy<Value = (u32, u32)> {
    prop_oneof![
        Just((0, 0)),
        (0u32..10_000, 0u32..10_000),
        (0u32..300, 0u32..300)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..MARKETS, any::<bool>(), 0u32..=1_000_000, -100i64..=30_000, any::<bool>(), fill()).prop_map(
            |(market, yes, price_micro, cents, one_per_market, fill)| Op::Execute { market, yes, price_micro, cents, one_per_market, fill }
        ),
        2 => (proptest::collection::vec(quote(), MARKETS as usize), 0u32..=2_000, 0u32..=1_000, 0i64..=72, fill()).prop_map(
            |(quotes, take_profit, stop_loss, max_hours, fill)| Op::Exit { quotes, take_profit, stop_loss, max_hours, fill }
        ),
        1 => (0i64..=48).prop_map(Op::Advance),
        2 => proptest::collection::vec(quote(), MARKETS as usize).prop_map(Op::Reprice),
        2 => (any::<usize>(), 0u8..=2).prop_map(|(pick, half_units)| Op::Settle { pick, half_units }),
    ]
}

fn micro(n: u32) -> String {
    Decimal::new(i64::from(n), 6).to_string()
}

fn quotes_to_markets(quotes: &[Quote]) -> Vec<Market> {
    quotes
        .iter()
        .enumerate()
        .filter_map(|(i, q)| match q {
            Quote::Absent => None,
            Quote::Open(y) => Some(market(
                &i.to_string(),
                &micro(*y),
                &micro(1_000_000 - y),
                false,
            )),
            Quote::Closed(y, n) => Some(market(&i.to_string(), &micro(*y), &micro(*n), true)),
        })
        .collect()
}

/// Every rule the ledger keeps, checked after every step.
fn check_ledger(p: &Portfolio) -> Result<(), TestCaseError> {
    prop_assert!(p.check_invariant().is_ok(), "{:?}", p.check_invariant());
    prop_assert!(!p.balance.is_negative());
    prop_assert_eq!(p.total_value(), p.initial_balance + p.total_profit_loss);
    prop_assert_eq!(p.total_profit_loss, p.realized_pnl() + p.unrealized_pnl());
    let ids: HashSet<&str> = p.positions.iter().map(|q| q.trade_id.as_str()).collect();
    prop_assert_eq!(ids.len(), p.positions.len(), "trade ids are unique");
    prop_assert_eq!(p.trade_count, p.positions.len() as u64);
    prop_assert_eq!(
        p.total_invested,
        p.positions.iter().map(|q| q.amount).sum::<Usd>()
    );
    for q in &p.positions {
        prop_assert_eq!(q.is_open(), q.realized_pnl.is_none());
    }
    Ok(())
}

fn run(initial_cents: i64, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut p = portfolio(&Decimal::new(initial_cents, 2).to_string());
    // Steps happen in the same second until time advances, so trade ids
    // collide as often as they can.
    let mut now = t0();
    check_ledger(&p)?;
    for op in ops {
        match op {
            Op::Execute {
                market,
                yes,
                price_micro,
                cents,
                one_per_market,
                fill: (slippage, fee),
            } => {
                let action = if yes { Action::BuyYes } else { Action::BuyNo };
                let mut s = signal(&market.to_string(), action, "0.5", "1");
                s.target_price = Price::new(Decimal::new(i64::from(price_micro), 6)).unwrap();
                s.amount = Usd::new(Decimal::new(cents, 2));
                let policy = ExecutionPolicy {
                    one_position_per_market: one_per_market,
                };
                let model = FillModel::new(slippage, fee).unwrap();
                let before = p.clone();
                match execute_signal_with(&mut p, &s, now, &policy, &model, &|_| false) {
                    Ok(execution) => {
                        let trade = execution.trade;
                        prop_assert_eq!(p.balance, before.balance - s.amount);
                        prop_assert!(trade.entry_price >= s.target_price);
                        prop_assert!(execution.fee <= s.amount && !execution.fee.is_negative());
                        prop_assert_eq!(p.positions.len(), before.positions.len() + 1);
                        prop_assert_eq!(
                            &p.positions[before.positions.len()].trade_id,
                            &trade.trade_id
                        );
                    }
                    Err(_) => prop_assert_eq!(&p, &before, "a skip changes nothing"),
                }
            }
            Op::Reprice(quotes) => {
                let markets = quotes_to_markets(&quotes);
                let open_before = p.open_positions().count();
                let report = reprice(&mut p, &markets, now);
                prop_assert!(report.repriced + report.settled.len() <= open_before);
                check_ledger(&p)?;
                // The same data again settles nothing more.
                let once = p.clone();
                let again = reprice(&mut p, &markets, now);
                prop_assert!(again.settled.is_empty());
                prop_assert_eq!(&p, &once);
            }
            Op::Exit {
                quotes,
                take_profit,
                stop_loss,
                max_hours,
                fill: (slippage, fee),
            } => {
                let fraction = |n: u32| (n > 0).then(|| Decimal::new(i64::from(n), 3));
                let rules = ExitRules::new(
                    fraction(take_profit),
                    fraction(stop_loss),
                    (max_hours > 0).then(|| TimeDelta::hours(max_hours)),
                )
                .unwrap();
                let model = FillModel::new(slippage, fee).unwrap();
                let markets = quotes_to_markets(&quotes);
                let balance = p.balance;
                let open_before = p.open_positions().count();
                let report = apply_exits(&mut p, &markets, &rules, &model, now);
                prop_assert_eq!(
                    p.open_positions().count(),
                    open_before - report.closed.len()
                );
                let credited: Usd = report.closed.iter().map(|e| e.proceeds - e.fee).sum();
                prop_assert_eq!(p.balance, balance + credited);
                for e in &report.closed {
                    prop_assert!(e.exit_price <= e.quoted_price);
                    let pos = p
                        .positions
                        .iter()
                        .find(|q| q.trade_id == e.trade_id)
                        .unwrap();
                    prop_assert_eq!(pos.realized_pnl, Some(e.proceeds - e.fee - pos.amount));
                }
                check_ledger(&p)?;
                // The same quotes again close nothing more.
                let once = p.clone();
                prop_assert!(
                    apply_exits(&mut p, &markets, &rules, &model, now)
                        .closed
                        .is_empty()
                );
                prop_assert_eq!(&p, &once);
            }
            Op::Advance(hours) => now += TimeDelta::hours(hours),
            Op::Settle { pick, half_units } => {
                if p.positions.is_empty() {
                    continue;
                }
                let id = p.positions[pick % p.positions.len()].trade_id.clone();
                let was_open = p.positions[pick % p.positions.len()].is_open();
                let final_price = Price::new(Decimal::new(i64::from(half_units) * 5, 1)).unwrap();
                let balance = p.balance;
                let settled = settle_position(&mut p, &id, final_price, now);
                prop_assert_eq!(settled.is_some(), was_open);
                if let Some(s) = &settled {
                    prop_assert_eq!(p.balance, balance + s.payout);
                    prop_assert_eq!(
                        s.realized_pnl,
                        s.payout - p.positions[pick % p.positions.len()].amount
                    );
                }
                check_ledger(&p)?;
                // Settling twice is settling once.
                let once = p.clone();
                prop_assert_eq!(settle_position(&mut p, &id, final_price, now), None);
                prop_assert_eq!(&p, &once);
            }
        }
        check_ledger(&p)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ledger_stays_sound_under_any_sequence(
        initial_cents in 0i64..=200_000,
        ops in proptest::collection::vec(op(), 0..60),
    ) {
        run(initial_cents, ops)?;
    }
}
