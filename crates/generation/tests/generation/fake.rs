//! Helpers shared by the fake servers.

use std::net::SocketAddr;
use std::time::Duration;

use generation::demo::render_demo;

/// Serves `app` on an ephemeral loopback port until the test ends.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

/// A loopback address where nothing listens (connection refused).
pub async fn dead_address() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

/// A PNG like pixel-art-xl's output (the demo backend's picture), `size`×`size`.
pub fn png(size: u32, seed: u64) -> Vec<u8> {
    let img = render_demo(seed, "pixel art, a fox in the snow", size, size);
    let buf = image::RgbImage::from_raw(img.width, img.height, img.rgb).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    buf.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Checks `done` up to `tries` times, `step` apart, until it holds; the test asserts what it needs after.
pub async fn wait_until(tries: u32, step: Duration, mut done: impl FnMut() -> bool) {
    for _ in 0..tries {
        if done() {
            return;
        }
        tokio::time::sleep(step).await;
    }
}

pub fn request(prompt: &str) -> generation::ImageRequest {
    generation::ImageRequest {
        donation_id: 42,
        prompt: prompt.to_owned(),
        negative_prompt: "blurry, photo".to_owned(),
        seed: 1234567,
        width: 768,
        height: 768,
    }
}
