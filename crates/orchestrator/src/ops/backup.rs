//! Backfill, verify + repair, backup and restore: the copy and the compare
//! put to work between the data directory and PostgreSQL.

use super::context::Migration;
use super::copy::{CopyReport, copy_data_sets, portfolios_in};
use super::error::{OpsError, Result};
use super::verify::{VerifyReport, verify};
use domain::ports::Stores;
use domain::{DataSet, Phase, Route};
use serde::Serialize;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use storage_json::{JsonStore, JsonStoreOptions};
use storage_pg::{LibpqConnection, PgConfig, PgStore};

/// `backfill`: the JSON history into PostgreSQL (idempotent, resumable).
pub async fn backfill(m: &Migration, data_sets: &[DataSet]) -> Result<CopyReport> {
    let pg = m.pg().await?;
    pg.migrate().await.map_err(OpsError::Migrations)?;
    let bar = m.bar("backfill");
    let report = copy_data_sets(
        &m.json_reader(),
        &Stores::transactional(Arc::new(pg.clone())),
        Some(&pg),
        data_sets,
        &bar,
    )
    .await
    .map_err(OpsError::BackfillStopped)?;
    bar.finish_and_clear();
    Ok(report)
}

/// `verify`, recorded in the phase file as the last verify.
pub async fn verify_and_record(m: &mut Migration, data_sets: &[DataSet]) -> Result<VerifyReport> {
    let pg = m.pg().await?;
    // A transition PostgreSQL missed while it was down (a rollback from a
    // backup): tell it now, so processes started from here are not refused.
    if m.record.mirror_pending {
        super::phase::mirror_phase(m, m.phase()?).await?;
        m.record.mirror_pending = false;
        m.phase_file.save(&m.record)?;
    }
    let report = verify(
        &m.json_reader(),
        &Stores::transactional(Arc::new(pg)),
        data_sets,
    )
    .await
    .map_err(OpsError::VerifyRead)?;
    m.record.last_verify = Some(report.record(data_sets));
    m.phase_file.save(&m.record)?;
    let clean: Vec<DataSet> = data_sets
        .iter()
        .copied()
        .filter(|d| !report.dirty_data_sets().contains(d))
        .collect();
    m.settings
        .shadow_log()
        .clear(&clean)
        .map_err(OpsError::ShadowClear)?;
    Ok(report)
}

/// Which side is the truth for a data set in a phase: JSON while it is
/// written (J, DW, DR — the plan keeps JSON the source of truth until phase
/// 6), PostgreSQL from D on.
pub fn json_is_truth(phase: Phase, data_set: DataSet) -> bool {
    match phase.route(data_set) {
        Route::Json | Route::DualWrite | Route::DualRead => true,
        Route::Database | Route::PostgresOnly => false,
    }
}

/// What `repair` did for one data set.
#[derive(Clone, Debug, Serialize)]
pub struct Repaired {
    pub data_set: String,
    pub from: &'static str,
    pub rows: usize,
}

/// `verify --repair`: each data set that does not verify clean is emptied on
/// the side that is not the truth and copied again from the truth.
///
/// It holds the runtime lock (no cycle runs meanwhile), and before emptying a
/// PostgreSQL data set it records it behind, so that even a reader beside it
/// (or a repair cut short) never takes the half-copied rows for the truth;
/// the verify that follows records it level again. (Deviation from "one
/// transaction": the copy goes through the ports, and being behind keeps
/// every reader on JSON until the copy is whole.)
pub async fn repair(m: &Migration, dirty: &[DataSet]) -> Result<Vec<Repaired>> {
    let _runtime = m.runtime_lock(
        "repair",
        "stop `prescient run`/`serve` (a cycle could read a data set while it is copied), then repair",
    )?;
    let phase = m.phase()?;
    let pg = m.pg().await?;
    let pg_stores = Stores::transactional(Arc::new(pg.clone()));
    let mut out = Vec::new();
    let bar = m.bar("repair");
    for ds in dirty {
        let report = if json_is_truth(phase, *ds) {
            pg_stores.versions.set_mirrored_version(*ds, None).await?;
            let json = m.json_reader();
            // Every portfolio either side holds: PostgreSQL's extra rows go too.
            for portfolio in portfolios_in(&[&json, &pg_stores]).await? {
                pg.clear_data_set(*ds, &portfolio).await?;
            }
            copy_data_sets(&json, &pg_stores, Some(&pg), &[*ds], &bar).await?
        } else {
            let json = m.json_writer()?;
            // Every portfolio's files of the data set.
            json.clear_data_set(*ds).await?;
            let stores = Stores::single(Arc::new(json));
            copy_data_sets(&pg_stores, &stores, None, &[*ds], &bar).await?
        };
        out.push(Repaired {
            data_set: ds.to_string(),
            from: if json_is_truth(phase, *ds) {
                "json"
            } else {
                "postgres"
            },
            rows: report.rows(),
        });
    }
    bar.finish_and_clear();
    Ok(out)
}

/// `backup --out DIR`: the database exported to the legacy JSON layout, and a
/// `pg_dump` beside it when the tool exists.
pub async fn backup(m: &Migration, out: &Path) -> Result<BackupReport> {
    let pg = m.pg().await?;
    backup_from(m, &pg, out).await
}

#[derive(Clone, Debug, Serialize)]
pub struct BackupReport {
    pub dir: String,
    pub copied: CopyReport,
    /// The `pg_dump` file, or why there is none.
    pub dump: Result<String, String>,
}

pub(crate) async fn backup_from(m: &Migration, pg: &PgStore, out: &Path) -> Result<BackupReport> {
    let json_dir = out.join("data");
    if json_dir.exists() && std::fs::read_dir(&json_dir)?.next().is_some() {
        return Err(OpsError::BackupDirNotEmpty { dir: json_dir });
    }
    let target = JsonStore::open(
        &json_dir,
        JsonStoreOptions {
            naive_zone: m.settings.naive_zone(),
        },
    )?;
    let bar = m.bar("backup");
    let copied = copy_data_sets(
        &Stores::transactional(Arc::new(pg.clone())),
        &Stores::single(Arc::new(target)),
        None,
        &DataSet::ALL,
        &bar,
    )
    .await?;
    bar.finish_and_clear();
    let dump = pg_dump(pg.config(), &out.join("prescient.pgdump"));
    Ok(BackupReport {
        dir: json_dir.display().to_string(),
        copied,
        dump,
    })
}

fn pg_dump(config: &PgConfig, file: &Path) -> Result<String, String> {
    let connection = config.for_libpq().map_err(|e| e.to_string())?;
    let status = pg_dump_command(&connection, file).status();
    match status {
        Ok(s) if s.success() => Ok(file.display().to_string()),
        Ok(s) => Err(format!("pg_dump failed with {s}")),
        Err(e) => Err(format!(
            "pg_dump not available ({e}); the JSON export is the backup"
        )),
    }
}

/// `pg_dump` of `connection` into `file`. The password goes in
/// `PGPASSWORD`, never on the command line, which every user of the
/// machine can read (`ps`); without one, libpq's own `PGPASSWORD` or
/// `~/.pgpass` still apply.
pub(crate) fn pg_dump_command(connection: &LibpqConnection, file: &Path) -> Command {
    let mut command = Command::new("pg_dump");
    command
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(file)
        .arg("--dbname")
        .arg(&connection.uri);
    if let Some(password) = &connection.password {
        command.env("PGPASSWORD", password);
    }
    command
}

/// `restore --from DIR`: a backup's JSON export loaded into an empty database
/// (never beside a running cycle: it holds the runtime lock).
pub async fn restore(m: &Migration, from: &Path, force: bool) -> Result<CopyReport> {
    let _runtime = m.runtime_lock(
        "restore",
        "stop `prescient run`/`serve` before restoring into the database it uses",
    )?;
    let pg = m.pg().await?;
    pg.migrate().await.map_err(OpsError::Migrations)?;
    restore_into(m, &pg, from, force).await
}

pub(crate) async fn restore_into(
    m: &Migration,
    pg: &PgStore,
    from: &Path,
    force: bool,
) -> Result<CopyReport> {
    let dir = if from.join("data").is_dir() {
        from.join("data")
    } else {
        from.to_path_buf()
    };
    if !dir.join("trades").is_dir() {
        return Err(OpsError::NoBackup { dir });
    }
    let target = Stores::transactional(Arc::new(pg.clone()));
    // Empty: no portfolio state and no trade, of any portfolio.
    let mut empty = true;
    for id in portfolios_in(&[&target]).await? {
        empty &= target.portfolio.load_portfolio(&id).await?.is_none()
            && target.trades.recent_trades(&id, 1).await?.is_empty();
    }
    if !empty && !force {
        return Err(OpsError::DatabaseNotEmpty);
    }
    let source = Stores::single(Arc::new(JsonStore::open_read_only(
        &dir,
        JsonStoreOptions {
            naive_zone: m.settings.naive_zone(),
        },
    )));
    let bar = m.bar("restore");
    let report = copy_data_sets(&source, &target, Some(pg), &DataSet::ALL, &bar).await?;
    bar.finish_and_clear();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    fn dump_of(url: &str) -> Command {
        let connection = PgConfig::new(url).for_libpq().unwrap();
        pg_dump_command(&connection, Path::new("/backup/prescient.pgdump"))
    }

    fn args(command: &Command) -> Vec<String> {
        command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    fn env<'a>(command: &'a Command, name: &str) -> Option<Option<&'a OsStr>> {
        command
            .get_envs()
            .find(|(k, _)| *k == OsStr::new(name))
            .map(|(_, v)| v)
    }

    #[test]
    fn pg_dump_gets_the_password_in_its_environment_only() {
        for url in [
            "postgres://prescient:hunter2@db.example:5433/prescient_os",
            "postgres://prescient@db.example:5433/prescient_os?password=hunter2",
        ] {
            let command = dump_of(url);
            assert_eq!(command.get_program(), "pg_dump");
            assert_eq!(
                args(&command),
                [
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    "/backup/prescient.pgdump",
                    "--dbname",
                    "postgres://prescient@db.example:5433/prescient_os",
                ],
                "{url}"
            );
            assert_eq!(
                env(&command, "PGPASSWORD"),
                Some(Some(OsStr::new("hunter2"))),
                "{url}"
            );
        }
        // Percent-encoded in the URL, as libpq wants it in the variable.
        let command = dump_of("postgres://u:p%40ss%2Fword@h/db");
        assert_eq!(
            env(&command, "PGPASSWORD"),
            Some(Some(OsStr::new("p@ss/word")))
        );
        assert!(args(&command).iter().all(|a| !a.contains("p%40ss")));
    }

    #[test]
    fn without_a_password_pg_dump_is_left_to_libpq() {
        let command = dump_of("postgres://postgres@127.0.0.1:5432/postgres");
        assert_eq!(env(&command, "PGPASSWORD"), None);
        assert_eq!(
            args(&command).last().map(String::as_str),
            Some("postgres://postgres@127.0.0.1:5432/postgres")
        );
    }
}
