//! The ComfyUI image backend: SDXL + `pixel-art-xl` on the streamer's own ComfyUI server(s).
//!
//! One job: build an API-format workflow (or fill the streamer's exported one), open the WebSocket
//! `/ws?clientId=…`, `POST /prompt`, follow `progress` until `executing` with `node: null` for our prompt,
//! then read `/history/{prompt_id}` and fetch the PNG from `/view`. Several hosts (`COMFYUI_URLS`) share the
//! work: a job goes to the least busy healthy host, and a host that fails rests for a while and the job is
//! retried on another. Message shapes follow ComfyUI's `server.py`, `execution.py` and `main.py`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::StreamExt;
use rand::Rng as _;
use serde_json::{json, Map, Value};
use tokio_tungstenite::tungstenite::Message;
use tracing::{debug, info, warn};

use crate::remote::{self, Progress};
use crate::{GenerateError, GeneratedImage, ImageBackend, ImageRequest};

/// How long a host that failed is left alone before jobs go to it again.
const HOST_REST: Duration = Duration::from_secs(30);
/// Largest image we accept from `/view` (a 768×768 PNG is about 1 MiB).
const MAX_IMAGE_BYTES: usize = 64 << 20;
/// Largest side we accept.
const MAX_SIDE: u32 = 4096;

/// The nodes of the built-in workflow, as ComfyUI names them.
/// (`VAELoader` is used only when a VAE file is chosen, but it is a core node and always checked.)
pub const BUILTIN_NODES: [&str; 8] = [
    "CheckpointLoaderSimple",
    "VAELoader",
    "LoraLoader",
    "CLIPTextEncode",
    "EmptyLatentImage",
    "KSampler",
    "VAEDecode",
    "SaveImage",
];

/// How to reach ComfyUI and what to ask it for. Names follow `COMFYUI_*` and the original's `PIXEL_*`.
#[derive(Debug, Clone)]
pub struct ComfyUiConfig {
    /// Base URLs of the ComfyUI servers (`COMFYUI_URLS`, comma-separated), e.g. `http://127.0.0.1:8188`.
    pub urls: Vec<String>,
    /// Checkpoint file as ComfyUI lists it (`COMFYUI_CHECKPOINT`).
    pub checkpoint: String,
    /// VAE file (`COMFYUI_VAE`). `None`: an SDXL fp16-fix VAE if the server lists one, else the checkpoint's.
    pub vae: Option<String>,
    /// LoRA file (`PIXEL_LORA_WEIGHT`).
    pub lora: String,
    /// LoRA strength for both model and CLIP.
    pub lora_strength: f32,
    /// Sampling steps (`PIXEL_INFERENCE_STEPS`).
    pub steps: u32,
    /// Classifier-free guidance, KSampler's `cfg` (`PIXEL_GUIDANCE`).
    pub guidance: f32,
    /// Image size (`PIXEL_WIDTH`, `PIXEL_HEIGHT`); a request's own non-zero size wins.
    pub width: u32,
    pub height: u32,
    /// KSampler `sampler_name` and `scheduler` (`euler` + `normal` match the original's diffusers default).
    pub sampler: String,
    pub scheduler: String,
    /// Contents of an API-format workflow exported by the streamer ("Export (API)"), with placeholders
    /// (`{{prompt}}`, `{{negative_prompt}}`, `{{seed}}`, …) that are filled for each job. `None`: built-in.
    pub workflow_file: Option<String>,
    /// Limit for one whole job, queueing included.
    pub timeout: Duration,
}

impl Default for ComfyUiConfig {
    fn default() -> Self {
        ComfyUiConfig {
            urls: vec!["http://127.0.0.1:8188".to_owned()],
            checkpoint: "sd_xl_base_1.0.safetensors".to_owned(),
            vae: None,
            lora: "pixel-art-xl.safetensors".to_owned(),
            lora_strength: 1.2,
            steps: 40,
            guidance: 5.0,
            width: 768,
            height: 768,
            sampler: "euler".to_owned(),
            scheduler: "normal".to_owned(),
            workflow_file: None,
            timeout: Duration::from_secs(300),
        }
    }
}

/// One ComfyUI server and what we know about it.
struct Host {
    /// Base URL with a trailing slash, so `join("prompt")` keeps any path prefix.
    base: url::Url,
    /// Jobs this process has in flight there: the load balancer's measure of "busy".
    in_flight: AtomicUsize,
    /// Until when the host rests after a failure.
    resting_until: Mutex<Option<Instant>>,
    /// The VAE chosen for this host (`Some(None)`: the checkpoint's own), found once from `/object_info`.
    vae: tokio::sync::OnceCell<Option<String>>,
}

impl Host {
    fn url(&self, path: &str) -> String {
        remote::join_url(&self.base, path)
    }

    fn is_resting(&self) -> bool {
        matches!(*self.resting_until.lock().unwrap(), Some(t) if t > Instant::now())
    }

    fn rest(&self) {
        *self.resting_until.lock().unwrap() = Some(Instant::now() + HOST_REST);
    }

    fn recovered(&self) {
        *self.resting_until.lock().unwrap() = None;
    }
}

/// A job on a server, so `interrupt()` can reach it.
#[derive(Debug, Clone)]
struct RunningJob {
    host: usize,
    /// `None` until `/prompt` has answered.
    prompt_id: Option<String>,
    job: u64,
}

/// Shared state of the backend, also held by drop guards that cancel abandoned jobs.
struct Shared {
    hosts: Vec<Host>,
    http: reqwest::Client,
    running: Mutex<Vec<RunningJob>>,
    /// Jobs asked to stop before their prompt id was known.
    stop_requested: Mutex<Vec<u64>>,
    /// Progress of the latest job.
    progress: Progress,
    next_job: std::sync::atomic::AtomicU64,
    /// Wakes jobs waiting on their server when `interrupt()` asks them to stop.
    stop: tokio::sync::Notify,
}

/// Paints with ComfyUI.
pub struct ComfyUiBackend {
    config: ComfyUiConfig,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ComfyUiBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComfyUiBackend").field("config", &self.config).finish_non_exhaustive()
    }
}

impl ComfyUiBackend {
    /// Checks the configuration (URLs, workflow file and its placeholders); talks to no server.
    pub fn new(config: ComfyUiConfig) -> Result<Self, GenerateError> {
        if config.urls.is_empty() {
            return Err(GenerateError::Misconfigured("COMFYUI_URLS is empty".to_owned()));
        }
        let mut hosts = Vec::new();
        for raw in &config.urls {
            let base = remote::base_url(raw)
                .map_err(|e| GenerateError::Misconfigured(format!("ComfyUI URL {raw:?} is not a URL: {e}")))?;
            if !matches!(base.scheme(), "http" | "https") {
                return Err(GenerateError::Misconfigured(format!("ComfyUI URL {raw:?} must be http(s)")));
            }
            hosts.push(Host {
                base,
                in_flight: AtomicUsize::new(0),
                resting_until: Mutex::new(None),
                vae: tokio::sync::OnceCell::new(),
            });
        }
        if let Some(workflow) = &config.workflow_file {
            check_workflow_template(workflow)?;
        }
        let http = remote::http_client()?;
        Ok(ComfyUiBackend {
            config,
            shared: Arc::new(Shared {
                hosts,
                http,
                running: Mutex::new(Vec::new()),
                stop_requested: Mutex::new(Vec::new()),
                progress: Progress::idle(),
                next_job: std::sync::atomic::AtomicU64::new(1),
                stop: tokio::sync::Notify::new(),
            }),
        })
    }

    pub fn config(&self) -> &ComfyUiConfig {
        &self.config
    }

    /// The API-format workflow for one job on a host whose VAE choice is `vae` (`None`: checkpoint's).
    pub fn workflow(&self, request: &ImageRequest, vae: Option<&str>) -> Result<Value, GenerateError> {
        let (width, height) = self.size(request);
        match &self.config.workflow_file {
            Some(template) => fill_workflow(template, &self.placeholders(request, vae)),
            None => Ok(builtin_workflow(&self.config, request, vae, width, height)),
        }
    }

    fn size(&self, request: &ImageRequest) -> (u32, u32) {
        remote::image_size(request, self.config.width, self.config.height)
    }

    fn placeholders(&self, request: &ImageRequest, vae: Option<&str>) -> Vec<(&'static str, Value)> {
        let (width, height) = self.size(request);
        let c = &self.config;
        vec![
            ("prompt", json!(request.prompt)),
            ("negative_prompt", json!(request.negative_prompt)),
            ("seed", json!(request.seed)),
            ("width", json!(width)),
            ("height", json!(height)),
            ("steps", json!(c.steps)),
            ("cfg", json!(c.guidance)),
            ("guidance", json!(c.guidance)),
            ("sampler", json!(c.sampler)),
            ("scheduler", json!(c.scheduler)),
            ("checkpoint", json!(c.checkpoint)),
            ("vae", json!(vae.unwrap_or(""))),
            ("lora", json!(c.lora)),
            ("lora_strength", json!(c.lora_strength)),
            ("donation_id", json!(request.donation_id)),
        ]
    }

    /// Picks the least busy healthy host not yet tried. With several candidates each is asked for its queue
    /// (`GET /prompt` → `exec_info.queue_remaining`, which counts every client's work, not only ours); a host
    /// that does not answer rests. If every host rests, the one with the fewest of our jobs is tried anyway.
    async fn choose_host(&self, tried: &[usize]) -> Option<usize> {
        let hosts = &self.shared.hosts;
        let untried: Vec<usize> = (0..hosts.len()).filter(|i| !tried.contains(i)).collect();
        let ours = |i: usize| hosts[i].in_flight.load(Ordering::Relaxed);
        let healthy: Vec<usize> = untried.iter().copied().filter(|&i| !hosts[i].is_resting()).collect();
        if healthy.len() > 1 {
            let probes = healthy.iter().map(|&i| async move { (i, self.queue_remaining(i).await) });
            let answers = futures_util::future::join_all(probes).await;
            let best = answers
                .iter()
                .filter_map(|&(i, q)| q.map(|q| (i, q)))
                .min_by_key(|&(i, q)| (q.max(ours(i)), ours(i)))
                .map(|(i, _)| i);
            for (i, q) in &answers {
                if q.is_none() {
                    warn!(host = %hosts[*i].base, "ComfyUI host does not answer; resting it");
                    hosts[*i].rest();
                }
            }
            if best.is_some() {
                return best;
            }
        } else if let Some(&only) = healthy.first() {
            return Some(only);
        }
        untried.into_iter().min_by_key(|&i| ours(i))
    }

    /// The host's own queue length (running + pending, all clients), `None` when it does not answer.
    async fn queue_remaining(&self, host: usize) -> Option<usize> {
        let h = &self.shared.hosts[host];
        let response = self.shared.http.get(h.url("prompt")).timeout(Duration::from_secs(3)).send().await.ok()?;
        let body: Value = response.error_for_status().ok()?.json().await.ok()?;
        body["exec_info"]["queue_remaining"].as_u64().map(|q| q as usize)
    }

    /// The VAE for a host: the configured one, else an SDXL fp16-fix VAE the server lists, else none.
    async fn vae_for(&self, host: usize) -> Result<Option<String>, GenerateError> {
        if self.config.workflow_file.is_some() && self.config.vae.is_none() {
            // An exported workflow names its own VAE unless {{vae}} is used with COMFYUI_VAE.
            return Ok(None);
        }
        let h = &self.shared.hosts[host];
        let vae = h
            .vae
            .get_or_try_init(|| async {
                if let Some(v) = &self.config.vae {
                    return Ok(Some(v.clone()));
                }
                let info = get_node_info(&self.shared.http, h, "VAELoader").await?;
                let listed = info.as_ref().map(|i| combo_options(i, "vae_name")).unwrap_or_default();
                let fp16_fix = listed.iter().find(|name| is_sdxl_fp16_fix(name)).cloned();
                match &fp16_fix {
                    Some(name) => info!(host = %h.base, vae = %name, "using the SDXL fp16-fix VAE"),
                    None => info!(host = %h.base, "no SDXL fp16-fix VAE listed; using the checkpoint's own VAE"),
                }
                Ok::<_, GenerateError>(fp16_fix)
            })
            .await?;
        Ok(vae.clone())
    }

    async fn run_on(&self, host: usize, request: &ImageRequest, job: u64) -> Result<GeneratedImage, GenerateError> {
        let vae = self.vae_for(host).await?;
        let workflow = self.workflow(request, vae.as_deref())?;
        let (width, height) = self.size(request);
        let h = &self.shared.hosts[host];
        let client_id = random_hex(16);

        // The socket first, so no message of our job is missed. wss:// needs TLS we do not build; then we poll.
        let ws = if h.base.scheme() == "http" {
            let mut ws_url = h.base.join("ws").map_err(|e| GenerateError::Misconfigured(e.to_string()))?;
            ws_url.set_scheme("ws").ok();
            ws_url.query_pairs_mut().append_pair("clientId", &client_id);
            match tokio::time::timeout(Duration::from_secs(10), tokio_tungstenite::connect_async(ws_url.as_str())).await
            {
                Ok(Ok((ws, _))) => Some(ws),
                Ok(Err(e)) => {
                    // No socket usually means no server; let /prompt tell.
                    debug!(host = %h.base, error = %e, "ComfyUI WebSocket failed; will poll /history");
                    None
                }
                Err(_) => None,
            }
        } else {
            None
        };

        let prompt_id = self.submit(host, &workflow, &client_id).await?;
        self.set_prompt_id(job, &prompt_id);
        if self.shared.stop_requested.lock().unwrap().contains(&job) {
            self.shared.interrupt_prompt(host, &prompt_id).await;
            return Err(GenerateError::Interrupted);
        }
        debug!(host = %h.base, %prompt_id, donation = request.donation_id, "ComfyUI job queued");

        match ws {
            Some(ws) => self.follow_socket(ws, &prompt_id, job).await?,
            None => self.poll_history(host, &prompt_id, job).await?,
        }
        if self.shared.stop_requested.lock().unwrap().contains(&job) {
            return Err(GenerateError::Interrupted);
        }
        let image = self.fetch_result(host, &prompt_id).await?;
        fit_size(image, width, height)
    }

    async fn submit(&self, host: usize, workflow: &Value, client_id: &str) -> Result<String, GenerateError> {
        let h = &self.shared.hosts[host];
        let response = self
            .shared
            .http
            .post(h.url("prompt"))
            .timeout(Duration::from_secs(30))
            .json(&json!({"prompt": workflow, "client_id": client_id}))
            .send()
            .await
            .map_err(|e| unreachable(h, &e))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.as_u16() == 400 {
            return Err(GenerateError::Misconfigured(format!(
                "ComfyUI at {} rejected the workflow: {}",
                h.base,
                describe_prompt_error(&body)
            )));
        }
        if !status.is_success() {
            return Err(GenerateError::Unreachable(format!("ComfyUI at {} answered HTTP {status} to /prompt", h.base)));
        }
        body.get("prompt_id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| GenerateError::Failed(format!("ComfyUI at {} gave no prompt_id", h.base)))
    }

    /// Reads the socket until our prompt finishes, fails or is interrupted.
    async fn follow_socket<S>(&self, mut ws: S, prompt_id: &str, job: u64) -> Result<(), GenerateError>
    where
        S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
    {
        loop {
            let Some(msg) = self.next_or_stop(ws.next(), job).await? else { break };
            let text = match msg {
                Ok(Message::Text(t)) => t,
                Ok(Message::Close(_)) => break,
                // Binary frames are live previews; pings are answered by the library.
                Ok(_) => continue,
                Err(e) => {
                    return Err(GenerateError::Unreachable(format!("ComfyUI's WebSocket broke mid-job: {e}")));
                }
            };
            let Ok(event) = serde_json::from_str::<Value>(text.as_str()) else { continue };
            let data = &event["data"];
            let ours = data.get("prompt_id").and_then(Value::as_str) == Some(prompt_id);
            match event["type"].as_str().unwrap_or("") {
                "progress" if ours => {
                    let (v, m) = (data["value"].as_f64().unwrap_or(0.0), data["max"].as_f64().unwrap_or(0.0));
                    if m > 0.0 {
                        self.shared.progress.set((v / m) as f32);
                    }
                }
                "executing" if ours && data["node"].is_null() => return Ok(()),
                "execution_success" if ours => return Ok(()),
                "execution_error" if ours => return Err(GenerateError::Failed(describe_execution_error(data))),
                "execution_interrupted" if ours => return Err(GenerateError::Interrupted),
                _ => {}
            }
        }
        // The socket closed before the end: the server went away, or restarted. History may still know.
        match self.history_status(prompt_id).await {
            Some(result) => result,
            None => Err(GenerateError::Unreachable("ComfyUI closed the WebSocket before the job finished".to_owned())),
        }
    }

    /// Whether history shows the prompt finished (Ok), failed (Err) or not at all (None).
    async fn history_status(&self, prompt_id: &str) -> Option<Result<(), GenerateError>> {
        let running = self.shared.running.lock().unwrap().clone();
        let host = running.iter().find(|j| j.prompt_id.as_deref() == Some(prompt_id))?.host;
        let entry = self.history_entry(host, prompt_id).await.ok()??;
        Some(history_outcome(&entry))
    }

    async fn history_entry(&self, host: usize, prompt_id: &str) -> Result<Option<Value>, GenerateError> {
        let h = &self.shared.hosts[host];
        let response = get_ok(&self.shared.http, h, &format!("history/{prompt_id}"), "history").await?;
        let body: Value =
            response.json().await.map_err(|e| GenerateError::Failed(format!("ComfyUI's /history is not JSON: {e}")))?;
        Ok(body.get(prompt_id).cloned())
    }

    /// Without a socket: asks `/history` every second until the prompt appears there.
    async fn poll_history(&self, host: usize, prompt_id: &str, job: u64) -> Result<(), GenerateError> {
        loop {
            if let Some(entry) = self.history_entry(host, prompt_id).await? {
                return history_outcome(&entry);
            }
            self.next_or_stop(tokio::time::sleep(Duration::from_secs(1)), job).await?;
        }
    }

    /// Awaits `fut` unless `interrupt()` stops this job first (a queued prompt that was deleted from the
    /// queue would otherwise never report anything).
    async fn next_or_stop<F: std::future::Future>(&self, fut: F, job: u64) -> Result<F::Output, GenerateError> {
        let notified = self.shared.stop.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.shared.stop_requested.lock().unwrap().contains(&job) {
            return Err(GenerateError::Interrupted);
        }
        tokio::select! {
            out = fut => Ok(out),
            _ = notified => Err(GenerateError::Interrupted),
        }
    }

    async fn fetch_result(&self, host: usize, prompt_id: &str) -> Result<GeneratedImage, GenerateError> {
        let h = &self.shared.hosts[host];
        let entry = self
            .history_entry(host, prompt_id)
            .await?
            .ok_or_else(|| GenerateError::Failed(format!("ComfyUI at {} has no history for {prompt_id}", h.base)))?;
        history_outcome(&entry)?;
        let (filename, subfolder, kind) = first_image(&entry).ok_or_else(|| {
            GenerateError::Failed("the workflow finished without an image (it needs a SaveImage node)".to_owned())
        })?;
        let mut url = h.base.join("view").map_err(|e| GenerateError::Failed(e.to_string()))?;
        url.query_pairs_mut()
            .append_pair("filename", &filename)
            .append_pair("subfolder", &subfolder)
            .append_pair("type", &kind);
        let response = self
            .shared
            .http
            .get(url.as_str())
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .map_err(|e| unreachable(h, &e))?;
        if !response.status().is_success() {
            return Err(GenerateError::Failed(format!(
                "ComfyUI's /view answered HTTP {} for {filename}",
                response.status()
            )));
        }
        if response.content_length().is_some_and(|n| n as usize > MAX_IMAGE_BYTES) {
            return Err(GenerateError::Failed(format!("the image {filename} is larger than {MAX_IMAGE_BYTES} bytes")));
        }
        let bytes = response.bytes().await.map_err(|e| unreachable(h, &e))?;
        decode_png(&bytes)
    }

    fn set_prompt_id(&self, job: u64, prompt_id: &str) {
        if let Some(j) = self.shared.running.lock().unwrap().iter_mut().find(|j| j.job == job) {
            j.prompt_id = Some(prompt_id.to_owned());
        }
    }
}

impl Shared {
    /// Targeted interrupt (only stops our prompt if it is the one running) plus removal from the queue.
    async fn interrupt_prompt(&self, host: usize, prompt_id: &str) {
        let h = &self.hosts[host];
        for (path, body) in [("interrupt", json!({"prompt_id": prompt_id})), ("queue", json!({"delete": [prompt_id]}))]
        {
            if let Err(e) = self.http.post(h.url(path)).timeout(Duration::from_secs(10)).json(&body).send().await {
                warn!(host = %h.base, error = %e, "could not reach ComfyUI /{path}");
            }
        }
    }
}

/// Removes a job from the running list when `generate` ends — or is dropped, in which case the job is
/// interrupted on the server so an abandoned donation does not keep the GPU busy.
struct JobGuard {
    shared: Arc<Shared>,
    job: u64,
    host: usize,
    finished: bool,
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        self.shared.hosts[self.host].in_flight.fetch_sub(1, Ordering::Relaxed);
        let mut running = self.shared.running.lock().unwrap();
        let entry = running.iter().position(|j| j.job == self.job).map(|i| running.remove(i));
        if running.is_empty() {
            self.shared.progress.clear();
        }
        drop(running);
        self.shared.stop_requested.lock().unwrap().retain(|&j| j != self.job);
        if !self.finished {
            if let (Some(prompt_id), Ok(rt)) = (entry.and_then(|e| e.prompt_id), tokio::runtime::Handle::try_current())
            {
                let shared = self.shared.clone();
                let host = self.host;
                rt.spawn(async move { shared.interrupt_prompt(host, &prompt_id).await });
            }
        }
    }
}

#[async_trait]
impl ImageBackend for ComfyUiBackend {
    fn name(&self) -> &str {
        "comfyui"
    }

    /// Asks every host for the nodes, checkpoint, VAE and LoRA the job needs. Passes when at least one host
    /// has everything (the others rest); otherwise names what is missing where.
    async fn check(&self) -> Result<(), GenerateError> {
        let mut problems = Vec::new();
        let mut ok = 0;
        for (i, h) in self.shared.hosts.iter().enumerate() {
            match self.check_host(i).await {
                Ok(()) => {
                    h.recovered();
                    ok += 1;
                }
                Err(e) => {
                    warn!(host = %h.base, error = %e, "ComfyUI host is not ready");
                    h.rest();
                    problems.push(e);
                }
            }
        }
        if ok > 0 {
            return Ok(());
        }
        let all_unreachable = problems.iter().all(|p| matches!(p, GenerateError::Unreachable(_)));
        let text = problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ");
        Err(if all_unreachable { GenerateError::Unreachable(text) } else { GenerateError::Misconfigured(text) })
    }

    async fn generate(&self, request: &ImageRequest) -> Result<GeneratedImage, GenerateError> {
        let mut tried = Vec::new();
        let mut last_error = None;
        while let Some(host) = self.choose_host(&tried).await {
            tried.push(host);
            let job = self.shared.next_job.fetch_add(1, Ordering::Relaxed);
            self.shared.hosts[host].in_flight.fetch_add(1, Ordering::Relaxed);
            self.shared.running.lock().unwrap().push(RunningJob { host, prompt_id: None, job });
            self.shared.progress.set(0.0);
            let mut guard = JobGuard { shared: self.shared.clone(), job, host, finished: false };
            let result = tokio::time::timeout(self.config.timeout, self.run_on(host, request, job)).await;
            let h = &self.shared.hosts[host];
            match result {
                Ok(Ok(image)) => {
                    guard.finished = true;
                    h.recovered();
                    return Ok(image);
                }
                Ok(Err(GenerateError::Unreachable(e))) => {
                    // The server is down or went away mid-job: rest it, try another host. The guard stays
                    // unfinished, so a prompt that may still run there (only the socket broke) is interrupted
                    // and the donation is not painted twice.
                    warn!(host = %h.base, error = %e, "ComfyUI host failed; trying another");
                    h.rest();
                    last_error = Some(GenerateError::Unreachable(e));
                }
                Ok(Err(e)) => {
                    guard.finished = true;
                    return Err(e);
                }
                Err(_) => {
                    // Timed out: the guard interrupts the job on the server when dropped unfinished.
                    return Err(GenerateError::Failed(format!(
                        "ComfyUI at {} did not finish within {:?}",
                        h.base, self.config.timeout
                    )));
                }
            }
        }
        Err(last_error.unwrap_or_else(|| GenerateError::Unreachable("no ComfyUI host configured".to_owned())))
    }

    /// Stops every job this backend has on its servers (skip/clear). Jobs whose prompt is not queued yet are
    /// stopped as soon as it is.
    async fn interrupt(&self) -> Result<(), GenerateError> {
        let running = self.shared.running.lock().unwrap().clone();
        if running.is_empty() {
            return Ok(());
        }
        // Mark and wake the waiting jobs first, then tell the servers.
        self.shared.stop_requested.lock().unwrap().extend(running.iter().map(|j| j.job));
        self.shared.stop.notify_waiters();
        for job in &running {
            if let Some(pid) = &job.prompt_id {
                info!(host = %self.shared.hosts[job.host].base, prompt_id = %pid, "interrupting ComfyUI job");
                self.shared.interrupt_prompt(job.host, pid).await;
            }
        }
        Ok(())
    }

    fn progress(&self) -> Option<f32> {
        self.shared.progress.get()
    }
}

impl ComfyUiBackend {
    async fn check_host(&self, host: usize) -> Result<(), GenerateError> {
        let h = &self.shared.hosts[host];
        let http = &self.shared.http;
        let mut missing = Vec::new();
        let nodes: Vec<String> = match &self.config.workflow_file {
            Some(t) => {
                let dummy = ImageRequest {
                    donation_id: 0,
                    prompt: "pixel art".into(),
                    negative_prompt: String::new(),
                    seed: 1,
                    width: self.config.width,
                    height: self.config.height,
                };
                let wf = fill_workflow(t, &self.placeholders(&dummy, self.config.vae.as_deref()))?;
                let mut classes: Vec<String> = wf
                    .as_object()
                    .map(|m| m.values().filter_map(|n| n["class_type"].as_str().map(str::to_owned)).collect())
                    .unwrap_or_default();
                classes.sort();
                classes.dedup();
                classes
            }
            None => BUILTIN_NODES.iter().map(|s| s.to_string()).collect(),
        };
        let mut infos = std::collections::HashMap::new();
        for node in &nodes {
            match get_node_info(http, h, node).await? {
                Some(info) => {
                    infos.insert(node.clone(), info);
                }
                None => missing.push(format!("node {node} is not installed (add its custom-node pack)")),
            }
        }
        let mut want = |node: &str, input: &str, value: &str, what: &str, folder: &str| {
            if let Some(info) = infos.get(node) {
                let options = combo_options(info, input);
                if !options.iter().any(|o| o == value) {
                    let listed = if options.is_empty() { "none".to_owned() } else { options.join(", ") };
                    missing.push(format!(
                        "{what} '{value}' is not installed (put it in ComfyUI/models/{folder}/; {node} lists: {listed})"
                    ));
                }
            }
        };
        let builtin = self.config.workflow_file.is_none();
        if builtin || self.config.workflow_file.as_deref().is_some_and(|t| t.contains("{{checkpoint}}")) {
            want("CheckpointLoaderSimple", "ckpt_name", &self.config.checkpoint, "checkpoint", "checkpoints");
        }
        if builtin || self.config.workflow_file.as_deref().is_some_and(|t| t.contains("{{lora}}")) {
            want("LoraLoader", "lora_name", &self.config.lora, "LoRA", "loras");
        }
        if let Some(vae) = &self.config.vae {
            want("VAELoader", "vae_name", vae, "VAE", "vae");
        }
        if builtin {
            want("KSampler", "sampler_name", &self.config.sampler, "sampler", "..");
            want("KSampler", "scheduler", &self.config.scheduler, "scheduler", "..");
        }
        if !missing.is_empty() {
            return Err(GenerateError::Misconfigured(format!(
                "ComfyUI at {}: {}",
                h.base,
                missing.join("; ").replace("ComfyUI/models/../", "")
            )));
        }
        // Decide the VAE now, so the first job does not wait for it.
        self.vae_for(host).await?;
        Ok(())
    }
}

/// `GET /object_info/{node}`: `Ok(None)` when the server does not know the node.
async fn get_node_info(http: &reqwest::Client, h: &Host, node: &str) -> Result<Option<Value>, GenerateError> {
    let path = format!("object_info/{node}");
    let response = get_ok(http, h, &path, &path).await?;
    let body: Value = response
        .json()
        .await
        .map_err(|e| GenerateError::Unreachable(format!("ComfyUI at {} sent bad /object_info: {e}", h.base)))?;
    Ok(body.get(node).cloned())
}

/// `GET /{path}` on a host with a 30 s limit. No answer or a non-2xx status is `Unreachable`; `shown` is the
/// path the message names.
async fn get_ok(http: &reqwest::Client, h: &Host, path: &str, shown: &str) -> Result<reqwest::Response, GenerateError> {
    let response =
        http.get(h.url(path)).timeout(Duration::from_secs(30)).send().await.map_err(|e| unreachable(h, &e))?;
    if !response.status().is_success() {
        return Err(GenerateError::Unreachable(format!(
            "ComfyUI at {} answered HTTP {} to /{shown}",
            h.base,
            response.status()
        )));
    }
    Ok(response)
}

/// The choices of a combo input: `[[a, b], {…}]` (classic nodes) or `["COMBO", {"options": [a, b]}]` (v3).
pub fn combo_options(info: &Value, input: &str) -> Vec<String> {
    let spec =
        ["required", "optional"].iter().find_map(|k| info["input"][k].get(input)).cloned().unwrap_or(Value::Null);
    let list = match &spec[0] {
        Value::Array(a) => a.clone(),
        Value::String(s) if s == "COMBO" => spec[1]["options"].as_array().cloned().unwrap_or_default(),
        _ => Vec::new(),
    };
    list.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()
}

/// An SDXL VAE with the fp16 fix, by its usual file names (`sdxl_vae_fp16_fix.safetensors`,
/// `sdxl-vae-fp16-fix.safetensors`, `fixFP16ErrorsSDXLLowerMemoryUse_v10.safetensors`).
fn is_sdxl_fp16_fix(name: &str) -> bool {
    let n = name.to_lowercase();
    (n.contains("xl") && n.contains("fp16") && n.contains("fix")) || n.contains("fixfp16errorssdxl")
}

fn builtin_workflow(c: &ComfyUiConfig, r: &ImageRequest, vae: Option<&str>, width: u32, height: u32) -> Value {
    let mut wf = json!({
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": c.checkpoint}},
        "11": {"class_type": "LoraLoader", "inputs": {
            "model": ["4", 0], "clip": ["4", 1], "lora_name": c.lora,
            "strength_model": c.lora_strength, "strength_clip": c.lora_strength}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": r.prompt, "clip": ["11", 1]}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": r.negative_prompt, "clip": ["11", 1]}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": width, "height": height, "batch_size": 1}},
        "3": {"class_type": "KSampler", "inputs": {
            "seed": r.seed, "steps": c.steps, "cfg": c.guidance, "sampler_name": c.sampler,
            "scheduler": c.scheduler, "denoise": 1.0, "model": ["11", 0], "positive": ["6", 0],
            "negative": ["7", 0], "latent_image": ["5", 0]}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "draw-stream/pixel", "images": ["8", 0]}},
    });
    if let Some(vae) = vae {
        wf["10"] = json!({"class_type": "VAELoader", "inputs": {"vae_name": vae}});
        wf["8"]["inputs"]["vae"] = json!(["10", 0]);
    }
    wf
}

/// Fills `{{name}}` placeholders: `"{{seed}}"` (a whole JSON string) becomes the JSON value, so numbers stay
/// numbers; a placeholder inside a longer string is inserted escaped; a bare one as a JSON literal.
pub fn fill_workflow(template: &str, values: &[(&str, Value)]) -> Result<Value, GenerateError> {
    let mut text = template.to_owned();
    for (name, value) in values {
        let quoted = format!("\"{{{{{name}}}}}\"");
        text = text.replace(&quoted, &value.to_string());
        let bare = format!("{{{{{name}}}}}");
        let inner = match value {
            Value::String(s) => {
                let json = Value::String(s.clone()).to_string();
                json[1..json.len() - 1].to_owned()
            }
            other => other.to_string(),
        };
        text = text.replace(&bare, &inner);
    }
    let parsed: Value = serde_json::from_str(&text).map_err(|e| {
        GenerateError::Misconfigured(format!("the ComfyUI workflow file is not valid JSON after filling: {e}"))
    })?;
    // Accept a saved `/prompt` payload too.
    let graph = match parsed.get("prompt") {
        Some(p) if p.is_object() => p.clone(),
        _ => parsed,
    };
    let Some(nodes) = graph.as_object() else {
        return Err(GenerateError::Misconfigured("the ComfyUI workflow file is not a JSON object".to_owned()));
    };
    if graph.get("nodes").is_some_and(Value::is_array) && graph.get("links").is_some() {
        return Err(GenerateError::Misconfigured(
            "the ComfyUI workflow file is in the UI format; export it with Workflow → Export (API)".to_owned(),
        ));
    }
    if nodes.is_empty() || !nodes.values().all(|n| n.get("class_type").is_some_and(Value::is_string)) {
        return Err(GenerateError::Misconfigured(
            "the ComfyUI workflow file is not in the API format (every node needs a class_type)".to_owned(),
        ));
    }
    Ok(graph)
}

fn check_workflow_template(template: &str) -> Result<(), GenerateError> {
    for needed in ["{{prompt}}", "{{seed}}"] {
        if !template.contains(needed) {
            return Err(GenerateError::Misconfigured(format!(
                "the ComfyUI workflow file has no {needed} placeholder (without it every donation paints the same picture)"
            )));
        }
    }
    fill_workflow(template, &dummy_placeholders()).map(|_| ())
}

/// A value of the right JSON type for every placeholder [`ComfyUiBackend::placeholders`] fills, so a
/// template can be checked before any job.
fn dummy_placeholders() -> Vec<(&'static str, Value)> {
    vec![
        ("prompt", json!("x")),
        ("negative_prompt", json!("x")),
        ("seed", json!(1)),
        ("width", json!(768)),
        ("height", json!(768)),
        ("steps", json!(20)),
        ("cfg", json!(5.0)),
        ("guidance", json!(5.0)),
        ("sampler", json!("euler")),
        ("scheduler", json!("normal")),
        ("checkpoint", json!("x")),
        ("vae", json!("x")),
        ("lora", json!("x")),
        ("lora_strength", json!(1.0)),
        ("donation_id", json!(1)),
    ]
}

/// `/prompt`'s 400 answer in words: the error message plus each node's errors with its class.
fn describe_prompt_error(body: &Value) -> String {
    let mut parts = Vec::new();
    let error = &body["error"];
    match error {
        Value::String(s) => parts.push(s.clone()),
        Value::Object(_) => {
            let msg = error["message"].as_str().unwrap_or("invalid prompt");
            let details = error["details"].as_str().unwrap_or("");
            parts.push(if details.is_empty() { msg.to_owned() } else { format!("{msg}: {details}") });
        }
        _ => {}
    }
    if let Some(nodes) = body["node_errors"].as_object() {
        let mut ids: Vec<&String> = nodes.keys().collect();
        ids.sort();
        for id in ids {
            let n = &nodes[id];
            let class = n["class_type"].as_str().unwrap_or("?");
            for e in n["errors"].as_array().into_iter().flatten() {
                let msg = e["message"].as_str().unwrap_or("error");
                let details = e["details"].as_str().unwrap_or("");
                parts.push(format!("{class} (node {id}): {msg}: {details}"));
            }
        }
    }
    if parts.is_empty() {
        "no details".to_owned()
    } else {
        // Messages from validation repeat in node_errors; keep each once.
        let mut seen = std::collections::HashSet::new();
        parts.retain(|p| seen.insert(p.clone()));
        parts.join("; ")
    }
}

fn describe_execution_error(data: &Value) -> String {
    format!(
        "ComfyUI failed in {} (node {}): {}: {}",
        data["node_type"].as_str().unwrap_or("?"),
        data["node_id"].as_str().unwrap_or("?"),
        data["exception_type"].as_str().unwrap_or("error"),
        data["exception_message"].as_str().unwrap_or("").trim()
    )
}

/// A history entry's status: success, or the error it recorded (`status.messages` holds the events).
fn history_outcome(entry: &Value) -> Result<(), GenerateError> {
    let status = &entry["status"];
    if status["status_str"].as_str() == Some("error") {
        for m in status["messages"].as_array().into_iter().flatten() {
            match m[0].as_str() {
                Some("execution_interrupted") => return Err(GenerateError::Interrupted),
                Some("execution_error") => return Err(GenerateError::Failed(describe_execution_error(&m[1]))),
                _ => {}
            }
        }
        return Err(GenerateError::Failed("ComfyUI reports the job failed".to_owned()));
    }
    Ok(())
}

/// The first image in a history entry's outputs, SaveImage results (`type: output`) first.
fn first_image(entry: &Value) -> Option<(String, String, String)> {
    let outputs: &Map<String, Value> = entry["outputs"].as_object()?;
    let mut images: Vec<&Value> = outputs.values().filter_map(|o| o["images"].as_array()).flatten().collect();
    images.sort_by_key(|i| i["type"].as_str() != Some("output"));
    let i = images.first()?;
    Some((
        i["filename"].as_str()?.to_owned(),
        i["subfolder"].as_str().unwrap_or("").to_owned(),
        i["type"].as_str().unwrap_or("output").to_owned(),
    ))
}

/// Decodes a PNG into RGB, refusing other formats and absurd sizes.
pub(crate) fn decode_png(bytes: &[u8]) -> Result<GeneratedImage, GenerateError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(GenerateError::Failed(format!("the image is larger than {MAX_IMAGE_BYTES} bytes")));
    }
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(GenerateError::Failed("the server's image is not a PNG".to_owned()));
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Png);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| GenerateError::Failed(format!("cannot decode the PNG: {e}")))?;
    let rgb = img.to_rgb8();
    Ok(GeneratedImage { width: rgb.width(), height: rgb.height(), rgb: rgb.into_raw() })
}

/// A result of another size (a streamer's workflow may paint 1024×1024) is scaled to the requested size
/// with nearest-neighbour, which keeps pixel-art blocks crisp for the pixelizer.
pub(crate) fn fit_size(image: GeneratedImage, width: u32, height: u32) -> Result<GeneratedImage, GenerateError> {
    if (image.width, image.height) == (width, height) || width == 0 || height == 0 {
        return Ok(image);
    }
    warn!(got = ?(image.width, image.height), want = ?(width, height), "image backend returned another size; resizing");
    let buf = image::RgbImage::from_raw(image.width, image.height, image.rgb)
        .ok_or_else(|| GenerateError::Failed("image buffer has the wrong length".to_owned()))?;
    let resized = image::imageops::resize(&buf, width, height, image::imageops::FilterType::Nearest);
    Ok(GeneratedImage { width, height, rgb: resized.into_raw() })
}

fn unreachable(h: &Host, e: &reqwest::Error) -> GenerateError {
    remote::unreachable("ComfyUI", &h.base, e)
}

fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes).map(|_| format!("{:02x}", rng.random::<u8>())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ImageRequest {
        ImageRequest {
            donation_id: 3,
            prompt: "pixel art, a \"quoted\" fox".into(),
            negative_prompt: "blurry".into(),
            seed: 123456789012,
            width: 768,
            height: 768,
        }
    }

    #[test]
    fn builtin_workflow_links_lora_and_vae() {
        let b = ComfyUiBackend::new(ComfyUiConfig::default()).unwrap();
        let wf = b.workflow(&request(), Some("sdxl_vae_fp16_fix.safetensors")).unwrap();
        assert_eq!(wf["11"]["inputs"]["lora_name"], "pixel-art-xl.safetensors");
        assert_eq!(wf["6"]["inputs"]["clip"], json!(["11", 1]));
        assert_eq!(wf["3"]["inputs"]["model"], json!(["11", 0]));
        assert_eq!(wf["3"]["inputs"]["seed"], json!(123456789012u64));
        assert_eq!(wf["8"]["inputs"]["vae"], json!(["10", 0]));
        assert_eq!(wf["5"]["inputs"]["width"], 768);
        let wf = b.workflow(&request(), None).unwrap();
        assert_eq!(wf["8"]["inputs"]["vae"], json!(["4", 2]));
        assert!(wf.get("10").is_none());
    }

    #[test]
    fn placeholders_are_filled_with_json_types_and_escaping() {
        let template = r#"{"3": {"class_type": "KSampler", "inputs": {"seed": {{seed}}, "steps": "{{steps}}"}},
            "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}, masterpiece"}}}"#;
        let cfg = ComfyUiConfig { workflow_file: Some(template.into()), ..ComfyUiConfig::default() };
        let b = ComfyUiBackend::new(cfg).unwrap();
        let wf = b.workflow(&request(), None).unwrap();
        assert_eq!(wf["3"]["inputs"]["seed"], json!(123456789012u64));
        assert_eq!(wf["3"]["inputs"]["steps"], json!(40));
        assert_eq!(wf["6"]["inputs"]["text"], "pixel art, a \"quoted\" fox, masterpiece");
    }

    #[test]
    fn the_template_check_fills_every_placeholder() {
        let b = ComfyUiBackend::new(ComfyUiConfig::default()).unwrap();
        let names = |values: Vec<(&'static str, Value)>| values.into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(names(dummy_placeholders()), names(b.placeholders(&request(), None)));
    }

    #[test]
    fn bad_workflow_files_are_explained() {
        let no_seed = r#"{"6": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}"}}}"#;
        let e = ComfyUiBackend::new(ComfyUiConfig { workflow_file: Some(no_seed.into()), ..Default::default() });
        assert!(e.unwrap_err().to_string().contains("{{seed}}"));
        let ui = r#"{"nodes": [{"id": 1, "widgets_values": ["{{prompt}}", "{{seed}}"]}], "links": []}"#;
        let e = ComfyUiBackend::new(ComfyUiConfig { workflow_file: Some(ui.into()), ..Default::default() });
        assert!(e.unwrap_err().to_string().contains("Export (API)"));
    }

    #[test]
    fn prompt_errors_name_the_node() {
        let body = json!({
            "error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
            "node_errors": {"11": {"errors": [{"type": "value_not_in_list", "message": "Value not in list",
                "details": "lora_name: 'pixel-art-xl.safetensors' not in []", "extra_info": {}}],
                "dependent_outputs": ["9"], "class_type": "LoraLoader"}}
        });
        let text = describe_prompt_error(&body);
        assert!(text.contains("LoraLoader (node 11)") && text.contains("pixel-art-xl.safetensors"), "{text}");
    }

    #[test]
    fn combo_options_read_both_formats() {
        let classic = json!({"input": {"required": {"lora_name": [["a.safetensors", "b.safetensors"], {}]}}});
        assert_eq!(combo_options(&classic, "lora_name"), ["a.safetensors", "b.safetensors"]);
        let v3 =
            json!({"input": {"required": {"vae_name": ["COMBO", {"options": ["sdxl_vae_fp16_fix.safetensors"]}]}}});
        assert_eq!(combo_options(&v3, "vae_name"), ["sdxl_vae_fp16_fix.safetensors"]);
        assert!(is_sdxl_fp16_fix("sdxl-vae-fp16-fix.safetensors"));
        assert!(!is_sdxl_fp16_fix("vae-ft-mse-840000-ema-pruned.safetensors"));
    }

    #[test]
    fn non_png_and_wrong_sizes() {
        assert!(decode_png(b"GIF89a....").is_err());
        let img = GeneratedImage { width: 2, height: 2, rgb: vec![0, 0, 0, 255, 255, 255, 1, 1, 1, 2, 2, 2] };
        let out = fit_size(img, 4, 4).unwrap();
        assert_eq!((out.width, out.height, out.rgb.len()), (4, 4, 48));
    }
}
