//! The AUTOMATIC1111 / Forge backend against a fake web UI (`--api`): txt2img with a base64 PNG,
//! progress, interrupt (which, as in A1111, still returns the unfinished image), loras, samplers.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use generation::{A1111Backend, A1111Config, GenerateError, ImageBackend};
use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::fake::{png, request, serve, wait_until};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Paints for a while (long enough for a progress poll), then answers.
    Succeed,
    /// Paints until interrupted, then answers 200 with the unfinished image, as A1111 does.
    Hang,
    /// Fails with a 500 like a CUDA OOM.
    Oom,
}

#[derive(Clone)]
struct Fake {
    mode: Mode,
    loras: Vec<&'static str>,
    payloads: Arc<Mutex<Vec<Value>>>,
    interrupts: Arc<Mutex<u32>>,
    progress_polls: Arc<Mutex<u32>>,
    interrupted: Arc<Notify>,
}

async fn txt2img(State(f): State<Fake>, Json(body): Json<Value>) -> Response {
    f.payloads.lock().unwrap().push(body.clone());
    let image = base64::engine::general_purpose::STANDARD.encode(png(768, 5));
    match f.mode {
        Mode::Succeed => tokio::time::sleep(Duration::from_millis(2200)).await,
        Mode::Hang => f.interrupted.notified().await,
        Mode::Oom => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": "OutOfMemoryError", "detail": "", "body": "",
                    "errors": "CUDA out of memory. Tried to allocate 2.00 GiB"})),
            )
                .into_response()
        }
    }
    Json(json!({"images": [image], "parameters": body, "info": "{\"seed\": 1234567}"})).into_response()
}

async fn progress(State(f): State<Fake>) -> Json<Value> {
    *f.progress_polls.lock().unwrap() += 1;
    Json(json!({"progress": 0.45, "eta_relative": 3.1, "state": {"skipped": false, "interrupted": false,
        "job": "", "job_count": 1, "job_timestamp": "20261125020000", "job_no": 0, "sampling_step": 18,
        "sampling_steps": 40}, "current_image": null, "textinfo": null}))
}

async fn interrupt(State(f): State<Fake>) -> Json<Value> {
    *f.interrupts.lock().unwrap() += 1;
    f.interrupted.notify_waiters();
    Json(json!({}))
}

async fn loras(State(f): State<Fake>) -> Json<Value> {
    Json(Value::Array(
        f.loras
            .iter()
            .map(|n| json!({"name": n, "alias": n, "path": format!("/sd/models/Lora/{n}.safetensors"), "metadata": {}}))
            .collect(),
    ))
}

async fn samplers() -> Json<Value> {
    Json(
        json!([{"name": "Euler", "aliases": ["k_euler"], "options": {}}, {"name": "Euler a", "aliases": ["k_euler_a"], "options": {}}]),
    )
}

async fn models() -> Json<Value> {
    Json(json!([{"title": "sd_xl_base_1.0.safetensors [31e35c80fc]", "model_name": "sd_xl_base_1.0",
        "hash": "31e35c80fc", "filename": "/sd/models/Stable-diffusion/sd_xl_base_1.0.safetensors", "config": null}]))
}

async fn start(mode: Mode, loras_listed: Vec<&'static str>) -> (A1111Backend, Fake) {
    let fake = Fake {
        mode,
        loras: loras_listed,
        payloads: Arc::default(),
        interrupts: Arc::default(),
        progress_polls: Arc::default(),
        interrupted: Arc::new(Notify::new()),
    };
    let app = Router::new()
        .route("/sdapi/v1/txt2img", post(txt2img))
        .route("/sdapi/v1/progress", get(progress))
        .route("/sdapi/v1/interrupt", post(interrupt))
        .route("/sdapi/v1/loras", get(loras))
        .route("/sdapi/v1/samplers", get(samplers))
        .route("/sdapi/v1/sd-models", get(models))
        .with_state(fake.clone());
    let addr = serve(app).await;
    let backend = A1111Backend::new(A1111Config {
        url: format!("http://{addr}"),
        timeout: Duration::from_secs(20),
        ..A1111Config::default()
    })
    .unwrap();
    (backend, fake)
}

#[tokio::test]
async fn a_job_sends_the_lora_in_the_prompt_and_decodes_the_png() {
    let (backend, fake) = start(Mode::Succeed, vec!["pixel-art-xl"]).await;
    backend.check().await.unwrap();
    let image = backend.generate(&request("pixel art, a fox in the snow")).await.unwrap();
    assert_eq!((image.width, image.height, image.rgb.len()), (768, 768, 768 * 768 * 3));
    let p = fake.payloads.lock().unwrap()[0].clone();
    assert_eq!(p["prompt"], "pixel art, a fox in the snow <lora:pixel-art-xl:1.2>");
    assert_eq!(p["negative_prompt"], "blurry, photo");
    assert_eq!(p["seed"], 1234567);
    assert_eq!(p["steps"], 40);
    assert_eq!(p["cfg_scale"], 5.0);
    assert_eq!(p["sampler_name"], "Euler");
    assert!(*fake.progress_polls.lock().unwrap() >= 1, "progress was polled while painting");
    assert_eq!(backend.progress(), None);
}

#[tokio::test]
async fn skip_interrupts_and_the_unfinished_image_is_discarded() {
    let (backend, fake) = start(Mode::Hang, vec!["pixel-art-xl"]).await;
    let backend = Arc::new(backend);
    let job = tokio::spawn({
        let b = backend.clone();
        async move { b.generate(&request("pixel art, a castle")).await }
    });
    wait_until(300, Duration::from_millis(30), || backend.progress() == Some(0.45)).await;
    assert_eq!(backend.progress(), Some(0.45), "progress from /sdapi/v1/progress");
    backend.interrupt().await.unwrap();
    let result = tokio::time::timeout(Duration::from_secs(5), job).await.unwrap().unwrap();
    assert!(matches!(result, Err(GenerateError::Interrupted)), "{result:?}");
    assert_eq!(*fake.interrupts.lock().unwrap(), 1);
}

#[tokio::test]
async fn check_names_the_missing_lora() {
    let (backend, _) = start(Mode::Succeed, vec!["add-detail-xl"]).await;
    let err = backend.check().await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, GenerateError::Misconfigured(_)));
    assert!(text.contains("LoRA 'pixel-art-xl' is not installed") && text.contains("add-detail-xl"), "{text}");
}

#[tokio::test]
async fn a_server_error_fails_the_job_with_its_reason() {
    let (backend, _) = start(Mode::Oom, vec!["pixel-art-xl"]).await;
    let err = backend.generate(&request("pixel art, a boat")).await.unwrap_err();
    assert!(matches!(&err, GenerateError::Failed(m) if m.contains("CUDA out of memory")), "{err}");
}

#[tokio::test]
async fn a_web_ui_without_api_is_explained() {
    // An empty router: every /sdapi path is 404, as when the web UI runs without --api.
    let addr = serve(Router::new()).await;
    let backend = A1111Backend::new(A1111Config { url: format!("http://{addr}"), ..A1111Config::default() }).unwrap();
    let text = backend.check().await.unwrap_err().to_string();
    assert!(text.contains("--api"), "{text}");
}

#[tokio::test]
async fn a_job_abandoned_by_the_pipeline_is_interrupted_on_the_server() {
    let (backend, fake) = start(Mode::Hang, vec!["pixel-art-xl"]).await;
    let backend = Arc::new(backend);
    let job = tokio::spawn({
        let b = backend.clone();
        async move { b.generate(&request("pixel art, a castle")).await }
    });
    wait_until(100, Duration::from_millis(20), || !fake.payloads.lock().unwrap().is_empty()).await;
    job.abort();
    let _ = job.await;
    wait_until(100, Duration::from_millis(20), || *fake.interrupts.lock().unwrap() > 0).await;
    assert_eq!(*fake.interrupts.lock().unwrap(), 1);
    assert_eq!(backend.progress(), None);
}
