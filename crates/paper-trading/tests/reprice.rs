//! SPEC §2 step 6 and §3: re-pricing open positions and settling resolved ones.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_ledger, market, portfolio, price, signal, t0, usd, utc};
use domain::gamma::decode_market;
use domain::{Action, Market, MarketId, Portfolio, PositionStatus, Price, Shares, TradeId, Usd};
use paper_trading::{
    ExecutionPolicy, RepriceReport, Settlement, execute_signal, history_entry, reprice,
    settle_position, snapshot,
};

/// A portfolio of 10 000 holding one position: 100 on `action` in market "m" at 0.8.
fn holding(action: Action) -> Portfolio {
    let mut p = portfolio("10000");
    execute_signal(
        &mut p,
        &signal("m", action, "0.8", "100"),
        t0(),
        &ExecutionPolicy::default(),
    )
    .unwrap();
    p
}

fn later() -> chrono::DateTime<chrono::Utc> {
    utc("2025-10-21T09:00:00Z")
}

#[test]
fn marking_is_shares_times_price_minus_amount() {
    // 100 at 0.8 = 125 shares.
    let cases = [
        (Action::BuyYes, ["0.9", "0.1"], "0.9", "12.50"),
        (Action::BuyYes, ["0.7", "0.3"], "0.7", "-12.50"),
        (Action::BuyYes, ["0.8", "0.2"], "0.8", "0"),
        (
            Action::BuyYes,
            ["0.333333", "0.666667"],
            "0.333333",
            "-58.33",
        ),
        (Action::BuyNo, ["0.05", "0.95"], "0.95", "18.75"),
        // An open market at 0.999 is marked, not settled.
        (Action::BuyYes, ["0.999", "0.001"], "0.999", "24.88"),
    ];
    for (action, [yes, no], mark, pnl) in cases {
        let mut p = holding(action);
        let report = reprice(&mut p, &[market("m", yes, no, false)], later());
        assert_eq!(
            report,
            RepriceReport {
                repriced: 1,
                ..RepriceReport::default()
            }
        );
        let pos = &p.positions[0];
        assert_eq!(pos.status, PositionStatus::Open);
        assert_eq!(
            (pos.current_price, pos.current_pnl),
            (Some(price(mark)), Some(usd(pnl))),
            "{yes}/{no}"
        );
        assert_eq!(p.total_profit_loss, usd(pnl));
        assert_eq!(p.total_value(), usd("10000") + usd(pnl));
        assert_eq!(p.last_price_update, Some(later()));
        assert_ledger(&p);
    }
}

#[test]
fn resolved_markets_settle_at_the_payout_of_the_position_outcome() {
    // (held, final prices, exit price, payout, realized, balance after)
    let cases = [
        (Action::BuyYes, ["1", "0"], "1", "125", "25", "10025"),
        (Action::BuyYes, ["0", "1"], "0", "0", "-100", "9900"),
        (Action::BuyNo, ["0", "1"], "1", "125", "25", "10025"),
        (
            Action::BuyNo,
            ["0.9995", "0.0005"],
            "0",
            "0",
            "-100",
            "9900",
        ),
        (
            Action::BuyYes,
            ["0.5", "0.5"],
            "0.5",
            "62.50",
            "-37.50",
            "9962.50",
        ),
    ];
    for (action, [yes, no], exit, payout, realized, balance) in cases {
        let mut p = holding(action);
        let report = reprice(&mut p, &[market("m", yes, no, true)], later());
        let trade_id = p.positions[0].trade_id.clone();
        assert_eq!(
            report.settled,
            [Settlement {
                trade_id,
                market_id: MarketId::new("m"),
                exit_price: price(exit),
                payout: usd(payout),
                realized_pnl: usd(realized),
            }],
            "{action} {yes}/{no}"
        );
        assert_eq!(report.repriced, 0);
        let pos = &p.positions[0];
        assert_eq!(pos.status, PositionStatus::Closed);
        assert_eq!(
            (pos.exit_price, pos.exit_timestamp),
            (Some(price(exit)), Some(later()))
        );
        assert_eq!(
            (pos.realized_pnl, pos.current_pnl),
            (Some(usd(realized)), Some(Usd::ZERO))
        );
        assert_eq!(p.balance, usd(balance));
        assert_eq!(p.total_profit_loss, usd(realized));
        assert_eq!(p.total_value(), usd(balance));
        assert_ledger(&p);
    }
}

#[test]
fn undecided_and_missing_markets_stay_open_and_are_reported() {
    let mut p = portfolio("10000");
    let lenient = ExecutionPolicy {
        one_position_per_market: false,
    };
    for (m, price) in [
        ("undecided", "0.8"),
        ("undecided", "0.6"),
        ("gone", "0.5"),
        ("unpriced", "0.7"),
    ] {
        execute_signal(
            &mut p,
            &signal(m, Action::BuyYes, price, "100"),
            t0(),
            &lenient,
        )
        .unwrap();
    }
    let before = p.clone();
    let mut no_prices = market("unpriced", "0.5", "0.5", false);
    no_prices.outcome_prices = None;
    let report = reprice(
        &mut p,
        &[market("undecided", "0", "0", true), no_prices],
        later(),
    );
    assert_eq!(
        report,
        RepriceReport {
            repriced: 0,
            settled: vec![],
            undecided: vec![MarketId::new("undecided")],
            unpriced: vec![MarketId::new("gone"), MarketId::new("unpriced")],
        }
    );
    assert_eq!(p, before, "nothing repriced or settled: nothing changes");
    assert_eq!(p.last_price_update, None);
}

#[test]
fn settling_twice_is_settling_once() {
    let mut p = holding(Action::BuyYes);
    let id = p.positions[0].trade_id.clone();
    let first = settle_position(&mut p, &id, Price::ONE, later()).unwrap();
    assert_eq!((first.payout, first.realized_pnl), (usd("125"), usd("25")));
    let once = p.clone();
    assert_eq!(settle_position(&mut p, &id, Price::ZERO, later()), None);
    assert_eq!(p, once);
    // A re-price that sees the resolved market again settles nothing.
    let report = reprice(&mut p, &[market("m", "1", "0", true)], later());
    assert_eq!(report, RepriceReport::default());
    assert_eq!(p, once);
    assert_eq!(
        settle_position(&mut p, &TradeId::new("no_such_trade"), Price::ONE, later()),
        None
    );
    assert_ledger(&p);
}

#[test]
fn a_legacy_current_pnl_is_kept_until_the_position_is_repriced() {
    // As read from a legacy portfolio.json: never marked here, current_pnl
    // computed the original's way, (0.9 − 0.8) × 100 = 10.
    let mut p = holding(Action::BuyYes);
    p.positions[0].current_price = None;
    p.positions[0].current_pnl = Some(usd("10"));
    reprice(&mut p, &[], later());
    assert_eq!(p.positions[0].current_pnl, Some(usd("10")));
    // It counts at cost in the totals, so the ledger identities hold.
    assert_eq!(p.total_profit_loss, Usd::ZERO);
    assert_ledger(&p);
    reprice(&mut p, &[market("m", "0.9", "0.1", false)], later());
    assert_eq!(p.positions[0].current_pnl, Some(usd("12.50")));
    assert_eq!(p.total_profit_loss, usd("12.50"));
    assert_ledger(&p);
}

#[test]
fn realized_and_unrealized_both_count_in_total_profit_loss() {
    let mut p = portfolio("1000");
    let policy = ExecutionPolicy::default();
    execute_signal(
        &mut p,
        &signal("won", Action::BuyYes, "0.8", "100"),
        t0(),
        &policy,
    )
    .unwrap();
    execute_signal(
        &mut p,
        &signal("open", Action::BuyNo, "0.6", "60"),
        t0(),
        &policy,
    )
    .unwrap();
    let report = reprice(
        &mut p,
        &[
            market("won", "1", "0", true),
            market("open", "0.3", "0.7", false),
        ],
        later(),
    );
    assert_eq!((report.repriced, report.settled.len()), (1, 1));
    // won: +25 realized; open: 100 shares at 0.7 = 70 − 60 = +10 unrealized.
    assert_eq!(p.total_profit_loss, usd("35"));
    assert_eq!(p.balance, usd("965"));
    assert_eq!(p.total_value(), usd("1035"));
    assert_ledger(&p);

    let entry = history_entry(&p, later());
    assert_eq!(entry.date, later().date_naive());
    assert_eq!(entry.timestamp, later());
    assert_eq!(
        (entry.balance, entry.total_invested),
        (usd("965"), usd("160"))
    );
    assert_eq!(
        (entry.total_profit_loss, entry.total_value),
        (usd("35"), usd("1035"))
    );
    assert_eq!((entry.open_positions, entry.trade_count), (1, 2));
    let snap = snapshot(&p, later());
    assert_eq!(
        (
            snap.portfolio_id,
            snap.timestamp,
            snap.balance,
            snap.total_invested,
            snap.total_profit_loss,
            snap.trade_count
        ),
        (p.id.clone(), later(), usd("965"), usd("160"), usd("35"), 2)
    );
}

/// Recorded Gamma `/markets` objects, by file name (`None`, with a note,
/// when the shared fixtures are absent outside CI; under `CI=true` their
/// absence fails the test).
fn recorded<const N: usize>(names: [&str; N]) -> Option<[Market; N]> {
    let dir = testkit::fixtures::shared()?.join("gamma/markets");
    Some(names.map(|name| {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        decode_market(&serde_json::from_str(&text).unwrap()).unwrap()
    }))
}

#[test]
fn recorded_markets_settle_stay_undecided_or_mark() {
    let Some([no_wins, zero_zero, up_down]) = recorded([
        "resolved_no_wins.json",
        "closed_zero_zero_undecided.json",
        "open_up_down.json",
    ]) else {
        return;
    };
    let mut p = portfolio("1000");
    let policy = ExecutionPolicy::default();
    for (m, action, price) in [
        (&no_wins, Action::BuyNo, "0.8"),
        (&zero_zero, Action::BuyYes, "0.5"),
        (&up_down, Action::BuyNo, "0.4"),
    ] {
        execute_signal(
            &mut p,
            &signal(m.id.as_str(), action, price, "100"),
            t0(),
            &policy,
        )
        .unwrap();
    }
    let report = reprice(&mut p, &[no_wins, zero_zero, up_down], later());
    assert_eq!(report.settled.len(), 1);
    assert_eq!(report.settled[0].market_id.as_str(), "1460332");
    assert_eq!(
        (report.settled[0].payout, report.settled[0].realized_pnl),
        (usd("125"), usd("25"))
    );
    assert_eq!(report.undecided, [MarketId::new("12")]);
    assert_eq!(report.repriced, 1);
    // Down at 0.495: 250 shares → 123.75 − 100.
    let down = p
        .positions
        .iter()
        .find(|q| q.market_id.as_str() == "1557558")
        .unwrap();
    assert_eq!(down.current_pnl, Some(usd("23.75")));
    assert_eq!(down.shares, Shares::new(rust_decimal::Decimal::from(250)));
    assert_ledger(&p);
}
