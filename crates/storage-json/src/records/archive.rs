//! `history/signals_archive_YYYY-MM.json` (LEGACY-FORMATS §1.8): one file per
//! month, each an array of `{archived_at, signals_count, signals[]}`, keyed by
//! `archived_at`. The month of an entry is the month of its file.

use super::signal::SignalRecord;
use crate::num::{Num, RecordCtx, time_text};
use domain::{Extra, SignalArchive, StoreError};
use serde::{Deserialize, Serialize};

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
    ) -> Result<SignalArchive, StoreError> {
        let signals = self
            .signals
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let inner = RecordCtx {
                    location: ctx.location,
                    key: format!("{} signals{}", ctx.key, s.key(i)),
                    zone: ctx.zone,
                };
                s.into_domain(&inner)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SignalArchive {
            archived_at: ctx.time("archived_at", &self.archived_at)?,
            month: month.to_owned(),
            signals,
            extra: self.extra,
        })
    }
}

/// `YYYY-MM`, the only shape a month may have (it becomes part of a path).
pub(crate) fn is_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
        && matches!(
            &s[5..],
            "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
        )
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

#[derive(Deserialize)]
struct ArchiveKey {
    archived_at: String,
}

pub(crate) fn scan_keys(
    path: &std::path::Path,
    bytes: &[u8],
    zone: domain::time::NaiveZone,
) -> Result<Vec<String>, StoreError> {
    let keys: Vec<ArchiveKey> = crate::fsio::parse(path, bytes)?;
    Ok(keys
        .into_iter()
        .map(|k| crate::num::time_key(&k.archived_at, zone))
        .collect())
}
