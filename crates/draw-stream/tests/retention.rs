//! Scenario: a long stream does not grow the journal without bound. Once a drawing is shown and its
//! gallery files are written, its raw generated image leaves the journal (the newest KEEP_RAW_IMAGES
//! stay); replay and the gallery keep working from what remains.

mod common;

use std::time::{Duration, Instant};

use common::{env_with, Service};

const T: Duration = Duration::from_secs(60);

async fn image_status(svc: &Service, id: i64) -> u16 {
    let url = svc.url(&format!("/donations/{id}/image.png"));
    svc.http.get(url).bearer_auth(&svc.token).send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn shown_drawings_give_up_their_raw_images_and_replay_and_gallery_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &env_with(&[("KEEP_RAW_IMAGES", "1")])).await;
    let mut ids = Vec::new();
    for subject in ["a fox in the snow", "a cabin at night", "a castle on a hill"] {
        ids.push(svc.donate(subject).await);
    }
    for &id in &ids {
        svc.wait_state(id, "shown", T).await;
    }
    // The raw images of the two older drawings are dropped after their gallery files are written.
    let deadline = Instant::now() + T;
    loop {
        let statuses = [image_status(&svc, ids[0]).await, image_status(&svc, ids[1]).await];
        if statuses == [404, 404] {
            break;
        }
        assert!(Instant::now() < deadline, "older raw images were never dropped: {statuses:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(image_status(&svc, ids[2]).await, 200, "the newest one is kept (KEEP_RAW_IMAGES=1)");
    for &id in &ids {
        let (png, gif) = (dir.path().join(format!("gallery/{id}.png")), dir.path().join(format!("gallery/{id}.gif")));
        assert!(png.exists() && gif.exists(), "gallery files of {id}");
    }

    // A replay draws the stored drawing again, without the raw image.
    assert_eq!(svc.post(&format!("/donations/{}/replay", ids[0]), None).await.0, 202);
    svc.wait_for(ids[0], "shown twice", T, |d| d["state"] == "shown" && d["show_count"] == 2).await;
}

#[test]
fn a_damaged_journal_is_refused_with_its_path_and_kept_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.db");
    let garbage = b"this is not a database, it was damaged by a crash".repeat(100);
    std::fs::write(&journal, &garbage).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_draw-stream"))
        .args(["run", "--headless", "--data-dir"])
        .arg(dir.path())
        .current_dir(dir.path())
        .env_clear()
        .env("HOME", dir.path())
        .env("DEMO", "0")
        .env("API_PORT", "0")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&journal.display().to_string()) && err.contains("damaged"), "{err}");
    assert!(err.contains("move it aside") && err.contains(".recover"), "says how to recover: {err}");
    assert_eq!(std::fs::read(&journal).unwrap(), garbage, "the file is kept exactly as it was");
}

/// Bytes under `<data dir>/gallery`.
fn gallery_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir.join("gallery")).unwrap().flatten().map(|e| e.metadata().unwrap().len()).sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gallery_keeps_within_its_cap_and_an_export_keeps_what_the_streamer_wants() {
    let dir = tempfile::tempdir().unwrap();
    // 0.1 MiB: about five of these quick drawings (16–26 KB each).
    let svc = Service::start(dir.path(), &env_with(&[("GALLERY_MAX_MB", "0.1")])).await;
    let subjects = ["a fox", "a cabin", "a castle", "a lighthouse", "a dragon", "a ship", "a forest", "a robot"];
    let mut ids = Vec::new();
    for s in subjects.iter().cycle().take(14) {
        let id = svc.donate(s).await;
        svc.wait_state(id, "shown", T).await;
        ids.push(id);
    }
    // The newest drawing's files are written last; the cap is applied right after.
    let newest = *ids.last().unwrap();
    let deadline = Instant::now() + T;
    while !dir.path().join(format!("gallery/{newest}.gif")).exists() || gallery_bytes(dir.path()) > 104_857 {
        assert!(Instant::now() < deadline, "gallery never within 0.1 MiB: {} bytes", gallery_bytes(dir.path()));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listed: Vec<i64> =
        svc.get("/gallery/items").await.as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert!(listed.contains(&newest) && !listed.contains(&ids[0]), "the oldest went first: {listed:?} of {ids:?}");
    assert!(listed.len() < ids.len(), "some drawings were removed: {listed:?}");
    assert_eq!(svc.donation(ids[0]).await["state"], "shown", "the journal row stays");

    // Export while the service runs: every drawing still in the gallery, with an index.
    let out = tempfile::tempdir().unwrap();
    let export = std::process::Command::new(env!("CARGO_BIN_EXE_draw-stream"))
        .args(["gallery", "export"])
        .arg(out.path())
        .arg("--data-dir")
        .arg(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&export.stdout);
    assert!(export.status.success(), "{said}{}", String::from_utf8_lossy(&export.stderr));
    assert!(said.contains(&format!("exported {} drawings", listed.len())), "{said}");
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("gallery.json")).unwrap()).unwrap();
    let exported: Vec<i64> = index.as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect();
    let mut expected = listed.clone();
    expected.sort();
    assert_eq!(exported, expected);
    for item in index.as_array().unwrap() {
        for key in ["png", "gif"] {
            let name = item[key].as_str().unwrap();
            assert!(out.path().join(name).metadata().unwrap().len() > 0, "{name}");
        }
    }
    assert!(out.path().join("index.html").exists());
}
