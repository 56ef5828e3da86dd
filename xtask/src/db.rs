//! `cargo xtask db up|down|status`: a PostgreSQL server for tests and
//! development. `up` reuses a server that answers at `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); when none does, it starts a
//! throw-away cluster under `target/pg/` with the `initdb`/`pg_ctl` found on
//! the machine (on PATH or under `/usr/lib/postgresql/*/bin`), on a free port,
//! as an unprivileged user when run as root, and prints the URL to use.
//! `down` stops and removes that cluster (never a server it did not start).

use crate::cmd;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use storage_pg::redact::redact_url;

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Make sure a server answers; start a throw-away cluster if none does.
    Up,
    /// Stop and remove the throw-away cluster, if `up` started one.
    Down,
    /// Say which server answers, and whether a throw-away cluster runs.
    Status,
}

pub fn run(command: DbCommand) -> Result<()> {
    match command {
        DbCommand::Up => {
            let db = ensure()?;
            println!("DATABASE_URL={}", db.url);
            Ok(())
        }
        DbCommand::Down => {
            if stop_cluster()? {
                println!(
                    "stopped and removed the cluster under {}",
                    cluster_dir().display()
                );
            } else {
                println!("no throw-away cluster under {}", cluster_dir().display());
            }
            Ok(())
        }
        DbCommand::Status => {
            let url = configured_url();
            println!(
                "{}: {}",
                redact_url(&url),
                if answers(&url) {
                    "answers"
                } else {
                    "does not answer"
                }
            );
            match cluster_url() {
                Some(u) if answers(&u) => println!("throw-away cluster: running at {u}"),
                Some(u) => println!("throw-away cluster: configured at {u}, not running"),
                None => println!("throw-away cluster: none"),
            }
            Ok(())
        }
    }
}

/// A server to use, and whether this process started it.
pub struct Database {
    pub url: String,
    pub started: bool,
}

/// A server that answers: the configured one, a running throw-away cluster,
/// or a new throw-away cluster.
pub fn ensure() -> Result<Database> {
    let url = configured_url();
    if answers(&url) {
        eprintln!("using the server at {}", redact_url(&url));
        return Ok(Database {
            url,
            started: false,
        });
    }
    if let Some(url) = cluster_url().filter(|u| answers(u)) {
        eprintln!("using the throw-away cluster at {url}");
        return Ok(Database {
            url,
            started: false,
        });
    }
    eprintln!(
        "no server answers at {}; starting a throw-away cluster",
        redact_url(&url)
    );
    let url = start_cluster()?;
    Ok(Database { url, started: true })
}

pub fn configured_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_URL.to_owned())
}

/// Whether something accepts TCP connections at the URL's host and port.
pub fn answers(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    let host = parsed.host_str().unwrap_or("127.0.0.1").to_owned();
    let port = parsed.port().unwrap_or(5432);
    let Ok(addrs) = (host.as_str(), port).to_socket_addrs() else {
        return false;
    };
    addrs
        .into_iter()
        .any(|a| TcpStream::connect_timeout(&a, Duration::from_millis(500)).is_ok())
}

fn cluster_dir() -> PathBuf {
    cmd::root().join("target/pg")
}

fn cluster_url() -> Option<String> {
    std::fs::read_to_string(cluster_dir().join("url"))
        .ok()
        .map(|s| s.trim().to_owned())
}

/// `initdb` and `pg_ctl` from PATH, or the newest `/usr/lib/postgresql/*/bin`.
fn find_binaries() -> Result<(PathBuf, PathBuf)> {
    if cmd::available("initdb", &["--version"]) && cmd::available("pg_ctl", &["--version"]) {
        return Ok(("initdb".into(), "pg_ctl".into()));
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path().join("bin"))
                .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort_by_key(|d| {
        d.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    match dirs.pop() {
        Some(bin) => Ok((bin.join("initdb"), bin.join("pg_ctl"))),
        None => bail!(
            "no PostgreSQL server answers at {} and no initdb/pg_ctl was found on PATH or under \
             /usr/lib/postgresql/*/bin: install the server (Debian: apt-get install postgresql) \
             or set DATABASE_URL to a running server",
            configured_url()
        ),
    }
}

/// The unprivileged account a root process runs the cluster as.
const CLUSTER_USER: &str = "nobody";

/// Run a PostgreSQL tool, as `nobody` when we are root (initdb refuses root).
fn pg_tool(program: &Path, as_user: bool) -> Command {
    if as_user {
        let mut c = Command::new("runuser");
        c.args(["-u", CLUSTER_USER, "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}

fn start_cluster() -> Result<String> {
    let (initdb, pg_ctl) = find_binaries()?;
    let dir = cluster_dir();
    let data = dir.join("data");
    let root = cmd::is_root();
    if !data.join("PG_VERSION").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&data)
            .with_context(|| format!("cannot create {}", data.display()))?;
        if root {
            chown(&dir)?;
        }
        let mut init = pg_tool(&initdb, root);
        init.args([
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "-D",
        ])
        .arg(&data)
        .stdout(std::process::Stdio::null());
        cmd::run(init)?;
    }
    let port = free_port()?;
    let mut start = pg_tool(&pg_ctl, root);
    start
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("server.log"))
        .arg("-o")
        .arg(format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off",
            dir.display()
        ))
        .args(["-w", "start"]);
    cmd::run(start).with_context(|| {
        format!(
            "the cluster did not start; see {}",
            dir.join("server.log").display()
        )
    })?;
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    std::fs::write(dir.join("url"), &url)?;
    eprintln!("started a throw-away cluster in {} at {url}", dir.display());
    Ok(url)
}

/// Stop and remove the cluster; `false` when there was none.
pub fn stop_cluster() -> Result<bool> {
    let dir = cluster_dir();
    let data = dir.join("data");
    if !data.join("PG_VERSION").exists() {
        return Ok(false);
    }
    let (_, pg_ctl) = find_binaries()?;
    let mut stop = pg_tool(&pg_ctl, cmd::is_root());
    stop.arg("-D").arg(&data).args(["-m", "fast", "-w", "stop"]);
    // A cluster that is already stopped is fine; remove it all the same.
    if let Err(e) = cmd::run(stop) {
        eprintln!("note: {e}");
    }
    std::fs::remove_dir_all(&dir).with_context(|| format!("cannot remove {}", dir.display()))?;
    Ok(true)
}

fn chown(dir: &Path) -> Result<()> {
    let mut c = Command::new("chown");
    c.args(["-R", &format!("{CLUSTER_USER}:")]).arg(dir);
    cmd::run(c)
}
