//! Drives the real `draw-stream` binary over loopback, headless, with fast timings.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A running service and a client for its API.
pub struct Service {
    pub child: Child,
    pub port: u16,
    pub data_dir: PathBuf,
    pub token: String,
    pub http: reqwest::Client,
    env: Vec<(String, String)>,
}

/// A loopback port nobody listens on right now (for a server that must be down; the service itself
/// picks its own port with API_PORT=0, so nothing can take it between here and there).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Environment of a fast, quiet, headless test service without the demo feed.
pub fn fast_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("DEMO", "0"),
        ("LLM_BACKEND", "offline"),
        ("IMAGE_BACKEND", "demo"),
        ("DRAW_DURATION_SEC", "0.05"),
        ("SHOW_DURATION_SEC", "0.01"),
        ("CARD_DURATION_SEC", "0.01"),
        ("FRAME_RATE", "200"),
        ("LOG_LEVEL", "warning"),
    ]
}

/// [`fast_env`] with some variables replaced or added.
pub fn env_with(overrides: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut env = fast_env();
    env.retain(|(k, _)| !overrides.iter().any(|(o, _)| o == k));
    env.extend_from_slice(overrides);
    env
}

impl Service {
    /// Starts the binary with `env`; it picks a free port itself (API_PORT=0) and reports it in
    /// `<data dir>/api-port`. Waits for `/health`.
    pub async fn start(data_dir: &Path, env: &[(&str, &str)]) -> Service {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let child = spawn(data_dir, &env);
        let mut s = Service {
            child,
            port: 0,
            data_dir: data_dir.to_owned(),
            token: String::new(),
            http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap(),
            env,
        };
        s.wait_healthy().await;
        s.token = std::fs::read_to_string(data_dir.join("api-token")).unwrap().trim().to_owned();
        s
    }

    /// Kills the process with SIGKILL (no chance to clean up) and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the same service again (same data dir and environment; it may take another port).
    pub async fn restart(&mut self) {
        self.child = spawn(&self.data_dir, &self.env);
        self.wait_healthy().await;
    }

    async fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let port_file = self.data_dir.join("api-port");
        self.port = loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("service exited during start-up: {status}");
            }
            if let Some(port) = std::fs::read_to_string(&port_file).ok().and_then(|t| t.trim().parse().ok()) {
                break port;
            }
            assert!(Instant::now() < deadline, "service never reported its port in {}", port_file.display());
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("service exited during start-up: {status}");
            }
            if let Ok(r) = self.http.get(self.url("/health")).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "service did not become healthy");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub async fn get(&self, path: &str) -> Value {
        let r = self.http.get(self.url(path)).bearer_auth(&self.token).send().await.unwrap();
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.unwrap()
    }

    /// POST with the token; returns status and JSON body.
    pub async fn post(&self, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.post(self.url(path)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Posts a donation and returns its journal id.
    pub async fn donate(&self, message: &str) -> i64 {
        let (status, body) =
            self.post("/commands/donate", Some(json!({"amount": 5, "message": message, "donor": "Tester"}))).await;
        assert_eq!(status, 202, "{body}");
        body["id"].as_i64().unwrap()
    }

    pub async fn donations(&self) -> Vec<Value> {
        self.get("/donations?limit=10000").await.as_array().unwrap().clone()
    }

    pub async fn donation(&self, id: i64) -> Value {
        self.get(&format!("/donations/{id}")).await
    }

    /// Waits until `pred` holds for donation `id`.
    pub async fn wait_for(&self, id: i64, what: &str, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let d = self.donation(id).await;
            if pred(&d) {
                return d;
            }
            assert!(Instant::now() < deadline, "donation {id} never became {what}: {d}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn wait_state(&self, id: i64, state: &str, timeout: Duration) -> Value {
        self.wait_for(id, state, timeout, |d| d["state"] == state).await
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn(data_dir: &Path, env: &[(String, String)]) -> Child {
    // A stale file from an earlier run must not be mistaken for this run's port.
    let _ = std::fs::remove_file(data_dir.join("api-port"));
    let log = std::fs::OpenOptions::new().create(true).append(true).open(data_dir.join("service.log")).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_draw-stream"));
    cmd.args(["run", "--headless", "--data-dir"])
        .arg(data_dir)
        .current_dir(data_dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", data_dir)
        .env("API_PORT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn draw-stream")
}
