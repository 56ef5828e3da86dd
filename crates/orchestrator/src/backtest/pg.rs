//! `--source pg`: the moments of a backtest replayed from PostgreSQL — the
//! price history `prescient history fetch` stored and the prices recorded
//! cycles left in `market_snapshots` (`PgStore::price_history`), dressed in
//! the market and event records PostgreSQL holds.
//!
//! The rules, in the order a replay meets them:
//!
//! - **Which markets**: every market with a point in `[from, to]` (or those
//!   of them asked for) whose record is stored: the one `history fetch`
//!   kept (`price_history_markets`, the newest Gamma answered, resolution
//!   included) first, then the filtered markets (`markets`, the detailed
//!   records), then the markets nested in the raw and then the filtered
//!   events. A market with history but no
//!   record is left out and listed ([`PgMoments::unknown_markets`]): without
//!   its question, end date or liquidity no strategy could judge it.
//! - **Its event**: the stored event it belongs to (its event context's id,
//!   or the event it is nested in); an event not stored is made from the
//!   market's event context (title, end date; the market's liquidity and
//!   volume). Events are replayed open: they were while their markets
//!   traded.
//! - **Moments are the distinct instants** of the points, not hourly
//!   buckets: the fetch's fidelity (and the cycles' schedule) decides how
//!   dense they are, and two points of the same instant are one moment.
//!   Points before `from` are not read, so a market first appears at its
//!   first point in the range.
//! - **Prices**: at moment `t` each market that has had a point at or
//!   before `t` shows its last yes and no prices (a CLOB point and a
//!   cycle's snapshot of the same instant: the cycle's, read last). A
//!   missing side is the complement of the other (`no = 1 − yes`).
//! - **Closed records**: a market whose stored record is closed traded
//!   during its history, so up to and including its last point it is shown
//!   open (active, accepting orders, not closed or archived); at every
//!   moment after its last point it is shown as the record is — closed,
//!   with the record's (resolved) prices — so positions in it settle as in
//!   a live cycle. Its last point is its last stored one, not its last in
//!   the range: a range that ends before its history does never closes it.
//!   When no other market has a later point, one more moment at `to` shows
//!   it closed (only if `to` is after its last point).
//! - **Streaming**: the points are read by a task on one connection and
//!   handed over in batches through a bounded channel; a replay holds the
//!   records (one per market) and each market's last prices, never the
//!   history.

use super::{BacktestError, Moment, Moments};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ports::MarketStore;
use domain::{Event, EventId, HistoryPoint, Market, MarketId, Outcome, Price, RawJson, StoreError};
use futures_util::StreamExt;
use polymarket_client::SnapshotSource;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use storage_pg::PgStore;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Where a replay without a first bound starts reading: before any
/// Polymarket price (and inside PostgreSQL's `timestamptz` range).
const EARLIEST: DateTime<Utc> = DateTime::UNIX_EPOCH;

/// Points per batch handed from the reading task to the replay.
const BATCH: usize = 4096;
/// Batches in flight between them (the read runs at most this far ahead).
const BATCHES_AHEAD: usize = 8;

type Batch = Result<Vec<HistoryPoint>, StoreError>;

/// One replayed market: its record, reopened, and the record as stored
/// when it is closed.
struct Replayed {
    /// The record as it traded: prices are set at each moment.
    open: Market,
    /// The stored record when it is closed, shown after `last_point`.
    closed: Option<Market>,
    /// Index of its event in [`PgMoments::events`].
    event: usize,
    /// Its last point of all (after `to` when its history goes on).
    last_point: DateTime<Utc>,
}

/// A market's last known prices.
#[derive(Clone, Copy, Debug, Default)]
struct Last {
    yes: Option<Price>,
    no: Option<Price>,
}

/// The moments of PostgreSQL's price history from `from` to `to` (see the
/// module docs for the rules), streamed.
pub struct PgMoments {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    /// The first point of the replayed markets.
    first_point: Option<DateTime<Utc>>,
    markets: Vec<Replayed>,
    index: HashMap<MarketId, usize>,
    /// Event records, their nested markets left out (each moment adds its
    /// own).
    events: Vec<Event>,
    last: Vec<Last>,
    unknown: Vec<MarketId>,
    points: mpsc::Receiver<Batch>,
    batch: std::vec::IntoIter<HistoryPoint>,
    /// The first point of the next instant, read ahead.
    pending: Option<HistoryPoint>,
    last_instant: Option<DateTime<Utc>>,
    /// The history has been read to its end.
    ended: bool,
    reader: Option<JoinHandle<()>>,
}

impl PgMoments {
    /// Replay every market with history from `from` to `to` (both
    /// inclusive).
    pub async fn open(
        pg: &PgStore,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<PgMoments, BacktestError> {
        Self::open_markets(pg, None, from, to).await
    }

    /// Replay with the bounds a command line may leave out: from `from`, or
    /// else from the first stored point; up to `to`, or else up to `now`
    /// (so a market that resolved at the end of the history still settles,
    /// in a moment at `now`).
    pub async fn open_between(
        pg: &PgStore,
        among: Option<&[MarketId]>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<PgMoments, BacktestError> {
        let mut moments =
            Self::open_markets(pg, among, from.unwrap_or(EARLIEST), to.unwrap_or(now)).await?;
        if from.is_none()
            && let Some(first) = moments.first_point
        {
            moments.from = first;
        }
        Ok(moments)
    }

    /// Replay the markets `among` (every market with history when `None`)
    /// from `from` to `to` (both inclusive). An error when none of them has
    /// history there, or none with history has a stored record.
    #[tracing::instrument(skip_all, fields(%from, %to))]
    pub async fn open_markets(
        pg: &PgStore,
        among: Option<&[MarketId]>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<PgMoments, BacktestError> {
        if from > to {
            return Err(BacktestError::Input(format!(
                "the range is empty: --from {from} is after --to {to}"
            )));
        }
        let spans = pg.history_markets(among, from, to).await?;
        if spans.is_empty() {
            return Err(BacktestError::Input(format!(
                "PostgreSQL holds no price history from {from} to {to} for {}: \
                 run `prescient history fetch` (or trading cycles) first",
                match among {
                    Some(ids) => format!("{} market(s) asked for", ids.len()),
                    None => "any market".to_owned(),
                }
            )));
        }
        let ids: Vec<MarketId> = spans.iter().map(|s| s.market_id.clone()).collect();
        let mut records = Records::load(pg, &ids).await?;
        let mut markets = Vec::with_capacity(spans.len());
        let mut index = HashMap::with_capacity(spans.len());
        let mut unknown = Vec::new();
        let mut markets_first = Vec::with_capacity(spans.len());
        for span in spans {
            let Some((record, event_id)) = records.market(&span.market_id) else {
                unknown.push(span.market_id);
                continue;
            };
            markets_first.push(span.first);
            let event = records.event_index(&record, event_id);
            index.insert(span.market_id, markets.len());
            markets.push(Replayed {
                open: reopened(&record),
                closed: record.closed.then_some(record),
                event,
                last_point: span.last,
            });
        }
        if markets.is_empty() {
            return Err(BacktestError::Input(format!(
                "no stored record (kept by `prescient history fetch`, or a cycle's filtered \
                 markets or events) for any of the {} market(s) with price history from \
                 {from} to {to}: run `prescient history fetch` for them again",
                unknown.len()
            )));
        }
        if !unknown.is_empty() {
            tracing::warn!(
                markets = unknown.len(),
                "markets with price history but no stored record are left out"
            );
        }
        let first_point = markets_first.into_iter().min();
        let ids: Vec<MarketId> = markets.iter().map(|m| m.open.id.clone()).collect();
        let (tx, points) = mpsc::channel(BATCHES_AHEAD);
        let reader = tokio::spawn(read_history(pg.clone(), ids, from, to, tx));
        Ok(PgMoments {
            from,
            to,
            first_point,
            last: vec![Last::default(); markets.len()],
            markets,
            index,
            events: records.events,
            unknown,
            points,
            batch: Vec::new().into_iter(),
            pending: None,
            last_instant: None,
            ended: false,
            reader: Some(reader),
        })
    }

    /// Markets with history in the range but no stored record, left out.
    pub fn unknown_markets(&self) -> &[MarketId] {
        &self.unknown
    }

    /// How many markets are replayed.
    pub fn market_count(&self) -> usize {
        self.markets.len()
    }

    /// The next point of the history, `None` at its end.
    async fn next_point(&mut self) -> Result<Option<HistoryPoint>, BacktestError> {
        loop {
            if let Some(p) = self.batch.next() {
                return Ok(Some(p));
            }
            match self.points.recv().await {
                Some(Ok(batch)) => self.batch = batch.into_iter(),
                Some(Err(e)) => return Err(e.into()),
                None => {
                    // The reader ended: at the end of the history, or by a
                    // panic, which must not pass for the end.
                    if let Some(reader) = self.reader.take() {
                        reader.await.map_err(|e| {
                            BacktestError::Input(format!("reading the price history failed: {e}"))
                        })?;
                    }
                    return Ok(None);
                }
            }
        }
    }

    fn apply(&mut self, p: HistoryPoint) {
        // Only replayed markets are read; any other point has no market to
        // price.
        let Some(last) = self
            .index
            .get(&p.market_id)
            .and_then(|&i| self.last.get_mut(i))
        else {
            return;
        };
        match p.outcome {
            Outcome::Yes => last.yes = Some(p.price),
            Outcome::No => last.no = Some(p.price),
        }
    }

    /// Whether some closed market whose history ends before `to` has not
    /// yet been shown closed.
    fn closing_pending(&self) -> bool {
        let Some(at) = self.last_instant else {
            return false;
        };
        self.markets.iter().zip(&self.last).any(|(m, l)| {
            m.closed.is_some() && m.last_point >= at && m.last_point < self.to && l.is_known()
        })
    }

    /// The market source of moment `t`.
    fn source_at(&self, t: DateTime<Utc>) -> SnapshotSource {
        let mut nested: Vec<Vec<Market>> = vec![Vec::new(); self.events.len()];
        let mut details = Vec::new();
        for (m, last) in self.markets.iter().zip(&self.last) {
            let market = match &m.closed {
                Some(closed) if t > m.last_point => closed.clone(),
                _ => {
                    let Some(prices) = last.prices() else {
                        continue;
                    };
                    let mut market = m.open.clone();
                    market.outcome_prices = Some(prices.to_vec());
                    market
                }
            };
            if let Some(slot) = nested.get_mut(m.event) {
                slot.push(market.clone());
            }
            details.push(market);
        }
        let events = self
            .events
            .iter()
            .zip(nested)
            .filter(|(_, markets)| !markets.is_empty())
            .map(|(event, markets)| Event {
                markets,
                ..event.clone()
            })
            .collect();
        SnapshotSource::from_records(format!("pg@{}", t.to_rfc3339()), events, details)
    }
}

impl Drop for PgMoments {
    fn drop(&mut self) {
        if let Some(reader) = &self.reader {
            reader.abort();
        }
    }
}

#[async_trait]
impl Moments for PgMoments {
    fn describe(&self) -> String {
        format!(
            "pg ({} markets, {} to {})",
            self.markets.len(),
            self.from.to_rfc3339(),
            self.to.to_rfc3339()
        )
    }

    async fn next_moment(&mut self) -> Result<Option<Moment>, BacktestError> {
        if self.ended {
            return Ok(None);
        }
        let first = match self.pending.take() {
            Some(p) => Some(p),
            None => self.next_point().await?,
        };
        let Some(first) = first else {
            self.ended = true;
            return Ok(match self.last_instant {
                Some(at) if self.to > at && self.closing_pending() => Some(Moment {
                    time: self.to,
                    source: Box::new(self.source_at(self.to)),
                }),
                _ => None,
            });
        };
        let t = first.t;
        if self.last_instant.is_some_and(|at| t <= at) {
            return Err(BacktestError::Input(format!(
                "the price history is not in time order at {t}"
            )));
        }
        self.apply(first);
        while let Some(p) = self.next_point().await? {
            if p.t == t {
                self.apply(p);
            } else {
                self.pending = Some(p);
                break;
            }
        }
        self.last_instant = Some(t);
        Ok(Some(Moment {
            time: t,
            source: Box::new(self.source_at(t)),
        }))
    }
}

impl Last {
    fn is_known(&self) -> bool {
        self.yes.is_some() || self.no.is_some()
    }

    /// `[yes, no]`, a missing side the complement of the other; `None`
    /// before the first point.
    fn prices(&self) -> Option<[Price; 2]> {
        let yes = self.yes.or_else(|| self.no.and_then(complement))?;
        let no = self.no.or_else(|| complement(yes))?;
        Some([yes, no])
    }
}

/// `1 − p`.
fn complement(p: Price) -> Option<Price> {
    Price::exact(Decimal::ONE.checked_sub(p.value())?).ok()
}

/// The record as the market traded: a closed record reopened.
fn reopened(record: &Market) -> Market {
    let mut m = record.clone();
    if m.closed {
        m.closed = false;
        m.active = true;
        m.accepting_orders = true;
        m.archived = false;
    }
    m
}

/// Read the history into `tx` in batches; stops when the replay is
/// dropped.
async fn read_history(
    pg: PgStore,
    ids: Vec<MarketId>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    tx: mpsc::Sender<Batch>,
) {
    let mut stream = pg.price_history(&ids, from, to);
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(point) = stream.next().await {
        match point {
            Ok(p) => {
                batch.push(p);
                if batch.len() >= BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if tx.send(Ok(full)).await.is_err() {
                        return;
                    }
                }
            }
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(Ok(batch)).await;
    }
}

/// The stored records a replay dresses its markets in.
struct Records {
    /// The records `history fetch` kept, by id.
    fetched: HashMap<MarketId, Market>,
    /// The filtered markets (detailed records), by id.
    filtered: HashMap<MarketId, Market>,
    /// Markets nested in the stored events (raw first), with their event.
    nested: HashMap<MarketId, (Market, EventId)>,
    /// Stored events (raw first) without their nested markets.
    stored_events: HashMap<EventId, Event>,
    /// The events of the replayed markets, in the order first met.
    events: Vec<Event>,
    event_index: HashMap<EventId, usize>,
}

impl Records {
    async fn load(pg: &PgStore, ids: &[MarketId]) -> Result<Records, BacktestError> {
        let fetched: HashMap<MarketId, Market> = pg
            .load_history_records(ids)
            .await?
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect();
        let filtered: HashMap<MarketId, Market> = pg
            .load_filtered_markets()
            .await?
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect();
        let raw = pg.load_raw_events().await?;
        let kept = pg
            .load_filtered_events()
            .await?
            .into_iter()
            .map(|f| f.event);
        let mut nested = HashMap::new();
        let mut stored_events = HashMap::new();
        for mut event in raw.into_iter().chain(kept) {
            for market in std::mem::take(&mut event.markets) {
                if let Entry::Vacant(slot) = nested.entry(market.id.clone()) {
                    slot.insert((market, event.id.clone()));
                }
            }
            if let Entry::Vacant(slot) = stored_events.entry(event.id.clone()) {
                event.active = true;
                event.closed = false;
                slot.insert(event);
            }
        }
        Ok(Records {
            fetched,
            filtered,
            nested,
            stored_events,
            events: Vec::new(),
            event_index: HashMap::new(),
        })
    }

    /// The record of `id` and the id of its event, when one is stored.
    fn market(&mut self, id: &MarketId) -> Option<(Market, Option<EventId>)> {
        let record = self.fetched.remove(id).or_else(|| self.filtered.remove(id));
        if let Some(m) = record {
            let event = m
                .event
                .as_ref()
                .map(|c| c.event_id.clone())
                .or_else(|| self.nested.get(id).map(|(_, e)| e.clone()));
            return Some((m, event));
        }
        self.nested.remove(id).map(|(m, e)| {
            let event = m.event.as_ref().map(|c| c.event_id.clone()).unwrap_or(e);
            (m, Some(event))
        })
    }

    /// The index in `events` of `market`'s event (`event`, else one made
    /// for the market alone, under its own id).
    fn event_index(&mut self, market: &Market, event: Option<EventId>) -> usize {
        let id = event.unwrap_or_else(|| EventId::new(market.id.as_str()));
        if let Some(&i) = self.event_index.get(&id) {
            return i;
        }
        let record = self
            .stored_events
            .remove(&id)
            .unwrap_or_else(|| event_for(market, id.clone()));
        let i = self.events.len();
        self.events.push(record);
        self.event_index.insert(id, i);
        i
    }
}

/// An event for `market` when none is stored: from its event context, else
/// from the market itself.
fn event_for(market: &Market, id: EventId) -> Event {
    let context = market.event.as_ref();
    Event {
        id,
        title: context.map_or_else(|| market.question.clone(), |c| c.event_title.clone()),
        slug: None,
        liquidity: market.liquidity,
        volume: market.volume,
        volume_24hr: market.volume_24hr,
        start_date: None,
        end_date: context.and_then(|c| c.event_end_date).or(market.end_date),
        active: true,
        closed: false,
        markets: Vec::new(),
        raw: RawJson::empty_object(),
    }
}
