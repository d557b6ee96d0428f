//! Scenario: a busy stream — many donations arrive at once, and each is drawn exactly once, in order.

mod common;

use std::time::{Duration, Instant};

use common::{fast_env, Service};

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_concurrent_donations_are_each_drawn_once_in_arrival_order() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &fast_env()).await;

    let posts = (0..200).map(|i| {
        let svc = &svc;
        async move { svc.donate(&format!("draw a castle number {i}")).await }
    });
    let mut ids = futures_util::future::join_all(posts).await;
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 200, "every post gets its own journal row");

    let deadline = Instant::now() + Duration::from_secs(240);
    let rows = loop {
        let rows = svc.donations().await;
        let shown = rows.iter().filter(|r| r["state"] == "shown").count();
        if shown == 200 {
            break rows;
        }
        let stuck: Vec<_> = rows.iter().filter(|r| r["state"] == "failed" || r["state"] == "refused").collect();
        assert!(stuck.is_empty(), "no donation should fail: {stuck:?}");
        assert!(Instant::now() < deadline, "only {shown}/200 shown in time");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    for r in &rows {
        assert_eq!(r["show_count"], 1, "drawn exactly once: {r}");
    }
    // Arrival order = journal id order; the screen must follow it.
    let mut by_shown: Vec<(String, i64)> =
        rows.iter().map(|r| (r["shown_at"].as_str().unwrap().to_owned(), r["id"].as_i64().unwrap())).collect();
    by_shown.sort();
    let order: Vec<i64> = by_shown.iter().map(|(_, id)| *id).collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted, "drawings appeared out of arrival order");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_donation_delivered_twice_is_journaled_once() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &fast_env()).await;
    let body = serde_json::json!({"amount": "3.50", "message": "a red kite", "id": "tip-42"});
    let (s1, a) = svc.post("/commands/donate", Some(body.clone())).await;
    let (s2, b) = svc.post("/commands/donate", Some(body)).await;
    assert_eq!((s1, s2), (202, 202));
    assert_eq!(a["id"], b["id"]);
    assert_eq!(b["duplicate"], true);
    let id = a["id"].as_i64().unwrap();
    let row = svc.wait_state(id, "shown", Duration::from_secs(60)).await;
    assert_eq!(row["amount"], "3.5");
    assert_eq!(svc.donations().await.len(), 1);
}
