//! Scenario: a streamer on Twitch. Viewers redeem the "Draw" channel-points reward with their request
//! and cheer with a message; the service (the real binary) draws each exactly once — across a
//! `session_reconnect`, a dropped socket, a restart and Twitch's duplicate deliveries — marks drawn
//! redemptions FULFILLED and refunds refused ones (CANCELED). Against the twitch crate's fake
//! EventSub + Helix + OAuth server on loopback.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::{fast_env, Service};
use serde_json::Value;
use twitch::fake::FakeTwitch;

/// Waits until the journal row with this Twitch id reaches `state`; returns it.
async fn wait_row(svc: &Service, source_id: &str, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = svc.donations().await;
        if let Some(r) = rows.iter().find(|r| r["source"] == "twitch" && r["source_id"] == source_id) {
            if r["state"] == state {
                return r.clone();
            }
        }
        assert!(Instant::now() < deadline, "twitch {source_id} never became {state}: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_status(fake: &FakeTwitch, redemption: &str, status: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while fake.redemption_status(redemption).as_deref() != Some(status) {
        assert!(
            Instant::now() < deadline,
            "redemption {redemption} is {:?} on Twitch, expected {status}",
            fake.redemption_status(redemption)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_live(svc: &Service, fake: &FakeTwitch) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let health = svc.get("/health").await;
        if health["sources"]["twitch"]["status"] == "live" && fake.subscription_count() == 3 {
            assert_eq!(health["sources"]["twitch"]["label"], "Twitch");
            return;
        }
        assert!(Instant::now() < deadline, "Twitch never went live: {health}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn twitch_redemptions_and_cheers_are_drawn_once_and_settled() {
    let fake = FakeTwitch::start().await;
    let dir = tempfile::tempdir().unwrap();
    let twitch_env = fake.env();
    let token = twitch_env.iter().find(|(k, _)| k == "TWITCH_ACCESS_TOKEN").unwrap().1.clone();
    let mut env = fast_env();
    env.retain(|(k, _)| *k != "DEMO");
    env.extend(twitch_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut svc = Service::start(dir.path(), &env).await;
    assert_eq!(svc.get("/health").await["demo"], false, "a configured Twitch turns the demo off");
    wait_live(&svc, &fake).await;
    assert_eq!(fake.rewards().len(), 1, "the Draw reward was created: {:?}", fake.rewards());

    // Live: a redemption and a cheer, each delivered twice by Twitch; a cheer too small to draw.
    let fox = fake.redeem("Ann", "a fox sleeping in the snow");
    assert!(fake.redeliver_last(), "the same redemption notification again");
    let lighthouse = fake.cheer("Bob", 200, "Cheer100 a red lighthouse Cheer100").expect("subscribed");
    assert!(fake.redeliver_last(), "the same notification again");
    assert!(fake.cheer("Zed", 50, "a tiny cat").is_some());
    let row = wait_row(&svc, &fox, "shown").await;
    assert_eq!((row["donor"].as_str(), row["message"].as_str()), (Some("Ann"), Some("a fox sleeping in the snow")));
    let row = wait_row(&svc, &lighthouse, "shown").await;
    assert_eq!(row["message"], "a red lighthouse", "cheermotes are not part of the request");
    assert_eq!((row["amount"].as_str(), row["currency"].as_str()), (Some("200"), Some("BITS")));
    wait_status(&fake, &fox, "FULFILLED").await;

    // A request moderation refuses: the viewer gets their points back.
    let refused = fake.redeem("Eve", "draw a naked woman");
    wait_row(&svc, &refused, "refused").await;
    wait_status(&fake, &refused, "CANCELED").await;

    // A moderator refunds a waiting redemption from Twitch's reward queue: it is not drawn.
    svc.post("/queue/pause", None).await;
    let taken_back = fake.redeem("Mod", "a pirate ship");
    wait_row(&svc, &taken_back, "ready").await;
    assert!(fake.cancel_in_queue(&taken_back));
    let row = wait_row(&svc, &taken_back, "cleared").await;
    assert!(row["reason"].as_str().is_some_and(|r| r.contains("canceled on Twitch")), "{row}");
    svc.post("/queue/resume", None).await;

    // Twitch moves us to another server; a redemption and a cheer arrive during the move.
    fake.send_session_reconnect();
    let castle = fake.redeem("Cid", "a castle on a hill");
    // (The fake moves the subscriptions to the new session at its welcome: one of the two has them.)
    let moon = fake.cheer("Bob", 100, "the moon over a lake").expect("a session is subscribed during the move");
    wait_row(&svc, &castle, "shown").await;
    wait_row(&svc, &moon, "shown").await;
    wait_status(&fake, &castle, "FULFILLED").await;

    // The socket dies without a close frame; a redemption made meanwhile is fetched from Helix.
    fake.drop_socket();
    let boat = fake.redeem("Dan", "a little boat on a calm sea");
    wait_row(&svc, &boat, "shown").await;
    wait_status(&fake, &boat, "FULFILLED").await;
    wait_live(&svc, &fake).await;

    // Down for a while (SIGKILL): redemptions made meanwhile are drawn after the restart, once.
    svc.kill();
    let missed = [fake.redeem("Fay", "a cabin under the northern lights"), fake.redeem("Gus", "a cat in space")];
    svc.restart().await;
    for id in &missed {
        wait_row(&svc, id, "shown").await;
        wait_status(&fake, id, "FULFILLED").await;
    }
    assert_eq!(fake.rewards().len(), 1, "the reward is reused after a restart, not created again");

    // Exactly once: every Twitch id once in the journal, nothing else, the small cheer never.
    let rows = svc.donations().await;
    let mut count: HashMap<String, usize> = HashMap::new();
    for r in rows.iter().filter(|r| r["source"] == "twitch") {
        *count.entry(r["source_id"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    let mut expected = vec![fox, lighthouse, refused, taken_back.clone(), castle, moon, boat];
    expected.extend(missed);
    assert!(count.values().all(|&n| n == 1), "a Twitch event journaled twice: {count:?}");
    assert_eq!(count.len(), expected.len(), "only the expected events: {count:?}");
    for id in &expected {
        assert!(count.contains_key(id), "{id} missing from the journal");
    }
    let shows: Vec<Value> =
        svc.donations().await.into_iter().filter(|r| r["source_id"] == taken_back.as_str()).collect();
    assert_eq!(shows[0]["state"], "cleared", "the refunded redemption was never drawn");
    assert_eq!(fake.redemption_status(&taken_back).as_deref(), Some("CANCELED"));
    let log = std::fs::read_to_string(dir.path().join("service.log")).unwrap_or_default();
    assert!(!log.contains(&token), "the Twitch token never appears in logs");
}
