//! Copying data sets between stores through the ports: backfill (JSON →
//! PostgreSQL), backup (PostgreSQL → the legacy JSON layout), restore (a
//! backup → an empty database) and repair (truth → the other side). Every
//! write is idempotent on its natural key, so a copy interrupted half way is
//! resumed by running it again.

use domain::ports::Stores;
use domain::{DataSet, PortfolioId, StoreError};
use indicatif::ProgressBar;
use serde::Serialize;
use std::time::{Duration, Instant};
use storage_pg::PgStore;

/// Trades per bulk insert into PostgreSQL (each its own transaction, so an
/// interrupted backfill keeps what it committed).
pub const TRADE_CHUNK: usize = 10_000;

/// Rows copied per table.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct CopyReport {
    pub tables: Vec<(String, usize)>,
    #[serde(skip)]
    pub elapsed: Duration,
}

impl CopyReport {
    pub fn rows(&self) -> usize {
        self.tables.iter().map(|(_, n)| n).sum()
    }

    pub fn rows_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.rows() as f64 / secs
        } else {
            0.0
        }
    }

    fn add(&mut self, table: &str, rows: usize) {
        self.tables.push((table.to_owned(), rows));
    }
}

impl std::fmt::Display for CopyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (table, rows) in &self.tables {
            writeln!(f, "  {table:<22} {rows:>10} rows")?;
        }
        write!(
            f,
            "  {} rows in {:.1} s ({:.0} rows/s)",
            self.rows(),
            self.elapsed.as_secs_f64(),
            self.rows_per_second()
        )
    }
}

/// Copy `data_sets` from `from` to `to`. With `bulk`, trades go into that
/// PostgreSQL store in batched inserts instead of one by one. System
/// metadata travels with the portfolio data set.
pub async fn copy_data_sets(
    from: &Stores,
    to: &Stores,
    bulk: Option<&PgStore>,
    data_sets: &[DataSet],
    portfolio: &PortfolioId,
    progress: &ProgressBar,
) -> Result<CopyReport, StoreError> {
    let started = Instant::now();
    let mut report = CopyReport::default();
    // Trades before signals, so signal links find their trades.
    let mut ordered = data_sets.to_vec();
    ordered.sort();
    ordered.dedup();
    for ds in ordered {
        progress.set_message(format!("{ds}"));
        match ds {
            DataSet::Portfolio => {
                if let Some(p) = from.portfolio.load_portfolio(portfolio).await? {
                    to.portfolio.save_portfolio(&p).await?;
                    report.add("portfolio_state", 1);
                    report.add("portfolio_positions", p.positions.len());
                }
                let snapshots = from.portfolio.load_portfolio_snapshots(portfolio).await?;
                progress.inc_length(snapshots.len() as u64);
                for s in &snapshots {
                    to.portfolio.append_portfolio_snapshot(s).await?;
                    progress.inc(1);
                }
                report.add("portfolio_snapshots", snapshots.len());
                let mut meta = from.metadata.load_metadata().await?;
                // Each store's phase mirror is set by transitions, not
                // copied: a backup restored into the data directory carries
                // the phase it was taken in, which repair must not put back.
                meta.remove(super::phase::PHASE_KEY);
                let now = chrono::Utc::now();
                for (k, v) in &meta {
                    to.metadata.set_metadata(k, v, now).await?;
                }
                report.add("system_metadata", meta.len());
            }
            DataSet::Trades => {
                let trades = from.trades.load_trades(portfolio).await?;
                progress.inc_length(trades.len() as u64);
                match bulk {
                    Some(pg) => {
                        for chunk in trades.chunks(TRADE_CHUNK) {
                            pg.bulk_insert_trades(chunk).await?;
                            progress.inc(chunk.len() as u64);
                        }
                    }
                    None => {
                        for t in &trades {
                            to.trades.append_trade(t).await?;
                            progress.inc(1);
                        }
                    }
                }
                report.add("trades", trades.len());
            }
            DataSet::History => {
                let history = from.history.load_history(portfolio).await?;
                progress.inc_length(history.len() as u64);
                for h in &history {
                    to.history.append_history_entry(h).await?;
                    progress.inc(1);
                }
                report.add("portfolio_history", history.len());
                let archives = from.history.load_signal_archives(None).await?;
                progress.inc_length(archives.len() as u64);
                for a in &archives {
                    to.history.append_signal_archive(a).await?;
                    progress.inc(1);
                }
                report.add("signal_archives", archives.len());
            }
            DataSet::Signals => {
                let signals = from.signals.load_current_signals().await?;
                to.signals.replace_current_signals(&signals).await?;
                report.add("trading_signals", signals.len());
            }
            DataSet::Markets => {
                let raw = from.markets.load_raw_events().await?;
                to.markets.save_raw_events(&raw).await?;
                report.add("events (raw)", raw.len());
                let filtered = from.markets.load_filtered_events().await?;
                to.markets.save_filtered_events(&filtered).await?;
                report.add("events (filtered)", filtered.len());
                let markets = from.markets.load_filtered_markets().await?;
                to.markets.save_filtered_markets(&markets).await?;
                report.add("markets", markets.len());
                let snapshots = from.markets.load_market_snapshots(None).await?;
                progress.inc_length(snapshots.len() as u64);
                for chunk in snapshots.chunks(1000) {
                    to.markets.append_market_snapshots(chunk).await?;
                    progress.inc(chunk.len() as u64);
                }
                report.add("market_snapshots", snapshots.len());
            }
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}
