//! A fake of Polymarket's CLOB price history on 127.0.0.1:0 (axum), for the
//! client's and the history fetch's tests.
//!
//! `GET /prices-history?market=<token>&startTs=…&endTs=…&fidelity=…` answers
//! `{"history": [{"t": …, "p": …}]}` from a series given per token (or
//! [`generated`]): the points in `[startTs, endTs]`, the first of each
//! `fidelity`-minute bucket. A token it does not know has an empty history,
//! as on the CLOB. On request it behaves as the real one does when pushed:
//! a span longer than it accepts is a 400, so is a token it refuses, the
//! first requests can be 429s, and from some request on it can stop
//! answering (503). Every request is
//! logged with its arrival instant and what it asked for.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the fake misbehaves. The default behaves.
#[derive(Clone, Debug, Default)]
pub struct ClobBehaviour {
    /// Refuse (400, as the CLOB does) a request whose `endTs − startTs` is
    /// longer than this many seconds.
    pub max_span_secs: Option<i64>,
    /// The first this many requests answer 429 with `Retry-After: 0`.
    pub too_many_first: usize,
    /// From this request on (0-based, counting every request), answer 503:
    /// the server went away.
    pub down_from: Option<usize>,
    /// Tokens it refuses (400), as the CLOB refuses one it cannot serve.
    pub refused: HashSet<String>,
}

/// One request as the fake saw it.
#[derive(Clone, Debug)]
pub struct ClobHit {
    pub at: Instant,
    pub token: Option<String>,
    pub start_ts: Option<i64>,
    pub end_ts: Option<i64>,
    pub fidelity: Option<u32>,
    /// The status it was answered with.
    pub status: u16,
}

/// The fake CLOB. Build it, add series, then [`FakeClob::start`].
#[derive(Debug)]
pub struct FakeClob {
    /// Points per token, by `t` (unix seconds); `p` as given (any JSON).
    series: HashMap<String, BTreeMap<i64, Value>>,
    /// Items added to a token's first answered request, as they are.
    junk: HashMap<String, Vec<Value>>,
    behaviour: ClobBehaviour,
    served: AtomicUsize,
    junk_served: Mutex<HashSet<String>>,
    hits: Mutex<Vec<ClobHit>>,
}

impl FakeClob {
    pub fn new(behaviour: ClobBehaviour) -> Self {
        FakeClob {
            series: HashMap::new(),
            junk: HashMap::new(),
            behaviour,
            served: AtomicUsize::new(0),
            junk_served: Mutex::new(HashSet::new()),
            hits: Mutex::new(Vec::new()),
        }
    }

    /// Serve `points` (`(t, p)`) as the history of `token`.
    pub fn with_series(mut self, token: &str, points: Vec<(i64, Value)>) -> Self {
        self.series
            .entry(token.to_owned())
            .or_default()
            .extend(points);
        self
    }

    /// Add `items` (broken points, say) to the first answer for `token`.
    pub fn with_junk(mut self, token: &str, items: Vec<Value>) -> Self {
        self.junk.entry(token.to_owned()).or_default().extend(items);
        self
    }

    /// Start on 127.0.0.1:0; returns the server and its base URL.
    pub async fn start(self) -> (Arc<Self>, String) {
        let state = Arc::new(self);
        let app = Router::new()
            .route("/prices-history", get(prices_history))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("a bound address");
        tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the fake CLOB serves");
        });
        (state, format!("http://{addr}"))
    }

    /// Every request so far, in arrival order.
    pub fn hits(&self) -> Vec<ClobHit> {
        self.hits.lock().unwrap().clone()
    }

    /// How many requests arrived.
    pub fn requests(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }

    /// The points of `token` the fake holds in `[from, to]` at `fidelity`
    /// minutes, as it would answer them (what a complete fetch stores).
    pub fn expected(&self, token: &str, from: i64, to: i64, fidelity: u32) -> Vec<(i64, Value)> {
        self.answer(token, from, to, Some(fidelity))
    }

    fn answer(&self, token: &str, from: i64, to: i64, fidelity: Option<u32>) -> Vec<(i64, Value)> {
        let Some(series) = self.series.get(token) else {
            return Vec::new();
        };
        if from > to {
            return Vec::new();
        }
        let bucket = i64::from(fidelity.unwrap_or(1).max(1)) * 60;
        let mut last_bucket = None;
        let mut out = Vec::new();
        for (t, p) in series.range(from..=to) {
            let b = t.div_euclid(bucket);
            if last_bucket != Some(b) {
                last_bucket = Some(b);
                out.push((*t, p.clone()));
            }
        }
        out
    }
}

async fn prices_history(
    State(s): State<Arc<FakeClob>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let n = s.served.fetch_add(1, Ordering::SeqCst);
    let token = query.get("market").cloned();
    let number = |key: &str| query.get(key).and_then(|v| v.parse::<i64>().ok());
    let (start_ts, end_ts) = (number("startTs"), number("endTs"));
    let fidelity = query.get("fidelity").and_then(|v| v.parse::<u32>().ok());
    let (status, body) = decide(&s, n, token.as_deref(), start_ts, end_ts, fidelity);
    s.hits.lock().unwrap().push(ClobHit {
        at: Instant::now(),
        token,
        start_ts,
        end_ts,
        fidelity,
        status: status.as_u16(),
    });
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    if status == StatusCode::TOO_MANY_REQUESTS {
        headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("0"));
    }
    response
}

fn decide(
    s: &FakeClob,
    n: usize,
    token: Option<&str>,
    start_ts: Option<i64>,
    end_ts: Option<i64>,
    fidelity: Option<u32>,
) -> (StatusCode, Value) {
    if s.behaviour.down_from.is_some_and(|from| n >= from) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": "unavailable"}),
        );
    }
    if n < s.behaviour.too_many_first {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": "rate limited"}),
        );
    }
    let Some(token) = token else {
        return (
            StatusCode::BAD_REQUEST,
            json!({"error": "market is required"}),
        );
    };
    if s.behaviour.refused.contains(token) {
        return (
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid token id"}),
        );
    }
    let from = start_ts.unwrap_or(i64::MIN);
    let to = end_ts.unwrap_or(i64::MAX);
    if let Some(max) = s.behaviour.max_span_secs {
        if to.saturating_sub(from) > max {
            return (
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid filters: 'startTs' and 'endTs' interval is too long"}),
            );
        }
    }
    let mut history: Vec<Value> = s
        .answer(token, from, to, fidelity)
        .into_iter()
        .map(|(t, p)| json!({"t": t, "p": p}))
        .collect();
    if let Some(junk) = s.junk.get(token) {
        if s.junk_served.lock().unwrap().insert(token.to_owned()) {
            history.extend(junk.iter().cloned());
        }
    }
    (StatusCode::OK, json!({ "history": history }))
}

/// A series of `count` points `step` apart from `start`, with prices in
/// 0.001–0.999 (three decimals) that differ with `seed` and the position.
pub fn generated(
    start: DateTime<Utc>,
    count: usize,
    step: Duration,
    seed: u64,
) -> Vec<(i64, Value)> {
    let step = i64::try_from(step.as_secs()).unwrap_or(i64::MAX).max(1);
    (0..count)
        .map(|i| {
            let i = i as u64;
            let thousandths = 1 + (i * 37 + seed * 101) % 998;
            let t = start.timestamp() + i as i64 * step;
            (t, json!(thousandths as f64 / 1000.0))
        })
        .collect()
}

/// Largest number of `instants` inside any window of `window` length.
pub fn max_in_window(mut instants: Vec<Instant>, window: Duration) -> usize {
    instants.sort();
    (0..instants.len())
        .map(|i| {
            instants[i..]
                .iter()
                .take_while(|t| t.duration_since(instants[i]) < window)
                .count()
        })
        .max()
        .unwrap_or(0)
}
