//! `history/signals_archive_YYYY-MM.json` (LEGACY-FORMATS §1.8): one file per
//! month, each an array of `{archived_at, signals_count, signals[]}`, keyed by
//! `archived_at`. The month of an entry is the month of its file, its
//! portfolio the portfolio whose `history/` holds the file.

use super::Located;
use super::history::{Timestamped, convert_timestamped, scan_timestamp_keys};
use super::signal::SignalRecord;
use crate::append::Scanned;
use crate::num::{Num, RecordCtx, time_text};
use domain::time::NaiveZone;
use domain::{Extra, PortfolioId, SignalArchive, StoreError};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ArchiveRecord {
    pub archived_at: String,
    #[serde(default)]
    pub signals_count: Option<Num>,
    #[serde(default)]
    pub signals: Vec<SignalRecord>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ArchiveRecord {
    pub(crate) fn from_domain(a: &SignalArchive) -> Self {
        ArchiveRecord {
            archived_at: time_text(a.archived_at),
            signals_count: Some(Num(a.signals_count().into())),
            signals: a.signals.iter().map(SignalRecord::from_domain).collect(),
            extra: a.extra.clone(),
        }
    }

    pub(crate) fn into_domain(
        self,
        month: &str,
        ctx: &RecordCtx<'_>,
        portfolio: &PortfolioId,
    ) -> Result<SignalArchive, StoreError> {
        let signals = self
            .signals
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let inner = RecordCtx {
                    location: ctx.location,
                    line: ctx.line,
                    key: format!("{} signals{}", ctx.key, s.key(i)),
                    zone: ctx.zone,
                };
                s.into_domain(&inner, portfolio)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SignalArchive {
            portfolio_id: portfolio.clone(),
            archived_at: ctx.time("archived_at", &self.archived_at)?,
            month: month.to_owned(),
            signals,
            extra: self.extra,
        })
    }
}

/// `YYYY-MM`, the only shape a month may have (it becomes part of a path).
pub(crate) fn is_month(s: &str) -> bool {
    domain::validate::is_month(s)
}

pub(crate) fn file_name(month: &str) -> String {
    format!("signals_archive_{month}.json")
}

/// The month of an archive file name, if it is one.
pub(crate) fn month_of_file(name: &str) -> Option<&str> {
    let month = name
        .strip_prefix("signals_archive_")?
        .strip_suffix(".json")?;
    is_month(month).then_some(month)
}

impl Timestamped for ArchiveRecord {
    fn timestamp(&self) -> &str {
        &self.archived_at
    }
}

/// Every archive entry of one month's file, checked whole, each
/// `archived_at` once.
pub(crate) fn convert(
    path: &Path,
    month: &str,
    records: Vec<Located<ArchiveRecord>>,
    zone: NaiveZone,
    portfolio: &PortfolioId,
) -> Result<Vec<SignalArchive>, StoreError> {
    convert_timestamped(path, records, zone, |r, ctx| {
        r.into_domain(month, ctx, portfolio)
    })
}

pub(crate) fn scan_keys(
    path: &Path,
    bytes: &[u8],
    zone: NaiveZone,
    portfolio: &PortfolioId,
) -> Result<Scanned, StoreError> {
    let month = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(month_of_file)
        .unwrap_or_default()
        .to_owned();
    scan_timestamp_keys(path, bytes, zone, |r: ArchiveRecord, ctx| {
        r.into_domain(&month, ctx, portfolio)
    })
}
