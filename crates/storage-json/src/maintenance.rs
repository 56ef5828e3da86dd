//! Maintenance for the migration tooling: emptying one data set's files so a
//! repair can copy it afresh from the side that is the truth.

use crate::store::{Inner, JsonStore};
use domain::{DataSet, StoreError};
use std::path::PathBuf;

impl JsonStore {
    /// Delete every file of `data_set`, of every portfolio (a repair then
    /// writes it again). The append index forgets them too.
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

    /// The files that hold `data_set`, of every portfolio (those that exist
    /// now).
    pub fn data_set_files(&self, data_set: DataSet) -> Result<Vec<PathBuf>, StoreError> {
        files_of(&self.inner, data_set)
    }
}

/// Every file of `data_set`, of every portfolio (those that exist).
fn files_of(inner: &Inner, data_set: DataSet) -> Result<Vec<PathBuf>, StoreError> {
    inner.layout.existing_data_set_files(data_set)
}
