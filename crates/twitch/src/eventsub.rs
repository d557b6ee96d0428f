//! EventSub WebSocket frames (lenient: unknown fields and message types are tolerated) and the
//! mapping of the two events we consume to [`Incoming`].

use rust_decimal::Decimal;
use serde_json::Value;
use source::{Incoming, Source};

/// The journal's name of this source.
pub const SOURCE: Source = Source::named("twitch");
/// `message_type` of a channel-points redemption.
pub const REDEMPTION: &str = "redemption";
/// `message_type` of a cheer.
pub const CHEER: &str = "cheer";

pub(crate) const REDEMPTION_TYPE: &str = "channel.channel_points_custom_reward_redemption.add";
pub(crate) const CHEER_TYPE: &str = "channel.cheer";
/// A redemption of our reward fulfilled or canceled by someone else (a moderator, in Twitch's
/// reward queue; our own settlements come back this way too).
pub(crate) const REDEMPTION_UPDATE_TYPE: &str = "channel.channel_points_custom_reward_redemption.update";

/// The id of a redemption of `reward_id` that was canceled (points refunded) on Twitch, from an
/// `…redemption.update` event.
pub(crate) fn canceled_redemption(event: &Value, reward_id: &str) -> Option<String> {
    let ours = event.pointer("/reward/id").and_then(Value::as_str) == Some(reward_id);
    let canceled = event.get("status").and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case("canceled"));
    (ours && canceled).then(|| text(event, "id")).flatten()
}

/// One parsed frame.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Frame {
    Welcome { session_id: String, keepalive_secs: Option<u64> },
    Keepalive,
    Notification { message_id: String, kind: String, event: Value },
    Reconnect { url: String },
    Revocation { kind: String, status: String },
    Other(String),
    Garbage(String),
}

pub(crate) fn parse(text: &str) -> Frame {
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => return Frame::Garbage(format!("not JSON ({e})")),
    };
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
    match s("/metadata/message_type").as_str() {
        "session_welcome" => Frame::Welcome {
            session_id: s("/payload/session/id"),
            keepalive_secs: v.pointer("/payload/session/keepalive_timeout_seconds").and_then(Value::as_u64),
        },
        "session_keepalive" => Frame::Keepalive,
        "notification" => Frame::Notification {
            message_id: s("/metadata/message_id"),
            kind: {
                let k = s("/metadata/subscription_type");
                if k.is_empty() {
                    s("/payload/subscription/type")
                } else {
                    k
                }
            },
            event: v.pointer("/payload/event").cloned().unwrap_or(Value::Null),
        },
        // `payload.session.reconnect_url`, not `payload.reconnect_url` (a known pitfall).
        "session_reconnect" => Frame::Reconnect { url: s("/payload/session/reconnect_url") },
        "revocation" => {
            Frame::Revocation { kind: s("/payload/subscription/type"), status: s("/payload/subscription/status") }
        }
        "" => Frame::Garbage("no metadata.message_type".into()),
        other => Frame::Other(other.to_string()),
    }
}

/// Twitch's global cheermote prefixes (case-insensitive), as the Helix `GET /bits/cheermotes` list
/// names them. A channel may add its own; see [`strip_cheermotes`].
const GLOBAL_CHEERMOTES: &[&str] = &[
    "cheer",
    "doodlecheer",
    "biblethump",
    "cheerwhal",
    "corgo",
    "scoops",
    "uni",
    "showlove",
    "party",
    "seemsgood",
    "pride",
    "kappa",
    "frankerz",
    "heyguys",
    "dansgame",
    "elegiggle",
    "trihard",
    "kreygasm",
    "4head",
    "swiftrage",
    "notlikethis",
    "failfish",
    "vohiyo",
    "pjsalt",
    "mrdestructoid",
    "bday",
    "ripcheer",
    "shamrock",
    "bitboss",
    "streamlabs",
    "muxy",
    "holidaycheer",
    "goal",
    "anon",
    "charity",
];

/// `(prefix, amount)` when the word has the shape of a cheermote: a name, then only digits.
fn cheermote(word: &str) -> Option<(&str, u64)> {
    let split = word.char_indices().find(|(_, c)| c.is_ascii_digit()).map(|(i, _)| i)?;
    let (name, digits) = word.split_at(split);
    let amount = digits.parse().ok().filter(|_| !name.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))?;
    Some((name, amount))
}

/// Removes the cheermotes (`Cheer100`, `Kappa50`, a channel's own `Hype25`) from a cheer's message,
/// keeping words that only look like them (`B52`, `R2`, `Area51`). Global cheermotes always go; words
/// of the same shape with another name go only when they are what makes the cheer's `bits` add up
/// (they are then the channel's own cheermotes). Squeezes the spaces left behind.
pub fn strip_cheermotes(message: &str, bits: u64) -> String {
    let words: Vec<&str> = message.split_whitespace().collect();
    let global =
        |w: &str| cheermote(w).is_some_and(|(name, _)| GLOBAL_CHEERMOTES.iter().any(|g| g.eq_ignore_ascii_case(name)));
    let known: u64 = words.iter().filter(|w| global(w)).filter_map(|w| cheermote(w)).map(|(_, n)| n).sum();
    let others: u64 = words.iter().filter(|w| !global(w)).filter_map(|w| cheermote(w)).map(|(_, n)| n).sum();
    let strip_others = known != bits && known.saturating_add(others) == bits;
    words.into_iter().filter(|w| !(global(w) || (strip_others && cheermote(w).is_some()))).collect::<Vec<_>>().join(" ")
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// A redemption (EventSub event or Helix item: the same fields) → `Incoming`, if it is of `reward_id`.
pub(crate) fn redemption(event: &Value, reward_id: &str) -> Option<Incoming> {
    let id = text(event, "id")?;
    if event.pointer("/reward/id").and_then(Value::as_str) != Some(reward_id) {
        return None;
    }
    let cost = event.pointer("/reward/cost").and_then(Value::as_u64).unwrap_or(0);
    Some(Incoming {
        source: SOURCE,
        source_id: id,
        donor: text(event, "user_name").or_else(|| text(event, "user_login")),
        message: event.get("user_input").and_then(Value::as_str).unwrap_or("").to_string(),
        amount: cost.to_string(),
        currency: "POINTS".into(),
        amount_user: None,
        message_type: REDEMPTION.into(),
    })
}

/// A cheer → `Incoming`, when it has at least `min_bits` and text besides cheermotes.
pub(crate) fn cheer(event: &Value, message_id: &str, min_bits: u64, bits_value: Decimal) -> Option<Incoming> {
    let bits = event.get("bits").and_then(Value::as_u64)?;
    if bits < min_bits || message_id.is_empty() {
        return None;
    }
    let message = strip_cheermotes(event.get("message").and_then(Value::as_str).unwrap_or(""), bits);
    if message.is_empty() {
        return None;
    }
    let anonymous = event.get("is_anonymous").and_then(Value::as_bool).unwrap_or(false);
    let donor = if anonymous { None } else { text(event, "user_name").or_else(|| text(event, "user_login")) };
    Some(Incoming {
        source: SOURCE,
        source_id: message_id.to_string(),
        donor,
        message,
        amount: bits.to_string(),
        currency: "BITS".into(),
        amount_user: Some((Decimal::from(bits) * bits_value).normalize().to_string()),
        message_type: CHEER.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn frames_of_the_docs_parse() {
        let welcome = fixture("eventsub_ws_session_welcome_docs.json").to_string();
        assert_eq!(
            parse(&welcome),
            Frame::Welcome { session_id: "AQoQILE98gtqShGmLD7AM6yJThAB".into(), keepalive_secs: Some(10) }
        );
        assert_eq!(parse(&fixture("eventsub_ws_session_keepalive_docs.json").to_string()), Frame::Keepalive);
        match parse(&fixture("eventsub_ws_session_reconnect_docs.json").to_string()) {
            Frame::Reconnect { url } => assert!(url.starts_with("wss://eventsub.wss.twitch.tv")),
            f => panic!("{f:?}"),
        }
        match parse(&fixture("eventsub_ws_revocation_docs.json").to_string()) {
            Frame::Revocation { status, .. } => assert_eq!(status, "authorization_revoked"),
            f => panic!("{f:?}"),
        }
        match parse(&fixture("eventsub_ws_notification_channel_follow_docs.json").to_string()) {
            Frame::Notification { message_id, kind, .. } => {
                assert_eq!(message_id, "befa7b53-d79d-478f-86b9-120f112b044e");
                assert_eq!(kind, "channel.follow");
            }
            f => panic!("{f:?}"),
        }
        assert!(matches!(parse("nope"), Frame::Garbage(_)));
    }

    #[test]
    fn redemption_mapping() {
        let payload = fixture("eventsub_channel_points_redemption_add_notification_payload_docs.json");
        let ev = &payload["event"];
        let inc = redemption(ev, "92af127c-7326-4483-a52b-b0da0be61c01").unwrap();
        assert_eq!(inc.source_id, "17fa2df1-ad76-4804-bfa5-a40ef63efe63");
        assert_eq!(inc.donor.as_deref(), Some("Cooler_User"));
        assert_eq!(inc.message, "pogchamp");
        assert_eq!((inc.amount.as_str(), inc.currency.as_str()), ("100", "POINTS"));
        assert_eq!(inc.message_type, "redemption");
        assert!(redemption(ev, "another-reward").is_none());
    }

    #[test]
    fn cheer_mapping() {
        let payload = fixture("eventsub_channel_cheer_notification_payload_docs.json");
        let inc = cheer(&payload["event"], "m-1", 100, Decimal::new(1, 2)).unwrap();
        assert_eq!(inc.source_id, "m-1");
        assert_eq!(inc.amount, "1000");
        assert_eq!(inc.currency, "BITS");
        assert_eq!(inc.amount_user.as_deref(), Some("10"));
        assert!(cheer(&payload["event"], "m-1", 1001, Decimal::new(1, 2)).is_none());
        let anon = json!({"is_anonymous":true,"user_name":null,"bits":100,"message":"Cheer100 a red fox"});
        let inc = cheer(&anon, "m-2", 100, Decimal::new(1, 2)).unwrap();
        assert_eq!(inc.donor, None);
        assert_eq!(inc.message, "a red fox");
        let only = json!({"is_anonymous":false,"user_name":"x","bits":500,"message":"Cheer100 Kappa400"});
        assert!(cheer(&only, "m-3", 100, Decimal::new(1, 2)).is_none());
    }

    #[test]
    fn cheermotes_are_stripped() {
        assert_eq!(strip_cheermotes("Cheer100 draw a cat Cheer1", 101), "draw a cat");
        assert_eq!(strip_cheermotes("cheer1 hi cheer1", 2), "hi");
        assert_eq!(strip_cheermotes("1000 cats Cheer100", 100), "1000 cats");
        // Words that only look like cheermotes stay when the global ones already make up the bits.
        assert_eq!(strip_cheermotes("Cheer100 draw a B52 over Area51 with R2", 100), "draw a B52 over Area51 with R2");
        // A channel's own cheermote goes when it is what the bits were spent on.
        assert_eq!(strip_cheermotes("Kappa100 a 3d cube, PogChamp50", 150), "a 3d cube,");
        assert_eq!(strip_cheermotes("Hype25 a fox Hype25", 50), "a fox");
        assert_eq!(strip_cheermotes("Hype25 a fox in 2D4", 25), "a fox in 2D4");
    }
}
