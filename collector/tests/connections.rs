//! Connection hygiene on a real socket: slowloris and idle keep-alive connections are closed
//! by the header-read and idle timeouts while `/healthz` keeps answering fast, and a
//! connection past the cap gets an immediate 503 with `Retry-After`.

mod common;

use common::{get, parse_answer, Server};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const HEADER_TIMEOUT_MS: u64 = 400;
const IDLE_TIMEOUT_MS: u64 = 600;
/// Scheduling slack allowed on top of a timeout before a connection counts as not closed
/// (generous: the machine may be busy compiling).
const SLACK: Duration = Duration::from_millis(3000);

/// Until `stop`, asks `/healthz` on a fresh connection every 20 ms; returns the latencies.
fn probe(addr: SocketAddr, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<Duration>> {
    std::thread::spawn(move || {
        let mut latencies = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let started = Instant::now();
            let answer = get(addr, "/healthz", &[]);
            latencies.push(started.elapsed());
            assert_eq!(answer.status, 200);
            std::thread::sleep(Duration::from_millis(20));
        }
        latencies
    })
}

/// Waits until the server closes `stream` (EOF or reset), at most `limit` after `started`;
/// while waiting, sends `trickle` every 50 ms if given. Returns how long after `started` it
/// was closed, or `None`. `started` is taken before the client acted (connected, or sent
/// its request), so the time is never shorter than what the server measured.
async fn until_closed(
    mut stream: tokio::net::TcpStream,
    started: Instant,
    trickle: Option<&[u8]>,
    limit: Duration,
) -> Option<Duration> {
    let mut buf = [0u8; 1024];
    loop {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return Some(started.elapsed()),
                Ok(_) => {}
            },
            _ = tokio::time::sleep(Duration::from_millis(50)) => {
                if let Some(bytes) = trickle {
                    if stream.write_all(bytes).await.is_err() {
                        return Some(started.elapsed());
                    }
                }
            }
        }
        if started.elapsed() > limit {
            return None;
        }
    }
}

fn metric(addr: SocketAddr, line_start: &str) -> u64 {
    let text = get(addr, "/metrics", &[]).text();
    text.lines()
        .find_map(|l| l.strip_prefix(line_start))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {line_start} in\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_and_idle_connections_are_closed_while_healthz_stays_fast() {
    let server = Server::start(
        &format!(
            "[limits]\nheader_read_timeout_ms = {HEADER_TIMEOUT_MS}\nidle_timeout_ms = {IDLE_TIMEOUT_MS}\n"
        ),
        false,
    );
    let addr = server.addr;
    let stop = Arc::new(AtomicBool::new(false));
    let prober = probe(addr, stop.clone());

    let header_limit = Duration::from_millis(HEADER_TIMEOUT_MS) + SLACK;
    let idle_limit = Duration::from_millis(IDLE_TIMEOUT_MS) + SLACK;
    let mut attackers = Vec::new();
    // 200 slowloris clients: a request line, then one header line every 50 ms, forever.
    for _ in 0..200 {
        attackers.push(tokio::spawn(async move {
            let started = Instant::now();
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream
                .write_all(b"POST /batch/ HTTP/1.1\r\nHost: x\r\n")
                .await
                .unwrap();
            (
                "slowloris",
                until_closed(stream, started, Some(b"X-Slow: 1\r\n"), header_limit).await,
            )
        }));
    }
    // 20 clients that connect and send nothing.
    for _ in 0..20 {
        attackers.push(tokio::spawn(async move {
            let started = Instant::now();
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            (
                "silent",
                until_closed(stream, started, None, header_limit).await,
            )
        }));
    }
    // 50 keep-alive clients that make one request and then sit idle.
    let mut idlers = Vec::new();
    for _ in 0..50 {
        idlers.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let started = Instant::now();
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            let mut answer = Vec::new();
            let mut buf = [0u8; 1024];
            while !answer.ends_with(b"{\"status\":\"ok\"}") {
                let n = stream.read(&mut buf).await.unwrap();
                assert!(n > 0, "closed before answering");
                answer.extend_from_slice(&buf[..n]);
            }
            assert!(answer.starts_with(b"HTTP/1.1 200"));
            until_closed(stream, started, None, idle_limit).await
        }));
    }

    for attacker in attackers {
        let (kind, closed) = attacker.await.unwrap();
        let closed = closed.unwrap_or_else(|| {
            panic!(
                "a {kind} connection was never closed; open: {}",
                metric(addr, "hush_connections_open ")
            )
        });
        assert!(
            closed >= Duration::from_millis(HEADER_TIMEOUT_MS * 8 / 10),
            "a {kind} connection closed after {closed:?}, before the header timeout"
        );
    }
    for idler in idlers {
        let closed = idler
            .await
            .unwrap()
            .expect("an idle connection was never closed");
        assert!(
            closed >= Duration::from_millis(IDLE_TIMEOUT_MS * 8 / 10),
            "an idle connection closed after {closed:?}, before the idle timeout"
        );
    }
    stop.store(true, Ordering::Relaxed);
    let latencies = prober.join().unwrap();
    let slowest = latencies.iter().max().copied().unwrap_or_default();
    eprintln!(
        "{} /healthz probes during the attack, slowest {slowest:?}",
        latencies.len()
    );
    assert!(latencies.len() >= 10, "too few probes: {}", latencies.len());
    assert!(
        slowest < Duration::from_millis(100),
        "/healthz took {slowest:?} during the attack"
    );
    assert!(metric(addr, "hush_connections_timed_out_total{phase=\"header\"}") >= 220);
    assert!(metric(addr, "hush_connections_timed_out_total{phase=\"idle\"}") >= 50);
}

#[test]
fn past_the_cap_a_connection_gets_503_with_retry_after_at_once() {
    let server = Server::start(
        "[limits]\nmax_connections = 4\nheader_read_timeout_ms = 5000\n",
        false,
    );
    // Four connections that send nothing hold the four places.
    let holders: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(server.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    let mut extra = TcpStream::connect(server.addr).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut raw = Vec::new();
    let _ = extra.read_to_end(&mut raw);
    let answer = parse_answer(&raw);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused after {:?}",
        started.elapsed()
    );
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert_eq!(answer.header("connection"), Some("close"));
    assert_eq!(answer.json()["code"], "too_many_connections");

    // Places free up as soon as the holders leave.
    drop(holders);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let answer = parse_answer(&raw);
        if answer.status == 200 {
            let refused: u64 = answer
                .text()
                .lines()
                .find_map(|l| l.strip_prefix("hush_connections_refused_total "))
                .and_then(|v| v.parse().ok())
                .unwrap();
            assert!(refused >= 1, "{}", answer.text());
            break;
        }
        assert!(Instant::now() < deadline, "the places never freed up");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_stop_closes_idle_and_silent_connections_at_once() {
    // Default timeouts (10 s, 60 s): the stop must not wait for them.
    let server = Server::start("", false);
    let mut idle = TcpStream::connect(server.addr).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 512];
    let n = idle.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    let silent = TcpStream::connect(server.addr).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    drop(server);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the stop waited {:?} for idle connections",
        started.elapsed()
    );
    idle.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    assert_eq!(
        idle.read(&mut buf).unwrap_or(0),
        0,
        "the idle connection is closed"
    );
    drop(silent);
}

#[test]
fn a_body_sent_too_slowly_is_answered_503_at_the_request_timeout() {
    let server = Server::start(
        "[limits]\nrequest_timeout_ms = 500\nheader_read_timeout_ms = 5000\n",
        false,
    );
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    stream
        .write_all(b"POST /batch/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{\"api")
        .unwrap();
    // One more byte now and then, never the whole body.
    let mut raw = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let _ = stream.write_all(b" ");
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break, // reset after the answer
        }
        assert!(started.elapsed() < Duration::from_secs(5), "never answered");
    }
    let answer = parse_answer(&raw);
    assert_eq!(answer.status, 503, "{}", answer.text());
    assert_eq!(answer.json()["code"], "timeout");
    assert!(started.elapsed() >= Duration::from_millis(400));
}
