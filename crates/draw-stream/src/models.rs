//! Builds the model-backed seams (LLM planner, ComfyUI, A1111) from the settings.

use std::sync::Arc;

use anyhow::Context;
use generation::{
    A1111Backend, A1111Config, ComfyUiBackend, ComfyUiConfig, ImageBackend, LlmConfig, LlmPlanner, ScenePlanner,
};

use crate::config::Settings;

/// The LLM planner for LLM_BACKEND = `backend`.
pub fn llm_planner(s: &Settings, backend: &str) -> anyhow::Result<Arc<dyn ScenePlanner>> {
    let cfg = LlmConfig {
        endpoint: s.llm_endpoint.clone(),
        model: s.llm_model_id.clone(),
        api_key: s.llm_api_key.clone(),
        temperature: s.llm_temperature,
        max_tokens: s.llm_max_tokens,
        timeout: s.llm_timeout,
        retry_attempts: s.llm_retry_attempts,
        backend: backend.to_owned(),
        unload_before_image: s.llm_unload_before_image,
        locale: s.locale.clone(),
    };
    Ok(Arc::new(LlmPlanner::new(cfg).context("LLM planner")?))
}

/// The ComfyUI backend.
pub fn comfyui_backend(s: &Settings) -> anyhow::Result<Arc<dyn ImageBackend>> {
    let workflow_file = match &s.comfyui_workflow {
        Some(p) => {
            Some(std::fs::read_to_string(p).with_context(|| format!("COMFYUI_WORKFLOW: cannot read {}", p.display()))?)
        }
        None => None,
    };
    let cfg = ComfyUiConfig {
        urls: s.comfyui_urls.clone(),
        checkpoint: s.comfyui_checkpoint.clone(),
        vae: s.comfyui_vae.clone(),
        lora: s.pixel_lora_weight.clone(),
        steps: s.pixel_inference_steps,
        guidance: s.pixel_guidance,
        width: s.pixel_width,
        height: s.pixel_height,
        workflow_file,
        ..ComfyUiConfig::default()
    };
    Ok(Arc::new(ComfyUiBackend::new(cfg).context("ComfyUI backend")?))
}

/// The AUTOMATIC1111/Forge backend.
pub fn a1111_backend(s: &Settings) -> anyhow::Result<Arc<dyn ImageBackend>> {
    let lora_name = s.pixel_lora_weight.trim_end_matches(".safetensors").to_owned();
    let cfg = A1111Config {
        url: s.a1111_url.clone(),
        lora_name,
        steps: s.pixel_inference_steps,
        guidance: s.pixel_guidance,
        width: s.pixel_width,
        height: s.pixel_height,
        ..A1111Config::default()
    };
    Ok(Arc::new(A1111Backend::new(cfg).context("A1111 backend")?))
}
