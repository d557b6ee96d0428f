//! The ComfyUI backend against a fake ComfyUI that speaks its real HTTP and WebSocket messages
//! (server.py, execution.py, main.py): `/prompt` validation with `node_errors`, `status`,
//! `execution_start`, `execution_cached`, `executing`, `progress`, binary previews, `executed`,
//! `execution_success`, `execution_error`, `execution_interrupted`, `/history` and `/view`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use generation::{ComfyUiBackend, ComfyUiConfig, GenerateError, ImageBackend};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

use crate::fake::{dead_address, png, request, serve, wait_until};

/// How the fake runs a prompt.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Succeed,
    /// KSampler raises (CUDA out of memory).
    Fail,
    /// Stays in KSampler until `/interrupt` names the prompt.
    Hang,
    /// Dies mid-job: the socket closes and the prompt never reaches history.
    Vanish,
}

struct Inner {
    mode: Mode,
    checkpoints: Vec<&'static str>,
    loras: Vec<&'static str>,
    vaes: Vec<&'static str>,
    nodes: Vec<&'static str>,
    sockets: HashMap<String, mpsc::UnboundedSender<Message>>,
    history: HashMap<String, Value>,
    prompts: Vec<Value>,
    interrupts: Vec<Value>,
    queue_posts: Vec<Value>,
    views: Vec<HashMap<String, String>>,
    number: u64,
    /// Work from other clients (the streamer's own use of ComfyUI), added to `GET /prompt`'s count.
    others_queued: u64,
}

#[derive(Clone)]
struct Fake {
    inner: Arc<Mutex<Inner>>,
    interrupted: Arc<Notify>,
}

impl Fake {
    fn new(mode: Mode) -> Self {
        Fake {
            inner: Arc::new(Mutex::new(Inner {
                mode,
                checkpoints: vec!["sd_xl_base_1.0.safetensors", "v1-5-pruned-emaonly.safetensors"],
                loras: vec!["pixel-art-xl.safetensors"],
                vaes: vec!["sdxl_vae_fp16_fix.safetensors", "vae-ft-mse-840000-ema-pruned.safetensors"],
                nodes: vec![
                    "CheckpointLoaderSimple",
                    "VAELoader",
                    "LoraLoader",
                    "CLIPTextEncode",
                    "EmptyLatentImage",
                    "KSampler",
                    "VAEDecode",
                    "SaveImage",
                    "PreviewImage",
                ],
                sockets: HashMap::new(),
                history: HashMap::new(),
                prompts: Vec::new(),
                interrupts: Vec::new(),
                queue_posts: Vec::new(),
                views: Vec::new(),
                number: 0,
                others_queued: 0,
            })),
            interrupted: Arc::new(Notify::new()),
        }
    }

    async fn start(&self) -> String {
        let app = Router::new()
            .route("/ws", get(ws))
            .route("/prompt", post(prompt).get(queue_info))
            .route("/object_info/{node}", get(object_info))
            .route("/history/{id}", get(history))
            .route("/view", get(view))
            .route("/interrupt", post(interrupt))
            .route("/queue", post(queue))
            .with_state(self.clone());
        format!("http://{}", serve(app).await)
    }

    fn send(&self, client: &str, kind: &str, data: Value) {
        let inner = self.inner.lock().unwrap();
        if let Some(tx) = inner.sockets.get(client) {
            let _ = tx.send(Message::Text(json!({"type": kind, "data": data}).to_string().into()));
        }
    }

    fn send_binary(&self, client: &str) {
        let inner = self.inner.lock().unwrap();
        if let Some(tx) = inner.sockets.get(client) {
            // BinaryEventTypes.PREVIEW_IMAGE (1) + image type + JPEG bytes, as ComfyUI sends previews.
            let _ = tx.send(Message::Binary(vec![0, 0, 0, 1, 0, 0, 0, 1, 0xFF, 0xD8, 0xFF].into()));
        }
    }
}

fn node_info(name: &str, inner: &Inner) -> Value {
    let combo = |list: &[&str]| json!([list, {}]);
    let input = match name {
        "CheckpointLoaderSimple" => json!({"required": {"ckpt_name": combo(&inner.checkpoints)}}),
        "LoraLoader" => json!({"required": {
            "model": ["MODEL", {}], "clip": ["CLIP", {}], "lora_name": combo(&inner.loras),
            "strength_model": ["FLOAT", {"default": 1.0}], "strength_clip": ["FLOAT", {"default": 1.0}]}}),
        // Newer servers describe combos in the v3 shape.
        "VAELoader" => json!({"required": {"vae_name": ["COMBO", {"options": inner.vaes}]}}),
        "KSampler" => json!({"required": {
            "seed": ["INT", {"default": 0, "min": 0, "max": u64::MAX}],
            "sampler_name": [["euler", "euler_ancestral", "dpmpp_2m"], {}],
            "scheduler": [["normal", "karras"], {}]}}),
        _ => json!({"required": {}}),
    };
    json!({"input": input, "name": name, "display_name": name, "output_node": name == "SaveImage", "category": "loaders"})
}

async fn object_info(State(f): State<Fake>, Path(node): Path<String>) -> Json<Value> {
    let inner = f.inner.lock().unwrap();
    if inner.nodes.contains(&node.as_str()) {
        Json(json!({ node.clone(): node_info(&node, &inner) }))
    } else {
        Json(json!({}))
    }
}

async fn ws(State(f): State<Fake>, Query(q): Query<HashMap<String, String>>, up: WebSocketUpgrade) -> Response {
    let sid = q.get("clientId").cloned().unwrap_or_else(|| "anon".to_owned());
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    // Registered before the upgrade completes, so a /prompt right after the handshake finds the socket.
    let status = json!({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": sid}});
    tx.send(Message::Text(status.to_string().into())).unwrap();
    f.inner.lock().unwrap().sockets.insert(sid, tx);
    up.on_upgrade(move |mut socket: WebSocket| async move {
        while let Some(m) = rx.recv().await {
            if socket.send(m).await.is_err() {
                break;
            }
        }
    })
}

fn bad_request(error: Value, node_errors: Value) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": error, "node_errors": node_errors}))).into_response()
}

/// `POST /prompt`: validate like execution.validate_prompt, queue, and run in the background.
async fn prompt(State(f): State<Fake>, Json(body): Json<Value>) -> Response {
    let graph = body["prompt"].clone();
    let client = body["client_id"].as_str().unwrap_or("").to_owned();
    let (number, prompt_id) = {
        let mut inner = f.inner.lock().unwrap();
        inner.prompts.push(body.clone());
        let mut node_errors = serde_json::Map::new();
        for (id, node) in graph.as_object().unwrap() {
            let class = node["class_type"].as_str().unwrap_or("");
            if !inner.nodes.contains(&class) {
                return bad_request(
                    json!({"type": "invalid_prompt", "message": format!("Cannot execute because node {class} does not exist."),
                        "details": format!("Node ID '#{id}'"), "extra_info": {}}),
                    json!({}),
                );
            }
            for (input, list) in
                [("ckpt_name", &inner.checkpoints), ("lora_name", &inner.loras), ("vae_name", &inner.vaes)]
            {
                if let Some(v) = node["inputs"][input].as_str() {
                    if !list.contains(&v) {
                        node_errors.insert(
                            id.clone(),
                            json!({
                            "errors": [{"type": "value_not_in_list", "message": "Value not in list",
                                "details": format!("{input}: '{v}' not in {list:?}"),
                                "extra_info": {"input_name": input, "received_value": v}}],
                            "dependent_outputs": ["9"], "class_type": class}),
                        );
                    }
                }
            }
        }
        if !node_errors.is_empty() {
            let details = node_errors
                .values()
                .map(|e| format!("Value not in list: {}", e["errors"][0]["details"].as_str().unwrap()))
                .collect::<Vec<_>>()
                .join("\n");
            return bad_request(
                json!({"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation",
                    "details": details, "extra_info": {}}),
                Value::Object(node_errors),
            );
        }
        inner.number += 1;
        (inner.number, format!("7f0c8a4e-0000-4000-8000-{:012}", inner.number))
    };
    let pid = prompt_id.clone();
    let fake = f.clone();
    tokio::spawn(async move { run(fake, client, pid, number, graph).await });
    Json(json!({"prompt_id": prompt_id, "number": number, "node_errors": {}})).into_response()
}

async fn run(f: Fake, client: String, pid: String, number: u64, graph: Value) {
    let mode = f.inner.lock().unwrap().mode;
    let ts = 1764030000000u64;
    let mut messages = vec![json!(["execution_start", {"prompt_id": pid, "timestamp": ts}])];
    f.send(&client, "execution_start", json!({"prompt_id": pid, "timestamp": ts}));
    f.send(&client, "execution_cached", json!({"nodes": [], "prompt_id": pid, "timestamp": ts}));
    messages.push(json!(["execution_cached", {"nodes": [], "prompt_id": pid, "timestamp": ts}]));
    for node in ["4", "11", "6", "7", "5", "3"] {
        f.send(&client, "executing", json!({"node": node, "display_node": node, "prompt_id": pid}));
    }
    let steps = graph["3"]["inputs"]["steps"].as_u64().unwrap_or(20).min(5);
    let mut outcome_ok = true;
    match mode {
        Mode::Succeed => {
            for i in 1..=steps {
                f.send(&client, "progress", json!({"value": i, "max": steps, "prompt_id": pid, "node": "3"}));
                f.send_binary(&client);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            f.send(&client, "executing", json!({"node": "8", "display_node": "8", "prompt_id": pid}));
            f.send(&client, "executing", json!({"node": "9", "display_node": "9", "prompt_id": pid}));
            let output =
                json!({"images": [{"filename": "pixel_00001_.png", "subfolder": "draw-stream", "type": "output"}]});
            f.send(&client, "executed", json!({"node": "9", "display_node": "9", "output": output, "prompt_id": pid}));
            f.send(&client, "execution_success", json!({"prompt_id": pid, "timestamp": ts}));
            messages.push(json!(["execution_success", {"prompt_id": pid, "timestamp": ts}]));
        }
        Mode::Fail => {
            let err = json!({"prompt_id": pid, "node_id": "3", "node_type": "KSampler", "executed": ["4", "11", "6", "7", "5"],
                "exception_message": "Allocation on device \nThis error means you ran out of memory on your GPU.",
                "exception_type": "torch.OutOfMemoryError", "traceback": ["  File \"execution.py\", line 496\n"],
                "current_inputs": {}, "current_outputs": [], "timestamp": ts});
            f.send(&client, "execution_error", err.clone());
            messages.push(json!(["execution_error", err]));
            outcome_ok = false;
        }
        Mode::Vanish => {
            f.send(&client, "progress", json!({"value": 1, "max": 40, "prompt_id": pid, "node": "3"}));
            tokio::time::sleep(Duration::from_millis(50)).await;
            f.inner.lock().unwrap().sockets.remove(&client);
            return;
        }
        Mode::Hang => {
            f.send(&client, "progress", json!({"value": 1, "max": 40, "prompt_id": pid, "node": "3"}));
            f.interrupted.notified().await;
            let m = json!({"prompt_id": pid, "node_id": "3", "node_type": "KSampler", "executed": ["4", "11", "6", "7", "5"], "timestamp": ts});
            f.send(&client, "execution_interrupted", m.clone());
            messages.push(json!(["execution_interrupted", m]));
            outcome_ok = false;
        }
    }
    let outputs = if outcome_ok {
        json!({"9": {"images": [{"filename": "pixel_00001_.png", "subfolder": "draw-stream", "type": "output"}]}})
    } else {
        json!({})
    };
    let entry = json!({
        "prompt": [number, pid, graph, {"client_id": client}, ["9"]],
        "outputs": outputs,
        "status": {"status_str": if outcome_ok {"success"} else {"error"}, "completed": outcome_ok, "messages": messages},
        "meta": {},
    });
    f.inner.lock().unwrap().history.insert(pid.clone(), entry);
    // main.py's prompt_worker: after task_done, `executing` with node None ends the prompt.
    f.send(&client, "executing", json!({"node": null, "prompt_id": pid}));
}

/// `GET /prompt`: server.get_queue_info().
async fn queue_info(State(f): State<Fake>) -> Json<Value> {
    let inner = f.inner.lock().unwrap();
    let running = inner.prompts.len() as u64 - inner.history.len().min(inner.prompts.len()) as u64;
    Json(json!({"exec_info": {"queue_remaining": running + inner.others_queued}}))
}

async fn history(State(f): State<Fake>, Path(id): Path<String>) -> Json<Value> {
    let inner = f.inner.lock().unwrap();
    match inner.history.get(&id) {
        Some(e) => Json(json!({ id: e })),
        None => Json(json!({})),
    }
}

async fn view(State(f): State<Fake>, Query(q): Query<HashMap<String, String>>) -> Response {
    f.inner.lock().unwrap().views.push(q.clone());
    if q.get("filename").map(String::as_str) == Some("pixel_00001_.png")
        && q.get("subfolder").map(String::as_str) == Some("draw-stream")
        && q.get("type").map(String::as_str) == Some("output")
    {
        ([("content-type", "image/png")], png(768, 3)).into_response()
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

async fn interrupt(State(f): State<Fake>, body: String) -> StatusCode {
    let v: Value = serde_json::from_str(&body).unwrap_or(json!({}));
    f.inner.lock().unwrap().interrupts.push(v);
    f.interrupted.notify_waiters();
    StatusCode::OK
}

async fn queue(State(f): State<Fake>, Json(body): Json<Value>) -> StatusCode {
    f.inner.lock().unwrap().queue_posts.push(body);
    StatusCode::OK
}

fn config(urls: Vec<String>) -> ComfyUiConfig {
    ComfyUiConfig { urls, timeout: Duration::from_secs(20), ..ComfyUiConfig::default() }
}

#[tokio::test]
async fn a_job_runs_through_prompt_socket_history_and_view() {
    let fake = Fake::new(Mode::Succeed);
    let url = fake.start().await;
    let backend = ComfyUiBackend::new(config(vec![url])).unwrap();
    backend.check().await.unwrap();
    assert_eq!(backend.progress(), None);
    let image = backend.generate(&request("pixel art, a fox sleeping in the snow")).await.unwrap();
    assert_eq!((image.width, image.height, image.rgb.len()), (768, 768, 768 * 768 * 3));
    assert_eq!(backend.progress(), None, "idle again after the job");

    let inner = fake.inner.lock().unwrap();
    let posted = &inner.prompts[0];
    assert!(posted["client_id"].as_str().is_some_and(|c| !c.is_empty()));
    let wf = &posted["prompt"];
    assert_eq!(wf["4"]["inputs"]["ckpt_name"], "sd_xl_base_1.0.safetensors");
    assert_eq!(wf["11"]["class_type"], "LoraLoader");
    assert_eq!(wf["11"]["inputs"]["lora_name"], "pixel-art-xl.safetensors");
    assert_eq!(wf["6"]["inputs"]["text"], "pixel art, a fox sleeping in the snow");
    assert_eq!(wf["7"]["inputs"]["text"], "blurry, photo");
    assert_eq!(wf["3"]["inputs"]["seed"], 1234567);
    assert_eq!(wf["3"]["inputs"]["steps"], 40);
    assert_eq!(wf["3"]["inputs"]["cfg"], 5.0);
    assert_eq!((wf["5"]["inputs"]["width"].as_u64(), wf["5"]["inputs"]["height"].as_u64()), (Some(768), Some(768)));
    // No COMFYUI_VAE: the fp16-fix VAE the server lists is used.
    assert_eq!(wf["10"]["inputs"]["vae_name"], "sdxl_vae_fp16_fix.safetensors");
    assert_eq!(wf["8"]["inputs"]["vae"], json!(["10", 0]));
    assert_eq!(inner.views.len(), 1);
}

#[tokio::test]
async fn progress_is_reported_while_painting() {
    let fake = Fake::new(Mode::Hang);
    let url = fake.start().await;
    let backend = Arc::new(ComfyUiBackend::new(config(vec![url])).unwrap());
    let job = tokio::spawn({
        let b = backend.clone();
        async move { b.generate(&request("pixel art, a cat")).await }
    });
    let mut seen = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if let Some(p) = backend.progress().filter(|p| *p > 0.0) {
            seen = Some(p);
            break;
        }
    }
    assert_eq!(seen, Some(1.0 / 40.0));
    backend.interrupt().await.unwrap();
    assert!(matches!(job.await.unwrap(), Err(GenerateError::Interrupted)));
}

#[tokio::test]
async fn an_execution_error_fails_the_job_with_comfyuis_words() {
    let fake = Fake::new(Mode::Fail);
    let url = fake.start().await;
    let backend = ComfyUiBackend::new(config(vec![url])).unwrap();
    let err = backend.generate(&request("pixel art, a castle")).await.unwrap_err();
    match err {
        GenerateError::Failed(m) => {
            assert!(m.contains("KSampler") && m.contains("OutOfMemoryError") && m.contains("out of memory"), "{m}")
        }
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[tokio::test]
async fn skip_interrupts_the_job_on_the_server() {
    let fake = Fake::new(Mode::Hang);
    let url = fake.start().await;
    let backend = Arc::new(ComfyUiBackend::new(config(vec![url])).unwrap());
    let job = tokio::spawn({
        let b = backend.clone();
        async move { b.generate(&request("pixel art, a boat")).await }
    });
    // Wait until the prompt is running on the server.
    wait_until(200, Duration::from_millis(10), || {
        !fake.inner.lock().unwrap().prompts.is_empty() && backend.progress().is_some_and(|p| p > 0.0)
    })
    .await;
    backend.interrupt().await.unwrap();
    let result = tokio::time::timeout(Duration::from_secs(5), job).await.expect("job ended").unwrap();
    assert!(matches!(result, Err(GenerateError::Interrupted)), "{result:?}");
    let inner = fake.inner.lock().unwrap();
    let pid = "7f0c8a4e-0000-4000-8000-000000000001";
    assert_eq!(inner.interrupts.len(), 1);
    assert_eq!(inner.interrupts[0]["prompt_id"], json!(pid));
    assert_eq!(inner.queue_posts[0], json!({"delete": [pid]}));
}

#[tokio::test]
async fn interrupt_with_nothing_running_sends_nothing() {
    let fake = Fake::new(Mode::Succeed);
    let url = fake.start().await;
    let backend = ComfyUiBackend::new(config(vec![url])).unwrap();
    backend.interrupt().await.unwrap();
    assert!(fake.inner.lock().unwrap().interrupts.is_empty());
}

#[tokio::test]
async fn check_names_the_missing_lora() {
    let fake = Fake::new(Mode::Succeed);
    fake.inner.lock().unwrap().loras = vec!["some-other-style.safetensors"];
    let url = fake.start().await;
    let backend = ComfyUiBackend::new(config(vec![url])).unwrap();
    let err = backend.check().await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, GenerateError::Misconfigured(_)), "{text}");
    assert!(text.contains("LoRA 'pixel-art-xl.safetensors' is not installed"), "{text}");
    assert!(text.contains("models/loras") && text.contains("some-other-style.safetensors"), "{text}");
    // The server would refuse the job the same way; its node_errors reach the streamer.
    let err = backend.generate(&request("pixel art, a fox")).await.unwrap_err().to_string();
    assert!(err.contains("LoraLoader (node 11)") && err.contains("pixel-art-xl.safetensors"), "{err}");
}

#[tokio::test]
async fn check_names_missing_nodes_checkpoints_and_vaes() {
    let fake = Fake::new(Mode::Succeed);
    {
        let mut inner = fake.inner.lock().unwrap();
        inner.nodes.retain(|n| *n != "LoraLoader");
        inner.checkpoints = vec!["v1-5-pruned-emaonly.safetensors"];
    }
    let url = fake.start().await;
    let mut cfg = config(vec![url]);
    cfg.vae = Some("my-vae.safetensors".to_owned());
    let text = ComfyUiBackend::new(cfg).unwrap().check().await.unwrap_err().to_string();
    assert!(text.contains("node LoraLoader is not installed"), "{text}");
    assert!(text.contains("checkpoint 'sd_xl_base_1.0.safetensors' is not installed"), "{text}");
    assert!(text.contains("VAE 'my-vae.safetensors' is not installed"), "{text}");
}

#[tokio::test]
async fn without_an_fp16_fix_vae_the_checkpoints_own_is_used() {
    let fake = Fake::new(Mode::Succeed);
    fake.inner.lock().unwrap().vaes = vec!["vae-ft-mse-840000-ema-pruned.safetensors"];
    let url = fake.start().await;
    let backend = ComfyUiBackend::new(config(vec![url])).unwrap();
    backend.generate(&request("pixel art, a tree")).await.unwrap();
    let wf = fake.inner.lock().unwrap().prompts[0]["prompt"].clone();
    assert!(wf.get("10").is_none());
    assert_eq!(wf["8"]["inputs"]["vae"], json!(["4", 2]));
}

#[tokio::test]
async fn a_dead_host_is_skipped_for_a_healthy_one() {
    let dead = format!("http://{}", dead_address().await);
    let fake = Fake::new(Mode::Succeed);
    let live = fake.start().await;
    let backend = ComfyUiBackend::new(config(vec![dead.clone(), live])).unwrap();
    // The start-up check passes on the healthy host and rests the dead one.
    backend.check().await.unwrap();
    for _ in 0..2 {
        backend.generate(&request("pixel art, a fox")).await.unwrap();
    }
    assert_eq!(fake.inner.lock().unwrap().prompts.len(), 2);
    // With only the dead host, the job fails as unreachable.
    let only_dead = ComfyUiBackend::new(config(vec![dead])).unwrap();
    assert!(matches!(only_dead.generate(&request("x")).await, Err(GenerateError::Unreachable(_))));
    assert!(matches!(only_dead.check().await, Err(GenerateError::Unreachable(_))));
}

#[tokio::test]
async fn an_exported_workflow_gets_its_placeholders_filled() {
    let fake = Fake::new(Mode::Succeed);
    let url = fake.start().await;
    let workflow = r#"{
      "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
      "11": {"class_type": "LoraLoader", "inputs": {"model": ["4", 0], "clip": ["4", 1], "lora_name": "{{lora}}",
             "strength_model": 1.1, "strength_clip": 1.1}},
      "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}, 8-bit", "clip": ["11", 1]}},
      "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{negative_prompt}}", "clip": ["11", 1]}},
      "5": {"class_type": "EmptyLatentImage", "inputs": {"width": {{width}}, "height": {{height}}, "batch_size": 1}},
      "3": {"class_type": "KSampler", "inputs": {"seed": {{seed}}, "steps": 8, "cfg": 1.5, "sampler_name": "euler",
             "scheduler": "normal", "denoise": 1.0, "model": ["11", 0], "positive": ["6", 0], "negative": ["7", 0],
             "latent_image": ["5", 0]}},
      "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
      "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "mine", "images": ["8", 0]}}
    }"#;
    let mut cfg = config(vec![url]);
    cfg.workflow_file = Some(workflow.to_owned());
    let backend = ComfyUiBackend::new(cfg).unwrap();
    backend.check().await.unwrap();
    backend.generate(&request("pixel art, a \"tiny\" fox")).await.unwrap();
    let wf = fake.inner.lock().unwrap().prompts[0]["prompt"].clone();
    assert_eq!(wf["6"]["inputs"]["text"], "pixel art, a \"tiny\" fox, 8-bit");
    assert_eq!(wf["3"]["inputs"]["seed"], 1234567);
    assert_eq!(wf["5"]["inputs"]["width"], 768);
    assert_eq!(wf["11"]["inputs"]["lora_name"], "pixel-art-xl.safetensors");
    assert_eq!(wf["3"]["inputs"]["steps"], 8);
}

#[tokio::test]
async fn each_job_sends_its_own_seed() {
    let fake = Fake::new(Mode::Succeed);
    let url = fake.start().await;
    let backend = ComfyUiBackend::new(config(vec![url])).unwrap();
    let mut r = request("pixel art, a fox");
    backend.generate(&r).await.unwrap();
    r.seed = 99;
    backend.generate(&r).await.unwrap();
    let inner = fake.inner.lock().unwrap();
    assert_eq!(inner.prompts[0]["prompt"]["3"]["inputs"]["seed"], 1234567);
    assert_eq!(inner.prompts[1]["prompt"]["3"]["inputs"]["seed"], 99);
}

#[tokio::test]
async fn a_server_that_dies_mid_job_hands_the_job_to_another_host() {
    let dying = Fake::new(Mode::Vanish);
    let first = dying.start().await;
    let healthy = Fake::new(Mode::Succeed);
    let second = healthy.start().await;
    let backend = ComfyUiBackend::new(config(vec![first, second])).unwrap();
    let image = backend.generate(&request("pixel art, a fox")).await.unwrap();
    assert_eq!(image.width, 768);
    assert_eq!(dying.inner.lock().unwrap().prompts.len(), 1);
    assert_eq!(healthy.inner.lock().unwrap().prompts.len(), 1);
    // The dead host rests: the next job goes straight to the healthy one.
    backend.generate(&request("pixel art, a cat")).await.unwrap();
    assert_eq!(dying.inner.lock().unwrap().prompts.len(), 1);
    assert_eq!(healthy.inner.lock().unwrap().prompts.len(), 2);
}

#[tokio::test]
async fn a_job_that_takes_too_long_fails_and_is_interrupted_on_the_server() {
    let fake = Fake::new(Mode::Hang);
    let url = fake.start().await;
    let mut cfg = config(vec![url]);
    cfg.timeout = Duration::from_millis(1500);
    let backend = ComfyUiBackend::new(cfg).unwrap();
    let err = backend.generate(&request("pixel art, a tree")).await.unwrap_err();
    assert!(matches!(&err, GenerateError::Failed(m) if m.contains("did not finish")), "{err}");
    wait_until(100, Duration::from_millis(20), || !fake.inner.lock().unwrap().interrupts.is_empty()).await;
    let inner = fake.inner.lock().unwrap();
    assert_eq!(inner.interrupts.first(), Some(&json!({"prompt_id": "7f0c8a4e-0000-4000-8000-000000000001"})));
}

#[tokio::test]
async fn a_non_png_result_is_refused() {
    // A /view that answers with JPEG bytes (a workflow saving previews as JPEG, a proxy's error page…).
    async fn jpeg_view() -> Response {
        ([("content-type", "image/jpeg")], vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]).into_response()
    }
    let fake = Fake::new(Mode::Succeed);
    let app = Router::new()
        .route("/ws", get(ws))
        .route("/prompt", post(prompt))
        .route("/object_info/{node}", get(object_info))
        .route("/history/{id}", get(history))
        .route("/view", get(jpeg_view))
        .with_state(fake.clone());
    let url = format!("http://{}", serve(app).await);
    let backend = ComfyUiBackend::new(config(vec![url])).unwrap();
    let err = backend.generate(&request("pixel art, a fox")).await.unwrap_err();
    assert!(matches!(&err, GenerateError::Failed(m) if m.contains("not a PNG")), "{err}");
}

#[tokio::test]
async fn a_job_abandoned_by_the_pipeline_is_interrupted_on_the_server() {
    // The service cancels by dropping the generate future (select! on a cancellation token).
    let fake = Fake::new(Mode::Hang);
    let url = fake.start().await;
    let backend = Arc::new(ComfyUiBackend::new(config(vec![url])).unwrap());
    let job = tokio::spawn({
        let b = backend.clone();
        async move { b.generate(&request("pixel art, a castle")).await }
    });
    wait_until(200, Duration::from_millis(10), || backend.progress().is_some_and(|p| p > 0.0)).await;
    job.abort();
    let _ = job.await;
    wait_until(100, Duration::from_millis(20), || !fake.inner.lock().unwrap().interrupts.is_empty()).await;
    assert_eq!(fake.inner.lock().unwrap().interrupts.len(), 1);
    assert_eq!(backend.progress(), None);
    // Nothing left for an explicit interrupt to do.
    backend.interrupt().await.unwrap();
    assert_eq!(fake.inner.lock().unwrap().interrupts.len(), 1);
}

#[tokio::test]
async fn jobs_go_to_the_least_busy_host() {
    let busy = Fake::new(Mode::Succeed);
    busy.inner.lock().unwrap().others_queued = 3;
    let first = busy.start().await;
    let idle = Fake::new(Mode::Succeed);
    let second = idle.start().await;
    let backend = ComfyUiBackend::new(config(vec![first, second])).unwrap();
    backend.generate(&request("pixel art, a fox")).await.unwrap();
    assert_eq!(busy.inner.lock().unwrap().prompts.len(), 0);
    assert_eq!(idle.inner.lock().unwrap().prompts.len(), 1);
    // Once the other host's queue drains, it gets work again (ties go to the first host).
    busy.inner.lock().unwrap().others_queued = 0;
    backend.generate(&request("pixel art, a cat")).await.unwrap();
    assert_eq!(busy.inner.lock().unwrap().prompts.len(), 1);
}
