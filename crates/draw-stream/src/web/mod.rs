//! The web face: OBS browser-source overlay, moderator panel and gallery (issue 9; in progress).

use std::sync::Arc;

use axum::Router;

use crate::app::App;

/// Routes of the pages and their data feeds, merged into the control API's router.
pub fn router(_app: Arc<App>) -> Router<Arc<App>> {
    Router::new()
}
