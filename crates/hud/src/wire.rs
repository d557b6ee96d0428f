//! The HUD state as the OBS overlay receives it: the same facts the frame shows, with the money
//! already formatted the way the frame writes it, so the overlay and the window never disagree.

use serde::Serialize;

use crate::{money, EntryStatus, NowShowing, QueueEntry, ShowKind};

/// [`NowShowing`] on the wire: no progress (the overlay animates strokes itself).
#[derive(Serialize)]
pub struct Now {
    donor: String,
    amount: String,
    currency: String,
    money: String,
    message: String,
    #[serde(flatten)]
    kind: ShowKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    hold_remaining_sec: Option<u32>,
}

impl From<NowShowing> for Now {
    fn from(n: NowShowing) -> Now {
        Now {
            money: money(&n.amount, &n.currency),
            donor: n.donor,
            amount: n.amount,
            currency: n.currency,
            message: n.message,
            kind: n.kind,
            hold_remaining_sec: n.hold_remaining_sec,
        }
    }
}

/// [`QueueEntry`] on the wire.
#[derive(Serialize)]
pub struct Entry {
    donor: String,
    money: String,
    message: String,
    status: EntryStatus,
}

impl From<QueueEntry> for Entry {
    fn from(q: QueueEntry) -> Entry {
        Entry { money: money(&q.amount, &q.currency), donor: q.donor, message: q.message, status: q.status }
    }
}

impl From<EntryStatus> for &'static str {
    fn from(s: EntryStatus) -> &'static str {
        match s {
            EntryStatus::Ready => "ready",
            EntryStatus::Painting | EntryStatus::PaintingAt(_) => "painting",
            EntryStatus::Checking => "checking",
            EntryStatus::Held => "held",
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::*;

    #[test]
    fn the_overlay_gets_what_the_frame_shows() {
        let st = HudState {
            demo: true,
            now: Some(NowShowing {
                donor: "Маша".into(),
                amount: "300".into(),
                currency: "RUB".into(),
                message: "a cat".into(),
                kind: ShowKind::Refused { text: "Not this one".into() },
                progress: 0.5,
                hold_remaining_sec: None,
            }),
            queue: vec![QueueEntry {
                donor: "Ann".into(),
                amount: "5".into(),
                currency: "USD".into(),
                message: "a fox".into(),
                status: EntryStatus::PaintingAt(40),
            }],
            caption: "All for you".into(),
            ..HudState::default()
        };
        let v = serde_json::to_value(&st).unwrap();
        assert_eq!(v["now"]["kind"], "refused");
        assert_eq!(v["now"]["card"], "Not this one");
        assert_eq!(v["now"]["money"], money("300", "RUB"));
        assert!(v["now"].get("progress").is_none() && v.get("hidden").is_none() && v.get("fps").is_none());
        assert_eq!(v["queue"][0]["status"], "painting");
        assert_eq!(v["queue"][0]["money"], money("5", "USD"));
        assert_eq!((v["demo"].as_bool(), v["caption"].as_str()), (Some(true), Some("All for you")));
        assert!(v["status_line"].is_null());
    }
}
