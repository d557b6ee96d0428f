//! Builds the model-backed seams (LLM planner, ComfyUI, A1111) from the settings.

use std::sync::Arc;

use generation::{ImageBackend, ScenePlanner};

use crate::config::Settings;

/// The LLM planner for LLM_BACKEND = `backend`.
pub fn llm_planner(_s: &Settings, backend: &str) -> anyhow::Result<Arc<dyn ScenePlanner>> {
    anyhow::bail!("LLM_BACKEND={backend}: the LLM planner is not wired yet; use LLM_BACKEND=offline")
}

/// The ComfyUI backend.
pub fn comfyui_backend(_s: &Settings) -> anyhow::Result<Arc<dyn ImageBackend>> {
    anyhow::bail!("IMAGE_BACKEND=comfyui is not wired yet; use IMAGE_BACKEND=demo")
}

/// The AUTOMATIC1111/Forge backend.
pub fn a1111_backend(_s: &Settings) -> anyhow::Result<Arc<dyn ImageBackend>> {
    anyhow::bail!("IMAGE_BACKEND=a1111 is not wired yet; use IMAGE_BACKEND=demo")
}
