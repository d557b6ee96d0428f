//! The legacy Centrifugo v2 JSON protocol (server 2.2.1) as DA runs it.
//!
//! Commands are `{"id","method","params"}` (method 0 = connect is omitted); the server answers with
//! `{"id","result"|"error"}` replies and id-less pushes `{"result":{"type"?,"channel","data"}}`.
//! One text frame may hold several replies separated by `\n`.

use serde_json::{json, Value};

/// Command id of the connect command.
pub(crate) const CONNECT_ID: u64 = 1;
/// Command id of the subscribe command.
pub(crate) const SUBSCRIBE_ID: u64 = 2;

/// `{"params":{"token":…},"id":1}`: must be the first frame (other shapes get 3003 or silence).
pub(crate) fn connect_command(socket_token: &str) -> String {
    json!({ "params": { "token": socket_token }, "id": CONNECT_ID }).to_string()
}

/// `{"params":{"channel":…,"token":…},"method":1,"id":2}`.
pub(crate) fn subscribe_command(channel: &str, channel_token: &str) -> String {
    json!({ "params": { "channel": channel, "token": channel_token }, "method": 1, "id": SUBSCRIBE_ID }).to_string()
}

/// `{"method":7,"id":N}`: the application ping; the reply is `{"id":N}`.
pub(crate) fn ping_command(id: u64) -> String {
    json!({ "method": 7, "id": id }).to_string()
}

/// An error object of a reply: `{"code":103,"message":"permission denied"}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReplyError {
    pub(crate) code: i64,
    pub(crate) message: String,
}

/// One decoded server message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Incoming {
    /// A reply to our command `id`.
    Reply { id: u64, result: Value, error: Option<ReplyError> },
    /// A publication (push type 0) on `channel`; `data` is the publication's `data` (the donation).
    Publication { channel: String, seq: Option<u64>, data: Value },
    /// Push type 3: the server dropped our subscription to `channel`.
    Unsubscribed { channel: String },
    /// Join, leave and other pushes: ignored.
    OtherPush { push_type: i64 },
    /// A line that is not a protocol message at all.
    Garbage { reason: String },
}

/// Splits a text frame on `\n` and decodes every non-empty line.
pub(crate) fn parse_frame(text: &str) -> Vec<Incoming> {
    text.split('\n').map(str::trim).filter(|l| !l.is_empty()).map(parse_line).collect()
}

fn parse_line(line: &str) -> Incoming {
    let v: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return Incoming::Garbage { reason: format!("not JSON ({e})") },
    };
    let Some(obj) = v.as_object() else {
        return Incoming::Garbage { reason: "not a JSON object".into() };
    };
    let id = obj.get("id").and_then(Value::as_u64).unwrap_or(0);
    if id > 0 {
        let error = obj.get("error").filter(|e| !e.is_null()).map(|e| ReplyError {
            code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
            message: e.get("message").and_then(Value::as_str).unwrap_or("").to_string(),
        });
        return Incoming::Reply { id, result: obj.get("result").cloned().unwrap_or(Value::Null), error };
    }
    let Some(result) = obj.get("result").and_then(Value::as_object) else {
        return Incoming::Garbage { reason: "push without a result object".into() };
    };
    let push_type = result.get("type").and_then(Value::as_i64).unwrap_or(0);
    let channel = result.get("channel").and_then(Value::as_str).unwrap_or("").to_string();
    match push_type {
        0 => {
            let publication = result.get("data").cloned().unwrap_or(Value::Null);
            Incoming::Publication {
                channel,
                seq: publication.get("seq").and_then(Value::as_u64),
                data: publication.get("data").cloned().unwrap_or(Value::Null),
            }
        }
        3 => Incoming::Unsubscribed { channel },
        other => Incoming::OtherPush { push_type: other },
    }
}

/// A close frame's JSON advice `{"reason":"…","reconnect":bool}`; `None` if the reason is not JSON.
pub(crate) fn close_advice(reason: &str) -> Option<(String, bool)> {
    let v: Value = serde_json::from_str(reason).ok()?;
    Some((
        v.get("reason").and_then(Value::as_str).unwrap_or("").chars().take(80).collect(),
        v.get("reconnect").and_then(Value::as_bool).unwrap_or(true),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_have_the_documented_shape() {
        assert_eq!(connect_command("t"), r#"{"id":1,"params":{"token":"t"}}"#);
        let sub: Value = serde_json::from_str(&subscribe_command("$alerts:donation_1", "c")).unwrap();
        assert_eq!(sub["method"], 1);
        assert_eq!(sub["id"], 2);
        assert_eq!(sub["params"]["channel"], "$alerts:donation_1");
        assert_eq!(ping_command(9), r#"{"id":9,"method":7}"#);
    }

    #[test]
    fn batched_frame_and_pushes() {
        let frame = "{\"id\":4}\n{\"result\":{\"type\":2,\"channel\":\"c\",\"data\":{}}}\n\n";
        let parsed = parse_frame(frame);
        assert_eq!(parsed.len(), 2);
        assert!(matches!(parsed[0], Incoming::Reply { id: 4, error: None, .. }));
        assert_eq!(parsed[1], Incoming::OtherPush { push_type: 2 });
        let err = parse_frame(r#"{"id":2,"error":{"code":103,"message":"permission denied"}}"#);
        assert!(matches!(&err[0], Incoming::Reply { error: Some(e), .. } if e.code == 103));
        assert!(matches!(parse_frame("}{")[0], Incoming::Garbage { .. }));
        let pubs = parse_frame(r#"{"result":{"channel":"c","data":{"seq":15,"data":{"id":5}}}}"#);
        assert!(matches!(&pubs[0], Incoming::Publication { seq: Some(15), data, .. } if data["id"] == 5));
    }

    #[test]
    fn close_advice_is_read() {
        assert_eq!(
            close_advice(r#"{"reason":"invalid token","reconnect":false}"#),
            Some(("invalid token".to_string(), false))
        );
        assert_eq!(close_advice("bye"), None);
    }
}
