//! The bytes the `render` command writes: a PNG of the final frame and a GIF of the animation.

mod common;

use std::io::Cursor;

use canvas::{encode_gif, encode_png, render_final, Image, Timeline, DEFAULT_STEP_DURATION_MS};
use common::decode_png;

#[test]
fn png_is_the_final_frame_upscaled_with_crisp_pixels() {
    let doc = common::aurora();
    let img = render_final(&doc);
    let png = decode_png(&encode_png(&img, 3));
    assert_eq!((png.width, png.height), (288, 288));
    for (x, y) in [(16, 16), (12, 8), (56, 64), (0, 0), (95, 95)] {
        for (dx, dy) in [(0, 0), (2, 2), (1, 2)] {
            assert_eq!(png.pixel(x * 3 + dx, y * 3 + dy), img.pixel(x, y), "({x}, {y}) block ({dx}, {dy})");
        }
    }
    assert_eq!(decode_png(&encode_png(&img, 0)), img, "scale 0 means 1");
}

#[test]
fn png_scale_is_capped_for_huge_requests() {
    let img = Image::new(4, 2, [9, 8, 7, 255]);
    let png = decode_png(&encode_png(&img, 1_000_000));
    assert_eq!((png.width, png.height), (8192, 4096));
}

fn gif_frames(bytes: &[u8]) -> Vec<(Image, u16)> {
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::RGBA);
    let mut dec = opts.read_info(Cursor::new(bytes)).expect("gif header");
    let (w, h) = (dec.width() as u32, dec.height() as u32);
    let mut out = Vec::new();
    while let Some(f) = dec.read_next_frame().expect("gif frame") {
        assert_eq!((f.width as u32, f.height as u32), (w, h), "full frames");
        out.push((Image { width: w, height: h, data: f.buffer.to_vec() }, f.delay));
    }
    out
}

#[test]
fn gif_plays_the_whole_animation_and_ends_on_the_final_frame() {
    let doc = common::aurora();
    let tl = Timeline::new(&doc, DEFAULT_STEP_DURATION_MS);
    let frames = gif_frames(&encode_gif(&tl, 10, 2));
    // 10 fps over 10.7 s: 107 frames, plus the held final frame.
    assert_eq!(frames.len(), 108);
    assert!(frames[..107].iter().all(|(_, d)| *d == 10));
    let (last, hold) = frames.last().unwrap();
    assert_eq!(*hold, canvas::GIF_FINAL_HOLD_CS);
    let fin = decode_png(&encode_png(&render_final(&doc), 2));
    assert_eq!(last, &fin, "the last GIF frame is the final picture, exactly");
    // The first frame is the empty background.
    assert!(frames[0].0.data.chunks_exact(4).all(|p| p[..3] == [0x0B, 0x0D, 0x26]));
}

#[test]
fn long_animations_are_capped_in_frames() {
    let doc = canvas::parse(
        r##"{"version":"1","caption":"c","canvas":{"w":4,"h":4},"steps":[
            {"op":"pixels","points":[[0,0]],"color":"#fff","animate":{"mode":"fill","duration_ms":600000}}]}"##,
    )
    .unwrap();
    let tl = Timeline::new(&doc, DEFAULT_STEP_DURATION_MS);
    let frames = gif_frames(&encode_gif(&tl, 60, 1));
    assert!(frames.len() as u64 <= canvas::MAX_GIF_FRAMES + 1, "{}", frames.len());
    assert_eq!(frames.last().unwrap().0.pixel(0, 0), [255, 255, 255, 255]);
}
