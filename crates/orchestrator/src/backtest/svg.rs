//! The equity-curve chart of a backtest (`--out DIR` writes it as
//! `equity.svg`): one `<polyline>` per strategy over a shared time and
//! value axis, and a legend naming each strategy in its colour. Written by
//! hand (a few elements); coordinates are rounded to 0.01, so the same
//! report gives the same bytes.

use super::report::BacktestReport;
use rust_decimal::prelude::ToPrimitive;
use std::fmt::Write;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 480.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 200.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;

/// Line colours, in strategy order (repeated beyond eight strategies).
const COLOURS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// The chart of every strategy's equity curve in `report`.
pub fn equity_chart(report: &BacktestReport) -> String {
    let points: Vec<(i64, f64)> = report
        .strategies
        .iter()
        .flat_map(|s| s.equity.points())
        .map(|p| (p.time.timestamp(), p.value.value().to_f64().unwrap_or(0.0)))
        .collect();
    let t0 = points.iter().map(|p| p.0).min().unwrap_or(0);
    let t1 = points.iter().map(|p| p.0).max().unwrap_or(0);
    let mut v0 = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let mut v1 = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    if !v0.is_finite() || !v1.is_finite() {
        (v0, v1) = (0.0, 1.0);
    }
    if v1 - v0 < 0.01 {
        (v0, v1) = (v0 - 1.0, v1 + 1.0);
    }
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |t: i64| {
        if t1 == t0 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + (t - t0) as f64 / (t1 - t0) as f64 * plot_w
        }
    };
    let y = |v: f64| TOP + (v1 - v) / (v1 - v0) * plot_h;

    let mut svg = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, "<title>Backtest equity curves</title>");
    let _ = writeln!(
        svg,
        r#"<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
    );
    let _ = writeln!(
        svg,
        r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>"##
    );
    // Axis labels: the value range and the time range.
    for (value, anchor_y) in [(v1, TOP), (v0, TOP + plot_h)] {
        let _ = writeln!(
            svg,
            r#"<text x="{:.2}" y="{:.2}" text-anchor="end">{value:.2}</text>"#,
            LEFT - 6.0,
            anchor_y + 4.0
        );
    }
    for (t, anchor) in [(t0, "start"), (t1, "end")] {
        let label = chrono::DateTime::from_timestamp(t, 0)
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        let _ = writeln!(
            svg,
            r#"<text x="{:.2}" y="{:.2}" text-anchor="{anchor}">{label}</text>"#,
            if anchor == "start" {
                LEFT
            } else {
                LEFT + plot_w
            },
            TOP + plot_h + 20.0
        );
    }
    for (i, s) in report.strategies.iter().enumerate() {
        let colour = COLOURS.get(i % COLOURS.len()).copied().unwrap_or("#000");
        let coords: Vec<String> = s
            .equity
            .points()
            .iter()
            .map(|p| {
                let v = p.value.value().to_f64().unwrap_or(0.0);
                format!("{:.2},{:.2}", x(p.time.timestamp()), y(v))
            })
            .collect();
        let name = escape(&s.strategy);
        let _ = writeln!(
            svg,
            r#"<polyline data-strategy="{name}" fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            coords.join(" ")
        );
        let ly = TOP + 10.0 + 20.0 * i as f64;
        let lx = WIDTH - RIGHT + 16.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{lx:.2}" y1="{ly:.2}" x2="{:.2}" y2="{ly:.2}" stroke="{colour}" stroke-width="3"/>"#,
            lx + 20.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="{:.2}" y="{:.2}">{name}</text>"#,
            lx + 26.0,
            ly + 4.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// `text` safe inside an XML attribute or element.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
