//! The crawl of every active event (SPEC §2 step 1), by keyset cursor or by
//! offset.

use super::limiter::Endpoint;
use super::transport::{Counters, Transport};
use super::{GammaConfig, Pagination};
use crate::collect::{Decoded, EventCollector, decode_page, json_kind};
use crate::{ClientError, EventsFetch};
use indicatif::ProgressBar;
use serde_json::Value;
use std::collections::HashSet;
use tokio::task::JoinHandle;
use url::Url;

/// Pages are decoded off the async runtime, one page behind the requests:
/// page N decodes while page N+1 is fetched (the cursor is known as soon as
/// the body parses), so the sequential crawl is not held up by decoding.
struct Pipeline {
    collector: EventCollector,
    decoding: Option<JoinHandle<Vec<Decoded>>>,
}

impl Pipeline {
    async fn push(&mut self, records: Vec<Value>) {
        self.settle().await;
        self.decoding = Some(tokio::task::spawn_blocking(move || decode_page(&records)));
    }

    /// Take in the page being decoded, if any.
    async fn settle(&mut self) {
        if let Some(handle) = self.decoding.take() {
            self.collector.merge(super::unwind(handle.await));
        }
    }
}

pub(crate) async fn crawl(
    transport: &Transport,
    config: &GammaConfig,
    progress: &ProgressBar,
) -> Result<EventsFetch, ClientError> {
    let counters = Counters::default();
    let mut pipeline = Pipeline {
        collector: EventCollector::default(),
        decoding: None,
    };
    let show = |c: &EventCollector| {
        progress.set_message(format!(
            "events: {} pages, {} events ({} markets), {} skipped, {} retries",
            Counters::get(&counters.pages),
            c.events.len(),
            c.nested_markets(),
            c.stats.skipped.len(),
            Counters::get(&counters.retries),
        ));
    };
    let limit = config.page_limit.max(1).to_string();
    match config.pagination {
        Pagination::Keyset => {
            keyset(transport, config, &limit, &counters, &mut pipeline, &show).await?
        }
        Pagination::Offset => {
            offset(transport, config, &limit, &counters, &mut pipeline, &show).await?
        }
    }
    pipeline.settle().await;
    show(&pipeline.collector);
    let collector = pipeline.collector;
    let mut stats = collector.stats;
    stats.requests = Counters::get(&counters.requests);
    stats.retries = Counters::get(&counters.retries);
    stats.pages = Counters::get(&counters.pages);
    Ok(EventsFetch {
        events: collector.events,
        stats,
    })
}

/// `GET /events/keyset?closed=false&limit=N[&after_cursor=C]`, following
/// `next_cursor` until it is missing, empty, or one already used.
async fn keyset(
    transport: &Transport,
    config: &GammaConfig,
    limit: &str,
    counters: &Counters,
    pipeline: &mut Pipeline,
    show: &(dyn Fn(&EventCollector) + Sync),
) -> Result<(), ClientError> {
    let mut cursor: Option<String> = None;
    let mut used: HashSet<String> = HashSet::new();
    loop {
        let mut query = vec![("closed", "false"), ("limit", limit)];
        if let Some(c) = &cursor {
            query.push(("after_cursor", c.as_str()));
        }
        let url = transport.url(&["events", "keyset"], &query);
        let body = get(transport, &url, counters).await?;
        let (records, next) = keyset_page(body, &url)?;
        Counters::bump(&counters.pages);
        pipeline.push(records).await;
        show(&pipeline.collector);
        let next = match next {
            Some(next) if !next.is_empty() => next,
            _ => return Ok(()),
        };
        if !used.insert(next.clone()) {
            tracing::warn!(url = %url, cursor = %next, "Gamma repeated a cursor; the crawl stops here");
            return Ok(());
        }
        if page_budget_spent(counters, config, &url) {
            return Ok(());
        }
        cursor = Some(next);
    }
}

/// `GET /events?closed=false&limit=N&offset=k`, until an empty page. A short
/// page is not the end: the server may cap `limit`, so the offset advances by
/// the records actually returned.
async fn offset(
    transport: &Transport,
    config: &GammaConfig,
    limit: &str,
    counters: &Counters,
    pipeline: &mut Pipeline,
    show: &(dyn Fn(&EventCollector) + Sync),
) -> Result<(), ClientError> {
    let mut offset: u64 = 0;
    loop {
        let at = offset.to_string();
        let query = [
            ("closed", "false"),
            ("limit", limit),
            ("offset", at.as_str()),
        ];
        let url = transport.url(&["events"], &query);
        let body = get(transport, &url, counters).await?;
        let records = records(body, &url, &["events", "data"])?;
        Counters::bump(&counters.pages);
        if records.is_empty() {
            return Ok(());
        }
        offset += records.len() as u64;
        pipeline.push(records).await;
        show(&pipeline.collector);
        if page_budget_spent(counters, config, &url) {
            return Ok(());
        }
    }
}

async fn get(transport: &Transport, url: &Url, counters: &Counters) -> Result<Value, ClientError> {
    transport
        .get_json(Endpoint::Events, url, false, counters)
        .await?
        .ok_or_else(|| ClientError::Http {
            url: url.to_string(),
            status: 404,
        })
}

/// A guard against a server that never ends the list.
fn page_budget_spent(counters: &Counters, config: &GammaConfig, url: &Url) -> bool {
    let spent = Counters::get(&counters.pages) >= config.max_pages;
    if spent {
        tracing::warn!(url = %url, max_pages = config.max_pages, "page budget spent; the crawl stops here");
    }
    spent
}

/// A keyset page: `{"events": [...], "next_cursor": "..."}` (`data` is
/// accepted for the array too; a bare array is a last page).
fn keyset_page(body: Value, url: &Url) -> Result<(Vec<Value>, Option<String>), ClientError> {
    let next = match &body {
        Value::Object(obj) => match obj.get("next_cursor") {
            Some(Value::String(s)) => Some(s.trim().to_owned()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        },
        _ => None,
    };
    Ok((records(body, url, &["events", "data"])?, next))
}

/// The records of a list response: a bare array, or the array under one of
/// `keys` of an object.
pub(crate) fn records(body: Value, url: &Url, keys: &[&str]) -> Result<Vec<Value>, ClientError> {
    match body {
        Value::Array(items) => Ok(items),
        Value::Object(mut obj) => {
            for key in keys {
                if let Some(Value::Array(items)) = obj.remove(*key) {
                    return Ok(items);
                }
            }
            Err(ClientError::Malformed {
                what: format!("GET {url}"),
                message: format!("an object without a `{}` array", keys.join("`/`")),
            })
        }
        other => Err(ClientError::Malformed {
            what: format!("GET {url}"),
            message: format!("expected a JSON array, found {}", json_kind(&other)),
        }),
    }
}
