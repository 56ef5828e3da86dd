//! [`JsonStore`]: a data directory, its lock, and the file layout of SPEC §4.

use crate::append::KeyIndex;
use crate::fsio::io_error;
use crate::lock::DirLock;
use crate::torn::{self, TornTail};
use crate::versions::Versions;
use domain::StoreError;
use domain::time::NaiveZone;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

/// How a [`JsonStore`] reads legacy files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JsonStoreOptions {
    /// The zone naive legacy timestamps (`2025-10-20T17:02:45.884042`) are
    /// read in. The original wrote local time; default UTC.
    pub naive_zone: NaiveZone,
}

/// Every storage port over one data directory in the original's layout.
///
/// Cheap to clone (the clones share the lock and the append index). Opened
/// with [`JsonStore::open`] it is the one writer of the directory; opened with
/// [`JsonStore::open_read_only`] it only reads.
#[derive(Clone, Debug)]
pub struct JsonStore {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub layout: Layout,
    pub zone: NaiveZone,
    /// `None` for a read-only store.
    pub lock: Option<DirLock>,
    /// Writers exclusive, readers shared, so a load never sees half an append.
    /// It guards no data (the files are the state), so a task that panicked
    /// holding it leaves nothing inconsistent behind: later tasks take it
    /// anyway instead of failing on the poison.
    pub rw: RwLock<()>,
    pub index: KeyIndex,
    /// The own version of each data set, advanced by every write.
    pub versions: Versions,
    /// Torn tails cut back when this store was opened.
    pub recovered: Vec<TornTail>,
}

impl JsonStore {
    /// Open `dir` for reading and writing: create the directory tree and take
    /// the exclusive lock `<dir>/.prescient.lock`. A second writer (another
    /// process, or another `open` in this one) gets [`StoreError::Locked`]
    /// naming the holder's pid. The lock is released when the last clone of
    /// the store is dropped.
    ///
    /// Then every append-only file whose tail is torn (an append interrupted
    /// by a crash) is cut back to its last complete record, the cut bytes kept
    /// beside it as `<name>.torn-<time>` ([`JsonStore::recovered_tails`]).
    pub fn open(dir: impl AsRef<Path>, options: JsonStoreOptions) -> Result<Self, StoreError> {
        let layout = Layout::new(dir.as_ref());
        for sub in [
            layout.dir.clone(),
            layout.events_dir(),
            layout.markets_dir(),
            layout.trades_dir(),
            layout.history_dir(),
        ] {
            std::fs::create_dir_all(&sub)
                .map_err(|e| io_error(format!("cannot create {}", sub.display()), e))?;
        }
        let lock = DirLock::acquire(&layout.dir)?;
        tracing::debug!(lock = %lock.path().display(), "json store opened for writing");
        let mut recovered = Vec::new();
        for path in layout.append_only_files()? {
            recovered.extend(torn::recover(&path)?);
        }
        let mut store = Self::with(layout, options, Some(lock));
        if let Some(inner) = Arc::get_mut(&mut store.inner) {
            inner.recovered = recovered;
        }
        Ok(store)
    }

    /// The append-only files whose torn tail [`JsonStore::open`] cut back.
    pub fn recovered_tails(&self) -> &[TornTail] {
        &self.inner.recovered
    }

    /// Open `dir` without taking the lock (for status and verify while a
    /// writer runs). Every write returns [`StoreError::Unsupported`]; missing
    /// files read as empty.
    pub fn open_read_only(dir: impl AsRef<Path>, options: JsonStoreOptions) -> Self {
        Self::with(Layout::new(dir.as_ref()), options, None)
    }

    fn with(layout: Layout, options: JsonStoreOptions, lock: Option<DirLock>) -> Self {
        JsonStore {
            inner: Arc::new(Inner {
                layout,
                zone: options.naive_zone,
                lock,
                rw: RwLock::new(()),
                index: KeyIndex::default(),
                versions: Versions::default(),
                recovered: Vec::new(),
            }),
        }
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.layout.dir
    }

    /// The own version of `data_set` (see `versions.rs`).
    pub async fn own_version(
        &self,
        data_set: domain::DataSet,
    ) -> Result<domain::ports::DataVersion, StoreError> {
        let writable = !self.is_read_only();
        self.read(move |inner| inner.versions.own(&inner.layout, data_set, writable))
            .await
    }

    pub fn is_read_only(&self) -> bool {
        self.inner.lock.is_none()
    }

    /// Run a read on the blocking pool, shared with other reads.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        run_blocking(move || {
            let _guard = inner.rw.read().unwrap_or_else(PoisonError::into_inner);
            f(&inner)
        })
        .await
    }

    /// Run a write on the blocking pool, exclusive of every other access.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Inner) -> Result<T, StoreError> + Send + 'static,
    {
        if self.is_read_only() {
            return Err(StoreError::Unsupported(format!(
                "the JSON store of {} is open read-only",
                self.data_dir().display()
            )));
        }
        let inner = self.inner.clone();
        run_blocking(move || {
            let _guard = inner.rw.write().unwrap_or_else(PoisonError::into_inner);
            let before = inner.versions.before_write(&inner.layout)?;
            let result = f(&inner);
            inner.versions.after_write(&inner.layout, &before)?;
            result
        })
        .await
    }
}

async fn run_blocking<T, F>(f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Backend {
            context: "a JSON store task stopped before it finished (the store stays usable)".into(),
            source: Box::new(e),
        })?
}

/// Where each file lives, relative to the data directory (SPEC §4).
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub dir: PathBuf,
}

impl Layout {
    fn new(dir: &Path) -> Self {
        Layout {
            dir: dir.to_path_buf(),
        }
    }
    pub fn events_dir(&self) -> PathBuf {
        self.dir.join("events")
    }
    pub fn markets_dir(&self) -> PathBuf {
        self.dir.join("markets")
    }
    pub fn trades_dir(&self) -> PathBuf {
        self.dir.join("trades")
    }
    pub fn history_dir(&self) -> PathBuf {
        self.dir.join("history")
    }
    pub fn raw_events(&self) -> PathBuf {
        self.events_dir().join("raw_events_backup.json")
    }
    pub fn filtered_events(&self) -> PathBuf {
        self.events_dir().join("filtered_events.json")
    }
    pub fn filtered_markets(&self) -> PathBuf {
        self.markets_dir().join("filtered_markets.json")
    }
    pub fn market_snapshots(&self) -> PathBuf {
        self.markets_dir().join("market_snapshots.json")
    }
    pub fn current_signals(&self) -> PathBuf {
        self.trades_dir().join("current_signals.json")
    }
    pub fn portfolio(&self) -> PathBuf {
        self.trades_dir().join("portfolio.json")
    }
    pub fn paper_trades(&self) -> PathBuf {
        self.trades_dir().join("paper_trades.json")
    }
    pub fn portfolio_history(&self) -> PathBuf {
        self.history_dir().join("portfolio_history.json")
    }
    pub fn portfolio_snapshots(&self) -> PathBuf {
        self.history_dir().join("portfolio_snapshots.json")
    }
    pub fn signals_archive(&self, month: &str) -> PathBuf {
        self.history_dir()
            .join(crate::records::archive::file_name(month))
    }
    pub fn metadata(&self) -> PathBuf {
        self.dir.join("system_metadata.json")
    }

    /// Every append-only file that exists (the ones a torn tail can affect).
    pub fn append_only_files(&self) -> Result<Vec<PathBuf>, StoreError> {
        let mut files = vec![
            self.paper_trades(),
            self.portfolio_history(),
            self.portfolio_snapshots(),
            self.market_snapshots(),
        ];
        let dir = self.history_dir();
        let entries = std::fs::read_dir(&dir)
            .map_err(|e| io_error(format!("cannot list {}", dir.display()), e))?;
        let mut archives = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(format!("cannot list {}", dir.display()), e))?;
            let name = entry.file_name();
            if name
                .to_str()
                .and_then(crate::records::archive::month_of_file)
                .is_some()
            {
                archives.push(entry.path());
            }
        }
        archives.sort();
        files.extend(archives);
        files.retain(|f| f.exists());
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ports::TradeStore;

    /// A task that panics while it holds the store's lock (as a bad input
    /// once did) leaves the store usable for every later task.
    #[tokio::test]
    async fn a_task_that_panics_inside_the_store_does_not_poison_it() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = JsonStore::open(tmp.path(), JsonStoreOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let failed = store
            .write(|_| -> Result<(), StoreError> { panic!("a bug in a writer") })
            .await;
        assert!(
            matches!(failed, Err(StoreError::Backend { .. })),
            "{failed:?}"
        );
        let read = store
            .read(|_| -> Result<(), StoreError> { panic!("a bug in a reader") })
            .await;
        assert!(read.is_err());
        store
            .append_trade(&testkit::sample_trade(1))
            .await
            .unwrap_or_else(|e| panic!("the store still writes: {e}"));
        assert_eq!(
            store
                .load_trades(&domain::PortfolioId::default())
                .await
                .map(|t| t.len())
                .ok(),
            Some(1)
        );
    }
}
