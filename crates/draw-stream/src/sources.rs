//! Donation sources beyond the API and the demo: Donation Alerts, when configured.

use std::sync::Arc;

use crate::app::App;

/// Starts the configured sources on `tasks`.
pub fn spawn(_app: &Arc<App>, _tasks: &mut tokio::task::JoinSet<()>) {}

/// `draw-stream login donationalerts`.
pub async fn login(_s: &crate::config::Settings, _open_browser: bool, _port: u16) -> anyhow::Result<()> {
    anyhow::bail!("Donation Alerts login is not wired yet")
}
