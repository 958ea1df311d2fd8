//! A tiny HTTP collector stand-in on 127.0.0.1: counts TCP connections, records requests
//! (gunzipping bodies), answers with scripted statuses, or hangs. Unscripted, it also
//! answers the data-rights contract: `POST /v1/erase` (`202` and a receipt; the person's
//! events received so far count as removed), `GET /v1/erase/{receipt}` (`done`, with
//! `removed.local`) and `POST /v1/export` (the person's events not erased, as JSON Lines).

use flate2::read::GzDecoder;
use serde_json::Value;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body after gunzip, as text.
    pub body: String,
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("request body is JSON")
    }
}

#[derive(Default)]
struct Inner {
    connections: AtomicUsize,
    requests: Mutex<Vec<Request>>,
    /// (status, Retry-After) answers, in order; 200 when empty.
    script: Mutex<VecDeque<(u16, Option<String>)>>,
    hang: AtomicBool,
    stop: AtomicBool,
    /// Erase receipts: (receipt, events removed).
    receipts: Mutex<Vec<(String, usize)>>,
    /// Accepted erases: (id, index of the erase request).
    erased: Mutex<Vec<(String, usize)>>,
}

pub struct Collector {
    pub addr: std::net::SocketAddr,
    inner: Arc<Inner>,
}

impl Collector {
    pub fn start() -> Self {
        Self::with(false)
    }

    /// Accepts connections and never answers.
    pub fn hung() -> Self {
        Self::with(true)
    }

    /// Listens on `addr` (e.g. the address of an earlier [`Collector::down_url`]).
    pub fn start_at(addr: &str) -> Self {
        Self::listen(TcpListener::bind(addr).unwrap(), false)
    }

    fn with(hang: bool) -> Self {
        Self::listen(TcpListener::bind("127.0.0.1:0").unwrap(), hang)
    }

    fn listen(listener: TcpListener, hang: bool) -> Self {
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(Inner::default());
        inner.hang.store(hang, Ordering::SeqCst);
        let i = Arc::clone(&inner);
        std::thread::spawn(move || {
            while !i.stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        i.connections.fetch_add(1, Ordering::SeqCst);
                        let i = Arc::clone(&i);
                        std::thread::spawn(move || serve(stream, &i));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Collector { addr, inner }
    }

    /// The address of a port nobody listens on.
    pub fn down_url() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        format!("http://{addr}")
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn script(&self, answers: &[(u16, Option<&str>)]) {
        let mut s = self.inner.script.lock().unwrap();
        for (code, retry) in answers {
            s.push_back((*code, retry.map(str::to_string)));
        }
    }

    pub fn connections(&self) -> usize {
        self.inner.connections.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.inner.requests.lock().unwrap().clone()
    }

    /// Every event of every batch received.
    pub fn events(&self) -> Vec<Value> {
        batch_events(&self.requests())
    }

    /// The requests to the data-rights routes (`/v1/…`).
    pub fn rights_requests(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/v1/"))
            .collect()
    }

    /// Waits (at most `timeout`) until `n` events arrived.
    pub fn wait_for_events(&self, n: usize, timeout: Duration) -> Vec<Value> {
        let end = Instant::now() + timeout;
        loop {
            let events = self.events();
            if events.len() >= n || Instant::now() >= end {
                return events;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
    }
}

/// Reads what the peer sent into `buf`: `Some(true)` with data, `Some(false)` when the
/// read timed out, `None` when the connection is over (closed or failed).
fn read_some(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<bool> {
    let mut chunk = [0u8; 8192];
    match stream.read(&mut chunk) {
        Ok(0) => None,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            Some(true)
        }
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Some(false)
        }
        Err(_) => None,
    }
}

fn serve(mut stream: TcpStream, inner: &Inner) {
    stream.set_nonblocking(false).ok();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .ok();
    let mut buf = Vec::new();
    let started = Instant::now();
    loop {
        if inner.stop.load(Ordering::SeqCst) || started.elapsed() > Duration::from_secs(60) {
            return;
        }
        if inner.hang.load(Ordering::SeqCst) {
            // Read and discard, never answer.
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk) {
                Ok(0) => return,
                _ => continue,
            }
        }
        let Some(head_end) = find(&buf, b"\r\n\r\n") else {
            if read_some(&mut stream, &mut buf).is_none() {
                return;
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default().to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + 4 + len {
            match read_some(&mut stream, &mut buf) {
                None => return,
                Some(false) if inner.stop.load(Ordering::SeqCst) => return,
                Some(_) => {}
            }
        }
        let raw: Vec<u8> = buf.drain(..head_end + 4 + len).skip(head_end + 4).collect();
        let gz = headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-encoding") && v.contains("gzip"));
        let body = if gz {
            let mut s = String::new();
            GzDecoder::new(&raw[..])
                .read_to_string(&mut s)
                .expect("valid gzip");
            s
        } else {
            String::from_utf8_lossy(&raw).to_string()
        };
        let mut words = request_line.split(' ');
        let request = Request {
            method: words.next().unwrap_or_default().to_string(),
            path: words.next().unwrap_or_default().to_string(),
            headers,
            body,
            at: Instant::now(),
        };
        let (code, retry_after) = inner
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or((200, None));
        let (code, content_type, payload) = if code != 200 {
            (code, "application/json", "{\"error\":\"x\"}".to_string())
        } else if request.path.starts_with("/v1/") {
            rights(inner, &request)
        } else {
            (200, "application/json", "{\"status\":1}".to_string())
        };
        inner.requests.lock().unwrap().push(request);
        let mut response = format!(
            "HTTP/1.1 {code} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
            payload.len()
        );
        if let Some(r) = retry_after {
            response.push_str(&format!("Retry-After: {r}\r\n"));
        }
        response.push_str("\r\n");
        response.push_str(&payload);
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// The events of the batch requests among `requests`.
fn batch_events(requests: &[Request]) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| r.path.starts_with("/batch"))
        .flat_map(|r| r.json()["batch"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// The person's events: those of batches received after their last accepted erase.
fn person_events(inner: &Inner, requests: &[Request], id: &str) -> Vec<Value> {
    let from = inner
        .erased
        .lock()
        .unwrap()
        .iter()
        .filter(|(erased, _)| erased == id)
        .map(|(_, at)| at + 1)
        .max()
        .unwrap_or(0)
        .min(requests.len());
    batch_events(&requests[from..])
        .into_iter()
        .filter(|e| e["distinct_id"] == id)
        .collect()
}

/// The answer of a data-rights route.
fn rights(inner: &Inner, request: &Request) -> (u16, &'static str, String) {
    let requests = inner.requests.lock().unwrap().clone();
    let body: Value = serde_json::from_str(&request.body).unwrap_or(Value::Null);
    let id = body["distinct_id"].as_str().unwrap_or_default();
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/v1/erase") => {
            let removed = person_events(inner, &requests, id).len();
            inner
                .erased
                .lock()
                .unwrap()
                .push((id.to_string(), requests.len()));
            let mut receipts = inner.receipts.lock().unwrap();
            let receipt = format!("{:032x}", receipts.len() + 1);
            receipts.push((receipt.clone(), removed));
            let answer = serde_json::json!({"receipt": receipt, "status": "pending"});
            (202, "application/json", answer.to_string())
        }
        ("POST", "/v1/export") => {
            let lines: String = person_events(inner, &requests, id)
                .iter()
                .map(|e| format!("{e}\n"))
                .collect();
            (200, "application/x-ndjson", lines)
        }
        ("GET", path) => {
            let receipt = path.trim_start_matches("/v1/erase/");
            match inner
                .receipts
                .lock()
                .unwrap()
                .iter()
                .find(|(r, _)| r == receipt)
            {
                Some((r, removed)) => {
                    let answer = serde_json::json!({"receipt": r, "status": "done",
                        "removed": {"queue": 0, "local": removed, "clickhouse": null},
                        "posthog": "PostHog keeps its copy"});
                    (200, "application/json", answer.to_string())
                }
                None => (404, "application/json", "{\"code\":\"not_found\"}".into()),
            }
        }
        _ => (404, "application/json", "{\"code\":\"not_found\"}".into()),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
