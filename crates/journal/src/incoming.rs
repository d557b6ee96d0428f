//! A donation as a source hands it over, and the checks it must pass before it enters the journal.
//!
//! Validation is pure: it cleans and bounds the text, parses the amount and the currency, and names
//! the field and the rule when something is wrong. Masking for display is the service's job (it
//! needs the moderator); [`validate`] leaves the masked forms equal to the plain ones.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::{NewDonation, Placement, Source};

/// Longest message accepted (the original's API limit).
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// Longest donor name accepted (the original's API limit).
pub const MAX_DONOR_CHARS: usize = 120;
/// Largest amount accepted; anything above is a typo or an attack.
pub const MAX_AMOUNT: i64 = 1_000_000_000;

/// A donation as a source hands it over, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub source: Source,
    /// The source's own id: `(source, source_id)` is the dedupe key.
    pub source_id: String,
    pub donor: Option<String>,
    pub message: String,
    /// Decimal text in `currency`.
    pub amount: String,
    pub currency: String,
    /// The amount in the streamer's main currency, when the source knows it.
    pub amount_user: Option<String>,
    /// `text` unless the source says otherwise (Donation Alerts `audio`; Twitch `redemption`, `cheer`).
    pub message_type: String,
}

/// Why a donation was not accepted; the text names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct Invalid {
    pub field: &'static str,
    pub rule: String,
}

fn invalid(field: &'static str, rule: impl Into<String>) -> Invalid {
    Invalid { field, rule: rule.into() }
}

/// Parses and normalises an amount: a positive decimal, at most 2 fraction digits kept.
pub fn parse_amount(text: &str) -> Result<String, Invalid> {
    let t = text.trim();
    if t.contains(['e', 'E']) {
        return Err(invalid("amount", format!("{t:?}: write the amount as a plain decimal (no exponent)")));
    }
    let d = Decimal::from_str(t).map_err(|_| invalid("amount", format!("{t:?} is not a decimal number")))?;
    if d <= Decimal::ZERO {
        return Err(invalid("amount", "must be greater than 0"));
    }
    if d > Decimal::from(MAX_AMOUNT) {
        return Err(invalid("amount", format!("must be at most {MAX_AMOUNT}")));
    }
    Ok(d.round_dp(2).normalize().to_string())
}

/// Checks a currency code: 1–8 ASCII letters, returned upper-case.
pub fn parse_currency(text: &str) -> Result<String, Invalid> {
    let t = text.trim();
    if t.is_empty() || t.len() > 8 || !t.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(invalid("currency", format!("{t:?} is not a currency code (1-8 letters, e.g. USD, RUB)")));
    }
    Ok(t.to_ascii_uppercase())
}

/// Removes control characters (newlines and tabs become spaces) so a message cannot break the HUD or logs.
pub fn clean_text(s: &str) -> String {
    s.chars()
        .map(|c| if c == '\n' || c == '\r' || c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Validates an incoming donation. The masked forms are the plain ones; the service masks them.
///
/// `allow_empty_message` is true for real money sources: a donation without a request is still
/// journaled (and thanked with a card), while the manual API requires a message.
pub fn validate(incoming: Incoming, allow_empty_message: bool) -> Result<NewDonation, Invalid> {
    let message = clean_text(&incoming.message);
    let chars = message.chars().count();
    if chars == 0 && !allow_empty_message {
        return Err(invalid("message", "must not be empty"));
    }
    if chars > MAX_MESSAGE_CHARS {
        return Err(invalid("message", format!("is {chars} characters; at most {MAX_MESSAGE_CHARS} are accepted")));
    }
    let donor = clean_text(incoming.donor.as_deref().unwrap_or(""));
    let donor = if donor.is_empty() { "Anonymous".to_owned() } else { donor };
    let donor_chars = donor.chars().count();
    if donor_chars > MAX_DONOR_CHARS {
        return Err(invalid("donor", format!("is {donor_chars} characters; at most {MAX_DONOR_CHARS} are accepted")));
    }
    if incoming.source_id.is_empty() || incoming.source_id.len() > 200 {
        return Err(invalid("source_id", "must be 1-200 bytes"));
    }
    let amount = parse_amount(&incoming.amount)?;
    let currency = parse_currency(&incoming.currency)?;
    let amount_user = match incoming.amount_user {
        Some(a) => Some(parse_amount(&a)?),
        None => None,
    };
    Ok(NewDonation {
        source: incoming.source,
        source_id: incoming.source_id,
        donor_masked: donor.clone(),
        message_masked: message.clone(),
        donor,
        message,
        amount,
        currency,
        amount_user,
        message_type: if incoming.message_type.is_empty() { "text".into() } else { incoming.message_type },
        placement: Placement::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incoming(amount: &str, message: &str) -> Incoming {
        Incoming {
            source: Source::MANUAL,
            source_id: "x".into(),
            donor: None,
            message: message.into(),
            amount: amount.into(),
            currency: "usd".into(),
            amount_user: None,
            message_type: String::new(),
        }
    }

    #[test]
    fn amounts_are_positive_decimals() {
        assert_eq!(parse_amount("5").unwrap(), "5");
        assert_eq!(parse_amount("150.50").unwrap(), "150.5");
        assert_eq!(parse_amount(" 0.015 ").unwrap(), "0.02");
        assert_eq!(parse_amount("-1").unwrap_err().to_string(), "amount: must be greater than 0");
        assert!(parse_amount("1e3").is_err());
        assert!(parse_amount("NaN").is_err());
        assert!(parse_amount("99999999999").is_err());
    }

    #[test]
    fn messages_are_cleaned_and_bounded() {
        let d = validate(incoming("5", "  draw a fox\u{0007}\nin snow "), false).unwrap();
        assert_eq!(d.message, "draw a fox in snow");
        assert_eq!(d.donor, "Anonymous");
        assert_eq!(d.currency, "USD");
        assert_eq!(d.message_type, "text");
        assert_eq!(validate(incoming("5", "   "), false).unwrap_err().field, "message");
        assert!(validate(incoming("5", ""), true).is_ok(), "money sources keep donations without text");
        let long = "a".repeat(MAX_MESSAGE_CHARS + 1);
        assert!(validate(incoming("5", &long), false).unwrap_err().rule.contains("2001 characters"));
        let mut no_id = incoming("5", "a cat");
        no_id.source_id.clear();
        assert_eq!(validate(no_id, false).unwrap_err().field, "source_id");
    }
}
