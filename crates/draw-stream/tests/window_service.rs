//! Scenario: the streamer runs the service on a desktop; it opens its window (here under Xvfb) and
//! draws the show into it at the frame rate. Needs a display: CI provides Xvfb and sets
//! DRAWSTREAM_REQUIRE_DISPLAY=1 so that a missing display fails instead of skipping.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn with_a_display_the_service_draws_the_show_in_its_window() {
    let display = std::env::var("DISPLAY").unwrap_or_default();
    if display.is_empty() {
        assert!(
            std::env::var("DRAWSTREAM_REQUIRE_DISPLAY").is_err(),
            "DRAWSTREAM_REQUIRE_DISPLAY is set but there is no DISPLAY"
        );
        eprintln!("skipped: no DISPLAY (run under Xvfb to test the window)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_draw-stream"))
        .args(["run", "--data-dir"])
        .arg(dir.path())
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("DISPLAY", &display)
        .env("API_PORT", "0")
        .env("DISPLAY_WIDTH", "1280")
        .env("DISPLAY_HEIGHT", "720")
        .env("FRAME_RATE", "30")
        .env("LOG_LEVEL", "warning")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = serde_json::Value::Null;
    let fps = loop {
        assert!(child.try_wait().unwrap().is_none(), "the service exited");
        // The service picks a free port (API_PORT=0) and writes it before the API answers.
        let port = std::fs::read_to_string(dir.path().join("api-port")).ok().and_then(|t| t.trim().parse::<u16>().ok());
        if let (Ok(token), Some(port)) = (std::fs::read_to_string(dir.path().join("api-token")), port) {
            if let Ok(r) = http.get(format!("http://127.0.0.1:{port}/queue")).bearer_auth(token.trim()).send().await {
                last = r.json().await.unwrap_or_default();
                let fps = last["window_fps"].as_f64().unwrap_or(0.0);
                if fps > 0.0 && last["active"].is_object() {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    let r = http
                        .get(format!("http://127.0.0.1:{port}/queue"))
                        .bearer_auth(token.trim())
                        .send()
                        .await
                        .unwrap();
                    let v: serde_json::Value = r.json().await.unwrap();
                    break v["window_fps"].as_f64().unwrap();
                }
            }
        }
        assert!(Instant::now() < deadline, "the window never drew the demo: {last}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!((15.0..=45.0).contains(&fps), "the window presents at about FRAME_RATE=30, got {fps:.1}");
}
