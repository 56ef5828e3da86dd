//! Loading real price history from Polymarket's CLOB into PostgreSQL
//! (`prescient history fetch`, issue #16), as library code: no printing,
//! progress through a callback the caller passes.
//!
//! 1. **Which markets** ([`Selection`]): explicit ids, the open positions of
//!    a portfolio ("held"), or the last filtered markets. Their records come
//!    from the stored filtered markets first, then from Gamma through the
//!    [`MarketSource`] (closed markets asked for too: a held market may have
//!    closed).
//! 2. **Their tokens**: each binary market's yes and no token, from Gamma's
//!    `clobTokenIds`. A market without them is skipped and reported.
//! 3. **Per token, what is missing**: a token's stored points always cover
//!    one unbroken span (every fetch starts or ends on the span's edge and
//!    is stored in one transaction), so only the parts of the range asked
//!    for outside that span are fetched ([`missing_ranges`]) — a fetch
//!    interrupted after some tokens continues where it stopped, and a
//!    fetch run twice asks for, and adds, nothing new. A range beyond the
//!    span is fetched from the span's edge, so no hole is ever left behind.
//! 4. **Fetch and store** each part ([`ClobClient::prices_history`],
//!    rate-limited, in windows), inserted idempotently; before any, the
//!    markets' records, each replacing the one a previous fetch stored
//!    (`price_history_markets`: a backtest over the history dresses each
//!    market in it, resolution included).
//!
//! A token the CLOB refuses (a 4xx other than 429) is reported and the
//! fetch goes on; a CLOB that cannot be reached, keeps rate-limiting or
//! fails (after its retries), and any store failure, stop the fetch with
//! what was stored so far kept.

use chrono::{DateTime, SubsecRound, Utc};
use domain::ports::Stores;
use domain::{Market, MarketId, Outcome, PortfolioId, StoreError, TokenId};
use polymarket_client::{ClientError, ClobClient, HistoryStats, MarketSource};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use storage_pg::{PgStore, StoredSpan};

/// The markets whose history to fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// These markets, by Gamma id.
    Markets(Vec<MarketId>),
    /// The markets of the portfolio's open positions.
    Held(PortfolioId),
    /// The markets the last cycle kept (the stored filtered markets).
    Filtered,
}

/// What to fetch.
#[derive(Clone, Debug)]
pub struct FetchRequest {
    pub selection: Selection,
    /// From this instant to `to`, both inclusive.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// One point per this many minutes (the CLOB's `fidelity`).
    pub fidelity_minutes: u32,
}

/// Why a fetch stopped. What was stored before it stays stored.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("no portfolio \"{0}\" yet: run a cycle first")]
    NoPortfolio(PortfolioId),
    #[error("the range is empty: --from {from} is after --to {to}")]
    EmptyRange {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
    #[error("the fidelity must be at least one minute")]
    NoFidelity,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot fetch market records from Gamma: {0}")]
    Gamma(#[source] ClientError),
    #[error("cannot fetch the price history of token {token} (market {market}): {source}")]
    Clob {
        market: MarketId,
        token: TokenId,
        #[source]
        source: ClientError,
    },
}

/// A market whose history was not fetched, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SkippedMarket {
    pub market_id: MarketId,
    pub reason: String,
}

/// What fetching one token did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenReport {
    pub market_id: MarketId,
    pub outcome: Outcome,
    pub token_id: TokenId,
    /// The ranges asked of the CLOB (none when the span stored covers the
    /// range already).
    pub ranges: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Points the CLOB answered that checked.
    pub fetched: usize,
    /// Rows added (fewer than `fetched` where points were stored already).
    pub inserted: u64,
    pub stats: HistoryStats,
    /// Why the CLOB refused this token, when it did.
    pub error: Option<String>,
}

/// What one market's tokens did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MarketReport {
    pub market_id: MarketId,
    pub question: String,
    pub tokens: Vec<TokenReport>,
}

impl MarketReport {
    pub fn inserted(&self) -> u64 {
        self.tokens.iter().map(|t| t.inserted).sum()
    }
}

/// What a fetch did, per market.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FetchReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub fidelity_minutes: u32,
    pub markets: Vec<MarketReport>,
    pub skipped: Vec<SkippedMarket>,
    /// The CLOB requests of every token together.
    pub stats: HistoryStats,
}

impl FetchReport {
    /// Rows added, over every market.
    pub fn inserted(&self) -> u64 {
        self.markets.iter().map(MarketReport::inserted).sum()
    }

    /// Tokens the CLOB refused.
    pub fn failed(&self) -> impl Iterator<Item = &TokenReport> {
        self.markets
            .iter()
            .flat_map(|m| &m.tokens)
            .filter(|t| t.error.is_some())
    }
}

/// How far a fetch is, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub enum Progress<'a> {
    /// The markets are known: this many markets, this many tokens to go.
    Planned { markets: usize, tokens: usize },
    /// A market is skipped (not found, no tokens).
    Skipped(&'a SkippedMarket),
    /// A token is done (fetched and stored, or refused).
    Token(&'a TokenReport),
}

/// Fetch the history `request` names into `pg`, reporting each step to
/// `progress`. See the module docs for what is fetched.
#[tracing::instrument(skip_all, fields(from = %request.from, to = %request.to))]
pub async fn fetch_history(
    stores: &Stores,
    source: &dyn MarketSource,
    clob: &ClobClient,
    pg: &PgStore,
    request: &FetchRequest,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<FetchReport, HistoryError> {
    if request.from > request.to {
        return Err(HistoryError::EmptyRange {
            from: request.from,
            to: request.to,
        });
    }
    if request.fidelity_minutes == 0 {
        return Err(HistoryError::NoFidelity);
    }
    // The CLOB speaks whole seconds: a sub-second `to` would never be
    // covered by what is stored, and every run would ask for its edge again.
    let (from, to) = (request.from.trunc_subsecs(0), request.to.trunc_subsecs(0));
    let mut planned = Vec::new();
    let mut skipped = Vec::new();
    for found in resolve(stores, source, &request.selection).await? {
        let market = match found {
            Ok(market) => market,
            Err(missing) => {
                skipped.push(missing);
                continue;
            }
        };
        match market.outcome_tokens() {
            Ok(Some(tokens)) => planned.push((market, tokens)),
            Ok(None) => skipped.push(SkippedMarket {
                market_id: market.id.clone(),
                reason: "Gamma names no CLOB tokens for it (clobTokenIds)".into(),
            }),
            Err(e) => skipped.push(SkippedMarket {
                market_id: market.id.clone(),
                reason: e.message,
            }),
        }
    }
    // The records go in first: a backtest dresses the history in them, and
    // the cycles' sets do not keep a market once it stops being active.
    let records: Vec<Market> = planned.iter().map(|(m, _)| m.clone()).collect();
    pg.save_history_records(&records).await?;
    progress(Progress::Planned {
        markets: planned.len(),
        tokens: planned.len() * Outcome::BOTH.len(),
    });
    for s in &skipped {
        tracing::warn!(market = %s.market_id, reason = %s.reason, "market skipped");
        progress(Progress::Skipped(s));
    }

    let mut report = FetchReport {
        from,
        to,
        fidelity_minutes: request.fidelity_minutes,
        markets: Vec::new(),
        skipped,
        stats: HistoryStats::default(),
    };
    for (market, tokens) in planned {
        let mut done = MarketReport {
            market_id: market.id.clone(),
            question: market.question.clone(),
            tokens: Vec::new(),
        };
        for outcome in Outcome::BOTH {
            let range = (from, to, request.fidelity_minutes);
            let token =
                fetch_token(clob, pg, range, &market.id, outcome, tokens.of(outcome)).await?;
            report.stats.merge(&token.stats);
            progress(Progress::Token(&token));
            done.tokens.push(token);
        }
        report.markets.push(done);
    }
    tracing::info!(
        markets = report.markets.len(),
        skipped = report.skipped.len(),
        inserted = report.inserted(),
        requests = report.stats.requests,
        "fetched price history"
    );
    Ok(report)
}

/// Fetch what is missing of one token over `(from, to, fidelity)` and
/// store it.
async fn fetch_token(
    clob: &ClobClient,
    pg: &PgStore,
    (from, to, fidelity_minutes): (DateTime<Utc>, DateTime<Utc>, u32),
    market: &MarketId,
    outcome: Outcome,
    token: &TokenId,
) -> Result<TokenReport, HistoryError> {
    let span = pg.stored_span(token).await?;
    let mut report = TokenReport {
        market_id: market.clone(),
        outcome,
        token_id: token.clone(),
        ranges: missing_ranges(from, to, span),
        fetched: 0,
        inserted: 0,
        stats: HistoryStats::default(),
        error: None,
    };
    for (from, to) in report.ranges.clone() {
        let history = match clob.prices_history(token, from, to, fidelity_minutes).await {
            Ok(history) => history,
            Err(ClientError::Http { status, url }) if is_refusal(status) => {
                tracing::warn!(%market, %token, status, url = %url, "the CLOB refused this token; skipped");
                report.error = Some(format!("the CLOB answered HTTP {status}"));
                break;
            }
            Err(source) => {
                return Err(HistoryError::Clob {
                    market: market.clone(),
                    token: token.clone(),
                    source,
                });
            }
        };
        report.stats.merge(&history.stats);
        report.fetched += history.points.len();
        report.inserted += pg
            .insert_price_points(market, outcome, token, &history.points)
            .await?;
    }
    Ok(report)
}

/// A 4xx other than 429: the CLOB will not answer for this token (unknown,
/// delisted), whereas 429 and 5xx that outlasted the retries mean it cannot
/// answer now.
fn is_refusal(status: u16) -> bool {
    (400..500).contains(&status) && status != 429
}

/// The parts of `[from, to]` to ask the CLOB for, given the span already
/// stored for the token: everything when nothing is, else what lies before
/// the span's first point and after its last. A range that does not reach
/// the span is extended to it, so the stored points stay one unbroken span
/// (the edges themselves are asked again; their points are stored already
/// and add nothing).
pub fn missing_ranges(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    span: Option<StoredSpan>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    if from > to {
        return Vec::new();
    }
    let Some(span) = span else {
        return vec![(from, to)];
    };
    let mut out = Vec::new();
    if from < span.first {
        out.push((from, span.first));
    }
    if to > span.last {
        out.push((span.last, to));
    }
    out
}

/// The markets `selection` names, in the order named, each once: its Gamma
/// record, or why there is none.
async fn resolve(
    stores: &Stores,
    source: &dyn MarketSource,
    selection: &Selection,
) -> Result<Vec<Result<Market, SkippedMarket>>, HistoryError> {
    let stored = stores.markets.load_filtered_markets().await?;
    let ids: Vec<MarketId> = match selection {
        Selection::Filtered => return Ok(stored.into_iter().map(Ok).collect()),
        Selection::Markets(ids) => ids.clone(),
        Selection::Held(portfolio) => stores
            .portfolio
            .load_portfolio(portfolio)
            .await?
            .ok_or_else(|| HistoryError::NoPortfolio(portfolio.clone()))?
            .open_positions()
            .map(|p| p.market_id.clone())
            .collect(),
    };
    let mut seen = HashSet::new();
    let ids: Vec<MarketId> = ids
        .into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect();
    let mut known: HashMap<MarketId, Market> = stored
        .into_iter()
        .filter(|m| seen.contains(&m.id))
        .map(|m| (m.id.clone(), m))
        .collect();
    let unknown: Vec<MarketId> = ids
        .iter()
        .filter(|id| !known.contains_key(*id))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        let fetched = source
            .fetch_markets(&unknown, true)
            .await
            .map_err(HistoryError::Gamma)?;
        known.extend(fetched.markets.into_iter().map(|m| (m.id.clone(), m)));
    }
    Ok(ids
        .into_iter()
        .map(|id| {
            known.remove(&id).ok_or_else(|| SkippedMarket {
                market_id: id,
                reason: "not among the filtered markets, and Gamma does not know it".into(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, day, 0, 0, 0).unwrap()
    }

    fn span(first: u32, last: u32) -> Option<StoredSpan> {
        Some(StoredSpan {
            first: t(first),
            last: t(last),
        })
    }

    #[test]
    fn only_what_the_stored_span_lacks_is_asked_for() {
        let check = |from, to, stored, expected: &[(u32, u32)]| {
            let expected: Vec<_> = expected.iter().map(|(a, b)| (t(*a), t(*b))).collect();
            assert_eq!(
                missing_ranges(t(from), t(to), stored),
                expected,
                "{from}..{to} over {stored:?}"
            );
        };
        check(1, 9, None, &[(1, 9)]);
        // Covered: nothing to ask.
        check(3, 7, span(2, 8), &[]);
        check(2, 8, span(2, 8), &[]);
        // Resuming: from the last stored point on.
        check(1, 9, span(1, 5), &[(5, 9)]);
        // Before and after the span.
        check(1, 9, span(3, 5), &[(1, 3), (5, 9)]);
        // Beyond the span on either side: extended to it, no hole left.
        check(7, 9, span(1, 3), &[(3, 9)]);
        check(1, 2, span(5, 8), &[(1, 5)]);
        // An empty range asks nothing.
        check(9, 1, None, &[]);
    }

    #[test]
    fn refusals_are_4xx_but_429() {
        assert!(is_refusal(400) && is_refusal(404));
        assert!(!is_refusal(429) && !is_refusal(500) && !is_refusal(503));
    }
}
