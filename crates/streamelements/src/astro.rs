//! Frames of the Astro WebSocket protocol (JSON text frames; binary frames are ignored).
//!
//! ```text
//! server: {"id","ts","type":"welcome","data":{"message","client_id"}}
//! client: {"type":"subscribe","nonce":…,"data":{"topic","room","token","token_type"}}
//! server: {"type":"response","nonce":…,"data":{"message","topic","room"}}            (ok)
//!         {"type":"response","nonce":…,"error":"err_unauthorized","data":{"message"}} (refused)
//! server: {"id","ts","type":"message","topic":"channel.tips","room","data":{…tip…}}
//! server: {"type":"reconnect","data":{"message","reconnect_token"}}
//! ```

use serde_json::{json, Value};

/// Tips as they are made (scope `tips:read`).
pub(crate) const TOPIC_TIPS: &str = "channel.tips";
/// Tip moderation: `pending` → `allowed` / `rejected` (scope `tips:moderation`).
pub(crate) const TOPIC_MODERATION: &str = "channel.tips.moderation";

/// One server frame, as far as this source cares.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Frame {
    Welcome,
    Response { nonce: String, error: Option<String>, message: String },
    Message { topic: String, data: Value },
    Reconnect { token: Option<String> },
    Other { kind: String },
    Garbage,
}

pub(crate) fn parse(text: &str) -> Frame {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return Frame::Garbage;
    };
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    match v.get("type").and_then(Value::as_str) {
        Some("welcome") => Frame::Welcome,
        Some("response") => Frame::Response {
            nonce: s(v.get("nonce")).unwrap_or_default(),
            error: s(v.get("error")).filter(|e| !e.is_empty()),
            message: s(v.pointer("/data/message")).unwrap_or_default(),
        },
        Some("message") => Frame::Message {
            topic: s(v.get("topic")).unwrap_or_default(),
            data: v.get("data").cloned().unwrap_or(Value::Null),
        },
        Some("reconnect") => {
            Frame::Reconnect { token: s(v.pointer("/data/reconnect_token")).filter(|t| !t.is_empty()) }
        }
        Some(other) => Frame::Other { kind: other.to_string() },
        None => Frame::Garbage,
    }
}

pub(crate) fn subscribe(nonce: &str, topic: &str, room: &str, token: &str, token_type: &str) -> String {
    json!({
        "type": "subscribe",
        "nonce": nonce,
        "data": {"topic": topic, "room": room, "token": token, "token_type": token_type},
    })
    .to_string()
}

/// How to react to a refused subscribe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `err_unauthorized`: the token is wrong or was regenerated.
    Unauthorized,
    /// `err_deadline_exceeded`, `rate_limit_exceeded`, `err_internal_error`: retry with backoff.
    Transient,
    /// `err_bad_request`, `invalid_message_type`, anything else: retry slowly.
    Other,
}

pub(crate) fn refusal(error: &str) -> Refusal {
    match error {
        "err_unauthorized" => Refusal::Unauthorized,
        "err_deadline_exceeded" | "rate_limit_exceeded" | "err_internal_error" => Refusal::Transient,
        _ => Refusal::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    #[test]
    fn documented_frames_parse() {
        assert_eq!(parse(&fixture("astro_welcome_docs.json")), Frame::Welcome);
        assert_eq!(
            parse(&fixture("astro_subscribe_response_ok_docs.json")),
            Frame::Response {
                nonce: "req-001".into(),
                error: None,
                message: "successfully subscribed to topic".into()
            }
        );
        match parse(&fixture("astro_error_response_docs.json")) {
            Frame::Response { error: Some(e), .. } => assert_eq!(refusal(&e), Refusal::Other),
            f => panic!("{f:?}"),
        }
        assert_eq!(
            parse(&fixture("astro_reconnect_docs.json")),
            Frame::Reconnect { token: Some("eyJhbGciOiJIUzI1NiIs...".into()) }
        );
        match parse(&fixture("astro_channel_tips_message_docs.json")) {
            Frame::Message { topic, data } => {
                assert_eq!(topic, TOPIC_TIPS);
                assert_eq!(data["_id"], "67b5f39d07ecd4c594e60f73");
            }
            f => panic!("{f:?}"),
        }
        assert_eq!(parse("}{"), Frame::Garbage);
        assert_eq!(refusal("err_unauthorized"), Refusal::Unauthorized);
        assert_eq!(refusal("err_deadline_exceeded"), Refusal::Transient);
        assert_eq!(refusal("rate_limit_exceeded"), Refusal::Transient);
    }

    #[test]
    fn subscribe_has_the_documented_shape() {
        let ours: Value =
            serde_json::from_str(&subscribe("req-001", "channel.activities", "603abc123", "eyJhbGc...", "jwt"))
                .unwrap();
        let doc: Value = serde_json::from_str(&fixture("astro_subscribe_request_docs.json")).unwrap();
        assert_eq!(ours, doc);
    }
}
