//! Gamma snapshots of any size shaped like the recorded ones, for the
//! memory and whole-process benches (`cargo xtask gen-snapshot`): a real
//! fixture event is the template, and each generated event and market gets
//! its own id, title/question, slug and prices, every other field as
//! recorded. End dates fall 2 to 61 days after the `now` passed in, so the
//! default filters let events through and the cycle trades, as it would on
//! a live crawl.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use std::io::{self, Write};
use std::path::Path;

/// The recorded event the generator copies (33 markets, every field Gamma sends).
pub const TEMPLATE: &str = "gamma/events_super_bowl_2026.json";

/// The template event from the shared fixtures (see [`crate::fixtures`]).
pub fn template() -> Result<Value, String> {
    let path = crate::fixtures::locate()?.join(TEMPLATE);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    match value {
        Value::Array(mut items) if !items.is_empty() => Ok(items.swap_remove(0)),
        Value::Object(_) => Ok(value),
        _ => Err(format!("{} holds no event", path.display())),
    }
}

/// Event `i` of a generated snapshot: the template with `markets_per_event`
/// nested markets (the template's, cycled), ids `9{i:06}` for the event and
/// `8{i:06}{j:03}` for its markets, prices varying with the ids.
pub fn event(template: &Value, i: usize, markets_per_event: usize, now: DateTime<Utc>) -> Value {
    let mut e = template.clone();
    let end = (now + Duration::days(2 + (i % 60) as i64))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let markets: Vec<Value> = template["markets"]
        .as_array()
        .map(|ms| {
            (0..markets_per_event)
                .filter_map(|j| ms.get(j % ms.len()).map(|m| market(m, i, j, &end)))
                .collect()
        })
        .unwrap_or_default();
    e["id"] = json!(format!("9{i:06}"));
    e["title"] = json!(format!("Generated event {i}"));
    e["slug"] = json!(format!("generated-event-{i}"));
    e["ticker"] = json!(format!("generated-event-{i}"));
    e["volume"] = json!(100_000.0 + (i % 997) as f64 * 1234.5);
    e["endDate"] = json!(end);
    e["markets"] = Value::Array(markets);
    e
}

fn market(template: &Value, i: usize, j: usize, end: &str) -> Value {
    let mut m = template.clone();
    // A price in 0.001..0.999 that differs between markets, three decimals.
    let thousandths = 1 + (i * 31 + j * 17) % 998;
    let yes = format!("0.{thousandths:03}");
    let no = format!("0.{:03}", 1000 - thousandths);
    m["id"] = json!(format!("8{i:06}{j:03}"));
    m["question"] = json!(format!("Will outcome {j} of generated event {i} happen?"));
    m["slug"] = json!(format!("generated-event-{i}-outcome-{j}"));
    m["outcomePrices"] = json!(serde_json::to_string(&[&yes, &no]).unwrap_or_default());
    // Mostly above the market filter's default minimum (50,000), as active
    // recorded markets are.
    m["volume"] = json!(format!(
        "{}.5",
        40_000 + (i * 7919 + j * 104_729) % 1_000_000
    ));
    m["active"] = json!(true);
    m["closed"] = json!(false);
    m["endDate"] = json!(end);
    m["acceptingOrders"] = json!(true);
    m
}

/// Write `dir/events.json`: `events` generated events, one compact object a
/// line (the layout `prescient record` reads back). Returns the bytes written.
pub fn write_snapshot(
    dir: &Path,
    template: &Value,
    events: usize,
    markets_per_event: usize,
    now: DateTime<Utc>,
) -> io::Result<u64> {
    std::fs::create_dir_all(dir)?;
    let file = std::fs::File::create(dir.join("events.json"))?;
    let mut out = io::BufWriter::new(file);
    let mut written = 0u64;
    let mut put = |out: &mut io::BufWriter<std::fs::File>, bytes: &[u8]| {
        written += bytes.len() as u64;
        out.write_all(bytes)
    };
    put(&mut out, b"[")?;
    for i in 0..events {
        put(&mut out, if i == 0 { b"\n" } else { b",\n" })?;
        let text = serde_json::to_vec(&event(template, i, markets_per_event, now))?;
        put(&mut out, &text)?;
    }
    put(&mut out, b"\n]\n")?;
    out.flush()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_events_differ_where_it_matters_and_keep_every_other_field() {
        let t = template().unwrap();
        let now = Utc::now();
        let a = event(&t, 1, 10, now);
        let b = event(&t, 2, 10, now);
        assert_ne!(a["id"], b["id"]);
        assert_eq!(a["markets"].as_array().unwrap().len(), 10);
        assert_ne!(a["markets"][0]["id"], a["markets"][1]["id"]);
        assert_ne!(
            a["markets"][0]["outcomePrices"],
            b["markets"][0]["outcomePrices"]
        );
        assert_eq!(a["tags"], t["tags"]);
        assert_eq!(
            a.as_object().unwrap().len(),
            t.as_object().unwrap().len(),
            "every recorded field"
        );
    }
}
