//! Scenario: nothing unsafe reaches the screen — blocked words refuse, rude words are masked
//! everywhere the text appears, and a configured LLM that is down refuses instead of drawing unchecked.

mod common;

use std::time::Duration;

use common::{fast_env, free_port, Service};

const T: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn blocked_requests_are_refused_with_a_card_and_profanity_is_masked_in_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &fast_env()).await;
    let blocked = svc.donate("draw porn please").await;
    let rude = svc.donate("draw a fucking awesome dragon").await;

    let refused = svc
        .wait_for(blocked, "refused with its card shown", T, |d| d["state"] == "refused" && d["card_pending"] == false)
        .await;
    assert_eq!(refused["category"], "sexual");
    assert_eq!(refused["card_text"], "I can't draw that one — let's keep the stream friendly!");
    let ru = svc.donate("нарисуй голую девушку").await;
    let ru = svc.wait_for(ru, "refused", T, |d| d["state"] == "refused").await;
    assert_eq!(ru["card_text"], "Это я рисовать не буду — давайте без такого!", "the card speaks the donor's language");
    assert!(refused["prompt"].is_null(), "a refused request never gets an image prompt");

    let shown = svc.wait_state(rude, "shown", T).await;
    let msg = shown["message"].as_str().unwrap();
    assert!(!msg.to_lowercase().contains("fucking"), "the API shows the masked text: {msg}");
    assert!(msg.contains("awesome dragon"), "the rest stays readable: {msg}");
    let prompt = shown["prompt"].as_str().unwrap();
    assert!(!prompt.to_lowercase().contains("fucking"), "the planner gets the masked text: {prompt}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_configured_llm_that_is_down_refuses_the_request_fail_closed() {
    let dir = tempfile::tempdir().unwrap();
    let dead = format!("http://127.0.0.1:{}/v1/chat/completions", free_port());
    let mut env = fast_env();
    env.retain(|(k, _)| *k != "LLM_BACKEND");
    let env_owned: Vec<(&str, String)> = vec![
        ("LLM_BACKEND", "ollama".into()),
        ("LLM_ENDPOINT", dead),
        ("LLM_RETRY_ATTEMPTS", "1".into()),
        ("LLM_TIMEOUT_SEC", "1".into()),
    ];
    let mut all: Vec<(&str, &str)> = env.clone();
    all.extend(env_owned.iter().map(|(k, v)| (*k, v.as_str())));
    let svc = Service::start(dir.path(), &all).await;
    assert_eq!(svc.get("/health").await["planner"], "llm");
    let id = svc.donate("a cat in a hat").await;
    let d = svc.wait_for(id, "refused", T, |d| d["state"] == "refused").await;
    assert!(d["reason"].as_str().unwrap().starts_with("planner failed"), "{d}");
    assert!(d["card_text"].as_str().unwrap().contains("can't check"), "{d}");
    assert!(d["prompt"].is_null(), "nothing was drawn unchecked");
}

/// Writes a rules file so that the service sees a new version (a later mtime, even on coarse clocks).
fn write_rules(path: &std::path::Path, text: &str) {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    std::fs::write(path, text).unwrap();
    let later = Duration::from_secs(WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::SystemTime::now() + later).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_streamers_rules_hold_and_block_and_a_changed_file_applies_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("my-rules.txt");
    write_rules(&rules, "# my stream\nhold ^clown~\nhold ^клоун~\nblock:hate ^rival~\n");
    let rules_env = rules.to_str().unwrap().to_owned();
    let mut env = fast_env();
    env.push(("MODERATION_RULES", &rules_env));
    let svc = Service::start(dir.path(), &env).await;
    let health = svc.get("/health").await;
    assert_eq!(health["moderation_rules"]["rules"], 3, "{health}");
    assert!(health["moderation_rules"]["problem"].is_null(), "{health}");

    let clown = svc.donate("draw a CL0WN juggling").await;
    let rival = svc.donate("draw my r i v a l as a potato").await;
    let cat = svc.donate("draw a cat").await;
    let held = svc.wait_state(clown, "held", T).await;
    assert_eq!(held["verdict"], "hold");
    assert!(held["reason"].as_str().unwrap().contains("^clown~"), "the reason names the rule: {held}");
    let refused = svc.wait_state(rival, "refused", T).await;
    assert_eq!(refused["category"], "hate");
    assert!(refused["reason"].as_str().unwrap().contains("^rival~"), "{refused}");
    svc.wait_state(cat, "shown", T).await;
    assert_eq!(svc.donation(clown).await["state"], "held", "a held request waits for a moderator");
    assert_eq!(svc.post(&format!("/donations/{clown}/approve"), None).await.0, 202);
    svc.wait_state(clown, "shown", T).await;

    // A moderator's "no" is a card in the donor's language.
    let ru = svc.donate("нарисуй грустного клоуна").await;
    svc.wait_state(ru, "held", T).await;
    assert_eq!(svc.post(&format!("/donations/{ru}/deny"), None).await.0, 202);
    let denied = svc.wait_for(ru, "refused with its card shown", T, |d| d["card_pending"] == false).await;
    assert_eq!(denied["state"], "refused");
    assert_eq!(denied["card_text"], "Это я рисовать не буду — давайте без такого!");

    // Edit the file during the stream: the new rule applies to the next donation.
    write_rules(&rules, "hold ^clown~\nblock:hate ^rival~\nhold ^mime~\nallow ^clownfish$\n");
    wait_for_health(&svc, "the new rules", |h| {
        h["moderation_rules"]["rules"] == 4 && h["moderation_rules"]["problem"].is_null()
    })
    .await;
    let mime = svc.donate("a mime in Paris").await;
    svc.wait_state(mime, "held", T).await;
    let ru = svc.donate("нарисуй клоуна").await;
    svc.wait_state(ru, "shown", T).await;

    // A typo keeps the rules in force, and /health says what is wrong and where.
    write_rules(&rules, "hold ^clown~\nblok ^mime~\n");
    let h = wait_for_health(&svc, "the problem", |h| !h["moderation_rules"]["problem"].is_null()).await;
    let problem = h["moderation_rules"]["problem"].as_str().unwrap();
    assert!(problem.contains("my-rules.txt: line 2") && problem.contains("\"blok\""), "{problem}");
    let mime = svc.donate("another mime").await;
    svc.wait_state(mime, "held", T).await;
}

async fn wait_for_health(svc: &Service, what: &str, pred: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let deadline = std::time::Instant::now() + T;
    loop {
        let h = svc.get("/health").await;
        if pred(&h) {
            return h;
        }
        assert!(std::time::Instant::now() < deadline, "/health never showed {what}: {h}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs the binary in `dir` with a clean environment plus `env`, feeding `stdin`.
fn run_cli(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_draw-stream"));
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // A command that refuses its arguments exits before reading stdin: the pipe may then be closed.
    match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
    child.wait_with_output().unwrap()
}

#[test]
fn the_moderate_command_applies_a_rules_file_and_a_broken_one_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.txt"), "hold ^clown~\nprofanity ^heck$\n").unwrap();
    let out = run_cli(dir.path(), &["moderate", "--rules", "rules.txt"], &[], "draw a clown\noh heck\ndraw a cat\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["verdict"], "hold");
    assert_eq!(lines[0]["rule"], "^clown~");
    assert_eq!((&lines[1]["verdict"], &lines[1]["masked"]), (&"profanity".into(), &"oh h***".into()));
    assert_eq!(lines[2]["verdict"], "allow");
    assert!(lines[2].get("rule").is_none(), "no rule key when no rule decided: {}", lines[2]);

    // MODERATION_RULES from the environment is the default; a broken file is a usage error (exit 2)
    // naming the file and line, for `moderate`, `config check` and `run` alike.
    std::fs::write(dir.path().join("bad.txt"), "hold ^clown~\nblock:violence ^axe~\n").unwrap();
    let env = [("MODERATION_RULES", "bad.txt"), ("DEMO", "0"), ("API_PORT", "1")];
    for args in [&["moderate"][..], &["config", "check"], &["run", "--headless"]] {
        let out = run_cli(dir.path(), args, &env, "draw a cat\n");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("bad.txt: line 2") && err.contains("unknown category \"violence\""), "{args:?}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_saved_through_the_api_are_checked_apply_at_once_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut svc = Service::start(dir.path(), &fast_env()).await;
    let rules = svc.get("/moderation/rules").await;
    assert_eq!((rules["text"].as_str(), rules["rules"].as_u64()), (Some(""), Some(0)), "{rules}");
    let file = dir.path().join("moderation-rules.txt");
    assert_eq!(rules["file"], file.to_str().unwrap(), "the default file lives in the data dir");

    let put = |text: &str| {
        let req = svc
            .http
            .put(svc.url("/moderation/rules"))
            .bearer_auth(&svc.token)
            .json(&serde_json::json!({ "text": text }));
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, body) = put("hold ^clown~\nblock:gore ^chainsaw~ ^massacre\n").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = put("hold ^clown~\nblock:goar ^chainsaw~\n").await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("line 2: unknown category \"goar\""), "{body}");
    assert_eq!(svc.get("/moderation/rules").await["rules"], 2, "a refused edit changes nothing");

    let (status, check) =
        svc.post("/moderation/check", Some(serde_json::json!({ "text": "a CHAINSAW massacre" }))).await;
    assert_eq!((status, &check["verdict"], &check["category"]), (200, &"block".into(), &"gore".into()), "{check}");
    let id = svc.donate("draw a clown").await;
    let held = svc.wait_state(id, "held", T).await;
    assert!(held["reason"].as_str().unwrap().contains("^clown~"), "{held}");

    // The rules are a file in the data dir: they are still in force after a restart.
    svc.kill();
    svc.restart().await;
    assert_eq!(svc.get("/moderation/rules").await["rules"], 2);
    let id = svc.donate("another clown").await;
    svc.wait_state(id, "held", T).await;
    assert!(std::fs::read_to_string(&file).unwrap().starts_with("hold ^clown~"));
}
