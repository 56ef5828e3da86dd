//! Real-data suite (SPEC §8): every recorded Gamma response in
//! `../shared/fixtures/gamma` goes through the public API (a snapshot directory
//! built from it), and nothing is lost: decoded + skipped = records in the
//! file. Outside CI, skipped with a note when the fixtures are absent; under
//! `CI=true` their absence fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use domain::{MarketId, Price, Resolution};
use polymarket_client::{MarketSource, SnapshotSource};
use std::path::Path;

/// Expected decode counts per events fixture: (file, events, markets decoded,
/// markets skipped).
const EVENT_FILES: [(&str, usize, usize, usize); 3] = [
    ("events_democratic_nominee_2028.json", 1, 2, 0),
    // The docs template's market holds placeholders (`"liquidity": "<string>"`).
    ("events_docs_template.json", 1, 0, 1),
    ("events_super_bowl_2026.json", 1, 33, 0),
];

const MARKET_FILES: [&str; 3] = [
    "closed_zero_zero_undecided.json",
    "open_up_down.json",
    "resolved_no_wins.json",
];

#[tokio::test]
async fn every_events_fixture_decodes_without_losing_a_record() {
    let Some(fixtures) = real_fixtures() else {
        return;
    };
    let files = json_files(&fixtures.join("gamma"));
    let names: Vec<String> = files.iter().map(|p| file_name(p)).collect();
    let expected: Vec<&str> = EVENT_FILES.iter().map(|e| e.0).collect();
    assert_eq!(
        names, expected,
        "a new fixture needs its expected counts here"
    );

    for (file, events, markets, skipped) in EVENT_FILES {
        let path = fixtures.join("gamma").join(file);
        let raw = read_json(&path);
        let records = raw.as_array().unwrap();
        let nested: usize = records
            .iter()
            .map(|e| e["markets"].as_array().map_or(0, Vec::len))
            .sum();
        let dir = snapshot_dir(records, None);

        let fetched = SnapshotSource::open(dir.path())
            .unwrap()
            .fetch_active_events()
            .await
            .unwrap();
        let skipped_events = fetched.stats.skipped.iter().filter(|e| e.kind == "event");
        let skipped_markets: Vec<_> = fetched
            .stats
            .skipped
            .iter()
            .filter(|e| e.kind == "market")
            .collect();
        let decoded_markets: usize = fetched.events.iter().map(|e| e.markets.len()).sum();

        assert_eq!(fetched.events.len(), events, "{file}: events");
        assert_eq!(decoded_markets, markets, "{file}: markets decoded");
        assert_eq!(skipped_markets.len(), skipped, "{file}: markets skipped");
        assert_eq!(
            fetched.events.len() + skipped_events.count() + fetched.stats.duplicates as usize,
            records.len(),
            "{file}: no event lost"
        );
        assert_eq!(
            decoded_markets + skipped_markets.len(),
            nested,
            "{file}: no market lost"
        );
        for e in &skipped_markets {
            assert!(
                e.id.is_some(),
                "{file}: skipped record counted with its id: {e}"
            );
        }
        for event in &fetched.events {
            let original = records
                .iter()
                .find(|r| r["id"] == event.id.as_str())
                .unwrap();
            assert_eq!(&event.raw.to_value().unwrap(), original, "{file}: raw kept");
        }
    }
}

#[tokio::test]
async fn the_docs_template_market_is_skipped_with_its_id_and_cause() {
    let Some(fixtures) = real_fixtures() else {
        return;
    };
    let raw = read_json(&fixtures.join("gamma/events_docs_template.json"));
    let dir = snapshot_dir(raw.as_array().unwrap(), None);
    let fetched = SnapshotSource::open(dir.path())
        .unwrap()
        .fetch_active_events()
        .await
        .unwrap();
    let [skipped] = fetched.stats.skipped.as_slice() else {
        panic!("one skipped record expected: {:?}", fetched.stats.skipped);
    };
    assert_eq!(skipped.kind, "market");
    assert_eq!(skipped.id.as_deref(), Some("<string>"));
    // The first placeholder the decoder meets names the cause.
    assert!(skipped.message.contains("<string>"), "{skipped}");
}

#[tokio::test]
async fn the_super_bowl_event_keeps_its_numbers_and_placeholder_market() {
    let Some(fixtures) = real_fixtures() else {
        return;
    };
    let raw = read_json(&fixtures.join("gamma/events_super_bowl_2026.json"));
    let dir = snapshot_dir(raw.as_array().unwrap(), None);
    let source = SnapshotSource::open(dir.path()).unwrap();
    let event = source.fetch_active_events().await.unwrap().events.remove(0);
    assert_eq!(event.id.as_str(), "23656");
    assert_eq!(event.title, "Super Bowl Champion 2026");
    assert_eq!(event.liquidity.unwrap().to_string(), "22924218.59881");
    let placeholders: Vec<_> = event
        .markets
        .iter()
        .filter(|m| m.outcome_prices.is_none())
        .collect();
    assert_eq!(
        placeholders.len(),
        1,
        "the 'cancelled?' placeholder has no prices"
    );
    assert!(!placeholders[0].is_tradable_binary());
    // Nested markets serve as details when there is no markets.json.
    let ids: Vec<MarketId> = event.markets.iter().map(|m| m.id.clone()).collect();
    let details = source.fetch_markets(&ids, false).await.unwrap();
    assert_eq!(details.markets.len(), 33);
    assert!(details.missing.is_empty());
}

/// One `/markets` object as the details of a snapshot with no events.
async fn market_fixture(
    fixtures: &Path,
    file: &str,
    include_closed: bool,
) -> polymarket_client::MarketsFetch {
    let raw = read_json(&fixtures.join("gamma/markets").join(file));
    assert!(raw.is_object(), "{file} is a single /markets object");
    let dir = snapshot_dir(&[], Some(std::slice::from_ref(&raw)));
    let source = SnapshotSource::open(dir.path()).unwrap();
    assert_eq!(
        source.details_len() + source.details_stats().skipped.len(),
        1,
        "{file}: no record lost"
    );
    let id = MarketId::new(raw["id"].as_str().unwrap());
    source.fetch_markets(&[id], include_closed).await.unwrap()
}

#[tokio::test]
async fn every_market_fixture_decodes() {
    let Some(fixtures) = real_fixtures() else {
        return;
    };
    let names: Vec<String> = json_files(&fixtures.join("gamma/markets"))
        .iter()
        .map(|p| file_name(p))
        .collect();
    assert_eq!(
        names, MARKET_FILES,
        "a new fixture needs its expectations here"
    );
    for file in MARKET_FILES {
        let fetched = market_fixture(&fixtures, file, true).await;
        assert_eq!(fetched.markets.len(), 1, "{file}");
        assert!(
            fetched.stats.skipped.is_empty(),
            "{file}: {:?}",
            fetched.stats.skipped
        );
    }
    every_recorded_market_names_its_two_clob_tokens(&fixtures).await;
}

#[tokio::test]
async fn resolved_fixtures_settle_or_stay_undecided() {
    let Some(fixtures) = real_fixtures() else {
        return;
    };
    let resolved = market_fixture(&fixtures, "resolved_no_wins.json", true).await;
    let m = &resolved.markets[0];
    assert_eq!(m.uma_resolution_status.as_deref(), Some("resolved"));
    assert_eq!(
        m.resolution(),
        Resolution::Settled {
            payout: [Price::ZERO, Price::ONE]
        }
    );

    let undecided = market_fixture(&fixtures, "closed_zero_zero_undecided.json", true).await;
    assert_eq!(undecided.markets[0].resolution(), Resolution::Undecided);

    // Without asking for closed markets they are left out, as the live API does.
    for file in ["resolved_no_wins.json", "closed_zero_zero_undecided.json"] {
        let fetched = market_fixture(&fixtures, file, false).await;
        assert!(fetched.markets.is_empty(), "{file}");
        assert_eq!(fetched.missing.len(), 1, "{file}");
    }
}

#[tokio::test]
async fn the_up_down_market_keeps_its_outcome_labels() {
    let Some(fixtures) = real_fixtures() else {
        return;
    };
    let fetched = market_fixture(&fixtures, "open_up_down.json", false).await;
    let m = &fetched.markets[0];
    assert_eq!(m.outcomes, ["Up", "Down"]);
    assert_eq!(m.resolution(), Resolution::Open);
    assert!(m.is_binary());
    assert_eq!(m.price(0).unwrap().value().to_string(), "0.505");
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// Every recorded market names its two CLOB tokens (`clobTokenIds`, a JSON
/// array inside a string), read as typed ids aligned with the outcomes —
/// the Up/Down market's "yes" token is its "Up" token.
async fn every_recorded_market_names_its_two_clob_tokens(fixtures: &Path) {
    let fixtures = fixtures.to_path_buf();
    let up_down = market_fixture(&fixtures, "open_up_down.json", false).await;
    let tokens = domain::gamma::outcome_tokens(&up_down.markets[0])
        .unwrap()
        .expect("the Up/Down market has clobTokenIds");
    assert_eq!(
        (tokens.yes.as_str(), tokens.no.as_str()),
        (
            "104239898038807136052399800151408521467737075933964991162589336683346093173875",
            "71183960810705820955071415844881728181970340514894896943812046065452395013351"
        )
    );
    for file in MARKET_FILES {
        let fetched = market_fixture(&fixtures, file, true).await;
        let tokens = domain::gamma::outcome_tokens(&fetched.markets[0]).unwrap();
        assert!(tokens.is_some_and(|t| t.yes != t.no), "{file}");
    }

    // All 33 Super Bowl markets (the placeholder without prices too) and the
    // 2028 nominee markets: two distinct tokens each, none shared.
    let mut seen = std::collections::HashSet::new();
    let mut markets = 0;
    for file in [
        "events_super_bowl_2026.json",
        "events_democratic_nominee_2028.json",
    ] {
        let raw = read_json(&fixtures.join("gamma").join(file));
        let dir = snapshot_dir(raw.as_array().unwrap(), None);
        let events = SnapshotSource::open(dir.path())
            .unwrap()
            .fetch_active_events()
            .await
            .unwrap()
            .events;
        for m in events.iter().flat_map(|e| &e.markets) {
            let tokens = domain::gamma::outcome_tokens(m)
                .unwrap_or_else(|e| panic!("{file}: {e}"))
                .unwrap_or_else(|| panic!("{file}: market {} has no tokens", m.id));
            assert!(tokens.yes.as_str().len() > 70, "{file}: {}", m.id);
            assert!(
                seen.insert(tokens.yes) && seen.insert(tokens.no),
                "{file}: {}",
                m.id
            );
            markets += 1;
        }
    }
    assert_eq!(markets, 35);
}
