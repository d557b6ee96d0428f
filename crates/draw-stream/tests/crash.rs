//! Scenario: the machine keeps dying (SIGKILL at random moments); no donation is lost or drawn twice.

mod common;

use std::time::{Duration, Instant};

use common::{fast_env, Service};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_at_random_moments_loses_nothing_and_draws_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = fast_env();
    // Slower drawings so that kills land mid-drawing as well as mid-pipeline.
    env.retain(|(k, _)| *k != "DRAW_DURATION_SEC" && *k != "SHOW_DURATION_SEC");
    env.push(("DRAW_DURATION_SEC", "0.3"));
    env.push(("SHOW_DURATION_SEC", "0.05"));
    let mut svc = Service::start(dir.path(), &env).await;

    // Each donation has an idempotency key; a post cut off by a kill is simply sent again.
    let total = 40;
    let mut next = 0;
    let mut kills = 0;
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut rand = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    while kills < 6 {
        let batch = (rand(8) + 3) as usize;
        for _ in 0..batch {
            if next < total {
                let body = json!({"amount": 1, "message": format!("draw a tree {next}"), "id": format!("k{next}")});
                let (status, _) = svc.post("/commands/donate", Some(body)).await;
                assert_eq!(status, 202);
                next += 1;
            }
        }
        tokio::time::sleep(Duration::from_millis(50 + rand(700))).await;
        svc.kill();
        kills += 1;
        svc.restart().await;
    }
    while next < total {
        let body = json!({"amount": 1, "message": format!("draw a tree {next}"), "id": format!("k{next}")});
        assert_eq!(svc.post("/commands/donate", Some(body)).await.0, 202);
        next += 1;
    }

    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let rows = svc.donations().await;
        assert_eq!(rows.len(), total, "every keyed donation is journaled exactly once");
        if rows.iter().all(|r| r["state"] == "shown") {
            for r in &rows {
                assert_eq!(r["show_count"], 1, "drawn exactly once despite {kills} kills: {r}");
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not all donations were shown: {:?}",
            rows.iter().map(|r| (&r["id"], &r["state"])).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
