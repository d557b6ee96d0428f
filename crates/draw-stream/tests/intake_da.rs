//! Scenario: a streamer with Donation Alerts. Donations arrive on the socket and are drawn with their
//! own currency; donations made while the service was stopped are recovered at start, exactly once.

mod common;
#[path = "../../donationalerts/tests/fake_da/mod.rs"]
mod fake_da;

use std::time::{Duration, Instant};

use common::{fast_env, Service};
use fake_da::FakeDa;

#[tokio::test(flavor = "multi_thread")]
async fn donation_alerts_donations_are_drawn_and_nothing_made_while_stopped_is_lost() {
    let da = FakeDa::start(7).await;
    let history = da.history(3); // before the first start: never drawn
    let (access, _refresh) = da.issue_tokens();
    let dir = tempfile::tempdir().unwrap();
    let da_env = da.service_env(&access);
    let mut env = fast_env();
    env.retain(|(k, _)| *k != "DEMO");
    env.extend(da_env.iter().map(|(k, v)| (*k, v.as_str())));
    let mut svc = Service::start(dir.path(), &env).await;
    assert_eq!(svc.get("/health").await["demo"], false, "a configured source turns the demo off");

    let deadline = Instant::now() + Duration::from_secs(30);
    while da.subscribed_sockets() == 0 || svc.get("/health").await["intake"] != "Donation Alerts: live" {
        assert!(Instant::now() < deadline, "intake never went live: {}", svc.get("/health").await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let live: Vec<i64> = (0..3).map(|_| da.donate()).collect();
    let by_source_id = |rows: &[serde_json::Value], id: i64| {
        rows.iter().find(|r| r["source_id"].as_str() == Some(id.to_string().as_str())).cloned()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = svc.donations().await;
        if live.iter().all(|id| by_source_id(&rows, *id).is_some_and(|r| r["state"] == "shown")) {
            let first = by_source_id(&rows, live[0]).unwrap();
            assert_eq!(first["source"], "donationalerts");
            assert_eq!(first["amount"], "1.5", "DA's own amount");
            assert_eq!(first["currency"], "USD", "and its own currency");
            assert_eq!(by_source_id(&rows, live[1]).unwrap()["currency"], "RUB");
            for h in &history {
                assert!(by_source_id(&rows, *h).is_none(), "history from before the first start is not drawn");
            }
            break;
        }
        assert!(Instant::now() < deadline, "live donations not drawn: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Down for a while: donations keep coming.
    svc.kill();
    let missed: Vec<i64> = (0..4).map(|_| da.donate()).collect();
    svc.restart().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = svc.donations().await;
        let states: Vec<_> = missed.iter().map(|id| by_source_id(&rows, *id).map(|r| r["state"].clone())).collect();
        // The 7th fake donation is an audio message: it is refused (not a drawing request), not lost.
        if states.iter().all(|s| s.as_ref().is_some_and(|s| s == "shown" || s == "refused")) {
            let ids: Vec<i64> =
                rows.iter().filter(|r| r["source"] == "donationalerts").map(|r| r["id"].as_i64().unwrap()).collect();
            assert_eq!(ids.len(), live.len() + missed.len(), "each DA donation journaled exactly once");
            break;
        }
        assert!(Instant::now() < deadline, "missed donations not recovered: {states:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(dir.path().join("service.log")).unwrap_or_default();
    assert!(!log.contains(&access), "the DA token never appears in logs");
}
