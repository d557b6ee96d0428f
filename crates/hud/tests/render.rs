//! Pixels: the hidden stage is blank, the drawing lands pixel-exact at its integer scale, and a full
//! 1080p frame matches the golden PNG.

mod sample;

use hud::{palette, CanvasView, Frame, Hud, HudState};
use sample::busy_state;

fn test_canvas() -> Vec<u8> {
    let mut v = vec![0u8; 96 * 96 * 4];
    for y in 0..96u32 {
        for x in 0..96u32 {
            let i = ((y * 96 + x) * 4) as usize;
            v[i] = (x * 2) as u8;
            v[i + 1] = (y * 2) as u8;
            v[i + 2] = ((x ^ y) * 3) as u8;
            v[i + 3] = 255;
        }
    }
    v
}

#[test]
fn hidden_is_plain_background() {
    for (w, h) in [(1280, 720), (1920, 1080)] {
        let mut hud = Hud::new(w, h);
        let mut frame = Frame::new(w, h);
        let c = test_canvas();
        let st = HudState { hidden: true, ..busy_state() };
        hud.compose(&mut frame, &st, Some(CanvasView { width: 96, height: 96, rgba: &c }));
        assert!(frame.pixels.iter().all(|&p| p == palette::BG));
        assert!(hud.layout(&st).boxes.is_empty());
    }
}

#[test]
fn canvas_is_scaled_pixel_exact() {
    for (w, h) in [(1280, 720), (1920, 1080), (2400, 1350)] {
        let mut hud = Hud::new(w, h);
        let mut frame = Frame::new(w, h);
        let c = test_canvas();
        hud.compose(&mut frame, &busy_state(), Some(CanvasView { width: 96, height: 96, rgba: &c }));
        let (rect, k) = hud.canvas_rect();
        assert_eq!(rect.w, 96 * k);
        let laid = hud.layout(&busy_state());
        assert_eq!(laid.get("canvas").unwrap().rect, rect);
        for y in 0..rect.h {
            for x in 0..rect.w {
                let (sx, sy) = (x / k, y / k);
                let i = ((sy * 96 + sx) * 4) as usize;
                let want = (c[i] as u32) << 16 | (c[i + 1] as u32) << 8 | c[i + 2] as u32;
                let got = frame.pixels[((rect.y as u32 + y) * w + rect.x as u32 + x) as usize];
                assert_eq!(got, want, "{w}x{h} at canvas ({x},{y})");
            }
        }
    }
}

#[test]
fn compose_into_slice_equals_compose() {
    let mut hud = Hud::new(1280, 720);
    let c = test_canvas();
    let view = CanvasView { width: 96, height: 96, rgba: &c };
    let mut frame = Frame::new(1, 1);
    hud.compose(&mut frame, &busy_state(), Some(view));
    assert_eq!((frame.width, frame.height), (1280, 720));
    let mut raw = vec![0u32; 1280 * 720];
    hud.compose_into(&mut raw, &busy_state(), Some(view));
    assert_eq!(raw, frame.pixels);
}

#[test]
fn odd_inputs_never_panic() {
    let mut hud = Hud::new(640, 360);
    let mut frame = Frame::new(640, 360);
    let short = vec![1u8; 10];
    let mut st = busy_state();
    st.now.as_mut().unwrap().progress = f32::NAN;
    st.fps = Some(f32::INFINITY);
    hud.compose(&mut frame, &st, Some(CanvasView { width: 96, height: 96, rgba: &short }));
    hud.compose(&mut frame, &st, Some(CanvasView { width: 0, height: 0, rgba: &[] }));
    let big = vec![200u8; 400 * 400 * 4];
    hud.compose(&mut frame, &st, Some(CanvasView { width: 400, height: 400, rgba: &big }));
    let mut tiny = Hud::new(100, 50);
    let mut f2 = Frame::new(100, 50);
    tiny.compose(&mut f2, &st, None);
}

/// Golden image of a full 1080p frame mid-drawing. Regenerate with `UPDATE_GOLDEN=1 cargo test -p hud`.
#[test]
fn golden_1080p_frame() {
    let mut hud = Hud::new(1920, 1080);
    let mut frame = Frame::new(1920, 1080);
    let c = test_canvas();
    hud.compose(&mut frame, &busy_state(), Some(CanvasView { width: 96, height: 96, rgba: &c }));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/frame-1080p.png");
    let img = image::RgbaImage::from_raw(1920, 1080, frame.to_rgba()).unwrap();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        img.save(&path).unwrap();
        return;
    }
    // A missing golden fails rather than being silently written, so the test can't pass vacuously.
    let want = image::open(&path)
        .unwrap_or_else(|e| panic!("golden {}: {e}; run with UPDATE_GOLDEN=1 to create it", path.display()))
        .to_rgba8();
    assert_eq!(want.dimensions(), img.dimensions(), "golden size");
    let diff = want.pixels().zip(img.pixels()).filter(|(a, b)| a != b).count();
    assert_eq!(diff, 0, "{diff} pixels differ from {}; inspect and regenerate with UPDATE_GOLDEN=1", path.display());
}

#[test]
fn hud_can_move_to_a_render_thread() {
    fn is_send<T: Send>() {}
    is_send::<Hud>();
    is_send::<Frame>();
    is_send::<HudState>();
}
