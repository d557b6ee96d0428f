//! The AUTOMATIC1111 / Forge image backend: `POST /sdapi/v1/txt2img` with the LoRA named in the prompt.
//!
//! The web UI must run with `--api`. The LoRA goes in as `<lora:pixel-art-xl:1.2>`; progress comes from
//! `/sdapi/v1/progress` while the request is open; skip and clear call `/sdapi/v1/interrupt` (A1111 then
//! returns the unfinished image, which we discard).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use serde_json::{json, Value};
use tracing::{debug, warn};

use crate::comfyui::{decode_png, fit_size};
use crate::remote::{self, Progress};
use crate::{GenerateError, GeneratedImage, ImageBackend, ImageRequest};

/// How to reach the web UI and what to ask it for.
#[derive(Debug, Clone)]
pub struct A1111Config {
    /// Base URL (`A1111_URL`), e.g. `http://127.0.0.1:7860`.
    pub url: String,
    /// LoRA name as `/sdapi/v1/loras` lists it (the file name without extension).
    pub lora_name: String,
    /// Weight in `<lora:name:weight>`.
    pub lora_strength: f32,
    /// Sampling steps (`PIXEL_INFERENCE_STEPS`).
    pub steps: u32,
    /// `cfg_scale` (`PIXEL_GUIDANCE`).
    pub guidance: f32,
    /// Image size (`PIXEL_WIDTH`, `PIXEL_HEIGHT`); a request's own non-zero size wins.
    pub width: u32,
    pub height: u32,
    /// `sampler_name` as `/sdapi/v1/samplers` lists it.
    pub sampler: String,
    /// Limit for one whole image.
    pub timeout: Duration,
}

impl Default for A1111Config {
    fn default() -> Self {
        A1111Config {
            url: "http://127.0.0.1:7860".to_owned(),
            lora_name: "pixel-art-xl".to_owned(),
            lora_strength: 1.2,
            steps: 40,
            guidance: 5.0,
            width: 768,
            height: 768,
            sampler: "Euler".to_owned(),
            timeout: Duration::from_secs(300),
        }
    }
}

/// Paints with AUTOMATIC1111 or Forge.
pub struct A1111Backend {
    config: A1111Config,
    base: url::Url,
    http: reqwest::Client,
    /// Progress of the job in flight.
    progress: Progress,
    /// Set by `interrupt()` while a job runs: its (partial) result is thrown away.
    interrupted: AtomicBool,
    /// Whether a job is in flight (A1111 runs one at a time anyway).
    busy: AtomicBool,
}

impl std::fmt::Debug for A1111Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("A1111Backend").field("config", &self.config).finish_non_exhaustive()
    }
}

impl A1111Backend {
    pub fn new(config: A1111Config) -> Result<Self, GenerateError> {
        let base = remote::base_url(&config.url)
            .map_err(|e| GenerateError::Misconfigured(format!("A1111_URL {:?} is not a URL: {e}", config.url)))?;
        let http = remote::http_client()?;
        Ok(A1111Backend {
            config,
            base,
            http,
            progress: Progress::idle(),
            interrupted: AtomicBool::new(false),
            busy: AtomicBool::new(false),
        })
    }

    pub fn config(&self) -> &A1111Config {
        &self.config
    }

    fn url(&self, path: &str) -> String {
        remote::join_url(&self.base, path)
    }

    /// The `/sdapi/v1/txt2img` body for a request.
    pub fn payload(&self, request: &ImageRequest) -> Value {
        let c = &self.config;
        let (w, h) = self.size(request);
        json!({
            // The tag is removed by the web UI before CLIP, so the prompt's own words keep their places.
            "prompt": format!("{} <lora:{}:{}>", request.prompt, c.lora_name, c.lora_strength),
            "negative_prompt": request.negative_prompt,
            // A1111 seeds are 32-bit in practice (-1 means random, which we never send).
            "seed": request.seed % (1u64 << 32),
            "steps": c.steps,
            "cfg_scale": c.guidance,
            "width": w,
            "height": h,
            "sampler_name": c.sampler,
            "batch_size": 1,
            "n_iter": 1,
            "send_images": true,
            "save_images": false,
        })
    }

    fn size(&self, request: &ImageRequest) -> (u32, u32) {
        remote::image_size(request, self.config.width, self.config.height)
    }

    async fn get_json(&self, path: &str) -> Result<Value, GenerateError> {
        let response = self
            .http
            .get(self.url(path))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        if status.as_u16() == 404 {
            return Err(GenerateError::Misconfigured(format!(
                "{} has no /{path}: start the web UI with --api",
                self.base
            )));
        }
        if !status.is_success() {
            return Err(GenerateError::Unreachable(format!("{} answered HTTP {status} to /{path}", self.base)));
        }
        response
            .json()
            .await
            .map_err(|e| GenerateError::Failed(format!("{} sent bad JSON for /{path}: {e}", self.base)))
    }

    fn unreachable(&self, e: &reqwest::Error) -> GenerateError {
        remote::unreachable("A1111", &self.base, e)
    }

    async fn txt2img(&self, request: &ImageRequest) -> Result<GeneratedImage, GenerateError> {
        let response = self
            .http
            .post(self.url("sdapi/v1/txt2img"))
            .json(&self.payload(request))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match status.as_u16() {
            200..=299 => {}
            404 => {
                return Err(GenerateError::Misconfigured(format!(
                    "{} has no /sdapi/v1/txt2img: start the web UI with --api",
                    self.base
                )))
            }
            422 => {
                return Err(GenerateError::Misconfigured(format!("A1111 rejected the request: {}", error_text(&body))))
            }
            _ => return Err(GenerateError::Failed(format!("A1111 answered HTTP {status}: {}", error_text(&body)))),
        }
        let b64 =
            body["images"][0].as_str().ok_or_else(|| GenerateError::Failed("A1111 returned no image".to_owned()))?;
        let b64 = b64.split_once("base64,").map(|(_, data)| data).unwrap_or(b64);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| GenerateError::Failed(format!("A1111's image is not base64: {e}")))?;
        decode_png(&bytes)
    }

    /// Reads `/sdapi/v1/progress` every second while the job runs.
    async fn watch_progress(&self) {
        loop {
            tokio::time::sleep(Duration::from_millis(1000)).await;
            if let Ok(v) = self.get_json("sdapi/v1/progress?skip_current_image=true").await {
                if let Some(p) = v["progress"].as_f64() {
                    self.progress.set(p as f32);
                }
            }
        }
    }
}

/// The words of an A1111 error body: `detail` (FastAPI validation), `error` + `errors`, or the raw body.
fn error_text(body: &Value) -> String {
    match &body["detail"] {
        Value::String(s) if !s.is_empty() && body.get("error").is_none() => return s.clone(),
        Value::Array(items) => {
            return items
                .iter()
                .map(|d| {
                    let loc = d["loc"]
                        .as_array()
                        .map(|l| l.iter().map(|x| x.to_string().replace('"', "")).collect::<Vec<_>>().join("."));
                    format!("{}: {}", loc.unwrap_or_default(), d["msg"].as_str().unwrap_or("invalid"))
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
        _ => {}
    }
    let parts: Vec<&str> =
        ["error", "errors", "detail"].iter().filter_map(|k| body[k].as_str()).filter(|s| !s.is_empty()).collect();
    if parts.is_empty() {
        body.to_string().chars().take(200).collect()
    } else {
        parts.join(": ")
    }
}

/// Clears the busy state when a job ends or its future is dropped (then the server is told to stop).
struct Busy<'a> {
    backend: &'a A1111Backend,
    finished: bool,
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.backend.busy.store(false, Ordering::Relaxed);
        self.backend.progress.clear();
        if !self.finished {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let (http, url) = (self.backend.http.clone(), self.backend.url("sdapi/v1/interrupt"));
                rt.spawn(async move {
                    let _ = http.post(url).timeout(Duration::from_secs(10)).send().await;
                });
            }
        }
    }
}

#[async_trait]
impl ImageBackend for A1111Backend {
    fn name(&self) -> &str {
        "a1111"
    }

    /// Checks that the API is on, the LoRA is installed and the sampler exists; names what is missing.
    async fn check(&self) -> Result<(), GenerateError> {
        let loras = self.get_json("sdapi/v1/loras").await?;
        let names: Vec<String> = loras
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|l| [l["name"].as_str(), l["alias"].as_str()])
            .flatten()
            .map(str::to_owned)
            .collect();
        let mut missing = Vec::new();
        if !names.iter().any(|n| n == &self.config.lora_name) {
            let listed = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
            missing.push(format!(
                "LoRA '{}' is not installed (put pixel-art-xl.safetensors in models/Lora/ and refresh; listed: {listed})",
                self.config.lora_name
            ));
        }
        if let Ok(samplers) = self.get_json("sdapi/v1/samplers").await {
            let names: Vec<&str> =
                samplers.as_array().into_iter().flatten().filter_map(|s| s["name"].as_str()).collect();
            let aliases = samplers.as_array().into_iter().flatten().filter_map(|s| s["aliases"].as_array()).flatten();
            let known = names.contains(&self.config.sampler.as_str())
                || aliases.filter_map(Value::as_str).any(|a| a == self.config.sampler);
            if !names.is_empty() && !known {
                missing.push(format!("sampler '{}' is unknown (listed: {})", self.config.sampler, names.join(", ")));
            }
        }
        if let Ok(models) = self.get_json("sdapi/v1/sd-models").await {
            if models.as_array().is_some_and(|m| m.is_empty()) {
                missing.push(
                    "no checkpoint is installed (put sd_xl_base_1.0.safetensors in models/Stable-diffusion/)"
                        .to_owned(),
                );
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(GenerateError::Misconfigured(format!("A1111 at {}: {}", self.base, missing.join("; "))))
        }
    }

    async fn generate(&self, request: &ImageRequest) -> Result<GeneratedImage, GenerateError> {
        self.busy.store(true, Ordering::Relaxed);
        self.interrupted.store(false, Ordering::Relaxed);
        self.progress.set(0.0);
        let mut busy = Busy { backend: self, finished: false };
        debug!(donation = request.donation_id, "A1111 job started");
        let job = async {
            tokio::select! {
                r = self.txt2img(request) => r,
                _ = self.watch_progress() => unreachable!("the progress watcher never ends"),
            }
        };
        let result = match tokio::time::timeout(self.config.timeout, job).await {
            Ok(r) => r,
            Err(_) => {
                // Busy's drop tells the server to stop.
                return Err(GenerateError::Failed(format!(
                    "A1111 at {} did not finish within {:?}",
                    self.base, self.config.timeout
                )));
            }
        };
        busy.finished = true;
        if self.interrupted.load(Ordering::Relaxed) {
            return Err(GenerateError::Interrupted);
        }
        let (w, h) = self.size(request);
        fit_size(result?, w, h)
    }

    async fn interrupt(&self) -> Result<(), GenerateError> {
        if !self.busy.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.interrupted.store(true, Ordering::Relaxed);
        let result = self.http.post(self.url("sdapi/v1/interrupt")).timeout(Duration::from_secs(10)).send().await;
        match result {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => {
                warn!(status = %r.status(), "A1111 refused the interrupt");
                Err(GenerateError::Failed(format!("A1111 answered HTTP {} to /sdapi/v1/interrupt", r.status())))
            }
            Err(e) => Err(self.unreachable(&e)),
        }
    }

    fn progress(&self) -> Option<f32> {
        self.progress.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_names_the_lora_and_keeps_the_prompt_first() {
        let b = A1111Backend::new(A1111Config::default()).unwrap();
        let r = ImageRequest {
            donation_id: 1,
            prompt: "pixel art, a fox".into(),
            negative_prompt: "blurry".into(),
            seed: (1u64 << 32) + 5,
            width: 0,
            height: 0,
        };
        let p = b.payload(&r);
        assert_eq!(p["prompt"], "pixel art, a fox <lora:pixel-art-xl:1.2>");
        assert_eq!(p["seed"], 5);
        assert_eq!((p["width"].as_u64(), p["height"].as_u64()), (Some(768), Some(768)));
        assert_eq!(p["cfg_scale"], 5.0);
    }

    #[test]
    fn error_bodies_are_readable() {
        let v = json!({"detail": [{"loc": ["body", "steps"], "msg": "value is not a valid integer", "type": "type_error"}]});
        assert_eq!(error_text(&v), "body.steps: value is not a valid integer");
        let v = json!({"error": "RuntimeError", "detail": "", "body": "", "errors": "CUDA out of memory"});
        assert_eq!(error_text(&v), "RuntimeError: CUDA out of memory");
    }
}
