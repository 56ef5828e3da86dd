//! The migration phase, persisted locally (SPEC §6) so the system knows its
//! routes while PostgreSQL is down: `<state dir>/phase.toml`, holding the
//! phase, since when, the transition log (time, kind, gate results, whether
//! forced), the last verify result and the JSON archive, if any. It is
//! mirrored into `system_metadata` (`migration_phase`) on every transition.

use chrono::{DateTime, Utc};
use domain::Phase;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One gate of a transition and whether it passed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateResult {
    pub gate: String,
    pub passed: bool,
    pub detail: String,
}

/// One step forward or back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub from: String,
    pub to: String,
    pub at: DateTime<Utc>,
    /// `advance` or `rollback`.
    pub kind: String,
    /// Gates were overridden with `--force`.
    #[serde(default)]
    pub forced: bool,
    #[serde(default)]
    pub gates: Vec<GateResult>,
}

/// The outcome of the last `prescient migrate verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRecord {
    pub at: DateTime<Utc>,
    pub clean: bool,
    /// Data sets verified.
    pub data_sets: Vec<String>,
    pub missing: usize,
    pub extra: usize,
    pub differing: usize,
}

/// The JSON archive made by `prescient migrate archive-json` (the gate of phase 7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveRecord {
    pub at: DateTime<Utc>,
    pub file: String,
    pub sha256: String,
    pub files: usize,
}

/// The contents of `phase.toml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseRecord {
    /// The phase number (`0`, `4`, `5.2` …).
    pub phase: String,
    pub since: DateTime<Utc>,
    #[serde(default)]
    pub last_verify: Option<VerifyRecord>,
    #[serde(default)]
    pub last_round_trip: Option<VerifyRecord>,
    #[serde(default)]
    pub archive: Option<ArchiveRecord>,
    #[serde(default)]
    pub transitions: Vec<Transition>,
    /// The last transition could not be mirrored into PostgreSQL (it was
    /// down, e.g. `phase rollback --from-backup`): its `migration_phase` is
    /// out of date until the next verify writes it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mirror_pending: bool,
}

impl PhaseRecord {
    pub fn initial(now: DateTime<Utc>) -> Self {
        PhaseRecord {
            phase: Phase::Preparation.number().to_owned(),
            since: now,
            last_verify: None,
            last_round_trip: None,
            archive: None,
            transitions: Vec::new(),
            mirror_pending: false,
        }
    }

    pub fn phase(&self) -> Result<Phase, domain::DomainError> {
        self.phase.parse()
    }
}

/// Why the phase file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PhaseFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} does not parse: {message}")]
    Parse { path: String, message: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// `<state dir>/phase.toml`.
#[derive(Clone, Debug)]
pub struct PhaseFile {
    path: PathBuf,
}

impl PhaseFile {
    pub fn in_dir(state_dir: &Path) -> Self {
        PhaseFile {
            path: state_dir.join("phase.toml"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The record, or phase 0 when no file exists yet.
    pub fn load(&self) -> Result<PhaseRecord, PhaseFileError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(PhaseRecord::initial(Utc::now()));
            }
            Err(source) => {
                return Err(PhaseFileError::Read {
                    path: self.path.display().to_string(),
                    source,
                });
            }
        };
        let record: PhaseRecord = toml::from_str(&text).map_err(|e| PhaseFileError::Parse {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })?;
        record.phase().map_err(|e| PhaseFileError::Parse {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })?;
        Ok(record)
    }

    /// Replace the file atomically (temp file, fsync, rename).
    pub fn save(&self, record: &PhaseRecord) -> Result<(), PhaseFileError> {
        let write_err = |source| PhaseFileError::Write {
            path: self.path.display().to_string(),
            source,
        };
        let text = toml::to_string_pretty(record).map_err(|e| PhaseFileError::Parse {
            path: self.path.display().to_string(),
            message: e.to_string(),
        })?;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(write_err)?;
        }
        let tmp = self.path.with_extension("toml.tmp");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(write_err)?;
            f.write_all(text.as_bytes()).map_err(write_err)?;
            f.sync_all().map_err(write_err)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(write_err)?;
        // The rename is durable only once the directory is.
        match self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) => std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(write_err),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_phase_0_and_a_saved_one_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = PhaseFile::in_dir(dir.path());
        let mut record = file.load().unwrap();
        assert_eq!(record.phase().unwrap(), Phase::Preparation);
        record.phase = "5.2".into();
        record.transitions.push(Transition {
            from: "5.1".into(),
            to: "5.2".into(),
            at: Utc::now(),
            kind: "advance".into(),
            forced: true,
            gates: vec![GateResult {
                gate: "verify".into(),
                passed: false,
                detail: "3 differing".into(),
            }],
        });
        file.save(&record).unwrap();
        assert_eq!(file.load().unwrap(), record);
    }

    #[test]
    fn a_garbled_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("phase.toml"), "phase = \"9\"\nsince = 1").unwrap();
        let err = PhaseFile::in_dir(dir.path()).load().unwrap_err();
        assert!(err.to_string().contains("phase.toml"), "{err}");
    }
}

/// How a process holds `<state dir>/runtime.lock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockMode {
    /// Every running Prescient process — readers (`stats`, `migrate phase
    /// status`) and writers (`cycle`, `run`, `serve`) alike — for as long as
    /// it runs: any number at once.
    Shared,
    /// Phase transitions, repair and restore: nothing else may run meanwhile
    /// (a process reads its phase once, at start, and must be restarted to
    /// follow a transition).
    Exclusive,
}

/// `<state dir>/runtime.lock`, held [`LockMode::Shared`] by every running
/// process and [`LockMode::Exclusive`] by phase transitions, which therefore
/// refuse while anything runs.
#[derive(Debug)]
pub struct RuntimeLock {
    file: std::fs::File,
}

impl RuntimeLock {
    /// The lock, exclusive, for `who` (a phase transition, repair, restore).
    pub fn acquire(state_dir: &Path, who: &str) -> Result<RuntimeLock, String> {
        Self::acquire_as(state_dir, who, LockMode::Exclusive)
    }

    pub fn acquire_as(state_dir: &Path, who: &str, mode: LockMode) -> Result<RuntimeLock, String> {
        use fs4::fs_std::FileExt;
        let path = state_dir.join("runtime.lock");
        let file = open_lock_file(state_dir, &path)?;
        let taken = match mode {
            LockMode::Shared => FileExt::try_lock_shared(&file),
            LockMode::Exclusive => FileExt::try_lock_exclusive(&file),
        };
        match taken {
            Ok(true) => Ok(RuntimeLock { file }),
            Ok(false) => Err(match mode {
                LockMode::Shared => format!(
                    "{} is held by a phase transition, repair or restore; try again when it has finished",
                    path.display()
                ),
                LockMode::Exclusive => format!(
                    "{} is held by a running Prescient process ({}) — {who} needs it alone; stop it first",
                    path.display(),
                    WriterLock::holder(state_dir)
                        .unwrap_or_else(|| "a reader such as `prescient stats`".to_owned())
                ),
            }),
            Err(e) => Err(format!("cannot lock {}: {e}", path.display())),
        }
    }
}

impl Drop for RuntimeLock {
    fn drop(&mut self) {
        let _ = fs4::fs_std::FileExt::unlock(&self.file);
    }
}

/// `<state dir>/writer.lock`: held exclusively by the one process that writes
/// the data sets (`cycle`, `update-prices`, `run`, `serve`) for as long as it
/// runs, so writers exclude each other while readers work beside them. It
/// holds the writer's pid and command, named when another writer is refused.
#[derive(Debug)]
pub struct WriterLock {
    file: std::fs::File,
}

impl WriterLock {
    pub fn acquire(state_dir: &Path, who: &str) -> Result<WriterLock, String> {
        use fs4::fs_std::FileExt;
        use std::io::{Seek, Write};
        let path = state_dir.join("writer.lock");
        let mut file = open_lock_file(state_dir, &path)?;
        match FileExt::try_lock_exclusive(&file) {
            Ok(true) => {}
            Ok(false) => {
                return Err(format!(
                    "another Prescient process writes to this data ({}; {}): one writer at a time — stop it, or ask it (with `prescient serve`, POST /trading/run-full-cycle)",
                    Self::holder(state_dir).unwrap_or_else(|| "unknown".to_owned()),
                    path.display(),
                ));
            }
            Err(e) => return Err(format!("cannot lock {}: {e}", path.display())),
        }
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "pid {} ({who})", std::process::id());
        let _ = file.flush();
        Ok(WriterLock { file })
    }

    /// Who holds the writer lock, as it wrote itself down, if anyone.
    pub fn holder(state_dir: &Path) -> Option<String> {
        use fs4::fs_std::FileExt;
        let path = state_dir.join("writer.lock");
        let file = std::fs::File::open(&path).ok()?;
        // Free: nobody writes (the file keeps the last writer's name).
        if let Ok(true) = FileExt::try_lock_shared(&file) {
            let _ = FileExt::unlock(&file);
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        let _ = fs4::fs_std::FileExt::unlock(&self.file);
    }
}

fn open_lock_file(state_dir: &Path, path: &Path) -> Result<std::fs::File, String> {
    std::fs::create_dir_all(state_dir)
        .map_err(|e| format!("cannot create {}: {e}", state_dir.display()))?;
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))
}
