//! A local stand-in for PostHog's capture API. It checks what PostHog's capture checks —
//! a project token present and not a `phx_` personal key, `event` and `distinct_id` on every
//! event, a body under 20 MB — and records what it accepted. It can be told to fail.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// PostHog's capture body limit.
pub const MAX_BODY: usize = 20 * 1024 * 1024;

/// What the stand-in holds; shared with its persons API.
#[derive(Default)]
pub struct Shared {
    /// Every event accepted (the persons API deletes a person's).
    pub events: Vec<Value>,
    api_keys: Vec<String>,
    requests: usize,
    rejected: usize,
    fail_next: usize,
    fail_status: u16,
    /// The persons API's state.
    pub persons: super::posthog_persons::Persons,
}

/// The running stand-in. Stops when dropped.
pub struct PostHogStandIn {
    addr: SocketAddr,
    inner: Arc<Mutex<Shared>>,
    stop: Option<oneshot::Sender<()>>,
}

impl PostHogStandIn {
    /// Starts on a free port on 127.0.0.1.
    ///
    /// # Panics
    /// When it cannot bind.
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Shared::default()));
        let mut app = Router::new();
        for path in [
            "/batch",
            "/batch/",
            "/capture",
            "/capture/",
            "/e",
            "/e/",
            "/i/v0/e/",
        ] {
            app = app.route(path, post(capture));
        }
        let app = app
            .merge(super::posthog_persons::routes())
            .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("local addr");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        PostHogStandIn {
            addr,
            inner,
            stop: Some(stop),
        }
    }

    /// The host to configure as `[posthog].host`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every event accepted so far.
    pub fn events(&self) -> Vec<Value> {
        self.lock().events.clone()
    }

    /// The project keys that came with accepted requests.
    pub fn api_keys(&self) -> Vec<String> {
        self.lock().api_keys.clone()
    }

    /// Requests received, accepted or not.
    pub fn requests(&self) -> usize {
        self.lock().requests
    }

    /// Requests refused by validation.
    pub fn rejected(&self) -> usize {
        self.lock().rejected
    }

    /// Answers the next `n` requests with `status` (e.g. 503) instead of accepting them.
    pub fn fail_next(&self, n: usize, status: u16) {
        let mut inner = self.lock();
        inner.fail_next = n;
        inner.fail_status = status;
    }

    /// Distinct ids whose person the persons API deleted.
    pub fn deleted_persons(&self) -> Vec<String> {
        self.lock().persons.deleted.clone()
    }

    /// Whether the persons API knows a person with this distinct id.
    pub fn has_person(&self, distinct_id: &str) -> bool {
        self.lock().persons.by_distinct_id.contains_key(distinct_id)
    }

    /// Answers the next `n` persons API requests with 503.
    pub fn fail_persons_next(&self, n: usize) {
        self.lock().persons.fail_next = n;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for PostHogStandIn {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn reject(status: StatusCode, detail: &str) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(json!({"type": "validation_error", "detail": detail})),
    )
}

async fn capture(
    State(inner): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let mut guard = inner.lock().unwrap_or_else(|e| e.into_inner());
    guard.requests += 1;
    if guard.fail_next > 0 {
        guard.fail_next -= 1;
        let status =
            StatusCode::from_u16(guard.fail_status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return (status, Json(json!({"detail": "stand-in told to fail"})));
    }
    let gzip = headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let bytes = if gzip || body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let read = flate2::read::MultiGzDecoder::new(&body[..])
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut out);
        if read.is_err() {
            guard.rejected += 1;
            return reject(StatusCode::BAD_REQUEST, "bad gzip");
        }
        out
    } else {
        body.to_vec()
    };
    if bytes.len() > MAX_BODY {
        guard.rejected += 1;
        return reject(StatusCode::PAYLOAD_TOO_LARGE, "body over 20 MB");
    }
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => {
            guard.rejected += 1;
            return reject(StatusCode::BAD_REQUEST, "malformed JSON");
        }
    };
    let token = value
        .get("api_key")
        .or_else(|| value.get("token"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if token.is_empty() {
        guard.rejected += 1;
        return reject(StatusCode::UNAUTHORIZED, "API key is missing");
    }
    if token.starts_with("phx_") {
        guard.rejected += 1;
        return reject(
            StatusCode::UNAUTHORIZED,
            "personal API key used as project key",
        );
    }
    let events: Vec<Value> = match value.get("batch") {
        Some(Value::Array(events)) => events.clone(),
        _ if value.get("event").is_some() => vec![value.clone()],
        _ => {
            guard.rejected += 1;
            return reject(StatusCode::BAD_REQUEST, "no batch");
        }
    };
    for event in &events {
        let has = |field: &str| {
            event
                .get(field)
                .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()) || v.is_number())
        };
        if !has("event") || !has("distinct_id") {
            guard.rejected += 1;
            return reject(StatusCode::BAD_REQUEST, "event or distinct_id missing");
        }
    }
    guard.api_keys.push(token);
    // PostHog makes a person for every distinct id it sees.
    for event in &events {
        if let Some(id) = event["distinct_id"].as_str() {
            let fresh = format!("0190{:028x}", guard.persons.by_distinct_id.len() + 1);
            guard
                .persons
                .by_distinct_id
                .entry(id.to_owned())
                .or_insert(fresh);
        }
    }
    guard.events.extend(events);
    (StatusCode::OK, Json(json!({"status": "Ok"})))
}
