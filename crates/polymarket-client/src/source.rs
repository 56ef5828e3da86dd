//! The [`MarketSource`] port the trading cycle fetches from.

use crate::ClientError;
use async_trait::async_trait;
use domain::gamma::DecodeError;
use domain::{Event, Market, MarketId};

/// Where Gamma data comes from: the live API or a recorded snapshot.
#[async_trait]
pub trait MarketSource: Send + Sync {
    /// A short description for logs and summaries (`live https://…`, `snapshot DIR`).
    fn describe(&self) -> String;

    /// Every active event (SPEC §2 step 1), de-duplicated by id, in the order
    /// first seen. Records that do not decode are skipped and counted.
    async fn fetch_active_events(&self) -> Result<EventsFetch, ClientError>;

    /// The detailed records of `ids`. With `include_closed`, closed markets are
    /// asked for explicitly (resolution checks, SPEC §3). Ids the source does
    /// not know are returned in `missing`; records not asked for are dropped
    /// and counted.
    async fn fetch_markets(
        &self,
        ids: &[MarketId],
        include_closed: bool,
    ) -> Result<MarketsFetch, ClientError>;

    /// The caller is done with the crawl and will ask only for the details of
    /// `keep` (the filtered markets and open positions after step 3; the
    /// open positions, to re-price them, after step 5: a later call narrows
    /// an earlier one). A source holding the crawl in memory (a snapshot)
    /// may free the rest; whatever it is asked for afterwards it still
    /// answers. By default, nothing is freed.
    fn release_crawl(&self, keep: &[MarketId]) {
        let _ = keep;
    }
}

/// What a crawl did, for the cycle summary and the terminal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchStats {
    /// HTTP requests sent (0 for a snapshot).
    pub requests: u64,
    pub pages: u64,
    /// Requests retried after a timeout, connection error, 429 or 5xx.
    pub retries: u64,
    /// Records seen more than once (pagination drift) and dropped.
    pub duplicates: u64,
    /// Records returned that were not asked for, dropped.
    pub dropped_unrequested: u64,
    /// Records that did not decode, skipped, with their ids and causes.
    pub skipped: Vec<DecodeError>,
}

impl FetchStats {
    pub fn merge(&mut self, other: FetchStats) {
        self.requests += other.requests;
        self.pages += other.pages;
        self.retries += other.retries;
        self.duplicates += other.duplicates;
        self.dropped_unrequested += other.dropped_unrequested;
        self.skipped.extend(other.skipped);
    }
}

/// Result of [`MarketSource::fetch_active_events`].
#[derive(Clone, Debug, Default)]
pub struct EventsFetch {
    pub events: Vec<Event>,
    pub stats: FetchStats,
}

/// Result of [`MarketSource::fetch_markets`].
#[derive(Clone, Debug, Default)]
pub struct MarketsFetch {
    pub markets: Vec<Market>,
    pub missing: Vec<MarketId>,
    pub stats: FetchStats,
}
