//! Scenario: the streamer drives the show — skip, clear, pause/resume, approve/deny, replay, hide.

mod common;

use std::time::Duration;

use common::{env_with, fast_env, Service};

const T: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn skip_ends_the_drawing_on_screen_and_the_next_one_starts() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &env_with(&[("DRAW_DURATION_SEC", "30")])).await;
    let first = svc.donate("a long drawing").await;
    let second = svc.donate("the next drawing").await;
    svc.wait_state(first, "showing", T).await;
    // `/queue` follows the show loop's snapshot, a tick behind the journal: wait for it to say so.
    let deadline = std::time::Instant::now() + T;
    let q = loop {
        let q = svc.get("/queue").await;
        if q["active"]["journal_id"] == first {
            break q;
        }
        assert!(std::time::Instant::now() < deadline, "/queue never showed the drawing on screen: {q}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(q["phase"], "drawing");
    assert!(q["progress"].as_f64().unwrap() < 0.5);

    let (status, v) = svc.post("/queue/skip", None).await;
    assert_eq!((status, v["status"].as_str()), (202, Some("skip_requested")));
    svc.wait_state(first, "skipped", T).await;
    svc.wait_state(second, "showing", T).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pause_stops_new_drawings_and_resume_starts_them() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &fast_env()).await;
    assert_eq!(svc.post("/queue/pause", None).await.0, 202);
    let id = svc.donate("a paused cat").await;
    svc.wait_state(id, "ready", T).await;
    // No sleep-and-hope: a later donation going all the way to `ready` is the clock. The show loop
    // ran many ticks meanwhile, and the first drawing still has not started.
    let later = svc.donate("a paused dog").await;
    svc.wait_state(later, "ready", T).await;
    assert_eq!(svc.donation(id).await["state"], "ready", "nothing starts while paused");
    assert_eq!(svc.donation(id).await["show_count"], 0);
    assert_eq!(svc.get("/queue").await["paused"], true);
    assert_eq!(svc.post("/queue/resume", None).await.0, 202);
    svc.wait_state(id, "shown", T).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn clear_removes_everything_not_yet_on_screen_and_says_how_many() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &fast_env()).await;
    svc.post("/queue/pause", None).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(svc.donate(&format!("a lighthouse {i}")).await);
    }
    // Some are ready, some may still be in earlier states: clear takes them all.
    svc.wait_state(ids[0], "ready", T).await;
    let (status, v) = svc.post("/queue/clear", None).await;
    assert_eq!(status, 202);
    assert_eq!(v["status"], "queue_cleared");
    assert_eq!(v["cleared"], 6, "{v}");
    for id in &ids {
        assert_eq!(svc.donation(*id).await["state"], "cleared");
    }
    svc.post("/queue/resume", None).await;
    let later = svc.donate("after the clear").await;
    svc.wait_state(later, "shown", T).await;
    for id in &ids {
        assert_eq!(svc.donation(*id).await["state"], "cleared", "a cleared donation never comes back");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn in_approve_all_mode_held_donations_wait_for_a_moderator() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &env_with(&[("MODERATION_MODE", "approve-all")])).await;
    let keep = svc.donate("a friendly robot").await;
    let drop = svc.donate("a grumpy robot").await;
    svc.wait_state(keep, "held", T).await;
    svc.wait_state(drop, "held", T).await;
    // A later, blocked request is refused and its card is shown: the pipeline and the screen moved
    // on, and the held rows did not move by themselves.
    let blocked = svc.donate("draw porn").await;
    svc.wait_for(blocked, "refused with its card shown", T, |d| d["state"] == "refused" && d["card_pending"] == false)
        .await;
    assert_eq!(svc.donation(keep).await["state"], "held", "held rows do not move by themselves");
    assert_eq!(svc.donation(drop).await["state"], "held");

    assert_eq!(svc.post(&format!("/donations/{keep}/approve"), None).await.0, 202);
    assert_eq!(svc.post(&format!("/donations/{drop}/deny"), None).await.0, 202);
    svc.wait_state(keep, "shown", T).await;
    let denied =
        svc.wait_for(drop, "refused and carded", T, |d| d["state"] == "refused" && d["card_pending"] == false).await;
    assert_eq!(denied["reason"], "denied by a moderator");
    let (status, v) = svc.post(&format!("/donations/{keep}/approve"), None).await;
    assert_eq!(status, 409, "approving twice is a conflict: {v}");
    assert!(v["error"].as_str().unwrap().contains("only held donations"));
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_shows_a_drawing_again_without_regenerating_it() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &fast_env()).await;
    let id = svc.donate("a windmill").await;
    let shown = svc.wait_state(id, "shown", T).await;
    assert_eq!(shown["show_count"], 1);
    assert_eq!(svc.post(&format!("/donations/{id}/replay"), None).await.0, 202);
    let again = svc.wait_for(id, "shown twice", T, |d| d["show_count"] == 2 && d["state"] == "shown").await;
    assert_eq!(again["prompt"], shown["prompt"], "same plan, no regeneration");
    let metrics = svc.http.get(svc.url("/metrics")).bearer_auth(&svc.token).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("drawstream_donations{state=\"shown\"} 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread")]
async fn hide_blanks_the_stage_and_freezes_the_drawing_until_show() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &env_with(&[("DRAW_DURATION_SEC", "3")])).await;
    let id = svc.donate("a hot air balloon").await;
    svc.wait_state(id, "showing", T).await;
    assert_eq!(svc.post("/stage/hide", None).await.0, 202);
    // `/queue` follows the show loop a tick behind: wait until it reports the frozen drawing (the same
    // progress twice, 100 ms apart), then check it stays frozen.
    let deadline = std::time::Instant::now() + T;
    let a = loop {
        let a = svc.get("/queue").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let again = svc.get("/queue").await;
        if a["hidden"] == true && a["active"]["journal_id"] == id && a["progress"] == again["progress"] {
            break again;
        }
        assert!(std::time::Instant::now() < deadline, "the drawing never froze: {a} then {again}");
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    let b = svc.get("/queue").await;
    assert_eq!(a["progress"], b["progress"], "the drawing does not advance while hidden");
    assert_eq!(svc.post("/stage/show", None).await.0, 202);
    let deadline = std::time::Instant::now() + T;
    loop {
        let c = svc.get("/queue").await;
        if c["hidden"] == false && c["progress"].as_f64() > b["progress"].as_f64() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "it never continued after show: {b} then {c}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Decodes a PNG frame from the API into RGB pixels.
async fn frame(svc: &Service) -> image::RgbImage {
    let r = svc.http.get(svc.url("/stage/frame.png")).bearer_auth(&svc.token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    image::load_from_memory(&r.bytes().await.unwrap()).unwrap().to_rgb8()
}

#[tokio::test(flavor = "multi_thread")]
async fn headless_renders_the_broadcast_frame_and_hide_blanks_it() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(
        dir.path(),
        &env_with(&[("DRAW_DURATION_SEC", "4"), ("DISPLAY_WIDTH", "1280"), ("DISPLAY_HEIGHT", "720")]),
    )
    .await;
    let id = svc.donate("a lighthouse at night").await;
    svc.wait_state(id, "showing", T).await;
    let early = frame(&svc).await;
    assert_eq!(early.dimensions(), (1280, 720), "the configured stage size");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = frame(&svc).await;
    let changed = early.pixels().zip(later.pixels()).filter(|(a, b)| a != b).count();
    assert!(changed > 1000, "the drawing progresses between frames ({changed} pixels changed)");

    assert_eq!(svc.post("/stage/hide", None).await.0, 202);
    let blank = frame(&svc).await;
    let first = *blank.get_pixel(0, 0);
    assert!(blank.pixels().all(|p| *p == first), "hidden: every pixel is the plain background");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_donation_approved_late_is_drawn_first_without_stalling_the_show() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &env_with(&[("MODERATION_MODE", "approve-all")])).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(svc.donate(&format!("a paper boat {i}")).await);
    }
    for id in &ids {
        svc.wait_state(*id, "held", T).await;
    }
    // While the stage is paused the moderator approves the later ones first: two fill the look-ahead
    // (ready), the third waits (planned). Then the first is approved: it must still be painted, and
    // once the stage resumes it goes first — nothing stalls behind the full look-ahead.
    assert_eq!(svc.post("/queue/pause", None).await.0, 202);
    for id in &ids[1..] {
        assert_eq!(svc.post(&format!("/donations/{id}/approve"), None).await.0, 202);
    }
    svc.wait_state(ids[2], "ready", T).await;
    svc.wait_state(ids[3], "planned", T).await;
    assert_eq!(svc.post(&format!("/donations/{}/approve", ids[0]), None).await.0, 202);
    svc.wait_state(ids[0], "ready", T).await;
    assert_eq!(svc.post("/queue/resume", None).await.0, 202);
    for id in &ids {
        svc.wait_state(*id, "shown", T).await;
    }
    let mut shown: Vec<(String, i64)> = Vec::new();
    for id in &ids {
        shown.push((svc.donation(*id).await["shown_at"].as_str().unwrap().to_owned(), *id));
    }
    shown.sort();
    assert_eq!(shown.iter().map(|(_, id)| *id).collect::<Vec<_>>(), ids, "arrival order is kept");
}
