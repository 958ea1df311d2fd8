//! The JavaScript side of the suite: the npm packages (`tests/js/`) and the Chromium that
//! `scripts/test` installs, child processes run to a deadline, and a static page server on
//! an origin of its own (127.0.0.1, another port than the collector's).
//!
//! A test that needs these fails, never skips, when they are absent.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The posthog-js bundle the page loads, inside the npm packages' directory. It is the
/// file PostHog's snippet loads (`/static/array.full.js`): every extension bundled.
pub const POSTHOG_JS_BUNDLE: &str = "node_modules/posthog-js/dist/array.full.js";

fn required_env(name: &str, what: &str) -> PathBuf {
    match std::env::var_os(name) {
        Some(value) if !value.is_empty() => PathBuf::from(value),
        _ => panic!(
            "{name} is not set: this test needs {what}, which `scripts/test` installs and \
             exports (run the suite with scripts/test)"
        ),
    }
}

/// `tests/js` with its npm packages installed (`HUSH_TEST_JS_DIR`).
///
/// # Panics
/// When the variable is unset or the packages are not installed there.
pub fn js_dir() -> PathBuf {
    let dir = required_env(
        "HUSH_TEST_JS_DIR",
        "tests/js with posthog-js, posthog-node and playwright-core installed",
    );
    for package in ["posthog-js", "posthog-node", "playwright-core"] {
        let manifest = dir.join("node_modules").join(package).join("package.json");
        assert!(
            manifest.is_file(),
            "{} is missing: run scripts/test (it runs `npm ci` in tests/js)",
            manifest.display()
        );
    }
    dir
}

/// The Chromium executable (`HUSH_TEST_CHROMIUM`).
///
/// # Panics
/// When the variable is unset or names no file.
pub fn chromium() -> PathBuf {
    let path = required_env("HUSH_TEST_CHROMIUM", "Debian's chromium");
    assert!(
        path.is_file(),
        "HUSH_TEST_CHROMIUM={} is not a file: run scripts/test (it installs chromium)",
        path.display()
    );
    path
}

/// The version of an installed npm package, from its `package.json`.
pub fn package_version(js_dir: &Path, package: &str) -> Option<String> {
    let text = std::fs::read_to_string(
        js_dir
            .join("node_modules")
            .join(package)
            .join("package.json"),
    )
    .ok()?;
    let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
    manifest["version"].as_str().map(str::to_owned)
}

/// What a child process did.
#[derive(Debug)]
pub struct Finished {
    /// How it exited (killed at the deadline: not success).
    pub status: ExitStatus,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
    /// Whether it was killed at the deadline.
    pub timed_out: bool,
}

impl Finished {
    /// The last line of stdout parsed as JSON (the scripts print one report line).
    ///
    /// # Errors
    /// When there is none, with everything the process printed.
    pub fn report(&self) -> anyhow::Result<serde_json::Value> {
        let line = self
            .stdout
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with('{'));
        line.and_then(|l| serde_json::from_str(l).ok())
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no JSON report (exit {}, timed out: {}); stdout:\n{}\nstderr:\n{}",
                    self.status,
                    self.timed_out,
                    self.stdout,
                    self.stderr
                )
            })
    }
}

/// A child that is killed when dropped (a failing test leaves nothing running).
struct KillOnDrop(Option<Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `cmd` to completion or until `limit`, when it is killed. Output goes to temporary
/// files, so a chatty child never blocks on a full pipe. Blocking: call it from
/// `spawn_blocking` in async tests.
///
/// # Errors
/// When it cannot be started.
pub fn run(mut cmd: Command, limit: Duration) -> anyhow::Result<Finished> {
    let out = tempfile::NamedTempFile::new()?;
    let err = tempfile::NamedTempFile::new()?;
    cmd.stdin(Stdio::null())
        .stdout(out.reopen()?)
        .stderr(err.reopen()?);
    let program = format!("{:?}", cmd.get_program());
    let child = cmd
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start {program}: {e} (run scripts/test)"))?;
    let mut guard = KillOnDrop(Some(child));
    let deadline = Instant::now() + limit;
    let mut timed_out = false;
    let status = loop {
        let child = guard.0.as_mut().expect("child");
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            timed_out = true;
            let _ = child.kill();
            break child.wait()?;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    guard.0 = None;
    Ok(Finished {
        status,
        stdout: std::fs::read_to_string(out.path()).unwrap_or_default(),
        stderr: std::fs::read_to_string(err.path()).unwrap_or_default(),
        timed_out,
    })
}

/// `node <js_dir>/<script> <arg>` with `env`, to the deadline.
///
/// # Errors
/// When node cannot be started.
pub fn node(
    js_dir: &Path,
    script: &str,
    arg: &str,
    env: &[(&str, &str)],
    limit: Duration,
) -> anyhow::Result<Finished> {
    let mut cmd = Command::new("node");
    cmd.current_dir(js_dir).arg(js_dir.join(script)).arg(arg);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd, limit)
}

struct Site {
    page: String,
    bundle: Vec<u8>,
}

/// A static HTTP server on 127.0.0.1 serving the browser test's page (`/page.html`, from
/// `tests/js/page.html` with the collector's URL and the project key filled in) and the
/// posthog-js bundle (`/static/array.full.js`). Stops when dropped.
pub struct PageServer {
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl PageServer {
    /// Starts on a free port.
    ///
    /// # Errors
    /// When the page or the bundle cannot be read, or no port can be bound.
    pub async fn start(js_dir: &Path, collector_url: &str, token: &str) -> anyhow::Result<Self> {
        let page = std::fs::read_to_string(js_dir.join("page.html"))?
            .replace("__HUSH_COLLECTOR__", collector_url)
            .replace("__HUSH_TOKEN__", token);
        let bundle = std::fs::read(js_dir.join(POSTHOG_JS_BUNDLE))?;
        let site = Arc::new(Site { page, bundle });
        let app = Router::new()
            .route("/page.html", get(page_html))
            .route("/static/array.full.js", get(bundle_js))
            .with_state(site);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(PageServer {
            addr,
            stop: Some(stop),
        })
    }

    /// The page's origin, `http://127.0.0.1:<port>`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for PageServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn page_html(State(site): State<Arc<Site>>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        site.page.clone(),
    )
}

async fn bundle_js(State(site): State<Arc<Site>>) -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/javascript")],
        site.bundle.clone(),
    )
}
