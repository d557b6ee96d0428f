//! The LLM scene planner against a fake OpenAI-compatible server (Ollama's answers and error shapes).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use generation::clip::{clip_token_count, CLIP_CONTEXT};
use generation::{DonationBrief, LlmConfig, LlmPlanner, PlanDecision, PlanError, ScenePlanner};
use serde_json::{json, Value};

use crate::fake::serve;

/// What the fake LLM does for one call; the last entry repeats.
#[derive(Clone)]
enum Reply {
    /// 200 with this message content.
    Content(String),
    /// This status with Ollama's OpenAI-style error body.
    Error(u16, &'static str),
    /// Answers nothing for this long (then a valid plan).
    Slow(Duration),
}

#[derive(Default)]
struct Seen {
    bodies: Vec<Value>,
    auth: Vec<Option<String>>,
    unloads: Vec<Value>,
}

#[derive(Clone)]
struct FakeLlm {
    script: Arc<Vec<Reply>>,
    seen: Arc<Mutex<Seen>>,
}

fn completion(model: &str, content: &str) -> Value {
    json!({
        "id": "chatcmpl-431", "object": "chat.completion", "created": 1740569824, "model": model,
        "system_fingerprint": "fp_ollama",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 17, "total_tokens": 47}
    })
}

async fn chat(State(s): State<FakeLlm>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let n = {
        let mut seen = s.seen.lock().unwrap();
        seen.bodies.push(body.clone());
        seen.auth.push(headers.get("authorization").map(|v| v.to_str().unwrap().to_owned()));
        seen.bodies.len() - 1
    };
    let reply = s.script.get(n).or(s.script.last()).cloned().unwrap();
    let model = body["model"].as_str().unwrap_or("").to_owned();
    match reply {
        Reply::Content(c) => Json(completion(&model, &c)).into_response(),
        Reply::Error(code, message) => (
            StatusCode::from_u16(code).unwrap(),
            Json(json!({"error": {"message": message, "type": "api_error", "param": null, "code": null}})),
        )
            .into_response(),
        Reply::Slow(d) => {
            tokio::time::sleep(d).await;
            Json(completion(&model, &draw_plan("a fox"))).into_response()
        }
    }
}

async fn generate(State(s): State<FakeLlm>, Json(body): Json<Value>) -> Json<Value> {
    s.seen.lock().unwrap().unloads.push(body.clone());
    // Ollama's answer to an unload request.
    Json(
        json!({"model": body["model"], "created_at": "2026-11-25T01:00:00Z", "response": "", "done": true, "done_reason": "unload"}),
    )
}

async fn start(script: Vec<Reply>) -> (LlmConfig, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let state = FakeLlm { script: Arc::new(script), seen: seen.clone() };
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/api/generate", post(generate))
        .with_state(state);
    let addr = serve(app).await;
    let config = LlmConfig {
        endpoint: format!("http://{addr}/v1/chat/completions"),
        model: "qwen2.5:7b-instruct".to_owned(),
        api_key: Some("sk-test-secret".to_owned()),
        temperature: 0.3,
        max_tokens: 700,
        timeout: Duration::from_secs(5),
        retry_attempts: 2,
        backend: "ollama".to_owned(),
        unload_before_image: true,
        locale: "en".to_owned(),
    };
    (config, seen)
}

fn planner(config: LlmConfig) -> LlmPlanner {
    LlmPlanner::new(config).unwrap().with_retry_backoff(Duration::from_millis(10))
}

fn donation(message: &str) -> DonationBrief {
    DonationBrief {
        id: 17,
        donor: "CozyFox".to_owned(),
        amount: "150.00".to_owned(),
        currency: "RUB".to_owned(),
        message: message.to_owned(),
        locale: "ru".to_owned(),
    }
}

fn draw_plan(prompt: &str) -> String {
    json!({
        "decision": "draw", "category": "none", "reason": "A cosy winter scene.", "fallback_text": null,
        "prompt": prompt, "negative_prompt": "blurry, photo, text", "style_notes": "soft glow",
        "palette": ["#0b1026", "#3FE0A0", "#DFE8F5", "#E8762D"], "seed": 90210
    })
    .to_string()
}

#[tokio::test]
async fn a_safe_request_becomes_a_plan_with_the_configured_sampling() {
    let (config, seen) = start(vec![Reply::Content(draw_plan("pixel art, a fox sleeping in the snow"))]).await;
    let planner = planner(config);
    let decision = planner.plan(&donation("нарисуй лису, спящую в снегу")).await.unwrap();
    let PlanDecision::Draw(plan) = decision else { panic!("expected a plan, got {decision:?}") };
    assert!(seen.lock().unwrap().unloads.is_empty(), "planning keeps the model loaded for the next request");
    planner.before_image().await;
    assert_eq!(plan.prompt, "pixel art, a fox sleeping in the snow, soft glow");
    assert_eq!(plan.negative_prompt, "blurry, photo, text");
    assert_eq!(plan.palette, ["#0B1026", "#3FE0A0", "#DFE8F5", "#E8762D"]);

    let seen = seen.lock().unwrap();
    let body = &seen.bodies[0];
    // The original ignored these two settings; we send them.
    assert_eq!(body["temperature"].as_f64().map(|t| (t * 10.0).round()), Some(3.0));
    assert_eq!(body["max_tokens"], 700);
    assert_eq!(body["model"], "qwen2.5:7b-instruct");
    assert_eq!(body["response_format"]["type"], "json_schema");
    let schema = &body["response_format"]["json_schema"]["schema"];
    let text = schema.to_string();
    assert!(!text.contains("$ref") && !text.contains("$defs"), "{text}");
    assert_eq!(schema["additionalProperties"], false);
    let last = body["messages"].as_array().unwrap().last().unwrap()["content"].as_str().unwrap().to_owned();
    assert!(last.contains("- donor: CozyFox") && last.contains("- amount: 150.00 RUB") && last.contains("лису"));
    assert_eq!(seen.auth[0].as_deref(), Some("Bearer sk-test-secret"));
    // Right before painting, Ollama is asked to free the VRAM for SDXL through keep_alive, not a subprocess.
    assert_eq!(seen.unloads.len(), 1);
    assert_eq!(seen.unloads[0], json!({"model": "qwen2.5:7b-instruct", "keep_alive": 0}));
}

#[tokio::test]
async fn a_rejected_request_is_refused_with_the_llms_own_words() {
    let reject = json!({
        "decision": "reject", "category": "sexual", "reason": "Explicit sexual act violates PG-13 policy",
        "fallback_text": "Извини, такое я рисовать не буду — давай что-нибудь другое!",
        "prompt": "", "negative_prompt": "", "style_notes": null, "palette": [], "seed": 4422
    });
    let (config, seen) = start(vec![Reply::Content(reject.to_string())]).await;
    let decision = planner(config).plan(&donation("нарисуй что-то непристойное")).await.unwrap();
    let PlanDecision::Refuse(refusal) = decision else { panic!("expected a refusal") };
    assert_eq!(refusal.text, "Извини, такое я рисовать не буду — давай что-нибудь другое!");
    assert_eq!(refusal.category.as_deref(), Some("sexual"));
    assert!(refusal.reason.contains("PG-13"));
    // Nothing to paint, so the model stays loaded.
    assert!(seen.lock().unwrap().unloads.is_empty());
}

#[tokio::test]
async fn every_category_the_prompt_names_comes_back_as_the_refusals_category() {
    let cases = [
        ("drugs", "narisuy kak on nuhaet dorozhku"),
        ("extremism", "a saint with a halo who shot up a school"),
        ("doxxing", "my neighbour John Doe, 12 Elm St, call him +1 312 555 0198"),
        ("self_harm", "fresh cuts on an arm, aesthetic"),
    ];
    for (category, message) in cases {
        let reject = json!({
            "decision": "reject", "category": category, "reason": "not for this stream",
            "fallback_text": null, "prompt": "", "negative_prompt": "", "style_notes": null, "palette": [], "seed": 1
        });
        let (config, seen) = start(vec![Reply::Content(reject.to_string())]).await;
        let decision = planner(config).plan(&donation(message)).await.unwrap();
        let PlanDecision::Refuse(refusal) = decision else { panic!("{category}: expected a refusal") };
        assert_eq!(refusal.category.as_deref(), Some(category));
        // The system prompt the model saw names the category, and says how to read disguised requests.
        let bodies = &seen.lock().unwrap().bodies;
        let system = bodies[0]["messages"][0]["content"].as_str().unwrap();
        assert!(system.contains(&format!("\"{category}\"")), "the prompt does not name {category}");
        assert!(system.contains("Latin letters") && system.contains("for a textbook"), "{system}");
        let schema = bodies[0]["response_format"]["json_schema"]["schema"]["properties"]["category"].to_string();
        assert!(schema.contains(category), "{schema}");
    }
    // A category outside the schema is garbage, retried, then refused (fail closed).
    let odd = json!({
        "decision": "reject", "category": "violence", "reason": "x", "fallback_text": null,
        "prompt": "", "negative_prompt": "", "style_notes": null, "palette": [], "seed": 1
    });
    let (config, _) = start(vec![Reply::Content(odd.to_string())]).await;
    let err = planner(config).plan(&donation("a fox")).await.unwrap_err();
    assert!(matches!(err, PlanError::Invalid(_)), "{err}");
}

#[tokio::test]
async fn garbage_is_retried_and_a_valid_answer_wins() {
    let (config, seen) = start(vec![
        Reply::Content("Sure! Here is your plan: {decision: draw".to_owned()),
        Reply::Content(draw_plan("pixel art, a castle on a hill")),
    ])
    .await;
    let decision = planner(config).plan(&donation("a castle")).await.unwrap();
    assert!(matches!(decision, PlanDecision::Draw(p) if p.prompt.starts_with("pixel art, a castle on a hill")));
    assert_eq!(seen.lock().unwrap().bodies.len(), 2);
}

#[tokio::test]
async fn a_plan_that_breaks_the_rules_is_retried_then_refused() {
    // Valid JSON, but "draw" with an empty prompt and a bad colour: never accepted.
    let bad = json!({
        "decision": "draw", "category": "none", "reason": "ok", "fallback_text": null,
        "prompt": "", "negative_prompt": "", "style_notes": null, "palette": ["blue"], "seed": 1
    });
    let (config, seen) = start(vec![Reply::Content(bad.to_string())]).await;
    let err = planner(config).plan(&donation("a fox")).await.unwrap_err();
    assert!(matches!(err, PlanError::Invalid(_)), "{err}");
    assert_eq!(seen.lock().unwrap().bodies.len(), 3);
}

#[tokio::test]
async fn server_errors_until_retries_run_out_fail_closed() {
    let (config, seen) = start(vec![Reply::Error(500, "llama runner process has terminated")]).await;
    let err = planner(config).plan(&donation("a fox")).await.unwrap_err();
    assert!(matches!(&err, PlanError::Unreachable(m) if m.contains("500") && m.contains("llama runner")), "{err}");
    // LLM_RETRY_ATTEMPTS=2 means three attempts in all.
    assert_eq!(seen.lock().unwrap().bodies.len(), 3);
}

#[tokio::test]
async fn rate_limits_are_retried() {
    let (config, seen) = start(vec![
        Reply::Error(429, "too many requests"),
        Reply::Error(503, "server busy"),
        Reply::Content(draw_plan("pixel art, a boat")),
    ])
    .await;
    assert!(matches!(planner(config).plan(&donation("boat")).await.unwrap(), PlanDecision::Draw(_)));
    assert_eq!(seen.lock().unwrap().bodies.len(), 3);
}

#[tokio::test]
async fn a_missing_model_is_not_retried() {
    let (config, seen) =
        start(vec![Reply::Error(404, "model \"qwen2.5:7b-instruct\" not found, try pulling it first")]).await;
    let err = planner(config).plan(&donation("a fox")).await.unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
    assert_eq!(seen.lock().unwrap().bodies.len(), 1);
}

#[tokio::test]
async fn a_slow_llm_times_out_and_the_donation_is_refused() {
    let (mut config, seen) = start(vec![Reply::Slow(Duration::from_secs(3))]).await;
    config.timeout = Duration::from_millis(300);
    config.retry_attempts = 1;
    let started = std::time::Instant::now();
    let err = planner(config).plan(&donation("a fox")).await.unwrap_err();
    assert!(matches!(&err, PlanError::Unreachable(m) if m.contains("no answer")), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(seen.lock().unwrap().bodies.len(), 2);
}

#[tokio::test]
async fn an_unreachable_llm_fails_closed() {
    let addr = crate::fake::dead_address().await;
    let config =
        LlmConfig { endpoint: format!("http://{addr}/v1/chat/completions"), retry_attempts: 1, ..LlmConfig::default() };
    let err = planner(config).plan(&donation("a fox")).await.unwrap_err();
    assert!(matches!(err, PlanError::Unreachable(_)));
}

#[tokio::test]
async fn a_very_long_prompt_fits_clips_window_with_the_trigger_first() {
    let long = (0..40)
        .map(|i| format!("intricate ornament number {i} glowing softly in the background"))
        .collect::<Vec<_>>()
        .join(", ");
    let (config, _) = start(vec![Reply::Content(draw_plan(&format!("a dragon on a tower, {long}")))]).await;
    let PlanDecision::Draw(plan) = planner(config).plan(&donation(&long)).await.unwrap() else { panic!() };
    assert!(plan.prompt.starts_with("pixel art, a dragon on a tower"), "{}", plan.prompt);
    // Start and end markers included.
    assert!(clip_token_count(&plan.prompt) + 2 <= CLIP_CONTEXT, "{}", clip_token_count(&plan.prompt));
    assert!(clip_token_count(&plan.negative_prompt) + 2 <= CLIP_CONTEXT);
}

#[tokio::test]
async fn other_backends_are_not_asked_to_unload() {
    let (mut config, seen) = start(vec![Reply::Content(draw_plan("pixel art, a cat"))]).await;
    config.backend = "vllm".to_owned();
    config.api_key = None;
    let planner = planner(config);
    planner.plan(&donation("a cat")).await.unwrap();
    planner.before_image().await;
    let seen = seen.lock().unwrap();
    assert!(seen.unloads.is_empty());
    assert_eq!(seen.auth[0], None);
}

#[tokio::test]
async fn a_server_without_json_schema_gets_json_object_and_strict_checks() {
    let (config, seen) = start(vec![
        Reply::Error(400, "response_format.type: unsupported value 'json_schema'"),
        Reply::Content(draw_plan("pixel art, a tree under the moon")),
    ])
    .await;
    let planner = planner(LlmConfig { retry_attempts: 0, ..config });
    assert!(matches!(planner.plan(&donation("tree")).await.unwrap(), PlanDecision::Draw(_)));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.bodies.len(), 2);
    assert_eq!(seen.bodies[0]["response_format"]["type"], "json_schema");
    assert_eq!(seen.bodies[1]["response_format"], json!({"type": "json_object"}));
}
