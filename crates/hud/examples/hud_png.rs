//! Saves sample HUD frames as PNG for review: `cargo run -p hud --example hud_png -- OUT_DIR [--boxes]`.
//! With `--boxes` it also prints every laid-out box.

#[path = "../tests/sample/mod.rs"]
mod sample;

use hud::{CanvasView, Frame, Hud, HudState, NowShowing, ShowKind};

fn sample_canvas() -> Vec<u8> {
    let mut v = vec![0u8; 96 * 96 * 4];
    for y in 0..96u32 {
        for x in 0..96u32 {
            let i = ((y * 96 + x) * 4) as usize;
            let sky = y < 60;
            let (r, g, b) =
                if sky { (11 + y as u8, 13 + y as u8, 38 + 2 * y as u8) } else { (30, 60 + (x % 7) as u8 * 4, 40) };
            v[i..i + 4].copy_from_slice(&[r, g, b, 255]);
        }
    }
    v
}

fn main() {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "hud-png".into()));
    let boxes = args.any(|a| a == "--boxes");
    std::fs::create_dir_all(&out).expect("create output dir");
    let canvas = sample_canvas();
    let mut busy = sample::busy_state();
    busy.queue[0].message = "a red dragon over a castle at sunset".into();
    let long = HudState {
        paused: true,
        now: Some(NowShowing {
            donor: "Donor".repeat(24),
            amount: "123456789.50".into(),
            currency: "USD".into(),
            message: "Ж".repeat(300) + " 🦊👩‍👩‍👧‍👦 日本語 " + &"draw a cozy cabin in a snowy forest ".repeat(10),
            kind: ShowKind::Drawing,
            progress: 1.0,
            hold_remaining_sec: Some(73),
        }),
        queue: busy.queue.iter().cloned().cycle().take(40).collect(),
        caption: "Thank you all! ".repeat(20),
        ..busy.clone()
    };
    let refused = HudState {
        now: Some(NowShowing {
            donor: "troll".into(),
            amount: "50".into(),
            currency: "RUB".into(),
            message: "**** *** ****".into(),
            kind: ShowKind::Refused {
                text: "This request can't be drawn on stream. Thanks for the support anyway!".into(),
            },
            progress: 1.0,
            hold_remaining_sec: Some(8),
        }),
        ..busy.clone()
    };
    let failed = HudState {
        now: Some(NowShowing {
            kind: ShowKind::Failed { text: "The image server did not answer in time.".into() },
            ..busy.now.clone().unwrap()
        }),
        ..busy.clone()
    };
    let idle = HudState { caption: "All for you".into(), ..HudState::default() };
    for (w, h) in [(1280, 720), (1920, 1080), (2400, 1350)] {
        let mut hud = Hud::new(w, h);
        let mut frame = Frame::new(w, h);
        for (name, st, with_canvas) in [
            ("busy", &busy, true),
            ("long", &long, true),
            ("refused", &refused, true),
            ("failed", &failed, true),
            ("idle", &idle, false),
        ] {
            let view = CanvasView { width: 96, height: 96, rgba: &canvas };
            hud.compose(&mut frame, st, with_canvas.then_some(view));
            let path = out.join(format!("{name}-{w}x{h}.png"));
            image::RgbaImage::from_raw(w, h, frame.to_rgba()).expect("size").save(&path).expect("save png");
            if boxes {
                println!("== {name} {w}x{h}");
                for b in hud.layout_with_canvas(st, with_canvas).boxes {
                    println!("{:32} {:?} ink={:?}", b.name, b.rect, b.ink);
                }
            }
        }
    }
    println!("saved to {}", out.display());
}
