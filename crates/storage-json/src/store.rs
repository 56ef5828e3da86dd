//! [`JsonStore`]: a data directory, its lock, and the file layout of SPEC §4.

use crate::append::{self, KeyIndex};
use crate::checked::Checked;
use crate::fsio::io_error;
use crate::lock::DirLock;
use crate::torn::{self, TornTail};
use crate::versions::Versions;
use domain::time::NaiveZone;
use domain::{DataSet, PortfolioId, StoreError};
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
    /// The timestamp-keyed files this writer left checked (`checked.rs`).
    pub checked: Checked,
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
        ] {
            std::fs::create_dir_all(&sub)
                .map_err(|e| io_error(format!("cannot create {}", sub.display()), e))?;
        }
        layout.default_portfolio().create_dirs()?;
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
                checked: Checked::default(),
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
        self.writable()?;
        let inner = self.inner.clone();
        run_blocking(move || inner.write_exclusive(f)).await
    }

    /// [`JsonStore::write`] for a write that borrows what it writes (a
    /// cycle's ten thousand signals, rendered as they are written instead of
    /// copied into records first: issue #13). It blocks the calling thread:
    /// on a multi-thread runtime the worker hands its other tasks to another
    /// thread first (`block_in_place`); elsewhere it runs in place.
    pub(crate) fn write_borrowed<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Inner) -> Result<T, StoreError>,
    {
        self.writable()?;
        let multi_thread = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if multi_thread {
            tokio::task::block_in_place(|| self.inner.write_exclusive(f))
        } else {
            self.inner.write_exclusive(f)
        }
    }

    fn writable(&self) -> Result<(), StoreError> {
        if self.is_read_only() {
            return Err(StoreError::Unsupported(format!(
                "the JSON store of {} is open read-only",
                self.data_dir().display()
            )));
        }
        Ok(())
    }
}

impl Inner {
    /// `f` under the write lock, with the data sets' versions moved around it.
    fn write_exclusive<T>(
        &self,
        f: impl FnOnce(&Inner) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let _guard = self.rw.write().unwrap_or_else(PoisonError::into_inner);
        let before = self.versions.before_write(&self.layout)?;
        let result = f(self);
        self.versions.after_write(&self.layout, &before)?;
        result
    }

    /// Where a writer records the files it checked; `None` for a reader,
    /// which trusts no record and reads every file it is asked for.
    pub(crate) fn record(&self) -> Option<append::Record<'_>> {
        self.lock.as_ref().map(|_| append::Record {
            checked: &self.checked,
            layout: &self.layout,
        })
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

/// Where each file lives, relative to the data directory (SPEC §4). The
/// market data and the metadata are global; everything a portfolio owns is
/// under its [`PortfolioFiles`].
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub dir: PathBuf,
}

/// The directory the portfolios other than the default one live in, one
/// sub-directory each.
pub(crate) const PORTFOLIOS_DIR: &str = "portfolios";

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
    pub fn metadata(&self) -> PathBuf {
        self.dir.join("system_metadata.json")
    }

    /// The default portfolio's files: the legacy layout itself.
    pub fn default_portfolio(&self) -> PortfolioFiles {
        PortfolioFiles {
            id: PortfolioId::default(),
            root: self.dir.clone(),
        }
    }

    /// The files of portfolio `id`: the legacy layout for the default one,
    /// `portfolios/<id>/` in the same shapes for the others. An id that is
    /// not a safe directory name (`domain::validate::portfolio_id`) is
    /// refused.
    pub fn portfolio(&self, id: &PortfolioId) -> Result<PortfolioFiles, StoreError> {
        if id.is_default() {
            return Ok(self.default_portfolio());
        }
        domain::validate::portfolio_id("portfolio id", id.as_str()).map_err(|e| {
            StoreError::InvalidRecord {
                location: format!("{}/{PORTFOLIOS_DIR}", self.dir.display()),
                key: id.to_string(),
                message: e.to_string(),
            }
        })?;
        Ok(PortfolioFiles {
            id: id.clone(),
            root: self.dir.join(PORTFOLIOS_DIR).join(id.as_str()),
        })
    }

    /// The default portfolio, then every `portfolios/<id>/` directory with a
    /// valid name, sorted (whether or not it holds files yet). Other entries
    /// of `portfolios/` are not portfolios and are left alone.
    pub fn portfolios(&self) -> Result<Vec<PortfolioFiles>, StoreError> {
        let mut out = vec![self.default_portfolio()];
        let dir = self.dir.join(PORTFOLIOS_DIR);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(io_error(format!("cannot list {}", dir.display()), e)),
        };
        let mut others = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(format!("cannot list {}", dir.display()), e))?;
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if !is_dir || name == PortfolioId::DEFAULT {
                continue;
            }
            if let Ok(id) = PortfolioId::parse(&name) {
                others.push(PortfolioFiles {
                    id,
                    root: entry.path(),
                });
            }
        }
        others.sort_by(|a, b| a.id.cmp(&b.id));
        out.extend(others);
        Ok(out)
    }

    /// The global files of `data_set` (the market data; system metadata
    /// is kept apart, with the portfolio data set's versions).
    pub fn global_files(&self, data_set: DataSet) -> Vec<PathBuf> {
        match data_set {
            DataSet::Markets => vec![
                self.raw_events(),
                self.filtered_events(),
                self.filtered_markets(),
                self.market_snapshots(),
            ],
            DataSet::Portfolio | DataSet::Trades | DataSet::History | DataSet::Signals => {
                Vec::new()
            }
        }
    }

    /// Every file of `data_set` that exists, of every portfolio, then the
    /// global ones.
    pub fn existing_data_set_files(&self, data_set: DataSet) -> Result<Vec<PathBuf>, StoreError> {
        let mut files = Vec::new();
        for portfolio in self.portfolios()? {
            files.extend(portfolio.data_set_files(data_set)?);
        }
        files.extend(self.global_files(data_set));
        files.retain(|f| f.exists());
        Ok(files)
    }

    /// Every append-only file that exists (the ones a torn tail can affect),
    /// of every portfolio.
    pub fn append_only_files(&self) -> Result<Vec<PathBuf>, StoreError> {
        let mut files = Vec::new();
        for (i, portfolio) in self.portfolios()?.iter().enumerate() {
            files.extend([
                portfolio.paper_trades(),
                portfolio.portfolio_history(),
                portfolio.portfolio_snapshots(),
            ]);
            if i == 0 {
                files.push(self.market_snapshots());
            }
            files.extend(portfolio.archives()?);
        }
        files.retain(|f| f.exists());
        Ok(files)
    }
}

/// One portfolio's files, in the legacy shapes, under `root` (the data
/// directory for the default portfolio).
#[derive(Clone, Debug)]
pub(crate) struct PortfolioFiles {
    pub id: PortfolioId,
    pub root: PathBuf,
}

impl PortfolioFiles {
    pub fn trades_dir(&self) -> PathBuf {
        self.root.join("trades")
    }
    pub fn history_dir(&self) -> PathBuf {
        self.root.join("history")
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

    /// The months that have an archive file, oldest first.
    pub fn archive_months(&self) -> Result<Vec<String>, StoreError> {
        let dir = self.history_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(format!("cannot list {}", dir.display()), e)),
        };
        let mut months = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(format!("cannot list {}", dir.display()), e))?;
            if let Some(month) = entry
                .file_name()
                .to_str()
                .and_then(crate::records::archive::month_of_file)
            {
                months.push(month.to_owned());
            }
        }
        months.sort();
        Ok(months)
    }

    /// The archive files that exist, oldest month first.
    pub fn archives(&self) -> Result<Vec<PathBuf>, StoreError> {
        Ok(self
            .archive_months()?
            .iter()
            .map(|m| self.signals_archive(m))
            .collect())
    }

    /// Every file the portfolio owns that exists.
    pub fn existing_files(&self) -> Result<Vec<PathBuf>, StoreError> {
        let mut files = vec![
            self.portfolio(),
            self.paper_trades(),
            self.current_signals(),
            self.portfolio_history(),
            self.portfolio_snapshots(),
        ];
        files.extend(self.archives()?);
        files.retain(|f| f.exists());
        Ok(files)
    }

    /// The files of `data_set` this portfolio owns (whether they exist or
    /// not; archives those that exist): none of the market data set.
    pub fn data_set_files(&self, data_set: DataSet) -> Result<Vec<PathBuf>, StoreError> {
        Ok(match data_set {
            DataSet::Portfolio => vec![self.portfolio(), self.portfolio_snapshots()],
            DataSet::Trades => vec![self.paper_trades()],
            DataSet::Signals => vec![self.current_signals()],
            DataSet::History => {
                let mut files = vec![self.portfolio_history()];
                files.extend(self.archives()?);
                files
            }
            DataSet::Markets => Vec::new(),
        })
    }

    /// Create the portfolio's directories (before its first write).
    pub fn create_dirs(&self) -> Result<(), StoreError> {
        for sub in [self.trades_dir(), self.history_dir()] {
            std::fs::create_dir_all(&sub)
                .map_err(|e| io_error(format!("cannot create {}", sub.display()), e))?;
        }
        Ok(())
    }

    /// A path of this portfolio's relative to the data directory, for errors
    /// and checks (`portfolios/momentum/trades/paper_trades.json`).
    pub fn name(&self, relative: &str) -> String {
        if self.id.is_default() {
            relative.to_owned()
        } else {
            format!("{PORTFOLIOS_DIR}/{}/{relative}", self.id)
        }
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
