//! The crash harness (issue #10 item 8): the real `prescient cycle` binary,
//! killed with SIGKILL at random points and restarted, in a chosen phase,
//! with PostgreSQL refusing a write, unreachable, or slow (a held lock), and
//! some cycles run from another working directory. Afterwards it checks what
//! a user would: no position lost or duplicated, every trade in JSON and (where
//! the phase routes trades to PostgreSQL) in PostgreSQL, the outbox empty and
//! `verify` clean.
//!
//! One harness for the test suite (`tests/crash_harness.rs`, a few cycles)
//! and `cargo xtask soak` (100 cycles a phase). Built only with the `soak`
//! feature: it creates throw-away databases (`storage_pg::testing`).
//!
//! Every cycle offers three new markets (snapshot generation `g` holds the
//! example events of generations `0..=g` under fresh ids), so a lost write
//! shows as a market never held and a replayed one as a market held twice.

use crate::ops::Migration;
use crate::{Settings, Sources};
use anyhow::{Context, Result, bail, ensure};
use domain::ports::Stores;
use domain::{DataSet, Phase, PositionStatus, Route};
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{ConnectionTrait, TransactionTrait};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use storage_pg::testing::TestDb;

/// What to run.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// The `prescient` binary.
    pub binary: PathBuf,
    /// The example snapshot (`examples/snapshot`) whose events are cloned.
    pub example_snapshot: PathBuf,
    pub phases: Vec<Phase>,
    pub cycles: usize,
    pub seed: u64,
}

/// What one phase's run saw.
#[derive(Debug, Clone, Default)]
pub struct PhaseFigures {
    pub phase: String,
    pub cycles: usize,
    pub kills: usize,
    pub pg_refused: usize,
    pub pg_unreachable: usize,
    pub pg_slow_kills: usize,
    pub other_cwd: usize,
    pub failed_exits: usize,
    pub records_checked: usize,
    pub lost: usize,
    pub duplicated: usize,
    /// `None` where the phase writes no data set to both stores.
    pub verify_clean: Option<bool>,
}

impl std::fmt::Display for PhaseFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "phase {:>3}: cycles {}, kills {} (while PostgreSQL slow {}), PostgreSQL refused {}, unreachable {}, other cwd {}, failed exits {}, records checked {}, lost {}, duplicated {}, verify {}",
            self.phase,
            self.cycles,
            self.kills,
            self.pg_slow_kills,
            self.pg_refused,
            self.pg_unreachable,
            self.other_cwd,
            self.failed_exits,
            self.records_checked,
            self.lost,
            self.duplicated,
            match self.verify_clean {
                Some(true) => "clean",
                Some(false) => "DIRTY",
                None => "n/a",
            }
        )
    }
}

impl PhaseFigures {
    pub fn is_ok(&self) -> bool {
        self.lost == 0 && self.duplicated == 0 && self.verify_clean != Some(false)
    }
}

/// A fault injected into one cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// SIGKILL after a random delay, then the same cycle again.
    Kill(u64),
    /// A trigger rejects the next insert into `trades`.
    PgRefuses,
    /// DATABASE_URL points at a closed port.
    PgUnreachable,
    /// `trades` locked by another connection; SIGKILL once JSON holds the
    /// new trades, then the lock is released and the cycle run again.
    PgSlowKill,
    /// Same `--data-dir`, another working directory.
    OtherCwd,
}

/// Run every configured phase; the figures of each.
pub async fn run(cfg: &SoakConfig) -> Result<Vec<PhaseFigures>> {
    run_reporting(cfg, |_| {}).await
}

/// [`run`], handing each phase's figures to `done` as soon as it finishes
/// (a long soak shows its progress).
pub async fn run_reporting(
    cfg: &SoakConfig,
    mut done: impl FnMut(&PhaseFigures),
) -> Result<Vec<PhaseFigures>> {
    let mut out = Vec::new();
    for (i, phase) in cfg.phases.iter().enumerate() {
        let seed = cfg.seed.wrapping_add(i as u64);
        let figures = run_phase(cfg, *phase, seed)
            .await
            .with_context(|| format!("phase {} (seed {seed})", phase.number()))?;
        done(&figures);
        out.push(figures);
    }
    Ok(out)
}

/// A data directory, its database and the cycles run on them.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub data: PathBuf,
    pub db: TestDb,
    binary: PathBuf,
    example: PathBuf,
    generation: usize,
    /// Markets the strategy buys from one generation.
    pub per_generation: usize,
}

impl Site {
    /// A fresh site walked to `phase` (backfilled and verified at each step,
    /// so PostgreSQL starts level with JSON).
    pub async fn new(cfg: &SoakConfig, phase: Phase) -> Result<Site> {
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("data");
        let db = TestDb::create().await?;
        let mut site = Site {
            data,
            db,
            dir,
            binary: cfg.binary.clone(),
            example: cfg.example_snapshot.clone(),
            generation: 0,
            per_generation: 0,
        };
        // One clean cycle in phase 0 gives the data directory its files.
        let out = site.cycle(None, Fault::None, &site.cwd())?;
        ensure!(out.status.success(), "first cycle: {}", stderr(&out));
        site.per_generation = site.json_trades().await?.len();
        ensure!(site.per_generation > 0, "the snapshot buys nothing");
        site.walk_to(phase).await?;
        Ok(site)
    }

    fn cwd(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn settings(&self, database_url: Option<&str>) -> Result<Settings> {
        let mut s = Settings::load(&Sources {
            file: None,
            env: self.env(database_url),
        })?;
        s.data_dir = self.data.clone();
        Ok(s)
    }

    fn env(&self, database_url: Option<&str>) -> HashMap<String, String> {
        [
            ("DATABASE_URL", database_url.unwrap_or(self.db.url())),
            ("PRESCIENT_CONFIG", "/nonexistent/prescient.toml"),
            ("PRESCIENT_EVENT_MAX_DAYS_UNTIL_END", "1000"),
            ("PRESCIENT_INITIAL_BALANCE", "10000000"),
            ("PRESCIENT_PHASE6_HOLD_DAYS", "0"),
            ("PRESCIENT_PG_CONNECT_TIMEOUT_MS", "500"),
            ("PRESCIENT_SHADOW_READ_EVERY", "0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    pub fn migration(&self) -> Result<Migration> {
        let mut m = Migration::open(self.settings(None)?)?;
        m.progress = false;
        Ok(m)
    }

    async fn walk_to(&mut self, phase: Phase) -> Result<()> {
        loop {
            let mut m = self.migration()?;
            if m.phase()? == phase {
                break;
            }
            crate::ops::backup::backfill(&m, &DataSet::ALL).await?;
            crate::ops::backup::verify_and_record(&mut m, &DataSet::ALL).await?;
            crate::ops::phase::advance(&mut m, true).await?;
        }
        let mut m = self.migration()?;
        let report = crate::ops::backup::verify_and_record(&mut m, &DataSet::ALL).await?;
        ensure!(report.is_clean(), "not level on entering {phase}: {report}");
        Ok(())
    }

    /// Write snapshot generation `g` (generations `0..=g` of the example
    /// events under fresh ids) and return its directory.
    fn snapshot(&self, g: usize) -> Result<PathBuf> {
        let dir = self.dir.path().join(format!("snapshot-{g}"));
        if dir.join("events.json").exists() {
            return Ok(dir);
        }
        let text = std::fs::read_to_string(self.example.join("events.json"))?;
        let base: Vec<serde_json::Value> = serde_json::from_str(&text)?;
        let mut events = Vec::new();
        for generation in 0..=g {
            events.extend(base.iter().map(|e| renumber(e, generation)));
        }
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("events.json"), serde_json::to_vec(&events)?)?;
        Ok(dir)
    }

    fn command(&self, database_url: Option<&str>, cwd: &Path) -> Result<Command> {
        let snapshot = self.snapshot(self.generation)?;
        let mut cmd = Command::new(&self.binary);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .envs(self.env(database_url))
            .current_dir(cwd)
            .arg("--data-dir")
            .arg(&self.data)
            .args(["cycle", "--source"])
            .arg(format!("snapshot:{}", snapshot.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        Ok(cmd)
    }

    /// One cycle with `fault`; killed when `kill_after` is given.
    fn cycle(
        &self,
        kill_after: Option<Duration>,
        fault: Fault,
        cwd: &Path,
    ) -> Result<std::process::Output> {
        let closed = closed_port_url();
        let url = (fault == Fault::PgUnreachable).then_some(closed.as_str());
        let mut child = self.command(url, cwd)?.spawn()?;
        if let Some(delay) = kill_after {
            std::thread::sleep(delay);
            // SIGKILL (std's kill on Unix); an already finished child is fine.
            let _ = child.kill();
        }
        Ok(child.wait_with_output()?)
    }

    /// The next snapshot generation (three new markets) for the next cycle.
    pub fn next_generation(&mut self) {
        self.generation += 1;
    }

    /// One cycle to the end with `fault` (only `None`, `PgRefuses`,
    /// `PgUnreachable` and `OtherCwd` here); what the user sees.
    pub async fn run(&self, fault: Fault) -> Result<std::process::Output> {
        let cwd = match fault {
            Fault::OtherCwd => {
                let d = self.dir.path().join("elsewhere");
                std::fs::create_dir_all(&d)?;
                d
            }
            Fault::None | Fault::PgRefuses | Fault::PgUnreachable => self.cwd(),
            Fault::Kill(_) | Fault::PgSlowKill => bail!("use soak() or slow_kill()"),
        };
        if fault == Fault::PgRefuses {
            self.refuse_next_trade().await?;
        }
        let out = tokio::task::block_in_place(|| self.cycle(None, fault, &cwd));
        if fault == Fault::PgRefuses {
            self.accept_trades().await?;
        }
        out
    }

    /// A cycle killed while `trades` is locked, once JSON holds its new
    /// trades; whether it got that far.
    pub async fn slow_kill(&self) -> Result<bool> {
        let before = json_array_len(&self.data.join("trades/paper_trades.json"));
        // One connection of its own holds the lock until rollback.
        let lock = self.db.connection().begin().await?;
        lock.execute_unprepared("LOCK TABLE trades IN ACCESS EXCLUSIVE MODE")
            .await?;
        let saw = tokio::task::block_in_place(|| self.cycle_killed_after_json(before))?;
        lock.rollback().await?;
        Ok(saw)
    }

    /// Spawn a cycle and SIGKILL it once JSON holds more trades than
    /// `before` (the JSON half written, PostgreSQL's blocked on the lock).
    fn cycle_killed_after_json(&self, before: usize) -> Result<bool> {
        let mut child = self.command(None, &self.cwd())?.spawn()?;
        let trades = self.data.join("trades/paper_trades.json");
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut saw = false;
        while Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                break;
            }
            if json_array_len(&trades) > before {
                saw = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill();
        child.wait()?;
        Ok(saw)
    }

    pub async fn json_trades(&self) -> Result<Vec<domain::Trade>> {
        let m = self.migration()?;
        Ok(m.json_reader().trades.load_trades(&m.portfolio()).await?)
    }

    pub async fn sql(&self, statement: &str) -> Result<()> {
        self.db
            .connection()
            .execute_unprepared(statement)
            .await
            .with_context(|| statement.to_owned())?;
        Ok(())
    }

    /// A trigger that rejects the next insert into `trades` only (a
    /// sequence is not rolled back with the failing transaction).
    pub async fn refuse_next_trade(&self) -> Result<()> {
        self.sql(
            "CREATE SEQUENCE IF NOT EXISTS soak_refusals;
             SELECT setval('soak_refusals', 1, false);
             CREATE OR REPLACE FUNCTION soak_refuse() RETURNS trigger AS $$
             BEGIN
               IF nextval('soak_refusals') = 1 THEN
                 RAISE EXCEPTION 'soak: PostgreSQL refuses this trade';
               END IF;
               RETURN NEW;
             END $$ LANGUAGE plpgsql;
             DROP TRIGGER IF EXISTS soak_refuse ON trades;
             CREATE TRIGGER soak_refuse BEFORE INSERT ON trades
               FOR EACH ROW EXECUTE FUNCTION soak_refuse();",
        )
        .await
    }

    pub async fn accept_trades(&self) -> Result<()> {
        self.sql("DROP TRIGGER IF EXISTS soak_refuse ON trades;")
            .await
    }

    /// Run `cycles` cycles with seeded faults, then a clean one, and check.
    pub async fn soak(&mut self, cycles: usize, seed: u64) -> Result<PhaseFigures> {
        let mut rng = StdRng::seed_from_u64(seed);
        let phase = self.migration()?.phase()?;
        let mut f = PhaseFigures {
            phase: phase.number().to_owned(),
            ..Default::default()
        };
        let elsewhere = self.dir.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere)?;
        for n in 0..cycles {
            self.generation += 1;
            // The first cycles cover every fault; then they are drawn.
            let fault = match n {
                0 => Fault::PgRefuses,
                1 => Fault::PgUnreachable,
                2 => Fault::OtherCwd,
                3 => Fault::PgSlowKill,
                _ => match rng.random_range(0..10) {
                    0..=3 => Fault::Kill(rng.random_range(0..600)),
                    4 => Fault::PgRefuses,
                    5 => Fault::PgUnreachable,
                    6 => Fault::OtherCwd,
                    7 => Fault::PgSlowKill,
                    _ => Fault::None,
                },
            };
            f.cycles += 1;
            match fault {
                Fault::Kill(ms) => {
                    self.cycle(Some(Duration::from_millis(ms)), fault, &self.cwd())?;
                    f.kills += 1;
                    // The restart: the same cycle, to the end.
                    let out = self.cycle(None, Fault::None, &self.cwd())?;
                    ensure!(out.status.success(), "restart after kill: {}", stderr(&out));
                    f.cycles += 1;
                }
                Fault::PgSlowKill => {
                    let saw = self.slow_kill().await?;
                    f.kills += 1;
                    f.pg_slow_kills += usize::from(saw);
                    let out = self.cycle(None, Fault::None, &self.cwd())?;
                    ensure!(
                        out.status.success(),
                        "restart after slow kill: {}",
                        stderr(&out)
                    );
                    f.cycles += 1;
                }
                Fault::PgRefuses => {
                    self.refuse_next_trade().await?;
                    let out = self.cycle(None, fault, &self.cwd())?;
                    self.accept_trades().await?;
                    f.pg_refused += 1;
                    f.failed_exits += usize::from(!out.status.success());
                    self.expect_success_unless_pg_primary(phase, &out, "PostgreSQL refusing")?;
                }
                Fault::PgUnreachable => {
                    let out = self.cycle(None, fault, &self.cwd())?;
                    f.pg_unreachable += 1;
                    f.failed_exits += usize::from(!out.status.success());
                    self.expect_success_unless_pg_primary(phase, &out, "PostgreSQL unreachable")?;
                }
                Fault::OtherCwd => {
                    let out = self.cycle(None, fault, &elsewhere)?;
                    ensure!(
                        out.status.success(),
                        "cycle from another cwd: {}",
                        stderr(&out)
                    );
                    f.other_cwd += 1;
                    ensure!(
                        !elsewhere.join(".prescient").exists() && !elsewhere.join("state").exists(),
                        "a cycle from another cwd made its own state directory"
                    );
                }
                Fault::None => {
                    let out = self.cycle(None, fault, &self.cwd())?;
                    ensure!(out.status.success(), "clean cycle: {}", stderr(&out));
                }
            }
        }
        // A final clean cycle replays what is left in the outbox.
        let out = self.cycle(None, Fault::None, &self.cwd())?;
        ensure!(out.status.success(), "final cycle: {}", stderr(&out));
        f.cycles += 1;
        self.check(phase, &mut f).await?;
        Ok(f)
    }

    fn expect_success_unless_pg_primary(
        &self,
        phase: Phase,
        out: &std::process::Output,
        what: &str,
    ) -> Result<()> {
        // From phase 6 PostgreSQL is the truth: a cycle it cannot write
        // fails (and must lose nothing); before, JSON carries the cycle.
        if pg_is_primary(phase) || out.status.success() {
            return Ok(());
        }
        bail!("cycle with {what} failed in phase {phase}: {}", stderr(out))
    }

    /// Lost and duplicated positions, trades on both sides, verify.
    pub async fn check(&self, phase: Phase, f: &mut PhaseFigures) -> Result<()> {
        let mut m = self.migration()?;
        let id = m.portfolio();
        let pg = Stores::transactional(Arc::new(m.pg().await?));
        let replay = m.outbox().replay(&pg).await?;
        ensure!(replay.remaining == 0, "outbox not empty: {replay:?}");

        let truth = if pg_is_primary(phase) {
            pg.clone()
        } else {
            m.json_reader()
        };
        let portfolio = truth
            .portfolio
            .load_portfolio(&id)
            .await?
            .context("no portfolio")?;
        let trades = truth.trades.load_trades(&id).await?;
        let trade_ids: BTreeSet<_> = trades.iter().map(|t| t.trade_id.clone()).collect();
        let open: Vec<_> = portfolio
            .positions
            .iter()
            .filter(|p| p.status == PositionStatus::Open)
            .collect();
        let markets: BTreeSet<_> = open.iter().map(|p| p.market_id.clone()).collect();
        let traded: BTreeSet<_> = trades.iter().map(|t| t.market_id.clone()).collect();
        let expected = self.per_generation * (self.generation + 1);
        f.records_checked += trades.len() + open.len();
        f.duplicated += open.len() - markets.len();
        f.duplicated += trades.len() - trade_ids.len();
        f.duplicated += trades.len().saturating_sub(traded.len());
        f.lost += open
            .iter()
            .filter(|p| !trade_ids.contains(&p.trade_id))
            .count();
        f.lost += expected.saturating_sub(markets.len());

        if routes_to_pg(phase, DataSet::Trades) && !pg_is_primary(phase) {
            let in_pg: BTreeSet<_> = pg
                .trades
                .load_trades(&id)
                .await?
                .into_iter()
                .map(|t| t.trade_id)
                .collect();
            f.records_checked += in_pg.len();
            f.lost += trade_ids.difference(&in_pg).count();
            f.duplicated += in_pg.difference(&trade_ids).count();
        }

        let both: Vec<DataSet> = DataSet::ALL
            .into_iter()
            .filter(|ds| matches!(phase.route(*ds), Route::DualWrite | Route::DualRead))
            .collect();
        if !both.is_empty() {
            let report = crate::ops::backup::verify_and_record(&mut m, &both).await?;
            if !report.is_clean() {
                eprintln!("soak: verify in phase {phase}: {report}");
            }
            f.verify_clean = Some(report.is_clean());
        }
        Ok(())
    }
}

async fn run_phase(cfg: &SoakConfig, phase: Phase, seed: u64) -> Result<PhaseFigures> {
    let mut site = Site::new(cfg, phase).await?;
    site.soak(cfg.cycles, seed).await
}

fn pg_is_primary(phase: Phase) -> bool {
    matches!(
        phase.route(DataSet::Trades),
        Route::Database | Route::PostgresOnly
    )
}

fn routes_to_pg(phase: Phase, ds: DataSet) -> bool {
    match phase.route(ds) {
        Route::Json => false,
        Route::DualWrite | Route::DualRead | Route::Database | Route::PostgresOnly => true,
    }
}

/// The example event `e` as generation `g`: fresh event, market, condition
/// and token ids and slugs, so each generation is a new set of markets.
fn renumber(e: &serde_json::Value, g: usize) -> serde_json::Value {
    use serde_json::Value;
    let mut e = e.clone();
    let suffix = |v: &mut Value, s: &str| {
        if let Some(t) = v.as_str() {
            *v = Value::String(format!("{t}{s}"));
        }
    };
    let tag = format!("-g{g}");
    if let Some(id) = e.get("id").and_then(Value::as_str) {
        e["id"] = Value::String(format!("{}{id}", g + 1));
    }
    for key in ["slug", "ticker"] {
        if let Some(v) = e.get_mut(key) {
            suffix(v, &tag);
        }
    }
    if let Some(markets) = e.get_mut("markets").and_then(Value::as_array_mut) {
        for m in markets {
            let old = m["id"].as_str().unwrap_or_default().to_owned();
            let new = format!("{}{old}", g + 1);
            m["id"] = Value::String(new.clone());
            for key in ["conditionId", "questionID"] {
                if let Some(t) = m.get(key).and_then(Value::as_str) {
                    // Keep the 0x + 64 hex digits shape; the generation goes
                    // into the leading digits.
                    let t = format!("0x{:08x}{}", g + 1, &t[10.min(t.len())..]);
                    m[key] = Value::String(t);
                }
            }
            if let Some(t) = m.get("clobTokenIds").and_then(Value::as_str) {
                m["clobTokenIds"] = Value::String(t.replace(&old, &new));
            }
            if let Some(v) = m.get_mut("slug") {
                suffix(v, &tag);
            }
        }
    }
    e
}

fn json_array_len(path: &Path) -> usize {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Vec<serde_json::Value>>(&b).ok())
        .map_or(0, |v| v.len())
}

/// A postgres:// URL on a port nothing listens on.
fn closed_port_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or(1, |a| a.port());
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

fn stderr(out: &std::process::Output) -> String {
    format!(
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    )
}
