//! The donation object, as the socket (`result.data.data`) and the REST list (`data[]`) carry it.
//!
//! Parsed leniently: only `id` is required; every other field may be missing, null or of an
//! unexpected type, and the whole object is kept in [`DaDonation::raw`] for logs and later use.

use serde_json::Value;

/// One Donation Alerts donation.
#[derive(Debug, Clone, PartialEq)]
pub struct DaDonation {
    /// DA's alert id, the same on the socket and in the REST list: the dedupe key and watermark.
    pub id: i64,
    /// The donor's display name (`username`); `None` for anonymous donors. DA's `name` field is the
    /// alert type ("Donations"), not the donor, so it is not used here (it stays in `raw`).
    pub donor: Option<String>,
    /// The message; `""` when DA sent none, null or the string `"null"`. `\r\n` becomes `\n`.
    pub message: String,
    /// `"text"` or `"audio"` (an audio message is not a drawing prompt; the service decides).
    pub message_type: String,
    /// The amount in the donor's currency, as the decimal text DA sent (`"22"`, `"1.5"`).
    pub amount: String,
    /// The donor's currency (ISO 4217, e.g. `"USD"`, `"UAH"`); free text, never validated.
    pub currency: String,
    /// The amount in the streamer's main currency (socket payloads; maybe absent on REST): use this
    /// for thresholds.
    pub amount_in_user_currency: Option<String>,
    /// `"YYYY-MM-DD HH:MM:SS"` as DA sent it; the time zone is undocumented, so nothing filters on it.
    pub created_at: Option<String>,
    /// The whole donation object as received, unknown fields included.
    pub raw: Value,
}

impl DaDonation {
    /// Parses a donation object. Fails only when there is no usable `id`.
    pub fn from_value(raw: Value) -> Result<DaDonation, String> {
        let obj = raw.as_object().ok_or_else(|| "donation is not a JSON object".to_string())?;
        let id = obj.get("id").and_then(as_i64).ok_or_else(|| "donation has no numeric id".to_string())?;
        let donor = obj
            .get("username")
            .and_then(as_text)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && s != "null");
        let message = obj
            .get("message")
            .and_then(as_text)
            .filter(|s| s != "null")
            .map(|s| s.replace("\r\n", "\n"))
            .unwrap_or_default();
        let message_type =
            obj.get("message_type").and_then(as_text).filter(|s| !s.is_empty()).unwrap_or_else(|| "text".to_string());
        let amount = obj.get("amount").and_then(as_decimal).unwrap_or_else(|| "0".to_string());
        let currency = obj.get("currency").and_then(as_text).unwrap_or_default();
        let amount_in_user_currency = obj.get("amount_in_user_currency").and_then(as_decimal);
        let created_at = obj.get("created_at").and_then(as_text);
        Ok(DaDonation { id, donor, message, message_type, amount, currency, amount_in_user_currency, created_at, raw })
    }

    /// Whether the message is a voice message (not usable as a drawing prompt).
    pub fn is_audio(&self) -> bool {
        self.message_type.eq_ignore_ascii_case("audio")
    }
}

/// A JSON integer (or integer string) as an `i64`: DA sends ids both ways.
pub(crate) fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A JSON number (or numeric string) as decimal text, exactly as serialized.
fn as_decimal(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty() && t.parse::<f64>().map(|f| f.is_finite()).unwrap_or(false)).then(|| t.to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn anonymous_donor_and_crlf_message() {
        let d = DaDonation::from_value(json!({
            "id": 164405432, "name": "Donations", "username": null,
            "message": "\"hi\"\r\n", "message_type": "text", "amount": 22, "currency": "USD",
            "amount_in_user_currency": 22.5, "created_at": "2025-04-12 07:15:49", "extra": {"x": 1}
        }))
        .unwrap();
        assert_eq!(d.id, 164405432);
        assert_eq!(d.donor, None);
        assert_eq!(d.message, "\"hi\"\n");
        assert_eq!(d.amount, "22");
        assert_eq!(d.amount_in_user_currency.as_deref(), Some("22.5"));
        assert_eq!(d.raw["extra"]["x"], 1);
    }

    #[test]
    fn null_message_and_string_amount() {
        let d = DaDonation::from_value(json!({
            "id": "7", "username": "  ", "message": "null", "amount": "1.50", "message_type": "audio"
        }))
        .unwrap();
        assert_eq!(d.id, 7);
        assert_eq!(d.donor, None);
        assert_eq!(d.message, "");
        assert_eq!(d.amount, "1.50");
        assert!(d.is_audio());
        assert_eq!(d.currency, "");
    }

    #[test]
    fn missing_id_is_an_error() {
        assert!(DaDonation::from_value(json!({"username": "x"})).is_err());
        assert!(DaDonation::from_value(json!([1])).is_err());
    }
}
