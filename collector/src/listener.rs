//! Accepting TCP connections and serving HTTP/1 on them with the protections a public
//! endpoint needs: a cap on open connections, a header-read timeout, an idle timeout, and a
//! graceful stop.
//!
//! # The connection cap
//! A listener keeps at most [`ConnectionLimits::max_connections`] connections open. A
//! connection accepted past the cap is answered at once, without reading its request, with
//! `503 Service Unavailable`, `Retry-After: 1` and a JSON body (`code` `too_many_connections`),
//! and closed. At most [`MAX_REFUSING`] such answers are in flight; past that a connection
//! is closed without one.
//!
//! # Timeouts
//! A connection is always in one of three phases, and only the first two have a deadline.
//! Past it the connection is closed without an answer:
//! - **reading a head**: from the accept, or from the first byte after an answer, the whole
//!   request head must arrive within [`ConnectionLimits::header_read_timeout`], however
//!   slowly it trickles in (so a slowloris client cannot hold a connection open);
//! - **idle**: after an answer, the client must start its next request (and read the
//!   answer) within [`ConnectionLimits::idle_timeout`];
//! - **busy**: a request is being handled; the router's request timeout bounds it, reading
//!   the body included.
//!
//! # Clean stop
//! When the stop signal flips, the listener stops accepting; idle connections close at once
//! and busy ones after their answer (each still under its deadlines). [`run`] returns when
//! every connection is closed.

use crate::metrics::{ConnectionTimeout, Metrics};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt as _;

/// Most connections answered `503` at the same time when a listener is over its cap.
pub const MAX_REFUSING: usize = 64;

/// The body of the answer to a connection past the cap.
const REFUSAL_BODY: &str = r#"{"type":"server_error","code":"too_many_connections","detail":"the collector is at its connection limit; retry later"}"#;

/// How long answering a connection past the cap may take, in total.
const REFUSAL_TIME: Duration = Duration::from_secs(1);

/// Connections the kernel queues before they are accepted (capped by `net.core.somaxconn`).
/// The standard library's 128 overflows under a burst of new connections, and an overflowed
/// client waits for TCP retransmits (1 s, 3 s, ...) before it is even accepted.
pub const BACKLOG: u32 = 1024;

/// Binds a listener with a [`BACKLOG`]-deep accept queue.
///
/// # Errors
/// The I/O error of creating, binding or listening on the socket.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    // As the standard library does: a restarted collector can bind while old connections
    // are in TIME_WAIT.
    #[cfg(not(windows))]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Connection limits of one listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Longest time a request head may take to arrive. Default 10 s.
    pub header_read_timeout: Duration,
    /// Longest time a connection may stay idle between requests. Default 60 s.
    pub idle_timeout: Duration,
    /// Most connections open at once. Default 512.
    pub max_connections: usize,
}

impl ConnectionLimits {
    /// The limits of the main listener, from `[limits]`.
    pub fn from_config(limits: &hush_config::LimitsConfig) -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_millis(limits.header_read_timeout_ms),
            idle_timeout: Duration::from_millis(limits.idle_timeout_ms),
            max_connections: limits.max_connections.max(1),
        }
    }
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits::from_config(&hush_config::LimitsConfig::default())
    }
}

/// Serves `app` on `listener` until `stop` turns true, then waits for every connection to
/// close (see the module docs).
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|stopping| *stopping) => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                accept_failed(&e).await;
                continue;
            }
        };
        match open.clone().try_acquire_owned() {
            Ok(permit) => {
                metrics.connection_opened();
                let (app, metrics, stop) = (app.clone(), metrics.clone(), stop.clone());
                tokio::spawn(async move {
                    serve_connection(stream, app, limits, &metrics, stop).await;
                    metrics.connection_closed();
                    drop(permit);
                });
            }
            Err(_) => {
                metrics.connection_refused();
                if let Ok(slot) = refusing.clone().try_acquire_owned() {
                    tokio::spawn(async move {
                        refuse(stream).await;
                        drop(slot);
                    });
                }
            }
        }
    }
    drop(listener);
    // Every connection holds a permit until it is closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = open.acquire_many(all).await;
}

/// Accept errors are about one connection (reset before accept) or about the process (no
/// file descriptors left); for the latter, wait a little instead of spinning.
async fn accept_failed(e: &io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %e.kind(), "accepting a connection failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Answers a connection past the cap with a 503 and closes it. The client's request is
/// read and discarded (at most 64 KiB, within [`REFUSAL_TIME`]) so closing does not reset
/// the connection before the client has read the answer.
async fn refuse(mut stream: TcpStream) {
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{REFUSAL_BODY}",
        REFUSAL_BODY.len()
    );
    let _ = tokio::time::timeout(REFUSAL_TIME, async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        let mut buf = [0u8; 4096];
        let mut read = 0;
        while read < 64 * 1024 {
            match stream.read(&mut buf).await? {
                0 => break,
                n => read += n,
            }
        }
        io::Result::Ok(())
    })
    .await;
}

async fn serve_connection(
    stream: TcpStream,
    app: Router,
    limits: ConnectionLimits,
    metrics: &Metrics,
    mut stop: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let busy = Busy::begin(activity.clone());
            let app = app.clone();
            async move {
                let response = app.oneshot(request.map(axum::body::Body::new)).await;
                drop(busy);
                response
            }
        })
    };
    let connection = hyper::server::conn::http1::Builder::new()
        // The deadlines below replace hyper's own header timer, which would also cut idle
        // keep-alive connections at the header timeout.
        .header_read_timeout(None)
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(connection);
    let mut stopping = false;
    loop {
        let next_check = activity
            .deadline(&limits)
            .map_or_else(|| Instant::now() + limits.idle_timeout, |(at, _)| at);
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    // hyper's errors name the failure, never request content; the kind is
                    // enough to tell a reset from a malformed request.
                    tracing::debug!(
                        parse = e.is_parse(),
                        closed = e.is_closed() || e.is_incomplete_message(),
                        "connection ended with an error"
                    );
                }
                return;
            }
            _ = tokio::time::sleep_until(next_check) => {
                if let Some((at, why)) = activity.deadline(&limits) {
                    if Instant::now() >= at {
                        metrics.connection_timed_out(why);
                        tracing::debug!(phase = ?why, "connection closed by timeout");
                        return;
                    }
                }
            }
            _ = stop.wait_for(|stopping| *stopping), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// `head_since` when no request head is being read.
const NOT_READING: u64 = u64::MAX;

/// What a connection is doing, updated by its I/O and its requests, read by its timer.
/// Times are milliseconds since the accept.
struct Activity {
    accepted: Instant,
    /// Requests being handled.
    busy: AtomicUsize,
    /// When the current request head started arriving, or [`NOT_READING`].
    head_since: AtomicU64,
    /// When the connection last went idle or made progress writing an answer.
    idle_since: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity {
            accepted: Instant::now(),
            busy: AtomicUsize::new(0),
            // The first request's head is due from the accept on.
            head_since: AtomicU64::new(0),
            idle_since: AtomicU64::new(0),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.accepted.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn at(&self, ms: u64) -> Instant {
        self.accepted + Duration::from_millis(ms)
    }

    /// Bytes arrived: when no request is being handled, they start a request head.
    fn read(&self) {
        if self.busy.load(Ordering::Acquire) == 0 {
            let _ = self.head_since.compare_exchange(
                NOT_READING,
                self.now(),
                Ordering::AcqRel,
                Ordering::Acquire,
            );
        }
    }

    /// An answer made progress.
    fn wrote(&self) {
        self.idle_since.store(self.now(), Ordering::Release);
    }

    /// The deadline of the current phase and which timeout it is, or `None` while busy.
    fn deadline(&self, limits: &ConnectionLimits) -> Option<(Instant, ConnectionTimeout)> {
        if self.busy.load(Ordering::Acquire) > 0 {
            return None;
        }
        match self.head_since.load(Ordering::Acquire) {
            NOT_READING => Some((
                self.at(self.idle_since.load(Ordering::Acquire)) + limits.idle_timeout,
                ConnectionTimeout::Idle,
            )),
            since => Some((
                self.at(since) + limits.header_read_timeout,
                ConnectionTimeout::Header,
            )),
        }
    }
}

/// Marks a connection busy while one request is handled.
struct Busy(Arc<Activity>);

impl Busy {
    fn begin(activity: Arc<Activity>) -> Self {
        activity.busy.fetch_add(1, Ordering::AcqRel);
        activity.head_since.store(NOT_READING, Ordering::Release);
        Busy(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.idle_since.store(self.0.now(), Ordering::Release);
        self.0.head_since.store(NOT_READING, Ordering::Release);
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A TCP stream that reports its reads and writes to the connection's [`Activity`].
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_millis(100),
            idle_timeout: Duration::from_millis(1000),
            max_connections: 4,
        }
    }

    #[tokio::test]
    async fn phases_pick_their_deadline() {
        let activity = Arc::new(Activity::new());
        let (at, why) = activity.deadline(&limits()).unwrap();
        assert_eq!(
            why,
            ConnectionTimeout::Header,
            "the first head is due from the accept"
        );
        assert_eq!(at, activity.accepted + Duration::from_millis(100));

        let busy = Busy::begin(activity.clone());
        assert!(
            activity.deadline(&limits()).is_none(),
            "no deadline while busy"
        );
        activity.read();
        assert!(
            activity.deadline(&limits()).is_none(),
            "body bytes do not start a head"
        );
        drop(busy);
        let (_, why) = activity.deadline(&limits()).unwrap();
        assert_eq!(why, ConnectionTimeout::Idle);

        activity.read();
        let (_, why) = activity.deadline(&limits()).unwrap();
        assert_eq!(
            why,
            ConnectionTimeout::Header,
            "a byte after an answer starts a head"
        );
        let first = activity.deadline(&limits()).unwrap().0;
        activity.read();
        assert_eq!(
            activity.deadline(&limits()).unwrap().0,
            first,
            "more bytes do not push the head deadline back"
        );
    }
}
