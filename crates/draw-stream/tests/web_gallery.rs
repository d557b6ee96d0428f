//! Scenario: after the stream the streamer opens the gallery: every drawing that was shown, newest
//! first, its crisp ×8 PNG and animated GIF (admin token only), and deletes one.

mod common;

use std::time::{Duration, Instant};

use common::{fast_env, Service};
use serde_json::Value;

const T: Duration = Duration::from_secs(60);

async fn wait_gallery_files(svc: &Service, id: i64) {
    let (png, gif) = (svc.data_dir.join(format!("gallery/{id}.png")), svc.data_dir.join(format!("gallery/{id}.gif")));
    let deadline = Instant::now() + T;
    while !(png.exists() && gif.exists()) {
        assert!(Instant::now() < deadline, "gallery files of {id} never written");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn items(svc: &Service) -> Vec<Value> {
    svc.get("/gallery/items").await.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gallery_lists_shown_drawings_serves_their_files_with_the_token_and_deletes_one() {
    let dir = tempfile::tempdir().unwrap();
    let svc = Service::start(dir.path(), &fast_env()).await;
    let key = std::fs::read_to_string(dir.path().join("overlay-key")).unwrap().trim().to_owned();
    assert!(items(&svc).await.is_empty(), "nothing shown yet");

    let first = svc.donate("a windmill").await;
    svc.wait_state(first, "shown", T).await;
    wait_gallery_files(&svc, first).await;
    let second = svc.donate("a lighthouse").await;
    svc.wait_state(second, "shown", T).await;
    wait_gallery_files(&svc, second).await;
    // Waiting in the queue is not in the gallery.
    svc.post("/queue/pause", None).await;
    let waiting = svc.donate("not shown yet").await;

    let list = items(&svc).await;
    let ids: Vec<i64> = list.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![second, first], "newest first, only shown drawings: {list:?}");
    assert!(!ids.contains(&waiting));
    let item = &list[1];
    assert_eq!(item["donor"], "Tester");
    assert_eq!(item["message"], "a windmill");
    assert!(item["shown_at"].as_str().is_some_and(|s| !s.is_empty()), "{item}");
    assert_eq!(item["png"], format!("/gallery/items/{first}.png"));
    assert_eq!(item["gif"], format!("/gallery/items/{first}.gif"));

    // The files: with the token only.
    let png_url = svc.url(item["png"].as_str().unwrap());
    let gif_url = svc.url(item["gif"].as_str().unwrap());
    let r = svc.http.get(&png_url).bearer_auth(&svc.token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let png = r.bytes().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (w, h) =
        (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
    assert_eq!((w, h), (768, 768), "96×96 scaled ×8");
    let r = svc.http.get(&gif_url).bearer_auth(&svc.token).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/gif");
    assert_eq!(&r.bytes().await.unwrap()[..6], b"GIF89a");

    for url in [&png_url, &gif_url, &svc.url("/gallery/items")] {
        assert_eq!(svc.http.get(url).send().await.unwrap().status(), 401, "{url} without a token");
        let wrong = svc.http.get(url).bearer_auth("wrong").send().await.unwrap().status();
        assert_eq!(wrong, 403, "{url} with a wrong token");
        let with_key = svc.http.get(url).bearer_auth(&key).send().await.unwrap().status();
        assert_eq!(with_key, 403, "{url}: the overlay key is not the admin token");
    }
    let bad = svc.http.get(svc.url("/gallery/items/../api-token")).bearer_auth(&svc.token).send().await.unwrap();
    assert!(bad.status().is_client_error(), "no path tricks: {}", bad.status());
    let bad = svc.http.get(svc.url("/gallery/items/1.txt")).bearer_auth(&svc.token).send().await.unwrap();
    assert_eq!(bad.status(), 400);

    // Delete: the files go, the journal row stays.
    let del = svc.url(&format!("/gallery/items/{first}"));
    assert_eq!(svc.http.delete(&del).send().await.unwrap().status(), 401, "delete needs the token");
    let r = svc.http.delete(&del).bearer_auth(&svc.token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ids: Vec<i64> = items(&svc).await.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![second]);
    assert_eq!(svc.http.get(&png_url).bearer_auth(&svc.token).send().await.unwrap().status(), 404);
    assert!(!svc.data_dir.join(format!("gallery/{first}.png")).exists());
    let row = svc.donation(first).await;
    assert_eq!((row["state"].as_str(), row["show_count"].as_i64()), (Some("shown"), Some(1)), "{row}");
    assert_eq!(svc.http.delete(&del).bearer_auth(&svc.token).send().await.unwrap().status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gallery_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut svc = Service::start(dir.path(), &fast_env()).await;
    let id = svc.donate("a castle on a hill").await;
    svc.wait_state(id, "shown", T).await;
    wait_gallery_files(&svc, id).await;
    svc.kill();
    svc.restart().await;
    let list = items(&svc).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["id"], id);
    let r = svc.http.get(svc.url(&format!("/gallery/items/{id}.gif"))).bearer_auth(&svc.token).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
