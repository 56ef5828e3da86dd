//! Maintenance for the migration tooling: emptying one data set's files so a
//! repair can copy it afresh from the side that is the truth.

use crate::store::{Inner, JsonStore};
use domain::{DataSet, StoreError};
use std::path::PathBuf;

impl JsonStore {
    /// Delete every file of `data_set` (a repair then writes it again). The
    /// append index forgets them too.
    pub async fn clear_data_set(&self, data_set: DataSet) -> Result<(), StoreError> {
        self.write(move |inner| {
            for path in files_of(inner, data_set)? {
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(source) => {
                        return Err(StoreError::Io {
                            context: format!("cannot remove {}", path.display()),
                            source,
                        });
                    }
                }
                inner.index.forget(&path);
            }
            Ok(())
        })
        .await
    }

    /// The files that hold `data_set` (those that exist now, for archives).
    pub fn data_set_files(&self, data_set: DataSet) -> Result<Vec<PathBuf>, StoreError> {
        files_of(&self.inner, data_set)
    }
}

fn files_of(inner: &Inner, data_set: DataSet) -> Result<Vec<PathBuf>, StoreError> {
    let l = &inner.layout;
    Ok(match data_set {
        DataSet::Portfolio => vec![l.portfolio(), l.portfolio_snapshots()],
        DataSet::Trades => vec![l.paper_trades()],
        DataSet::Signals => vec![l.current_signals()],
        DataSet::Markets => vec![
            l.raw_events(),
            l.filtered_events(),
            l.filtered_markets(),
            l.market_snapshots(),
        ],
        DataSet::History => {
            let mut files = vec![l.portfolio_history()];
            let dir = l.history_dir();
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
                Err(source) => {
                    return Err(StoreError::Io {
                        context: format!("cannot list {}", dir.display()),
                        source,
                    });
                }
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with("signals_archive_") && name.ends_with(".json") {
                    files.push(entry.path());
                }
            }
            files.sort();
            files
        }
    })
}
