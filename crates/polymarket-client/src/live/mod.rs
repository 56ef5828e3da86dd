//! The live Gamma API as a [`MarketSource`]: [`GammaClient`], configured by
//! [`GammaConfig`].
//!
//! - `limiter`: exact sliding-window quotas per endpoint family, shared by
//!   every request of a client.
//! - `retry` / `transport`: one GET, retried with jittered exponential backoff
//!   on timeouts, connection errors, 429 and 5xx (honouring `Retry-After`).
//! - `events`: the crawl of every active event (keyset or offset).
//! - `markets`: detailed records by id, batched and concurrent.
//!
//! Progress: while crawling, an `indicatif` spinner/bar on stderr shows pages,
//! events, markets and retries. It is hidden when stderr is not a terminal
//! (indicatif's default) or when [`GammaConfig::progress`] is false.

mod events;
pub mod limiter;
mod markets;
pub mod retry;
pub(crate) mod transport;

use crate::{ClientError, EventsFetch, MarketSource, MarketsFetch};
use async_trait::async_trait;
use domain::MarketId;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use limiter::Limiter;
pub use limiter::Quotas;
use retry::Backoff;
use std::sync::Arc;
use std::time::Duration;
use transport::Transport;

/// Gamma's public API.
pub const DEFAULT_BASE_URL: &str = "https://gamma-api.polymarket.com";

/// How the events crawl pages (SPEC §2 step 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pagination {
    /// `GET /events/keyset`, following `next_cursor` (Gamma's replacement for
    /// offset lists).
    #[default]
    Keyset,
    /// `GET /events?offset=k` (being retired by Gamma).
    Offset,
}

/// Settings of a [`GammaClient`]. Every field has a default that suits the
/// public API.
#[derive(Clone, Debug)]
pub struct GammaConfig {
    /// Default [`DEFAULT_BASE_URL`].
    pub base_url: String,
    /// Default [`Pagination::Keyset`].
    pub pagination: Pagination,
    /// Events per page asked for (the server may return fewer). Default 500.
    pub page_limit: u32,
    /// Ids per `GET /markets?id=…` request, clamped to 1..=100. Default 50.
    pub batch_size: usize,
    /// Market requests in flight at once (at least 1). Default 4.
    pub concurrency: usize,
    /// Whole-request timeout (connect to last body byte). Default 10 s.
    pub request_timeout: Duration,
    /// Retries after the first attempt. Default 5.
    pub max_retries: u32,
    /// Backoff before the first retry (doubling, jittered). Default 500 ms.
    pub backoff_base: Duration,
    /// Longest backoff between retries (`Retry-After` is honoured beyond it).
    /// Default 30 s.
    pub backoff_max: Duration,
    /// Requests per window per endpoint family. Default Gamma's published
    /// limits per 10 s: events 500, markets 300, listings 900, general 4000.
    pub quotas: Quotas,
    /// Show a progress bar on a terminal. Default true.
    pub progress: bool,
    /// Safety stop for a server that never ends its list. Default 100 000.
    pub max_pages: u64,
}

impl Default for GammaConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            pagination: Pagination::default(),
            page_limit: 500,
            batch_size: 50,
            concurrency: 4,
            request_timeout: Duration::from_secs(10),
            max_retries: 5,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            quotas: Quotas::default(),
            progress: true,
            max_pages: 100_000,
        }
    }
}

/// The live Gamma API. Cheap to clone; clones share the rate limiter.
#[derive(Clone, Debug)]
pub struct GammaClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    config: GammaConfig,
    transport: Transport,
}

impl GammaClient {
    /// A client for `config.base_url`; fails only on an unusable configuration
    /// (no request is sent).
    pub fn new(config: GammaConfig) -> Result<Self, ClientError> {
        let transport = Transport::new(
            &config.base_url,
            config.request_timeout,
            Limiter::new(&config.quotas),
            Backoff {
                base: config.backoff_base,
                max: config.backoff_max,
            },
            config.max_retries,
        )?;
        Ok(Self {
            inner: Arc::new(Inner { config, transport }),
        })
    }

    pub fn config(&self) -> &GammaConfig {
        &self.inner.config
    }

    fn progress(&self, template: &str) -> ProgressBar {
        if !self.inner.config.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }
}

#[async_trait]
impl MarketSource for GammaClient {
    fn describe(&self) -> String {
        format!("live {}", self.inner.transport.base())
    }

    #[tracing::instrument(skip(self), fields(source = %self.describe()))]
    async fn fetch_active_events(&self) -> Result<EventsFetch, ClientError> {
        let progress = self.progress("{spinner} {elapsed} {msg}");
        let result = events::crawl(&self.inner.transport, &self.inner.config, &progress).await;
        progress.finish_and_clear();
        let fetched = result?;
        tracing::info!(
            events = fetched.events.len(),
            pages = fetched.stats.pages,
            requests = fetched.stats.requests,
            retries = fetched.stats.retries,
            duplicates = fetched.stats.duplicates,
            skipped = fetched.stats.skipped.len(),
            "fetched active events"
        );
        Ok(fetched)
    }

    #[tracing::instrument(skip(self, ids), fields(ids = ids.len()))]
    async fn fetch_markets(
        &self,
        ids: &[MarketId],
        include_closed: bool,
    ) -> Result<MarketsFetch, ClientError> {
        let progress = self.progress("{spinner} {elapsed} [{bar:30}] {pos}/{len} requests {msg}");
        let result = markets::fetch(&self.inner, ids, include_closed, &progress).await;
        progress.finish_and_clear();
        let fetched = result?;
        tracing::info!(
            markets = fetched.markets.len(),
            missing = fetched.missing.len(),
            requests = fetched.stats.requests,
            retries = fetched.stats.retries,
            dropped_unrequested = fetched.stats.dropped_unrequested,
            skipped = fetched.stats.skipped.len(),
            "fetched market details"
        );
        Ok(fetched)
    }
}

/// A task only fails by panicking (none is aborted): pass the panic on.
pub(crate) fn unwind<T>(joined: Result<T, tokio::task::JoinError>) -> T {
    match joined {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
