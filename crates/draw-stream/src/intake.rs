//! Intake: the one door every donation comes through (manual API/CLI, demo feed, Donation Alerts).
//!
//! A donation is validated, its display forms are masked, and it is committed to the journal
//! before anyone is told "accepted" — so a crash after the answer cannot lose it, and a second
//! delivery of the same `(source, source_id)` is recognised and ignored.

use crate::draw_rules::{Admission, DrawRules, Fairness, Offer, Tier};
use crate::journal::{Inserted, NewDonation, Placement, Turn};

pub use crate::journal::{Incoming, Invalid, MAX_MESSAGE_CHARS};

/// Validates an incoming donation (the journal's rules) and masks its display forms.
///
/// `allow_empty_message` is true for real money sources: a donation without a request is still
/// journaled (and thanked with a card), while the manual API requires a message.
pub fn validate(
    incoming: Incoming,
    allow_empty_message: bool,
    moderator: &moderation::Moderator,
) -> Result<NewDonation, Invalid> {
    let mut d = crate::journal::validate(incoming, allow_empty_message)?;
    let verdict = moderator.check_donation(&d.donor, &d.message);
    d.donor_masked = verdict.donor_masked;
    d.message_masked = verdict.message.masked;
    Ok(d)
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
    use crate::journal::Source;

    fn incoming(message: &str) -> Incoming {
        Incoming {
            source: Source::MANUAL,
            source_id: "x".into(),
            donor: None,
            message: message.into(),
            amount: "5".into(),
            currency: "usd".into(),
            amount_user: None,
            message_type: String::new(),
        }
    }

    #[test]
    fn display_forms_are_masked_and_the_original_is_kept() {
        let m = moderation::Moderator::with_rules(&moderation::parse_rules("profanity ^heck$").unwrap()).unwrap();
        let rude = validate(incoming("draw a fucking cat"), false, &m).unwrap();
        assert_ne!(rude.message_masked, rude.message, "profanity is masked for display");
        assert_eq!(rude.message, "draw a fucking cat", "the original text is kept for the planner");
        let own = validate(incoming("oh heck, a cat"), false, &m).unwrap();
        assert_eq!(own.message_masked, "oh h***, a cat", "the streamer's profanity rules mask too");
        assert_eq!(validate(incoming("  "), false, &m).unwrap_err().field, "message");
    }
}
