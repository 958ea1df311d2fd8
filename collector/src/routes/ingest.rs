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

use super::budget::Budget;
use super::decode::{decode_body, Compression};
use super::envelope::Envelope;
use super::error::ApiError;
use super::state::AppState;
use crate::drop_reason::DropReason;
use crate::pipeline::{now, BatchError, ProcessedBatch, Tenant};
use crate::queue::QueueError;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::Arc;

/// Bodies larger than this (and every compressed or form body) are handled on the blocking
/// pool, off the I/O threads.
const INLINE_BODY_BYTES: usize = 64 * 1024;

/// The ingest handler.
pub async fn ingest(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Json<Value>, ApiError> {
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
    let processed = if inline {
        let processed = process_body(&state, &raw, is_form, compression);
        drop(raw);
        processed?
    } else {
        let state2 = state.clone();
        tokio::task::spawn_blocking(move || process_body(&state2, &raw, is_form, compression))
            .await
            .map_err(|_| ApiError::Internal)??
    };
    let Some(Processed {
        tenant,
        received,
        batch:
            ProcessedBatch {
                records,
                dropped,
                redactions,
            },
    }) = processed
    else {
        return Ok(Json(json!({"status": 1})));
    };
    let accepted = records.len();
    if !records.is_empty() {
        state
            .queue
            .append_as(&tenant.name, records)
            .await
            .map_err(|e| match e {
                QueueError::Full => {
                    state
                        .metrics
                        .dropped(DropReason::QueueFull.as_str(), accepted as u64);
                    ApiError::Unavailable {
                        code: "queue_full",
                        detail: "the collector's queue is full; retry later".into(),
                    }
                }
                QueueError::ShareFull => {
                    state
                        .metrics
                        .dropped(DropReason::QueueFull.as_str(), accepted as u64);
                    ApiError::Unavailable {
                        code: "queue_full",
                        detail: "this project's share of the collector's queue is full; \
                                 retry later"
                            .into(),
                    }
                }
                QueueError::Unavailable { .. } | QueueError::Closed => {
                    // Logged once by the queue; nothing of the batch was stored.
                    state
                        .metrics
                        .dropped(DropReason::QueueUnavailable.as_str(), accepted as u64);
                    ApiError::Unavailable {
                        code: "queue_unavailable",
                        detail: "the collector cannot store events right now; retry later".into(),
                    }
                }
                other => {
                    tracing::error!(error = %other, "queue append failed");
                    ApiError::Internal
                }
            })?;
    }
    state.metrics.accepted.add(accepted as u64);
    for (reason, n) in &dropped {
        state.metrics.dropped(reason.as_str(), *n);
    }
    state.metrics.redacted(&redactions);
    tracing::debug!(
        tenant = %tenant.name,
        received,
        accepted,
        dropped = received - accepted,
        "ingested"
    );
    Ok(Json(json!({"status": 1})))
}

/// A request's events after the pipeline, not yet queued.
struct Processed {
    tenant: Arc<Tenant>,
    received: usize,
    batch: ProcessedBatch,
}

/// Steps 1–5 of the module docs, for one body; `None` for an empty batch. Counts the events
/// as received once they all passed (or when the rate limit refuses them).
fn process_body(
    state: &AppState,
    raw: &[u8],
    is_form: bool,
    compression: Compression,
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
        None => resolve_tenant(state, key.as_deref())?,
    };
    let received = envelope.events.len();
    if let Err(retry_after_secs) = state.rate.take(&tenant.name, received as u64) {
        count_received(state, received);
        state
            .metrics
            .dropped(DropReason::RateLimited.as_str(), received as u64);
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
async fn read_body(body: Body, max: usize, announced: Option<u64>) -> Result<Vec<u8>, ApiError> {
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

fn resolve_tenant(state: &AppState, key: Option<&str>) -> Result<Arc<Tenant>, ApiError> {
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
