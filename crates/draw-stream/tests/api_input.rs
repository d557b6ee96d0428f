//! Scenario: someone sends garbage to the control API; each gets a clear JSON 4xx and nothing is journaled.

mod common;

use common::{fast_env, Service};
use serde_json::Value;

/// (name, token, content type, body, expected status, text the error must contain)
type Case<'a> = (&'a str, Option<&'a str>, &'a str, Vec<u8>, u16, &'a str);

async fn raw_post(svc: &Service, token: Option<&str>, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let mut req = svc.http.post(svc.url("/commands/donate")).header("content-type", content_type).body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let json: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("status {status}: body is not JSON: {text:?}"));
    (status, json)
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_a_json_4xx_naming_the_problem_and_the_journal_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &fast_env()).await;
    let token = svc.token.clone();
    let json = "application/json";
    let ten_mb = format!(r#"{{"amount": 5, "message": "{}"}}"#, "a".repeat(10 * 1024 * 1024));
    let long = format!(r#"{{"amount": 5, "message": "{}"}}"#, "б".repeat(2001));
    let cases: Vec<Case> = vec![
        ("malformed JSON", Some(&token), json, b"{\"amount\": 5, \"message\": ".to_vec(), 422, "invalid donation"),
        (
            "negative amount",
            Some(&token),
            json,
            br#"{"amount": -5, "message": "a cat"}"#.to_vec(),
            422,
            "amount: must be greater than 0",
        ),
        ("zero amount", Some(&token), json, br#"{"amount": "0", "message": "a cat"}"#.to_vec(), 422, "amount"),
        (
            "amount not a number",
            Some(&token),
            json,
            br#"{"amount": "lots", "message": "a cat"}"#.to_vec(),
            422,
            "amount",
        ),
        ("10 MB message", Some(&token), json, ten_mb.into_bytes(), 413, "larger than"),
        ("2001-char message", Some(&token), json, long.into_bytes(), 422, "at most 2000"),
        (
            "empty message",
            Some(&token),
            json,
            br#"{"amount": 5, "message": "   "}"#.to_vec(),
            422,
            "message: must not be empty",
        ),
        ("invalid UTF-8", Some(&token), json, b"{\"amount\": 5, \"message\": \"\xff\xfe\"}".to_vec(), 400, "UTF-8"),
        (
            "unknown field",
            Some(&token),
            json,
            br#"{"amount": 5, "message": "a cat", "colour": "red"}"#.to_vec(),
            422,
            "unknown field `colour`",
        ),
        ("missing message", Some(&token), json, br#"{"amount": 5}"#.to_vec(), 422, "missing field `message`"),
        (
            "bad currency",
            Some(&token),
            json,
            br#"{"amount": 5, "message": "a cat", "currency": "US$"}"#.to_vec(),
            422,
            "currency",
        ),
        (
            "120+ char donor",
            Some(&token),
            json,
            format!(r#"{{"amount": 5, "message": "a cat", "donor": "{}"}}"#, "x".repeat(121)).into_bytes(),
            422,
            "donor",
        ),
        (
            "not JSON content type",
            Some(&token),
            "text/plain",
            br#"{"amount": 5, "message": "a cat"}"#.to_vec(),
            415,
            "Content-Type",
        ),
        ("missing token", None, json, br#"{"amount": 5, "message": "a cat"}"#.to_vec(), 401, "Authorization"),
        (
            "wrong token",
            Some("not-the-token"),
            json,
            br#"{"amount": 5, "message": "a cat"}"#.to_vec(),
            403,
            "wrong API token",
        ),
    ];
    for (name, tok, ct, body, want, needle) in cases {
        let (status, v) = raw_post(&svc, tok, ct, body).await;
        assert_eq!(status, want, "{name}: {v}");
        let err = v["error"].as_str().unwrap_or_else(|| panic!("{name}: no error field in {v}"));
        assert!(err.contains(needle), "{name}: error {err:?} should mention {needle:?}");
    }
    assert!(svc.donations().await.is_empty(), "bad input must never reach the journal");

    // Every data route needs the token; /health does not.
    for path in ["/queue", "/donations", "/metrics"] {
        let r = svc.http.get(svc.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path}");
    }
    let r = svc.http.post(svc.url("/control/shutdown")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401, "shutdown must need the token");
    assert!(svc.http.get(svc.url("/health")).send().await.unwrap().status().is_success());

    // Unknown ids and states are named.
    let (status, v) = svc.post("/donations/999/approve", None).await;
    assert_eq!(status, 404, "{v}");
    let r = svc.http.get(svc.url("/donations?state=lost")).bearer_auth(&svc.token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.unwrap().contains("not one of"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_token_is_created_private_before_health_answers() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &fast_env()).await;
    let meta = std::fs::metadata(dir.path().join("api-token")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    assert!(svc.token.len() >= 32);
    let log = std::fs::read_to_string(dir.path().join("service.log")).unwrap_or_default();
    assert!(!log.contains(&svc.token), "the token must never be logged");
}
