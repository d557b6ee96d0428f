//! Helpers shared by the integration tests: PNG decoding and golden-image comparison.
#![allow(dead_code)]

use std::io::Cursor;
use std::path::PathBuf;

use canvas::Image;

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(crate_dir().join("tests/fixtures").join(name)).expect("fixture")
}

pub fn aurora() -> canvas::Document {
    canvas::parse(&fixture("aurora_cabin_plan.json")).expect("aurora parses")
}

/// Decodes an 8-bit RGB or RGBA PNG into an RGBA [`Image`].
pub fn decode_png(bytes: &[u8]) -> Image {
    let mut reader = png::Decoder::new(Cursor::new(bytes)).read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    buf.truncate(info.buffer_size());
    let data = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    Image { width: info.width, height: info.height, data }
}

/// Differences between two images as "(x, y): got != want" lines (at most 12).
pub fn diff(got: &Image, want: &Image) -> Vec<String> {
    if (got.width, got.height) != (want.width, want.height) {
        return vec![format!("size {}x{} != {}x{}", got.width, got.height, want.width, want.height)];
    }
    let mut out = Vec::new();
    let mut total = 0;
    for y in 0..got.height {
        for x in 0..got.width {
            let (g, w) = (got.pixel(x, y), want.pixel(x, y));
            if g[..3] != w[..3] {
                total += 1;
                if out.len() < 12 {
                    out.push(format!("({x}, {y}): got {g:?}, want {w:?}"));
                }
            }
        }
    }
    if total > out.len() {
        out.push(format!("... {total} differing pixels in all"));
    }
    out
}

/// Compares `img` with `tests/golden/NAME.png` pixel-exact; with `UPDATE_GOLDEN=1` rewrites the
/// golden file instead.
pub fn assert_golden(name: &str, img: &Image) {
    let path = crate_dir().join("tests/golden").join(format!("{name}.png"));
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, canvas::encode_png(img, 1)).unwrap();
        return;
    }
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|_| panic!("missing golden {}; run with UPDATE_GOLDEN=1 to create it", path.display()));
    let want = decode_png(&bytes);
    let d = diff(img, &want);
    assert!(d.is_empty(), "{name} differs from its golden image:\n{}", d.join("\n"));
}

/// Frames side by side (same size), for one golden image per animation.
pub fn strip(frames: &[Image]) -> Image {
    let (w, h) = (frames[0].width, frames[0].height);
    let n = frames.len() as u32;
    let mut out = Image::new(w * n + (n - 1), h, [255, 0, 255, 255]);
    for (k, f) in frames.iter().enumerate() {
        let ox = k as u32 * (w + 1);
        for y in 0..h {
            for x in 0..w {
                let i = ((y * out.width + ox + x) * 4) as usize;
                out.data[i..i + 4].copy_from_slice(&f.pixel(x, y));
            }
        }
    }
    out
}
