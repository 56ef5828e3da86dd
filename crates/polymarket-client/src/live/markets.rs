//! Detailed market records by id (SPEC §2 step 3, §3): `GET /markets?id=A&id=B…`
//! in batches, several in flight; ids a batch left out are asked one by one
//! (`GET /markets/{id}`); records not asked for are dropped and counted.
//!
//! Gamma's `closed` is a filter, not an "include": `closed=true` returns only
//! closed markets, `closed=false` only open ones. A request for open and
//! closed markets alike (re-pricing, SPEC §3) therefore sends each batch
//! twice, once per state, and merges the answers, so it costs
//! O(ids / batch) requests, not one per id the first state left out.

use super::Inner;
use super::events::records;
use super::limiter::Endpoint;
use super::transport::Counters;
use crate::{ClientError, FetchStats, MarketsFetch};
use domain::gamma::{DecodeError, decode_market};
use domain::{Market, MarketId};
use indicatif::ProgressBar;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// One record of an answer, decoded (in the request's task, so batches decode
/// in parallel).
type Decoded = Result<Market, DecodeError>;

fn decode_all(records: Vec<Value>) -> Vec<Decoded> {
    records.iter().map(decode_market).collect()
}

/// What the answers so far settled, per asked id.
#[derive(Default)]
struct Answers {
    found: HashMap<MarketId, Market>,
    /// Asked ids that were answered but are not returned: the record did not
    /// decode, or it is closed and closed markets were not asked for.
    settled_missing: HashSet<MarketId>,
    stats: FetchStats,
}

impl Answers {
    /// Sort one response's records into found / skipped / dropped.
    fn take(&mut self, records: Vec<Decoded>, asked: &HashSet<MarketId>, include_closed: bool) {
        for decoded in records {
            match decoded {
                Ok(market) => {
                    if !asked.contains(&market.id) {
                        self.stats.dropped_unrequested += 1;
                    } else if self.found.contains_key(&market.id)
                        || self.settled_missing.contains(&market.id)
                    {
                        self.stats.duplicates += 1;
                    } else if market.closed && !include_closed {
                        // The server should have left it out (`closed=false`).
                        self.settled_missing.insert(market.id);
                    } else {
                        self.found.insert(market.id.clone(), market);
                    }
                }
                Err(e) => {
                    let id = e.id.clone().map(MarketId::new);
                    match id.filter(|id| asked.contains(id)) {
                        Some(id) => {
                            tracing::warn!(record = %e, "skipping a Gamma market that does not decode");
                            self.settled_missing.insert(id);
                            self.stats.skipped.push(e);
                        }
                        None => self.stats.dropped_unrequested += 1,
                    }
                }
            }
        }
    }

    fn answered(&self, id: &MarketId) -> bool {
        self.found.contains_key(id) || self.settled_missing.contains(id)
    }
}

pub(crate) async fn fetch(
    inner: &Arc<Inner>,
    ids: &[MarketId],
    include_closed: bool,
    progress: &ProgressBar,
) -> Result<MarketsFetch, ClientError> {
    let mut seen = HashSet::new();
    let wanted: Vec<MarketId> = ids.iter().filter(|id| seen.insert(*id)).cloned().collect();
    let counters = Arc::new(Counters::default());
    let mut answers = Answers::default();
    let batch_size = inner.config.batch_size.clamp(1, 100);
    let states: &[bool] = if include_closed {
        &[false, true]
    } else {
        &[false]
    };
    let batches: Vec<(Vec<MarketId>, bool)> = wanted
        .chunks(batch_size)
        .flat_map(|ids| states.iter().map(move |closed| (ids.to_vec(), *closed)))
        .collect();
    progress.set_length(batches.len() as u64);

    // Batches, up to `concurrency` in flight.
    let permits = Arc::new(Semaphore::new(inner.config.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (batch, closed) in batches {
        let (inner, counters, permits) = (inner.clone(), counters.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let result = get_batch(&inner, &batch, closed, &counters).await;
            (batch, result.map(decode_all))
        });
    }
    let mut asked_in_batches = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (batch, records) = super::unwind(joined);
        let asked: HashSet<MarketId> = batch.iter().cloned().collect();
        answers.take(records?, &asked, include_closed);
        asked_in_batches.extend(batch);
        progress.inc(1);
        show(progress, &answers, &counters);
    }
    // Only once every state's batch has answered is an id left out.
    let mut seen = HashSet::new();
    let unanswered: Vec<MarketId> = asked_in_batches
        .into_iter()
        .filter(|id| !answers.answered(id) && seen.insert(id.clone()))
        .collect();

    // Ids a batch left out, one by one (404: missing).
    progress.inc_length(unanswered.len() as u64);
    for id in unanswered {
        let (inner, counters, permits) = (inner.clone(), counters.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let url = inner.transport.url(&["markets", id.as_str()], &[]);
            let result = inner
                .transport
                .get_json(Endpoint::Markets, &url, true, &counters)
                .await;
            (
                vec![id],
                result.map(|v| decode_all(v.into_iter().collect())),
            )
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (asked, records) = super::unwind(joined);
        let records = records?;
        if !records.is_empty() {
            Counters::bump(&counters.pages);
        }
        answers.take(records, &asked.into_iter().collect(), include_closed);
        progress.inc(1);
        show(progress, &answers, &counters);
    }

    let mut out = MarketsFetch::default();
    for id in wanted {
        match answers.found.remove(&id) {
            Some(market) => out.markets.push(market),
            None => out.missing.push(id),
        }
    }
    out.stats = answers.stats;
    out.stats.requests = Counters::get(&counters.requests);
    out.stats.retries = Counters::get(&counters.retries);
    out.stats.pages = Counters::get(&counters.pages);
    Ok(out)
}

/// `GET /markets?id=A&id=B…` (the key repeated, not `id[]`) of the markets
/// in one state: `closed=true` for closed ones, `closed=false` for open ones,
/// sent explicitly either way, as list endpoints disagree on the default
/// (LEGACY-FORMATS §2).
async fn get_batch(
    inner: &Inner,
    batch: &[MarketId],
    closed: bool,
    counters: &Counters,
) -> Result<Vec<Value>, ClientError> {
    let closed = if closed { "true" } else { "false" };
    let mut query: Vec<(&str, &str)> = batch.iter().map(|id| ("id", id.as_str())).collect();
    query.push(("closed", closed));
    let url = inner.transport.url(&["markets"], &query);
    let body = inner
        .transport
        .get_json(Endpoint::Markets, &url, false, counters)
        .await?
        .ok_or_else(|| ClientError::Http {
            url: url.to_string(),
            status: 404,
        })?;
    Counters::bump(&counters.pages);
    records(body, &url, &["markets", "data"])
}

fn show(progress: &ProgressBar, answers: &Answers, counters: &Counters) {
    progress.set_message(format!(
        "markets: {} found, {} skipped, {} dropped, {} retries",
        answers.found.len(),
        answers.stats.skipped.len(),
        answers.stats.dropped_unrequested,
        Counters::get(&counters.retries),
    ));
}
