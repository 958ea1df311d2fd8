//! The stand-in's persons API, as PostHog's private API answers it for a personal API key
//! (`phx_…`, `Authorization: Bearer`) and one project id: every distinct id the capture
//! stand-in accepted is a person; `GET /api/projects/{id}/persons/?distinct_id=X` finds
//! it, `DELETE /api/projects/{id}/persons/{uuid}/?delete_events=true` deletes it and its
//! events.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The project id the stand-in answers for.
pub const PROJECT_ID: u64 = 4242;
/// The personal API key it accepts.
pub const PERSONAL_KEY: &str = "phx_standin_personal_key_0123456789";

/// What the persons API saw and did.
#[derive(Default)]
pub struct Persons {
    /// Person uuids by distinct id, made as events arrive.
    pub by_distinct_id: HashMap<String, String>,
    /// Distinct ids whose person was deleted, in order.
    pub deleted: Vec<String>,
    /// Requests refused (bad key, wrong project).
    pub refused: usize,
    /// Answer the next this many persons requests with 503.
    pub fail_next: usize,
}

type Shared = Arc<Mutex<super::posthog_standin::Shared>>;

/// The routes, to merge into the stand-in's router.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/projects/{project}/persons/", get(find))
        .route("/api/projects/{project}/persons/{person}/", delete(remove))
}

fn authorised(headers: &HeaderMap, project: u64) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    bearer == Some(PERSONAL_KEY) && project == PROJECT_ID
}

async fn find(
    State(shared): State<Shared>,
    Path(project): Path<u64>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> (StatusCode, Json<Value>) {
    let mut guard = shared.lock().unwrap_or_else(|e| e.into_inner());
    let persons = &mut guard.persons;
    if persons.fail_next > 0 {
        persons.fail_next -= 1;
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"detail": "told to fail"})),
        );
    }
    if !authorised(&headers, project) {
        persons.refused += 1;
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"detail": "bad key or project"})),
        );
    }
    let results: Vec<Value> = query
        .get("distinct_id")
        .and_then(|id| persons.by_distinct_id.get(id).map(|uuid| (id, uuid)))
        .map(|(id, uuid)| json!({"id": uuid, "distinct_ids": [id]}))
        .into_iter()
        .collect();
    (
        StatusCode::OK,
        Json(json!({"results": results, "next": null})),
    )
}

async fn remove(
    State(shared): State<Shared>,
    Path((project, person)): Path<(u64, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> StatusCode {
    let mut guard = shared.lock().unwrap_or_else(|e| e.into_inner());
    if guard.persons.fail_next > 0 {
        guard.persons.fail_next -= 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    if !authorised(&headers, project) {
        guard.persons.refused += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let Some(distinct_id) = guard
        .persons
        .by_distinct_id
        .iter()
        .find(|(_, uuid)| **uuid == person)
        .map(|(id, _)| id.clone())
    else {
        return StatusCode::NOT_FOUND;
    };
    guard.persons.by_distinct_id.remove(&distinct_id);
    guard.persons.deleted.push(distinct_id.clone());
    if query.get("delete_events").is_some_and(|v| v == "true") {
        guard
            .events
            .retain(|e| e["distinct_id"].as_str() != Some(distinct_id.as_str()));
    }
    StatusCode::NO_CONTENT
}
