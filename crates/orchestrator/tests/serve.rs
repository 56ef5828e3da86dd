//! `prescient serve` as a user runs it (the binary): an address beyond this
//! machine without a token is refused before anything opens; 200 idle
//! sockets do not starve a server limited to 128 files; the database
//! password shows in none of its output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;

use api_support::raw;
use assert_cmd::Command;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

fn example_source() -> String {
    format!(
        "snapshot:{}",
        api_support::workspace().join("examples/snapshot").display()
    )
}

/// The environment of every run: nothing but what the test gives.
fn base_env(data: &Path, state: &Path) -> Vec<(String, String)> {
    [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("PRESCIENT_CONFIG", "/nonexistent/prescient.toml".to_owned()),
        ("RUST_LOG", "info".to_owned()),
        ("PRESCIENT_DATA_DIR", data.display().to_string()),
        ("PRESCIENT_STATE_DIR", state.display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

#[test]
fn an_address_beyond_this_machine_needs_a_token_and_nothing_opens_without_one() {
    let root = tempfile::tempdir().unwrap();
    let (data, state) = (root.path().join("data"), root.path().join("state"));
    for (addr, token) in [
        ("0.0.0.0:0", None),
        ("[::]:0", None),
        ("0.0.0.0:0", Some("  ")),
    ] {
        let mut cmd = Command::cargo_bin("prescient").unwrap();
        cmd.env_clear()
            .envs(base_env(&data, &state))
            // Opening the stores would fail on this, differently.
            .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/prescient")
            .current_dir(root.path())
            .args(["serve", "--addr", addr, "--source", &example_source()]);
        if let Some(t) = token {
            cmd.env("PRESCIENT_API_TOKEN", t);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{addr} served without a token");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {stderr}");
        assert!(
            lines[0].starts_with("error: refusing to serve on"),
            "{stderr}"
        );
        assert!(lines[0].contains("set PRESCIENT_API_TOKEN"), "{stderr}");
        assert!(
            lines[0].contains("127.0.0.1"),
            "names the way out: {stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            !state.exists(),
            "the runtime lock was taken before the refusal"
        );
        assert!(
            !data.exists(),
            "the data directory was opened before the refusal"
        );
    }
}

/// A `prescient serve` running in the background.
struct Running {
    child: tokio::process::Child,
    addr: SocketAddr,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

impl Running {
    /// Start `prescient serve --addr 127.0.0.1:0 --store <store>` with `env`,
    /// under `ulimit -n <files>` when given; wait for its address.
    async fn start(root: &Path, env: &[(&str, &str)], store: &str, files: Option<u32>) -> Running {
        let bin = assert_cmd::cargo::cargo_bin("prescient");
        let serve = [
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--store",
            store,
            "--source",
            &example_source(),
        ]
        .map(str::to_owned);
        let mut cmd = match files {
            Some(n) => {
                let mut c = tokio::process::Command::new("sh");
                c.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(&bin);
                c
            }
            None => tokio::process::Command::new(&bin),
        };
        cmd.args(serve)
            .env_clear()
            .envs(base_env(&root.join("data"), &root.join("state")))
            .envs(env.iter().copied())
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let stderr = tokio::spawn(async move {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text).await;
            text
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        tokio::time::timeout(Duration::from_secs(60), stdout.read_line(&mut first))
            .await
            .expect("serve printed no address within a minute")
            .unwrap();
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        let stdout = tokio::spawn(async move {
            let mut text = first;
            let _ = stdout.read_to_string(&mut text).await;
            text
        });
        Running {
            child,
            addr,
            stdout,
            stderr,
        }
    }

    /// Ctrl-C, then everything it printed (stdout, stderr).
    async fn stop(mut self) -> (String, String) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status();
        }
        let exited = tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await;
        if exited.is_err() {
            let _ = self.child.kill().await;
        }
        (self.stdout.await.unwrap(), self.stderr.await.unwrap())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_idle_sockets_do_not_starve_a_server_limited_to_128_files() {
    let root = tempfile::tempdir().unwrap();
    // Idle sockets stay open for the whole test unless the server is full.
    let server = Running::start(
        root.path(),
        &[("PRESCIENT_HTTP_HEADER_TIMEOUT_MS", "30000")],
        "json",
        Some(128),
    )
    .await;
    let host = format!("127.0.0.1:{}", server.addr.port());

    // A connection of a real client, open before the flood.
    let mut client = TcpStream::connect(server.addr).await.unwrap();
    client
        .write_all(raw::request("GET", "/trading/status", &host, &[]).as_bytes())
        .await
        .unwrap();
    assert_eq!(raw::read_response(&mut client).await.status, 200);

    // 200 sockets that send nothing. Beyond the connection limit and the
    // listen backlog a connect waits (the kernel retries its SYN), so each
    // is opened on its own task; the test does not wait for them all.
    let mut idle = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let addr = server.addr;
        idle.spawn(async move {
            let socket = TcpStream::connect(addr).await;
            std::future::pending::<()>().await;
            drop(socket);
        });
    }
    // Give the server time to take what it will of them.
    tokio::time::sleep(Duration::from_millis(1000)).await;

    // A cycle opens and writes files: it needs descriptors the idle sockets
    // would have taken.
    client
        .write_all(
            raw::request(
                "POST",
                api_support::CYCLE,
                &host,
                &[("Content-Length", "0")],
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let reply = raw::read_response(&mut client).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["status"], "success", "{}", reply.body);

    // Once the idle sockets go, a new client is served.
    idle.abort_all();
    while idle.join_next().await.is_some() {}
    let reply = raw::send(
        server.addr,
        &raw::request(
            "GET",
            "/paper-trading/portfolio",
            &host,
            &[("Connection", "close")],
        ),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    drop(client);
    let (_, stderr) = server.stop().await;
    assert!(!stderr.contains("Too many open files"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_database_password_is_in_no_output_of_serve() {
    const SECRET: &str = "hunter2secret";
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("state")).unwrap();
    // Phase 4: dual writes, PostgreSQL configured (and down: port 1).
    std::fs::write(
        root.path().join("state/phase.toml"),
        "phase = \"4\"\nsince = \"2025-01-01T00:00:00Z\"\n",
    )
    .unwrap();
    let server = Running::start(
        root.path(),
        &[
            (
                "DATABASE_URL",
                "postgres://prescient:hunter2secret@127.0.0.1:1/prescient",
            ),
            ("PRESCIENT_PG_HEALTH_TIMEOUT_MS", "300"),
            ("PRESCIENT_PG_CONNECT_TIMEOUT_MS", "300"),
            ("RUST_LOG", "debug"),
        ],
        "phase",
        None,
    )
    .await;
    let client = reqwest::Client::new();
    let base = format!("http://{}", server.addr);
    let status = client
        .get(format!("{base}/trading/status"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(status.contains("prescient:***@127.0.0.1:1"), "{status}");
    let cycle = client
        .post(format!("{base}{}", api_support::CYCLE))
        .send()
        .await
        .unwrap();
    assert_eq!(cycle.status().as_u16(), 200);
    let cycle = cycle.text().await.unwrap();
    let (stdout, stderr) = server.stop().await;
    assert!(
        stderr.contains("PostgreSQL") && stderr.contains("DEBUG"),
        "the log should speak of the database it cannot reach, in detail: {stderr}"
    );
    eprintln!("{stderr}");
    for (what, text) in [
        ("status", &status),
        ("cycle", &cycle),
        ("stdout", &stdout),
        ("stderr", &stderr),
    ] {
        assert!(!text.contains(SECRET), "{what} shows the password: {text}");
    }

    // A URL that does not parse is reported, redacted, and serve stops.
    let out = Command::cargo_bin("prescient")
        .unwrap()
        .env_clear()
        .envs(base_env(
            &root.path().join("data"),
            &root.path().join("state"),
        ))
        .env(
            "DATABASE_URL",
            "postgres://prescient:hunter2secret@127.0.0.1:notaport/prescient",
        )
        .current_dir(root.path())
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--source",
            &example_source(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("cannot"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
}
