//! Copying data sets between stores through the ports: backfill (JSON →
//! PostgreSQL), backup (PostgreSQL → the legacy JSON layout), restore (a
//! backup → an empty database) and repair (truth → the other side). Every
//! write is idempotent on its natural key, so a copy interrupted half way is
//! resumed by running it again. Every portfolio the source holds is copied,
//! the default one always.

use domain::ports::{Stores, TradeChunks};
use domain::{DataSet, PortfolioId, StoreError};
use indicatif::ProgressBar;
use serde::Serialize;
use std::collections::BTreeSet;
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

/// Every portfolio any of `stores` holds anything of, and the default one
/// always (a data directory of the legacy layout is the default portfolio,
/// even while it is empty), sorted.
pub async fn portfolios_in(stores: &[&Stores]) -> Result<Vec<PortfolioId>, StoreError> {
    let mut ids = BTreeSet::from([PortfolioId::default()]);
    for s in stores {
        ids.extend(s.portfolio.list_portfolios().await?);
    }
    Ok(ids.into_iter().collect())
}

/// Copy `data_sets` from `from` to `to`, every portfolio `from` holds (see
/// [`portfolios_in`]). With `bulk`, trades go into that PostgreSQL store in
/// batched inserts instead of one by one. System metadata travels with the
/// portfolio data set; the market data is copied once.
///
/// A trade the target already holds keeps its execution; its settlement is
/// the source's (the bulk insert takes it, and one by one each settled trade
/// is settled after its append), so a copy brings closed trade records
/// level too.
pub async fn copy_data_sets(
    from: &Stores,
    to: &Stores,
    bulk: Option<&PgStore>,
    data_sets: &[DataSet],
    progress: &ProgressBar,
) -> Result<CopyReport, StoreError> {
    let started = Instant::now();
    let mut report = CopyReport::default();
    let portfolios = portfolios_in(&[from]).await?;
    // Trades before signals, so signal links find their trades.
    let mut ordered = data_sets.to_vec();
    ordered.sort();
    ordered.dedup();
    for ds in ordered {
        progress.set_message(format!("{ds}"));
        match ds {
            DataSet::Portfolio => {
                let (mut states, mut positions, mut snapshot_rows) = (0, 0, 0);
                for portfolio in &portfolios {
                    if let Some(p) = from.portfolio.load_portfolio(portfolio).await? {
                        to.portfolio.save_portfolio(&p).await?;
                        states += 1;
                        positions += p.positions.len();
                    }
                    let snapshots = from.portfolio.load_portfolio_snapshots(portfolio).await?;
                    progress.inc_length(snapshots.len() as u64);
                    for s in &snapshots {
                        to.portfolio.append_portfolio_snapshot(s).await?;
                        progress.inc(1);
                    }
                    snapshot_rows += snapshots.len();
                }
                report.add("portfolio_state", states);
                report.add("portfolio_positions", positions);
                report.add("portfolio_snapshots", snapshot_rows);
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
                let mut rows = 0;
                for portfolio in &portfolios {
                    match bulk {
                        Some(pg) => {
                            let chunks = from.trades.trade_chunks(portfolio, TRADE_CHUNK).await?;
                            progress.inc_length(chunks.total() as u64);
                            rows += bulk_copy(pg, chunks, progress).await?;
                        }
                        None => {
                            let trades = from.trades.load_trades(portfolio).await?;
                            progress.inc_length(trades.len() as u64);
                            for t in &trades {
                                to.trades.append_trade(t).await?;
                                if t.is_settled() {
                                    to.trades.settle_trade(&t.settlement()).await?;
                                }
                                progress.inc(1);
                            }
                            rows += trades.len();
                        }
                    }
                }
                report.add("trades", rows);
            }
            DataSet::History => {
                let (mut entries, mut archived) = (0, 0);
                for portfolio in &portfolios {
                    let history = from.history.load_history(portfolio).await?;
                    progress.inc_length(history.len() as u64);
                    for h in &history {
                        to.history.append_history_entry(h).await?;
                        progress.inc(1);
                    }
                    entries += history.len();
                    let archives = from.history.load_signal_archives(portfolio, None).await?;
                    progress.inc_length(archives.len() as u64);
                    for a in &archives {
                        to.history.append_signal_archive(a).await?;
                        progress.inc(1);
                    }
                    archived += archives.len();
                }
                report.add("portfolio_history", entries);
                report.add("signal_archives", archived);
            }
            DataSet::Signals => {
                let mut rows = 0;
                for portfolio in &portfolios {
                    let signals = from.signals.load_current_signals(portfolio).await?;
                    to.signals
                        .replace_current_signals(portfolio, &signals)
                        .await?;
                    rows += signals.len();
                }
                report.add("trading_signals", rows);
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

/// Chunks waiting for `COPY` while the next is decoded: one, so memory
/// stays at a few chunks whatever the file's size.
const CHUNKS_AHEAD: usize = 1;

/// `chunks` into `pg`, each chunk its own bulk insert. The chunks are
/// pulled (decoded) on a blocking thread while the one before goes
/// through `COPY`, so a backfill takes about the longer of the two instead
/// of their sum. Stops at the first error, of either side; what was
/// committed before stays (a rerun skips it). Returns the trades copied.
async fn bulk_copy(
    pg: &PgStore,
    chunks: TradeChunks,
    progress: &ProgressBar,
) -> Result<usize, StoreError> {
    let total = chunks.total();
    let (tx, mut rx) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
    let decoding = tokio::task::spawn_blocking(move || {
        for chunk in chunks {
            let last = chunk.is_err();
            // A closed channel: the copy stopped at an error of its own.
            if tx.blocking_send(chunk).is_err() || last {
                break;
            }
        }
    });
    let mut rows = 0;
    while let Some(chunk) = rx.recv().await {
        let chunk = chunk?;
        pg.bulk_insert_trades(&chunk).await?;
        progress.inc(chunk.len() as u64);
        rows += chunk.len();
    }
    decoding.await.map_err(|e| StoreError::Backend {
        context: "decoding trades for the copy stopped before it finished".into(),
        source: Box::new(e),
    })?;
    // Every chunk came (a decoder that died would end them early, which
    // the join above reports): a short count is a store that broke its
    // word, never taken for a finished copy.
    if rows != total {
        return Err(StoreError::Backend {
            context: format!("the source held {total} trades but gave {rows}"),
            source: "trade chunks ended early".into(),
        });
    }
    Ok(rows)
}
