//! Shared by the socket-level tests: a collector on its own runtime (as in a real process),
//! the `hush-collector` binary as a child, and a minimal blocking HTTP/1.1 client that talks
//! to 127.0.0.1 only.

#![allow(dead_code)] // each test binary uses a part

use hush_collector::{serve_on, Listeners};
use hush_config::CollectorConfig;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

pub const KEY: &str = "phc_socket_test_key";
pub const HASH_KEY: &str = "socket-test-hash-key-0123456789abcdef-xyz";

/// Writes `hush.toml` in `dir`: the data dir, `extra`, and one tenant with [`KEY`].
pub fn write_config(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("hush.toml");
    std::fs::write(
        &path,
        format!(
            "data_dir = \"{}\"\n{extra}\n[[tenants]]\nname = \"t\"\napi_key = \"{KEY}\"\nhash_key = \"{HASH_KEY}\"\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    path
}

/// A collector serving on loopback from its own thread and runtime, so the test's own work
/// does not share its scheduler. Stopped (gracefully) on drop.
pub struct Server {
    /// The main listener.
    pub addr: SocketAddr,
    /// The admin listener, when asked for.
    pub admin: Option<SocketAddr>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: TempDir,
}

impl Server {
    /// Starts a collector with `extra` in its config and, if `admin`, an admin listener.
    pub fn start(extra: &str, admin: bool) -> Server {
        let dir = TempDir::new().unwrap();
        let path = write_config(dir.path(), extra);
        let config = CollectorConfig::load_from(Some(&path), Vec::new()).unwrap();
        let (addrs_tx, addrs_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
                let main = hush_collector::listener::bind(loopback).unwrap();
                let admin = admin.then(|| hush_collector::listener::bind(loopback).unwrap());
                let admin_addr = admin.as_ref().map(|l| l.local_addr().unwrap());
                addrs_tx
                    .send((main.local_addr().unwrap(), admin_addr))
                    .unwrap();
                let listeners = Listeners { main, admin };
                serve_on(config, listeners, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            });
        });
        let (addr, admin) = addrs_rx.recv_timeout(Duration::from_secs(20)).unwrap();
        Server {
            addr,
            admin,
            stop: Some(stop),
            thread: Some(thread),
            _dir: dir,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An answer, as read off the socket.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Everything the client saw, for "never echoed" checks.
    pub fn everything(&self) -> String {
        let mut all = String::new();
        for (k, v) in &self.headers {
            all.push_str(&format!("{k}: {v}\n"));
        }
        all.push_str(&self.text());
        all
    }
}

/// Parses a complete HTTP/1.1 answer (read until the server closed).
pub fn parse_answer(raw: &[u8]) -> Answer {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// Sends one request (`Connection: close` is added) and reads the whole answer.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (and close) before it has read everything, e.g. a 413.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_answer(&raw)
}

pub fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Answer {
    request(addr, "GET", path, headers, b"")
}

/// The `hush-collector` binary, with no `HUSH_*` variable from the test's environment.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hush-collector"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HUSH_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// `hush-collector serve` as a child on a free loopback port, its log in a file. Killed on
/// drop if still running.
pub struct Process {
    pub child: Child,
    pub addr: SocketAddr,
    pub log: PathBuf,
    pub dir: TempDir,
}

impl Process {
    /// Starts the binary with `extra` in its config and `env`, and waits for `/healthz`.
    pub fn start(extra: &str, env: &[(&str, &str)]) -> Process {
        let dir = TempDir::new().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let path = write_config(dir.path(), &format!("listen = \"{addr}\"\n{extra}"));
        let log = dir.path().join("collector.log");
        let mut cmd = bin();
        cmd.arg("serve")
            .arg("--config")
            .arg(&path)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect(addr).is_ok() && get(addr, "/healthz", &[]).status == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "collector never became healthy");
            std::thread::sleep(Duration::from_millis(50));
        }
        Process {
            child,
            addr,
            log,
            dir,
        }
    }

    /// A line of `/proc/<pid>/status`, in kB (e.g. `VmHWM`, the peak resident set).
    pub fn status_kb(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc status"))
    }

    /// SIGTERM, wait for the exit (at most 20 s), and return the log.
    pub fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::fs::read_to_string(&self.log).unwrap()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A collector started in this process, answering through its router with no socket
/// (`app.oneshot(request)`). Its data directory lives as long as the value.
pub struct InProcess {
    /// The temporary directory holding `hush.toml` and `data/`.
    pub dir: TempDir,
    /// The router.
    pub app: axum::Router,
    /// The collector (its state, queue and sinks).
    pub collector: hush_collector::Collector,
}

/// Starts a collector from `toml`, a configuration whose `data_dir` is set here (under a
/// temporary directory).
pub async fn in_process(toml: &str) -> InProcess {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("hush.toml");
    let data = dir.path().join("data");
    std::fs::write(&path, format!("data_dir = \"{}\"\n{toml}", data.display())).unwrap();
    let config = CollectorConfig::load_from(Some(&path), Vec::new()).unwrap();
    let collector = hush_collector::Collector::start(&config).await.unwrap();
    InProcess {
        app: hush_collector::router(collector.state.clone()),
        collector,
        dir,
    }
}
