//! `/gallery/items`: every drawing that was shown, from the files under `<data dir>/gallery/` and the
//! journal rows they belong to (admin token). Deleting an item removes its files; the journal row
//! stays, as the record of what was shown.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::app::App;
use crate::http::ApiError;

/// `GET /gallery/items`: newest first, `id, donor, message` (masked), `amount, currency, shown_at,
/// show_count`, and the `png` / `gif` URLs (fetched with the same token).
pub async fn list(State(app): State<Arc<App>>) -> Result<Json<Vec<Value>>, ApiError> {
    let data_dir = app.settings.data_dir.clone();
    let rows = app
        .journal
        .call(move |j| -> rusqlite::Result<Vec<crate::journal::Donation>> {
            let items = crate::gallery::items(&data_dir).unwrap_or_default();
            let mut rows = Vec::new();
            for item in items {
                if let Some(d) = j.get(item.id)? {
                    if d.show_count > 0 {
                        rows.push(d);
                    }
                }
            }
            Ok(rows)
        })
        .await?;
    let mut rows = rows;
    rows.sort_by(|a, b| b.shown_at.cmp(&a.shown_at).then(b.id.cmp(&a.id)));
    let items = rows
        .iter()
        .map(|d| {
            let gif = crate::gallery::files(&app.settings.data_dir, d.id).1;
            json!({
                "id": d.id,
                "donor": d.donor,
                "message": d.message,
                "amount": d.amount,
                "currency": d.currency,
                "money": hud::money(&d.amount, &d.currency),
                "shown_at": d.shown_at,
                "show_count": d.show_count,
                "png": format!("/gallery/items/{}.png", d.id),
                "gif": gif.exists().then(|| format!("/gallery/items/{}.gif", d.id)),
            })
        })
        .collect();
    Ok(Json(items))
}

fn parse_item(item: &str) -> Result<(i64, &'static str), ApiError> {
    let bad = || ApiError(StatusCode::BAD_REQUEST, format!("{item:?} is not <id>.png or <id>.gif"));
    let (id, ext) = item.rsplit_once('.').ok_or_else(bad)?;
    let id = id.parse::<i64>().map_err(|_| bad())?;
    match ext {
        "png" => Ok((id, "png")),
        "gif" => Ok((id, "gif")),
        _ => Err(bad()),
    }
}

/// `GET /gallery/items/{id}.png` (×8, crisp) or `{id}.gif` (the drawing, animated).
pub async fn file(State(app): State<Arc<App>>, Path(item): Path<String>) -> Result<Response, ApiError> {
    let (id, ext) = parse_item(&item)?;
    let (png, gif) = crate::gallery::files(&app.settings.data_dir, id);
    let (path, ctype) = if ext == "png" { (png, "image/png") } else { (gif, "image/gif") };
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ApiError(StatusCode::NOT_FOUND, format!("no gallery file {id}.{ext}")))
        }
        Err(e) => {
            tracing::warn!(error = %e, path = %path.display(), "cannot read a gallery file");
            return Err(ApiError(StatusCode::INTERNAL_SERVER_ERROR, "cannot read the gallery file".into()));
        }
    };
    let disposition = format!("inline; filename=\"drawstream-{id}.{ext}\"");
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// `DELETE /gallery/items/{id}`: removes the PNG and GIF; 404 when there were none.
pub async fn delete(State(app): State<Arc<App>>, Path(item): Path<String>) -> Result<Response, ApiError> {
    let id = item.parse::<i64>().map_err(|_| ApiError(StatusCode::BAD_REQUEST, format!("{item:?} is not an id")))?;
    let dir = app.settings.data_dir.clone();
    let (png, gif) = crate::gallery::files(&dir, id);
    if !png.exists() && !gif.exists() {
        return Err(ApiError(StatusCode::NOT_FOUND, format!("drawing {id} is not in the gallery")));
    }
    tokio::task::spawn_blocking(move || crate::gallery::remove(&dir, id))
        .await
        .map_err(|_| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "delete failed".into()))?
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot delete the files: {e}")))?;
    tracing::info!(donation = id, "removed from the gallery");
    Ok(Json(json!({ "status": "deleted", "id": id })).into_response())
}
