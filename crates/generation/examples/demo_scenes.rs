//! Writes N demo-backend pictures (768², every scene, varied seeds) as PNGs into a folder: safe
//! pixel art for measuring the image check's false flags (`nsfw` crate, example `scores`).
//!
//! `cargo run --release -p generation --example demo_scenes -- OUT_DIR [N]`

use generation::demo::render_demo;

fn main() {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().expect("usage: demo_scenes OUT_DIR [N]"));
    let n: u64 = args.next().map(|s| s.parse().expect("N is a number")).unwrap_or(200);
    std::fs::create_dir_all(&out).unwrap();
    let prompts = [
        "a fox in the snow",
        "a cabin under the aurora",
        "a castle",
        "a cat in space",
        "a boat at sea",
        "a tree under the moon",
    ];
    for i in 0..n {
        let img = render_demo(i * 7919 + 13, prompts[i as usize % prompts.len()], 768, 768);
        let path = out.join(format!("demo-{i:03}.png"));
        image::save_buffer(&path, &img.rgb, img.width, img.height, image::ExtendedColorType::Rgb8).unwrap();
    }
    println!("{n} pictures in {}", out.display());
}
