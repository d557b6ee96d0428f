//! Layout at the three broadcast sizes with hostile texts: nothing leaves its panel or the frame, and no
//! two elements overlap. These are the original's overflow bugs (original-behaviour.md §8.3), as tests.

use hud::{EntryStatus, Hud, HudState, NowShowing, QueueEntry, ShowKind};

const SIZES: [(u32, u32); 3] = [(1280, 720), (1920, 1080), (2400, 1350)];

fn long_donor() -> String {
    "Donor".repeat(24) // 120 characters, no spaces
}

fn texts() -> Vec<(&'static str, String, String)> {
    vec![
        ("empty", String::new(), String::new()),
        ("short", "Аня".into(), "кот".into()),
        ("long_word", long_donor(), "Ж".repeat(700)),
        (
            "long_message",
            "Очень Длинное Имя Донатера С Пробелами И Ещё Немного Слов Чтобы Было Больше Ста Двадцати Символов Точно Да".into(),
            "Нарисуй, пожалуйста, уютную деревянную избушку в заснеженном лесу под северным сиянием, с дымком из трубы, \
             котом на крыльце и луной над горами; draw a cozy cabin in a snowy forest under the aurora with a cat on \
             the porch, smoke from the chimney and the moon above the mountains. "
                .repeat(4),
        ),
        ("emoji", "🦊🦊🦊 ZWJ👩‍👩‍👧‍👦 skin👍🏽 flags🇷🇺🇺🇸".repeat(4), "🎨🖌️✨ нарисуй 🐱‍👤 日本語のテキスト العربية עברית ∑∫≈ ₽₽₽ «ёлка» — …".repeat(6)),
    ]
}

fn queue(n: usize, donor: &str, message: &str) -> Vec<QueueEntry> {
    let statuses = [
        EntryStatus::Ready,
        EntryStatus::Painting,
        EntryStatus::PaintingAt(100),
        EntryStatus::Checking,
        EntryStatus::Held,
    ];
    (0..n)
        .map(|i| QueueEntry {
            donor: donor.to_string(),
            amount: if i % 2 == 0 { "1000000.99".into() } else { "5".into() },
            currency: if i % 3 == 0 { "RUB".into() } else { "USDTOOLONGCODE".into() },
            message: message.to_string(),
            status: statuses[i % statuses.len()],
        })
        .collect()
}

fn states() -> Vec<(String, HudState)> {
    let mut out = Vec::new();
    for (name, donor, message) in texts() {
        for (kind_name, kind) in [
            ("drawing", ShowKind::Drawing),
            ("refused", ShowKind::Refused { text: format!("Declined: {message}") }),
            ("failed", ShowKind::Failed { text: message.clone() }),
        ] {
            for hold in [None, Some(90)] {
                for qn in [0usize, 1, 3, 40] {
                    out.push((
                        format!("{name}/{kind_name}/hold={hold:?}/queue={qn}"),
                        HudState {
                            demo: true,
                            hidden: false,
                            paused: qn == 40,
                            now: Some(NowShowing {
                                donor: donor.clone(),
                                amount: "123456789.50".into(),
                                currency: "RUB".into(),
                                message: message.clone(),
                                kind: kind.clone(),
                                progress: 0.37,
                                hold_remaining_sec: hold,
                            }),
                            queue: queue(qn, &donor, &message),
                            caption: if message.is_empty() { String::new() } else { message.clone() },
                            fps: Some(59.94),
                            status_line: Some(format!("Donation Alerts: reconnecting in 5 s — {message}")),
                        },
                    ));
                }
            }
        }
        out.push((
            format!("{name}/idle"),
            HudState { queue: queue(2, &donor, &message), caption: donor.clone(), ..HudState::default() },
        ));
    }
    out.push(("default".into(), HudState::default()));
    out
}

#[test]
fn no_overflow_or_overlap_at_three_sizes() {
    for (w, h) in SIZES {
        let hud = Hud::new(w, h);
        for (name, st) in states() {
            for has_canvas in [true, false] {
                let layout = hud.layout_with_canvas(&st, has_canvas);
                let problems = layout.problems(w, h);
                assert!(problems.is_empty(), "{w}x{h} {name} canvas={has_canvas}:\n{}", problems.join("\n"));
            }
        }
    }
}

#[test]
fn every_required_element_is_present() {
    for (w, h) in SIZES {
        let hud = Hud::new(w, h);
        let (_, st) = states().into_iter().find(|(n, _)| n == "long_message/drawing/hold=Some(90)/queue=40").unwrap();
        let l = hud.layout(&st);
        for name in [
            "header.title",
            "header.demo",
            "header.paused",
            "header.fps",
            "header.status",
            "footer.caption",
            "canvas",
            "now.donor",
            "now.amount",
            "now.message",
            "now.progress",
            "now.status",
            "queue.card.1",
            "queue.card.1.donor",
            "queue.card.1.amount",
            "queue.card.1.status",
            "queue.more",
        ] {
            assert!(l.get(name).is_some(), "{w}x{h}: {name} missing");
        }
        // Long messages wrap over several lines and still end inside the message box.
        let msg = l.get("now.message").unwrap();
        assert!(msg.ink.unwrap().h > 3 * 14, "{w}x{h}: message should wrap over lines");
        // At least two queue cards fit at every size.
        assert!(l.get("queue.card.2").is_some(), "{w}x{h}: second card missing");
    }
}

#[test]
fn refusal_card_is_drawn_in_the_canvas_area() {
    for (w, h) in SIZES {
        let hud = Hud::new(w, h);
        let st = HudState {
            now: Some(NowShowing {
                donor: "x".into(),
                amount: "1".into(),
                currency: "USD".into(),
                message: "m".into(),
                kind: ShowKind::Refused { text: "This request can't be drawn on stream".into() },
                progress: 1.0,
                hold_remaining_sec: Some(10),
            }),
            ..HudState::default()
        };
        let l = hud.layout(&st);
        let canvas = l.get("canvas").unwrap().rect;
        for name in ["card", "card.icon", "card.title", "card.text"] {
            let b = l.get(name).unwrap_or_else(|| panic!("{w}x{h}: {name} missing"));
            assert!(canvas.contains(&b.rect), "{name} outside canvas");
        }
    }
}

#[test]
fn queue_shows_what_fits_then_more() {
    let hud = Hud::new(1920, 1080);
    let st = HudState { queue: queue(40, "d", "m"), ..HudState::default() };
    let l = hud.layout(&st);
    let cards =
        l.boxes.iter().filter(|b| b.name.starts_with("queue.card.") && b.name.matches('.').count() == 2).count();
    assert!(cards >= 3, "only {cards} cards at 1080p");
    assert!(l.get("queue.more").is_some());
    // A short queue shows every entry and no "+N more".
    let st = HudState { queue: queue(2, "d", "m"), ..HudState::default() };
    let l = hud.layout(&st);
    assert!(l.get("queue.card.2").is_some() && l.get("queue.more").is_none());
}
