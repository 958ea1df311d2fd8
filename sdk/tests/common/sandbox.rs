//! A sandbox per test: its own temporary project, config and cache directories and an
//! explicit environment, so nothing touches the developer's real HOME; plus the helpers
//! the tests share.

use hush_config::catalogue::{
    DEV_SERVER_FAILED, DEV_SERVER_STARTED, ERROR_REPORT, FEATURE_USED, PERFORMANCE_METRIC,
    PROMPT_SENT, SETUP_COMPLETED, SETUP_FAILED,
};
use hush_sdk::{Builder, EventClass, Telemetry, CATALOGUE};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tempfile::TempDir;

/// A project key: with it, telemetry is on (basic) unless a rule turns it off.
pub const KEY: &str = "phc_test_project_key";
/// The machine id the sandbox hands the SDK instead of the real one.
pub const RAW_ID: &str = "0123456789abcdef0123456789abcdef";
/// How long a test waits for what should happen quickly.
pub const WAIT: Duration = Duration::from_secs(10);

/// The temporary directories of one test.
pub struct Dirs {
    root: TempDir,
}

impl Dirs {
    pub fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("project")).unwrap();
        Dirs { root }
    }
    pub fn project(&self) -> PathBuf {
        self.root.path().join("project")
    }
    pub fn config(&self) -> PathBuf {
        self.root.path().join("config")
    }
    pub fn cache(&self) -> PathBuf {
        self.root.path().join("cache")
    }
    pub fn dotenv(&self, text: &str) {
        std::fs::write(self.project().join(".env"), text).unwrap();
    }
    /// Files the SDK created (anything but the project's `.env`).
    pub fn created(&self) -> Vec<PathBuf> {
        let mut all = files_under(&self.config());
        all.extend(files_under(&self.cache()));
        all.extend(
            files_under(&self.project())
                .into_iter()
                .filter(|p| p.file_name().is_none_or(|n| n != ".env")),
        );
        all
    }
    pub fn builder(&self, host: &str, env: &[(&str, &str)]) -> Builder {
        Telemetry::builder("devtool", "1.2.3")
            .environment(env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .dotenv_dir(self.project())
            .config_dir(self.config())
            .cache_dir(self.cache())
            .host(host)
            .machine_id(Some(RAW_ID.to_string()))
            .flush_interval(Duration::from_secs(60))
            .retries(3, Duration::from_millis(20))
            .request_timeout(Duration::from_secs(2))
            .shutdown_timeout(Duration::from_secs(3))
    }
}

/// Calls the SDK method of every catalogued event once, in catalogue order (basic ones
/// first). A catalogue event without a case here panics, naming it.
pub fn every_event(t: &Telemetry) {
    for &(name, _) in CATALOGUE {
        send(t, name);
    }
}

/// Calls the SDK method that sends `name`.
fn send(t: &Telemetry, name: &str) {
    match name {
        SETUP_COMPLETED => t.setup_completed(Duration::from_millis(1500)),
        SETUP_FAILED => t.setup_failed("setup failed"),
        DEV_SERVER_STARTED => t.dev_server_started(Duration::from_millis(300)),
        DEV_SERVER_FAILED => t.dev_server_failed("port 3000 in use"),
        ERROR_REPORT => t.error_report("boom"),
        FEATURE_USED => t.feature_used("templates"),
        PERFORMANCE_METRIC => t.performance_metric("build", 1.5, "s"),
        PROMPT_SENT => t.prompt_sent("hello model", "gpt-4o"),
        other => panic!("no SDK method for the catalogue event `{other}`: add it to `send`"),
    }
}

/// The catalogued event names of `class`, in catalogue order.
pub fn catalogue_names(class: Option<EventClass>) -> Vec<&'static str> {
    CATALOGUE
        .iter()
        .filter(|(_, c)| class.is_none_or(|class| *c == class))
        .map(|(name, _)| *name)
        .collect()
}

/// The event names, in order.
pub fn names(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_string())
        .collect()
}

/// Every file under `dir` (recursively); empty when `dir` does not exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.push(path.clone());
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A `Write` that keeps what was written.
#[derive(Clone, Default)]
pub struct Captured(pub Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}
