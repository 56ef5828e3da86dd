//! Helpers of the HTTP API tests: a server on a free local port over a JSON
//! data directory or a PostgreSQL test database, a client, and fingerprints
//! of every file and row (to prove that GETs change nothing).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod raw;

use orchestrator::api::guard::serve_with;
use orchestrator::api::{ApiState, SourceFactory, source_factory};
use orchestrator::app::SourceSpec;
use orchestrator::app::{App, StoreChoice};
use orchestrator::{Settings, Sources};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shipped example snapshot (3 signals with `event_max_days_until_end=1000`).
pub fn example_source() -> SourceFactory {
    source_factory(SourceSpec::Snapshot(workspace().join("examples/snapshot")))
}

/// The query a test cycle is run with: the example's end dates are in 2027.
pub const CYCLE: &str = "/trading/run-full-cycle?event_max_days_until_end=1000";

/// Settings over `data_dir` and `state_dir`, plus `env`.
pub fn settings(data_dir: &Path, state_dir: &Path, env: &[(&str, &str)]) -> Settings {
    let mut vars: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    vars.insert("PRESCIENT_DATA_DIR".into(), data_dir.display().to_string());
    vars.insert(
        "PRESCIENT_STATE_DIR".into(),
        state_dir.display().to_string(),
    );
    Settings::load(&Sources {
        file: None,
        env: vars,
    })
    .unwrap()
}

/// A running API server.
pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<()>,
}

impl Server {
    /// Open the app as `prescient serve --store <choice>` would and serve it
    /// on 127.0.0.1:0.
    pub async fn start(
        settings: Settings,
        choice: StoreChoice,
        token: Option<&str>,
        source: SourceFactory,
    ) -> Server {
        let app = App::open(settings, choice).await.unwrap();
        let state = ApiState::new(app, token.map(str::to_owned), source).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        // As `prescient serve` serves: its limits, timeouts and Host rule.
        let handle = tokio::spawn(async move {
            serve_with(listener, state, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Server {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            stop: Some(stop),
            handle,
        }
    }

    /// Stop and wait until the app (and the data directory's lock) is dropped.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.handle).await.unwrap();
    }

    /// The address it listens on (`127.0.0.1:<port>`).
    pub fn addr(&self) -> std::net::SocketAddr {
        self.base.trim_start_matches("http://").parse().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path`: status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("GET {path} answered {status} with non-JSON {text:?}: {e}"));
        (status, body)
    }

    /// GET `path` as text (the dashboard, /metrics).
    pub async fn get_text(&self, path: &str) -> (u16, String, String) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        let ctype = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, ctype, r.text().await.unwrap())
    }

    /// POST `path` (with a bearer token when given).
    pub async fn post(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.client.post(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("POST {path} answered {status} with non-JSON {text:?}: {e}")
        });
        (status, body)
    }
}

/// Every file under `dir` (relative path → SHA-256-free fingerprint: the
/// full bytes, compared exactly).
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Every table of the database: its row count and every row as text, sorted.
pub async fn rows(db: &DatabaseConnection) -> BTreeMap<String, (i64, String)> {
    let query = |sql: String| Statement::from_string(sea_orm::DatabaseBackend::Postgres, sql);
    let tables = db
        .query_all_raw(query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
                .into(),
        ))
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for t in tables {
        let name: String = t.try_get_by_index(0).unwrap();
        let row = db
            .query_one_raw(query(format!(
                "SELECT count(*), coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '') \
                 FROM \"{name}\" t"
            )))
            .await
            .unwrap()
            .unwrap();
        out.insert(
            name,
            (
                row.try_get_by_index::<i64>(0).unwrap(),
                row.try_get_by_index::<String>(1).unwrap(),
            ),
        );
    }
    out
}

/// Every GET endpoint, with the paths a user would call.
pub const GETS: &[&str] = &[
    "/",
    "/metrics",
    "/trading/status",
    "/trading/performance-summary",
    "/paper-trading/portfolio",
    "/paper-trading/trades-history",
    "/paper-trading/trades-history?limit=1&offset=1",
    "/paper-trading/portfolio-history",
    "/paper-trading/status",
    "/strategy/current-signals",
    "/strategy/status",
    "/markets/current-filtered",
    "/markets/status",
    "/markets/700002/snapshots",
    "/events/filtered",
    "/events/raw?limit=2",
    "/events/status",
    "/events/90001",
    "/events/does-not-exist",
];

/// POST `path` with `method` other than the usual (a raw status, no body).
pub async fn send(s: &Server, method: &[u8], path: &str) -> u16 {
    let method = reqwest::Method::from_bytes(method).unwrap();
    s.client
        .request(method, s.url(path))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The samples of a Prometheus text exposition: `name{labels}` → value.
/// Every line that is not a comment must be a sample.
pub fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (key, value) = l
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("not a sample: {l:?}"));
            let value = match value {
                "+Inf" => f64::INFINITY,
                v => v
                    .parse()
                    .unwrap_or_else(|e| panic!("bad value in {l:?}: {e}")),
            };
            (key.to_owned(), value)
        })
        .collect()
}

/// The series of `/metrics` now.
pub async fn metrics(s: &Server) -> BTreeMap<String, f64> {
    let (code, ctype, text) = s.get_text("/metrics").await;
    assert_eq!(code, 200, "{text}");
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    samples(&text)
}

/// A snapshot whose events and markets straddle `event_min_liquidity=5000`
/// and `min_liquidity=20000` (every other default filter passes; the events
/// end 30 days after `now`, markets priced 0.80/0.20):
///
/// | event | liquidity | markets (liquidity) |
/// |---|---|---|
/// | 91001 | 4,000 | 810011 (50,000) |
/// | 91002 | 6,000 | 810021 (15,000), 810022 (25,000) |
/// | 91003 | 30,000 | 810031 (19,999.99), 810032 (20,000), 810033 (1,000,000) |
///
/// With both parameters: events 91002 and 91003 pass (91002 would fail the
/// default 10,000), and markets 810022, 810032 and 810033 (810021 would pass
/// the default 10,000). Built from the shipped example's first event.
pub fn straddling_snapshot(now: chrono::DateTime<chrono::Utc>) -> tempfile::TempDir {
    let text = std::fs::read_to_string(workspace().join("examples/snapshot/events.json")).unwrap();
    let example: Vec<Value> = serde_json::from_str(&text).unwrap();
    let template = &example[0];
    let market_template = &template["markets"][0];
    let end = (now + chrono::Duration::days(30))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    /// (event id, its liquidity, its markets as (id, liquidity)).
    type Spec<'a> = (&'a str, f64, &'a [(&'a str, &'a str)]);
    let spec: [Spec; 3] = [
        ("91001", 4000.0, &[("810011", "50000")]),
        ("91002", 6000.0, &[("810021", "15000"), ("810022", "25000")]),
        (
            "91003",
            30000.0,
            &[
                ("810031", "19999.99"),
                ("810032", "20000"),
                ("810033", "1000000"),
            ],
        ),
    ];
    let events: Vec<Value> = spec
        .iter()
        .map(|(id, liquidity, markets)| {
            let mut e = template.clone();
            e["id"] = Value::from(*id);
            e["slug"] = Value::from(format!("straddle-{id}"));
            e["title"] = Value::from(format!("Straddling event {id}"));
            e["liquidity"] = Value::from(*liquidity);
            e["volume"] = Value::from(1_000_000.0);
            e["endDate"] = Value::from(end.clone());
            e["markets"] = markets
                .iter()
                .map(|(mid, liquidity)| {
                    let mut m = market_template.clone();
                    m["id"] = Value::from(*mid);
                    m["slug"] = Value::from(format!("straddle-{mid}"));
                    m["question"] =
                        Value::from(format!("Will straddling market {mid} resolve YES?"));
                    m["liquidity"] = Value::from(*liquidity);
                    m["volume"] = Value::from("100000");
                    m["outcomePrices"] = Value::from("[\"0.8\", \"0.2\"]");
                    m["endDate"] = Value::from(end.clone());
                    m
                })
                .collect();
            e
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("events.json"),
        serde_json::to_vec_pretty(&events).unwrap(),
    )
    .unwrap();
    dir
}
