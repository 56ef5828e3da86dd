//! The live client against a fake Gamma on 127.0.0.1:0 serving real recorded
//! records (replicated with distinct ids): the crawl returns every event once,
//! whatever the server does, and never sends more than the quotas allow.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::server::{Behaviour, FakeGamma, Fault, Hit, max_in_window, replicate};
use common::*;
use domain::MarketId;
use polymarket_client::{ClientError, GammaClient, GammaConfig, MarketSource, Pagination, Quotas};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

fn config(base_url: &str) -> GammaConfig {
    GammaConfig {
        base_url: base_url.to_owned(),
        page_limit: 10,
        request_timeout: Duration::from_millis(300),
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(50),
        progress: false,
        ..GammaConfig::default()
    }
}

fn ids_of(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

fn market_ids(events: &[Value]) -> Vec<MarketId> {
    events
        .iter()
        .flat_map(|e| e["markets"].as_array().unwrap())
        .map(|m| MarketId::new(m["id"].as_str().unwrap()))
        .collect()
}

fn got_ids(fetch: &polymarket_client::EventsFetch) -> Vec<String> {
    fetch.events.iter().map(|e| e.id.to_string()).collect()
}

fn of_route<'a>(hits: &'a [Hit], route: &str) -> Vec<&'a Hit> {
    hits.iter().filter(|h| h.route == route).collect()
}

#[tokio::test]
async fn a_keyset_crawl_returns_every_event_once() {
    let events = replicate(&template_events(), 45, None);
    let (server, url) = FakeGamma::new(&events, &[], Behaviour::default())
        .start()
        .await;
    let client = GammaClient::new(config(&url)).unwrap();
    assert_eq!(client.describe(), format!("live {url}/"));

    let fetched = client.fetch_active_events().await.unwrap();
    assert_eq!(got_ids(&fetched), ids_of(&events));
    let nested: usize = fetched.events.iter().map(|e| e.markets.len()).sum();
    assert_eq!(nested, market_ids(&events).len());
    assert_eq!((fetched.stats.pages, fetched.stats.requests), (5, 5));
    assert_eq!(fetched.stats.duplicates, 0);
    assert!(
        fetched.stats.skipped.is_empty(),
        "{:?}",
        fetched.stats.skipped
    );

    let hits = server.hits();
    let cursors: Vec<Option<&str>> = hits.iter().map(|h| h.param("after_cursor")).collect();
    assert_eq!(
        cursors,
        [None, Some("c10"), Some("c20"), Some("c30"), Some("c40")]
    );
    for h in &hits {
        assert_eq!(h.route, "keyset");
        assert_eq!(h.param("closed"), Some("false"), "closed=false always sent");
        assert_eq!(h.param("limit"), Some("10"));
    }
}

#[tokio::test]
async fn a_keyset_page_may_call_its_array_data() {
    let events = replicate(&template_events(), 12, Some(1));
    let behaviour = Behaviour {
        keyset_key: "data",
        ..Behaviour::default()
    };
    let (_server, url) = FakeGamma::new(&events, &[], behaviour).start().await;
    let fetched = GammaClient::new(config(&url))
        .unwrap()
        .fetch_active_events()
        .await
        .unwrap();
    assert_eq!(got_ids(&fetched), ids_of(&events));
}

#[tokio::test]
async fn an_offset_crawl_survives_a_capped_limit_and_drifting_pages() {
    let events = replicate(&template_events(), 23, Some(2));
    let behaviour = Behaviour {
        cap_limit: Some(7),
        drift: true,
        deprecate_offset: true,
        ..Behaviour::default()
    };
    let (server, url) = FakeGamma::new(&events, &[], behaviour).start().await;
    let client = GammaClient::new(GammaConfig {
        pagination: Pagination::Offset,
        ..config(&url)
    })
    .unwrap();
    let fetched = client.fetch_active_events().await.unwrap();
    assert_eq!(
        got_ids(&fetched),
        ids_of(&events),
        "every event exactly once"
    );

    let hits = server.hits();
    let offsets: Vec<&str> = hits.iter().map(|h| h.param("offset").unwrap()).collect();
    // Short pages of 7 (asked 10) do not end the crawl, the empty page does.
    // From the second page on the server serves one record early: the first
    // overlap repeats a record (counted), and the offsets stay shifted after.
    assert_eq!(offsets, ["0", "7", "14", "21", "24"]);
    assert_eq!(fetched.stats.duplicates, 1);
    assert_eq!(fetched.stats.pages, 5);
    assert!(
        hits.iter()
            .all(|h| h.route == "events" && h.param("closed") == Some("false"))
    );
}

#[tokio::test]
async fn market_details_come_in_concurrent_batches_in_the_order_asked() {
    let events = replicate(&template_events(), 10, Some(3));
    let (server, url) = FakeGamma::new(&events, &[], Behaviour::default())
        .start()
        .await;
    let client = GammaClient::new(GammaConfig {
        batch_size: 7,
        concurrency: 3,
        ..config(&url)
    })
    .unwrap();
    let mut asked = market_ids(&events);
    asked.reverse();
    let fetched = client.fetch_markets(&asked, false).await.unwrap();
    let got: Vec<MarketId> = fetched.markets.iter().map(|m| m.id.clone()).collect();
    assert_eq!(got, asked);
    assert!(fetched.missing.is_empty());
    assert_eq!(fetched.stats.requests, 5, "30 ids in batches of 7");

    for h in server.hits() {
        assert_eq!(h.route, "markets");
        assert!(h.params("id").len() <= 7);
        assert!(
            h.param("id[]").is_none(),
            "the `id` key repeated, not `id[]`"
        );
        assert_eq!(h.param("closed"), Some("false"));
    }
}

#[tokio::test]
async fn a_misbehaving_server_still_yields_the_right_set() {
    let mut events = replicate(&template_events(), 30, Some(2));
    let bad =
        json!({"id": "bad-event", "title": "placeholder", "liquidity": "<string>", "markets": []});
    events.insert(5, bad);
    events.push(events[0].clone());
    let good: Vec<Value> = events
        .iter()
        .filter(|e| e["id"] != "bad-event")
        .take(30)
        .cloned()
        .collect();

    let closed = market("closed-1", true, ["0", "1"]);
    let extra = market("extra-1", false, ["0.3", "0.7"]);
    let mut asked = market_ids(&good[..10]);
    let withheld: HashSet<String> = [asked[3].to_string(), asked[11].to_string()].into();
    asked.push(MarketId::from("closed-1"));
    asked.push(MarketId::from("nope"));
    asked.push(asked[0].clone());

    let behaviour = Behaviour {
        cap_limit: Some(4),
        repeat_last_cursor: true,
        unrequested: Some("extra-1".into()),
        withhold: withheld,
        faults: [
            (
                1,
                Fault::TooMany {
                    retry_after_secs: 1,
                },
            ),
            (3, Fault::ServerError),
            (4, Fault::ServerError),
            (6, Fault::Stall(Duration::from_secs(1))),
        ]
        .into(),
        ..Behaviour::default()
    };
    let (server, url) = FakeGamma::new(&events, &[closed, extra], behaviour)
        .start()
        .await;
    let client = GammaClient::new(GammaConfig {
        batch_size: 6,
        concurrency: 3,
        ..config(&url)
    })
    .unwrap();

    let fetched = client.fetch_active_events().await.unwrap();
    assert_eq!(got_ids(&fetched), ids_of(&good), "every good event once");
    let s = &fetched.stats;
    assert_eq!(s.skipped.len(), 1);
    assert_eq!(s.skipped[0].id.as_deref(), Some("bad-event"));
    assert_eq!(s.duplicates, 1);
    assert_eq!(s.retries, 4, "one 429, two 500s, one timeout");
    assert_eq!((s.pages, s.requests), (8, 12));
    let hits = server.hits();
    let last = hits.last().unwrap();
    assert_eq!(
        last.param("after_cursor"),
        Some("c28"),
        "stopped on the repeated cursor"
    );
    let waited = hits[2].at.duration_since(hits[1].at);
    assert!(
        waited >= Duration::from_millis(950),
        "Retry-After honoured: {waited:?}"
    );

    let details = client.fetch_markets(&asked, false).await.unwrap();
    let expected: Vec<MarketId> = asked[..20].to_vec();
    let got: Vec<MarketId> = details.markets.iter().map(|m| m.id.clone()).collect();
    assert_eq!(got, expected, "in the order asked, each once");
    assert_eq!(
        details.missing,
        [MarketId::from("closed-1"), MarketId::from("nope")]
    );
    let s = &details.stats;
    assert_eq!(s.dropped_unrequested, 4, "extra-1 in each of the 4 batches");
    assert_eq!(s.requests, 4 + 4, "4 batches, then 4 ids one by one");
    assert_eq!(of_route(&server.hits(), "market").len(), 4);

    let resolved = client
        .fetch_markets(&[MarketId::from("closed-1")], true)
        .await
        .unwrap();
    assert_eq!(resolved.markets.len(), 1);
    assert!(resolved.markets[0].closed);
    let hits = server.hits();
    let states: HashSet<Option<&str>> = hits[hits.len() - 2..]
        .iter()
        .map(|h| h.param("closed"))
        .collect();
    assert_eq!(
        states,
        [Some("false"), Some("true")].into(),
        "closed markets asked for explicitly, open ones too"
    );
}

/// Re-pricing 500 open positions, half of whose markets have closed, against
/// a Gamma whose `closed` is a filter: both states are asked in batches and
/// merged, so it costs O(positions / batch) requests, not one per position
/// the first state left out.
#[tokio::test]
async fn repricing_asks_both_states_in_batches() {
    let markets: Vec<Value> = (0..500)
        .map(|i| {
            let closed = i % 2 == 1;
            let prices = if closed { ["0", "1"] } else { ["0.4", "0.6"] };
            market(&format!("m{i}"), closed, prices)
        })
        .collect();
    let (server, url) = FakeGamma::new(&[], &markets, Behaviour::default())
        .start()
        .await;
    let client = GammaClient::new(config(&url)).unwrap();
    let ids: Vec<MarketId> = (0..500).map(|i| MarketId::new(format!("m{i}"))).collect();

    let quotes = client.fetch_markets(&ids, true).await.unwrap();
    let got: Vec<MarketId> = quotes.markets.iter().map(|m| m.id.clone()).collect();
    assert_eq!(got, ids, "every market, open or closed, in the order asked");
    assert_eq!(quotes.markets.iter().filter(|m| m.closed).count(), 250);
    assert!(quotes.missing.is_empty());
    let hits = server.hits();
    assert!(
        hits.len() <= 25,
        "{} requests for 500 positions (batches of 50)",
        hits.len()
    );
    assert_eq!(quotes.stats.requests, hits.len() as u64);
    assert!(
        of_route(&hits, "market").is_empty(),
        "no request per position"
    );
    let states: HashSet<Option<&str>> = hits.iter().map(|h| h.param("closed")).collect();
    assert_eq!(states, [Some("false"), Some("true")].into());

    // Open markets only: one state, closed ones left out by the server.
    let before = server.hits().len();
    let open = client.fetch_markets(&ids, false).await.unwrap();
    assert_eq!(open.markets.len(), 250);
    assert_eq!(open.missing.len(), 250);
    assert!(open.markets.iter().all(|m| !m.closed));
    let asked_one_by_one = of_route(&server.hits()[before..], "market").len();
    assert_eq!(
        asked_one_by_one, 250,
        "ids a batch left out are asked one by one"
    );
}

#[tokio::test]
async fn errors_say_what_failed() {
    let events = replicate(&template_events(), 3, Some(1));
    let behaviour = Behaviour {
        faults: [
            (0, Fault::BadRequest),
            (1, Fault::Stall(Duration::from_secs(1))),
            (2, Fault::Stall(Duration::from_secs(1))),
            (3, Fault::ServerError),
            (4, Fault::ServerError),
        ]
        .into(),
        ..Behaviour::default()
    };
    let (server, url) = FakeGamma::new(&events, &[], behaviour).start().await;
    let client = GammaClient::new(GammaConfig {
        max_retries: 1,
        ..config(&url)
    })
    .unwrap();

    let err = client.fetch_active_events().await.unwrap_err();
    assert!(
        matches!(err, ClientError::Http { status: 400, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("/events/keyset?closed=false"),
        "{err}"
    );
    assert_eq!(server.hits().len(), 1, "a 400 is not retried");

    let err = client.fetch_active_events().await.unwrap_err();
    assert!(
        matches!(err, ClientError::Timeout { attempts: 2, .. }),
        "{err}"
    );
    let err = client.fetch_active_events().await.unwrap_err();
    assert!(
        matches!(err, ClientError::Http { status: 500, .. }),
        "{err}"
    );

    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let nowhere = GammaClient::new(config(&format!("http://{closed_port}"))).unwrap();
    let err = nowhere.fetch_active_events().await.unwrap_err();
    assert!(
        matches!(err, ClientError::Connect { attempts: 6, .. }),
        "{err}"
    );

    let err = GammaClient::new(config("not a url")).unwrap_err();
    assert!(matches!(err, ClientError::Config(_)), "{err}");
}

/// Requests of each family, as the server saw them, never exceed the quota in
/// any window. The check uses a window 25 ms shorter than the limiter's: the
/// limiter counts grant instants on the client, the server counts arrivals,
/// and the few ms of latency between them may differ from one request to the
/// next.
#[tokio::test]
async fn the_quotas_hold_in_every_window() {
    let events = replicate(&template_events(), 40, Some(1));
    let (server, url) = FakeGamma::new(&events, &[], Behaviour::default())
        .start()
        .await;
    let window = Duration::from_millis(500);
    let client = GammaClient::new(GammaConfig {
        page_limit: 5,
        batch_size: 1,
        concurrency: 8,
        quotas: Quotas {
            window,
            events: 3,
            markets: 3,
            listings: 4,
            general: 100,
        },
        ..config(&url)
    })
    .unwrap();
    let asked: Vec<MarketId> = market_ids(&events)[..16].to_vec();
    let (crawl, details) = tokio::join!(
        client.fetch_active_events(),
        client.fetch_markets(&asked, false)
    );
    assert_eq!(crawl.unwrap().events.len(), 40);
    assert_eq!(details.unwrap().markets.len(), 16);

    let hits = server.hits();
    assert_eq!(hits.len(), 8 + 16);
    let check = window - Duration::from_millis(25);
    let at = |route: &str| {
        of_route(&hits, route)
            .iter()
            .map(|h| h.at)
            .collect::<Vec<_>>()
    };
    assert!(max_in_window(at("keyset"), check) <= 3, "events quota");
    assert!(max_in_window(at("markets"), check) <= 3, "markets quota");
    let all: Vec<_> = hits.iter().map(|h| h.at).collect();
    assert_eq!(
        max_in_window(all, check),
        4,
        "listings quota, and it is used"
    );
}
