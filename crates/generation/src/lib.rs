//! The model-backed stages of the pipeline, behind two traits.
//!
//! * [`ScenePlanner`] turns a (moderated) donation into an image prompt, or refuses it.
//! * [`ImageBackend`] paints a prompt into an RGB image (768×768 pixel-art-xl output in real use).
//!
//! The service holds them as `Arc<dyn …>`, so tests and the demo swap implementations freely.
//!
//! # Layout
//!
//! * [`offline`] — the built-in planner: no LLM, the prompt is built from the moderated message.
//! * [`llm`] — the LLM planner: one OpenAI-compatible client (Ollama by default) with a JSON Schema built
//!   from the Rust type, strict validation, retries with backoff, and fail-closed errors.
//! * [`chat`] — one OpenAI-compatible chat-completions endpoint: the call, error classes, retries.
//! * [`clip`] — counts CLIP tokens with the real BPE vocabulary and fits prompts into the 77-token window.
//! * [`imagecheck`] — the check on the generated picture: the [`ImageCheck`] seam, the vision LLM check,
//!   and [`ImageChecks`], which runs them all and fails closed.
//! * [`demo`] — procedural pixel-art scenes that look like pixel-art-xl output, for `DEMO` mode and tests.
//! * [`comfyui`] — SDXL + pixel-art-xl on one or more ComfyUI servers (HTTP + WebSocket).
//! * [`a1111`] — the same on AUTOMATIC1111 / Forge (`/sdapi/v1/txt2img`).
//!
//! Failures are values: a [`PlanError`] refuses the donation (never drawn unchecked), a [`GenerateError`]
//! fails it with its reason. The crate's README explains the configuration and the ComfyUI setup.

pub mod a1111;
pub mod chat;
pub mod clip;
pub mod comfyui;
pub mod demo;
pub mod imagecheck;
pub mod llm;
pub mod offline;
mod remote;

pub use a1111::{A1111Backend, A1111Config};
pub use comfyui::{ComfyUiBackend, ComfyUiConfig};
pub use demo::{demo_scene, DemoBackend};
pub use imagecheck::{CheckError, ImageCheck, ImageChecks, ImageFinding, ImageVerdict, VisionCheck, VisionConfig};
pub use llm::{LlmConfig, LlmPlanner};
pub use offline::OfflinePlanner;

use async_trait::async_trait;

/// What a planner needs to know about one donation. `message` is already masked by moderation.
#[derive(Debug, Clone, PartialEq)]
pub struct DonationBrief {
    /// Journal id, stable across restarts (seeds derive from it).
    pub id: i64,
    pub donor: String,
    /// Decimal amount as text, e.g. "150.00".
    pub amount: String,
    pub currency: String,
    pub message: String,
    /// Locale hint (`LOCALE`), e.g. "en" or "ru".
    pub locale: String,
}

/// A planner's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanDecision {
    Draw(ScenePlan),
    Refuse(Refusal),
}

/// An approved scene, ready for the image backend.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenePlan {
    pub prompt: String,
    pub negative_prompt: String,
    pub style_notes: Option<String>,
    /// `#RRGGBB` hints (may be empty).
    pub palette: Vec<String>,
    pub seed: u64,
}

/// A refusal with the words to show the donor.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// Short internal reason, kept in the journal.
    pub reason: String,
    /// What the refusal card says, ideally in the donor's language.
    pub text: String,
    /// Safety category named by the checker (`sexual`, `gore`, …), if any.
    pub category: Option<String>,
}

/// Why planning failed. The pipeline treats every failure as a refusal (fail closed).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("planner unreachable: {0}")]
    Unreachable(String),
    #[error("planner answered nonsense: {0}")]
    Invalid(String),
}

/// Turns a donation into a scene or a refusal.
#[async_trait]
pub trait ScenePlanner: Send + Sync {
    /// Short name for logs and `/health` ("offline", "llm").
    fn name(&self) -> &str;
    async fn plan(&self, donation: &DonationBrief) -> Result<PlanDecision, PlanError>;
    /// Called before an image is painted: frees what the planner holds on the GPU (Ollama unloads its
    /// model when `LLM_UNLOAD_BEFORE_IMAGE` is on). Best effort, never fails. Default: nothing to free.
    async fn before_image(&self) {}
}

/// One image to paint.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRequest {
    pub donation_id: i64,
    pub prompt: String,
    pub negative_prompt: String,
    pub seed: u64,
    pub width: u32,
    pub height: u32,
}

/// A painted image, 8-bit RGB, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedImage {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

/// Why an image could not be painted. The pipeline marks the donation `failed` with this text.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("image backend unreachable: {0}")]
    Unreachable(String),
    #[error("image backend failed: {0}")]
    Failed(String),
    #[error("image backend is misconfigured: {0}")]
    Misconfigured(String),
    #[error("generation interrupted")]
    Interrupted,
}

/// Paints prompts into images.
#[async_trait]
pub trait ImageBackend: Send + Sync {
    /// Short name for logs and `/health` ("demo", "comfyui", "a1111").
    fn name(&self) -> &str;
    /// Checks at start-up that the backend can work (models present, server up). Default: nothing to check.
    async fn check(&self) -> Result<(), GenerateError> {
        Ok(())
    }
    async fn generate(&self, request: &ImageRequest) -> Result<GeneratedImage, GenerateError>;
    /// Stops the job in flight on the server (skip/clear). Default: nothing to stop.
    async fn interrupt(&self) -> Result<(), GenerateError> {
        Ok(())
    }
    /// Progress of the job in flight, 0.0–1.0 ("painting 45%"), or `None` when idle or unknown.
    fn progress(&self) -> Option<f32> {
        None
    }
}
