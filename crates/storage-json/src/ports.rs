//! The storage ports of `domain::ports` over the files of [`Layout`].
//!
//! Each portfolio's records are in its [`PortfolioFiles`]: the legacy files
//! for the default portfolio, `portfolios/<id>/` for the others. An id that
//! is not a safe directory name is refused, on reads as on writes.
//!
//! [`Layout`]: crate::store::Layout
//! [`PortfolioFiles`]: crate::store::PortfolioFiles

use crate::append::{Keyed, OnConflict};
use crate::fsio::{self, keep_if_corrupt, load, pretty, write_atomic};
use crate::num::{RecordCtx, time_text};
use crate::records::archive::{self, ArchiveRecord};
use crate::records::history::{self, HistoryRecord, convert_timestamped};
use crate::records::market_snapshot::{self, MarketSnapshotRecord};
use crate::records::metadata::{MetadataEntry, MetadataFile};
use crate::records::portfolio::PortfolioRecord;
use crate::records::portfolio_snapshot::PortfolioSnapshotRecord;
use crate::records::signal::{SignalRecord, Streamed};
use crate::records::trade::{self, Settled, TradeRecord};
use crate::records::{Located, convert_all, gamma, load_array, read_array};
use crate::store::{Inner, JsonStore, PortfolioFiles};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::{
    DataVersion, HistoryStore, MarketStore, MetadataStore, PortfolioStore, SignalStore,
    TradeChunks, TradeStore, VersionStore,
};
use domain::{
    DataSet, Event, Extra, FilteredEvent, HistorySummary, Market, MarketId, MarketSnapshot,
    Portfolio, PortfolioHistoryEntry, PortfolioId, PortfolioSnapshot, Signal, SignalArchive,
    StoreError, Trade, TradeId, TradeSettlement, Validate,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn loc(path: &Path) -> String {
    path.display().to_string()
}

/// Refuse to write a record that breaks a rule or that a store could not
/// hold (the same check every read makes): nothing is written.
fn checked<T: Validate>(
    file: &str,
    key: impl FnOnce() -> String,
    record: &T,
) -> Result<(), StoreError> {
    record.validate().map_err(|e| StoreError::InvalidRecord {
        location: file.to_owned(),
        key: key(),
        message: e.to_string(),
    })
}

impl Inner {
    /// Check a timestamp-keyed file whole with `check` (its newest instant),
    /// unless this writer left it as it is now (`checked.rs`); a writer
    /// records what it checked, so the next cycle does not read it again.
    fn check_timestamped(
        &self,
        path: &Path,
        check: impl FnOnce(&[u8]) -> Result<Option<DateTime<Utc>>, StoreError>,
    ) -> Result<(), StoreError> {
        let record = self.record();
        if record.is_some_and(|r| r.checked.unchanged(r.layout, path).is_some()) {
            return Ok(());
        }
        let Some(bytes) = fsio::read_bytes(path)? else {
            return Ok(());
        };
        let newest = check(&bytes)?;
        drop(bytes);
        if let Some(r) = record {
            r.checked.record(r.layout, path, newest);
        }
        Ok(())
    }

    /// Replace a derived file (one rewritten from fresh data every cycle)
    /// with what `fill` streams. The file there is first kept aside when it
    /// is not a JSON array (`keep_if_corrupt`), unless this writer left it
    /// as it is now (`checked.rs`): reading the last crawl's tens of MB back
    /// only to find them whole was a third of a cycle's time (issue #13).
    fn replace_derived(
        &self,
        path: &Path,
        fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<(), StoreError> {
        let record = self.record();
        if record.is_none_or(|r| r.checked.unchanged(r.layout, path).is_none()) {
            keep_if_corrupt(path)?;
        }
        fsio::write_atomic_with(path, fill)?;
        if let Some(r) = record {
            r.checked.record(r.layout, path, None);
        }
        Ok(())
    }

    /// The files of portfolio `id` (refused when the id is not a safe name).
    fn files(&self, id: &PortfolioId) -> Result<PortfolioFiles, StoreError> {
        self.layout.portfolio(id)
    }

    /// The files of portfolio `id`, its directories created for a write.
    fn files_for_write(&self, id: &PortfolioId) -> Result<PortfolioFiles, StoreError> {
        let files = self.files(id)?;
        files.create_dirs()?;
        Ok(files)
    }
}

#[async_trait]
impl PortfolioStore for JsonStore {
    async fn load_portfolio(&self, id: &PortfolioId) -> Result<Option<Portfolio>, StoreError> {
        let id = id.clone();
        self.read(move |inner| {
            let path = inner.files(&id)?.portfolio();
            let Some(record) = load::<PortfolioRecord>(&path)? else {
                return Ok(None);
            };
            let location = loc(&path);
            let ctx = RecordCtx {
                location: &location,
                line: None,
                key: "portfolio".into(),
                zone: inner.zone,
            };
            record.into_domain(&ctx, &id).map(Some)
        })
        .await
    }

    async fn save_portfolio(&self, portfolio: &Portfolio) -> Result<(), StoreError> {
        let id = portfolio.id.clone();
        let name = self
            .inner
            .layout
            .portfolio(&id)?
            .name("trades/portfolio.json");
        checked(&name, || "portfolio".into(), portfolio)?;
        let bytes = pretty(Path::new(&name), &PortfolioRecord::from_domain(portfolio))?;
        self.write(move |inner| write_atomic(&inner.files_for_write(&id)?.portfolio(), &bytes))
            .await
    }

    async fn append_portfolio_snapshot(
        &self,
        snapshot: &PortfolioSnapshot,
    ) -> Result<(), StoreError> {
        let id = snapshot.portfolio_id.clone();
        let name = self
            .inner
            .layout
            .portfolio(&id)?
            .name("history/portfolio_snapshots.json");
        checked(&name, || time_text(snapshot.timestamp), snapshot)?;
        let record = Keyed::new(
            time_text(snapshot.timestamp),
            &PortfolioSnapshotRecord::from_domain(snapshot),
        )?
        .timed(snapshot.timestamp);
        self.write(move |inner| {
            let zone = inner.zone;
            inner.index.append(
                &inner.files_for_write(&id)?.portfolio_snapshots(),
                vec![record],
                &|p: &Path, b: &[u8]| {
                    history::scan_timestamp_keys(p, b, zone, |r: PortfolioSnapshotRecord, ctx| {
                        r.into_domain(ctx, &id)
                    })
                },
                OnConflict::Skip,
                inner.record(),
            )
        })
        .await
        .map(drop)
    }

    async fn load_portfolio_snapshots(
        &self,
        id: &PortfolioId,
    ) -> Result<Vec<PortfolioSnapshot>, StoreError> {
        let id = id.clone();
        self.read(move |inner| {
            let path = inner.files(&id)?.portfolio_snapshots();
            let records = load_array::<PortfolioSnapshotRecord>(&path)?;
            convert_timestamped(&path, records, inner.zone, |r, ctx| r.into_domain(ctx, &id))
        })
        .await
    }

    /// The portfolios with at least one file: the default one (the legacy
    /// files) and each `portfolios/<id>/` holding any.
    async fn list_portfolios(&self) -> Result<Vec<PortfolioId>, StoreError> {
        self.read(|inner| {
            let mut ids = Vec::new();
            for portfolio in inner.layout.portfolios()? {
                if !portfolio.existing_files()?.is_empty() {
                    ids.push(portfolio.id);
                }
            }
            ids.sort();
            Ok(ids)
        })
        .await
    }
}

impl JsonStore {
    /// Append `trades`, all of one portfolio, as one write.
    async fn append_portfolio_trades(&self, trades: &[Trade]) -> Result<(), StoreError> {
        let Some(first) = trades.first() else {
            return Ok(());
        };
        let id = first.portfolio_id.clone();
        let name = self
            .inner
            .layout
            .portfolio(&id)?
            .name("trades/paper_trades.json");
        let mut records = Vec::with_capacity(trades.len());
        for trade in trades {
            checked(&name, || trade.trade_id.to_string(), trade)?;
            records.push(trade::keyed(trade)?);
        }
        self.write(move |inner| {
            let zone = inner.zone;
            inner.index.append(
                &inner.files_for_write(&id)?.paper_trades(),
                records,
                &|p: &Path, b: &[u8]| trade::scan_keys(p, b, zone, &id),
                OnConflict::Refuse,
                None,
            )
        })
        .await
        .map(drop)
    }

    async fn all_trades(&self, id: &PortfolioId) -> Result<Vec<Trade>, StoreError> {
        let id = id.clone();
        self.read(move |inner| {
            let path = inner.files(&id)?.paper_trades();
            trade::convert(&path, load_array::<TradeRecord>(&path)?, inner.zone, &id)
        })
        .await
    }
}

#[async_trait]
impl TradeStore for JsonStore {
    async fn append_trade(&self, trade: &Trade) -> Result<(), StoreError> {
        self.append_trades(std::slice::from_ref(trade)).await
    }

    /// One append (one write, one fsync) per portfolio's run of `trades`;
    /// every id of a run is checked before any of it is written.
    async fn append_trades(&self, trades: &[Trade]) -> Result<(), StoreError> {
        for run in trades.chunk_by(|a, b| a.portfolio_id == b.portfolio_id) {
            self.append_portfolio_trades(run).await?;
        }
        Ok(())
    }

    /// Rewrites the portfolio's trade file (atomically, every other record
    /// byte for byte): O(n) in the file, where an append is O(1). A
    /// settlement is rare next to appends (a market resolves, an exit rule
    /// fires), and the file keeps the legacy shape every reader expects.
    async fn settle_trade(&self, settlement: &TradeSettlement) -> Result<bool, StoreError> {
        let id = settlement.portfolio_id.clone();
        let files = self.inner.layout.portfolio(&id)?;
        let path = files.paper_trades();
        if !path.exists() {
            return Ok(false);
        }
        let settlement = settlement.clone();
        self.write(move |inner| {
            let Some(bytes) = fsio::read_bytes(&path)? else {
                return Ok(false);
            };
            match trade::settle(&path, &bytes, inner.zone, &id, &settlement)? {
                Settled::NotFound => Ok(false),
                Settled::Unchanged => Ok(true),
                Settled::Rewritten(new) => {
                    // The key index holds each trade's fingerprint as
                    // executed, which a settlement leaves as it was.
                    write_atomic(&path, &new)?;
                    Ok(true)
                }
            }
        })
        .await
    }

    async fn load_trades(&self, portfolio: &PortfolioId) -> Result<Vec<Trade>, StoreError> {
        self.all_trades(portfolio).await
    }

    /// The file is read whole and its syntax checked at once (a snapshot
    /// of it, as a load takes); its records are decoded as the chunks are
    /// pulled.
    async fn trade_chunks(
        &self,
        portfolio: &PortfolioId,
        chunk: usize,
    ) -> Result<TradeChunks, StoreError> {
        let id = portfolio.clone();
        self.read(move |inner| {
            let path = inner.files(&id)?.paper_trades();
            let Some(bytes) = fsio::read_bytes(&path)? else {
                return Ok(TradeChunks::of(Vec::new(), chunk));
            };
            let (total, chunks) = trade::chunks(&path, bytes, inner.zone, &id, chunk)?;
            Ok(TradeChunks::new(total, chunks))
        })
        .await
    }

    async fn trades_for_market(
        &self,
        portfolio: &PortfolioId,
        market: &MarketId,
    ) -> Result<Vec<Trade>, StoreError> {
        let mut trades = self.load_trades(portfolio).await?;
        trades.retain(|t| &t.market_id == market);
        Ok(trades)
    }

    async fn recent_trades(
        &self,
        portfolio: &PortfolioId,
        limit: usize,
    ) -> Result<Vec<Trade>, StoreError> {
        let trades = self.load_trades(portfolio).await?;
        Ok(trades.into_iter().rev().take(limit).collect())
    }

    // The file holds no index: the queries below read it whole, as every
    // JSON read does, and answer in Rust.
    async fn count_trades(
        &self,
        portfolio: &PortfolioId,
        market: Option<&MarketId>,
    ) -> Result<u64, StoreError> {
        let trades = self.load_trades(portfolio).await?;
        let n = trades
            .iter()
            .filter(|t| market.is_none_or(|m| &t.market_id == m))
            .count();
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    async fn trades_page(
        &self,
        portfolio: &PortfolioId,
        market: Option<&MarketId>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Trade>, StoreError> {
        let trades = self.load_trades(portfolio).await?;
        Ok(trades
            .into_iter()
            .rev()
            .filter(|t| market.is_none_or(|m| &t.market_id == m))
            .skip(offset)
            .take(limit)
            .collect())
    }

    async fn trades_by_ids(
        &self,
        portfolio: &PortfolioId,
        ids: &[TradeId],
    ) -> Result<Vec<Trade>, StoreError> {
        let wanted: std::collections::HashSet<&TradeId> = ids.iter().collect();
        let mut trades = self.load_trades(portfolio).await?;
        trades.retain(|t| wanted.contains(&t.trade_id));
        Ok(trades)
    }
}

#[async_trait]
impl HistoryStore for JsonStore {
    async fn append_history_entry(&self, entry: &PortfolioHistoryEntry) -> Result<(), StoreError> {
        let id = entry.portfolio_id.clone();
        let name = self
            .inner
            .layout
            .portfolio(&id)?
            .name("history/portfolio_history.json");
        checked(&name, || time_text(entry.timestamp), entry)?;
        let record = Keyed::new(
            time_text(entry.timestamp),
            &HistoryRecord::from_domain(entry),
        )?
        .timed(entry.timestamp);
        self.write(move |inner| {
            let zone = inner.zone;
            inner.index.append(
                &inner.files_for_write(&id)?.portfolio_history(),
                vec![record],
                &|p: &Path, b: &[u8]| {
                    history::scan_timestamp_keys(p, b, zone, |r: HistoryRecord, ctx| {
                        r.into_domain(ctx, &id)
                    })
                },
                OnConflict::Skip,
                inner.record(),
            )
        })
        .await
        .map(drop)
    }

    async fn load_history(
        &self,
        portfolio: &PortfolioId,
    ) -> Result<Vec<PortfolioHistoryEntry>, StoreError> {
        let id = portfolio.clone();
        self.read(move |inner| {
            let path = inner.files(&id)?.portfolio_history();
            let records = load_array::<HistoryRecord>(&path)?;
            convert_timestamped(&path, records, inner.zone, |r, ctx| r.into_domain(ctx, &id))
        })
        .await
    }

    async fn history_summary(&self, portfolio: &PortfolioId) -> Result<HistorySummary, StoreError> {
        Ok(HistorySummary::of(&self.load_history(portfolio).await?))
    }

    async fn append_signal_archive(&self, entry: &SignalArchive) -> Result<(), StoreError> {
        let id = entry.portfolio_id.clone();
        let name = self
            .inner
            .layout
            .portfolio(&id)?
            .name("history/signals_archive_YYYY-MM.json");
        if !archive::is_month(&entry.month) {
            return Err(StoreError::InvalidRecord {
                location: name,
                key: time_text(entry.archived_at),
                message: format!("month {:?} is not YYYY-MM", entry.month),
            });
        }
        checked(&name, || time_text(entry.archived_at), entry)?;
        let month = entry.month.clone();
        let record = Keyed::new(
            time_text(entry.archived_at),
            &ArchiveRecord::from_domain(entry),
        )?
        .timed(entry.archived_at);
        self.write(move |inner| {
            let zone = inner.zone;
            inner.index.append(
                &inner.files_for_write(&id)?.signals_archive(&month),
                vec![record],
                &|p: &Path, b: &[u8]| archive::scan_keys(p, b, zone, &id),
                OnConflict::Skip,
                inner.record(),
            )
        })
        .await
        .map(drop)
    }

    async fn load_signal_archives(
        &self,
        portfolio: &PortfolioId,
        month: Option<&str>,
    ) -> Result<Vec<SignalArchive>, StoreError> {
        let month = month.map(str::to_owned);
        let id = portfolio.clone();
        self.read(move |inner| {
            let files = inner.files(&id)?;
            let months = match month {
                Some(m) if archive::is_month(&m) => vec![m],
                Some(_) => Vec::new(),
                None => files.archive_months()?,
            };
            let mut out = Vec::new();
            for m in months {
                let path = files.signals_archive(&m);
                let records = load_array::<ArchiveRecord>(&path)?;
                out.extend(archive::convert(&path, &m, records, inner.zone, &id)?);
            }
            Ok(out)
        })
        .await
    }

    async fn check_signal_archives(
        &self,
        portfolio: &PortfolioId,
        month: &str,
    ) -> Result<(), StoreError> {
        if !archive::is_month(month) {
            return Ok(());
        }
        let (id, month) = (portfolio.clone(), month.to_owned());
        self.read(move |inner| {
            let path = inner.files(&id)?.signals_archive(&month);
            inner.check_timestamped(&path, |bytes| {
                let records = crate::records::read_array(&path, bytes)?;
                let archives = archive::convert(&path, &month, records, inner.zone, &id)?;
                Ok(archives.iter().map(|a| a.archived_at).max())
            })
        })
        .await
    }
}

#[async_trait]
impl SignalStore for JsonStore {
    async fn replace_current_signals(
        &self,
        portfolio: &PortfolioId,
        signals: &[Signal],
    ) -> Result<(), StoreError> {
        let id = portfolio.clone();
        let name = self
            .inner
            .layout
            .portfolio(&id)?
            .name("trades/current_signals.json");
        domain::ports::check_signal_portfolios(&name, &id, signals)?;
        for (i, s) in signals.iter().enumerate() {
            checked(&name, || format!("[{i}] market {}", s.market_id), s)?;
        }
        // Each record made as it is written: ten thousand signals are
        // megabytes of records, and of text.
        let records = Streamed(signals);
        self.write_borrowed(|inner| {
            let path = inner.files_for_write(&id)?.current_signals();
            inner.replace_derived(&path, |out| {
                serde_json::to_writer_pretty(&mut *out, &records).map_err(std::io::Error::other)?;
                out.write_all(b"\n")
            })
        })
    }

    async fn load_current_signals(
        &self,
        portfolio: &PortfolioId,
    ) -> Result<Vec<Signal>, StoreError> {
        let id = portfolio.clone();
        self.read(move |inner| {
            let path = inner.files(&id)?.current_signals();
            let records = load_array::<SignalRecord>(&path)?;
            current_signals(inner, &path, &id, records)
        })
        .await
    }

    /// `executed` is a JSON boolean: a file without the word `true` holds no
    /// executed signal and is not decoded.
    async fn executed_current_signals(
        &self,
        portfolio: &PortfolioId,
    ) -> Result<Option<Vec<Signal>>, StoreError> {
        let id = portfolio.clone();
        self.read(move |inner| {
            let path = inner.files(&id)?.current_signals();
            let Some(bytes) = fsio::read_bytes(&path)? else {
                return Ok(None);
            };
            if memchr::memmem::find(&bytes, b"true").is_none() {
                return Ok(None);
            }
            let records = read_array::<SignalRecord>(&path, &bytes)?;
            let signals = current_signals(inner, &path, &id, records)?;
            Ok(signals.iter().any(|s| s.executed).then_some(signals))
        })
        .await
    }
}

/// The current signal records of portfolio `id` as domain signals.
fn current_signals(
    inner: &Inner,
    path: &Path,
    id: &PortfolioId,
    records: Vec<Located<SignalRecord>>,
) -> Result<Vec<Signal>, StoreError> {
    convert_all(
        &loc(path),
        inner.zone,
        records,
        |i, r| r.key(i),
        |r, ctx| r.into_domain(ctx, id),
    )
}

#[async_trait]
impl MarketStore for JsonStore {
    async fn save_raw_events(&self, events: &[Event]) -> Result<(), StoreError> {
        for e in events {
            checked(
                "events/raw_events_backup.json",
                || format!("event {}", e.id),
                e,
            )?;
        }
        // Shared texts (no copy): the file is streamed from them.
        let raws: Vec<domain::RawJson> = events.iter().map(|e| e.raw.clone()).collect();
        self.write(move |inner| {
            let path = inner.layout.raw_events();
            inner.replace_derived(&path, |out| gamma::write_raw_events(out, &raws))
        })
        .await
    }

    async fn load_raw_events(&self) -> Result<Vec<Event>, StoreError> {
        self.read(|inner| {
            let path = inner.layout.raw_events();
            let values = load_array::<Value>(&path)?;
            gamma::decode_events(&loc(&path), values)
        })
        .await
    }

    async fn save_filtered_events(&self, events: &[FilteredEvent]) -> Result<(), StoreError> {
        for e in events {
            checked(
                "events/filtered_events.json",
                || format!("event {}", e.event.id),
                e,
            )?;
        }
        // Shared texts (no copy): the file is streamed from them.
        let raws: Vec<(domain::RawJson, Option<i64>)> = events
            .iter()
            .map(|f| (f.event.raw.clone(), f.days_until_end))
            .collect();
        self.write(move |inner| {
            let path = inner.layout.filtered_events();
            inner.replace_derived(&path, |out| gamma::write_filtered_events(out, &raws))
        })
        .await
    }

    async fn load_filtered_events(&self) -> Result<Vec<FilteredEvent>, StoreError> {
        self.read(|inner| {
            let path = inner.layout.filtered_events();
            let values = load_array::<Value>(&path)?;
            gamma::decode_filtered_events(&loc(&path), values)
        })
        .await
    }

    async fn save_filtered_markets(&self, markets: &[Market]) -> Result<(), StoreError> {
        for m in markets {
            checked(
                "markets/filtered_markets.json",
                || format!("market {}", m.id),
                m,
            )?;
        }
        // Shared texts (no copy): the file is streamed from them, each record
        // given its event context as it is written.
        let records: Vec<(domain::RawJson, Option<domain::EventContext>)> = markets
            .iter()
            .map(|m| (m.raw.clone(), m.event.clone()))
            .collect();
        self.write(move |inner| {
            let path = inner.layout.filtered_markets();
            inner.replace_derived(&path, |out| gamma::write_filtered_markets(out, &records))
        })
        .await
    }

    async fn load_filtered_markets(&self) -> Result<Vec<Market>, StoreError> {
        self.read(|inner| {
            let path = inner.layout.filtered_markets();
            let values = load_array::<Value>(&path)?;
            gamma::decode_markets(&loc(&path), values)
        })
        .await
    }

    async fn append_market_snapshots(
        &self,
        snapshots: &[MarketSnapshot],
    ) -> Result<(), StoreError> {
        if snapshots.is_empty() {
            return Ok(());
        }
        for s in snapshots {
            checked(
                "markets/market_snapshots.json",
                || format!("{}@{}", s.market_id, time_text(s.timestamp)),
                s,
            )?;
        }
        let zone = self.inner.zone;
        let records = snapshots
            .iter()
            .map(|s| {
                let record = MarketSnapshotRecord::from_domain(s);
                Keyed::new(
                    market_snapshot::key(&record.market_id, &record.timestamp, zone),
                    &record,
                )
                .map(|k| k.timed(s.timestamp))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.write(move |inner| {
            inner.index.append(
                &inner.layout.market_snapshots(),
                records,
                &|p: &Path, b: &[u8]| market_snapshot::scan_keys(p, b, zone),
                OnConflict::Skip,
                inner.record(),
            )
        })
        .await
        .map(drop)
    }

    async fn load_market_snapshots(
        &self,
        market: Option<&MarketId>,
    ) -> Result<Vec<MarketSnapshot>, StoreError> {
        let market = market.cloned();
        self.read(move |inner| {
            let path = inner.layout.market_snapshots();
            let mut records = load_array::<MarketSnapshotRecord>(&path)?;
            if let Some(m) = &market {
                records.retain(|r| r.record.market_id == m.as_str());
            }
            market_snapshot::convert(&path, records, inner.zone)
        })
        .await
    }

    async fn check_market_snapshots(&self) -> Result<(), StoreError> {
        self.read(|inner| {
            let path = inner.layout.market_snapshots();
            inner.check_timestamped(&path, |bytes| {
                let records = crate::records::read_array(&path, bytes)?;
                let snapshots = market_snapshot::convert(&path, records, inner.zone)?;
                Ok(snapshots.iter().map(|s| s.timestamp).max())
            })
        })
        .await
    }
}

#[async_trait]
impl MetadataStore for JsonStore {
    async fn set_metadata(
        &self,
        key: &str,
        value: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let invalid = |e: domain::Invalid| StoreError::InvalidRecord {
            location: "system_metadata.json".into(),
            key: key.to_owned(),
            message: e.to_string(),
        };
        domain::validate::bounded("key", key, domain::validate::ID_LEN).map_err(invalid)?;
        domain::validate::text("value", value).map_err(invalid)?;
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |inner| {
            let path = inner.layout.metadata();
            let mut file = load::<MetadataFile>(&path)?.unwrap_or_default();
            let extra = file
                .remove(&key)
                .map(|e| e.extra)
                .unwrap_or_else(Extra::new);
            file.insert(
                key,
                MetadataEntry {
                    value,
                    updated_at: time_text(at),
                    extra,
                },
            );
            write_atomic(&path, &pretty(&path, &file)?)
        })
        .await
    }

    async fn load_metadata(&self) -> Result<BTreeMap<String, String>, StoreError> {
        self.read(|inner| {
            let file = load::<MetadataFile>(&inner.layout.metadata())?.unwrap_or_default();
            Ok(file.into_iter().map(|(k, e)| (k, e.value)).collect())
        })
        .await
    }
}

/// JSON is the store written first: it has an own version of each data set
/// and mirrors none.
#[async_trait]
impl VersionStore for JsonStore {
    async fn own_version(&self, data_set: DataSet) -> Result<DataVersion, StoreError> {
        JsonStore::own_version(self, data_set).await
    }
    async fn mirrored_version(
        &self,
        _data_set: DataSet,
    ) -> Result<Option<DataVersion>, StoreError> {
        Ok(None)
    }
    async fn advance_mirrored_version(
        &self,
        _data_set: DataSet,
        _from: &DataVersion,
        _to: &DataVersion,
    ) -> Result<bool, StoreError> {
        Err(StoreError::Unsupported(
            "the JSON store mirrors no other store's versions".into(),
        ))
    }
    async fn set_mirrored_version(
        &self,
        _data_set: DataSet,
        _version: Option<&DataVersion>,
    ) -> Result<(), StoreError> {
        Err(StoreError::Unsupported(
            "the JSON store mirrors no other store's versions".into(),
        ))
    }
}
