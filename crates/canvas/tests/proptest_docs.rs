//! Random valid documents: the last timeline frame equals the final frame, whatever the ops,
//! modes, easing, delays and groups; and documents survive a JSON round trip.

mod common;

use canvas::*;
use proptest::prelude::*;

fn colour() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<[u8; 3]>().prop_map(|c| format!("#{:02X}{:02X}{:02X}", c[0], c[1], c[2])),
        (0u8..16, 0u8..16, 0u8..16).prop_map(|(r, g, b)| format!("#{r:x}{g:x}{b:x}")),
    ]
}

fn coord() -> impl Strategy<Value = i32> {
    prop_oneof![4 => -8i32..40, 1 => -300i32..300]
}

fn point() -> impl Strategy<Value = [i32; 2]> {
    (coord(), coord()).prop_map(|(x, y)| [x, y])
}

fn animate() -> impl Strategy<Value = Option<Animate>> {
    let mode = prop_oneof![Just(Mode::Stroke), Just(Mode::Fill), Just(Mode::PixelReveal)];
    let ease = prop_oneof![Just(Ease::Linear), Just(Ease::EaseInOut)];
    proptest::option::weighted(
        0.8,
        (
            mode,
            proptest::option::of(0.0f64..500.0),
            proptest::option::of(1u32..2000),
            proptest::option::of(0u32..500),
            ease,
        )
            .prop_map(|(mode, speed_px_per_s, duration_ms, delay_ms, ease)| Animate {
                mode,
                speed_px_per_s,
                duration_ms,
                delay_ms,
                ease,
            }),
    )
}

fn leaf() -> impl Strategy<Value = Step> {
    let oc = || proptest::option::of(colour());
    prop_oneof![
        (coord(), coord(), -3i32..40, -3i32..40, oc(), oc(), animate()).prop_map(
            |(x, y, w, h, fill, outline, animate)| { Step::Rect(Rect { x, y, w, h, fill, outline, animate }) }
        ),
        (coord(), coord(), 0i32..30, oc(), oc(), animate())
            .prop_map(|(cx, cy, r, fill, outline, animate)| Step::Circle(Circle { cx, cy, r, fill, outline, animate })),
        (point(), point(), 1i32..8, colour(), animate()).prop_map(|(a, b, width, color, animate)| Step::Line(Line {
            x1: a[0],
            y1: a[1],
            x2: b[0],
            y2: b[1],
            width,
            color,
            animate
        })),
        (prop::collection::vec(point(), 3..8), oc(), oc(), animate())
            .prop_map(|(points, fill, outline, animate)| Step::Polygon(Polygon { points, fill, outline, animate })),
        (prop::collection::vec(point(), 1..40), colour(), animate())
            .prop_map(|(points, color, animate)| Step::Pixels(Pixels { points, color, animate })),
        (coord(), coord(), "[a-zA-Zа-яА-Я0-9 ?!]{0,12}", 4u32..=64, colour(), animate()).prop_map(
            |(x, y, value, size, color, animate)| Step::Text(Text { x, y, value, font: None, size, color, animate })
        ),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    leaf().prop_recursive(3, 24, 5, |inner| {
        (prop::collection::vec(inner, 0..5), animate())
            .prop_map(|(steps, animate)| Step::Group(Group { steps, animate }))
    })
}

fn document() -> impl Strategy<Value = Document> {
    (1u32..48, 1u32..48, colour(), prop::collection::vec(step(), 1..10)).prop_map(|(w, h, bg, steps)| Document {
        version: "1.0".into(),
        canvas: CanvasSpec { w, h, bg },
        caption: "All for you".into(),
        palette: None,
        seed: None,
        steps: Some(steps),
        render_text: None,
        duration_sec: None,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn last_frame_equals_final_frame(doc in document(), probe in 0u64..20_000) {
        doc.validate().unwrap();
        let tl = Timeline::new(&doc, DEFAULT_STEP_DURATION_MS);
        let fin = render_final(&doc);
        let mut img = Image::empty();
        // Render some mid-animation frame first, so the cached base is exercised too.
        tl.render_at(probe.min(tl.duration_ms()), &mut img);
        tl.render_at(tl.duration_ms(), &mut img);
        prop_assert_eq!(&img, &fin);
        tl.render_at(probe, &mut img);
        tl.render_at(u64::MAX, &mut img);
        prop_assert_eq!(&img, &fin);
        let p = tl.progress_at(probe);
        prop_assert!((0.0..=1.0).contains(&p));
    }

    #[test]
    fn documents_round_trip_through_json(doc in document()) {
        let back = parse(&doc.to_json()).unwrap();
        prop_assert_eq!(back, doc);
    }
}
