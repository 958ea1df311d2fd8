//! The ceiling for the load benchmark: a minimal axum server that only parses the JSON body
//! of `POST /batch/` and answers `{"status": 1}`. No pipeline, no disk.
//!
//! `cargo run --release -p hush-collector --example parse_only -- 127.0.0.1:8788`

use axum::body::Bytes;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

async fn batch(body: Bytes) -> Result<Json<Value>, axum::http::StatusCode> {
    let value: Value =
        serde_json::from_slice(&body).map_err(|_| axum::http::StatusCode::BAD_REQUEST)?;
    let n = value
        .get("batch")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    std::hint::black_box(n);
    Ok(Json(json!({"status": 1})))
}

fn main() -> anyhow::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8788".into());
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(&addr).await?;
            let app = Router::new()
                .route("/batch/", post(batch))
                .layer(axum::extract::DefaultBodyLimit::max(20_000_000));
            axum::serve(listener, app).await?;
            anyhow::Ok(())
        })
}
