//! `VersionStore`: `data_set_versions`, the JSON truth's version of each data
//! set that PostgreSQL was last brought level with (see the migration
//! `m20261201_000002_data_set_versions`). PostgreSQL mirrors; it has no own
//! version of a data set.

use crate::PgStore;
use crate::error::db_err;
use async_trait::async_trait;
use domain::ports::{DataVersion, VersionStore};
use domain::{DataSet, StoreError};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

fn statement(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, values)
}

fn seq_value(seq: u64) -> Result<Value, StoreError> {
    i64::try_from(seq)
        .map(Value::from)
        .map_err(|_| StoreError::Unsupported(format!("version {seq} is beyond bigint")))
}

#[async_trait]
impl VersionStore for PgStore {
    async fn own_version(&self, data_set: DataSet) -> Result<DataVersion, StoreError> {
        Err(StoreError::Unsupported(format!(
            "PostgreSQL keeps no own version of {data_set}; it mirrors the JSON data directory's"
        )))
    }

    async fn mirrored_version(&self, data_set: DataSet) -> Result<Option<DataVersion>, StoreError> {
        let row = self
            .db
            .query_one_raw(statement(
                "SELECT epoch, seq FROM data_set_versions WHERE data_set = $1",
                vec![data_set.as_str().into()],
            ))
            .await
            .map_err(|e| db_err(format!("reading the version of {data_set}"), e))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let epoch: String = row
            .try_get("", "epoch")
            .map_err(|e| db_err(format!("reading the version of {data_set}"), e))?;
        let seq: i64 = row
            .try_get("", "seq")
            .map_err(|e| db_err(format!("reading the version of {data_set}"), e))?;
        let seq = u64::try_from(seq).map_err(|_| StoreError::Corrupt {
            path: "data_set_versions".into(),
            line: 0,
            column: 0,
            message: format!("{data_set}: negative seq {seq}"),
        })?;
        Ok(Some(DataVersion::new(epoch, seq)))
    }

    async fn advance_mirrored_version(
        &self,
        data_set: DataSet,
        from: &DataVersion,
        to: &DataVersion,
    ) -> Result<bool, StoreError> {
        let result = self
            .db
            .execute_raw(statement(
                "UPDATE data_set_versions SET epoch = $4, seq = $5, updated_at = now() \
                 WHERE data_set = $1 AND epoch = $2 AND seq = $3",
                vec![
                    data_set.as_str().into(),
                    from.epoch.clone().into(),
                    seq_value(from.seq)?,
                    to.epoch.clone().into(),
                    seq_value(to.seq)?,
                ],
            ))
            .await
            .map_err(|e| db_err(format!("advancing the version of {data_set}"), e))?;
        Ok(result.rows_affected() == 1)
    }

    async fn set_mirrored_version(
        &self,
        data_set: DataSet,
        version: Option<&DataVersion>,
    ) -> Result<(), StoreError> {
        let what = format!("recording the version of {data_set}");
        let stmt = match version {
            Some(v) => statement(
                "INSERT INTO data_set_versions (data_set, epoch, seq) VALUES ($1, $2, $3) \
                 ON CONFLICT (data_set) DO UPDATE \
                 SET epoch = EXCLUDED.epoch, seq = EXCLUDED.seq, updated_at = now()",
                vec![
                    data_set.as_str().into(),
                    v.epoch.clone().into(),
                    seq_value(v.seq)?,
                ],
            ),
            None => statement(
                "DELETE FROM data_set_versions WHERE data_set = $1",
                vec![data_set.as_str().into()],
            ),
        };
        self.db
            .execute_raw(stmt)
            .await
            .map_err(|e| db_err(what, e))?;
        Ok(())
    }
}
