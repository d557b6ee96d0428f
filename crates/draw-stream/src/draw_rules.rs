//! The streamer's rules for who gets a drawing and in what order (DESIGN.md §5b): a minimum amount,
//! a priority tier, a trigger word, and fairness between donors. Pure logic, no I/O: the journal
//! stores what [`DrawRules::admit`] decides when a donation arrives, and orders the queue by it.
//!
//! Screen and generation order is `draw now` first, then tier (priority, normal), then the fair
//! turn, then arrival. With [`Fairness::RoundRobin`] a donor's turn is one more than their own
//! latest waiting turn (or than the turn now on screen), so one viewer sending ten donations gets
//! one drawing per round while everyone else still gets theirs; a viewer on their own keeps
//! arrival order. With [`Fairness::Arrival`] every turn is 0: plain arrival order within a tier.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How donations from the same donor share the screen within a tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fairness {
    /// One drawing per donor per round (anonymous donations are each their own donor).
    #[default]
    RoundRobin,
    /// Arrival order only.
    Arrival,
}

impl Fairness {
    pub fn as_str(self) -> &'static str {
        match self {
            Fairness::RoundRobin => "round-robin",
            Fairness::Arrival => "arrival",
        }
    }
}

impl FromStr for Fairness {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "round-robin" | "round_robin" | "roundrobin" => Ok(Fairness::RoundRobin),
            "arrival" | "off" | "fifo" => Ok(Fairness::Arrival),
            other => Err(format!("{other:?} is not one of round-robin, arrival")),
        }
    }
}

/// The rules in force. Amounts are in the display currency.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DrawRules {
    /// Donations worth less are `ignored` (0: no minimum).
    pub min_amount: Decimal,
    /// Donations worth at least this go ahead of every smaller waiting donation.
    pub priority_min: Option<Decimal>,
    /// When set, only requests containing it (as a whole word, any case) are drawn.
    pub trigger: Option<String>,
    pub fairness: Fairness,
}

/// A donation's tier; the lower number goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    Priority = 0,
    Normal = 1,
}

/// What the rules decide for a donation as it arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Never drawn, no card; kept in the journal with the reason.
    Ignore { reason: String },
    /// Drawn, in this tier; `request` is the text for the planner with the trigger removed
    /// (`None`: the message as it is).
    Draw { tier: Tier, request: Option<String> },
}

/// The currency of a Twitch channel-points redemption of the streamer's own drawing reward. The
/// streamer priced it on Twitch (the reward's cost) and the reward is the request itself, so it
/// passes the minimum and needs no trigger word; points are not money, so it is never priority.
pub const CHANNEL_POINTS: &str = "POINTS";

/// What a donation is worth in the display currency, when that can be known: a source's own
/// valuation (Donation Alerts' `amount_in_user_currency`) or the amount itself when it is already
/// in the display currency. Exchange rates are never guessed.
pub fn worth(amount: &str, currency: &str, amount_user: Option<&str>, display_currency: &str) -> Option<Decimal> {
    let parse = |s: &str| Decimal::from_str(s.trim()).ok();
    match amount_user {
        Some(a) => parse(a),
        None if currency.eq_ignore_ascii_case(display_currency) => parse(amount),
        None => None,
    }
}

/// Everything [`DrawRules::admit`] needs to know about a donation.
#[derive(Debug, Clone, Copy)]
pub struct Offer<'a> {
    pub amount: &'a str,
    pub currency: &'a str,
    pub amount_user: Option<&'a str>,
    /// The request as written (the trigger is looked for here).
    pub message: &'a str,
    /// The display-safe request (the planner's input), from which the trigger is removed.
    pub message_masked: &'a str,
}

impl DrawRules {
    /// Decides a donation's fate under these rules. A donation whose worth cannot be known is
    /// ignored only when there is a minimum to meet (the reason says so, and the streamer can still
    /// draw it with "draw now"); it never enters the priority tier.
    pub fn admit(&self, offer: Offer<'_>, display_currency: &str) -> Admission {
        if offer.currency.eq_ignore_ascii_case(CHANNEL_POINTS) && offer.amount_user.is_none() {
            return Admission::Draw { tier: Tier::Normal, request: None };
        }
        let value = worth(offer.amount, offer.currency, offer.amount_user, display_currency);
        let cur = display_currency;
        if self.min_amount > Decimal::ZERO {
            match value {
                None => {
                    return Admission::Ignore {
                        reason: format!(
                            "worth unknown: {} {} cannot be valued in {cur} (minimum {} {cur})",
                            offer.amount,
                            offer.currency,
                            self.min_amount.normalize()
                        ),
                    }
                }
                Some(v) if v < self.min_amount => {
                    return Admission::Ignore { reason: format!("below minimum {} {cur}", self.min_amount.normalize()) }
                }
                Some(_) => {}
            }
        }
        let request = match &self.trigger {
            None => None,
            Some(t) => match find_word(offer.message, t) {
                None => return Admission::Ignore { reason: format!("no trigger word {t:?}") },
                Some(_) => Some(strip_trigger(offer.message_masked, t)),
            },
        };
        let tier = match (self.priority_min, value) {
            (Some(p), Some(v)) if v >= p => Tier::Priority,
            _ => Tier::Normal,
        };
        Admission::Draw { tier, request }
    }

    /// Checks the rules together (each value was checked on its own when parsed).
    pub fn check(&self) -> Result<(), String> {
        if let Some(p) = self.priority_min {
            if p < self.min_amount {
                return Err(format!(
                    "PRIORITY_MIN_AMOUNT {} is below DRAW_MIN_AMOUNT {}: every drawing would be a priority one",
                    p.normalize(),
                    self.min_amount.normalize()
                ));
            }
        }
        Ok(())
    }
}

/// Parses an amount rule: a plain decimal ≥ 0 (`""` is `None`).
pub fn parse_amount(text: &str) -> Result<Option<Decimal>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let d = Decimal::from_str(t).map_err(|_| format!("{t:?} is not a plain decimal number (like 10 or 2.50)"))?;
    if d < Decimal::ZERO {
        return Err(format!("{t:?} is negative"));
    }
    Ok(Some(d))
}

/// Parses a trigger: trimmed, one word or phrase of at most 40 characters (`""` is `None`).
pub fn parse_trigger(text: &str) -> Result<Option<String>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > 40 {
        return Err(format!("{t:?} is longer than 40 characters"));
    }
    if t.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    if !t.chars().any(char::is_alphanumeric) {
        return Err(format!("{t:?} has no letter or digit; it would match almost anything"));
    }
    Ok(Some(t.to_owned()))
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Lower-cases `s` char by char, remembering each lowered char's byte span in `s` (so a match
/// found in the lowered text maps back exactly, whatever the lengths of the case forms).
fn lowered(s: &str) -> Vec<(char, usize, usize)> {
    let mut out = Vec::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        for l in c.to_lowercase() {
            out.push((l, i, i + c.len_utf8()));
        }
    }
    out
}

/// The byte range of the first whole-word, case-insensitive occurrence of `word` in `text`. "Whole
/// word": no letter, digit or `_` touches it on either side where the trigger itself has one there
/// (so `!draw` matches in `!draw a fox` and `пожалуйста,!draw`, and `draw` does not match `drawing`).
pub fn find_word(text: &str, word: &str) -> Option<(usize, usize)> {
    let hay = lowered(text);
    let needle: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
    let (first, last) = (*needle.first()?, *needle.last()?);
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find_map(|i| {
        let window = &hay[i..i + needle.len()];
        if !window.iter().zip(&needle).all(|((h, _, _), n)| h == n) {
            return None;
        }
        let before_ok = !is_word(first) || i == 0 || !is_word(hay[i - 1].0);
        let after_ok = !is_word(last) || hay.get(i + needle.len()).is_none_or(|(c, _, _)| !is_word(*c));
        (before_ok && after_ok).then(|| (window[0].1, window[needle.len() - 1].2))
    })
}

/// `text` with every occurrence of the trigger removed, and the punctuation and spaces that only
/// joined it to the request trimmed (`"!draw: a fox"` → `"a fox"`).
pub fn strip_trigger(text: &str, trigger: &str) -> String {
    let mut out = text.to_owned();
    while let Some((a, b)) = find_word(&out, trigger) {
        out.replace_range(a..b, " ");
    }
    let joined = out.split_whitespace().collect::<Vec<_>>().join(" ");
    joined.trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ':' | ';' | '-' | '—' | '–')).to_owned()
}

impl fmt::Display for DrawRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "minimum {}", self.min_amount.normalize())?;
        if let Some(p) = self.priority_min {
            write!(f, ", priority from {}", p.normalize())?;
        }
        if let Some(t) = &self.trigger {
            write!(f, ", trigger {t:?}")?;
        }
        write!(f, ", {}", self.fairness.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(min: &str, priority: Option<&str>, trigger: Option<&str>) -> DrawRules {
        DrawRules {
            min_amount: Decimal::from_str(min).unwrap(),
            priority_min: priority.map(|p| Decimal::from_str(p).unwrap()),
            trigger: trigger.map(str::to_owned),
            fairness: Fairness::RoundRobin,
        }
    }

    fn offer<'a>(amount: &'a str, currency: &'a str, user: Option<&'a str>, message: &'a str) -> Offer<'a> {
        Offer { amount, currency, amount_user: user, message, message_masked: message }
    }

    #[test]
    fn below_the_minimum_is_ignored_with_the_minimum_named() {
        let r = rules("10", None, None);
        let a = r.admit(offer("9.99", "USD", None, "a fox"), "USD");
        assert_eq!(a, Admission::Ignore { reason: "below minimum 10 USD".into() });
        assert_eq!(
            r.admit(offer("10", "USD", None, "a fox"), "USD"),
            Admission::Draw { tier: Tier::Normal, request: None }
        );
    }

    #[test]
    fn donation_alerts_is_valued_in_the_streamers_currency_and_unknown_worth_is_never_guessed() {
        let r = rules("100", Some("1000"), None);
        // 2 EUR that DA values at 210 RUB: drawn; 20 EUR at 2100 RUB: priority.
        let two = r.admit(offer("2", "EUR", Some("210"), "a fox"), "RUB");
        assert_eq!(two, Admission::Draw { tier: Tier::Normal, request: None });
        let twenty = r.admit(offer("20", "EUR", Some("2100"), "a fox"), "RUB");
        assert_eq!(twenty, Admission::Draw { tier: Tier::Priority, request: None });
        let Admission::Ignore { reason } = r.admit(offer("5000", "EUR", None, "a fox"), "RUB") else { panic!() };
        assert!(reason.contains("5000 EUR cannot be valued in RUB"), "{reason}");
        // Without a minimum there is nothing to meet: drawn, but never priority.
        let free = rules("0", Some("1000"), None).admit(offer("5000", "EUR", None, "a fox"), "RUB");
        assert_eq!(free, Admission::Draw { tier: Tier::Normal, request: None });
    }

    #[test]
    fn a_channel_points_redemption_is_priced_by_its_reward_and_bits_by_their_value() {
        let r = rules("100", Some("500"), Some("!draw"));
        assert_eq!(
            r.admit(offer("50", CHANNEL_POINTS, None, "a fox"), "RUB"),
            Admission::Draw { tier: Tier::Normal, request: None },
            "the reward is the request: no minimum, no trigger, never priority"
        );
        let cheer = |bits_value: &str| r.admit(offer("1000", "BITS", Some(bits_value), "!draw a fox"), "RUB");
        assert!(matches!(cheer("10"), Admission::Ignore { .. }), "1000 bits valued 10 RUB are below 100 RUB");
        assert!(matches!(cheer("900"), Admission::Draw { tier: Tier::Priority, .. }), "valued 900 RUB: priority");
    }

    #[test]
    fn the_trigger_is_a_whole_word_in_any_case_and_is_removed_from_the_request() {
        let r = rules("0", None, Some("!draw"));
        assert_eq!(
            r.admit(offer("1", "USD", None, "!DRAW: a fox in the snow"), "USD"),
            Admission::Draw { tier: Tier::Normal, request: Some("a fox in the snow".into()) }
        );
        assert!(matches!(r.admit(offer("1", "USD", None, "draw a fox"), "USD"), Admission::Ignore { .. }));
        let ru = rules("0", None, Some("нарисуй"));
        assert_eq!(
            ru.admit(offer("1", "RUB", None, "Привет! НАРИСУЙ лису, пожалуйста"), "RUB"),
            Admission::Draw {
                tier: Tier::Normal, request: Some("Привет! лису, пожалуйста".into())
            }
        );
        let Admission::Ignore { reason } = ru.admit(offer("1", "RUB", None, "нарисуйте лису"), "RUB")
        else {
            panic!("a longer word is not the trigger")
        };
        assert_eq!(reason, "no trigger word \"нарисуй\"");
        let word = rules("0", None, Some("draw"));
        assert!(matches!(word.admit(offer("1", "USD", None, "drawing of a fox"), "USD"), Admission::Ignore { .. }));
        assert_eq!(find_word("I said: draw!", "DRAW"), Some((8, 12)));
    }

    #[test]
    fn case_forms_of_different_lengths_map_back_to_the_right_bytes() {
        // 'İ' lower-cases to two chars; the match after it must still cut at the right place.
        assert_eq!(strip_trigger("İİ !draw a fox", "!draw"), "İİ a fox");
        assert_eq!(strip_trigger("!draw", "!draw"), "");
    }

    #[test]
    fn priority_needs_a_known_worth_at_or_above_the_threshold() {
        let r = rules("0", Some("50"), None);
        assert_eq!(
            r.admit(offer("50", "USD", None, "x"), "USD"),
            Admission::Draw { tier: Tier::Priority, request: None }
        );
        assert_eq!(
            r.admit(offer("49.99", "USD", None, "x"), "USD"),
            Admission::Draw { tier: Tier::Normal, request: None }
        );
    }

    #[test]
    fn values_are_checked_and_name_the_problem() {
        assert_eq!(parse_amount(" ").unwrap(), None);
        assert_eq!(parse_amount("10.50").unwrap(), Some(Decimal::from_str("10.5").unwrap()));
        assert!(parse_amount("-1").unwrap_err().contains("negative"));
        assert!(parse_amount("ten").unwrap_err().contains("not a plain decimal"));
        assert!(parse_trigger("!!!").unwrap_err().contains("no letter"));
        assert_eq!("Arrival".parse::<Fairness>().unwrap(), Fairness::Arrival);
        assert!("random".parse::<Fairness>().unwrap_err().contains("round-robin, arrival"));
        let upside_down = rules("100", Some("50"), None);
        assert!(upside_down.check().unwrap_err().contains("below DRAW_MIN_AMOUNT"));
    }
}
