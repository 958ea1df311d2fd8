//! `POST /batch/`, `/capture/`, `/e/`, `/i/v0/e/`: accept, validate, run the pipeline,
//! queue durably, and only then answer 200.

use super::decode::{decode_body, Compression};
use crate::error::ApiError;
use crate::pipeline::{now_rfc3339, parse_event, IncomingEvent, Tenant, Verdict};
use crate::queue::QueueError;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Batches larger than this run the pipeline on the blocking pool, off the I/O threads.
const INLINE_BATCH: usize = 512;

/// The ingest handler.
pub async fn ingest(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let limits = &state.limits;
    let raw = read_body(body, limits.max_body_bytes).await?;
    let content_encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let compression = Compression::from_request(content_encoding, query.as_deref())?;
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let value = decode_body(&raw, is_form, compression, limits)?;
    drop(raw);

    let (body_key, raw_events) = split_body(value)?;
    if raw_events.len() > limits.max_batch_len {
        return Err(ApiError::TooLarge {
            code: "batch_too_large",
            detail: format!("a batch may hold at most {} events", limits.max_batch_len),
        });
    }
    let mut events = Vec::with_capacity(raw_events.len());
    let mut key = body_key;
    for (i, raw) in raw_events.into_iter().enumerate() {
        let (event_key, event) = parse_event(raw)
            .map_err(|e| ApiError::bad_request("invalid_event", format!("batch[{i}]: {e}")))?;
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
        events.push(event);
    }
    let tenant = resolve_tenant(&state, key.as_deref())?;
    state
        .metrics
        .received
        .fetch_add(events.len() as u64, Ordering::Relaxed);
    if let Err(retry_after_secs) = state.rate.take(&tenant.name, events.len() as u64) {
        state.metrics.dropped("rate_limited", events.len() as u64);
        return Err(ApiError::RateLimited { retry_after_secs });
    }
    if events.is_empty() {
        return Ok(Json(json!({"status": 1})));
    }

    let received = events.len();
    let processed = if received > INLINE_BATCH {
        let state2 = state.clone();
        let tenant2 = tenant.clone();
        tokio::task::spawn_blocking(move || run_pipeline(&state2, &tenant2, events))
            .await
            .map_err(|_| ApiError::Internal)?
    } else {
        run_pipeline(&state, &tenant, events)
    };
    let Processed {
        records,
        dropped,
        redactions,
    } = processed;
    let accepted = records.len();
    if !records.is_empty() {
        state.queue.append(records).await.map_err(|e| match e {
            QueueError::Full => {
                state.metrics.dropped("queue_full", accepted as u64);
                ApiError::Unavailable {
                    code: "queue_full",
                    detail: "the collector's queue is full; retry later".into(),
                }
            }
            other => {
                tracing::error!(error = %other, "queue append failed");
                ApiError::Internal
            }
        })?;
    }
    state
        .metrics
        .accepted
        .fetch_add(accepted as u64, Ordering::Relaxed);
    for (reason, n) in &dropped {
        state.metrics.dropped(reason, *n);
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

struct Processed {
    records: Vec<Bytes>,
    dropped: BTreeMap<String, u64>,
    redactions: BTreeMap<String, u64>,
}

fn run_pipeline(state: &AppState, tenant: &Tenant, events: Vec<IncomingEvent>) -> Processed {
    let received_at = now_rfc3339();
    let mut out = Processed {
        records: Vec::with_capacity(events.len()),
        dropped: BTreeMap::new(),
        redactions: BTreeMap::new(),
    };
    for event in events {
        match state
            .pipeline
            .process(tenant, event, &received_at, &mut out.redactions)
        {
            Verdict::Forward(stored) => match serde_json::to_vec(&stored) {
                Ok(bytes) => out.records.push(Bytes::from(bytes)),
                Err(_) => *out.dropped.entry("unserializable".into()).or_default() += 1,
            },
            Verdict::Drop(reason) => {
                *out.dropped.entry(reason.as_str().into()).or_default() += 1;
            }
        }
    }
    out
}

async fn read_body(body: Body, max: usize) -> Result<Bytes, ApiError> {
    match http_body_util::Limited::new(body, max).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::TooLarge {
            code: "body_too_large",
            detail: format!("the body is larger than {max} bytes"),
        }),
        Err(_) => Err(ApiError::bad_request(
            "unreadable_body",
            "the request body could not be read",
        )),
    }
}

/// PostHog's body shapes: `{"api_key"|"token", "batch": [...]}`, one event (carrying its
/// key), or an array of events.
fn split_body(value: Value) -> Result<(Option<String>, Vec<Value>), ApiError> {
    match value {
        Value::Array(events) => Ok((None, events)),
        Value::Object(mut map) => {
            let key = ["api_key", "token"].iter().find_map(|k| match map.get(*k) {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                _ => None,
            });
            match map.remove("batch") {
                Some(Value::Array(events)) => Ok((key, events)),
                Some(_) => Err(ApiError::bad_request(
                    "invalid_batch",
                    "`batch` must be an array of events",
                )),
                None if map.contains_key("event") => Ok((None, vec![Value::Object(map)])),
                None => Err(ApiError::bad_request(
                    "invalid_body",
                    "expected a `batch` array, one event, or an array of events",
                )),
            }
        }
        _ => Err(ApiError::bad_request(
            "invalid_body",
            "expected a JSON object or array",
        )),
    }
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
