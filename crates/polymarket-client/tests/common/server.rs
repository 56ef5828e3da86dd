//! A fake Gamma API on 127.0.0.1:0 (axum), serving given events and markets
//! the way Gamma does — or misbehaving on request: capping `limit`, repeating a
//! cursor, overlapping offset pages, answering 429/500, stalling, adding
//! records nobody asked for, leaving requested ones out of a batch. Every
//! request is logged with its arrival instant.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What to do to the n-th request (0-based, over all routes).
#[derive(Clone, Debug)]
pub enum Fault {
    /// 429 with `Retry-After: secs`.
    TooMany { retry_after_secs: u64 },
    /// 500.
    ServerError,
    /// Answer normally, but only after this long (past the client's timeout).
    Stall(Duration),
    /// 400, not retried.
    BadRequest,
}

#[derive(Clone, Debug)]
pub struct Behaviour {
    /// Serve at most this many events per page, whatever `limit` asks.
    pub cap_limit: Option<usize>,
    /// On the last keyset page, send the current cursor again instead of none.
    pub repeat_last_cursor: bool,
    /// Offset pages start one record early (pagination drift: duplicates).
    pub drift: bool,
    /// The key of the events array in keyset pages (`events` or `data`).
    pub keyset_key: &'static str,
    /// A market id added to every `/markets?id=…` answer, asked for or not.
    pub unrequested: Option<String>,
    /// Ids left out of `/markets?id=…` answers (found only by `/markets/{id}`).
    pub withhold: HashSet<String>,
    /// Faults by request number.
    pub faults: HashMap<usize, Fault>,
    /// Send `Deprecation`/`Sunset` on offset pages.
    pub deprecate_offset: bool,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            cap_limit: None,
            repeat_last_cursor: false,
            drift: false,
            keyset_key: "events",
            unrequested: None,
            withhold: HashSet::new(),
            faults: HashMap::new(),
            deprecate_offset: false,
        }
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Hit {
    pub at: Instant,
    /// `keyset`, `events`, `markets` or `market`.
    pub route: &'static str,
    pub query: Vec<(String, String)>,
}

impl Hit {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    pub fn params(&self, key: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

struct StoredMarket {
    closed: bool,
    body: Arc<str>,
}

pub struct FakeGamma {
    /// Serialized events in order.
    events: Vec<Arc<str>>,
    markets: HashMap<String, StoredMarket>,
    behaviour: Behaviour,
    served: AtomicUsize,
    hits: Mutex<Vec<Hit>>,
}

impl FakeGamma {
    /// Serves `events`; the market details are their nested markets plus
    /// `extra_markets`.
    pub fn new(events: &[Value], extra_markets: &[Value], behaviour: Behaviour) -> Self {
        let mut markets = HashMap::new();
        let nested = events
            .iter()
            .filter_map(|e| e["markets"].as_array())
            .flatten();
        for m in nested.chain(extra_markets) {
            if let Some(id) = m["id"].as_str() {
                markets.insert(
                    id.to_owned(),
                    StoredMarket {
                        closed: m["closed"].as_bool().unwrap_or(false),
                        body: m.to_string().into(),
                    },
                );
            }
        }
        Self {
            events: events.iter().map(|e| e.to_string().into()).collect(),
            markets,
            behaviour,
            served: AtomicUsize::new(0),
            hits: Mutex::new(Vec::new()),
        }
    }

    /// Start on 127.0.0.1:0; returns the server and its base URL.
    pub async fn start(self) -> (Arc<Self>, String) {
        let state = Arc::new(self);
        let app = Router::new()
            .route("/events/keyset", get(keyset))
            .route("/events", get(offset))
            .route("/markets", get(markets))
            .route("/markets/{id}", get(market))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (state, format!("http://{addr}"))
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    pub fn market_count(&self) -> usize {
        self.markets.len()
    }

    /// Log the request; `Some(response)` when a fault replaces the answer.
    async fn arrive(
        &self,
        route: &'static str,
        query: Option<String>,
    ) -> (Vec<(String, String)>, Option<Response>) {
        let at = Instant::now();
        let query: Vec<(String, String)> =
            url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        self.hits.lock().unwrap().push(Hit {
            at,
            route,
            query: query.clone(),
        });
        let n = self.served.fetch_add(1, Ordering::SeqCst);
        let fault = match self.behaviour.faults.get(&n) {
            None => None,
            Some(Fault::TooMany { retry_after_secs }) => Some(
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, retry_after_secs.to_string())],
                    "slow down",
                )
                    .into_response(),
            ),
            Some(Fault::ServerError) => {
                Some((StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response())
            }
            Some(Fault::BadRequest) => Some((StatusCode::BAD_REQUEST, "bad").into_response()),
            Some(Fault::Stall(d)) => {
                tokio::time::sleep(*d).await;
                None
            }
        };
        (query, fault)
    }

    /// `[start, start+n)` of the events, `limit` capped.
    fn page(&self, start: usize, limit: usize) -> (usize, String) {
        let n = self.behaviour.cap_limit.map_or(limit, |cap| limit.min(cap));
        let end = (start + n).min(self.events.len());
        let start = start.min(end);
        (end, join(&self.events[start..end]))
    }
}

fn join(items: &[Arc<str>]) -> String {
    let mut body = String::with_capacity(items.iter().map(|s| s.len() + 1).sum::<usize>() + 2);
    body.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(item);
    }
    body.push(']');
    body
}

fn json(body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn param<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn number(query: &[(String, String)], key: &str, default: usize) -> usize {
    param(query, key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn keyset(State(s): State<Arc<FakeGamma>>, RawQuery(q): RawQuery) -> Response {
    let (query, fault) = s.arrive("keyset", q).await;
    if let Some(r) = fault {
        return r;
    }
    let cursor = param(&query, "after_cursor");
    let start = match cursor {
        None => 0,
        Some(c) => match c.strip_prefix('c').and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return (StatusCode::BAD_REQUEST, "bad cursor").into_response(),
        },
    };
    let (end, page) = s.page(start, number(&query, "limit", 20));
    let next = if end < s.events.len() {
        format!("\"c{end}\"")
    } else if s.behaviour.repeat_last_cursor {
        cursor.map_or("null".to_owned(), |c| format!("\"{c}\""))
    } else {
        "null".to_owned()
    };
    json(format!(
        "{{\"{}\":{page},\"next_cursor\":{next}}}",
        s.behaviour.keyset_key
    ))
}

async fn offset(State(s): State<Arc<FakeGamma>>, RawQuery(q): RawQuery) -> Response {
    let (query, fault) = s.arrive("events", q).await;
    if let Some(r) = fault {
        return r;
    }
    let mut start = number(&query, "offset", 0);
    if s.behaviour.drift && start > 0 {
        start -= 1;
    }
    let (_, page) = s.page(start, number(&query, "limit", 20));
    let mut response = json(page);
    if s.behaviour.deprecate_offset {
        let h = response.headers_mut();
        h.insert("deprecation", HeaderValue::from_static("true"));
        h.insert(
            "sunset",
            HeaderValue::from_static("Wed, 01 Jul 2026 00:00:00 GMT"),
        );
    }
    response
}

async fn markets(State(s): State<Arc<FakeGamma>>, RawQuery(q): RawQuery) -> Response {
    let (query, fault) = s.arrive("markets", q).await;
    if let Some(r) = fault {
        return r;
    }
    // Gamma's `closed` is a filter: `closed=true` returns only closed
    // markets, `closed=false` only open ones (absent: both).
    let state = match param(&query, "closed") {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    let mut found: Vec<Arc<str>> = query
        .iter()
        .filter(|(k, _)| k == "id")
        .filter(|(_, id)| !s.behaviour.withhold.contains(id))
        .filter_map(|(_, id)| s.markets.get(id))
        .filter(|m| state.is_none_or(|closed| m.closed == closed))
        .map(|m| m.body.clone())
        .collect();
    if let Some(extra) = s
        .behaviour
        .unrequested
        .as_ref()
        .and_then(|id| s.markets.get(id))
    {
        found.push(extra.body.clone());
    }
    json(join(&found))
}

async fn market(
    State(s): State<Arc<FakeGamma>>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let (_, fault) = s.arrive("market", q).await;
    if let Some(r) = fault {
        return r;
    }
    match s.markets.get(&id) {
        Some(m) => json(m.body.to_string()),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// `n` events made from `templates` (cycled), each with a distinct id
/// (`{id}-{i}`) and distinct nested market ids (`{market id}-{i}`); at most
/// `markets_per_event` nested markets each (`None`: all).
pub fn replicate(templates: &[Value], n: usize, markets_per_event: Option<usize>) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut e = templates[i % templates.len()].clone();
            let id = format!("{}-{i}", e["id"].as_str().unwrap_or("e"));
            e["id"] = Value::String(id);
            if let Some(markets) = e["markets"].as_array_mut() {
                if let Some(max) = markets_per_event {
                    let template = markets.clone();
                    *markets = (0..max)
                        .map(|k| template[k % template.len()].clone())
                        .collect();
                }
                for (k, m) in markets.iter_mut().enumerate() {
                    let mid = format!("{}-{i}-{k}", m["id"].as_str().unwrap_or("m"));
                    m["id"] = Value::String(mid);
                }
            }
            e
        })
        .collect()
}

/// Largest number of instants inside any window of `window` length.
pub fn max_in_window(mut at: Vec<Instant>, window: Duration) -> usize {
    at.sort();
    (0..at.len())
        .map(|i| {
            at[i..]
                .iter()
                .take_while(|t| t.duration_since(at[i]) < window)
                .count()
        })
        .max()
        .unwrap_or(0)
}
