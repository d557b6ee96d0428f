//! Scenario: a streamer taking StreamElements tips. Tips arrive over Astro and are drawn with their
//! own amount and currency; a tip held by StreamElements' tip moderation is drawn only once approved;
//! tips made while the service was down are fetched at start-up; nothing is drawn twice and history
//! from before the first start is not drawn. The real binary against the streamelements crate's fake
//! Astro WebSocket + REST server on loopback.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{fast_env, Service};
use serde_json::Value;
use streamelements::fake::FakeSe;

async fn wait_row(svc: &Service, tip: &str, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = svc.donations().await;
        if let Some(r) = rows.iter().find(|r| r["source"] == "streamelements" && r["source_id"] == tip) {
            if r["state"] == state {
                return r.clone();
            }
        }
        assert!(Instant::now() < deadline, "tip {tip} never became {state}: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_live(svc: &Service, fake: &FakeSe) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let health = svc.get("/health").await;
        if health["sources"]["streamelements"]["status"] == "live" && fake.subscribed_sessions() > 0 {
            assert_eq!(health["sources"]["streamelements"]["label"], "StreamElements");
            return;
        }
        assert!(Instant::now() < deadline, "StreamElements never went live: {health}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn journaled(rows: &[Value], tip: &str) -> bool {
    rows.iter().any(|r| r["source"] == "streamelements" && r["source_id"] == tip)
}

#[tokio::test(flavor = "multi_thread")]
async fn streamelements_tips_are_drawn_exactly_once_across_a_restart() {
    let fake = FakeSe::start().await;
    let history = fake.tip("Old", 3.0, "USD", "a tip from last week");
    let dir = tempfile::tempdir().unwrap();
    let se_env = fake.env();
    let token = se_env.iter().find(|(k, _)| k == "STREAMELEMENTS_TOKEN").unwrap().1.clone();
    let mut env = fast_env();
    env.retain(|(k, _)| *k != "DEMO");
    env.extend(se_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut svc = Service::start(dir.path(), &env).await;
    assert_eq!(svc.get("/health").await["demo"], false, "a configured StreamElements turns the demo off");
    wait_live(&svc, &fake).await;

    // Live tips: one delivered twice by the socket; one held by tip moderation until approved.
    let fox = fake.tip("Styler", 4.2, "USD", "a fox sleeping in the snow");
    fake.redeliver_last();
    let held = fake.tip_pending("Маша", 300.0, "RUB", "кот в космосе");
    let row = wait_row(&svc, &fox, "shown").await;
    assert_eq!((row["amount"].as_str(), row["currency"].as_str()), (Some("4.2"), Some("USD")));
    assert_eq!(row["donor"], "Styler");
    assert!(!journaled(&svc.donations().await, &held), "a tip awaiting approval is not drawn");
    fake.approve(&held);
    wait_row(&svc, &held, "shown").await;
    let rejected = fake.tip_pending("Troll", 1.0, "USD", "something rude");
    fake.reject(&rejected);

    // The socket drops; a tip made meanwhile is caught up over REST.
    fake.drop_socket();
    let lake = fake.tip("Ann", 10.0, "EUR", "a lake at dawn");
    wait_row(&svc, &lake, "shown").await;

    // Down for a while (SIGKILL): tips keep coming and are drawn after the restart, once.
    svc.kill();
    let missed = [fake.tip("Bob", 5.0, "USD", "a castle on a hill"), fake.tip("Cid", 7.5, "USD", "a boat at sea")];
    svc.restart().await;
    for tip in &missed {
        wait_row(&svc, tip, "shown").await;
    }
    wait_live(&svc, &fake).await;
    let after = fake.tip("Dan", 2.0, "USD", "a cabin under the northern lights");
    wait_row(&svc, &after, "shown").await;

    // A tip StreamElements sends with an amount nobody can read: kept and shown as failed, with why.
    let mut odd = fake.stored_tips().last().unwrap().clone();
    odd["_id"] = Value::Null;
    odd["createdAt"] = Value::Null;
    odd["donation"]["amount"] = Value::from("lots");
    let odd = fake.tip_raw(odd);
    let row = wait_row(&svc, &odd, "failed").await;
    assert!(row["reason"].as_str().is_some_and(|r| r.contains("amount")), "{row}");

    let rows = svc.donations().await;
    let mut count: HashMap<String, usize> = HashMap::new();
    for r in rows.iter().filter(|r| r["source"] == "streamelements") {
        *count.entry(r["source_id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    assert!(count.values().all(|&n| n == 1), "a tip journaled twice: {count:?}");
    let mut expected = vec![fox, held, lake, after, odd];
    expected.extend(missed);
    assert_eq!(count.len(), expected.len(), "only the expected tips: {count:?}");
    assert!(!count.contains_key(&history), "history from before the first start is not drawn");
    assert!(!count.contains_key(&rejected), "a rejected tip is never drawn");
    let log = std::fs::read_to_string(dir.path().join("service.log")).unwrap_or_default();
    assert!(!log.contains(&token), "the StreamElements token never appears in logs");
}

/// `draw-stream login streamelements --stdin`: the pasted JWT is checked with StreamElements, saved
/// owner-only in the data dir and never printed; a refused one is not saved; a service with only the
/// saved login (no STREAMELEMENTS_TOKEN) takes tips with it.
#[tokio::test(flavor = "multi_thread")]
async fn a_pasted_jwt_is_checked_saved_and_used() {
    use std::io::Write;
    let fake = FakeSe::start().await;
    let dir = tempfile::tempdir().unwrap();
    let se_env: Vec<(String, String)> = fake.env().into_iter().filter(|(k, _)| k != "STREAMELEMENTS_TOKEN").collect();
    let token = streamelements::fake::TOKEN;
    let login = |pasted: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_draw-stream"));
        cmd.args(["login", "streamelements", "--stdin", "--data-dir"])
            .arg(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (k, v) in &se_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        child.stdin.take().unwrap().write_all(pasted.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let file = dir.path().join(streamelements::TOKEN_FILE_NAME);

    let refused = login("eyJiYWQiOjF9.eyJiYWQiOjF9.YmFk\n");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("refused this token"), "{refused:?}");
    assert!(!file.exists(), "a refused token was saved");

    let ok = login(&format!("{token}\n"));
    let (out, err) = (String::from_utf8_lossy(&ok.stdout), String::from_utf8_lossy(&ok.stderr));
    assert!(ok.status.success(), "{out}{err}");
    assert!(out.contains("Logged in to StreamElements") && out.contains(streamelements::fake::CHANNEL), "{out}");
    assert!(!out.contains(token) && !err.contains(token), "the token was printed");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), token);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let mut env = fast_env();
    env.retain(|(k, _)| *k != "DEMO");
    env.extend(se_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let svc = Service::start(dir.path(), &env).await;
    assert_eq!(svc.get("/health").await["demo"], false, "a saved login turns the demo off");
    wait_live(&svc, &fake).await;
    let tip = fake.tip("Ann", 5.0, "USD", "a fox in the snow");
    wait_row(&svc, &tip, "shown").await;
    let log = std::fs::read_to_string(dir.path().join("service.log")).unwrap_or_default();
    assert!(!log.contains(token), "the token is in the service log");
}
