//! The dashboard at `/` in a real browser (headless Chromium): the page
//! loads, the equity curve has one point per history entry, and a screenshot
//! is written to `<target>/dashboard.png`. Without Chromium on `PATH` it is
//! skipped with a note, except under `CI=true`, where it fails (`cargo xtask
//! test` installs Chromium in CI).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;

use api_support::*;
use orchestrator::app::StoreChoice;
use std::path::{Path, PathBuf};

async fn browser(chromium: &Path, profile: &Path, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .await
        .unwrap()
}

/// The rendered document without its `<script>` (whose templates hold the
/// same markup the page renders).
fn without_scripts(dom: &str) -> String {
    let mut out = String::new();
    let mut rest = dom;
    while let Some(start) = rest.find("<script") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("</script>")
            .map_or("", |end| &rest[start + end + "</script>".len()..]);
    }
    out.push_str(rest);
    out
}

fn screenshot_path() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
        .join("dashboard.png")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_draws_one_point_per_history_entry() {
    let Some(chromium) = testkit::browser::chromium() else {
        testkit::ci::skip_or_fail(&format!(
            "no Chromium on PATH ({}; Debian: apt-get install chromium)",
            testkit::browser::CHROMIUM_NAMES.join(", ")
        ));
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    // A second live portfolio for the comparison page; the dashboard shows
    // the default one.
    let mut settings = settings(data.path(), state.path(), &[]);
    settings.portfolio_configs = vec![orchestrator::settings::portfolios::PortfolioConfig {
        id: "band".into(),
        strategy: "favourite_band".into(),
        ..Default::default()
    }];
    let s = Server::start(settings, StoreChoice::Json, None, example_source()).await;
    // Four cycles: four history entries (the first buys, the rest re-price).
    for _ in 0..4 {
        assert_eq!(s.post(CYCLE, None).await.0, 200);
    }
    let (_, history) = s.get("/paper-trading/portfolio-history").await;
    let entries = history["count"].as_u64().unwrap();
    assert_eq!(entries, 4);

    let profile = tempfile::tempdir().unwrap();
    let url = s.url("/");
    let out = browser(&chromium, profile.path(), &["--dump-dom", &url]).await;
    let dom = without_scripts(&String::from_utf8_lossy(&out.stdout));
    assert!(
        dom.contains("data-rendered=\"true\""),
        "the page did not finish rendering:\n{dom}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        dom.matches("<circle class=\"point\"").count() as u64,
        entries,
        "one point per history entry:\n{dom}"
    );
    assert!(dom.contains(&format!("data-points=\"{entries}\"")));
    // Open positions and recent trades are listed; the phase is shown.
    let (_, portfolio) = s.get("/paper-trading/portfolio").await;
    let (_, trades) = s.get("/paper-trading/trades-history?limit=20").await;
    assert_eq!(
        dom.matches("<tr class=\"position\"").count() as u64,
        portfolio["open_positions"].as_u64().unwrap()
    );
    assert_eq!(
        dom.matches("<tr class=\"trade\"").count(),
        trades["trades"].as_array().unwrap().len()
    );
    assert!(dom.contains("Phase 0"), "{dom}");

    let shot = screenshot_path();
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&shot);
    let out = browser(
        &chromium,
        profile.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,900",
            &url,
        ],
    )
    .await;
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "no screenshot at {}: {e}\n{}",
            shot.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    assert!(
        png.len() > 10_000,
        "a blank screenshot ({} bytes)",
        png.len()
    );
    println!("dashboard screenshot: {}", shot.display());

    // The comparison page: a row per live portfolio, a curve per portfolio
    // with a history.
    let (code, figures) = s.get("/trading/compare").await;
    assert_eq!(code, 200, "{figures}");
    let rows = figures["portfolios"].as_array().unwrap();
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r["portfolio"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"default") && ids.contains(&"band"), "{ids:?}");
    let with_history = rows
        .iter()
        .filter(|r| !r["equity"].as_array().unwrap().is_empty())
        .count();
    assert!(with_history >= 1, "{figures:#}");

    let out = browser(
        &chromium,
        profile.path(),
        &["--dump-dom", &s.url("/compare")],
    )
    .await;
    let dom = without_scripts(&String::from_utf8_lossy(&out.stdout));
    assert!(
        dom.contains("data-rendered=\"true\""),
        "the page did not finish rendering:\n{dom}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for id in &ids {
        assert!(
            dom.contains(&format!("<tr class=\"portfolio\" data-portfolio=\"{id}\"")),
            "no row for {id}:\n{dom}"
        );
    }
    assert_eq!(
        dom.matches("<polyline class=\"curve\"").count(),
        with_history,
        "one curve per portfolio with a history:\n{dom}"
    );
    s.stop().await;
}
