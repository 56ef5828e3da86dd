//! Every live portfolio side by side (`prescient compare`, `GET
//! /trading/compare`, the dashboard's comparison page): equity curve,
//! return, max drawdown, win rate, Sharpe, Brier score of entry prices
//! against outcomes; the correlation matrix of daily P&L between portfolios;
//! and the concentration of each portfolio's open exposure by event and tag.
//! The figures are `analytics`'; this module only reads what they need
//! through the storage ports.

use crate::settings::portfolios::Portfolio as LivePortfolio;
use analytics::{Analytics, Concentration, CorrelationMatrix, EquityCurve, EquityPoint};
use domain::ports::Stores;
use domain::{Action, EventId, MarketId, Portfolio, Price, StoreError, Usd};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;

/// One portfolio's row of the comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PortfolioFigures {
    pub portfolio: String,
    pub strategy: String,
    /// False until a cycle has run for it (no figures yet).
    pub started: bool,
    pub initial_balance: Usd,
    pub total_value: Usd,
    pub balance: Usd,
    pub realized_pnl: Usd,
    pub unrealized_pnl: Usd,
    pub open_positions: usize,
    pub trades: u64,
    pub analytics: Option<Analytics>,
    pub concentration: Concentration,
    /// The history's `total_value`, one point per entry.
    pub equity: Vec<EquityPoint>,
}

/// Every portfolio, and how their daily P&L moves together.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub portfolios: Vec<PortfolioFigures>,
    pub correlation: CorrelationMatrix,
}

/// Compare `live` portfolios on `stores`.
pub async fn compare(stores: &Stores, live: &[LivePortfolio]) -> Result<Comparison, StoreError> {
    let tags = event_tags(stores).await;
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    for p in live {
        let Some(portfolio) = stores.portfolio.load_portfolio(&p.id).await? else {
            rows.push(PortfolioFigures {
                portfolio: p.id.to_string(),
                strategy: p.strategy_name.clone(),
                started: false,
                initial_balance: p.initial_balance,
                total_value: p.initial_balance,
                balance: p.initial_balance,
                realized_pnl: Usd::ZERO,
                unrealized_pnl: Usd::ZERO,
                open_positions: 0,
                trades: 0,
                analytics: None,
                concentration: Concentration::default(),
                equity: Vec::new(),
            });
            continue;
        };
        let history = stores.history.load_history(&p.id).await?;
        let curve = EquityCurve::from_history(&history);
        let open: Vec<_> = portfolio
            .open_positions()
            .map(|o| o.trade_id.clone())
            .collect();
        let open_trades = stores.trades.trade_events(&p.id, &open).await?;
        let exposures = analytics::open_exposures(&portfolio, &open_trades, &tags);
        let analytics =
            analytics::analyze(&curve, &portfolio.positions, &settled_payouts(&portfolio));
        let (realized, unrealized) = pnl(&portfolio);
        rows.push(PortfolioFigures {
            portfolio: p.id.to_string(),
            strategy: p.strategy_name.clone(),
            started: true,
            initial_balance: portfolio.initial_balance,
            total_value: portfolio.total_value(),
            balance: portfolio.balance,
            realized_pnl: realized,
            unrealized_pnl: unrealized,
            open_positions: open.len(),
            trades: stores.trades.count_trades(&p.id, None).await?,
            analytics: Some(analytics),
            concentration: analytics::concentration(&exposures),
            equity: curve.points().to_vec(),
        });
        curves.push((p.id.clone(), curve));
    }
    Ok(Comparison {
        portfolios: rows,
        correlation: analytics::correlation_matrix(&curves),
    })
}

fn pnl(portfolio: &Portfolio) -> (Usd, Usd) {
    let realized: Usd = portfolio
        .positions
        .iter()
        .filter_map(|p| p.realized_pnl)
        .sum();
    let unrealized: Usd = portfolio
        .open_positions()
        .filter_map(|p| p.current_pnl)
        .sum();
    (realized, unrealized)
}

/// What a share of each side paid, for the markets whose positions closed at
/// a settlement payout (1, 0 or ½ a share); positions sold by an exit rule at
/// a market price are not forecasts scored against an outcome.
fn settled_payouts(portfolio: &Portfolio) -> HashMap<MarketId, [Price; 2]> {
    let half = Price::half();
    let mut out = HashMap::new();
    for p in portfolio.positions.iter().filter(|p| !p.is_open()) {
        let Some(exit) = p.exit_price else { continue };
        if exit != Price::ONE && exit != Price::ZERO && exit != half {
            continue;
        }
        let other = Price::new(Decimal::ONE - exit.value()).unwrap_or(half);
        let payout = match p.action {
            Action::BuyYes => [exit, other],
            Action::BuyNo => [other, exit],
        };
        out.insert(p.market_id.clone(), payout);
    }
    out
}

/// The tags (`tags[].label`) of the filtered events, by event.
async fn event_tags(stores: &Stores) -> HashMap<EventId, Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Tag {
        label: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Tagged {
        #[serde(default)]
        tags: Option<Vec<Tag>>,
    }
    let Ok(events) = stores.markets.load_filtered_events().await else {
        return HashMap::new();
    };
    events
        .into_iter()
        .map(|f| {
            let labels = serde_json::from_str::<Tagged>(f.event.raw.get())
                .ok()
                .and_then(|t| t.tags)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|t| t.label)
                .collect();
            (f.event.id, labels)
        })
        .collect()
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = |r: Option<Decimal>| {
            r.map_or_else(
                || "n/a".to_owned(),
                |r| format!("{:.2}%", r * Decimal::ONE_HUNDRED),
            )
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<16} {:<16} {:>12} {:>9} {:>9} {:>8} {:>7} {:>7} {:>6}",
            "portfolio",
            "strategy",
            "value",
            "return",
            "drawdown",
            "win rate",
            "sharpe",
            "brier",
            "open"
        );
        for p in &self.portfolios {
            let a = p.analytics.as_ref();
            let _ = writeln!(
                out,
                "{:<16} {:<16} {:>12} {:>9} {:>9} {:>8} {:>7} {:>7} {:>6}",
                p.portfolio,
                p.strategy,
                if p.started {
                    p.total_value.to_string()
                } else {
                    "not started".into()
                },
                pct(a.and_then(|a| a.total_return)),
                pct(a.map(|a| a.max_drawdown.fraction)),
                pct(a.and_then(|a| a.win_rate)),
                a.and_then(|a| a.sharpe)
                    .map_or_else(|| "n/a".into(), |s| format!("{s:.2}")),
                a.and_then(|a| a.brier_score)
                    .map_or_else(|| "n/a".into(), |b| format!("{b:.4}")),
                p.open_positions,
            );
        }
        if self.correlation.portfolios.len() > 1 {
            let _ = writeln!(out, "\ncorrelation of daily P&L:");
            for (i, a) in self.correlation.portfolios.iter().enumerate() {
                let row: Vec<String> = self
                    .correlation
                    .values
                    .get(i)
                    .into_iter()
                    .flatten()
                    .map(|v| v.map_or_else(|| "  n/a".into(), |v| format!("{v:>5.2}")))
                    .collect();
                let _ = writeln!(out, "  {a:<16} {}", row.join(" "));
            }
        }
        for p in self
            .portfolios
            .iter()
            .filter(|p| !p.concentration.by_event.is_empty())
        {
            let top: Vec<String> = p
                .concentration
                .by_event
                .iter()
                .take(3)
                .map(|s| {
                    format!(
                        "{} {:.1}%",
                        s.key.as_deref().unwrap_or("none"),
                        s.share * Decimal::ONE_HUNDRED
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "\n{}: open exposure by event: {}",
                p.portfolio,
                top.join(", ")
            );
        }
        f.write_str(&out)
    }
}
