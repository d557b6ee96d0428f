//! One OpenAI-compatible chat-completions endpoint (Ollama, llama.cpp, vLLM, OpenAI…): the HTTP call,
//! how each failure is classified (retry, give up, or ask again without JSON Schema), the content of
//! the answer, and the retry loop with backoff. The scene planner and the vision image check share it.

use std::future::Future;
use std::time::Duration;

use rand::Rng as _;
use serde_json::Value;
use tracing::warn;

/// What went wrong with one exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No usable answer: connection, timeout, HTTP error.
    Unreachable(String),
    /// An answer that is not what was asked for (not JSON, cut short, wrong shape).
    Invalid(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unreachable(s) | Failure::Invalid(s) => f.write_str(s),
        }
    }
}

/// One failed attempt, and whether another attempt may help.
#[derive(Debug, Clone)]
pub struct AttemptError {
    pub failure: Failure,
    pub retryable: bool,
    /// The server's `Retry-After`, if any.
    pub retry_after: Option<Duration>,
    /// A 400/422 that blames `response_format` (a server without JSON Schema support).
    pub schema_rejected: bool,
}

impl AttemptError {
    /// A failure that another attempt may fix.
    pub fn retry(failure: Failure) -> Self {
        AttemptError { failure, retryable: true, retry_after: None, schema_rejected: false }
    }

    /// An answer that does not match what was asked: the model may do better on the next attempt.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::retry(Failure::Invalid(message.into()))
    }

    fn fatal(failure: Failure) -> Self {
        AttemptError { failure, retryable: false, retry_after: None, schema_rejected: false }
    }
}

/// A chat-completions URL with its key and time limit.
pub struct ChatEndpoint {
    http: reqwest::Client,
    endpoint: String,
    api_key: Option<String>,
    timeout: Duration,
    /// The endpoint for messages: without user, password or query, which may hold secrets.
    shown: String,
    /// Base delay of the exponential backoff between attempts.
    backoff: Duration,
    /// Set once the server rejected `json_schema` output: then `json_object` is asked for instead, and
    /// the caller's strict parsing still guards the answer.
    schema_unsupported: std::sync::atomic::AtomicBool,
}

impl ChatEndpoint {
    /// Fails only on an endpoint that is not an http(s) URL; `what` names the setting in the message.
    pub fn new(what: &str, endpoint: &str, api_key: Option<String>, timeout: Duration) -> Result<Self, String> {
        let url = url::Url::parse(endpoint).map_err(|e| format!("{what} {endpoint:?} is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{what} {endpoint:?} must be http(s)"));
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        shown.set_query(None);
        Ok(ChatEndpoint {
            http,
            endpoint: endpoint.to_owned(),
            api_key,
            timeout,
            shown: shown.to_string(),
            backoff: Duration::from_millis(500),
            schema_unsupported: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Changes the base delay between attempts (doubled each retry, with jitter, capped at 8 s).
    pub fn with_backoff(mut self, base: Duration) -> Self {
        self.backoff = base;
        self
    }

    /// The parsed endpoint URL.
    pub fn url(&self) -> url::Url {
        url::Url::parse(&self.endpoint).expect("checked in new")
    }

    /// Ollama's native `/api/generate` on the same host (used to unload a model).
    pub fn ollama_generate_url(&self) -> String {
        let mut u = self.url();
        u.set_path("/api/generate");
        u.set_query(None);
        u.to_string()
    }

    /// Asks Ollama to unload `model` now (`keep_alive: 0` through its native API at `url`), so SDXL
    /// has the VRAM. Best effort: a failure is logged, never fatal.
    pub async fn unload_ollama_model(&self, url: &str, model: &str) {
        let mut request = self
            .http
            .post(url)
            .timeout(self.timeout.min(Duration::from_secs(5)))
            .json(&serde_json::json!({"model": model, "keep_alive": 0}));
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        match request.send().await {
            Ok(r) if r.status().is_success() => tracing::debug!(%model, "asked Ollama to unload the model"),
            Ok(r) => warn!(%model, status = r.status().as_u16(), "Ollama did not unload the model"),
            Err(e) => warn!(%model, error = %without_url(&e), "could not ask Ollama to unload the model"),
        }
    }

    /// `response_format` asking for `schema` by `name`, or only for a JSON object once this server has
    /// rejected JSON Schema.
    pub fn response_format(&self, name: &str, schema: &Value) -> Value {
        if self.schema_unsupported.load(std::sync::atomic::Ordering::Relaxed) {
            serde_json::json!({"type": "json_object"})
        } else {
            serde_json::json!({"type": "json_schema", "json_schema": {"name": name, "strict": true, "schema": schema}})
        }
    }

    /// Posts the body `body()` builds (with [`ChatEndpoint::response_format`]); if the server rejects
    /// JSON Schema output, remembers that and posts the rebuilt body once more, asking for a JSON object.
    pub async fn complete_structured(&self, body: impl Fn() -> Value) -> Result<String, AttemptError> {
        match self.complete(&body()).await {
            Err(e)
                if e.schema_rejected && !self.schema_unsupported.swap(true, std::sync::atomic::Ordering::Relaxed) =>
            {
                warn!("the LLM server does not accept json_schema output; asking for json_object instead");
                self.complete(&body()).await
            }
            other => other,
        }
    }

    /// Posts one chat-completions body; the answer's `choices[0].message.content`.
    pub async fn complete(&self, body: &Value) -> Result<String, AttemptError> {
        let mut request = self.http.post(&self.endpoint).json(body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|e| {
            let what = if e.is_timeout() {
                format!("no answer from the LLM within {:?}", self.timeout)
            } else if e.is_connect() {
                format!("cannot connect to the LLM at {}", self.shown)
            } else {
                format!("request to the LLM failed: {}", without_url(&e))
            };
            AttemptError::retry(Failure::Unreachable(what))
        })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = response.text().await.map_err(|e| {
            let what = if e.is_timeout() {
                format!("the LLM's answer did not finish within {:?}", self.timeout)
            } else {
                format!("reading the LLM's answer failed: {}", without_url(&e))
            };
            AttemptError::retry(Failure::Unreachable(what))
        })?;
        if !status.is_success() {
            let message = server_error_message(&text);
            let failure = Failure::Unreachable(format!("the LLM answered HTTP {}: {message}", status.as_u16()));
            let lower = message.to_lowercase();
            return Err(if status.is_server_error() || status.as_u16() == 429 {
                AttemptError { failure, retryable: true, retry_after, schema_rejected: false }
            } else if matches!(status.as_u16(), 400 | 422)
                && (lower.contains("response_format") || lower.contains("json_schema"))
            {
                AttemptError { failure, retryable: false, retry_after: None, schema_rejected: true }
            } else {
                // 400/401/404…: a wrong model name or key does not fix itself.
                AttemptError::fatal(failure)
            });
        }
        extract_content(&text).map_err(AttemptError::invalid)
    }

    /// Runs `attempt` once plus up to `retries` more times while it fails in a retryable way, waiting
    /// with exponential backoff (and the server's `Retry-After`) in between. `what` names the job in logs.
    pub async fn with_retries<T, F, Fut>(&self, what: &str, retries: u32, mut attempt: F) -> Result<T, Failure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AttemptError>>,
    {
        let attempts = retries.saturating_add(1);
        let mut n = 0;
        loop {
            n += 1;
            match attempt().await {
                Ok(v) => return Ok(v),
                Err(e) if e.retryable && n < attempts => {
                    let delay = self.delay_before(n - 1, e.retry_after);
                    warn!(job = what, attempt = n, of = attempts, error = %e.failure, ?delay, "LLM attempt failed; retrying");
                    tokio::time::sleep(delay).await;
                }
                Err(e) => {
                    warn!(job = what, attempt = n, error = %e.failure, "LLM failed");
                    return Err(e.failure);
                }
            }
        }
    }

    fn delay_before(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.backoff.saturating_mul(1u32 << retry.min(16)).min(Duration::from_secs(8));
        // Full jitter in the upper half: spreads retries without making them instant.
        let jittered = exp.mul_f64(rand::rng().random_range(0.5..=1.0));
        match retry_after {
            Some(ra) => jittered.max(ra.min(Duration::from_secs(30))),
            None => jittered,
        }
    }
}

/// reqwest errors print the URL; ours carry no secrets, but keep messages short and stable.
pub fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(url) = e.url() {
        s = s.replace(url.as_str(), "<endpoint>");
    }
    s
}

/// The `error.message` (OpenAI, Ollama) or `error` string of an error body, else the start of the body.
fn server_error_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        if let Some(m) = v.pointer("/error/message").and_then(Value::as_str) {
            return m.to_owned();
        }
        if let Some(m) = v.get("error").and_then(Value::as_str) {
            return m.to_owned();
        }
    }
    body.chars().take(200).collect()
}

/// `choices[0].message.content` of a chat completion, refusing truncated answers.
fn extract_content(body: &str) -> Result<String, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("the answer is not JSON: {e}"))?;
    let choice = v.pointer("/choices/0").ok_or("the answer has no choices")?;
    if choice.get("finish_reason").and_then(Value::as_str) == Some("length") {
        return Err("the answer was cut at max_tokens".to_owned());
    }
    let content = choice.pointer("/message/content").and_then(Value::as_str).unwrap_or("").trim();
    if content.is_empty() {
        let refusal = choice.pointer("/message/refusal").and_then(Value::as_str);
        return Err(match refusal {
            Some(r) => format!("the model refused to answer: {r}"),
            None => "the answer's content is empty".to_owned(),
        });
    }
    Ok(content.to_owned())
}

/// The JSON object inside a model's answer: a Markdown code fence around it is tolerated.
pub fn strip_fence(content: &str) -> &str {
    let mut s = content.trim();
    if let Some(rest) = s.strip_prefix("```") {
        s = rest.trim_start_matches("json").trim_start();
        s = s.strip_suffix("```").unwrap_or(s).trim();
    }
    s
}
