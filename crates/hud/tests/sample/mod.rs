//! The sample mid-drawing HUD state shared by the render tests (and their golden frame) and the
//! `hud_png` example, which includes this file with `#[path]`.

use hud::{EntryStatus, HudState, NowShowing, QueueEntry, ShowKind};

/// Drawing at 42 %, six queue entries in four states, DEMO, FPS and a status line.
pub fn busy_state() -> HudState {
    HudState {
        demo: true,
        hidden: false,
        paused: false,
        now: Some(NowShowing {
            donor: "Аня_Художница".into(),
            amount: "500".into(),
            currency: "RUB".into(),
            message: "Нарисуй уютную избушку под северным сиянием, с котом на крыльце 🐱 и луной над горами".into(),
            kind: ShowKind::Drawing,
            progress: 0.42,
            hold_remaining_sec: None,
        }),
        queue: vec![
            QueueEntry {
                donor: "PixelFan".into(),
                amount: "5".into(),
                currency: "USD".into(),
                message: "a red dragon over a castle".into(),
                status: EntryStatus::Ready,
            },
            QueueEntry {
                donor: "Гость".into(),
                amount: "300".into(),
                currency: "RUB".into(),
                message: "маяк в шторм".into(),
                status: EntryStatus::Painting,
            },
            QueueEntry {
                donor: "night_owl".into(),
                amount: "10".into(),
                currency: "EUR".into(),
                message: "an owl reading a book".into(),
                status: EntryStatus::Checking,
            },
            QueueEntry {
                donor: "anon".into(),
                amount: "100".into(),
                currency: "RUB".into(),
                message: "**** ***".into(),
                status: EntryStatus::Held,
            },
            QueueEntry {
                donor: "late".into(),
                amount: "1".into(),
                currency: "USD".into(),
                message: "a cat".into(),
                status: EntryStatus::Ready,
            },
            QueueEntry {
                donor: "later".into(),
                amount: "2".into(),
                currency: "USD".into(),
                message: "a dog".into(),
                status: EntryStatus::Ready,
            },
        ],
        caption: "All for you".into(),
        fps: Some(60.0),
        status_line: Some("Donation Alerts: reconnecting in 5 s".into()),
    }
}
