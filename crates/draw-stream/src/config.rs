//! Configuration: a TOML file plus environment variables (the environment wins), `.env` read.
//!
//! Every variable name of the original Python service is accepted with its meaning, so an existing
//! `.env` works unchanged. TOML keys are the same names in lower case (`show_duration_sec = 90`).
//! Loading never stops at the first problem: every bad key is reported with its origin and why.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::draw_rules::{DrawRules, Fairness};

/// Where a raw value came from, so errors can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Env,
    File(PathBuf),
    Default,
    /// The panel (`PUT /queue/rules`), before it is saved.
    Panel,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Env => write!(f, "environment"),
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::Default => write!(f, "default"),
            Origin::Panel => write!(f, "panel"),
        }
    }
}

/// One problem with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub key: String,
    pub origin: Origin,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.key, self.origin, self.message)
    }
}

/// All problems found while loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "configuration has {} problem(s):", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Which drawing requests need a moderator's approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModerationMode {
    /// The word layer (and the LLM) decide.
    Auto,
    /// Everything that is not blocked waits in `held` for a moderator.
    ApproveAll,
}

/// Which scene planner turns a request into a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannerKind {
    Offline,
    /// An OpenAI-compatible LLM server; the string is LLM_BACKEND (`ollama`, `vllm`, …).
    Llm(String),
}

/// Which server paints the pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Demo,
    ComfyUi,
    A1111,
}

/// Which checks look at every generated picture (DESIGN.md §5c).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImageCheckPlan {
    /// The in-process open_nsfw classifier.
    pub nsfw: bool,
    /// The vision model `IMAGE_CHECK_MODEL`.
    pub llm: bool,
    /// `IMAGE_CHECK` was written out by the streamer (then it applies to the demo backend too).
    pub explicit: bool,
}

impl ImageCheckPlan {
    /// The checks' names for logs and `/health` (`nsfw,llm`, or `off`).
    pub fn describe(&self) -> String {
        let names: Vec<&str> = [(self.nsfw, "nsfw"), (self.llm, "llm")].iter().filter(|c| c.0).map(|c| c.1).collect();
        if names.is_empty() {
            "off".to_owned()
        } else {
            names.join(",")
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Every known key: name, default (None = unset), and a one-line description for docs and errors.
pub const KEYS: &[(&str, Option<&str>, &str)] = &[
    ("QUEUE_MAX_SIZE", Some("32"), "How many waiting donations /queue and the HUD list (nothing is ever dropped)"),
    // LLM
    ("LLM_BACKEND", Some("ollama"), "ollama | llamacpp | vllm | tgi | openai | offline (no LLM at all)"),
    ("LLM_ENDPOINT", Some("http://127.0.0.1:11434/v1/chat/completions"), "OpenAI-compatible chat completions URL"),
    ("LLM_MODEL_ID", Some("qwen2.5-coder:14b-instruct-q4_K_M"), "model name on the LLM server"),
    ("LLM_API_KEY", None, "bearer key for the LLM server, if it needs one"),
    ("LLM_TEMPERATURE", Some("0.1"), "sampling temperature"),
    ("LLM_MAX_TOKENS", Some("1536"), "max generated tokens"),
    ("LLM_TIMEOUT_SEC", Some("30"), "timeout of one LLM request"),
    ("LLM_RETRY_ATTEMPTS", Some("3"), "retries after the first attempt"),
    (
        "LLM_UNLOAD_BEFORE_IMAGE",
        Some("false"),
        "one GPU for both: unload the planner's model (keep_alive 0) right before each picture; LLM and painter take turns",
    ),
    ("LOCALE", Some("en"), "locale hint for the planner"),
    // Image generation
    ("IMAGE_BACKEND", None, "comfyui | a1111 | demo"),
    ("COMFYUI_URLS", None, "comma-separated ComfyUI servers, e.g. http://127.0.0.1:8188"),
    ("COMFYUI_CHECKPOINT", Some("sd_xl_base_1.0.safetensors"), "SDXL checkpoint as ComfyUI lists it"),
    ("COMFYUI_VAE", None, "VAE file (default: an SDXL fp16-fix VAE if listed, else the checkpoint's)"),
    ("COMFYUI_WORKFLOW", None, "path to an API-format workflow with {{prompt}}/{{seed}} placeholders"),
    ("A1111_URL", None, "AUTOMATIC1111/Forge server, e.g. http://127.0.0.1:7860"),
    (
        "IMAGE_CHECK",
        None,
        "nsfw,llm | nsfw | llm | off: checks on every generated picture (default: nsfw when its model is installed, plus llm when IMAGE_CHECK_MODEL is set; the demo's own pictures skip it unless set)",
    ),
    ("IMAGE_CHECK_MODEL", None, "vision model on LLM_ENDPOINT that checks each picture, e.g. qwen2.5vl:7b"),
    (
        "IMAGE_CHECK_NSFW_MODEL",
        None,
        "open_nsfw ONNX file (default: <data dir>/models/open-nsfw.onnx, installed by `draw-stream models fetch`)",
    ),
    (
        "IMAGE_CHECK_NSFW_THRESHOLD",
        Some("0.4"),
        "open_nsfw score (0..1) at which a picture is held for a moderator (chosen from measurements, see README)",
    ),
    (
        "PIXEL_MODEL_BASE",
        Some("stabilityai/stable-diffusion-xl-base-1.0"),
        "SDXL base (informational; servers load models)",
    ),
    ("PIXEL_LORA_REPO", Some("nerijs/pixel-art-xl"), "LoRA repository (informational)"),
    ("PIXEL_LORA_WEIGHT", Some("pixel-art-xl.safetensors"), "LoRA file name as the image server lists it"),
    ("PIXEL_DEVICE", Some("cuda"), "accepted for compatibility; the image server owns the GPU"),
    ("PIXEL_HEIGHT", Some("768"), "diffusion height"),
    ("PIXEL_WIDTH", Some("768"), "diffusion width"),
    ("PIXEL_INFERENCE_STEPS", Some("40"), "diffusion steps"),
    ("PIXEL_GUIDANCE", Some("5.0"), "CFG guidance scale"),
    ("PIXEL_OUTPUT_SIZE", Some("96"), "pixel-art grid size"),
    ("PIXEL_PALETTE_COLORS", Some("12"), "palette size of the pixel art (the ceiling with PIXEL_PALETTE_AUTO)"),
    (
        "PIXEL_PALETTE_AUTO",
        Some("false"),
        "true: each picture gets as many colours as it needs (quality knee), at most PIXEL_PALETTE_COLORS",
    ),
    ("PIXEL_STROKE_CHUNK", Some("220"), "accepted for compatibility (strokes now follow shapes)"),
    ("PIXEL_ANIMATION_BASE_MS", Some("450"), "accepted for compatibility (DRAW_DURATION_SEC sets timing)"),
    ("PIXEL_ANIMATION_PER_PX_MS", Some("2"), "accepted for compatibility (DRAW_DURATION_SEC sets timing)"),
    ("PIXEL_ANIMATION_DELAY_MS", Some("70"), "accepted for compatibility (DRAW_DURATION_SEC sets timing)"),
    // Stage
    ("CANVAS_W", Some("96"), "canvas width of text cards"),
    ("CANVAS_H", Some("96"), "canvas height of text cards"),
    ("WINDOW_SCALE", Some("8"), "largest integer upscale of the canvas"),
    ("DISPLAY_WIDTH", Some("1920"), "window width"),
    ("DISPLAY_HEIGHT", Some("1080"), "window height"),
    ("FRAME_RATE", Some("60"), "frames per second"),
    ("SHOW_FPS", Some("false"), "draw the FPS counter on the HUD"),
    ("DEFAULT_STEP_DURATION_MS", Some("700"), "duration of a Canvas-DSL step without its own"),
    ("SHOW_DURATION_SEC", Some("90"), "how long a finished drawing stays on screen"),
    ("CARD_DURATION_SEC", Some("8"), "how long a refusal or failure card stays on screen"),
    ("DRAW_DURATION_SEC", Some("40"), "length of one drawing's animation"),
    (
        "CARD_BLOCKED_EN",
        Some("I can't draw that one — let's keep the stream friendly!"),
        "refusal card (moderation), English",
    ),
    ("CARD_BLOCKED_RU", Some("Это я рисовать не буду — давайте без такого!"), "refusal card (moderation), Russian"),
    (
        "CARD_UNCHECKED_EN",
        Some("I can't check this one right now — sorry!"),
        "card when the checker is down (fail closed), English",
    ),
    (
        "CARD_UNCHECKED_RU",
        Some("Сейчас не могу это проверить — извините!"),
        "card when the checker is down (fail closed), Russian",
    ),
    ("CARD_FAILED_EN", Some("Sorry, I couldn't draw this one"), "card when painting fails, English"),
    ("CARD_FAILED_RU", Some("Простите, не получилось нарисовать"), "card when painting fails, Russian"),
    (
        "DISPLAY_CURRENCY",
        Some("USD"),
        "your currency: manual donations without one, and the amounts of the drawing rules (set it to your Donation Alerts account's currency)",
    ),
    // The streamer's drawing rules (DESIGN.md §5b); the panel can change them while live
    (
        "DRAW_MIN_AMOUNT",
        Some("0"),
        "donations worth less (in DISPLAY_CURRENCY) are ignored: kept in the journal and the panel, never drawn, no card",
    ),
    (
        "PRIORITY_MIN_AMOUNT",
        None,
        "donations worth at least this (in DISPLAY_CURRENCY) go ahead of every smaller waiting donation",
    ),
    (
        "DRAW_TRIGGER",
        None,
        "only requests containing this word are drawn, e.g. !draw or нарисуй (any case, whole word); it is removed from the prompt",
    ),
    (
        "DRAW_FAIRNESS",
        Some("round-robin"),
        "round-robin: within a tier, one drawing per donor per round | arrival: plain arrival order",
    ),
    ("GENERATION_LOOKAHEAD", Some("2"), "drawings generated ahead of the screen"),
    (
        "KEEP_RAW_IMAGES",
        Some("20"),
        "raw generated images kept in the journal for finished drawings (older ones are dropped once their gallery files are written)",
    ),
    (
        "GALLERY_MAX_MB",
        Some("2048"),
        "size cap of <data dir>/gallery in MiB (decimals allowed): the oldest drawings' files go first, their journal rows stay, the newest always stays (0: no cap)",
    ),
    ("GALLERY_MAX_DAYS", Some("0"), "drawings' gallery files older than this many days are removed (0: kept forever)"),
    // Service
    ("API_HOST", Some("127.0.0.1"), "control API bind address (loopback by default)"),
    ("API_PORT", Some("8080"), "control API port (0: any free port; the one taken is written to <data dir>/api-port)"),
    ("API_TOKEN", None, "control API bearer token (default: generated into <data dir>/api-token)"),
    ("OVERLAY_KEY", None, "key of the OBS overlay page (default: generated into <data dir>/overlay-key)"),
    ("DATA_DIR", None, "journal, tokens and gallery (default: the OS data dir)"),
    ("MODERATION_MODE", Some("auto"), "auto | approve-all"),
    (
        "MODERATION_RULES",
        None,
        "your own moderation rules: a file of `ACTION PATTERN` lines, re-read when it changes (default: <data dir>/moderation-rules.txt if present)",
    ),
    ("DEMO", None, "1: built-in sample donations; 0: never (default: on when no source is configured)"),
    ("LOG_LEVEL", Some("INFO"), "CRITICAL | ERROR | WARNING | INFO | DEBUG (RUST_LOG wins when set)"),
    ("LOG_FORMAT", Some("text"), "text | json"),
];

/// Every key: each source's section (from its crate, see [`crate::sources::KINDS`]), then the service's own.
pub fn all_keys() -> impl Iterator<Item = (&'static str, Option<&'static str>, &'static str)> {
    crate::sources::KINDS
        .iter()
        .flat_map(|k| k.keys.iter().map(|k| (k.name, k.default, k.doc)))
        .chain(KEYS.iter().copied())
}

/// Raw string values by key, with their origin.
#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    values: BTreeMap<&'static str, (String, Origin)>,
    errors: Vec<ConfigError>,
}

impl RawConfig {
    /// Reads `.env` (without overriding the environment), the TOML file, then the environment.
    /// `file` is `--config`; when `None`, `draw-stream.toml` is read if it exists.
    pub fn load(file: Option<&Path>) -> RawConfig {
        // A broken `.env` line is not fatal for dotenvy; a missing file is normal.
        let _ = dotenvy::dotenv();
        let mut raw = RawConfig::default();
        let default_file = PathBuf::from("draw-stream.toml");
        match file {
            Some(p) => raw.read_toml_file(p, true),
            None if default_file.exists() => raw.read_toml_file(&default_file, false),
            None => {}
        }
        raw.read_env(|k| std::env::var(k).ok());
        raw
    }

    /// Builds from explicit pairs (tests, `config check` on a given environment).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> RawConfig {
        let map: BTreeMap<String, String> = pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
        let mut raw = RawConfig::default();
        raw.read_env(|k| map.get(k).cloned());
        raw
    }

    fn read_env(&mut self, get: impl Fn(&str) -> Option<String>) {
        for (key, _, _) in all_keys() {
            if let Some(v) = get(key) {
                self.values.insert(key, (v, Origin::Env));
            }
        }
    }

    fn read_toml_file(&mut self, path: &Path, required: bool) {
        let origin = Origin::File(path.to_owned());
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if required || e.kind() != std::io::ErrorKind::NotFound => {
                self.errors.push(ConfigError { key: "--config".into(), origin, message: format!("cannot read: {e}") });
                return;
            }
            Err(_) => return,
        };
        self.read_toml_str(&text, origin);
    }

    /// Parses TOML text; unknown keys are errors (a typo must not silently fall back to a default).
    pub fn read_toml_str(&mut self, text: &str, origin: Origin) {
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                self.errors.push(ConfigError { key: "(file)".into(), origin, message: format!("not valid TOML: {e}") });
                return;
            }
        };
        for (k, v) in table {
            let upper = k.to_ascii_uppercase();
            let Some((key, _, _)) = all_keys().find(|(name, _, _)| *name == upper) else {
                let hint = suggest(&upper)
                    .map(|s| format!(" (did you mean `{}`?)", s.to_ascii_lowercase()))
                    .unwrap_or_default();
                self.errors.push(ConfigError { key: k, origin: origin.clone(), message: format!("unknown key{hint}") });
                continue;
            };
            let value = match v {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Array(items) if upper == "COMFYUI_URLS" => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned).unwrap_or_else(|| i.to_string()))
                    .collect::<Vec<_>>()
                    .join(","),
                other => {
                    self.errors.push(ConfigError {
                        key: k,
                        origin: origin.clone(),
                        message: format!("expected a string, number or boolean, found {}", other.type_str()),
                    });
                    continue;
                }
            };
            self.values.insert(key, (value, origin.clone()));
        }
    }

    /// Whether the streamer set this key anywhere (not a default).
    pub fn is_set(&self, key: &str) -> bool {
        self.values.get(key).is_some_and(|(v, _)| !v.trim().is_empty())
    }

    /// The value the streamer set for `key`, if any (trimmed; defaults are not returned).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(|(v, _)| v.trim()).filter(|v| !v.is_empty())
    }
}

/// Closest known key by edit distance, for "did you mean".
fn suggest(key: &str) -> Option<&'static str> {
    all_keys()
        .map(|(k, _, _)| (k, edit_distance(k, key)))
        .filter(|(_, d)| *d <= 3)
        .min_by_key(|(_, d)| *d)
        .map(|(k, _)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The validated settings the service runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The configured donation sources, built from their sections.
    pub sources: crate::sources::Sources,
    /// The sources' sections as set (for `login`); `Debug` shows only the keys.
    pub source_values: SourceValues,
    pub queue_max_size: usize,

    pub planner: PlannerKind,
    pub llm_endpoint: String,
    pub llm_model_id: String,
    pub llm_api_key: Option<String>,
    pub llm_temperature: f32,
    pub llm_max_tokens: u32,
    pub llm_timeout: Duration,
    pub llm_retry_attempts: u32,
    pub llm_unload_before_image: bool,
    pub locale: String,

    pub image_backend: BackendKind,
    pub comfyui_urls: Vec<String>,
    pub comfyui_checkpoint: String,
    pub comfyui_vae: Option<String>,
    pub comfyui_workflow: Option<PathBuf>,
    pub a1111_url: String,
    pub pixel_lora_weight: String,
    pub pixel_width: u32,
    pub pixel_height: u32,
    pub pixel_inference_steps: u32,
    pub pixel_guidance: f32,
    pub pixel_output_size: u32,
    pub pixel_palette_colors: usize,
    /// Pick the palette size per picture (PIXEL_PALETTE_COLORS is then the ceiling).
    pub pixel_palette_auto: bool,
    /// The checks on every generated picture, resolved from `IMAGE_CHECK` and what is installed.
    pub image_check: ImageCheckPlan,
    pub image_check_model: Option<String>,
    pub image_check_nsfw_model: PathBuf,
    pub image_check_nsfw_threshold: f32,

    pub canvas_w: u32,
    pub canvas_h: u32,
    pub window_scale: u32,
    pub display_width: u32,
    pub display_height: u32,
    pub frame_rate: u32,
    pub show_fps: bool,
    pub default_step_duration_ms: u32,
    pub show_duration: Duration,
    pub card_duration: Duration,
    pub draw_duration: Duration,
    pub display_currency: String,
    /// The drawing rules at start-up: the configuration, with what the panel saved on top
    /// ([`DRAW_RULES_FILE`]). The rules in force live in the app and can change while running.
    pub draw_rules: DrawRules,
    pub lookahead: usize,
    pub keep_raw_images: usize,
    /// The streamer's bounds on the gallery files.
    pub gallery_limits: crate::gallery::Limits,
    pub card_blocked_en: String,
    pub card_blocked_ru: String,
    pub card_unchecked_en: String,
    pub card_unchecked_ru: String,
    pub card_failed_en: String,
    pub card_failed_ru: String,

    pub api_host: String,
    pub api_port: u16,
    pub api_token: Option<String>,
    pub overlay_key: Option<String>,
    pub data_dir: PathBuf,
    pub moderation_mode: ModerationMode,
    /// The streamer's rules file as set (`MODERATION_RULES`); see [`Settings::rules_file`].
    pub moderation_rules: Option<PathBuf>,
    /// Whether the built-in sample donations flow (labelled DEMO on screen).
    pub demo: bool,
    pub log_level: String,
    pub log_format: LogFormat,
}

/// The values of the sources' keys as the streamer set them. They hold tokens: `Debug` shows the keys only.
#[derive(Clone, Default)]
pub struct SourceValues(BTreeMap<&'static str, String>);

impl fmt::Debug for SourceValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl Settings {
    /// A source key's value as the streamer set it (trimmed, never empty).
    pub fn source_value(&self, key: &str) -> Option<String> {
        self.source_values.0.get(key).cloned()
    }
}

/// Typed reads over a [`RawConfig`] that collect every error instead of stopping.
struct Reader<'a> {
    raw: &'a RawConfig,
    errors: Vec<ConfigError>,
}

impl Reader<'_> {
    fn raw_value(&self, key: &'static str) -> (String, Origin) {
        if let Some((v, o)) = self.raw.values.get(key) {
            return (v.trim().to_owned(), o.clone());
        }
        let default = all_keys().find(|(k, _, _)| *k == key).and_then(|(_, d, _)| d).unwrap_or("");
        (default.to_owned(), Origin::Default)
    }

    fn err(&mut self, key: &str, origin: Origin, message: String) {
        self.errors.push(ConfigError { key: key.to_owned(), origin, message });
    }

    fn string(&mut self, key: &'static str) -> String {
        self.raw_value(key).0
    }

    fn optional(&mut self, key: &'static str) -> Option<String> {
        let v = self.raw_value(key).0;
        (!v.is_empty()).then_some(v)
    }

    fn url(&mut self, key: &'static str) -> String {
        let (v, origin) = self.raw_value(key);
        let ok = ["http://", "https://", "ws://", "wss://"].iter().any(|p| v.starts_with(p) && v.len() > p.len());
        if !ok {
            self.err(key, origin, format!("{v:?} is not an http(s) or ws(s) URL"));
        }
        v
    }

    fn parse<T: std::str::FromStr + PartialOrd + Copy + fmt::Display>(
        &mut self,
        key: &'static str,
        min: T,
        max: T,
        fallback: T,
    ) -> T {
        let (v, origin) = self.raw_value(key);
        match v.parse::<T>() {
            Ok(n) if n >= min && n <= max => n,
            Ok(_) => {
                self.err(key, origin, format!("{v} is out of range ({min}..={max})"));
                fallback
            }
            Err(_) if v.parse::<f64>().is_ok_and(f64::is_finite) => {
                self.err(key, origin, format!("{v} is out of range ({min}..={max})"));
                fallback
            }
            Err(_) => {
                self.err(key, origin, format!("{v:?} is not a number"));
                fallback
            }
        }
    }

    fn seconds(&mut self, key: &'static str, min: f64, fallback: f64) -> Duration {
        let (v, origin) = self.raw_value(key);
        match v.parse::<f64>() {
            Ok(n) if n.is_finite() && n >= min && n <= 86_400.0 => Duration::from_secs_f64(n),
            Ok(_) => {
                self.err(key, origin, format!("{v} is out of range ({min}..=86400 seconds)"));
                Duration::from_secs_f64(fallback)
            }
            Err(_) => {
                self.err(key, origin, format!("{v:?} is not a number of seconds"));
                Duration::from_secs_f64(fallback)
            }
        }
    }

    fn boolean(&mut self, key: &'static str) -> Option<bool> {
        let (v, origin) = self.raw_value(key);
        match v.to_ascii_lowercase().as_str() {
            "" => None,
            "1" | "true" | "yes" | "on" => Some(true),
            "0" | "false" | "no" | "off" => Some(false),
            _ => {
                self.err(key, origin, format!("{v:?} is not a boolean (use 1/0, true/false)"));
                None
            }
        }
    }

    fn choice(&mut self, key: &'static str, allowed: &[&str]) -> String {
        let (v, origin) = self.raw_value(key);
        let lower = v.to_ascii_lowercase();
        if allowed.contains(&lower.as_str()) {
            lower
        } else {
            self.err(key, origin, format!("{v:?} is not one of {}", allowed.join(", ")));
            allowed[0].to_owned()
        }
    }
}

/// The data directory: `--data-dir`, else `DATA_DIR`, else the OS data dir. Commands that must work
/// while the rest of the configuration is broken (`models fetch`) read only this.
pub fn data_dir_of(raw: &RawConfig, data_dir_override: Option<&Path>) -> PathBuf {
    match (data_dir_override, raw.get("DATA_DIR")) {
        (Some(p), _) => p.to_owned(),
        (None, Some(d)) => PathBuf::from(d),
        (None, None) => dirs::data_dir().map(|d| d.join("draw-stream")).unwrap_or_else(|| PathBuf::from("data")),
    }
}

/// The drawing rules saved from the panel, in `<data dir>/`: they win over the configuration file
/// and the environment, because they are the streamer's latest word.
pub const DRAW_RULES_FILE: &str = "draw-rules.toml";

/// The keys of the drawing rules, the only ones [`DRAW_RULES_FILE`] may hold.
pub const DRAW_RULE_KEYS: [&str; 4] = ["DRAW_MIN_AMOUNT", "PRIORITY_MIN_AMOUNT", "DRAW_TRIGGER", "DRAW_FAIRNESS"];

/// Reads the panel's saved rules (absent: an empty layer); its problems are reported like any other key's.
fn read_saved_draw_rules(path: &Path, r: &mut Reader<'_>) -> RawConfig {
    let mut saved = RawConfig::default();
    match std::fs::read_to_string(path) {
        Ok(text) => saved.read_toml_str(&text, Origin::File(path.to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => r.err("(draw rules)", Origin::File(path.to_owned()), format!("cannot read: {e}")),
    }
    r.errors.append(&mut saved.errors);
    for (key, (_, origin)) in &saved.values {
        if !DRAW_RULE_KEYS.contains(key) {
            let msg = format!("only the drawing rules ({}) are saved here", DRAW_RULE_KEYS.join(", "));
            r.err(key, origin.clone(), msg);
        }
    }
    saved
}

/// The drawing rules: each key from the panel's saved layer when it has one, else as configured.
fn read_draw_rules(r: &mut Reader<'_>, saved: &RawConfig) -> DrawRules {
    let value = |r: &mut Reader<'_>, key: &'static str| match saved.values.get(key) {
        Some((v, o)) => (v.trim().to_owned(), o.clone()),
        None => r.raw_value(key),
    };
    let mut rules = DrawRules::default();
    let (v, origin) = value(r, "DRAW_MIN_AMOUNT");
    match crate::draw_rules::parse_amount(&v) {
        Ok(min) => rules.min_amount = min.unwrap_or_default(),
        Err(e) => r.err("DRAW_MIN_AMOUNT", origin, e),
    }
    let (v, origin) = value(r, "PRIORITY_MIN_AMOUNT");
    match crate::draw_rules::parse_amount(&v) {
        Ok(Some(p)) if p.is_zero() => {
            r.err("PRIORITY_MIN_AMOUNT", origin, "must be above 0 (leave it unset for no tier)".into())
        }
        Ok(p) => rules.priority_min = p,
        Err(e) => r.err("PRIORITY_MIN_AMOUNT", origin, e),
    }
    let (v, origin) = value(r, "DRAW_TRIGGER");
    match crate::draw_rules::parse_trigger(&v) {
        Ok(t) => rules.trigger = t,
        Err(e) => r.err("DRAW_TRIGGER", origin, e),
    }
    let (v, origin) = value(r, "DRAW_FAIRNESS");
    match v.parse::<Fairness>() {
        Ok(f) => rules.fairness = f,
        Err(e) => r.err("DRAW_FAIRNESS", origin, e),
    }
    if let Err(e) = rules.check() {
        let (_, origin) = value(r, "PRIORITY_MIN_AMOUNT");
        r.err("PRIORITY_MIN_AMOUNT", origin, e);
    }
    rules
}

/// Drawing rules from the panel: `(key, value)` pairs with the configuration's key names; a key
/// left out takes its default. Checked exactly as at start-up; the errors name the key.
pub fn parse_draw_rules<'a>(
    pairs: impl IntoIterator<Item = (&'static str, &'a str)>,
) -> Result<DrawRules, ConfigErrors> {
    let empty = RawConfig::default();
    let mut layer = RawConfig::default();
    for (key, value) in pairs {
        layer.values.insert(key, (value.to_owned(), Origin::Panel));
    }
    let mut r = Reader { raw: &empty, errors: Vec::new() };
    let rules = read_draw_rules(&mut r, &layer);
    if r.errors.is_empty() {
        Ok(rules)
    } else {
        Err(ConfigErrors(r.errors))
    }
}

/// The text of [`DRAW_RULES_FILE`] for `rules` (TOML, the configuration's own key names).
pub fn draw_rules_toml(rules: &DrawRules) -> String {
    let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
    format!(
        "# Drawing rules saved from the panel. They win over draw-stream.toml and the environment;\n\
         # delete this file to go back to those.\n\
         draw_min_amount = {}\ndraw_trigger = {}\npriority_min_amount = {}\ndraw_fairness = {}\n",
        q(&rules.min_amount.normalize().to_string()),
        q(rules.trigger.as_deref().unwrap_or("")),
        q(&rules.priority_min.map(|p| p.normalize().to_string()).unwrap_or_default()),
        q(rules.fairness.as_str()),
    )
}

/// Saves the panel's drawing rules in the data dir (atomically); they come back after a restart.
pub fn save_draw_rules(data_dir: &Path, rules: &DrawRules) -> std::io::Result<PathBuf> {
    let path = data_dir.join(DRAW_RULES_FILE);
    crate::gallery::write_atomic(&path, draw_rules_toml(rules).as_bytes())?;
    Ok(path)
}

/// File name of the open_nsfw model in `<data dir>/models/`.
pub const NSFW_MODEL_FILE: &str = "open-nsfw.onnx";

/// `IMAGE_CHECK` against what is installed and configured: an explicit check that cannot run is an
/// error, and so is a real image backend with no check at all (fail closed) unless the streamer wrote
/// `IMAGE_CHECK=off`.
fn resolve_image_check(
    r: &mut Reader<'_>,
    backend: BackendKind,
    llm_off: bool,
    has_vision_model: bool,
    nsfw_model: &Path,
) -> ImageCheckPlan {
    let (value, origin) = r.raw_value("IMAGE_CHECK");
    let fetch_hint = "run `draw-stream models fetch` to install it, or name the file in IMAGE_CHECK_NSFW_MODEL";
    let plan = if value.is_empty() {
        let real = backend != BackendKind::Demo;
        ImageCheckPlan { nsfw: real && nsfw_model.exists(), llm: real && has_vision_model, explicit: false }
    } else {
        let mut plan = ImageCheckPlan { explicit: true, ..ImageCheckPlan::default() };
        for part in value.split(',').map(|p| p.trim().to_ascii_lowercase()).filter(|p| !p.is_empty()) {
            match part.as_str() {
                "nsfw" => plan.nsfw = true,
                "llm" => plan.llm = true,
                "off" if !value.contains(',') => {}
                other => r.err("IMAGE_CHECK", origin.clone(), format!("{other:?} is not one of nsfw, llm, off")),
            }
        }
        if plan.nsfw && !nsfw_model.exists() {
            let path = nsfw_model.display();
            r.err(
                "IMAGE_CHECK",
                origin.clone(),
                format!("includes nsfw, but its model {path} is missing: {fetch_hint}"),
            );
        }
        if plan.llm && !has_vision_model {
            r.err("IMAGE_CHECK", origin.clone(), "includes llm: set IMAGE_CHECK_MODEL to a vision model".into());
        }
        plan
    };
    if plan.llm && llm_off {
        r.err(
            "IMAGE_CHECK_MODEL",
            Origin::Env,
            "LLM_BACKEND=offline means no LLM call anywhere: choose an LLM backend for the vision check, or unset IMAGE_CHECK_MODEL".into(),
        );
    }
    if backend != BackendKind::Demo && !plan.nsfw && !plan.llm && !plan.explicit {
        let name = if backend == BackendKind::ComfyUi { "comfyui" } else { "a1111" };
        r.err(
            "IMAGE_CHECK",
            origin,
            format!(
                "IMAGE_BACKEND={name} paints real pictures and no image check is available (fail closed): run \
                 `draw-stream models fetch` to install the open_nsfw classifier, or set IMAGE_CHECK_MODEL to a vision \
                 model, or write IMAGE_CHECK=off to go on air without one"
            ),
        );
    }
    plan
}

impl Settings {
    /// Validates raw values; `data_dir_override` is `--data-dir`, which wins over DATA_DIR.
    pub fn from_raw(raw: &RawConfig, data_dir_override: Option<&Path>) -> Result<Settings, ConfigErrors> {
        let mut r = Reader { raw, errors: raw.errors.clone() };

        let data_dir = data_dir_of(raw, data_dir_override);
        let saved_rules = read_saved_draw_rules(&data_dir.join(DRAW_RULES_FILE), &mut r);

        // Each source reads its own section; a source is configured when it has credentials
        // (in the configuration, or a saved `login` in the data dir).
        let source_values = SourceValues(
            crate::sources::KINDS
                .iter()
                .flat_map(|k| k.keys)
                .filter_map(|k| raw.get(k.name).map(|v| (k.name, v.to_owned())))
                .collect(),
        );
        let lookup = |k: &str| source_values.0.get(k).cloned();
        let source_configured = crate::sources::Sources::any_configured(&lookup, &data_dir);
        let sources = crate::sources::Sources::build(&lookup, &data_dir).unwrap_or_else(|problems| {
            for p in problems {
                let origin = raw.values.get(p.key).map(|(_, o)| o.clone()).unwrap_or(Origin::Default);
                r.err(p.key, origin, p.message);
            }
            crate::sources::Sources::default()
        });
        let demo = r.boolean("DEMO").unwrap_or(!source_configured);

        let models_configured =
            ["LLM_BACKEND", "LLM_ENDPOINT", "LLM_MODEL_ID", "IMAGE_BACKEND", "COMFYUI_URLS", "A1111_URL"]
                .iter()
                .any(|k| raw.is_set(k));
        let nothing_configured = !source_configured && !models_configured;

        let llm_backend = r.choice("LLM_BACKEND", &["ollama", "llamacpp", "vllm", "tgi", "openai", "offline"]);
        let planner = if llm_backend == "offline" || (nothing_configured && !raw.is_set("LLM_BACKEND")) {
            PlannerKind::Offline
        } else {
            PlannerKind::Llm(llm_backend)
        };

        let image_backend = match r.optional("IMAGE_BACKEND").map(|s| s.to_ascii_lowercase()) {
            Some(s) if s == "demo" => BackendKind::Demo,
            Some(s) if s == "comfyui" => BackendKind::ComfyUi,
            Some(s) if s == "a1111" || s == "forge" => BackendKind::A1111,
            Some(s) => {
                r.err(
                    "IMAGE_BACKEND",
                    raw.values["IMAGE_BACKEND"].1.clone(),
                    format!("{s:?} is not one of comfyui, a1111, demo"),
                );
                BackendKind::Demo
            }
            None if raw.is_set("COMFYUI_URLS") => BackendKind::ComfyUi,
            None if raw.is_set("A1111_URL") => BackendKind::A1111,
            None if nothing_configured || demo => BackendKind::Demo,
            None => BackendKind::ComfyUi,
        };

        let comfyui_urls: Vec<String> = r
            .optional("COMFYUI_URLS")
            .unwrap_or_else(|| "http://127.0.0.1:8188".into())
            .split(',')
            .map(|s| s.trim().trim_end_matches('/').to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        for u in &comfyui_urls {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                r.err("COMFYUI_URLS", Origin::Env, format!("{u:?} is not an http(s) URL"));
            }
        }

        let image_check_model = r.optional("IMAGE_CHECK_MODEL");
        let image_check_nsfw_model = r
            .optional("IMAGE_CHECK_NSFW_MODEL")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("models").join(NSFW_MODEL_FILE));
        let image_check = resolve_image_check(
            &mut r,
            image_backend,
            planner == PlannerKind::Offline && raw.is_set("LLM_BACKEND"),
            image_check_model.is_some(),
            &image_check_nsfw_model,
        );

        let settings = Settings {
            sources,
            source_values,
            queue_max_size: r.parse("QUEUE_MAX_SIZE", 1usize, 100_000, 32),
            planner,
            llm_endpoint: r.url("LLM_ENDPOINT"),
            llm_model_id: r.string("LLM_MODEL_ID"),
            llm_api_key: r.optional("LLM_API_KEY"),
            llm_temperature: r.parse("LLM_TEMPERATURE", 0.0f32, 2.0, 0.1),
            llm_max_tokens: r.parse("LLM_MAX_TOKENS", 1u32, 32_768, 1536),
            llm_timeout: r.seconds("LLM_TIMEOUT_SEC", 0.1, 30.0),
            llm_retry_attempts: r.parse("LLM_RETRY_ATTEMPTS", 0u32, 10, 3),
            llm_unload_before_image: r.boolean("LLM_UNLOAD_BEFORE_IMAGE").unwrap_or(false),
            locale: r.string("LOCALE"),
            image_backend,
            comfyui_urls,
            comfyui_checkpoint: r.string("COMFYUI_CHECKPOINT"),
            comfyui_vae: r.optional("COMFYUI_VAE"),
            comfyui_workflow: r.optional("COMFYUI_WORKFLOW").map(PathBuf::from),
            a1111_url: r.optional("A1111_URL").unwrap_or_else(|| "http://127.0.0.1:7860".into()),
            pixel_lora_weight: r.string("PIXEL_LORA_WEIGHT"),
            pixel_width: r.parse("PIXEL_WIDTH", 64u32, 2048, 768),
            pixel_height: r.parse("PIXEL_HEIGHT", 64u32, 2048, 768),
            pixel_inference_steps: r.parse("PIXEL_INFERENCE_STEPS", 1u32, 200, 40),
            pixel_guidance: r.parse("PIXEL_GUIDANCE", 0.0f32, 30.0, 5.0),
            pixel_output_size: r.parse("PIXEL_OUTPUT_SIZE", 8u32, 256, 96),
            pixel_palette_colors: r.parse("PIXEL_PALETTE_COLORS", 2usize, 64, 12),
            pixel_palette_auto: r.boolean("PIXEL_PALETTE_AUTO").unwrap_or(false),
            image_check,
            image_check_model,
            image_check_nsfw_model,
            image_check_nsfw_threshold: r.parse("IMAGE_CHECK_NSFW_THRESHOLD", 0.0f32, 1.0, 0.4),
            canvas_w: r.parse("CANVAS_W", 1u32, 1024, 96),
            canvas_h: r.parse("CANVAS_H", 1u32, 1024, 96),
            window_scale: r.parse("WINDOW_SCALE", 1u32, 64, 8),
            display_width: r.parse("DISPLAY_WIDTH", 640u32, 7680, 1920),
            display_height: r.parse("DISPLAY_HEIGHT", 360u32, 4320, 1080),
            frame_rate: r.parse("FRAME_RATE", 1u32, 240, 60),
            show_fps: r.boolean("SHOW_FPS").unwrap_or(false),
            default_step_duration_ms: r.parse("DEFAULT_STEP_DURATION_MS", 1u32, 600_000, 700),
            show_duration: r.seconds("SHOW_DURATION_SEC", 0.0, 90.0),
            card_duration: r.seconds("CARD_DURATION_SEC", 0.0, 8.0),
            draw_duration: r.seconds("DRAW_DURATION_SEC", 0.001, 40.0),
            display_currency: r.string("DISPLAY_CURRENCY").to_ascii_uppercase(),
            draw_rules: read_draw_rules(&mut r, &saved_rules),
            lookahead: r.parse("GENERATION_LOOKAHEAD", 1usize, 64, 2),
            keep_raw_images: r.parse("KEEP_RAW_IMAGES", 0usize, 100_000, 20),
            gallery_limits: crate::gallery::Limits {
                max_bytes: Some((r.parse("GALLERY_MAX_MB", 0.0f64, 16e6, 2048.0) * 1_048_576.0) as u64)
                    .filter(|b| *b > 0),
                max_age: Some(r.parse("GALLERY_MAX_DAYS", 0u64, 36_500, 0))
                    .filter(|d| *d > 0)
                    .map(|d| Duration::from_secs(d * 86_400)),
            },
            card_blocked_en: r.string("CARD_BLOCKED_EN"),
            card_blocked_ru: r.string("CARD_BLOCKED_RU"),
            card_unchecked_en: r.string("CARD_UNCHECKED_EN"),
            card_unchecked_ru: r.string("CARD_UNCHECKED_RU"),
            card_failed_en: r.string("CARD_FAILED_EN"),
            card_failed_ru: r.string("CARD_FAILED_RU"),
            api_host: r.string("API_HOST"),
            api_port: r.parse("API_PORT", 0u16, 65_535, 8080),
            api_token: r.optional("API_TOKEN"),
            overlay_key: r.optional("OVERLAY_KEY"),
            data_dir,
            moderation_mode: match r.choice("MODERATION_MODE", &["auto", "approve-all"]).as_str() {
                "approve-all" => ModerationMode::ApproveAll,
                _ => ModerationMode::Auto,
            },
            moderation_rules: r.optional("MODERATION_RULES").map(PathBuf::from),
            demo,
            log_level: r.choice("LOG_LEVEL", &["info", "critical", "error", "warning", "warn", "debug", "trace"]),
            log_format: match r.choice("LOG_FORMAT", &["text", "json"]).as_str() {
                "json" => LogFormat::Json,
                _ => LogFormat::Text,
            },
        };

        if settings.api_host.parse::<std::net::IpAddr>().is_err() && settings.api_host != "localhost" {
            r.err("API_HOST", Origin::Env, format!("{:?} is not an IP address", settings.api_host));
        }
        let rules = settings.rules_file();
        if rules.required || rules.path.exists() {
            if let Err(e) = crate::rules::parse_file(&rules.path) {
                let origin = raw.values.get("MODERATION_RULES").map(|v| v.1.clone()).unwrap_or(Origin::Default);
                r.err("MODERATION_RULES", origin, e);
            }
        }
        if let Some(t) = &settings.api_token {
            if t.len() < 16 {
                r.err("API_TOKEN", Origin::Env, "must be at least 16 characters".into());
            }
        }
        let currency_ok = |c: &str| (1..=8).contains(&c.len()) && c.chars().all(|ch| ch.is_ascii_alphabetic());
        if !currency_ok(&settings.display_currency) {
            r.err("DISPLAY_CURRENCY", Origin::Env, format!("{:?} is not a currency code", settings.display_currency));
        }

        if r.errors.is_empty() {
            Ok(settings)
        } else {
            Err(ConfigErrors(r.errors))
        }
    }

    /// The streamer's rules file: `MODERATION_RULES` (which must exist), else the optional
    /// `<data dir>/moderation-rules.txt`, which the panel writes.
    pub fn rules_file(&self) -> crate::rules::RulesFile {
        match &self.moderation_rules {
            Some(p) => crate::rules::RulesFile { path: p.clone(), required: true },
            None => crate::rules::RulesFile { path: self.data_dir.join("moderation-rules.txt"), required: false },
        }
    }

    /// Path of the SQLite journal.
    pub fn journal_path(&self) -> PathBuf {
        self.data_dir.join("journal.db")
    }

    /// Address clients should use to reach the API (a wildcard bind is reached on loopback).
    pub fn client_host(&self) -> String {
        match self.api_host.as_str() {
            "0.0.0.0" | "::" => "127.0.0.1".to_owned(),
            h => h.to_owned(),
        }
    }

    /// One-line summary of what will run, for the start-up log and `config check`.
    pub fn summary(&self) -> String {
        let planner = match &self.planner {
            PlannerKind::Offline => "offline".to_owned(),
            PlannerKind::Llm(b) => format!("llm ({b}, {})", self.llm_model_id),
        };
        let backend = match self.image_backend {
            BackendKind::Demo => "demo".to_owned(),
            BackendKind::ComfyUi => format!("comfyui ({})", self.comfyui_urls.join(", ")),
            BackendKind::A1111 => format!("a1111 ({})", self.a1111_url),
        };
        let sources = self.sources.names();
        let sources = if sources.is_empty() { "none".to_owned() } else { sources.join(", ") };
        format!(
            "sources: {sources}, demo feed: {}, planner: {planner}, images: {backend}, image check: {}, moderation: {:?}{}, api: {}:{}, data: {}",
            if self.demo { "on" } else { "off" },
            self.image_check.describe(),
            self.moderation_mode,
            self.moderation_rules.as_ref().map(|p| format!(" + rules in {}", p.display())).unwrap_or_default(),
            self.api_host,
            self.api_port,
            self.data_dir.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigErrors> {
        let dir = std::env::temp_dir().join("draw-stream-config-test-nonexistent");
        Settings::from_raw(&RawConfig::from_pairs(pairs.iter().copied()), Some(&dir))
    }

    #[test]
    fn nothing_configured_runs_the_demo_offline() {
        let s = settings(&[]).unwrap();
        assert!(s.demo);
        assert_eq!(s.planner, PlannerKind::Offline);
        assert_eq!(s.image_backend, BackendKind::Demo);
        assert_eq!(s.api_host, "127.0.0.1");
        assert_eq!(s.show_duration, Duration::from_secs(90));
    }

    #[test]
    fn a_configured_source_uses_the_original_llm_defaults_and_no_demo() {
        let s = settings(&[("DA_ACCESS_TOKEN", "abc"), ("IMAGE_CHECK", "off")]).unwrap();
        assert!(!s.demo);
        assert_eq!(s.planner, PlannerKind::Llm("ollama".into()));
        assert_eq!(s.llm_endpoint, "http://127.0.0.1:11434/v1/chat/completions");
        assert_eq!(s.image_backend, BackendKind::ComfyUi);
    }

    #[test]
    fn a_real_image_backend_without_an_image_check_refuses_to_start_and_says_how_to_fix_it() {
        let err = settings(&[("DA_ACCESS_TOKEN", "abc")]).unwrap_err().to_string();
        assert!(err.contains("IMAGE_CHECK") && err.contains("draw-stream models fetch"), "{err}");
        assert!(err.contains("IMAGE_CHECK=off") && err.contains("IMAGE_CHECK_MODEL"), "{err}");
        let off = settings(&[("COMFYUI_URLS", "http://gpu:8188"), ("IMAGE_CHECK", "off")]).unwrap();
        assert_eq!(off.image_check, ImageCheckPlan { nsfw: false, llm: false, explicit: true });

        // A vision model alone is a check; it needs an LLM.
        let s = settings(&[("A1111_URL", "http://gpu:7860"), ("IMAGE_CHECK_MODEL", "qwen2.5vl:7b")]).unwrap();
        assert_eq!(s.image_check.describe(), "llm");
        let err =
            settings(&[("IMAGE_CHECK_MODEL", "qwen2.5vl:7b"), ("LLM_BACKEND", "offline"), ("IMAGE_CHECK", "llm")])
                .unwrap_err()
                .to_string();
        assert!(err.contains("LLM_BACKEND=offline"), "{err}");

        // Named explicitly, a check must be able to run, on the demo backend too.
        let err = settings(&[("IMAGE_CHECK", "nsfw")]).unwrap_err().to_string();
        assert!(err.contains("open-nsfw.onnx") && err.contains("is missing") && err.contains("models fetch"), "{err}");
        let err = settings(&[("IMAGE_CHECK", "llm")]).unwrap_err().to_string();
        assert!(err.contains("set IMAGE_CHECK_MODEL"), "{err}");
        let err = settings(&[("IMAGE_CHECK", "nsfw,clip")]).unwrap_err().to_string();
        assert!(err.contains("\"clip\" is not one of nsfw, llm, off"), "{err}");

        // Left unset, the demo's own pictures skip it.
        assert_eq!(settings(&[]).unwrap().image_check, ImageCheckPlan::default());
    }

    #[test]
    fn every_bad_key_is_named_with_the_reason() {
        let err = settings(&[
            ("SHOW_DURATION_SEC", "soon"),
            ("API_PORT", "70000"),
            ("LLM_ENDPOINT", "localhost:11434"),
            ("DEMO", "maybe"),
        ])
        .unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 4, "{text}");
        assert!(text.contains("SHOW_DURATION_SEC (environment): \"soon\" is not a number"), "{text}");
        assert!(text.contains("API_PORT (environment): 70000 is out of range"), "{text}");
        assert!(text.contains("LLM_ENDPOINT"), "{text}");
        assert!(text.contains("DEMO"), "{text}");
    }

    #[test]
    fn unknown_toml_keys_are_errors_with_a_suggestion_and_env_wins() {
        let mut raw = RawConfig::default();
        raw.read_toml_str("show_duration_secs = 5\nframe_rate = 30\nAPI_PORT = 9000\n", Origin::File("x.toml".into()));
        raw.read_env(|k| (k == "FRAME_RATE").then(|| "50".to_owned()));
        let err = Settings::from_raw(&raw, None).unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert!(err.0[0].to_string().contains("did you mean `show_duration_sec`"), "{}", err);

        let mut raw = RawConfig::default();
        raw.read_toml_str("frame_rate = 30\napi_port = 9000\n", Origin::File("x.toml".into()));
        raw.read_env(|k| (k == "FRAME_RATE").then(|| "50".to_owned()));
        let s = Settings::from_raw(&raw, None).unwrap();
        assert_eq!(s.frame_rate, 50);
        assert_eq!(s.api_port, 9000);
    }

    #[test]
    fn demo_can_be_forced_off_and_fractional_durations_are_accepted() {
        let s = settings(&[("DEMO", "0"), ("DRAW_DURATION_SEC", "0.5"), ("SHOW_DURATION_SEC", "1")]).unwrap();
        assert!(!s.demo);
        assert_eq!(s.draw_duration, Duration::from_millis(500));
    }
}

#[cfg(test)]
mod docs {
    /// The README's configuration table must name every key, with its default, so docs cannot drift.
    #[test]
    fn the_readme_documents_every_key_with_its_default() {
        let readme = include_str!("../../../README.md");
        for (key, default, _) in super::all_keys() {
            let row = readme.lines().find(|l| l.starts_with(&format!("| `{key}` |")));
            let row = row.unwrap_or_else(|| panic!("README configuration table lacks {key}"));
            match default {
                Some(d) => assert!(row.contains(&format!("`{d}`")), "README row of {key} lacks default {d}: {row}"),
                None => assert!(row.contains("| — |"), "README row of {key} should show no default: {row}"),
            }
        }
    }
}
