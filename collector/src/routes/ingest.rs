//! `POST /batch/`, `/capture/`, `/e/`, `/i/v0/e/`: accept, validate, run the pipeline,
//! queue durably, and only then answer 200.
//!
//! The work per request is bounded before any event is built, in this order:
//! 1. the body is read up to `max_body_bytes` (refused at once when `Content-Length` says
//!    more), and decoded (gzip, base64, form) up to the same cap;
//! 2. the top level is read with each event as a raw slice ([`Envelope`]): a batch longer
//!    than `max_batch_len` is refused while reading;
//! 3. the body's project key is checked (401 for an unknown key);
//! 4. each event is counted against the nesting, key, property and string limits
//!    ([`Budget`], 413 naming the limit), finding the keys events carry themselves;
//! 5. the rate limit is taken; then events are parsed and run through the pipeline one at a
//!    time, so only one event tree exists at once.
//!
//! Peak memory per request is the body, its decoded form (when compressed), the scrubbed
//! records, and one event at a time.

use super::app_state::AppState;
use super::budget::Budget;
use super::cors::{origin_refused, OriginVerdict};
use super::decode::{decode_body, Compression};
use super::envelope::Envelope;
use super::error::ApiError;
use super::recent::Claim;
use crate::drop_reason::DropReason;
use crate::pipeline::{now, BatchError, ProcessedBatch, Tenant};
use crate::queue::QueueError;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

/// Bodies larger than this (and every compressed or form body) are handled on the blocking
/// pool, off the I/O threads.
pub(super) const INLINE_BODY_BYTES: usize = 64 * 1024;

/// The capture handler (`/batch/`, `/capture/`, `/e/`, `/i/v0/e/`): `{"status": 1}`.
pub async fn ingest(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Response {
    let (verdict, result) = accept(&state, &headers, query, body, None).await;
    respond(verdict, result.map(|()| json!({"status": 1})))
}

/// posthog-node's v1 capture (`POST /i/v1/analytics/events`): the key comes as
/// `Authorization: Bearer`, the body is `{"created_at", "batch"}`, and the answer lists
/// per-event results — none, which the client reads as every event accepted.
pub async fn ingest_v1(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Response {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|k| k.trim().to_owned());
    let (verdict, result) = accept(&state, &headers, query, body, key).await;
    respond(verdict, result.map(|()| json!({"results": {}})))
}

/// The answer, carrying ingest's origin verdict for the CORS layer.
fn respond(verdict: Option<OriginVerdict>, result: Result<Value, ApiError>) -> Response {
    let mut response = result.map(Json).into_response();
    if let Some(verdict) = verdict {
        response.extensions_mut().insert(verdict);
    }
    response
}

/// Reads, checks, runs the pipeline and queues one request's events (see the module docs),
/// with `header_key` as the project key when the body names none. Returns the origin
/// verdict for the tenant the request named, once known.
async fn accept(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    query: Option<String>,
    body: Body,
    header_key: Option<String>,
) -> (Option<OriginVerdict>, Result<(), ApiError>) {
    let processed = match read_and_process(state, headers, query, body, header_key).await {
        Ok(processed) => processed,
        Err(e) => return (None, Err(e)),
    };
    let Some(processed) = processed else {
        return (None, Ok(()));
    };
    let verdict = OriginVerdict::of(&processed.tenant, headers);
    if OriginVerdict::refuses(verdict) {
        return (verdict, Err(origin_refused()));
    }
    (verdict, queue(state, processed).await)
}

async fn read_and_process(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    query: Option<String>,
    body: Body,
    header_key: Option<String>,
) -> Result<Option<Processed>, ApiError> {
    let limits = &state.limits;
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let raw = read_body(body, limits.max_body_bytes, announced).await?;
    let content_encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let compression = Compression::from_request(content_encoding, query.as_deref())?;
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let inline = raw.len() <= INLINE_BODY_BYTES && compression == Compression::None && !is_form;
    if inline {
        process_body(state, &raw, is_form, compression, header_key.as_deref())
    } else {
        let state2 = state.clone();
        tokio::task::spawn_blocking(move || {
            process_body(&state2, &raw, is_form, compression, header_key.as_deref())
        })
        .await
        .map_err(|_| ApiError::Internal)?
    }
}

/// A request's events after the pipeline, not yet queued.
struct Processed {
    tenant: Arc<Tenant>,
    received: usize,
    batch: ProcessedBatch,
}

/// Queues the events not seen before (by uuid), counting what was dropped on the way.
async fn queue(state: &Arc<AppState>, processed: Processed) -> Result<(), ApiError> {
    let Processed {
        tenant,
        received,
        batch:
            ProcessedBatch {
                records,
                uuids,
                mut dropped,
                redactions,
            },
    } = processed;
    // Claiming, waiting on copies another request is storing, the append and the claims'
    // outcome all run in their own task: if this request is dropped (its client went away,
    // it timed out), no claim is left in flight and the window still learns whether the
    // events were stored, so a retry is queued only if they were not.
    let (state2, name) = (state.clone(), tenant.name.clone());
    let stored =
        tokio::spawn(async move { claim_and_append(&state2, &name, uuids, records).await })
            .await
            .map_err(|_| ApiError::Internal)?;
    let Stored {
        accepted,
        duplicates,
        outcome,
    } = stored;
    outcome.map_err(|e| match e {
        Refused::InFlight => ApiError::Unavailable {
            code: "duplicate_in_flight",
            detail: "some of these events are still being stored by another request; retry".into(),
        },
        Refused::Queue(e) => queue_error(state, e, accepted),
    })?;
    if duplicates > 0 {
        *dropped.entry(DropReason::Duplicate).or_default() += duplicates;
    }
    state.metrics.accepted.add(accepted as u64);
    for (reason, n) in &dropped {
        state.metrics.dropped(*reason, *n);
    }
    state.metrics.redacted(&redactions);
    tracing::debug!(
        tenant = %tenant.name,
        received,
        accepted,
        dropped = received - accepted,
        "ingested"
    );
    Ok(())
}

/// How long a request waits for another one storing copies of its events.
const IN_FLIGHT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// What [`claim_and_append`] did.
struct Stored {
    /// Events appended (or that would have been, when it failed).
    accepted: usize,
    /// Events accepted before (acknowledged, not queued again).
    duplicates: u64,
    outcome: Result<(), Refused>,
}

enum Refused {
    /// Copies were still being stored by another request after [`IN_FLIGHT_WAIT`].
    InFlight,
    Queue(QueueError),
}

/// Queues the records whose uuids the window has not seen for `tenant`. A copy another
/// request is storing right now is waited for (a beacon batch may carry one beside new
/// events): once stored it is a duplicate, if that request failed this one stores it.
async fn claim_and_append(
    state: &AppState,
    tenant: &str,
    uuids: Vec<Uuid>,
    records: Vec<Bytes>,
) -> Stored {
    let mut claims = state.recent.claim(tenant, &uuids);
    let deadline = tokio::time::Instant::now() + IN_FLIGHT_WAIT;
    while claims.contains(&Claim::InFlight) {
        if tokio::time::Instant::now() >= deadline {
            let mine: Vec<Uuid> = pick(&uuids, &claims, Claim::New);
            state.recent.settle(tenant, &mine, false);
            return Stored {
                accepted: mine.len(),
                duplicates: 0,
                outcome: Err(Refused::InFlight),
            };
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        let waiting: Vec<usize> = (0..claims.len())
            .filter(|&i| claims[i] == Claim::InFlight)
            .collect();
        let again = state.recent.claim(
            tenant,
            &waiting.iter().map(|&i| uuids[i]).collect::<Vec<_>>(),
        );
        for (i, claim) in waiting.into_iter().zip(again) {
            claims[i] = claim;
        }
    }
    let new = pick(&uuids, &claims, Claim::New);
    let duplicates = claims.iter().filter(|c| **c == Claim::Done).count() as u64;
    let records: Vec<Bytes> = records
        .into_iter()
        .zip(&claims)
        .filter(|(_, c)| **c == Claim::New)
        .map(|(r, _)| r)
        .collect();
    let accepted = records.len();
    if records.is_empty() {
        return Stored {
            accepted,
            duplicates,
            outcome: Ok(()),
        };
    }
    let appended = state.queue.append_as(tenant, records).await;
    state.recent.settle(tenant, &new, appended.is_ok());
    Stored {
        accepted,
        duplicates,
        outcome: appended.map_err(Refused::Queue),
    }
}

/// The uuids whose claim is `which`.
fn pick(uuids: &[Uuid], claims: &[Claim], which: Claim) -> Vec<Uuid> {
    uuids
        .iter()
        .zip(claims)
        .filter(|(_, c)| **c == which)
        .map(|(u, _)| *u)
        .collect()
}

/// The answer to a failed append (nothing of the batch was stored).
fn queue_error(state: &AppState, error: QueueError, accepted: usize) -> ApiError {
    match error {
        QueueError::Full | QueueError::ShareFull => {
            state
                .metrics
                .dropped(DropReason::QueueFull, accepted as u64);
            let detail = if matches!(error, QueueError::ShareFull) {
                "this project's share of the collector's queue is full; retry later"
            } else {
                "the collector's queue is full; retry later"
            };
            ApiError::Unavailable {
                code: DropReason::QueueFull.as_str(),
                detail: detail.into(),
            }
        }
        QueueError::Unavailable { .. } | QueueError::Closed => {
            // Logged once by the queue.
            state
                .metrics
                .dropped(DropReason::QueueUnavailable, accepted as u64);
            ApiError::Unavailable {
                code: DropReason::QueueUnavailable.as_str(),
                detail: "the collector cannot store events right now; retry later".into(),
            }
        }
        other => {
            tracing::error!(error = %other, "queue append failed");
            ApiError::Internal
        }
    }
}

fn process_body(
    state: &AppState,
    raw: &[u8],
    is_form: bool,
    compression: Compression,
    header_key: Option<&str>,
) -> Result<Option<Processed>, ApiError> {
    let limits = &state.limits;
    let bytes = decode_body(raw, is_form, compression, limits)?;
    let envelope = Envelope::read(&bytes, limits)?;
    // The body's key is checked before any event is looked at.
    let body_tenant = match envelope.api_key.as_deref() {
        Some(key) => Some(resolve_tenant(state, Some(key))?),
        None => None,
    };
    let mut budget = Budget::new(limits);
    let mut key = envelope.api_key.clone();
    for (i, event) in envelope.events.iter().enumerate() {
        let event_key = budget.check(event, envelope.depth)?;
        match (&key, event_key) {
            (None, Some(k)) => key = Some(k),
            (Some(a), Some(b)) if *a != b => {
                return Err(ApiError::bad_request(
                    "mixed_api_keys",
                    format!("batch[{i}] carries a different api_key than the batch"),
                ))
            }
            _ => {}
        }
    }
    let tenant = match body_tenant {
        Some(tenant) => tenant,
        None => resolve_tenant(state, key.as_deref().or(header_key))?,
    };
    let received = envelope.events.len();
    if let Err(retry_after_secs) = state.rate.take(&tenant.name, received as u64) {
        count_received(state, received);
        state
            .metrics
            .dropped(DropReason::RateLimited, received as u64);
        return Err(ApiError::RateLimited { retry_after_secs });
    }
    if received == 0 {
        return Ok(None);
    }

    let batch = state
        .pipeline
        .process_batch(&tenant, &envelope.events, now())
        .map_err(|e| match e {
            BatchError::InvalidJson { detail, .. } => ApiError::bad_request("invalid_json", detail),
            e @ BatchError::InvalidEvent { .. } => {
                ApiError::bad_request("invalid_event", e.to_string())
            }
        })?;
    count_received(state, received);
    Ok(Some(Processed {
        tenant,
        received,
        batch,
    }))
}

fn count_received(state: &AppState, n: usize) {
    state.metrics.received.add(n as u64);
}

/// Reads the body into one buffer of at most `max` bytes, sized from `Content-Length` when
/// the client sent it, and refused at once when that is over `max`.
pub(super) async fn read_body(
    body: Body,
    max: usize,
    announced: Option<u64>,
) -> Result<Vec<u8>, ApiError> {
    let too_large = || ApiError::TooLarge {
        code: "body_too_large",
        detail: format!("the body is larger than {max} bytes (limits.max_body_bytes)"),
    };
    if announced.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let mut out = Vec::with_capacity(announced.map_or(0, |n| n as usize));
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| {
            ApiError::bad_request("unreadable_body", "the request body could not be read")
        })?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > max {
                return Err(too_large());
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// The tenant of a project key: 401 for none, a personal (`phx_`) key or an unknown one.
pub(super) fn resolve_tenant(state: &AppState, key: Option<&str>) -> Result<Arc<Tenant>, ApiError> {
    let key = key.ok_or_else(|| ApiError::Unauthorized {
        code: "missing_api_key",
        detail: "no project api_key or token was sent".into(),
    })?;
    if key.starts_with("phx_") {
        return Err(ApiError::Unauthorized {
            code: "personal_api_key",
            detail: "a personal API key (phx_) was sent; send the project API key (phc_)".into(),
        });
    }
    state
        .tenants
        .get(key)
        .cloned()
        .ok_or_else(|| ApiError::Unauthorized {
            code: "invalid_api_key",
            detail: "the project api_key is not known to this collector".into(),
        })
}
