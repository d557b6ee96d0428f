//! Scenario: first start with nothing configured (the demo), and stopping the service cleanly.

mod common;

use std::time::{Duration, Instant};

use common::Service;

#[tokio::test(flavor = "multi_thread")]
async fn with_nothing_configured_the_demo_draws_samples_and_refuses_the_unsafe_one() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(
        dir.path(),
        &[
            ("DRAW_DURATION_SEC", "0.05"),
            ("SHOW_DURATION_SEC", "0.01"),
            ("CARD_DURATION_SEC", "0.01"),
            ("FRAME_RATE", "200"),
        ],
    )
    .await;
    let health = svc.get("/health").await;
    assert_eq!(health["demo"], true);
    assert_eq!(health["planner"], "offline");
    assert_eq!(health["image_backend"], "demo");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let rows = svc.donations().await;
        let refused =
            rows.iter().any(|r| r["state"] == "refused" && r["category"] == "sexual" && r["source"] == "demo");
        let shown_ru = rows.iter().any(|r| r["state"] == "shown" && r["currency"] == "RUB");
        let shown_en = rows.iter().any(|r| r["state"] == "shown" && r["currency"] == "USD");
        if refused && shown_ru && shown_en {
            break;
        }
        assert!(Instant::now() < deadline, "demo did not cover EN, RU and a refusal: {rows:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_and_the_shutdown_route_exit_cleanly_and_keep_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let mut svc = Service::start(dir.path(), &common::fast_env()).await;
    let id = svc.donate("a snowman").await;
    svc.wait_state(id, "shown", Duration::from_secs(60)).await;

    #[cfg(unix)]
    {
        let pid = svc.child.id() as i32;
        assert_eq!(unsafe { libc_kill(pid, 15) }, 0);
        let status = svc.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "SIGTERM exits 0");
        svc.restart().await;
    }
    assert_eq!(svc.donation(id).await["state"], "shown", "the journal survives a restart");
    let (status, v) = svc.post("/control/shutdown", None).await;
    assert_eq!((status, v["status"].as_str()), (202, Some("shutdown_requested")));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = svc.child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0));
            break;
        }
        assert!(Instant::now() < deadline, "service did not stop after /control/shutdown");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(unix)]
extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}
