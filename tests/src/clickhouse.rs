//! A real ClickHouse server, started by `scripts/clickhouse`.
//!
//! [`shared_url`] is the server `scripts/test` started for the whole suite; a test that needs
//! to stop and restart ClickHouse starts its own with [`OwnClickHouse::start`]. A test that
//! needs ClickHouse fails, never skips, when it is absent.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// The repository root (the workspace), found from this crate's manifest directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn script() -> PathBuf {
    std::env::var_os("HUSH_CLICKHOUSE_SCRIPT")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("scripts/clickhouse"))
}

/// The URL of the suite's ClickHouse.
///
/// # Panics
/// When `HUSH_TEST_CLICKHOUSE_URL` is not set: run the suite with `scripts/test`, which
/// installs and starts ClickHouse.
pub fn shared_url() -> String {
    match std::env::var("HUSH_TEST_CLICKHOUSE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "HUSH_TEST_CLICKHOUSE_URL is not set: this test needs the real ClickHouse that \
             `scripts/test` starts (run the suite with scripts/test)"
        ),
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

/// A ClickHouse server of this test's own, in a temporary directory.
pub struct OwnClickHouse {
    dir: TempDir,
    http_port: u16,
    tcp_port: u16,
}

impl OwnClickHouse {
    /// Starts a server on free ports and waits until `/ping` answers.
    ///
    /// # Panics
    /// When the server cannot be installed or started.
    pub fn start() -> Self {
        let dir = TempDir::new().expect("temp dir");
        let me = OwnClickHouse {
            dir,
            http_port: free_port(),
            tcp_port: free_port(),
        };
        me.run("start");
        me
    }

    fn run(&self, cmd: &str) {
        let out = Command::new(script())
            .arg(cmd)
            .arg(self.dir.path())
            .arg(self.http_port.to_string())
            .arg(self.tcp_port.to_string())
            .output()
            .expect("running scripts/clickhouse");
        assert!(
            out.status.success(),
            "scripts/clickhouse {cmd} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The HTTP URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// Stops the server (its data stays).
    pub fn stop(&self) {
        self.run("stop");
    }

    /// Starts it again on the same ports and data.
    pub fn restart(&self) {
        self.run("start");
    }
}

impl Drop for OwnClickHouse {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .arg("stop")
            .arg(self.dir.path())
            .output();
    }
}

/// A plain HTTP query against ClickHouse, for assertions (`FORMAT` as the query says).
///
/// # Errors
/// When the request fails or ClickHouse answers an error.
pub async fn query(url: &str, sql: &str) -> anyhow::Result<String> {
    let response = reqwest::Client::new()
        .post(url)
        .body(sql.to_string())
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    anyhow::ensure!(status.is_success(), "ClickHouse answered {status}: {text}");
    Ok(text)
}
