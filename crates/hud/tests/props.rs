//! Property: whatever the texts, queue and window size, the layout stays clean and compose never panics.

use hud::{CanvasView, EntryStatus, Frame, Hud, HudState, NowShowing, QueueEntry, ShowKind};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Zа-яА-ЯёЁ0-9 ,.!?₽]{0,200}",
        "\\PC{0,150}", // any printable Unicode
        "[🦊🎨👍🏽\u{200D}\u{FE0F} ]{0,60}",
        "[Жx]{100,400}", // one endless word
    ]
}

fn status() -> impl Strategy<Value = EntryStatus> {
    prop_oneof![
        Just(EntryStatus::Ready),
        Just(EntryStatus::Painting),
        (0u8..=100).prop_map(EntryStatus::PaintingAt),
        Just(EntryStatus::Checking),
        Just(EntryStatus::Held)
    ]
}

fn entry() -> impl Strategy<Value = QueueEntry> {
    (text(), "[0-9.]{0,14}", "[A-Z₽]{0,5}", text(), status())
        .prop_map(|(donor, amount, currency, message, status)| QueueEntry { donor, amount, currency, message, status })
}

fn state() -> impl Strategy<Value = HudState> {
    let now = (
        text(),
        "[0-9.]{0,14}",
        "[A-Za-z₽]{0,6}",
        text(),
        0u8..3,
        text(),
        -1.0f32..2.0,
        proptest::option::of(0u32..100_000),
    )
        .prop_map(|(donor, amount, currency, message, k, reason, progress, hold)| NowShowing {
            donor,
            amount,
            currency,
            message,
            kind: match k {
                0 => ShowKind::Drawing,
                1 => ShowKind::Refused { text: reason },
                _ => ShowKind::Failed { text: reason },
            },
            progress,
            hold_remaining_sec: hold,
        });
    (
        any::<(bool, bool)>(),
        proptest::option::of(now),
        proptest::collection::vec(entry(), 0..12),
        text(),
        proptest::option::of(-10.0f32..1000.0),
        proptest::option::of(text()),
    )
        .prop_map(|((demo, paused), now, queue, caption, fps, status_line)| HudState {
            demo,
            hidden: false,
            paused,
            now,
            queue,
            caption,
            fps,
            status_line,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn layout_is_clean_for_any_input(st in state(), size in 0usize..3, has_canvas in any::<bool>()) {
        let (w, h) = [(1280, 720), (1920, 1080), (2400, 1350)][size];
        let hud = hud_for(w, h);
        let problems = hud.layout_with_canvas(&st, has_canvas).problems(w, h);
        prop_assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn other_window_sizes_stay_clean(st in state(), w in 800u32..2600, h in 450u32..1500) {
        let mut hud = Hud::new(w, h);
        let problems = hud.layout(&st).problems(w, h);
        prop_assert!(problems.is_empty(), "{w}x{h}: {}", problems.join("\n"));
        let c = vec![128u8; 96 * 96 * 4];
        let mut f = Frame::new(w, h);
        hud.compose(&mut f, &st, Some(CanvasView { width: 96, height: 96, rgba: &c }));
    }
}

/// Building a Hud costs a backdrop; share one per size across cases.
fn hud_for(w: u32, h: u32) -> &'static Hud {
    use std::sync::OnceLock;
    static HUDS: [OnceLock<Hud>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let i = match (w, h) {
        (1280, 720) => 0,
        (1920, 1080) => 1,
        _ => 2,
    };
    HUDS[i].get_or_init(|| Hud::new(w, h))
}
