//! Soak benchmark (not a test): thousands of donations through the real binary, with fast timings and
//! injected faults — an image server (A1111's API) that flaps, an LLM that times out or answers
//! garbage, and SIGKILL now and then. Prints a table: drawings per hour, RSS and open file descriptors
//! after warm-up and at the end of the last run, journal and gallery bytes per drawing, the show loop's
//! p50/p99 frame time, and how many donations were lost or drawn twice (both must be 0).
//!
//! Run: `cargo bench -p draw-stream --bench soak` (SOAK_DONATIONS=N, default 2000).

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Value};

/// Every FLAP_EVERY-th window of FLAP_LEN paintings, the image server answers 500 (as on a CUDA OOM).
const FLAP_EVERY: u64 = 6;
const FLAP_LEN: u64 = 8;

#[derive(Clone)]
struct Fakes {
    pngs: Arc<Vec<String>>,
    paintings: Arc<AtomicU64>,
    chats: Arc<AtomicU64>,
}

async fn txt2img(State(f): State<Fakes>, Json(_body): Json<Value>) -> Response {
    let n = f.paintings.fetch_add(1, Ordering::Relaxed);
    if (n / FLAP_LEN) % FLAP_EVERY == FLAP_EVERY - 1 {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": "OutOfMemoryError", "errors": "CUDA out of memory"})),
        )
            .into_response();
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    let image = f.pngs[(n as usize) % f.pngs.len()].clone();
    Json(json!({"images": [image], "parameters": {}, "info": "{\"seed\": 1}"})).into_response()
}

async fn a1111_json(path: axum::extract::OriginalUri) -> Json<Value> {
    Json(match path.path() {
        "/sdapi/v1/progress" => json!({"progress": 0.5, "state": {"job_count": 1}}),
        "/sdapi/v1/loras" => {
            json!([{"name": "pixel-art-xl", "alias": "pixel-art-xl", "path": "/l/pixel-art-xl.safetensors"}])
        }
        "/sdapi/v1/samplers" => {
            json!([{"name": "Euler", "aliases": [], "options": {}}, {"name": "Euler a", "aliases": [], "options": {}}, {"name": "DPM++ 2M", "aliases": [], "options": {}}])
        }
        "/sdapi/v1/sd-models" => json!([{"title": "sd_xl_base_1.0.safetensors", "model_name": "sd_xl_base_1.0"}]),
        _ => json!({}),
    })
}

/// The planner's LLM: a plan most of the time; one in 20 is garbage, one in 20 is too slow.
async fn chat(State(f): State<Fakes>, Json(_body): Json<Value>) -> Response {
    let n = f.chats.fetch_add(1, Ordering::Relaxed);
    let content = match n % 20 {
        7 => "I'd love to draw that! Here is my plan: a fox".to_owned(),
        13 => {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            "{}".to_owned()
        }
        _ => json!({"decision": "draw", "category": "none", "reason": "fine", "fallback_text": null,
            "prompt": format!("pixel art, scene {n}"), "negative_prompt": "blurry", "style_notes": null,
            "palette": [], "seed": n})
        .to_string(),
    };
    Json(json!({"id": "c", "object": "chat.completion", "created": 1, "model": "fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}))
    .into_response()
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn demo_pngs() -> Vec<String> {
    (0..6u64)
        .map(|seed| {
            let img = generation::demo::render_demo(seed, "pixel art, a castle", 768, 768);
            let buf = image::RgbImage::from_raw(img.width, img.height, img.rgb).unwrap();
            let mut out = std::io::Cursor::new(Vec::new());
            buf.write_to(&mut out, image::ImageFormat::Png).unwrap();
            base64::engine::general_purpose::STANDARD.encode(out.into_inner())
        })
        .collect()
}

struct Service {
    child: Child,
    port: u16,
    token: String,
    dir: std::path::PathBuf,
    env: Vec<(String, String)>,
}

impl Service {
    fn spawn(dir: &std::path::Path, env: &[(String, String)]) -> Child {
        let _ = std::fs::remove_file(dir.join("api-port"));
        Command::new(env!("CARGO_BIN_EXE_draw-stream"))
            .args(["run", "--headless", "--data-dir"])
            .arg(dir)
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    async fn start(dir: &std::path::Path, env: Vec<(String, String)>) -> Service {
        let child = Service::spawn(dir, &env);
        let mut s = Service { child, port: 0, token: String::new(), dir: dir.to_owned(), env };
        s.wait_up().await;
        s
    }

    async fn wait_up(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(p) = std::fs::read_to_string(self.dir.join("api-port")).ok().and_then(|t| t.trim().parse().ok())
            {
                self.port = p;
                if reqwest::get(format!("http://127.0.0.1:{p}/health")).await.is_ok_and(|r| r.status().is_success()) {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "service did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.token = std::fs::read_to_string(self.dir.join("api-token")).unwrap().trim().to_owned();
    }

    async fn sigkill_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = Service::spawn(&self.dir, &self.env);
        self.wait_up().await;
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn get(&self, http: &reqwest::Client, path: &str) -> Option<reqwest::Response> {
        http.get(self.url(path)).bearer_auth(&self.token).send().await.ok()
    }

    /// (RSS in KiB, open file descriptors) of the running process.
    fn rss_fds(&self) -> (u64, usize) {
        let pid = self.child.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let rss = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0);
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0);
        (rss, fds)
    }
}

/// `name{quantile="q"}` from a Prometheus text body.
fn quantile(metrics: &str, name: &str, q: &str) -> Option<f64> {
    let prefix = format!("{name}{{quantile=\"{q}\"}} ");
    metrics.lines().find_map(|l| l.strip_prefix(&prefix)?.trim().parse().ok())
}

fn dir_bytes(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path).map(|d| d.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum()).unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let total: usize = std::env::var("SOAK_DONATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let fakes = Fakes { pngs: Arc::new(demo_pngs()), paintings: Arc::default(), chats: Arc::default() };
    let a1111 = serve(
        Router::new()
            .route("/sdapi/v1/txt2img", post(txt2img))
            .route("/sdapi/v1/interrupt", post(a1111_json))
            .route("/sdapi/v1/progress", get(a1111_json))
            .route("/sdapi/v1/loras", get(a1111_json))
            .route("/sdapi/v1/samplers", get(a1111_json))
            .route("/sdapi/v1/sd-models", get(a1111_json))
            .with_state(fakes.clone()),
    )
    .await;
    let llm = serve(Router::new().route("/v1/chat/completions", post(chat)).with_state(fakes.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let env: Vec<(String, String)> = [
        ("DEMO", "0"),
        ("API_PORT", "0"),
        ("LLM_BACKEND", "ollama"),
        ("LLM_ENDPOINT", &format!("{llm}/v1/chat/completions")),
        ("LLM_TIMEOUT_SEC", "0.5"),
        ("LLM_RETRY_ATTEMPTS", "1"),
        ("IMAGE_BACKEND", "a1111"),
        ("A1111_URL", &a1111),
        ("IMAGE_CHECK", "off"),
        ("DRAW_DURATION_SEC", "0.05"),
        ("SHOW_DURATION_SEC", "0.01"),
        ("CARD_DURATION_SEC", "0.01"),
        ("FRAME_RATE", "60"),
        ("LOG_LEVEL", "warning"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut svc = Service::start(dir.path(), env).await;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();

    // SIGKILL at 15 %, 30 % and 45 %; the last run (from 50 %) is measured for RSS and FD growth.
    let kills: Vec<usize> = [15, 30, 45].iter().map(|p| total * p / 100).collect();
    let (warm_at, mut warm, mut frames) = (total * 60 / 100, None, Vec::new());
    let started = Instant::now();
    let (mut sent, mut next_kill) = (0usize, 0usize);
    let mut accepted = std::collections::BTreeSet::new();
    let mut last_sample = Instant::now();
    while sent < total || !queue_empty(&svc, &http).await {
        if kills.get(next_kill).is_some_and(|k| sent >= *k) {
            next_kill += 1;
            svc.sigkill_and_restart().await;
            eprintln!("[soak] SIGKILL and restart at {sent} donations");
        }
        let waiting = match svc.get(&http, "/queue").await {
            Some(r) => r.json::<Value>().await.map(|q| q["queue_size"].as_u64().unwrap_or(0)).unwrap_or(0),
            None => 0,
        };
        if sent < total && waiting < 12 {
            for _ in 0..4.min(total - sent) {
                let body = json!({"amount": 5, "message": format!("a lantern {sent}"), "donor": format!("viewer{}", sent % 37), "id": format!("soak-{sent}")});
                // A killed service cannot answer: the same idempotency key is sent again after restart.
                loop {
                    let r = http.post(svc.url("/commands/donate")).bearer_auth(&svc.token).json(&body).send().await;
                    if let Ok(r) = r {
                        if r.status().as_u16() == 202 {
                            accepted.insert(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
                            break;
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                sent += 1;
                if sent % 250 == 0 {
                    eprintln!("[soak] {sent}/{total} sent, {:.0} s", started.elapsed().as_secs_f64());
                }
            }
        }
        if warm.is_none() && sent >= warm_at {
            warm = Some(svc.rss_fds());
        }
        if sent >= warm_at && last_sample.elapsed() >= Duration::from_secs(10) {
            last_sample = Instant::now();
            if let Some(r) = svc.get(&http, "/metrics").await {
                let m = r.text().await.unwrap_or_default();
                let p = |q| quantile(&m, "drawstream_show_frame_seconds", q);
                if let (Some(p50), Some(p99)) = (p("0.5"), p("0.99")) {
                    frames.push((p50, p99));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let elapsed = started.elapsed();
    let end = svc.rss_fds();
    let warm = warm.unwrap_or(end);

    // Lost: accepted but not in a final state. Doubled: drawn to the end more than once.
    let rows: Value = svc.get(&http, "/donations?limit=100000").await.unwrap().json().await.unwrap();
    let rows = rows.as_array().unwrap();
    let state_of = |id: i64| rows.iter().find(|r| r["id"] == id).map(|r| r["state"].as_str().unwrap_or("").to_owned());
    let lost =
        accepted.iter().filter(|id| !matches!(state_of(**id).as_deref(), Some("shown" | "refused" | "failed"))).count();
    let doubled = rows.iter().filter(|r| r["show_count"].as_i64().unwrap_or(0) > 1).count();
    let count = |s: &str| rows.iter().filter(|r| r["state"] == s).count();
    let shown = count("shown");
    let _ = svc.child.kill();
    let _ = svc.child.wait();

    let db = dir.path().join("journal.db");
    let journal_bytes = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.path().join("journal.db-wal")).map(|m| m.len()).unwrap_or(0);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let raw: i64 =
        conn.query_row("SELECT COALESCE(SUM(LENGTH(image_png)), 0) FROM donations", [], |r| r.get(0)).unwrap();
    let journal_per = (journal_bytes as f64 - raw as f64) / rows.len().max(1) as f64 / 1024.0;
    let gallery_per = dir_bytes(&dir.path().join("gallery")) as f64 / shown.max(1) as f64 / 1024.0;
    let median = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let p50 = median(frames.iter().map(|f| f.0).collect());
    let p99_max = frames.iter().map(|f| f.1).fold(0.0, f64::max);

    println!("| soak ({} donations, {} SIGKILLs, release, 2 cores) | value |", total, kills.len());
    println!("|---|---|");
    println!("| wall time | {:.0} s |", elapsed.as_secs_f64());
    println!(
        "| drawings per hour (fast timings: 0.05 s drawing, 0.01 s hold) | {:.0} |",
        shown as f64 / elapsed.as_secs_f64() * 3600.0
    );
    println!(
        "| outcomes | {shown} shown, {} refused (LLM garbage/timeouts fail closed), {} failed (image server down) |",
        count("refused"),
        count("failed")
    );
    println!("| lost / drawn twice | {lost} / {doubled} |");
    println!(
        "| RSS after warm-up → end (last run) | {:.1} → {:.1} MiB ({:+.1} %) |",
        warm.0 as f64 / 1024.0,
        end.0 as f64 / 1024.0,
        (end.0 as f64 / warm.0.max(1) as f64 - 1.0) * 100.0
    );
    println!("| open file descriptors after warm-up → end | {} → {} |", warm.1, end.1);
    println!("| journal per donation, beyond the {} KiB of retained raw images | {journal_per:.1} KiB |", raw / 1024);
    println!("| gallery per shown drawing (PNG + GIF) | {gallery_per:.1} KiB |");
    println!(
        "| show loop frame time p50 / worst p99 (60 fps target 16.7 ms) | {:.1} / {:.1} ms |",
        p50 * 1e3,
        p99_max * 1e3
    );
    println!(
        "| fake servers | {} paintings asked ({} answered 500), {} LLM calls (1 in 10 garbage or too slow) |",
        fakes.paintings.load(Ordering::Relaxed),
        (0..fakes.paintings.load(Ordering::Relaxed)).filter(|n| (n / FLAP_LEN) % FLAP_EVERY == FLAP_EVERY - 1).count(),
        fakes.chats.load(Ordering::Relaxed)
    );
    assert_eq!((lost, doubled), (0, 0), "a donation was lost or drawn twice");
}

async fn queue_empty(svc: &Service, http: &reqwest::Client) -> bool {
    match svc.get(http, "/queue").await {
        Some(r) => r.json::<Value>().await.is_ok_and(|q| q["queue_size"] == 0 && q["active"].is_null()),
        None => false,
    }
}
