//! A StreamElements tip (Astro `channel.tips` `data` and REST `docs[]` share the shape), read
//! leniently, and its mapping to the journal's [`Incoming`].
//!
//! Nothing here keeps or logs the donor's e-mail (`donation.user.email`): only the fields below
//! are read out of the payload.

use serde_json::Value;
use source::Incoming;

use crate::SOURCE;

/// Moderation state of a tip (`approved`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Approval {
    Allowed,
    Pending,
    /// `rejected` or anything unknown: never drawn.
    Other,
}

/// The parts of a tip this source uses.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tip {
    pub(crate) id: String,
    /// `createdAt` in milliseconds since the Unix epoch (None when missing or unreadable).
    pub(crate) created_ms: Option<i64>,
    pub(crate) approval: Approval,
    pub(crate) deleted: bool,
    /// The payment's `status` says it did not go through (`failed`, `refunded`, …). Absent or any
    /// other value (`success` in every documented example) is taken as paid.
    pub(crate) failed: bool,
    pub(crate) incoming: Incoming,
}

impl Tip {
    /// Whether the tip is to be drawn: `allowed`, not deleted, and its payment did not fail.
    pub(crate) fn drawable(&self) -> bool {
        self.approval == Approval::Allowed && !self.deleted && !self.failed
    }
}

/// Reads a tip object. `Err` names what is missing (never echoes the payload).
pub(crate) fn parse_tip(v: &Value) -> Result<Tip, &'static str> {
    let id = v.get("_id").and_then(Value::as_str).filter(|s| !s.is_empty()).ok_or("tip without _id")?;
    let donation = v.get("donation").ok_or("tip without donation")?;
    // An amount that cannot be read still reaches the journal as written, which keeps the tip as
    // `failed` with the reason (visible on the panel) instead of it vanishing here.
    let amount = donation.get("amount").map_or_else(String::new, |a| {
        amount_text(a).unwrap_or_else(|| a.as_str().map(str::to_owned).unwrap_or_else(|| a.to_string()))
    });
    let currency = donation.get("currency").and_then(Value::as_str).unwrap_or_default().to_string();
    let message = donation.get("message").and_then(Value::as_str).unwrap_or_default().to_string();
    let donor = donation
        .get("user")
        .and_then(|u| u.get("username"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let approval = match v.get("approved").and_then(Value::as_str) {
        Some("allowed") => Approval::Allowed,
        Some("pending") => Approval::Pending,
        _ => Approval::Other,
    };
    let deleted = v.get("deleted").and_then(Value::as_bool).unwrap_or(false);
    let failed = matches!(
        v.get("status").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref(),
        Some("failed" | "refunded" | "canceled" | "cancelled" | "chargeback" | "reversed" | "error")
    );
    let created_ms = v.get("createdAt").and_then(Value::as_str).and_then(parse_iso_ms);
    Ok(Tip {
        id: id.to_string(),
        created_ms,
        approval,
        deleted,
        failed,
        incoming: Incoming {
            source: SOURCE,
            source_id: id.to_string(),
            donor,
            message,
            amount,
            currency,
            amount_user: None,
            message_type: "text".to_string(),
        },
    })
}

fn amount_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => n.as_f64().map(format_amount),
        // Lenient: a numeric string is read the same way.
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(format_amount),
        _ => None,
    }
}

/// A float amount as a plain decimal: no exponent, at most 2 decimals, no trailing zeros
/// (`4.2` → `4.2`, `10.0` → `10`, `0.1 + 0.2` → `0.3`).
pub fn format_amount(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let text = format!("{value:.2}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// Parses an RFC 3339 time (`2025-02-19T15:07:09.302Z`, any offset; without one it is UTC) into
/// milliseconds since the epoch.
pub(crate) fn parse_iso_ms(s: &str) -> Option<i64> {
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => Some(t.timestamp_millis()),
        Err(_) => chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|t| t.and_utc().timestamp_millis()),
    }
}

/// Formats milliseconds since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` (what StreamElements writes).
pub(crate) fn format_iso_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn float_amounts_become_clean_decimals() {
        assert_eq!(format_amount(4.2), "4.2");
        assert_eq!(format_amount(10.0), "10");
        assert_eq!(format_amount(0.1 + 0.2), "0.3");
        assert_eq!(format_amount(100.0), "100");
        assert_eq!(format_amount(1.005 * 1000.0), "1005");
        assert_eq!(format_amount(2.50), "2.5");
        assert_eq!(format_amount(0.999), "1");
        assert_eq!(format_amount(1e21), "1000000000000000000000");
        assert_eq!(format_amount(1e-7), "0");
        assert!(!format_amount(123456789.12).contains('e'));
    }

    #[test]
    fn iso_round_trip() {
        let ms = parse_iso_ms("2025-02-19T15:07:09.302Z").unwrap();
        assert_eq!(ms, 1_739_977_629_302);
        assert_eq!(format_iso_ms(ms), "2025-02-19T15:07:09.302Z");
        assert_eq!(parse_iso_ms("2018-12-07T17:19:01.957Z").map(format_iso_ms).unwrap(), "2018-12-07T17:19:01.957Z");
        assert_eq!(parse_iso_ms("2025-02-19T15:07:17Z").unwrap(), 1_739_977_637_000);
        assert_eq!(parse_iso_ms("2025-02-19T17:07:17+02:00").unwrap(), 1_739_977_637_000);
        assert_eq!(parse_iso_ms("2025-02-19T15:07:17.5Z").unwrap() % 1000, 500);
        assert_eq!(format_iso_ms(0), "1970-01-01T00:00:00.000Z");
        assert!(parse_iso_ms("yesterday").is_none());
        assert!(parse_iso_ms("2025-13-19T15:07:17Z").is_none());
    }

    #[test]
    fn tip_fields() {
        let t = parse_tip(&json!({
            "_id": "67b5f39d07ecd4c594e60f73",
            "donation": {"user": {"username": "  ", "email": "a@b.c"}, "message": "hi", "amount": 10, "currency": "EUR"},
            "approved": "rejected", "deleted": true, "createdAt": "2025-02-19T15:07:09.302Z"
        }))
        .unwrap();
        assert_eq!(t.incoming.donor, None);
        assert_eq!(t.incoming.amount, "10");
        assert_eq!(t.approval, Approval::Other);
        assert!(t.deleted && !t.drawable());
        assert!(!format!("{t:?}").contains("a@b.c"));
        assert!(parse_tip(&json!({"donation": {"amount": 1}})).is_err());
        let odd = parse_tip(&json!({"_id": "x", "donation": {"amount": "lots"}})).unwrap();
        assert_eq!(odd.incoming.amount, "lots", "kept as written: the journal records it as malformed, with why");
    }
}
