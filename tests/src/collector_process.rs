//! The `hush-collector` binary as a child process, for tests that kill and restart it or
//! read its logs.

use crate::clickhouse::{free_port, repo_root};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Path of the `hush-collector` binary next to the test executable, built on demand.
///
/// # Panics
/// When it cannot be built.
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test> → target/<profile>/hush-collector
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("target dir");
    let bin = profile_dir.join("hush-collector");
    if !bin.exists() {
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.current_dir(repo_root()).args([
            "build",
            "-p",
            "hush-collector",
            "--bin",
            "hush-collector",
        ]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("running cargo build");
        assert!(status.success(), "building hush-collector failed");
    }
    bin
}

/// A command running the `hush-collector` binary without the suite's own `HUSH_*`
/// variables (`HUSH_TEST_CLICKHOUSE_URL`…), which are not collector settings.
pub fn command() -> Command {
    let mut cmd = Command::new(binary());
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HUSH_")) {
        cmd.env_remove(k);
    }
    cmd
}

/// A running collector process. Killed when dropped.
pub struct CollectorProcess {
    child: Option<Child>,
    /// Its listen address.
    pub addr: String,
    /// The file its stderr (the log) goes to.
    pub log_path: PathBuf,
    config_path: PathBuf,
    extra_env: Vec<(String, String)>,
}

impl CollectorProcess {
    /// Writes `config_toml` (which must not set `listen`) to `dir/hush.toml`, picks a free
    /// port, starts `hush-collector serve` and waits for `/healthz`.
    ///
    /// # Panics
    /// When it does not become healthy within 20 s.
    pub fn start(dir: &Path, config_toml: &str, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let config_path = dir.join("hush.toml");
        std::fs::write(&config_path, format!("listen = \"{addr}\"\n{config_toml}"))
            .expect("write config");
        let mut me = CollectorProcess {
            child: None,
            addr,
            log_path: dir.join("collector.log"),
            config_path,
            extra_env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        me.spawn();
        me
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open log");
        let mut cmd = command();
        cmd.arg("serve")
            .arg("--config")
            .arg(&self.config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log fd"))
            .stderr(log);
        for (k, v) in &self.extra_env {
            cmd.env(k, v);
        }
        self.child = Some(cmd.spawn().expect("spawn hush-collector"));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if healthz(&self.addr) {
                return;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "hush-collector exited with {status}; log:\n{}",
                    std::fs::read_to_string(&self.log_path).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "hush-collector did not become healthy"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait for a clean exit (bounded).
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if child.try_wait().ok().flatten().is_some() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the same configuration again.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Everything the process wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for CollectorProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn healthz(addr: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = String::new();
    let _ = stream.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.1 200")
}
