//! The data-rights routes: self-service erase and export for the person (project key and
//! an id nobody can guess), the admin API for the tenant (its `admin_token`) and the
//! collector's operator (`[admin] token`, which may erase a whole tenant).
//!
//! Answers never say whether an id exists anywhere: an erase of an unknown id is `done`
//! with zero counts, an export of one is empty. No raw id reaches a log or an error.

use super::{ApiError, AppState};
use crate::rights::{is_unguessable, AuditEntry, Caller, DataRights, RightsError};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The largest body a data-rights call may send.
pub const RIGHTS_BODY_LIMIT: usize = 16 * 1024;

/// Events per chunk of a streamed export.
const EXPORT_CHUNK_LINES: usize = 256;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelfServiceBody {
    api_key: String,
    distinct_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminBody {
    #[serde(default)]
    distinct_id: Option<String>,
    /// Only with the collector's token: the tenant to act on.
    #[serde(default)]
    tenant: Option<String>,
}

fn rights(state: &AppState) -> Result<&Arc<DataRights>, ApiError> {
    state.rights.as_ref().ok_or(ApiError::Unavailable {
        code: "data_rights_unavailable",
        detail: "data-rights requests are not served by this collector".into(),
    })
}

/// The JSON body, at most [`RIGHTS_BODY_LIMIT`] bytes. Errors describe the problem, never
/// the values sent.
async fn read_json<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, RIGHTS_BODY_LIMIT)
        .await
        .map_err(|_| ApiError::TooLarge {
            code: "body_too_large",
            detail: format!("the body must be at most {RIGHTS_BODY_LIMIT} bytes"),
        })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "the JSON does not have the expected fields",
            _ => "the body is not valid JSON",
        };
        ApiError::bad_request(
            "invalid_body",
            format!("{what} (line {}, column {})", e.line(), e.column()),
        )
    })
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if id.trim().is_empty() || id.len() > 200 {
        return Err(ApiError::bad_request(
            "invalid_distinct_id",
            "distinct_id must be a non-empty string of at most 200 bytes",
        ));
    }
    Ok(())
}

/// The tenant of a self-service call, whose id must be one nobody can guess.
fn self_service<'a>(
    rights: &'a DataRights,
    state: &AppState,
    body: &SelfServiceBody,
) -> Result<&'a str, ApiError> {
    check_id(&body.distinct_id)?;
    let tenant = rights
        .tenant_by_api_key(&body.api_key)
        .ok_or(ApiError::Unauthorized {
            code: "invalid_api_key",
            detail: "the project key is not valid".into(),
        })?;
    // Every call costs a token of the tenant's rate limit: guessing ids is slow.
    if let Err(retry_after_secs) = state.rate.take(tenant, 1) {
        return Err(ApiError::RateLimited { retry_after_secs });
    }
    if !is_unguessable(&body.distinct_id) {
        return Err(ApiError::Forbidden {
            code: "guessable_distinct_id",
            detail: "self-service erase and export take an id nobody can guess (a UUID, or \
                     at least 32 hex digits, as the SDK and PostHog's anonymous ids are); \
                     for any other id ask the project's admin, who has its admin token"
                .into(),
        });
    }
    Ok(tenant)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
}

/// Who an admin call is for: the tenant of a tenant token, or the tenant a collector-token
/// call names.
fn admin<'a>(
    rights: &'a DataRights,
    headers: &HeaderMap,
    named: Option<&'a str>,
) -> Result<(&'a str, Caller), ApiError> {
    let Some(token) = bearer(headers) else {
        return Err(ApiError::Unauthorized {
            code: "admin_token_required",
            detail: "send the admin token as Authorization: Bearer <token>".into(),
        });
    };
    // Both are checked, each in constant time, whatever the first says.
    let tenant = rights.tenant_by_admin_token(token);
    let collector = rights.is_collector_token(token);
    match (tenant, collector, named) {
        (Some(tenant), _, None) => Ok((tenant, Caller::TenantAdmin)),
        (Some(tenant), _, Some(named)) if named == tenant => Ok((tenant, Caller::TenantAdmin)),
        (None, true, Some(named)) if rights.has_tenant(named) => {
            Ok((named, Caller::CollectorAdmin))
        }
        (None, true, _) => Err(ApiError::bad_request(
            "invalid_tenant",
            "with the collector's admin token, name an existing tenant in \"tenant\"",
        )),
        // A tenant token naming another tenant is no token for it.
        _ => Err(ApiError::Unauthorized {
            code: "invalid_admin_token",
            detail: "the admin token is not valid".into(),
        }),
    }
}

fn store_error(error: RightsError) -> ApiError {
    match error {
        RightsError::NoStore => ApiError::Unavailable {
            code: "no_store",
            detail: error.to_string(),
        },
        RightsError::Store { store, .. } => {
            tracing::error!(%error, "data-rights call failed");
            ApiError::Unavailable {
                code: "store_unavailable",
                detail: format!("the {store} store cannot be used right now; try again"),
            }
        }
    }
}

fn accepted(receipt: &crate::rights::Receipt) -> Response {
    let mut response = (
        StatusCode::ACCEPTED,
        Json(json!({"receipt": receipt.receipt, "status": "pending"})),
    )
        .into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/erase/{}", receipt.receipt)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// `POST /v1/erase`: `{"api_key", "distinct_id"}` → `202 {"receipt", "status"}`.
pub async fn erase(State(state): State<Arc<AppState>>, body: Body) -> Result<Response, ApiError> {
    let rights = rights(&state)?;
    let body: SelfServiceBody = read_json(body).await?;
    let tenant = self_service(rights, &state, &body)?;
    let receipt = rights
        .start_erase(tenant, Some(&body.distinct_id), Caller::SelfService)
        .map_err(store_error)?;
    Ok(accepted(&receipt))
}

/// `GET /v1/erase/{receipt}`: where the erase stands, with counts per store.
pub async fn erase_status(
    State(state): State<Arc<AppState>>,
    Path(receipt): Path<String>,
) -> Result<Response, ApiError> {
    let rights = rights(&state)?;
    let receipt = rights.receipt(&receipt).ok_or(ApiError::NotFound)?;
    Ok(Json(receipt.public_json()).into_response())
}

/// `POST /v1/export`: `{"api_key", "distinct_id"}` → the person's events as JSON Lines.
pub async fn export(State(state): State<Arc<AppState>>, body: Body) -> Result<Response, ApiError> {
    let rights = rights(&state)?;
    let body: SelfServiceBody = read_json(body).await?;
    let tenant = self_service(rights, &state, &body)?.to_owned();
    stream_export(
        rights.clone(),
        tenant,
        body.distinct_id,
        Caller::SelfService,
    )
}

/// `POST /v1/admin/erase`: `{"distinct_id"}` with a tenant's admin token, or
/// `{"tenant"}` (the whole tenant) or `{"tenant", "distinct_id"}` with the collector's.
pub async fn admin_erase(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let rights = rights(&state)?;
    let body: AdminBody = read_json(body).await?;
    let (tenant, caller) = admin(rights, &headers, body.tenant.as_deref())?;
    let id = match (&body.distinct_id, caller) {
        (Some(id), _) => {
            check_id(id)?;
            Some(id.as_str())
        }
        (None, Caller::CollectorAdmin) => None,
        (None, _) => return Err(ApiError::bad_request(
            "invalid_distinct_id",
            "name the person in \"distinct_id\" (only the collector's token erases a whole tenant)",
        )),
    };
    let receipt = rights
        .start_erase(tenant, id, caller)
        .map_err(store_error)?;
    Ok(accepted(&receipt))
}

/// `POST /v1/admin/export`: `{"distinct_id"}` with an admin token → JSON Lines.
pub async fn admin_export(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let rights = rights(&state)?;
    let body: AdminBody = read_json(body).await?;
    let (tenant, caller) = admin(rights, &headers, body.tenant.as_deref())?;
    let id = body.distinct_id.ok_or_else(|| {
        ApiError::bad_request("invalid_distinct_id", "name the person in \"distinct_id\"")
    })?;
    check_id(&id)?;
    stream_export(rights.clone(), tenant.to_owned(), id, caller)
}

/// `GET /v1/admin/stats[?tenant=NAME]`: the tenant's stored events per day and per event
/// name (`tenant` only with the collector's token).
pub async fn admin_stats(
    State(state): State<Arc<AppState>>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let rights = rights(&state)?.clone();
    let (tenant, caller) = admin(&rights, &headers, query.get("tenant").map(String::as_str))?;
    let tenant = tenant.to_owned();
    let stats = {
        let (rights, tenant) = (rights.clone(), tenant.clone());
        tokio::task::spawn_blocking(move || rights.stats(&tenant))
            .await
            .map_err(|_| ApiError::Internal)?
            .map_err(store_error)?
    };
    rights.audit(&AuditEntry {
        action: "stats",
        by: caller.as_str(),
        tenant: tenant.clone(),
        receipt: None,
        counts: BTreeMap::from([("local", stats.total)]),
        note: None,
    });
    Ok(Json(
        json!({"tenant": tenant, "total": stats.total, "days": stats.days, "events": stats.events}),
    )
    .into_response())
}

/// Streams the person's lines from a blocking reader through a small channel.
fn stream_export(
    rights: Arc<DataRights>,
    tenant: String,
    raw_id: String,
    caller: Caller,
) -> Result<Response, ApiError> {
    if !rights.can_export() {
        return Err(store_error(RightsError::NoStore));
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let mut chunk = Vec::new();
        let mut lines = 0;
        let result = rights.export_lines(&tenant, &raw_id, |line| {
            chunk.extend_from_slice(line);
            lines += 1;
            if lines % EXPORT_CHUNK_LINES == 0 {
                let _ = tx.blocking_send(Ok(Bytes::from(std::mem::take(&mut chunk))));
            }
        });
        let note = match &result {
            Ok(_) => {
                if !chunk.is_empty() {
                    let _ = tx.blocking_send(Ok(Bytes::from(chunk)));
                }
                None
            }
            Err(error) => {
                tracing::error!(%error, "export failed midway");
                let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
                Some("failed midway".to_owned())
            }
        };
        rights.audit(&AuditEntry {
            action: "export",
            by: caller.as_str(),
            tenant,
            receipt: None,
            counts: BTreeMap::from([("local", result.unwrap_or(0))]),
            note,
        });
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut response = Body::from_stream(stream).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(response)
}
