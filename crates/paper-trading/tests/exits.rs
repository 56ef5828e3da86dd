//! Early exits (take-profit, stop-loss, maximum holding) and the fill model
//! (slippage, fees), each figure worked out by hand in the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use common::{assert_ledger, dec, market, portfolio, price, signal, t0, usd};
use domain::{Action, Portfolio, PositionStatus, Shares, Usd};
use paper_trading::{
    ExecutionPolicy, Exit, ExitRule, ExitRules, FillModel, apply_exits, execute_signal,
    execute_signal_with, reprice,
};

/// 1000 in cash, 100 on yes of market "m" at 0.40: 250 shares.
fn holding() -> Portfolio {
    let mut p = portfolio("1000");
    let s = signal("m", Action::BuyYes, "0.4", "100");
    execute_signal(&mut p, &s, t0(), &ExecutionPolicy::default()).unwrap();
    p
}

fn rules(tp: Option<&str>, sl: Option<&str>, hours: Option<i64>) -> ExitRules {
    ExitRules::new(tp.map(dec), sl.map(dec), hours.map(TimeDelta::hours)).unwrap()
}

fn at(hours: i64) -> DateTime<Utc> {
    t0() + TimeDelta::hours(hours)
}

/// The one position `apply_exits` closes with market "m" at `yes`, if any;
/// the ledger is re-checked after it.
fn closed(
    p: &mut Portfolio,
    yes: &str,
    r: &ExitRules,
    fill: &FillModel,
    now: DateTime<Utc>,
) -> Option<Exit> {
    let no = (dec("1") - dec(yes)).to_string();
    let report = apply_exits(p, &[market("m", yes, &no, false)], r, fill, now);
    assert!(report.closed.len() <= 1);
    assert_ledger(p);
    report.closed.into_iter().next()
}

#[test]
fn take_profit_fires_at_its_gain_and_books_it() {
    let r = rules(Some("0.25"), None, None);
    let mut p = holding();
    // 250 × 0.49 = 122.50: +22.50 < 25
    assert_eq!(closed(&mut p, "0.49", &r, &FillModel::NONE, at(1)), None);
    // 250 × 0.50 = 125.00: +25.00 ≥ 0.25 × 100
    let exit = closed(&mut p, "0.5", &r, &FillModel::NONE, at(2)).unwrap();
    assert_eq!(exit.rule, ExitRule::TakeProfit);
    assert_eq!(exit.trade_id.as_str(), "trade_20251020_170245_m");
    assert_eq!(
        (exit.quoted_price, exit.exit_price),
        (price("0.5"), price("0.5"))
    );
    assert_eq!(
        (exit.proceeds, exit.fee, exit.realized_pnl),
        (usd("125"), Usd::ZERO, usd("25"))
    );
    assert_eq!(p.balance, usd("1025"), "900 + 125");
    assert_eq!(p.total_value(), usd("1025"));
    assert_eq!(p.total_profit_loss, usd("25"));
    let pos = &p.positions[0];
    assert_eq!(pos.status, PositionStatus::Closed);
    assert_eq!(
        (pos.exit_price, pos.exit_timestamp),
        (Some(price("0.5")), Some(at(2)))
    );
    assert_eq!(
        (pos.realized_pnl, pos.current_pnl),
        (Some(usd("25")), Some(Usd::ZERO))
    );
    assert_eq!(p.last_updated, at(2));
    // Closed once: the same prices close nothing more.
    assert_eq!(closed(&mut p, "0.9", &r, &FillModel::NONE, at(3)), None);
    assert_eq!(p.balance, usd("1025"));
}

#[test]
fn stop_loss_fires_at_its_loss_before_the_holding_time() {
    let r = rules(None, Some("0.5"), Some(24));
    let mut p = holding();
    // 250 × 0.21 = 52.50: −47.50 < 50, and only 1 h held
    assert_eq!(closed(&mut p, "0.21", &r, &FillModel::NONE, at(1)), None);
    // 250 × 0.20 = 50.00: −50 ≥ 0.5 × 100; held 30 h too, the price rule wins
    let exit = closed(&mut p, "0.2", &r, &FillModel::NONE, at(30)).unwrap();
    assert_eq!(exit.rule, ExitRule::StopLoss);
    assert_eq!(exit.realized_pnl, usd("-50"));
    assert_eq!(p.balance, usd("950"), "900 + 50");
}

#[test]
fn max_holding_closes_at_the_current_price() {
    let r = rules(None, None, Some(48));
    let mut p = holding();
    assert_eq!(closed(&mut p, "0.41", &r, &FillModel::NONE, at(47)), None);
    let exit = closed(&mut p, "0.41", &r, &FillModel::NONE, at(48)).unwrap();
    // 250 × 0.41 = 102.50
    assert_eq!(
        (exit.rule, exit.proceeds, exit.realized_pnl),
        (ExitRule::MaxHolding, usd("102.5"), usd("2.5"))
    );
}

#[test]
fn a_sale_through_the_fill_model_pays_slippage_and_fee() {
    let r = rules(Some("0.25"), None, None);
    let fill = FillModel::new(100, 200).unwrap(); // 1 % slippage, 2 % fee
    let mut p = holding();
    let exit = closed(&mut p, "0.5", &r, &fill, at(1)).unwrap();
    // sold at 0.50 × 0.99 = 0.495; 250 × 0.495 = 123.75; fee 2.475 → 2.48
    assert_eq!(exit.exit_price, price("0.495"));
    assert_eq!((exit.proceeds, exit.fee), (usd("123.75"), usd("2.48")));
    // credited 121.27, realized 21.27
    assert_eq!(exit.realized_pnl, usd("21.27"));
    assert_eq!(p.balance, usd("1021.27"));
    assert_eq!(p.positions[0].exit_price, Some(price("0.495")));
}

#[test]
fn a_buy_through_the_fill_model_pays_slippage_and_its_fee_buys_no_shares() {
    let fill = FillModel::new(100, 200).unwrap();
    let mut p = portfolio("1000");
    let s = signal("m", Action::BuyYes, "0.4", "100");
    let e = execute_signal_with(
        &mut p,
        &s,
        t0(),
        &ExecutionPolicy::default(),
        &fill,
        &|_| false,
    )
    .unwrap();
    // fill 0.40 × 1.01 = 0.404; fee 2.00; (100 − 2) / 0.404 = 242.5742574… → 242.574257
    assert_eq!(
        (e.quoted_price, e.trade.entry_price),
        (price("0.4"), price("0.404"))
    );
    assert_eq!(e.fee, usd("2"));
    assert_eq!(e.trade.shares, Shares::new(dec("242.574257")));
    assert_eq!(
        e.trade.amount,
        usd("100"),
        "the amount is what the balance paid"
    );
    assert_eq!(p.balance, usd("900"));
    // marked at the fill: 242.574257 × 0.404 = 97.999999828 → 98.00, −2.00
    assert_eq!(p.positions[0].current_pnl, Some(usd("-2")));
    assert_eq!(p.total_value(), usd("998"));
    assert_ledger(&p);

    // Re-priced at 0.52: 242.574257 × 0.52 = 126.1386… → 126.14, +26.14 ≥ 25.
    reprice(&mut p, &[market("m", "0.52", "0.48", false)], at(1));
    assert_eq!(p.total_profit_loss, usd("26.14"));
    let exit = closed(
        &mut p,
        "0.52",
        &rules(Some("0.25"), None, None),
        &fill,
        at(1),
    )
    .unwrap();
    // sold at 0.52 × 0.99 = 0.5148: 242.574257 × 0.5148 = 124.8772… → 124.88;
    // fee 2.4976 → 2.50; credited 122.38; realized 22.38 (both fees, both slippages)
    assert_eq!(
        (exit.exit_price, exit.proceeds, exit.fee),
        (price("0.5148"), usd("124.88"), usd("2.5"))
    );
    assert_eq!(exit.realized_pnl, usd("22.38"));
    assert_eq!(p.balance, usd("1022.38"));
    assert_eq!(p.total_value(), p.initial_balance + p.total_profit_loss);
}

#[test]
fn no_fill_model_is_todays_execution_to_the_digit() {
    for target in ["0.8", "0.9999989889179475", "0.123457"] {
        let mut s = signal("m", Action::BuyNo, "0.5", "33.33");
        s.target_price = domain::Price::exact(dec(target)).unwrap();
        let (mut a, mut b) = (portfolio("100"), portfolio("100"));
        let plain = execute_signal(&mut a, &s, t0(), &ExecutionPolicy::default()).unwrap();
        let filled = execute_signal_with(
            &mut b,
            &s,
            t0(),
            &ExecutionPolicy::default(),
            &FillModel::NONE,
            &|_| false,
        )
        .unwrap();
        assert_eq!(filled.trade, plain, "{target}");
        assert_eq!(filled.fee, Usd::ZERO);
        assert_eq!(a, b, "{target}");
    }
}

#[test]
fn positions_without_a_tradable_quote_are_reported_not_sold() {
    let r = rules(None, None, Some(1));
    let mut p = holding();
    let other = signal("n", Action::BuyNo, "0.5", "100");
    execute_signal(&mut p, &other, t0(), &ExecutionPolicy::default()).unwrap();
    let before = p.clone();
    // "m" is absent, "n" closed (it settles through reprice, it is not sold)
    let report = apply_exits(
        &mut p,
        &[market("n", "0", "1", true)],
        &r,
        &FillModel::NONE,
        at(5),
    );
    assert!(report.closed.is_empty());
    assert_eq!(
        report
            .unquoted
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>(),
        ["m", "n"]
    );
    assert_eq!(p, before);
    let none = apply_exits(
        &mut p,
        &[market("m", "0.99", "0.01", false)],
        &ExitRules::NONE,
        &FillModel::NONE,
        at(500),
    );
    assert!(none.closed.is_empty(), "no rules, no exits");
    assert_eq!(p, before);
}

#[test]
fn rules_out_of_range_are_refused_naming_them() {
    let err = |tp: Option<&str>, sl: Option<&str>, h: Option<i64>| {
        ExitRules::new(tp.map(dec), sl.map(dec), h.map(TimeDelta::hours))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(Some("0"), None, None),
        "take_profit 0 is outside (0, 100]"
    );
    assert_eq!(
        err(None, Some("1.5"), None),
        "stop_loss 1.5 is outside (0, 1]"
    );
    assert_eq!(
        err(None, Some("-0.1"), None),
        "stop_loss -0.1 is outside (0, 1]"
    );
    assert!(err(None, None, Some(0)).starts_with("max_holding"));
    assert_eq!(ExitRules::default(), ExitRules::NONE);
}
