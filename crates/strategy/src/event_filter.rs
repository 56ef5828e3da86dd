//! SPEC §2 step 2: keep the events liquid, traded and ending soon enough.

use chrono::{DateTime, Utc};
use domain::time::days_until;
use domain::{Event, FilteredEvent};
use rust_decimal::Decimal;

/// Thresholds of the event filter. Every bound is inclusive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFilter {
    pub min_liquidity: Decimal,
    pub min_volume: Decimal,
    pub min_volume_24hr: Option<Decimal>,
    pub min_days_until_end: i64,
    pub max_days_until_end: i64,
}

impl Default for EventFilter {
    /// SPEC §2 step 2: liquidity 10 000, volume 50 000, no 24 h volume bound,
    /// 1 to 90 days left.
    fn default() -> Self {
        EventFilter {
            min_liquidity: Decimal::from(10_000),
            min_volume: Decimal::from(50_000),
            min_volume_24hr: None,
            min_days_until_end: 1,
            max_days_until_end: 90,
        }
    }
}

/// What the event filter kept, and why it dropped the rest. Each dropped event
/// is counted once, under the first rule it failed, in the order of the fields,
/// so `input == passed.len() + Σ rejected_* + missing_end_date`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventFilterReport {
    /// Sorted by volume, descending (ties keep their input order).
    pub passed: Vec<FilteredEvent>,
    pub input: usize,
    pub rejected_liquidity: usize,
    pub rejected_volume: usize,
    pub rejected_volume_24hr: usize,
    pub rejected_days: usize,
    /// Events without an `endDate`. They fail the day filters (the original let
    /// them through, so events that never end were traded).
    pub missing_end_date: usize,
}

/// Why an event was dropped.
enum Rejection {
    Liquidity,
    Volume,
    Volume24hr,
    Days,
    MissingEndDate,
}

/// Filter `events` as of `now`. A missing liquidity or volume counts as 0.
/// The events are taken, not copied: the ones that pass move into the
/// report (a crawl's events are its largest structure, issue #13).
pub fn filter_events(
    events: Vec<Event>,
    filter: &EventFilter,
    now: DateTime<Utc>,
) -> EventFilterReport {
    let mut report = EventFilterReport {
        input: events.len(),
        ..EventFilterReport::default()
    };
    for event in events {
        match check(&event, filter, now) {
            Ok(days) => report.passed.push(FilteredEvent {
                event,
                days_until_end: Some(days),
            }),
            Err(Rejection::Liquidity) => report.rejected_liquidity += 1,
            Err(Rejection::Volume) => report.rejected_volume += 1,
            Err(Rejection::Volume24hr) => report.rejected_volume_24hr += 1,
            Err(Rejection::Days) => report.rejected_days += 1,
            Err(Rejection::MissingEndDate) => report.missing_end_date += 1,
        }
    }
    // Stable: events of equal volume keep their input order.
    report
        .passed
        .sort_by_key(|p| std::cmp::Reverse(volume(&p.event)));
    tracing::debug!(
        input = report.input,
        passed = report.passed.len(),
        missing_end_date = report.missing_end_date,
        "filtered events"
    );
    report
}

/// The days left until the event ends, or the first rule it fails.
fn check(event: &Event, filter: &EventFilter, now: DateTime<Utc>) -> Result<i64, Rejection> {
    if event.liquidity.unwrap_or_default() < filter.min_liquidity {
        return Err(Rejection::Liquidity);
    }
    if volume(event) < filter.min_volume {
        return Err(Rejection::Volume);
    }
    if let Some(min) = filter.min_volume_24hr {
        if event.volume_24hr.unwrap_or_default() < min {
            return Err(Rejection::Volume24hr);
        }
    }
    let Some(end) = event.end_date else {
        return Err(Rejection::MissingEndDate);
    };
    let days = days_until(now, end);
    if days < filter.min_days_until_end || days > filter.max_days_until_end {
        return Err(Rejection::Days);
    }
    Ok(days)
}

fn volume(event: &Event) -> Decimal {
    event.volume.unwrap_or_default()
}
