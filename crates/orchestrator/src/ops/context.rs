//! [`Migration`]: what every operator command opens — the settings, the phase
//! file, the JSON data directory and PostgreSQL.

use super::error::{OpsError, Result};
use crate::phase_state::{PhaseFile, PhaseRecord};
use crate::settings::Settings;
use domain::ports::Stores;
use domain::{DataSet, Phase, PortfolioId};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use routing::journal::Journal;
use std::sync::Arc;
use storage_json::{JsonStore, JsonStoreOptions};
use storage_pg::PgStore;

pub struct Migration {
    pub settings: Settings,
    pub phase_file: PhaseFile,
    pub record: PhaseRecord,
    /// Show progress bars (off in tests).
    pub progress: bool,
}

impl Migration {
    pub fn open(settings: Settings) -> Result<Migration> {
        let phase_file = PhaseFile::in_dir(&settings.state_dir());
        let record = phase_file.load()?;
        Ok(Migration {
            settings,
            phase_file,
            record,
            progress: true,
        })
    }

    pub fn phase(&self) -> Result<Phase> {
        Ok(self.record.phase()?)
    }

    pub fn portfolio(&self) -> PortfolioId {
        PortfolioId::default()
    }

    fn json_options(&self) -> JsonStoreOptions {
        JsonStoreOptions {
            naive_zone: self.settings.naive_zone(),
        }
    }

    /// The data directory, read-only (no lock: cycles may run meanwhile).
    pub fn json_reader(&self) -> Stores {
        Stores::single(Arc::new(JsonStore::open_read_only(
            &self.settings.data_dir,
            self.json_options(),
        )))
    }

    /// The data directory, locked for writing (repair towards JSON).
    pub fn json_writer(&self) -> Result<JsonStore> {
        JsonStore::open(&self.settings.data_dir, self.json_options()).map_err(|source| {
            OpsError::OpenForWriting {
                dir: self.settings.data_dir.clone(),
                source,
            }
        })
    }

    /// PostgreSQL, connected now (fails if it does not answer), without
    /// applying migrations.
    pub async fn pg(&self) -> Result<PgStore> {
        let config = self.settings.pg_config()?;
        let url = config.redacted_url();
        PgStore::connect(config)
            .await
            .map_err(|source| OpsError::PgDown { url, source })
    }

    pub fn outbox(&self) -> Journal {
        Journal::new(self.settings.state_dir().join("outbox.jsonl"))
    }

    /// Whether PostgreSQL holds every write JSON holds, for each of
    /// `data_sets`; `None` when PostgreSQL is not configured or does not
    /// answer.
    pub async fn currency(
        &self,
        data_sets: &[DataSet],
    ) -> Option<Vec<routing::currency::Currency>> {
        let pg = self.pg().await.ok()?;
        let json = self.json_reader();
        let pg = Stores::transactional(Arc::new(pg));
        let mut out = Vec::new();
        for ds in data_sets {
            out.push(routing::currency::currency(&json, &pg, *ds).await);
        }
        Some(out)
    }

    /// The runtime lock, for `who`: refused, with `why` said, while a cycle,
    /// `run` or `serve` holds it.
    pub fn runtime_lock(&self, who: &str, why: &str) -> Result<crate::phase_state::RuntimeLock> {
        crate::phase_state::RuntimeLock::acquire(&self.settings.state_dir(), who).map_err(|held| {
            OpsError::RuntimeLocked {
                held,
                why: why.to_owned(),
            }
        })
    }

    /// A progress bar for long work, hidden when progress is off.
    pub fn bar(&self, what: &str) -> ProgressBar {
        let bar = ProgressBar::new(0);
        if !self.progress {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        if let Ok(style) = ProgressStyle::with_template(
            "{prefix} {msg:<12} [{bar:30}] {pos}/{len} rows {per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(what.to_owned());
        bar
    }

    /// The data sets a `--dataset NAME|all` names.
    pub fn data_sets(name: &str) -> Result<Vec<DataSet>> {
        if name == "all" {
            return Ok(DataSet::ALL.to_vec());
        }
        let data_set = name.parse().map_err(|source| OpsError::UnknownDataSet {
            name: name.to_owned(),
            source,
        })?;
        Ok(vec![data_set])
    }
}
