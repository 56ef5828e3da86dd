//! `prescient serve` is safe by default (issue 14), against a server on a
//! free local port served as the binary serves it: actions from another
//! site are refused without a token, only loopback `Host`s are answered,
//! slow and idle connections are closed, large bodies refused, and no output
//! shows the database password.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;

use api_support::raw::{self, Reply};
use api_support::*;
use orchestrator::app::StoreChoice;
use serde_json::json;
use std::path::Path;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Long enough for a server under load to act, far shorter than hyper's
/// own 30 s default: a wait that ends by this proves the setting applies.
const CLOSE_WITHIN: Duration = Duration::from_secs(10);

async fn json_server(
    data: &Path,
    state: &Path,
    env: &[(&str, &str)],
    token: Option<&str>,
) -> Server {
    Server::start(
        settings(data, state, env),
        StoreChoice::Json,
        token,
        example_source(),
    )
    .await
}

/// POST the test cycle with `headers` (and the bearer `token` when given).
async fn post_cycle(
    s: &Server,
    headers: &[(&str, &str)],
    token: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut request = s.client.post(s.url(CYCLE));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_token_actions_from_another_site_are_refused() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let s = json_server(data.path(), state.path(), &[], None).await;
    let own = s.base.clone();

    for headers in [
        vec![("Origin", "http://evil.example")],
        vec![("Origin", "null")],
        vec![("Origin", "http://localhost:1")],
        vec![("Origin", own.as_str()), ("Sec-Fetch-Site", "cross-site")],
        vec![("Sec-Fetch-Site", "same-site")],
    ] {
        let (code, body) = post_cycle(&s, &headers, None).await;
        assert_eq!(
            (code, &body["error"]),
            (403, &json!("forbidden")),
            "{headers:?}: {body}"
        );
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("PRESCIENT_API_TOKEN"), "{detail}");
    }
    assert!(
        !data.path().join("trades/portfolio.json").exists(),
        "a refused action ran a cycle"
    );
    // Reads are not actions: any origin may read.
    let r = s
        .client
        .get(s.url("/trading/status"))
        .header("Origin", "http://evil.example")
        .header("Sec-Fetch-Site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);

    // From the server's own page, and from curl (no Origin at all).
    let (code, body) = post_cycle(
        &s,
        &[("Origin", own.as_str()), ("Sec-Fetch-Site", "same-origin")],
        None,
    )
    .await;
    assert_eq!((code, &body["status"]), (200, &json!("success")), "{body}");
    assert!(data.path().join("trades/portfolio.json").exists());
    let (code, body) = post_cycle(&s, &[], None).await;
    assert_eq!((code, &body["status"]), (200, &json!("success")), "{body}");

    let (_, _, metrics) = s.get_text("/metrics").await;
    assert!(
        metrics.contains("status=\"403\""),
        "refusals are counted: {metrics}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_token_the_token_decides_wherever_the_action_comes_from() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let s = json_server(data.path(), state.path(), &[], Some("s3cret")).await;
    let cross = [
        ("Origin", "http://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ];
    let (code, body) = post_cycle(&s, &cross, None).await;
    assert_eq!(
        (code, &body["error"]),
        (401, &json!("unauthorized")),
        "{body}"
    );
    let (code, body) = post_cycle(&s, &cross, Some("s3cret")).await;
    assert_eq!((code, &body["status"]), (200, &json!("success")), "{body}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_loopback_server_answers_only_to_loopback_host_names() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let s = json_server(data.path(), state.path(), &[], None).await;
    let port = s.addr().port();
    let get =
        |host: String| raw::request("GET", "/trading/status", &host, &[("Connection", "close")]);

    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        "127.0.0.1".to_owned(),
    ] {
        let reply = raw::send(s.addr(), &get(host.clone())).await;
        assert_eq!(reply.status, 200, "Host {host}: {}", reply.body);
    }
    // A name that resolves to 127.0.0.1 (DNS rebinding) is another site.
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1.nip.io:{port}"),
        format!("localhost.evil.example:{port}"),
    ] {
        let reply = raw::send(s.addr(), &get(host.clone())).await;
        assert_eq!(reply.status, 421, "Host {host}: {}", reply.body);
        assert_eq!(
            reply.json()["error"],
            "misdirected_request",
            "{}",
            reply.body
        );
    }
    let reply = raw::send(
        s.addr(),
        &raw::request(
            "POST",
            CYCLE,
            &format!("evil.example:{port}"),
            &[("Connection", "close"), ("Content-Length", "0")],
        ),
    )
    .await;
    assert_eq!(reply.status, 421, "{}", reply.body);
    assert!(!data.path().join("trades/portfolio.json").exists());
    // An absolute-form target naming another host.
    let reply = raw::send(
        s.addr(),
        &raw::request(
            "GET",
            "http://evil.example/trading/status",
            &format!("127.0.0.1:{port}"),
            &[("Connection", "close")],
        ),
    )
    .await;
    assert_eq!(reply.status, 421, "{}", reply.body);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_over_the_limit_is_refused_with_413() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let s = json_server(
        data.path(),
        state.path(),
        &[("PRESCIENT_HTTP_BODY_LIMIT_BYTES", "1024")],
        None,
    )
    .await;
    let host = format!("127.0.0.1:{}", s.addr().port());
    let over = raw::request(
        "POST",
        CYCLE,
        &host,
        &[("Connection", "close"), ("Content-Length", "1025")],
    );
    let reply: Reply = raw::send(s.addr(), &over).await;
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert_eq!(reply.json()["error"], "payload_too_large");
    assert!(reply.json()["detail"].as_str().unwrap().contains("1024"));
    assert!(!data.path().join("trades/portfolio.json").exists());
    // A body within the limit is no reason to refuse.
    let mut within = raw::request(
        "GET",
        "/trading/status",
        &host,
        &[("Connection", "close"), ("Content-Length", "1024")],
    );
    within.push_str(&"x".repeat(1024));
    let reply = raw::send(s.addr(), &within).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_headers_and_idle_connections_are_closed() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let s = json_server(
        data.path(),
        state.path(),
        &[("PRESCIENT_HTTP_HEADER_TIMEOUT_MS", "300")],
        None,
    )
    .await;
    let host = format!("127.0.0.1:{}", s.addr().port());

    // Half a request line, then nothing.
    let mut slow = TcpStream::connect(s.addr()).await.unwrap();
    slow.write_all(b"GET /trading/sta").await.unwrap();
    assert!(
        raw::closed_within(&mut slow, CLOSE_WITHIN).await,
        "a stalled request line was not cut off"
    );
    // Connected, silent.
    let mut silent = TcpStream::connect(s.addr()).await.unwrap();
    assert!(raw::closed_within(&mut silent, CLOSE_WITHIN).await);

    // A kept-alive connection: answered, then closed once idle.
    let mut idle = TcpStream::connect(s.addr()).await.unwrap();
    idle.write_all(raw::request("GET", "/trading/status", &host, &[]).as_bytes())
        .await
        .unwrap();
    let reply = raw::read_response(&mut idle).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        raw::closed_within(&mut idle, CLOSE_WITHIN).await,
        "an idle kept-alive connection stayed open"
    );

    // The server goes on answering.
    let (code, _) = s.get("/trading/status").await;
    assert_eq!(code, 200);
    s.stop().await;
}

/// The forms a password takes in `DATABASE_URL`, each with PostgreSQL
/// unreachable (port 1): none may show in any body.
const SECRET: &str = "hunter2secret";
const SECRET_URLS: &[&str] = &[
    "postgres://prescient:hunter2secret@127.0.0.1:1/prescient",
    "postgres://prescient@127.0.0.1:1/prescient?sslmode=disable&password=hunter2secret",
    "postgres://prescient:hunter2%40secret@127.0.0.1:1/prescient",
];

fn write_phase(state: &Path, phase: &str) {
    std::fs::write(
        state.join("phase.toml"),
        format!("phase = \"{phase}\"\nsince = \"2025-01-01T00:00:00Z\"\n"),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn status_and_every_other_body_hide_the_database_password() {
    for url in SECRET_URLS {
        let data = tempfile::tempdir().unwrap();
        let state = tempfile::tempdir().unwrap();
        // Phase 4: dual writes, so PostgreSQL is configured and reported on.
        write_phase(state.path(), "4");
        let s = Server::start(
            settings(
                data.path(),
                state.path(),
                &[
                    ("DATABASE_URL", url),
                    ("PRESCIENT_PG_HEALTH_TIMEOUT_MS", "300"),
                    ("PRESCIENT_PG_CONNECT_TIMEOUT_MS", "300"),
                ],
            ),
            StoreChoice::Phase,
            None,
            example_source(),
        )
        .await;
        let (code, status) = s.get("/trading/status").await;
        assert_eq!(code, 200, "{status}");
        assert_eq!(status["database"]["healthy"], false, "{status}");
        let shown = status["database"]["url"].as_str().unwrap();
        assert!(shown.contains("***"), "{shown}");
        assert!(shown.contains("127.0.0.1:1"), "{shown}");

        let (code, cycle) = s.post(CYCLE, None).await;
        assert_eq!(code, 200, "{cycle}");
        let mut seen = vec![status.to_string(), cycle.to_string()];
        for path in GETS {
            let (_, _, text) = s.get_text(path).await;
            seen.push(text);
        }
        for text in &seen {
            for secret in [SECRET, "hunter2%40secret", "hunter2@secret"] {
                assert!(!text.contains(secret), "{url}: {secret} shown in {text}");
            }
        }
        s.stop().await;
    }
}
