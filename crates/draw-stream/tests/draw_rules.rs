//! Scenario: the streamer's drawing rules (DESIGN.md §5b) through the real binary — a minimum amount,
//! a priority tier, a trigger word, fairness between donors, and "draw now".

mod common;
#[path = "../../donationalerts/tests/fake_da/mod.rs"]
mod fake_da;

use std::time::{Duration, Instant};

use common::{env_with, Service};
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(60);

async fn give(svc: &Service, amount: &str, currency: &str, donor: &str, message: &str) -> i64 {
    let body = json!({"amount": amount, "currency": currency, "donor": donor, "message": message});
    let (status, v) = svc.post("/commands/donate", Some(body)).await;
    assert_eq!(status, 202, "{v}");
    v["id"].as_i64().unwrap()
}

/// The ids `/queue` lists as upcoming, in its order.
async fn queue_order(svc: &Service) -> Vec<i64> {
    let q = svc.get("/queue").await;
    q["donations"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect()
}

/// Waits until `/queue` lists exactly `ids` (it follows the show loop's snapshot, a tick behind).
async fn wait_queue(svc: &Service, ids: &[i64]) {
    let deadline = Instant::now() + T;
    loop {
        let order = queue_order(svc).await;
        if order == ids {
            return;
        }
        assert!(Instant::now() < deadline, "/queue never listed {ids:?}; it lists {order:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Resumes the show and returns `ids` in the order they were drawn (by `shown_at`).
async fn drawn_order(svc: &Service, ids: &[i64]) -> Vec<i64> {
    assert_eq!(svc.post("/queue/resume", None).await.0, 202);
    let mut shown = Vec::new();
    for &id in ids {
        let d = svc.wait_state(id, "shown", T).await;
        shown.push((d["shown_at"].as_str().unwrap().to_owned(), id));
    }
    shown.sort();
    shown.into_iter().map(|(_, id)| id).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn below_the_minimum_is_ignored_with_its_reason_no_card_and_draw_now_still_draws_it() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_with(&[("DRAW_MIN_AMOUNT", "10"), ("DISPLAY_CURRENCY", "RUB")]);
    let svc = Service::start(dir.path(), &env).await;
    let small = give(&svc, "5", "RUB", "Ann", "a tiny mouse").await;
    let euros = give(&svc, "50", "EUR", "Bob", "a French cat").await;
    let enough = give(&svc, "10", "RUB", "Cid", "a big bear").await;
    svc.wait_state(enough, "shown", T).await;

    let row = svc.donation(small).await;
    assert_eq!(row["state"], "ignored", "{row}");
    assert_eq!(row["reason"], "below minimum 10 RUB");
    assert_eq!((row["card_pending"].as_bool(), row["card_text"].is_null()), (Some(false), true), "no card: {row}");
    assert_eq!(row["show_count"], 0);
    assert!(row["prompt"].is_null(), "no GPU time: never planned");
    let euro_row = svc.donation(euros).await;
    assert_eq!(euro_row["state"], "ignored");
    let reason = euro_row["reason"].as_str().unwrap();
    assert!(reason.contains("50 EUR cannot be valued in RUB"), "{reason}");
    let listed = svc.get("/donations?state=ignored").await;
    assert_eq!(listed.as_array().unwrap().len(), 2, "the panel lists both with their reasons: {listed}");

    // The streamer decides to draw the euro one anyway.
    let (status, v) = svc.post(&format!("/donations/{euros}/draw-now"), None).await;
    assert_eq!(status, 202, "{v}");
    let drawn = svc.wait_state(euros, "shown", T).await;
    assert!(drawn["reason"].as_str().unwrap().starts_with("drawn now by the streamer"), "{drawn}");
    let (status, v) = svc.post(&format!("/donations/{enough}/draw-now"), None).await;
    assert_eq!(status, 409, "a shown drawing cannot be drawn now: {v}");
    assert!(v["error"].as_str().unwrap().contains("only waiting or ignored donations"), "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn priority_donations_go_first_in_arrival_order_also_after_a_restart_while_paused() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_with(&[("PRIORITY_MIN_AMOUNT", "100"), ("DISPLAY_CURRENCY", "USD")]);
    let mut svc = Service::start(dir.path(), &env).await;
    assert_eq!(svc.post("/queue/pause", None).await.0, 202);
    let small1 = give(&svc, "5", "USD", "Ann", "a small boat").await;
    let small2 = give(&svc, "5", "USD", "Bob", "a small tree").await;
    // The two small ones fill the look-ahead before the big ones arrive.
    svc.wait_state(small1, "ready", T).await;
    svc.wait_state(small2, "ready", T).await;
    let big1 = give(&svc, "150", "USD", "Cid", "a huge castle").await;
    let small3 = give(&svc, "5", "USD", "Dan", "a small house").await;
    let big2 = give(&svc, "100", "USD", "Eve", "a huge dragon").await;
    let expected = [big1, big2, small1, small2, small3];
    wait_queue(&svc, &expected).await;
    let row = svc.donation(big1).await;
    assert_eq!(row["priority"], true, "{row}");
    // Generation follows the same order: the big ones are painted although the look-ahead is full.
    svc.wait_state(big1, "ready", T).await;
    svc.wait_state(big2, "ready", T).await;
    assert_eq!(svc.donation(small3).await["state"], "planned", "the small one waits for a free slot");

    svc.kill();
    svc.restart().await;
    assert_eq!(svc.get("/health").await["paused"], true, "a pause outlives a restart");
    wait_queue(&svc, &expected).await;
    assert_eq!(drawn_order(&svc, &expected).await, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_trigger_word_decides_and_is_removed_from_the_prompt_and_can_be_switched_off() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &env_with(&[("DRAW_TRIGGER", "!draw")])).await;
    let with = give(&svc, "5", "USD", "Ann", "!DRAW a red fox").await;
    let without = give(&svc, "5", "USD", "Bob", "a blue whale").await;
    let row = svc.wait_state(with, "shown", T).await;
    let prompt = row["prompt"].as_str().unwrap();
    assert!(prompt.contains("a red fox") && !prompt.to_lowercase().contains("!draw"), "{prompt}");
    assert_eq!(row["message"], "!DRAW a red fox", "the screen shows the request as written");
    let row = svc.wait_state(without, "ignored", T).await;
    assert_eq!(row["reason"], "no trigger word \"!draw\"");

    // Off from the panel: the next request without it is drawn.
    let put = svc
        .http
        .put(svc.url("/queue/rules"))
        .bearer_auth(&svc.token)
        .json(&json!({"draw_trigger": "", "draw_min_amount": "0"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let again = give(&svc, "5", "USD", "Bob", "a blue whale").await;
    svc.wait_state(again, "shown", T).await;
    assert_eq!(svc.donation(without).await["state"], "ignored", "a decision already made stays");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_donor_with_many_donations_gets_one_drawing_per_round_unless_fairness_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut svc = Service::start(dir.path(), &env_with(&[])).await;
    assert_eq!(svc.post("/queue/pause", None).await.0, 202);
    let ann: Vec<i64> = [
        give(&svc, "5", "USD", "Ann", "a cat one").await,
        give(&svc, "5", "USD", "ann", "a cat two").await,
        give(&svc, "5", "USD", "ANN", "a cat three").await,
    ]
    .to_vec();
    let bob = give(&svc, "5", "USD", "Bob", "a dog").await;
    let cid = give(&svc, "5", "USD", "Cid", "a bird").await;
    let expected = [ann[0], bob, cid, ann[1], ann[2]];
    wait_queue(&svc, &expected).await;
    assert_eq!(drawn_order(&svc, &expected).await, expected);

    // Arrival order when the streamer turns fairness off (saved, and still in force after a restart).
    let put = svc
        .http
        .put(svc.url("/queue/rules"))
        .bearer_auth(&svc.token)
        .json(&json!({"draw_fairness": "arrival"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    svc.kill();
    svc.restart().await;
    assert_eq!(svc.get("/queue/rules").await["draw_fairness"], "arrival");
    assert_eq!(svc.post("/queue/pause", None).await.0, 202);
    let a1 = give(&svc, "5", "USD", "Ann", "a fish one").await;
    let a2 = give(&svc, "5", "USD", "Ann", "a fish two").await;
    let b1 = give(&svc, "5", "USD", "Bob", "a frog").await;
    wait_queue(&svc, &[a1, a2, b1]).await;
    assert_eq!(drawn_order(&svc, &[a1, a2, b1]).await, [a1, a2, b1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn draw_now_moves_a_waiting_donation_to_the_front() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &env_with(&[("PRIORITY_MIN_AMOUNT", "50")])).await;
    assert_eq!(svc.post("/queue/pause", None).await.0, 202);
    let big = give(&svc, "50", "USD", "Ann", "a gold crown").await;
    let first = give(&svc, "5", "USD", "Bob", "a green apple").await;
    let last = give(&svc, "5", "USD", "Cid", "a purple plum").await;
    wait_queue(&svc, &[big, first, last]).await;
    let (status, v) = svc.post(&format!("/donations/{last}/draw-now"), None).await;
    assert_eq!((status, v["status"].as_str()), (202, Some("moved to the front")), "{v}");
    wait_queue(&svc, &[last, big, first]).await;
    assert_eq!(svc.donation(last).await["draw_now"], true);
    assert_eq!(drawn_order(&svc, &[big, first, last]).await, [last, big, first]);
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_are_checked_before_they_are_saved_and_bad_configuration_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &env_with(&[("DRAW_MIN_AMOUNT", "10")])).await;
    let put = |body: Value| svc.http.put(svc.url("/queue/rules")).bearer_auth(&svc.token).json(&body).send();
    let r = put(json!({"draw_min_amount": "ten", "draw_fairness": "random"})).await.unwrap();
    assert_eq!(r.status(), 400);
    let err = r.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_owned();
    assert!(err.contains("DRAW_MIN_AMOUNT") && err.contains("DRAW_FAIRNESS"), "{err}");
    let r = put(json!({"draw_min_amount": 100, "priority_min_amount": 20})).await.unwrap();
    assert_eq!(r.status(), 400, "a priority tier below the minimum is refused");
    assert_eq!(svc.get("/queue/rules").await["draw_min_amount"], "10", "nothing changed");
    assert!(!dir.path().join("draw-rules.toml").exists());

    let r = put(json!({"draw_min_amount": 2.5, "priority_min_amount": "20", "draw_trigger": "нарисуй"})).await.unwrap();
    assert_eq!(r.status(), 200);
    let rules = svc.get("/queue/rules").await;
    assert_eq!((rules["draw_min_amount"].as_str(), rules["draw_trigger"].as_str()), (Some("2.5"), Some("нарисуй")));
    // Applied to the next donation, without a restart.
    let cheap = give(&svc, "2", "USD", "Ann", "нарисуй кота").await;
    assert_eq!(svc.wait_state(cheap, "ignored", T).await["reason"], "below minimum 2.5 USD");

    // `config check` names a bad key in the saved file and in the environment.
    std::fs::write(dir.path().join("draw-rules.toml"), "draw_min_amount = \"lots\"\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_draw-stream"))
        .args(["config", "check", "--data-dir"])
        .arg(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("DRAW_TRIGGER", "!!")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("DRAW_MIN_AMOUNT") && text.contains("draw-rules.toml") && text.contains("\"lots\""),
        "{text}"
    );
    assert!(text.contains("DRAW_TRIGGER") && text.contains("no letter or digit"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn donation_alerts_donations_are_valued_in_the_streamers_currency() {
    let da = fake_da::FakeDa::start(3).await;
    let (access, _refresh) = da.issue_tokens();
    let dir = tempfile::tempdir().unwrap();
    let da_env = da.service_env(&access);
    let mut env = env_with(&[("DISPLAY_CURRENCY", "RUB"), ("DRAW_MIN_AMOUNT", "100")]);
    env.retain(|(k, _)| *k != "DEMO");
    env.extend(da_env.iter().map(|(k, v)| (*k, v.as_str())));
    let svc = Service::start(dir.path(), &env).await;
    let deadline = Instant::now() + T;
    while da.subscribed_sockets() == 0 || svc.get("/health").await["intake"] != "Donation Alerts: live" {
        assert!(Instant::now() < deadline, "intake never went live: {}", svc.get("/health").await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The real WS donation object (fixture da_ws_publication.json), with DA's own valuation.
    let donation = |id: i64, amount: f64, currency: &str, in_rub: f64| {
        let mut d = fake_da::fixture("da_ws_publication.json")["result"]["data"]["data"].clone();
        d["id"] = json!(id);
        d["username"] = json!(format!("viewer{id}"));
        d["message"] = json!(format!("draw a lantern {id}"));
        d["amount"] = json!(amount);
        d["currency"] = json!(currency);
        d["amount_in_user_currency"] = json!(in_rub);
        d
    };
    let euros = da.donate_raw(donation(900_001, 2.0, "EUR", 210.37));
    let roubles = da.donate_raw(donation(900_002, 99.0, "RUB", 99.0));
    let find = |rows: &[Value], id: i64| {
        rows.iter().find(|r| r["source_id"].as_str() == Some(id.to_string().as_str())).cloned()
    };
    let deadline = Instant::now() + T;
    let (e, r) = loop {
        let rows = svc.donations().await;
        if let (Some(e), Some(r)) = (find(&rows, euros), find(&rows, roubles)) {
            if e["state"] == "shown" && r["state"] == "ignored" {
                break (e, r);
            }
        }
        assert!(Instant::now() < deadline, "DA donations not decided: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!((e["amount"].as_str(), e["currency"].as_str()), (Some("2"), Some("EUR")), "shown in its own currency");
    assert_eq!(e["amount_in_user_currency"], "210.37", "but worth 210.37 RUB to the streamer: {e}");
    assert_eq!(r["reason"], "below minimum 100 RUB");
}
