//! Scenario: a moderator and OBS use the pages in a real browser. Runs the browser tests in `e2e/`
//! (headless Chromium driven by playwright-core, against this build of the binary), so CI's single
//! `cargo test --workspace` runs them too.
//!
//! Needs `node`, Debian's `chromium` (`/usr/bin/chromium`, or `CHROMIUM=`) and `npm ci` in `e2e/`.
//! Missing any of them is a failure, not a skip: set `DRAWSTREAM_SKIP_BROWSER=1` to skip on purpose.
//! Screenshots go to `DRAWSTREAM_SCREENSHOT_DIR` if set, else under the target dir (run
//! `cd e2e && npm test` to refresh `docs/screenshots/`).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn the_panel_overlay_and_gallery_work_in_headless_chromium() {
    if std::env::var("DRAWSTREAM_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("DRAWSTREAM_SKIP_BROWSER=1: browser tests skipped");
        return;
    }
    let e2e = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        PathBuf::from(&chromium).exists(),
        "no Chromium at {chromium}: install it (`apt-get install -y chromium`) or set DRAWSTREAM_SKIP_BROWSER=1"
    );
    assert!(
        e2e.join("node_modules/playwright-core").is_dir(),
        "no e2e/node_modules: run `npm ci` in {} (or set DRAWSTREAM_SKIP_BROWSER=1)",
        e2e.display()
    );
    let shots = std::env::var("DRAWSTREAM_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots"));

    // A platform source for the panel to show: the fake StreamElements, alive while the browser runs.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let se = rt.block_on(streamelements::fake::FakeSe::start());
    let source_env: serde_json::Map<String, serde_json::Value> =
        se.env().into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();

    let mut child = Command::new("node")
        .arg("run.mjs")
        .env("E2E_SOURCE_ENV", serde_json::Value::Object(source_env).to_string())
        .current_dir(&e2e)
        .env("DRAWSTREAM_BIN", env!("CARGO_BIN_EXE_draw-stream"))
        .env("CHROMIUM", &chromium)
        .env("SCREENSHOT_DIR", &shots)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node (install Node.js 18+, or set DRAWSTREAM_SKIP_BROWSER=1): {e}"));
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser tests took more than 5 minutes");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(status.success(), "browser tests failed ({status}); their output is above");
    for name in ["overlay.png", "panel.png"] {
        assert!(shots.join(name).exists(), "screenshot {name} not written to {}", shots.display());
    }
}
