//! Intake: the one door every donation comes through (manual API/CLI, demo feed, Donation Alerts).
//!
//! A donation is validated, its display forms are masked, and it is committed to the journal
//! before anyone is told "accepted" — so a crash after the answer cannot lose it, and a second
//! delivery of the same `(source, source_id)` is recognised and ignored.

use rust_decimal::Decimal;
use std::str::FromStr;

use crate::draw_rules::{Admission, DrawRules, Fairness, Offer, Tier};
use crate::journal::{Inserted, NewDonation, Placement, Source, Turn};

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
    pub source_id: String,
    pub donor: Option<String>,
    pub message: String,
    pub amount: String,
    pub currency: String,
    pub amount_user: Option<String>,
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

/// Removes control characters (except newlines become spaces) so a message cannot break the HUD or logs.
fn clean_text(s: &str) -> String {
    s.chars()
        .map(|c| if c == '\n' || c == '\r' || c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Validates an incoming donation and masks its display forms.
///
/// `allow_empty_message` is true for real money sources: a donation without a request is still
/// journaled (and thanked with a card), while the manual API requires a message.
pub fn validate(
    incoming: Incoming,
    allow_empty_message: bool,
    moderator: &moderation::Moderator,
) -> Result<NewDonation, Invalid> {
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
    let verdict = moderator.check_donation(&donor, &message);
    Ok(NewDonation {
        source: incoming.source,
        source_id: incoming.source_id,
        donor_masked: verdict.donor_masked,
        message_masked: verdict.message.masked,
        donor,
        message,
        amount,
        currency,
        amount_user,
        message_type: if incoming.message_type.is_empty() { "text".into() } else { incoming.message_type },
        placement: Placement::default(),
    })
}

/// Names under which donors give anonymously; each such donation counts as its own donor.
const ANONYMOUS: [&str; 4] = ["anonymous", "аноним", "anon", "анонимно"];

/// Where the streamer's drawing rules put a validated donation: ignored (with why), or its tier,
/// its fair turn, and the planner's text with the trigger removed.
pub fn place(rules: &DrawRules, display_currency: &str, d: &NewDonation) -> Placement {
    let offer = Offer {
        amount: &d.amount,
        currency: &d.currency,
        amount_user: d.amount_user.as_deref(),
        message: &d.message,
        message_masked: &d.message_masked,
    };
    match rules.admit(offer, display_currency) {
        Admission::Ignore { reason } => Placement { ignored: Some(reason), ..Placement::default() },
        Admission::Draw { tier, request } => {
            let donor = d.donor.trim().to_lowercase();
            let turn = match rules.fairness {
                Fairness::Arrival => Turn::Arrival,
                Fairness::RoundRobin if ANONYMOUS.contains(&donor.as_str()) => Turn::Anonymous,
                Fairness::RoundRobin => Turn::Donor(donor),
            };
            Placement { ignored: None, priority: tier == Tier::Priority, turn, request }
        }
    }
}

/// Validates and journals one donation, then wakes the moderation stage.
pub async fn admit(
    app: &crate::app::App,
    incoming: Incoming,
    allow_empty_message: bool,
) -> anyhow::Result<Result<Inserted, Invalid>> {
    let mut d = match validate(incoming, allow_empty_message, &app.rules.moderator()) {
        Ok(d) => d,
        Err(e) => return Ok(Err(e)),
    };
    // While the data dir cannot be written, accept nothing new: the pipeline could not carry it on, and
    // the sender keeps it (the API client is told to retry; Donation Alerts catches up later).
    if let Some(problem) = app.storage.problem() {
        anyhow::bail!("{problem}");
    }
    d.placement = place(&app.draw_rules(), &app.settings.display_currency, &d);
    let ignored = d.placement.ignored.clone();
    let inserted = match app.journal.call(move |j| j.insert(&d)).await {
        Ok(i) => i,
        Err(e) => {
            // Disk full, read-only…: the caller answers "try again later" and nothing was accepted.
            app.storage.journal_failed(&e);
            return Err(e.into());
        }
    };
    if inserted.new {
        metrics::counter!("drawstream_donations_received_total").increment(1);
        match ignored {
            Some(reason) => {
                metrics::counter!("drawstream_transitions_total", "to" => "ignored").increment(1);
                tracing::info!(donation = inserted.id, reason = %reason, "donation journaled and ignored (drawing rules)");
            }
            None => {
                tracing::info!(donation = inserted.id, "donation journaled");
                app.wake.moderate.notify_one();
            }
        }
    }
    Ok(Ok(inserted))
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
    fn messages_are_cleaned_bounded_and_masked() {
        let m = moderation::Moderator::with_rules(&moderation::parse_rules("profanity ^heck$").unwrap()).unwrap();
        let validate = |i, empty| super::validate(i, empty, &m);
        let d = validate(incoming("5", "  draw a fox\u{0007}\nin snow "), false).unwrap();
        assert_eq!(d.message, "draw a fox in snow");
        assert_eq!(d.donor, "Anonymous");
        assert_eq!(d.currency, "USD");
        assert_eq!(validate(incoming("5", "   "), false).unwrap_err().field, "message");
        assert!(validate(incoming("5", ""), true).is_ok(), "DA donations without text are kept");
        let long = "a".repeat(MAX_MESSAGE_CHARS + 1);
        assert!(validate(incoming("5", &long), false).unwrap_err().rule.contains("2001 characters"));
        let rude = validate(incoming("5", "draw a fucking cat"), false).unwrap();
        assert_ne!(rude.message_masked, rude.message, "profanity is masked for display");
        assert_eq!(rude.message, "draw a fucking cat", "the original text is kept for the planner");
        let own = validate(incoming("5", "oh heck, a cat"), false).unwrap();
        assert_eq!(own.message_masked, "oh h***, a cat", "the streamer's profanity rules mask too");
    }
}
