//! The check on the generated picture itself (DESIGN.md §5c): the layer that does not depend on how
//! the request was worded. [`ImageCheck`] is the seam (the in-process open_nsfw classifier and the
//! vision LLM implement it); [`ImageChecks`] runs every configured check and fails closed: a check
//! that errs or answers garbage flags the image, exactly as a check that finds something.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use tracing::warn;

use crate::chat::{strip_fence, AttemptError, ChatEndpoint};
use crate::llm::SafetyCategory;

/// What one check found.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFinding {
    pub flagged: bool,
    /// The safety category when flagged (`sexual`, `gore`, …).
    pub category: Option<String>,
    /// A short, loggable description ("nsfw 0.93 ≥ 0.40", "gore: a severed head").
    pub detail: String,
}

/// Why a check could not answer. The caller flags the image (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CheckError(pub String);

/// One way of checking a picture.
#[async_trait]
pub trait ImageCheck: Send + Sync {
    /// Short name for reasons, logs and `/health` (`nsfw`, `llm`).
    fn name(&self) -> &str;
    /// Checks one picture (PNG bytes, as the journal keeps it).
    async fn check(&self, png: &[u8]) -> Result<ImageFinding, CheckError>;
    /// Called before a picture is painted: frees what the check holds on the GPU (a vision model on
    /// Ollama with `LLM_UNLOAD_BEFORE_IMAGE`). Default: nothing.
    async fn before_image(&self) {}
}

/// The verdict of every configured check on one picture.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageVerdict {
    pub flagged: bool,
    /// `image check: …` naming each check that flagged or failed; empty when passed.
    pub reason: String,
    pub category: Option<String>,
    /// Per check: its name, how long it took, and its error if it failed.
    pub runs: Vec<CheckRun>,
}

/// One check's run on one picture, for `/health` and `/metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRun {
    pub name: String,
    pub elapsed: Duration,
    pub result: Result<ImageFinding, CheckError>,
}

/// Every configured check, run side by side.
#[derive(Clone, Default)]
pub struct ImageChecks {
    checks: Vec<Arc<dyn ImageCheck>>,
}

impl ImageChecks {
    pub fn new(checks: Vec<Arc<dyn ImageCheck>>) -> ImageChecks {
        ImageChecks { checks }
    }

    /// True when no check is configured (`IMAGE_CHECK=off`, or the demo's bundled images).
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// The configured checks' names, in order.
    pub fn names(&self) -> Vec<String> {
        self.checks.iter().map(|c| c.name().to_owned()).collect()
    }

    /// Frees every check's GPU memory before a picture is painted.
    pub async fn before_image(&self) {
        futures_util::future::join_all(self.checks.iter().map(|c| c.before_image())).await;
    }

    /// Runs every check; flagged if any flags or fails.
    pub async fn check(&self, png: &[u8]) -> ImageVerdict {
        let runs = futures_util::future::join_all(self.checks.iter().map(|c| async move {
            let started = Instant::now();
            let result = c.check(png).await;
            CheckRun { name: c.name().to_owned(), elapsed: started.elapsed(), result }
        }))
        .await;
        let mut reasons = Vec::new();
        let mut category = None;
        for run in &runs {
            match &run.result {
                Ok(f) if f.flagged => {
                    reasons.push(format!("{} flagged it ({})", run.name, f.detail));
                    category = category.or_else(|| f.category.clone());
                }
                Ok(_) => {}
                Err(e) => {
                    warn!(check = %run.name, error = %e, "image check failed; the image is held (fail closed)");
                    reasons.push(format!("{} failed, held unchecked: {e}", run.name));
                }
            }
        }
        let flagged = !reasons.is_empty();
        ImageVerdict {
            flagged,
            reason: if flagged { format!("image check: {}", reasons.join("; ")) } else { String::new() },
            category: if flagged { Some(category.unwrap_or_else(|| "other".to_owned())) } else { None },
            runs,
        }
    }
}

/// The vision model's answer, exactly as the JSON Schema sent with the request describes it.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VisionAnswer {
    /// true only if the picture is fine for a general-audience live stream.
    pub safe: bool,
    /// "none" when safe; otherwise the main problem (the planner's categories, DESIGN.md §5c).
    pub category: SafetyCategory,
    /// One short sentence on what is in the picture that decided it.
    pub reason: String,
}

const VISION_PROMPT: &str = r#"You check pictures before they are shown on a live stream watched by a general audience (PG-13), including children.
The picture was generated by an image model from a viewer's request; the request was already checked, but image models sometimes paint what nobody asked for. Judge only what is visible in the picture.
Unsafe: nudity or sexual content (exposed breasts, genitals, buttocks, sex acts, sexualised poses); anything sexual or suggestive involving a child or a childlike character; gore (blood and wounds in detail, dismemberment, corpses, torture, cruelty to animals); hate symbols (swastikas, SS runes, other extremist or hate insignia) and degrading caricatures of a people; self-harm or suicide (cuts, a noose, a person about to jump); drug use (injecting, snorting lines, smoking drugs, drug paraphernalia as the subject); terrorism or mass violence glorified; readable personal data (a phone number, a home address).
Safe: swimwear, cartoon and fantasy action without gore, spooky themes, weapons carried but not used on someone, medicine, coffee, cocktails.
When unsure, answer unsafe.
Answer with one JSON object and nothing else: {"safe": true|false, "category": "none"|"sexual"|"minors"|"gore"|"hate"|"self_harm"|"drugs"|"extremism"|"doxxing"|"other", "reason": "one short sentence"}. category is "none" exactly when safe is true."#;

/// The JSON Schema for [`VisionAnswer`], strict like the planner's.
pub fn vision_schema() -> Value {
    crate::llm::strict_schema::<VisionAnswer>()
}

/// Settings of the vision check (`IMAGE_CHECK_MODEL` on the planner's `LLM_ENDPOINT`).
#[derive(Clone)]
pub struct VisionConfig {
    pub endpoint: String,
    pub model: String,
    pub api_key: Option<String>,
    pub timeout: Duration,
    pub retry_attempts: u32,
    /// The server is Ollama and the model should leave the GPU before each picture is painted
    /// (`LLM_BACKEND=ollama` with `LLM_UNLOAD_BEFORE_IMAGE`).
    pub unload_before_image: bool,
}

impl std::fmt::Debug for VisionConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VisionConfig")
            .field("endpoint", &self.endpoint)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("retry_attempts", &self.retry_attempts)
            .field("unload_before_image", &self.unload_before_image)
            .finish()
    }
}

/// A vision model on an OpenAI-compatible endpoint (Ollama serves `qwen2.5vl`, `llava`, `gemma3`…).
pub struct VisionCheck {
    config: VisionConfig,
    chat: ChatEndpoint,
    schema: Value,
}

impl VisionCheck {
    pub fn new(config: VisionConfig) -> Result<VisionCheck, String> {
        let chat = ChatEndpoint::new("LLM_ENDPOINT", &config.endpoint, config.api_key.clone(), config.timeout)?;
        Ok(VisionCheck { config, chat, schema: vision_schema() })
    }

    /// Changes the base delay between attempts.
    pub fn with_retry_backoff(mut self, base: Duration) -> Self {
        self.chat = self.chat.with_backoff(base);
        self
    }

    /// The request body for one picture: the image as a PNG data URL in the user message.
    pub fn request_body(&self, png: &[u8]) -> Value {
        use base64::Engine as _;
        let url = format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(png));
        json!({
            "model": self.config.model,
            "messages": [
                {"role": "system", "content": VISION_PROMPT},
                {"role": "user", "content": [
                    {"type": "text", "text": "Is this picture safe to show on the stream?"},
                    {"type": "image_url", "image_url": {"url": url}},
                ]},
            ],
            "temperature": 0.0,
            "max_tokens": 300,
            "stream": false,
            "response_format": self.chat.response_format("image_check", &self.schema),
        })
    }

    async fn attempt(&self, png: &[u8]) -> Result<ImageFinding, AttemptError> {
        let content = self.chat.complete_structured(|| self.request_body(png)).await?;
        parse_vision(&content).map_err(AttemptError::invalid)
    }
}

/// Strict parse of the model's answer. A self-contradicting answer flags (fail closed).
pub fn parse_vision(content: &str) -> Result<ImageFinding, String> {
    let a: VisionAnswer = serde_json::from_str(strip_fence(content))
        .map_err(|e| format!("the image check's answer does not match the schema: {e}"))?;
    let reason = a.reason.trim();
    Ok(match (a.safe, a.category) {
        (true, SafetyCategory::NONE) => ImageFinding { flagged: false, category: None, detail: "safe".to_owned() },
        (true, c) => ImageFinding {
            flagged: true,
            category: Some(c.as_str().to_owned()),
            detail: format!("called it safe but named {} ({reason})", c.as_str()),
        },
        (false, c) => {
            let c = c.or_other().as_str();
            ImageFinding { flagged: true, category: Some(c.to_owned()), detail: format!("{c}: {reason}") }
        }
    })
}

#[async_trait]
impl ImageCheck for VisionCheck {
    fn name(&self) -> &str {
        "llm"
    }

    async fn check(&self, png: &[u8]) -> Result<ImageFinding, CheckError> {
        self.chat
            .with_retries("image check", self.config.retry_attempts, || self.attempt(png))
            .await
            .map_err(|f| CheckError(f.to_string()))
    }

    async fn before_image(&self) {
        if self.config.unload_before_image {
            self.chat.unload_ollama_model(&self.chat.ollama_generate_url(), &self.config.model).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(&'static str, Result<ImageFinding, CheckError>);

    #[async_trait]
    impl ImageCheck for Fixed {
        fn name(&self) -> &str {
            self.0
        }
        async fn check(&self, _png: &[u8]) -> Result<ImageFinding, CheckError> {
            self.1.clone()
        }
    }

    fn pass() -> Result<ImageFinding, CheckError> {
        Ok(ImageFinding { flagged: false, category: None, detail: "nsfw 0.01".into() })
    }

    #[tokio::test]
    async fn any_flag_or_failure_flags_the_picture_and_names_the_check() {
        let both_pass = ImageChecks::new(vec![Arc::new(Fixed("nsfw", pass())), Arc::new(Fixed("llm", pass()))]);
        let v = both_pass.check(b"png").await;
        assert!(!v.flagged && v.reason.is_empty() && v.category.is_none(), "{v:?}");
        assert_eq!(v.runs.len(), 2);

        let failing = ImageChecks::new(vec![
            Arc::new(Fixed("nsfw", pass())),
            Arc::new(Fixed("llm", Err(CheckError("no answer from the LLM within 1s".into())))),
        ]);
        let v = failing.check(b"png").await;
        assert!(v.flagged, "a check that fails flags the picture (fail closed)");
        assert_eq!(v.reason, "image check: llm failed, held unchecked: no answer from the LLM within 1s");
        assert_eq!(v.category.as_deref(), Some("other"));

        let nsfw = ImageChecks::new(vec![Arc::new(Fixed(
            "nsfw",
            Ok(ImageFinding { flagged: true, category: Some("sexual".into()), detail: "nsfw 0.97 ≥ 0.40".into() }),
        ))]);
        let v = nsfw.check(b"png").await;
        assert_eq!(
            (v.reason.as_str(), v.category.as_deref()),
            ("image check: nsfw flagged it (nsfw 0.97 ≥ 0.40)", Some("sexual"))
        );
    }

    #[test]
    fn the_vision_answer_is_parsed_strictly_and_contradictions_flag() {
        let safe = parse_vision(r#"{"safe": true, "category": "none", "reason": "a fox in snow"}"#).unwrap();
        assert!(!safe.flagged);
        let gore =
            parse_vision("```json\n{\"safe\": false, \"category\": \"gore\", \"reason\": \"blood\"}\n```").unwrap();
        assert_eq!((gore.flagged, gore.category.as_deref()), (true, Some("gore")));
        let odd = parse_vision(r#"{"safe": true, "category": "drugs", "reason": "a syringe"}"#).unwrap();
        assert_eq!((odd.flagged, odd.category.as_deref()), (true, Some("drugs")), "safe + a category is not safe");
        let vague = parse_vision(r#"{"safe": false, "category": "none", "reason": "hmm"}"#).unwrap();
        assert_eq!((vague.flagged, vague.category.as_deref()), (true, Some("other")));
        for garbage in [
            "",
            "yes it is safe",
            r#"{"safe": "yes"}"#,
            r#"{"safe": true, "category": "none", "reason": "", "extra": 1}"#,
            r#"{"safe": true, "category": "nudity", "reason": ""}"#,
        ] {
            assert!(parse_vision(garbage).is_err(), "{garbage:?} must not pass");
        }
    }

    #[test]
    fn the_schema_and_prompt_name_every_category() {
        let schema = vision_schema();
        let cats: Vec<&str> =
            schema["properties"]["category"]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        for c in ["none", "sexual", "minors", "gore", "hate", "self_harm", "drugs", "extremism", "doxxing", "other"] {
            assert!(cats.contains(&c), "schema lacks {c}");
            assert!(VISION_PROMPT.contains(&format!("\"{c}\"")), "prompt lacks {c}");
        }
        assert_eq!(schema["additionalProperties"], json!(false));
    }
}
