//! SPEC §2 step 5: executing signals against a portfolio.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{assert_ledger, dec, portfolio, price, signal, t0, usd};
use domain::{Action, PositionStatus, Shares, TradeId, Usd};
use paper_trading::{AdoptError, ExecutionPolicy, SkipReason, adopt_trade, execute_signal};

#[test]
fn a_trade_opens_a_position_and_debits_the_balance() {
    let mut p = portfolio("10000");
    let mut s = signal("634159", Action::BuyYes, "0.8", "100");
    s.strategy = "momentum".into();
    let trade = execute_signal(&mut p, &s, t0(), &ExecutionPolicy::default()).unwrap();

    assert_eq!(trade.trade_id.as_str(), "trade_20251020_170245_634159");
    assert_eq!(trade.portfolio_id, p.id);
    assert_eq!(trade.strategy, "momentum", "the signal's strategy");
    assert_eq!(trade.closed_at, None);
    assert_eq!(trade.timestamp, t0());
    assert_eq!(
        (trade.amount, trade.entry_price),
        (Usd::from_int(100), price("0.8"))
    );
    assert_eq!(trade.shares, Shares::new(dec("125")));
    assert_eq!(trade.status, PositionStatus::Open);
    assert_eq!(
        (trade.current_pnl, trade.realized_pnl),
        (Some(Usd::ZERO), None)
    );
    assert_eq!(trade.confidence, s.confidence);
    assert_eq!(trade.reason.as_deref(), Some("reason 634159"));
    assert_eq!(trade.outcome.as_deref(), Some("Yes"));
    assert_eq!(trade.event_id, s.event_id);
    assert_eq!(trade.event_title, s.event_title);
    assert_eq!(trade.event_end_date, s.event_end_date);

    assert_eq!(p.balance, usd("9900"));
    assert_eq!(p.total_invested, usd("100"));
    assert_eq!(p.trade_count, 1);
    assert_eq!(p.last_updated, t0());
    assert_eq!(p.total_profit_loss, Usd::ZERO);
    let pos = &p.positions[0];
    assert_eq!(pos.trade_id, trade.trade_id);
    assert_eq!(
        (pos.status, pos.entry_timestamp),
        (PositionStatus::Open, t0())
    );
    assert_eq!(
        (pos.current_price, pos.current_pnl),
        (Some(price("0.8")), Some(Usd::ZERO))
    );
    assert_eq!(p.total_value(), usd("10000"));
    assert_ledger(&p);
}

#[test]
fn skips_leave_the_portfolio_unchanged() {
    let strict = ExecutionPolicy::default();
    let mut p = portfolio("150");
    execute_signal(
        &mut p,
        &signal("a", Action::BuyYes, "0.8", "100"),
        t0(),
        &strict,
    )
    .unwrap();
    let before = p.clone();

    let cases = [
        (
            signal("b", Action::BuyYes, "0.8", "50.01"),
            SkipReason::InsufficientBalance {
                needed: usd("50.01"),
                available: usd("50"),
            },
            "insufficient balance: the trade needs 50.01, the portfolio has 50.00",
        ),
        (
            signal("a", Action::BuyNo, "0.6", "10"),
            SkipReason::PositionAlreadyOpen {
                market_id: "a".into(),
                trade_id: TradeId::new("trade_20251020_170245_a"),
            },
            "a position in market a is already open (trade trade_20251020_170245_a)",
        ),
        (
            signal("c", Action::BuyYes, "0", "10"),
            SkipReason::InvalidSignal("cannot buy shares at a price of zero".into()),
            "invalid signal: cannot buy shares at a price of zero",
        ),
        (
            signal("c", Action::BuyYes, "0.5", "0"),
            SkipReason::InvalidSignal("amount 0 must be positive".into()),
            "invalid signal: amount 0 must be positive",
        ),
    ];
    for (s, reason, text) in cases {
        let got = execute_signal(&mut p, &s, t0(), &strict).unwrap_err();
        assert_eq!(got, reason);
        assert_eq!(got.to_string(), text);
        assert_eq!(p, before);
    }
    // Exactly the balance is enough.
    execute_signal(
        &mut p,
        &signal("b", Action::BuyYes, "0.8", "50"),
        t0(),
        &strict,
    )
    .unwrap();
    assert_eq!(p.balance, Usd::ZERO);
    assert_ledger(&p);
}

#[test]
fn a_second_position_in_a_market_is_allowed_by_policy_with_a_unique_id() {
    let lenient = ExecutionPolicy {
        one_position_per_market: false,
    };
    let mut p = portfolio("1000");
    let ids: Vec<String> = (0..3)
        .map(|_| {
            let s = signal("634159", Action::BuyYes, "0.8", "100");
            execute_signal(&mut p, &s, t0(), &lenient)
                .unwrap()
                .trade_id
                .to_string()
        })
        .collect();
    assert_eq!(
        ids,
        [
            "trade_20251020_170245_634159",
            "trade_20251020_170245_634159_2",
            "trade_20251020_170245_634159_3",
        ]
    );
    assert_eq!((p.balance, p.trade_count), (usd("700"), 3));
    assert_ledger(&p);
}

#[test]
fn two_portfolios_buying_one_market_at_one_second_get_different_ids() {
    let policy = ExecutionPolicy::default();
    let s = signal("634159", Action::BuyYes, "0.8", "100");
    let mut default = portfolio("1000");
    let mut band = portfolio("1000");
    band.id = domain::PortfolioId::new("band");
    let a = execute_signal(&mut default, &s, t0(), &policy).unwrap();
    let b = execute_signal(&mut band, &s, t0(), &policy).unwrap();
    assert_eq!(a.trade_id.as_str(), "trade_20251020_170245_634159");
    assert_eq!(b.trade_id.as_str(), "band~trade_20251020_170245_634159");
    assert_eq!(b.portfolio_id.as_str(), "band");
}

#[test]
fn an_execution_taken_back_leaves_the_portfolio_as_it_was() {
    let mut p = portfolio("1000");
    execute_signal(
        &mut p,
        &signal("1", Action::BuyYes, "0.8", "100"),
        t0(),
        &ExecutionPolicy::default(),
    )
    .unwrap();
    let before = p.clone();
    let later = t0() + chrono::Duration::seconds(5);
    let execution = paper_trading::execute_signal_with(
        &mut p,
        &signal("2", Action::BuyNo, "0.6", "100"),
        later,
        &ExecutionPolicy::default(),
        &paper_trading::FillModel::default(),
        &|_| false,
    )
    .unwrap();
    assert_ne!(p, before);
    execution.undo.apply(&mut p);
    assert_eq!(p, before);
    assert_ledger(&p);
}

#[test]
fn a_new_second_gets_the_plain_legacy_id() {
    let lenient = ExecutionPolicy {
        one_position_per_market: false,
    };
    let mut p = portfolio("1000");
    let s = signal("7", Action::BuyNo, "0.6", "100");
    execute_signal(&mut p, &s, t0(), &lenient).unwrap();
    let later = t0() + chrono::Duration::seconds(1);
    let t = execute_signal(&mut p, &s, later, &lenient).unwrap();
    assert_eq!(t.trade_id.as_str(), "trade_20251020_170246_7");
    assert_eq!(t.outcome.as_deref(), Some("No"));
}

#[test]
fn policy_defaults_to_one_position_per_market() {
    assert!(ExecutionPolicy::default().one_position_per_market);
}

#[test]
fn a_trade_recorded_without_its_position_is_adopted_as_executed() {
    // The execution wrote the trade, then the process died before the
    // portfolio was saved: the saved portfolio is the one from before.
    let before = portfolio("10000");
    let mut executed = before.clone();
    let s = signal("634159", Action::BuyYes, "0.8", "100");
    let trade = execute_signal(&mut executed, &s, t0(), &ExecutionPolicy::default()).unwrap();

    let mut p = before.clone();
    adopt_trade(&mut p, &trade, t0(), &ExecutionPolicy::default()).unwrap();
    assert_eq!(
        p, executed,
        "the same portfolio as if the save had happened"
    );
    assert_ledger(&p);

    // Adopting it again, or a second trade in the same market, changes nothing.
    let again = adopt_trade(&mut p, &trade, t0(), &ExecutionPolicy::default());
    assert!(
        matches!(again, Err(AdoptError::AlreadyHeld(_))),
        "{again:?}"
    );
    let mut other = trade.clone();
    other.trade_id = TradeId::new("trade_20251020_170245_634159_2");
    let twice = adopt_trade(&mut p, &other, t0(), &ExecutionPolicy::default());
    assert!(
        matches!(
            twice,
            Err(AdoptError::Skipped {
                reason: SkipReason::PositionAlreadyOpen { .. },
                ..
            })
        ),
        "{twice:?}"
    );
    assert_eq!(p, executed);

    // Not more than the balance holds.
    let mut poor = portfolio("50");
    let short = adopt_trade(&mut poor, &trade, t0(), &ExecutionPolicy::default());
    assert!(
        matches!(
            short,
            Err(AdoptError::Skipped {
                reason: SkipReason::InsufficientBalance { .. },
                ..
            })
        ),
        "{short:?}"
    );
    assert_eq!(poor, portfolio("50"));
}
