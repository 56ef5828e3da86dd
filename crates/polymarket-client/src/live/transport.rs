//! One GET to Polymarket (Gamma or the CLOB): through the client's limiter, retried with backoff on
//! timeouts, connection errors, 429 and 5xx, decoded as JSON.

use super::limiter::{Endpoint, Limiter};
use super::retry::{Backoff, is_retryable, retry_after};
use crate::ClientError;
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use url::Url;

/// Requests and retries of one fetch (a crawl or a market lookup); shared by
/// its concurrent requests.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub pages: AtomicU64,
}

impl Counters {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Why one attempt failed, before deciding whether to try again.
enum Failure {
    Retry {
        kind: RetryKind,
        retry_after: Option<Duration>,
    },
    Fatal(ClientError),
}

enum RetryKind {
    Timeout,
    Connect(String),
    Status(u16),
}

#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    base: Url,
    limiter: Limiter,
    backoff: Backoff,
    max_retries: u32,
    deprecation_logged: AtomicBool,
}

impl Transport {
    pub fn new(
        base_url: &str,
        timeout: Duration,
        limiter: Limiter,
        backoff: Backoff,
        max_retries: u32,
    ) -> Result<Self, ClientError> {
        let base = Url::parse(base_url)
            .map_err(|e| ClientError::Config(format!("base_url {base_url:?}: {e}")))?;
        if base.cannot_be_a_base() {
            return Err(ClientError::Config(format!(
                "base_url {base_url:?} cannot hold a path"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .gzip(true)
            .user_agent(concat!("prescient/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            limiter,
            backoff,
            max_retries,
            deprecation_logged: AtomicBool::new(false),
        })
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `base/segments…?query`, each segment percent-encoded.
    pub fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        url
    }

    /// GET `url` as JSON. `Ok(None)` for a 404 when `not_found_is_none`.
    pub async fn get_json(
        &self,
        endpoint: Endpoint,
        url: &Url,
        not_found_is_none: bool,
        counters: &Counters,
    ) -> Result<Option<Value>, ClientError> {
        let mut retries = 0u32;
        loop {
            self.limiter.acquire(endpoint).await;
            Counters::bump(&counters.requests);
            let (kind, wait) = match self.attempt(url, not_found_is_none).await {
                Ok(value) => return Ok(value),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry { kind, retry_after }) => (kind, retry_after),
            };
            let attempts = retries + 1;
            if retries >= self.max_retries {
                return Err(give_up(url, kind, attempts));
            }
            let delay = wait.unwrap_or_else(|| self.backoff.delay(retries));
            tracing::warn!(
                url = %url,
                cause = %describe(&kind),
                attempt = attempts,
                delay_ms = delay.as_millis() as u64,
                "Polymarket request failed; retrying"
            );
            retries += 1;
            Counters::bump(&counters.retries);
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt(&self, url: &Url, not_found_is_none: bool) -> Result<Option<Value>, Failure> {
        let response = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(transport_failure)?;
        self.log_deprecation(url, &response);
        let status = response.status();
        if status == StatusCode::NOT_FOUND && not_found_is_none {
            return Ok(None);
        }
        if is_retryable(status) {
            return Err(Failure::Retry {
                kind: RetryKind::Status(status.as_u16()),
                retry_after: retry_after(response.headers()),
            });
        }
        if !status.is_success() {
            return Err(Failure::Fatal(ClientError::Http {
                url: url.to_string(),
                status: status.as_u16(),
            }));
        }
        let body = response.bytes().await.map_err(transport_failure)?;
        serde_json::from_slice(&body).map(Some).map_err(|e| {
            Failure::Fatal(ClientError::Malformed {
                what: format!("GET {url}"),
                message: format!("body is not JSON: {e}"),
            })
        })
    }

    /// Gamma announces retirements (e.g. the offset lists) with `Deprecation`
    /// and `Sunset` headers; say so once per client.
    fn log_deprecation(&self, url: &Url, response: &reqwest::Response) {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let (deprecation, sunset) = (header("deprecation"), header("sunset"));
        if (deprecation.is_some() || sunset.is_some())
            && !self.deprecation_logged.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                url = %url,
                deprecation = deprecation.as_deref().unwrap_or(""),
                sunset = sunset.as_deref().unwrap_or(""),
                "Gamma marks this endpoint as deprecated (consider `Pagination::Keyset`)"
            );
        }
    }
}

fn transport_failure(e: reqwest::Error) -> Failure {
    let kind = if e.is_timeout() {
        RetryKind::Timeout
    } else {
        RetryKind::Connect(error_chain(&e))
    };
    Failure::Retry {
        kind,
        retry_after: None,
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

fn describe(kind: &RetryKind) -> String {
    match kind {
        RetryKind::Timeout => "timeout".into(),
        RetryKind::Connect(m) => format!("connection: {m}"),
        RetryKind::Status(s) => format!("HTTP {s}"),
    }
}

fn give_up(url: &Url, kind: RetryKind, attempts: u32) -> ClientError {
    let url = url.to_string();
    match kind {
        RetryKind::Timeout => ClientError::Timeout { url, attempts },
        RetryKind::Connect(message) => ClientError::Connect {
            url,
            attempts,
            message,
        },
        RetryKind::Status(status) => ClientError::Http { url, status },
    }
}
