//! A recorded snapshot directory as a [`MarketSource`], and the recorder that
//! writes one (`prescient record DIR`, `--source snapshot:DIR`).
//!
//! Layout: `DIR/events.json` is a JSON array of Gamma event objects with their
//! nested markets, as `GET /events` returns them; `DIR/markets.json`
//! (optional) is a JSON array of detailed market objects, as `GET /markets`
//! returns them. Without `markets.json` the nested markets of the events serve
//! as the details; with it, only `markets.json` does (a replay sees exactly
//! what the recorded run fetched).
//!
//! A snapshot replays what was recorded: events are not filtered again by
//! `closed` (the live crawl already asked for `closed=false`), while market
//! details follow the live `/markets`, which leaves closed markets out unless
//! they are asked for (SPEC §3).

use crate::collect::{EventCollector, decode_raw_page};
use crate::{ClientError, EventsFetch, FetchStats, MarketSource, MarketsFetch};
use async_trait::async_trait;
use domain::gamma::{DecodeError, decode_market_raw};
use domain::{Event, Market, MarketId, RawJson};
use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};

/// File of the events in a snapshot directory.
pub const EVENTS_FILE: &str = "events.json";
/// File of the detailed markets in a snapshot directory (optional).
pub const MARKETS_FILE: &str = "markets.json";

/// Where a snapshot's market details are.
#[derive(Debug)]
enum Details {
    /// `markets.json`, decoded.
    Recorded(HashMap<MarketId, Market>),
    /// No `markets.json`: the events' nested markets (first seen wins), by
    /// event and market index.
    Nested(HashMap<MarketId, (usize, usize)>),
}

/// A snapshot directory loaded into memory and decoded once.
///
/// A cycle that no longer needs the crawl says so
/// ([`MarketSource::release_crawl`]): a snapshot opened from a directory
/// then keeps only the records of the markets it was told to keep, as text
/// decoded when asked for (slices of the snapshot's text; copies of their
/// own once a second release narrows the first), and reads the directory
/// again if asked for anything else. The decoded snapshot is not held past
/// the crawl, nor its text through the rest of the cycle (issue #13: they
/// were a third of a cycle's peak memory).
#[derive(Debug)]
pub struct SnapshotSource {
    dir: PathBuf,
    /// Whether the records can be read again from `dir` (not a snapshot
    /// held in memory, [`SnapshotSource::from_records`]).
    reloadable: bool,
    /// Stats of the whole snapshot's details and how many there are, as
    /// first read.
    opened: OnceLock<(FetchStats, usize)>,
    held: Mutex<Held>,
}

#[derive(Debug)]
enum Held {
    /// Nothing read yet ([`SnapshotSource::open_deferred`]).
    Unread,
    /// Every record, decoded.
    All(Arc<Loaded>),
    /// After [`MarketSource::release_crawl`]: the markets kept, by id
    /// (`None`: the snapshot does not know it; why, when it did not decode).
    Kept(Arc<HashMap<MarketId, Kept>>),
}

#[derive(Debug, Clone)]
enum Kept {
    /// The record as text, decoded when asked for: after a first release a
    /// slice of the crawl's text (no copy), after a release that narrows
    /// it a copy of its own (the crawl's text can go).
    Text(RawJson),
    Unknown(Option<DecodeError>),
}

/// The decoded records of a snapshot.
#[derive(Debug)]
struct Loaded {
    events: Vec<Event>,
    events_stats: FetchStats,
    details: Details,
    details_stats: FetchStats,
    /// Ids of detail records that did not decode, with why.
    details_skipped: HashMap<String, DecodeError>,
}

impl Loaded {
    fn read(dir: &Path) -> Result<Self, ClientError> {
        let raw_events = read_array(&dir.join(EVENTS_FILE))?;
        let (events, events_stats) = decode_events(raw_events);

        let markets_path = dir.join(MARKETS_FILE);
        let mut details_stats = FetchStats::default();
        let mut details_skipped = HashMap::new();
        let details = if markets_path.exists() {
            let mut details = HashMap::new();
            for raw in read_array(&markets_path)? {
                match decode_market_raw(raw) {
                    Ok(m) => insert_first(&mut details, m, &mut details_stats),
                    Err(e) => {
                        if let Some(id) = &e.id {
                            details_skipped.insert(id.clone(), e.clone());
                        }
                        details_stats.skipped.push(e);
                    }
                }
            }
            Details::Recorded(details)
        } else {
            // An index into the events, not copies of their markets.
            let mut index = HashMap::new();
            for (e, event) in events.iter().enumerate() {
                for (m, market) in event.markets.iter().enumerate() {
                    match index.entry(market.id.clone()) {
                        Entry::Occupied(_) => details_stats.duplicates += 1,
                        Entry::Vacant(slot) => {
                            slot.insert((e, m));
                        }
                    }
                }
            }
            Details::Nested(index)
        };
        Ok(Self {
            events,
            events_stats,
            details,
            details_stats,
            details_skipped,
        })
    }

    fn details_len(&self) -> usize {
        match &self.details {
            Details::Recorded(d) => d.len(),
            Details::Nested(d) => d.len(),
        }
    }

    fn detail(&self, id: &MarketId) -> Option<&Market> {
        match &self.details {
            Details::Recorded(d) => d.get(id),
            Details::Nested(d) => d
                .get(id)
                .and_then(|&(e, m)| self.events.get(e)?.markets.get(m)),
        }
    }
}

impl SnapshotSource {
    /// Read and decode `dir/events.json` and, when present, `dir/markets.json`.
    ///
    /// Records that do not decode are skipped and counted (never the whole
    /// file); events are de-duplicated by id. A missing or unreadable
    /// `events.json` is [`ClientError::Io`]; a file that is not a JSON array is
    /// [`ClientError::Malformed`]; both name the path.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, ClientError> {
        let dir = dir.as_ref().to_path_buf();
        let loaded = Loaded::read(&dir)?;
        Ok(Self::holding(dir, true, loaded))
    }

    /// A snapshot directory read when first asked for anything, not now:
    /// what runs before the crawl (a cycle's checks of its stores, the
    /// previous signal set) does not run beside the whole snapshot (issue
    /// #13). Only that `dir/events.json` can be opened is checked now (a
    /// missing one is [`ClientError::Io`]); a file that does not parse is an
    /// error of the first fetch.
    pub fn open_deferred(dir: impl AsRef<Path>) -> Result<Self, ClientError> {
        let dir = dir.as_ref().to_path_buf();
        let events = dir.join(EVENTS_FILE);
        std::fs::File::open(&events).map_err(|source| ClientError::Io {
            path: events.display().to_string(),
            source,
        })?;
        Ok(Self {
            dir,
            reloadable: true,
            opened: OnceLock::new(),
            held: Mutex::new(Held::Unread),
        })
    }

    fn holding(dir: PathBuf, reloadable: bool, loaded: Loaded) -> Self {
        let opened = OnceLock::new();
        let _ = opened.set((loaded.details_stats.clone(), loaded.details_len()));
        Self {
            dir,
            reloadable,
            opened,
            held: Mutex::new(Held::All(Arc::new(loaded))),
        }
    }

    /// A snapshot held in memory: these events and, as the details
    /// `/markets` answers with, these markets (first of an id wins). `label`
    /// names it in [`MarketSource::describe`] (a moment of a backtest, say);
    /// nothing is read from disk.
    pub fn from_records(
        label: impl Into<PathBuf>,
        events: Vec<Event>,
        markets: Vec<Market>,
    ) -> Self {
        let mut details_stats = FetchStats::default();
        let mut details = HashMap::with_capacity(markets.len());
        for market in markets {
            insert_first(&mut details, market, &mut details_stats);
        }
        let events_stats = FetchStats {
            pages: 1,
            ..FetchStats::default()
        };
        let loaded = Loaded {
            events,
            events_stats,
            details: Details::Recorded(details),
            details_stats,
            details_skipped: HashMap::new(),
        };
        Self::holding(label.into(), false, loaded)
    }

    /// The directory this snapshot was read from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What loading the market details found: records skipped (with ids) and
    /// duplicates. Empty when the details are the events' nested markets
    /// (those are counted with the events).
    /// (Empty for a deferred snapshot not read yet.)
    pub fn details_stats(&self) -> &FetchStats {
        static UNREAD: LazyLock<FetchStats> = LazyLock::new(FetchStats::default);
        self.opened.get().map_or(&UNREAD, |(stats, _)| stats)
    }

    /// How many distinct market details the snapshot holds.
    pub fn details_len(&self) -> usize {
        self.opened.get().map_or(0, |(_, len)| *len)
    }

    /// The ids of the markets whose details the snapshot holds that have
    /// not settled (open, or closed without a decided outcome yet), sorted.
    pub fn unsettled_market_ids(&self) -> Result<Vec<MarketId>, ClientError> {
        let unsettled = |m: &Market| !matches!(m.resolution(), domain::Resolution::Settled { .. });
        let all = self.all()?;
        let mut ids: Vec<MarketId> = match &all.details {
            Details::Recorded(d) => d
                .values()
                .filter(|m| unsettled(m))
                .map(|m| m.id.clone())
                .collect(),
            Details::Nested(d) => d
                .keys()
                .filter(|id| all.detail(id).is_some_and(unsettled))
                .cloned()
                .collect(),
        };
        ids.sort();
        Ok(ids)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        // What a panicking holder left is whole: it is replaced, never edited.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every record: held, or read again from the directory after a release.
    fn all(&self) -> Result<Arc<Loaded>, ClientError> {
        let mut held = self.lock();
        if let Held::All(all) = &*held {
            return Ok(all.clone());
        }
        let all = Arc::new(Loaded::read(&self.dir)?);
        let _ = self
            .opened
            .set((all.details_stats.clone(), all.details_len()));
        *held = Held::All(all.clone());
        Ok(all)
    }
}

#[async_trait]
impl MarketSource for SnapshotSource {
    fn describe(&self) -> String {
        format!("snapshot {}", self.dir.display())
    }

    async fn fetch_active_events(&self) -> Result<EventsFetch, ClientError> {
        let all = self.all()?;
        Ok(EventsFetch {
            events: all.events.clone(),
            stats: all.events_stats.clone(),
        })
    }

    async fn fetch_markets(
        &self,
        ids: &[MarketId],
        include_closed: bool,
    ) -> Result<MarketsFetch, ClientError> {
        let kept = match &*self.lock() {
            Held::Kept(kept) if ids.iter().all(|id| kept.contains_key(id)) => Some(kept.clone()),
            _ => None,
        };
        let all = match kept {
            Some(_) => None,
            None => Some(self.all()?),
        };
        let detail = |id: &MarketId| -> Result<Cow<'_, Market>, Option<DecodeError>> {
            match (&kept, &all) {
                (Some(kept), _) => match kept.get(id) {
                    Some(Kept::Text(raw)) => {
                        decode_market_raw(raw.clone()).map(Cow::Owned).map_err(Some)
                    }
                    Some(Kept::Unknown(e)) => Err(e.clone()),
                    None => Err(None),
                },
                (None, Some(all)) => all
                    .detail(id)
                    .map(Cow::Borrowed)
                    .ok_or_else(|| all.details_skipped.get(id.as_str()).cloned()),
                (None, None) => Err(None),
            }
        };
        let mut out = MarketsFetch {
            stats: FetchStats {
                pages: 1,
                ..FetchStats::default()
            },
            // Sized once: a cycle holds the filtered markets (issue #13).
            markets: Vec::with_capacity(ids.len()),
            ..MarketsFetch::default()
        };
        let mut seen = HashSet::new();
        for id in ids {
            if !seen.insert(id) {
                continue;
            }
            match detail(id) {
                // The live `/markets` leaves closed markets out unless asked.
                Ok(m) if include_closed || !m.closed => out.markets.push(m.into_owned()),
                Ok(_) => out.missing.push(id.clone()),
                Err(skipped) => {
                    if let Some(e) = skipped {
                        out.stats.skipped.push(e);
                    }
                    out.missing.push(id.clone());
                }
            }
        }
        Ok(out)
    }

    /// The first release keeps the records of `keep` as slices of the
    /// crawl's text and frees the decoded crawl; a second one narrows what
    /// the first kept, copying each record out of that text so the text can
    /// go too. What is kept is decoded when asked for (issue #13).
    fn release_crawl(&self, keep: &[MarketId]) {
        if !self.reloadable {
            return;
        }
        let mut held = self.lock();
        let kept: HashMap<MarketId, Kept> = match &*held {
            Held::Unread => return,
            Held::All(all) => keep
                .iter()
                .map(|id| {
                    let kept = match all.detail(id) {
                        Some(m) => Kept::Text(m.raw.clone()),
                        None => Kept::Unknown(all.details_skipped.get(id.as_str()).cloned()),
                    };
                    (id.clone(), kept)
                })
                .collect(),
            Held::Kept(before) => keep
                .iter()
                .filter_map(|id| {
                    let kept = match before.get(id)? {
                        Kept::Text(raw) => Kept::Text(raw.detach()),
                        unknown @ Kept::Unknown(_) => unknown.clone(),
                    };
                    Some((id.clone(), kept))
                })
                .collect(),
        };
        *held = Held::Kept(Arc::new(kept));
    }
}

/// Decode an array of Gamma events (see [`EventCollector`]); a snapshot is
/// one page.
fn decode_events(raw: Vec<RawJson>) -> (Vec<Event>, FetchStats) {
    let mut collector = EventCollector::default();
    collector.merge(decode_raw_page(raw));
    collector.stats.pages = 1;
    (collector.events, collector.stats)
}

fn insert_first(details: &mut HashMap<MarketId, Market>, market: Market, stats: &mut FetchStats) {
    if details.contains_key(&market.id) {
        stats.duplicates += 1;
    } else {
        details.insert(market.id.clone(), market);
    }
}

/// The records of a JSON array file, each kept as its own text: slices of
/// the file's one buffer, parsed from memory, never as a tree.
fn read_array(path: &Path) -> Result<Vec<RawJson>, ClientError> {
    let bytes = std::fs::read(path).map_err(|source| ClientError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let malformed = |message: String| ClientError::Malformed {
        what: path.display().to_string(),
        message,
    };
    let text = String::from_utf8(bytes).map_err(|e| malformed(e.to_string()))?;
    RawJson::array_elements(text).map_err(|e| malformed(e.to_string()))
}

/// Write a snapshot directory that [`SnapshotSource::open`] replays:
/// `events.json` from the events' `raw` objects (nested markets as received)
/// and `markets.json` from the detailed markets' `raw` objects. Creates `dir`
/// if needed; each file is replaced atomically (temporary file, fsync, rename).
pub fn write_snapshot(
    dir: impl AsRef<Path>,
    events: &[Event],
    markets: &[Market],
) -> Result<(), ClientError> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).map_err(|source| ClientError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let events: Vec<&RawJson> = events.iter().map(|e| &e.raw).collect();
    let markets: Vec<&RawJson> = markets.iter().map(|m| &m.raw).collect();
    write_json_atomic(&dir.join(EVENTS_FILE), &events)?;
    write_json_atomic(&dir.join(MARKETS_FILE), &markets)
}

fn write_json_atomic(path: &Path, items: &[&RawJson]) -> Result<(), ClientError> {
    let io = |source| ClientError::Io {
        path: path.display().to_string(),
        source,
    };
    let tmp = path.with_extension("json.tmp");
    let file = std::fs::File::create(&tmp).map_err(io)?;
    let mut writer = std::io::BufWriter::new(file);
    serde_json::to_writer_pretty(&mut writer, items).map_err(|e| io(std::io::Error::other(e)))?;
    writer.write_all(b"\n").map_err(io)?;
    let file = writer.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)?;
    // The rename is durable only once the directory is.
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io),
        None => Ok(()),
    }
}
