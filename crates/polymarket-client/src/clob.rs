//! Polymarket's CLOB price history: [`ClobClient::prices_history`], one
//! outcome token's prices over a time range.
//!
//! `GET /prices-history?market=<token id>&startTs=<unix s>&endTs=<unix s>&fidelity=<minutes>`
//! answers `{"history": [{"t": <unix seconds>, "p": <price>}, …]}`. The CLOB
//! refuses too long a span per request at fine fidelity, so a range is asked
//! for in consecutive windows of at most [`ClobConfig::window`]
//! ([`windows`]); their answers are merged in time order, each instant once.
//!
//! Every request goes through the client's own rate limit
//! ([`ClobConfig::requests_per_second`], an exact sliding window) and the
//! same retries as Gamma's (jittered backoff on timeouts, connection errors,
//! 429 and 5xx, honouring `Retry-After`). Each point is checked on its own:
//! one whose `t` is not whole unix seconds or whose `p` is not a price in
//! [0, 1] is skipped, logged and counted ([`HistoryStats::skipped`]), never
//! the whole answer.

use crate::ClientError;
use crate::live::limiter::{Endpoint, Limiter, Quotas};
use crate::live::retry::Backoff;
use crate::live::transport::{Counters, Transport};
use chrono::{DateTime, Duration as Span, Utc};
use domain::gamma::parse_decimal;
use domain::{Price, PricePoint, TokenId};
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Polymarket's public CLOB.
pub const DEFAULT_CLOB_URL: &str = "https://clob.polymarket.com";

/// Settings of a [`ClobClient`]. Every field has a default that suits the
/// public API.
#[derive(Clone, Debug)]
pub struct ClobConfig {
    /// Default [`DEFAULT_CLOB_URL`].
    pub base_url: String,
    /// Requests sent in any one second, at most (0: no limit). Default 10.
    pub requests_per_second: u32,
    /// The longest span one request asks for. Default 14 days, which the
    /// CLOB accepts at a fidelity of 60 minutes.
    pub window: Span,
    /// Whole-request timeout. Default 10 s.
    pub request_timeout: Duration,
    /// Retries after the first attempt. Default 5.
    pub max_retries: u32,
    /// Backoff before the first retry (doubling, jittered). Default 500 ms.
    pub backoff_base: Duration,
    /// Longest backoff between retries. Default 30 s.
    pub backoff_max: Duration,
}

impl Default for ClobConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_CLOB_URL.to_owned(),
            requests_per_second: 10,
            window: Span::days(14),
            request_timeout: Duration::from_secs(10),
            max_retries: 5,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// What fetching one token's history did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HistoryStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Requests retried after a timeout, connection error, 429 or 5xx.
    pub retries: u64,
    /// Windows the range was asked for in.
    pub windows: u64,
    /// Points that were not a whole-second `t` and a price in [0, 1].
    pub skipped: u64,
    /// Points outside the range asked for, dropped.
    pub out_of_range: u64,
    /// Points at an instant already answered (window edges), dropped.
    pub duplicates: u64,
}

impl HistoryStats {
    pub fn merge(&mut self, other: &HistoryStats) {
        self.requests += other.requests;
        self.retries += other.retries;
        self.windows += other.windows;
        self.skipped += other.skipped;
        self.out_of_range += other.out_of_range;
        self.duplicates += other.duplicates;
    }
}

/// One token's price history over a range: points in time order, each
/// instant once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenHistory {
    pub points: Vec<PricePoint>,
    pub stats: HistoryStats,
}

/// The CLOB's price history. Cheap to clone; clones share the rate limit.
#[derive(Clone, Debug)]
pub struct ClobClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ClobConfig,
    transport: Transport,
}

impl ClobClient {
    /// A client for `config.base_url`; fails only on an unusable
    /// configuration (no request is sent).
    pub fn new(config: ClobConfig) -> Result<Self, ClientError> {
        if config.window < Span::seconds(1) {
            return Err(ClientError::Config(format!(
                "the CLOB window must be at least one second, not {}",
                config.window
            )));
        }
        let transport = Transport::new(
            &config.base_url,
            config.request_timeout,
            Limiter::new(&Quotas::general_only(
                config.requests_per_second,
                Duration::from_secs(1),
            )),
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

    pub fn config(&self) -> &ClobConfig {
        &self.inner.config
    }

    /// `clob https://…/`, for logs and reports.
    pub fn describe(&self) -> String {
        format!("clob {}", self.inner.transport.base())
    }

    /// The prices of `token` from `start` to `end` (both inclusive, whole
    /// seconds), one point per `fidelity_minutes` as the CLOB answers, asked
    /// for in [`windows`] of at most [`ClobConfig::window`]. An empty range
    /// (`start` after `end`) sends nothing.
    #[tracing::instrument(skip(self), fields(token = %token))]
    pub async fn prices_history(
        &self,
        token: &TokenId,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        fidelity_minutes: u32,
    ) -> Result<TokenHistory, ClientError> {
        if fidelity_minutes == 0 {
            return Err(ClientError::InvalidRequest(
                "the fidelity must be at least one minute".into(),
            ));
        }
        let counters = Counters::default();
        let mut out = TokenHistory::default();
        let fidelity = fidelity_minutes.to_string();
        for (from, to) in windows(start, end, self.inner.config.window) {
            let (from_ts, to_ts) = (from.timestamp().to_string(), to.timestamp().to_string());
            let url = self.inner.transport.url(
                &["prices-history"],
                &[
                    ("market", token.as_str()),
                    ("startTs", &from_ts),
                    ("endTs", &to_ts),
                    ("fidelity", &fidelity),
                ],
            );
            let body = self
                .inner
                .transport
                .get_json(Endpoint::PricesHistory, &url, false, &counters)
                .await?
                .ok_or_else(|| ClientError::Http {
                    url: url.to_string(),
                    status: 404,
                })?;
            out.stats.windows += 1;
            for point in decode(body, &url, &mut out.stats)? {
                if point.t < from || point.t > to {
                    out.stats.out_of_range += 1;
                } else if out.points.last().is_some_and(|last| point.t <= last.t) {
                    out.stats.duplicates += 1;
                } else {
                    out.points.push(point);
                }
            }
        }
        out.stats.requests = Counters::get(&counters.requests);
        out.stats.retries = Counters::get(&counters.retries);
        tracing::debug!(
            points = out.points.len(),
            windows = out.stats.windows,
            requests = out.stats.requests,
            skipped = out.stats.skipped,
            "fetched price history"
        );
        Ok(out)
    }
}

/// `[start, end]` (whole seconds, both inclusive) as consecutive windows of
/// at most `span`: each starts one second after the previous one ends, so
/// no instant is asked for twice and none is left out. Empty when `start`
/// is after `end` or `span` is under a second.
pub fn windows(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    span: Span,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let second = Span::seconds(1);
    let (Some(mut from), Some(end)) = (whole_second(start), whole_second(end)) else {
        return Vec::new();
    };
    let step = Span::seconds(span.num_seconds());
    let mut out = Vec::new();
    if step < second {
        return out;
    }
    while from <= end {
        let to = from
            .checked_add_signed(step - second)
            .map_or(end, |t| t.min(end));
        out.push((from, to));
        match to.checked_add_signed(second) {
            Some(next) => from = next,
            None => break,
        }
    }
    out
}

fn whole_second(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.timestamp(), 0)
}

/// The points of one answer, sorted by `t`; points that do not check are
/// counted in `stats.skipped` and logged. A body without a `history` array
/// is not a CLOB answer.
fn decode(
    body: Value,
    url: &Url,
    stats: &mut HistoryStats,
) -> Result<Vec<PricePoint>, ClientError> {
    let Value::Object(mut body) = body else {
        return Err(malformed(url, "the body is not a JSON object"));
    };
    let Some(Value::Array(items)) = body.remove("history") else {
        return Err(malformed(url, "the body holds no `history` array"));
    };
    let mut points = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match point(item) {
            Ok(p) => points.push(p),
            Err(cause) => {
                stats.skipped += 1;
                tracing::warn!(url = %url, index = i, cause, "skipping a price point that does not check");
            }
        }
    }
    points.sort_by_key(|p| p.t);
    Ok(points)
}

fn point(item: &Value) -> Result<PricePoint, String> {
    let t = item
        .get("t")
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("`t` is not whole unix seconds: {}", field(item, "t")))?;
    let t = DateTime::from_timestamp(t, 0)
        .filter(|t| domain::time::is_storable(*t))
        .ok_or_else(|| format!("`t` {t} is outside years 1-9999"))?;
    let p = match item.get("p") {
        Some(Value::Number(n)) => parse_decimal(&n.to_string()),
        Some(Value::String(s)) => parse_decimal(s),
        _ => None,
    }
    .ok_or_else(|| format!("`p` is not a number: {}", field(item, "p")))?;
    let p = Price::exact(p).map_err(|e| format!("`p`: {e}"))?;
    Ok(PricePoint { t, p })
}

/// A member of a point for a log line, cut short.
fn field(item: &Value, key: &str) -> String {
    let text = item
        .get(key)
        .map_or_else(|| "missing".to_owned(), Value::to_string);
    text.chars().take(40).collect()
}

fn malformed(url: &Url, message: &str) -> ClientError {
    ClientError::Malformed {
        what: format!("GET {url}"),
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn a_range_is_cut_into_windows_that_touch_without_overlap() {
        let got = windows(at(1, 0), at(3, 12), Span::days(1));
        let second = Span::seconds(1);
        assert_eq!(
            got,
            [
                (at(1, 0), at(2, 0) - second),
                (at(2, 0), at(3, 0) - second),
                (at(3, 0), at(3, 12)),
            ]
        );
        // One window when the range fits; one instant is a range too.
        assert_eq!(
            windows(at(1, 0), at(1, 5), Span::days(14)),
            [(at(1, 0), at(1, 5))]
        );
        assert_eq!(
            windows(at(1, 0), at(1, 0), Span::days(1)),
            [(at(1, 0), at(1, 0))]
        );
        // Backwards or with no span: nothing to ask.
        assert!(windows(at(2, 0), at(1, 0), Span::days(1)).is_empty());
        assert!(windows(at(1, 0), at(2, 0), Span::milliseconds(10)).is_empty());
        // Sub-second parts are cut off (the API speaks whole seconds).
        let ragged = at(1, 0) + Span::milliseconds(700);
        assert_eq!(
            windows(ragged, ragged, Span::days(1)),
            [(at(1, 0), at(1, 0))]
        );
    }

    #[test]
    fn windows_cover_every_second_exactly_once() {
        for (hours, span) in [(1, 3600), (49, 86_400), (7 * 24, 13 * 3600 + 7)] {
            let end = at(1, 0) + Span::hours(hours);
            let got = windows(at(1, 0), end, Span::seconds(span));
            assert_eq!(got.first().unwrap().0, at(1, 0));
            assert_eq!(got.last().unwrap().1, end);
            for pair in got.windows(2) {
                assert_eq!(pair[1].0, pair[0].1 + Span::seconds(1));
            }
            assert!(got.iter().all(|(a, b)| *b - *a < Span::seconds(span)));
        }
    }

    #[test]
    fn points_that_do_not_check_are_skipped_one_by_one() {
        let url = Url::parse("http://127.0.0.1/prices-history").unwrap();
        let body = json!({"history": [
            {"t": 1767229200, "p": 0.42},
            {"t": 1767225600, "p": "0.4"},
            {"t": "soon", "p": 0.5},
            {"t": 1767232800.5, "p": 0.5},
            {"t": 1767232800, "p": 1.5},
            {"t": 1767232800, "p": -0.01},
            {"t": 1767232800},
            {"t": 99_999_999_999_999_i64, "p": 0.5},
            [1, 2],
            {"t": 1767232800, "p": 1e-7},
        ]});
        let mut stats = HistoryStats::default();
        let points = decode(body, &url, &mut stats).unwrap();
        let got: Vec<(i64, String)> = points
            .iter()
            .map(|p| (p.t.timestamp(), p.p.to_string()))
            .collect();
        assert_eq!(
            got,
            [
                (1767225600, "0.4".to_owned()),
                (1767229200, "0.42".to_owned()),
                (1767232800, "0.0000001".to_owned()),
            ]
        );
        assert_eq!(stats.skipped, 7);

        for bad in [json!([]), json!({"history": {}}), json!({"data": []})] {
            let e = decode(bad, &url, &mut stats).unwrap_err();
            assert!(matches!(e, ClientError::Malformed { .. }), "{e}");
        }
    }
}
