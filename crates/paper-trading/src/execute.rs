//! SPEC §2 step 5: execute one signal against a portfolio.

use crate::fill::FillModel;
use crate::ledger::refresh_profit_loss;
use chrono::{DateTime, Utc};
use domain::{
    DomainError, Extra, MarketId, Portfolio, Position, PositionStatus, Price, Shares, Signal,
    Trade, TradeId, Usd,
};

/// How signals are executed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionPolicy {
    /// Skip a signal for a market that already has an open position.
    pub one_position_per_market: bool,
}

impl Default for ExecutionPolicy {
    fn default() -> Self {
        ExecutionPolicy {
            one_position_per_market: true,
        }
    }
}

/// Why a signal was not executed. The portfolio is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    #[error("insufficient balance: the trade needs {needed}, the portfolio has {available}")]
    InsufficientBalance { needed: Usd, available: Usd },
    #[error("a position in market {market_id} is already open (trade {trade_id})")]
    PositionAlreadyOpen {
        market_id: MarketId,
        trade_id: TradeId,
    },
    #[error("invalid signal: {0}")]
    InvalidSignal(String),
}

/// Execute `signal` at `now`: record a trade, open a position, debit the
/// balance. On a skip nothing changes.
///
/// The trade id is the legacy `trade_{%Y%m%d_%H%M%S}_{market_id}` (UTC); when a
/// position of the portfolio already uses it, `_2`, `_3`, … is appended, so two
/// trades in one market in one second get distinct ids (SPEC §3).
pub fn execute_signal(
    portfolio: &mut Portfolio,
    signal: &Signal,
    now: DateTime<Utc>,
    policy: &ExecutionPolicy,
) -> Result<Trade, SkipReason> {
    execute_signal_avoiding(portfolio, signal, now, policy, &|_| false)
}

/// [`execute_signal`], also avoiding the ids `taken` says are used elsewhere
/// (the trade store holds ids that no position of this portfolio has: a
/// restored older portfolio, a crash between the trade and the portfolio).
pub fn execute_signal_avoiding(
    portfolio: &mut Portfolio,
    signal: &Signal,
    now: DateTime<Utc>,
    policy: &ExecutionPolicy,
    taken: &dyn Fn(&str) -> bool,
) -> Result<Trade, SkipReason> {
    execute_signal_with(portfolio, signal, now, policy, &FillModel::NONE, taken).map(|e| e.trade)
}

/// A signal executed through a fill model: the trade, and how it filled.
#[derive(Clone, Debug, PartialEq)]
pub struct Execution {
    /// Its `entry_price` is the fill price and its `shares` what
    /// `amount − fee` bought there.
    pub trade: Trade,
    /// The signal's target price.
    pub quoted_price: Price,
    /// Part of the trade's `amount`: it bought no shares.
    pub fee: Usd,
    /// How to take the execution back out of the portfolio.
    pub undo: Undo,
}

/// What an execution changed in its portfolio (one position appended, the
/// cash and totals), to take it back when the store refuses its trade —
/// the trade id was taken meanwhile — without copying the portfolio before
/// every signal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Undo {
    positions: usize,
    balance: Usd,
    total_invested: Usd,
    total_profit_loss: Usd,
    trade_count: u64,
    last_updated: DateTime<Utc>,
}

impl Undo {
    fn of(p: &Portfolio) -> Self {
        Undo {
            positions: p.positions.len(),
            balance: p.balance,
            total_invested: p.total_invested,
            total_profit_loss: p.total_profit_loss,
            trade_count: p.trade_count,
            last_updated: p.last_updated,
        }
    }

    /// Put `portfolio` back as it was before the execution this came with
    /// (nothing else may have changed it since).
    pub fn apply(self, portfolio: &mut Portfolio) {
        portfolio.positions.truncate(self.positions);
        portfolio.balance = self.balance;
        portfolio.total_invested = self.total_invested;
        portfolio.total_profit_loss = self.total_profit_loss;
        portfolio.trade_count = self.trade_count;
        portfolio.last_updated = self.last_updated;
    }
}

/// [`execute_signal_avoiding`] through `fill`: the buy fills at
/// [`FillModel::buy_price`] of the signal's price, the balance pays exactly
/// `amount`, and the fee on it buys no shares
/// (`shares = (amount − fee) / fill price`). The position opens marked at
/// its fill price. With [`FillModel::NONE`] this is
/// [`execute_signal_avoiding`], to the digit.
pub fn execute_signal_with(
    portfolio: &mut Portfolio,
    signal: &Signal,
    now: DateTime<Utc>,
    policy: &ExecutionPolicy,
    fill: &FillModel,
    taken: &dyn Fn(&str) -> bool,
) -> Result<Execution, SkipReason> {
    let entry_price = fill.buy_price(signal.target_price);
    let fee = fill.fee(signal.amount);
    let shares = Shares::bought(signal.amount - fee, entry_price).map_err(invalid)?;
    if policy.one_position_per_market {
        if let Some(open) = portfolio.open_position_in(&signal.market_id) {
            return Err(SkipReason::PositionAlreadyOpen {
                market_id: signal.market_id.clone(),
                trade_id: open.trade_id.clone(),
            });
        }
    }
    if signal.amount > portfolio.balance {
        return Err(SkipReason::InsufficientBalance {
            needed: signal.amount,
            available: portfolio.balance,
        });
    }

    let trade_id = unique_trade_id(portfolio, &signal.market_id, now, taken);
    let trade = Trade {
        trade_id: trade_id.clone(),
        portfolio_id: portfolio.id.clone(),
        strategy: signal.strategy.clone(),
        timestamp: now,
        market_id: signal.market_id.clone(),
        market_question: signal.market_question.clone(),
        action: signal.action,
        outcome: signal.outcome.clone(),
        amount: signal.amount,
        entry_price,
        shares,
        confidence: signal.confidence,
        reason: Some(signal.reason.clone()),
        status: PositionStatus::Open,
        event_id: signal.event_id.clone(),
        event_title: signal.event_title.clone(),
        event_end_date: signal.event_end_date,
        current_pnl: Some(Usd::ZERO),
        realized_pnl: None,
        closed_at: None,
        extra: Extra::new(),
    };
    let undo = Undo::of(portfolio);
    open_position(portfolio, &trade, now);
    tracing::debug!(trade = %trade.trade_id, amount = %trade.amount, fee = %fee, "executed signal");
    Ok(Execution {
        trade,
        quoted_price: signal.target_price,
        fee,
        undo,
    })
}

/// Open the position `trade` bought and debit the balance.
fn open_position(portfolio: &mut Portfolio, trade: &Trade, now: DateTime<Utc>) {
    portfolio.positions.push(Position {
        trade_id: trade.trade_id.clone(),
        market_id: trade.market_id.clone(),
        market_question: trade.market_question.clone(),
        action: trade.action,
        outcome: trade.outcome.clone(),
        amount: trade.amount,
        entry_price: trade.entry_price,
        shares: trade.shares,
        entry_timestamp: trade.timestamp,
        status: PositionStatus::Open,
        current_price: Some(trade.entry_price),
        current_pnl: Some(trade.shares.worth(trade.entry_price) - trade.amount),
        realized_pnl: None,
        exit_price: None,
        exit_timestamp: None,
        extra: Extra::new(),
    });
    portfolio.balance -= trade.amount;
    portfolio.total_invested += trade.amount;
    portfolio.trade_count += 1;
    portfolio.last_updated = now;
    refresh_profit_loss(portfolio);
}

/// Why a recorded trade was not taken into the portfolio.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdoptError {
    #[error("trade {0} belongs to another portfolio")]
    OtherPortfolio(TradeId),
    #[error("trade {0} already has its position")]
    AlreadyHeld(TradeId),
    #[error("trade {0} is not an open buy")]
    NotOpen(TradeId),
    #[error("trade {trade}: {reason}")]
    Skipped { trade: TradeId, reason: SkipReason },
}

/// Complete an execution a crash cut short: `trade` is in the trade store
/// (it is written first) but the portfolio was never saved with its
/// position. Open that position as the execution would have, at the trade's
/// own price and time, so the market is not bought a second time. Nothing
/// changes on an error.
pub fn adopt_trade(
    portfolio: &mut Portfolio,
    trade: &Trade,
    now: DateTime<Utc>,
    policy: &ExecutionPolicy,
) -> Result<(), AdoptError> {
    if trade.portfolio_id != portfolio.id {
        return Err(AdoptError::OtherPortfolio(trade.trade_id.clone()));
    }
    if portfolio
        .positions
        .iter()
        .any(|p| p.trade_id == trade.trade_id)
    {
        return Err(AdoptError::AlreadyHeld(trade.trade_id.clone()));
    }
    if trade.status != PositionStatus::Open || trade.realized_pnl.is_some() {
        return Err(AdoptError::NotOpen(trade.trade_id.clone()));
    }
    let skipped = |reason| AdoptError::Skipped {
        trade: trade.trade_id.clone(),
        reason,
    };
    if policy.one_position_per_market {
        if let Some(open) = portfolio.open_position_in(&trade.market_id) {
            return Err(skipped(SkipReason::PositionAlreadyOpen {
                market_id: trade.market_id.clone(),
                trade_id: open.trade_id.clone(),
            }));
        }
    }
    if trade.amount > portfolio.balance {
        return Err(skipped(SkipReason::InsufficientBalance {
            needed: trade.amount,
            available: portfolio.balance,
        }));
    }
    open_position(portfolio, trade, now);
    tracing::warn!(trade = %trade.trade_id, "a trade recorded without its position (an interrupted execution) now has it");
    Ok(())
}

fn invalid(e: DomainError) -> SkipReason {
    SkipReason::InvalidSignal(e.to_string())
}

/// A trade id no position of `portfolio` and nothing `elsewhere` holds:
/// `trade_<YYYYmmdd_HHMMSS>_<market>` in the default portfolio (the legacy
/// shape), `<portfolio>~trade_…` in any other, so two portfolios buying the
/// same market at the same second never allocate one id (trade ids are
/// unique across portfolios: PostgreSQL's `trades.trade_id`, while each
/// portfolio's JSON trade file checks only its own). A portfolio id has no
/// `~`, and a default id has none in its first 22 characters, so only a
/// portfolio named like a trade id could meet another's; then `_2`, `_3`…
/// and the stores' conflict check still apply.
fn unique_trade_id(
    portfolio: &Portfolio,
    market: &MarketId,
    now: DateTime<Utc>,
    elsewhere: &dyn Fn(&str) -> bool,
) -> TradeId {
    let stamp = now.format("%Y%m%d_%H%M%S");
    let base = if portfolio.id.is_default() {
        format!("trade_{stamp}_{market}")
    } else {
        format!("{}~trade_{stamp}_{market}", portfolio.id)
    };
    let taken = |id: &str| {
        elsewhere(id)
            || portfolio
                .positions
                .iter()
                .any(|p| p.trade_id.as_str() == id)
    };
    if !taken(&base) {
        return TradeId::new(base);
    }
    let mut n = 2u64;
    loop {
        let candidate = format!("{base}_{n}");
        if !taken(&candidate) {
            return TradeId::new(candidate);
        }
        n += 1;
    }
}
