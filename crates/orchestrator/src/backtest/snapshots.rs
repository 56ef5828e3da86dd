//! `--source snapshots:DIR`: a directory of recorded snapshots as a
//! [`Moments`] sequence.
//!
//! Layout: one subdirectory per moment, named by its UTC time
//! `YYYYmmddTHHMMSSZ` (`20260105T120000Z`), each a snapshot as `prescient
//! record` writes it (`events.json`, `markets.json` with closed markets
//! included, so that resolutions are visible). `prescient record --into DIR`
//! adds one (written aside as a hidden `.NAME.partial`, then renamed; hidden
//! entries are not moments and are skipped). Moments replay in name order
//! (which is time order); only the
//! names are listed up front, and each snapshot is read when its moment
//! comes and dropped after it.

use super::{BacktestError, Moment, Moments};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use polymarket_client::SnapshotSource;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// The `strftime` format of a moment's directory name.
pub const MOMENT_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// The directory name of the moment at `time` (seconds; finer parts are
/// dropped).
pub fn moment_name(time: DateTime<Utc>) -> String {
    time.format(MOMENT_FORMAT).to_string()
}

/// The time a moment's directory name stands for; `None` unless `name` is
/// exactly `YYYYmmddTHHMMSSZ` of a valid UTC time.
pub fn parse_moment_name(name: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(name, MOMENT_FORMAT).ok()?;
    let time = naive.and_utc();
    // chrono accepts some loose forms (fewer digits); only the canonical
    // name is a moment.
    (moment_name(time) == name).then_some(time)
}

/// A `--from`/`--to` bound: RFC 3339 (`2026-01-05T12:00:00Z`) or a moment's
/// name (`20260105T120000Z`).
pub fn parse_bound(text: &str) -> Result<DateTime<Utc>, BacktestError> {
    if let Some(t) = parse_moment_name(text) {
        return Ok(t);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            BacktestError::Input(format!(
                "{text:?} is not a time: give RFC 3339 (2026-01-05T12:00:00Z) or YYYYmmddTHHMMSSZ (20260105T120000Z)"
            ))
        })
}

/// The moments of a snapshot sequence directory, read one at a time.
#[derive(Debug)]
pub struct SnapshotSequence {
    dir: PathBuf,
    total: usize,
    pending: VecDeque<(DateTime<Utc>, PathBuf)>,
}

impl SnapshotSequence {
    /// List the moments of `dir` within `[from, to]` (inclusive; either
    /// open). Refuses a directory that cannot be read, an entry whose name
    /// is not a moment's (naming every such entry; hidden ones, starting
    /// with `.`, are skipped), a moment that is not a directory, and an
    /// empty selection.
    pub fn open(
        dir: impl AsRef<Path>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Self, BacktestError> {
        let dir = dir.as_ref().to_path_buf();
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            BacktestError::Input(format!(
                "cannot read the snapshot sequence {}: {e}",
                dir.display()
            ))
        })?;
        let mut moments = Vec::new();
        let mut strangers = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| {
                BacktestError::Input(format!(
                    "cannot read the snapshot sequence {}: {e}",
                    dir.display()
                ))
            })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // Hidden entries: a moment `record --into` is still writing
            // (`.NAME.partial`), editor and system files.
            if name.starts_with('.') {
                continue;
            }
            match parse_moment_name(&name) {
                Some(time) if entry.path().is_dir() => moments.push((time, entry.path())),
                Some(_) => strangers.push(format!("{name} (not a directory)")),
                None => strangers.push(name),
            }
        }
        if !strangers.is_empty() {
            strangers.sort();
            return Err(BacktestError::Input(format!(
                "{} holds entries that are not moments (a moment is a directory named by its UTC time, YYYYmmddTHHMMSSZ): {}",
                dir.display(),
                strangers.join(", ")
            )));
        }
        moments.sort();
        let pending: VecDeque<_> = moments
            .into_iter()
            .filter(|(t, _)| from.is_none_or(|f| *t >= f) && to.is_none_or(|l| *t <= l))
            .collect();
        if pending.is_empty() {
            let bounds = match (from, to) {
                (None, None) => String::new(),
                _ => format!(
                    " between {} and {}",
                    from.map_or("the start".into(), |t| t.to_rfc3339()),
                    to.map_or("the end".into(), |t| t.to_rfc3339())
                ),
            };
            return Err(BacktestError::Input(format!(
                "{} holds no moments{bounds}",
                dir.display()
            )));
        }
        Ok(SnapshotSequence {
            dir,
            total: pending.len(),
            pending,
        })
    }

    /// How many moments remain.
    pub fn remaining(&self) -> usize {
        self.pending.len()
    }
}

#[async_trait]
impl Moments for SnapshotSequence {
    fn describe(&self) -> String {
        format!("snapshots {} ({} moments)", self.dir.display(), self.total)
    }

    async fn next_moment(&mut self) -> Result<Option<Moment>, BacktestError> {
        let Some((time, path)) = self.pending.pop_front() else {
            return Ok(None);
        };
        let source = SnapshotSource::open(&path)?;
        Ok(Some(Moment {
            time,
            source: Box::new(source),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moment_names_are_exactly_the_compact_utc_form() {
        let t = parse_moment_name("20260105T120000Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-01-05T12:00:00+00:00");
        assert_eq!(moment_name(t), "20260105T120000Z");
        for bad in [
            "2026015T120000Z",
            "20260105T120000",
            "20261305T120000Z",
            "20260105t120000Z",
            "x20260105T120000Z",
            "",
        ] {
            assert_eq!(parse_moment_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn bounds_take_rfc3339_or_the_compact_form() {
        let a = parse_bound("2026-01-05T13:00:00+01:00").unwrap();
        let b = parse_bound("20260105T120000Z").unwrap();
        assert_eq!(a, b);
        assert!(parse_bound("yesterday").is_err());
    }
}
