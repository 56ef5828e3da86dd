//! The API is safe by default (issue 14): what reaches a handler, and how
//! long a connection may hold the server.
//!
//! - [`check_bind`]: an address beyond this machine needs
//!   `PRESCIENT_API_TOKEN`; without one `serve` refuses to start.
//! - [`check_request`] (a layer of [`super::router`]): without a token, an
//!   action (any method but GET/HEAD/OPTIONS) is taken only from the
//!   server's own pages or from a client that sends no `Origin` and no
//!   `Sec-Fetch-Site` (curl, scripts), so a page on another site cannot make
//!   the browser of whoever runs the dashboard start cycles (CSRF). With a
//!   token the bearer check of each action is the gate. Bodies are limited
//!   (`PRESCIENT_HTTP_BODY_LIMIT_BYTES`; no action takes one).
//! - [`serve_with`]: the accept loop. On a loopback address every request's
//!   `Host` must name a loopback address (DNS rebinding: a page whose name
//!   resolves to 127.0.0.1 is still another site); headers must arrive
//!   within `PRESCIENT_HTTP_HEADER_TIMEOUT_MS`; at most
//!   `PRESCIENT_HTTP_MAX_CONNECTIONS` connections are open at once, the rest
//!   wait in the kernel's backlog (holding no descriptor of ours), so idle
//!   sockets cannot use up the files the stores need.

use super::{ApiError, ApiState, router};
use crate::settings::Settings;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, HOST, ORIGIN};
use axum::http::uri::Authority;
use axum::http::{HeaderMap, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The header browsers send to say where a request comes from
/// (`same-origin`, `same-site`, `cross-site`, `none`).
const SEC_FETCH_SITE: &str = "sec-fetch-site";

/// How long to wait before accepting again after an accept error that is
/// not the client's (out of descriptors, say), so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// The connection limits of `prescient serve`, from the settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// How long a request's headers may take to arrive, counted from when
    /// the server starts waiting for them: so also how long a kept-alive
    /// connection may sit idle between requests.
    pub header_timeout: Duration,
    /// Connections open at once; more wait in the backlog.
    pub max_connections: usize,
    /// Largest request body, in bytes.
    pub body_limit: usize,
}

impl HttpLimits {
    pub fn from_settings(settings: &Settings) -> Self {
        HttpLimits {
            header_timeout: Duration::from_millis(settings.http_header_timeout_ms),
            max_connections: settings.http_max_connections,
            body_limit: settings.http_body_limit_bytes,
        }
    }
}

/// Why `serve` will not start.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error(
        "refusing to serve on {addr} without PRESCIENT_API_TOKEN: anyone who can reach it could run cycles; set PRESCIENT_API_TOKEN to a secret (actions then need `Authorization: Bearer <it>`), or serve on a loopback address (--addr 127.0.0.1:8004)"
    )]
    UnprotectedBind { addr: SocketAddr },
}

/// A loopback address is always allowed; any other needs a token (one that
/// is not blank, as [`ApiState`] counts it).
pub fn check_bind(addr: SocketAddr, token: Option<&str>) -> Result<(), GuardError> {
    let has_token = token.is_some_and(|t| !t.trim().is_empty());
    if addr.ip().is_loopback() || has_token {
        Ok(())
    } else {
        Err(GuardError::UnprotectedBind { addr })
    }
}

/// The request layer of [`super::router`]: the body limit, then (without a
/// token) the same-origin rule for actions.
pub async fn check_request(State(s): State<ApiState>, request: Request, next: Next) -> Response {
    let limit = HttpLimits::from_settings(&s.app().settings).body_limit;
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return ApiError::PayloadTooLarge(format!(
            "the request body is over {limit} bytes (PRESCIENT_HTTP_BODY_LIMIT_BYTES); no action of this API takes a body"
        ))
        .into_response();
    }
    if s.inner.token.is_none()
        && !request.method().is_safe()
        && let Err(why) = same_origin(request.headers(), request_authority(&request).as_ref())
    {
        return ApiError::Forbidden(format!(
            "{} {} refused: {why}; without PRESCIENT_API_TOKEN actions are taken only from this server's own pages or from clients that send no Origin (curl, scripts)",
            request.method(),
            request.uri().path()
        ))
        .into_response();
    }
    // A body sent without a length is cut at the limit too, should a
    // handler ever read one.
    let request = request.map(|body| Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

/// The authority a request was addressed to: its `Host`, else the
/// authority of an absolute-form target.
fn request_authority(request: &Request) -> Option<Authority> {
    match request.headers().get(HOST) {
        Some(host) => host.to_str().ok()?.parse::<Authority>().ok(),
        None => request.uri().authority().cloned(),
    }
}

/// `Ok` when the headers do not say the request comes from another origin
/// than `http://<authority>`; otherwise why.
fn same_origin(headers: &HeaderMap, authority: Option<&Authority>) -> Result<(), String> {
    if let Some(site) = headers.get(SEC_FETCH_SITE) {
        let site = site
            .to_str()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if site == "cross-site" || site == "same-site" {
            return Err(format!(
                "it came from another site (Sec-Fetch-Site: {site})"
            ));
        }
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default().trim();
    let server = authority.map_or_else(|| "(no Host)".to_owned(), |a| format!("http://{a}"));
    let same = authority.is_some_and(|a| origin_is(origin, a));
    if same {
        Ok(())
    } else {
        Err(format!(
            "it came from another origin (Origin {origin:?}, this server is {server})"
        ))
    }
}

/// Whether `origin` (`scheme://host[:port]`) is `http://<authority>`, with
/// the default port made explicit on both sides. `null` (an opaque origin)
/// is no origin's.
fn origin_is(origin: &str, authority: &Authority) -> bool {
    let Ok(uri) = origin.parse::<Uri>() else {
        return false;
    };
    let (Some("http"), Some(given)) = (uri.scheme_str(), uri.authority()) else {
        return false;
    };
    let bare = matches!(uri.path(), "" | "/") && uri.query().is_none();
    bare && given.host().eq_ignore_ascii_case(authority.host())
        && given.port_u16().unwrap_or(80) == authority.port_u16().unwrap_or(80)
}

/// Which `Host` a server accepts: on a loopback address only loopback names.
#[derive(Clone, Copy, Debug)]
struct HostRule {
    loopback_only: bool,
}

async fn check_host(State(rule): State<HostRule>, request: Request, next: Next) -> Response {
    if rule.loopback_only {
        let named = [
            request
                .headers()
                .get(HOST)
                .map(|h| h.to_str().unwrap_or("(not text)").to_owned()),
            request.uri().authority().map(|a| a.to_string()),
        ];
        if named.iter().all(Option::is_none) {
            return ApiError::MisdirectedRequest(
                "the request names no Host; this server answers only to 127.0.0.1, localhost or [::1]".into(),
            )
            .into_response();
        }
        if let Some(host) = named.iter().flatten().find(|h| !is_loopback_host(h)) {
            return ApiError::MisdirectedRequest(format!(
                "Host {host:?} is not this machine: this server listens on a loopback address and answers only to 127.0.0.1, localhost or [::1] (a name that merely resolves to it is another site)"
            ))
            .into_response();
        }
    }
    next.run(request).await
}

/// `127.0.0.1[:port]` (any 127.x), `localhost[:port]` or `[::1][:port]`.
fn is_loopback_host(host: &str) -> bool {
    let Ok(authority) = host.trim().parse::<Authority>() else {
        return false;
    };
    if authority.as_str().contains('@') {
        return false;
    }
    let name = authority.host();
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let literal = name.trim_start_matches('[').trim_end_matches(']');
    literal
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// Serve [`router`]`(state)` on `listener` until `shutdown` resolves, with
/// the limits of the state's settings; then stop accepting, let the open
/// requests finish (a running cycle completes) and close idle connections.
pub async fn serve_with(
    listener: TcpListener,
    state: ApiState,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let limits = HttpLimits::from_settings(&state.app().settings);
    let local = listener.local_addr()?;
    let rule = HostRule {
        loopback_only: local.ip().is_loopback(),
    };
    let app: Router = router(state).layer(middleware::from_fn_with_state(rule, check_host));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A free slot first: until there is one, new connections wait in
        // the backlog instead of costing a descriptor.
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_closed) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot accept a connection; trying again in {ACCEPT_ERROR_PAUSE:?}");
                    tokio::select! {
                        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => continue,
                        () = &mut shutdown => break,
                    }
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "HTTP connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Errors of one client's connection (it went away before it was
/// accepted), not of the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_binds_go_without_a_token() {
        let addr = |s: &str| s.parse::<SocketAddr>().unwrap();
        for (bind, token, ok) in [
            ("127.0.0.1:8004", None, true),
            ("[::1]:8004", None, true),
            ("127.0.0.2:0", None, true),
            ("0.0.0.0:8004", None, false),
            ("[::]:8004", None, false),
            ("192.168.1.5:8004", Some("   "), false),
            ("0.0.0.0:8004", Some("s3cret"), true),
        ] {
            assert_eq!(
                check_bind(addr(bind), token).is_ok(),
                ok,
                "{bind} {token:?}"
            );
        }
        let message = check_bind(addr("0.0.0.0:0"), None).unwrap_err().to_string();
        assert!(message.contains("PRESCIENT_API_TOKEN"), "{message}");
    }

    #[test]
    fn loopback_hosts_are_named_literally_or_as_localhost() {
        for (host, ok) in [
            ("127.0.0.1", true),
            ("127.0.0.1:8004", true),
            ("127.1.2.3:80", true),
            ("localhost", true),
            ("LocalHost:8004", true),
            ("[::1]", true),
            ("[::1]:8004", true),
            ("[::ffff:127.0.0.1]:8004", true),
            ("evil.example", false),
            ("evil.example:8004", false),
            ("localhost.evil.example", false),
            ("127.0.0.1.nip.io", false),
            ("10.0.0.1:8004", false),
            ("user@127.0.0.1", false),
            ("", false),
        ] {
            assert_eq!(is_loopback_host(host), ok, "{host:?}");
        }
    }

    /// Headers (name, value) with a `Host`, and whether they are same-origin.
    fn check(host: &str, headers: &[(&str, &str)], ok: bool) {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let authority = host.parse::<Authority>().ok();
        assert_eq!(
            same_origin(&map, authority.as_ref()).is_ok(),
            ok,
            "Host {host} with {headers:?}"
        );
    }

    #[test]
    fn actions_come_from_the_servers_own_origin_or_from_no_browser() {
        let host = "127.0.0.1:8004";
        check(host, &[], true);
        check(host, &[("origin", "http://127.0.0.1:8004")], true);
        check(host, &[("origin", "HTTP://127.0.0.1:8004/")], true);
        check("localhost", &[("origin", "http://localhost:80")], true);
        check(host, &[("sec-fetch-site", "same-origin")], true);
        check(host, &[("sec-fetch-site", "none")], true);
        check(host, &[("origin", "http://evil.example")], false);
        check(host, &[("origin", "http://127.0.0.1:9999")], false);
        check(host, &[("origin", "https://127.0.0.1:8004")], false);
        check(host, &[("origin", "http://localhost:8004")], false);
        check(host, &[("origin", "null")], false);
        check(host, &[("origin", "http://127.0.0.1:8004/path")], false);
        check(host, &[("sec-fetch-site", "cross-site")], false);
        check(host, &[("sec-fetch-site", "same-site")], false);
        check(
            host,
            &[
                ("origin", "http://127.0.0.1:8004"),
                ("sec-fetch-site", "cross-site"),
            ],
            false,
        );
        check("", &[("origin", "http://127.0.0.1:8004")], false);
    }
}
