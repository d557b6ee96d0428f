//! HTTP plumbing shared by the control API and the web pages: the JSON error answer, and the
//! bearer-token check in front of every data route.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::app::App;

/// A JSON error response.
pub struct ApiError(pub StatusCode, pub String);

impl ApiError {
    pub fn new(status: StatusCode, msg: impl Into<String>) -> ApiError {
        ApiError(status, msg.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> ApiError {
        tracing::error!(error = %e, "journal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "journal error")
    }
}

pub type ApiResult = Result<Response, ApiError>;

pub fn accepted(v: Value) -> ApiResult {
    Ok((StatusCode::ACCEPTED, Json(v)).into_response())
}

/// Constant-time comparison, so the token cannot be guessed byte by byte from timings.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn require_token(State(app): State<Arc<App>>, headers: HeaderMap, req: Request, next: Next) -> Response {
    let given =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match given {
        None => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing `Authorization: Bearer <token>` (see <data dir>/api-token)",
        )
        .into_response(),
        Some(t) if same_secret(t.trim(), &app.api_token) => next.run(req).await,
        Some(_) => ApiError::new(StatusCode::FORBIDDEN, "wrong API token").into_response(),
    }
}
