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
