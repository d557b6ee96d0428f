//! On-air safety for donation texts (pure logic, no I/O).
//!
//! [`check`] returns a [`Verdict`]: `allow`; `profanity` (a fine request in rude words: draw it, but
//! show `masked` wherever the text appears); or `block` with a [`Category`]. [`check_donation`] checks
//! the donor name too: a bad name is masked, it never blocks the drawing by itself. A streamer's own
//! rules ([`parse_rules`], [`Moderator::with_rules`]) can also say `hold`: wait for a moderator.
//!
//! ```
//! use moderation::{check, Category, VerdictKind};
//!
//! let v = check("нарисуй кота, бл*ть");
//! assert_eq!(v.verdict, VerdictKind::Profanity);
//! assert_eq!(v.masked, "нарисуй кота, б****");
//!
//! let v = check("draw a n u d e girl");
//! assert_eq!((v.verdict, v.category), (VerdictKind::Block, Some(Category::Sexual)));
//! ```
//!
//! # Layout
//! * `normalize` — NFKC, case folding, `ё`→`е`, invisible characters dropped, spread-out letters
//!   joined ("п и з д а"); every normalised letter remembers the original characters it came from.
//! * `pattern` — the small pattern language of the word lists, compiled to regexes that accept
//!   look-alike letters from the other script, leetspeak digits, repeats and `*`.
//! * `lexicon` — the Russian and English lists: roots of bad words with their category, words about
//!   children, and a whitelist of innocent words that contain bad-looking parts.
//! * `translit` — whether a text's Latin words are also read as Russian in transliteration
//!   ("narisuy goluyu devushku"); the Russian lists are compiled for that reading too.
//! * `matcher` — runs the compiled lists over the normalised text.
//! * `pii` — doxxing: phone and document numbers, and addresses, schools or profiles together with a
//!   call to find or contact someone, found in the text as written.
//! * `mask` — stars the matched words and nothing else.
//! * `rules` — the streamer's rules file (`ACTION PATTERN` per line).
//! * this file — the verdict: whitelist first, then the worst category wins, and sexual or suggestive
//!   content, or a child put in danger, together with a word about children is always `minors`; signs that block only in pairs
//!   (praise + an attack, a bomb + a crowd, a means + despair, two drug slang words, a suggestive act + a
//!   wink) are combined here; a word for someone who sells sex is `sexual` only if nothing else blocks.

mod lexicon;
mod mask;
mod matcher;
mod normalize;
mod pattern;
mod pii;
mod rules;
mod translit;

use std::sync::OnceLock;

use serde::Serialize;

use lexicon::Effect;
pub use matcher::PatternError;
use matcher::{Entry, Hit, Lexicon};
pub use rules::{parse_rules, RuleError};

/// What moderation decided about one text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    Allow,
    Profanity,
    /// A streamer's `hold` rule matched: a moderator decides (the built-in lists never hold).
    Hold,
    Block,
}

impl VerdictKind {
    /// The name used in JSON (`"allow"`, `"profanity"`, `"hold"`, `"block"`).
    pub fn as_str(&self) -> &'static str {
        match self {
            VerdictKind::Allow => "allow",
            VerdictKind::Profanity => "profanity",
            VerdictKind::Hold => "hold",
            VerdictKind::Block => "block",
        }
    }
}

/// Why a text is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Sexual,
    Minors,
    Gore,
    Hate,
    SelfHarm,
    Drugs,
    Extremism,
    Doxxing,
    Other,
}

impl Category {
    /// Every category, worst first: when a text has several, the first one here is reported.
    ///
    /// `minors` > `sexual` > `extremism` > `hate` > `gore` > `self_harm` > `drugs` > `doxxing` > `other`:
    /// sexual content with children is the worst; a call to kill a people (extremism) outranks the slur
    /// it is written with (hate); a glorified attack outranks its blood (gore); doxxing ranks below the
    /// picture-content categories because it is about the words shown, not what is drawn. (A word for
    /// someone who sells sex is the one `sexual` sign that yields to every other category.)
    pub const ALL: [Category; 9] = [
        Category::Minors,
        Category::Sexual,
        Category::Extremism,
        Category::Hate,
        Category::Gore,
        Category::SelfHarm,
        Category::Drugs,
        Category::Doxxing,
        Category::Other,
    ];

    /// The name used in JSON (`"sexual"`, …, `"self_harm"`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Category::Sexual => "sexual",
            Category::Minors => "minors",
            Category::Gore => "gore",
            Category::Hate => "hate",
            Category::SelfHarm => "self_harm",
            Category::Drugs => "drugs",
            Category::Extremism => "extremism",
            Category::Doxxing => "doxxing",
            Category::Other => "other",
        }
    }

    /// Parses the JSON name back (`"self_harm"` → `SelfHarm`).
    pub fn parse(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// The verdict on one text, with the text as it may be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub verdict: VerdictKind,
    pub category: Option<Category>,
    /// The text with every profane or blocked word starred; equal to the input when allowed.
    pub masked: String,
    /// The streamer's rule (its pattern) behind a `hold`, or behind a `block` or `profanity` that no
    /// built-in entry found; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// The verdict on a donation: the message decides; the donor name is only masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DonationVerdict {
    /// The verdict on the message (this decides allow / profanity / block).
    pub message: Verdict,
    /// The donor name with any bad word starred (a bad name never blocks the drawing).
    pub donor_masked: String,
}

/// What a streamer's own rule does when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAction {
    /// The words it matches are innocent here: bad matches inside them are dropped.
    Allow,
    /// Drawable but masked.
    Profanity,
    /// Waits for a moderator's approval (unless something else blocks it); not masked.
    Hold,
    /// Never drawn.
    Block(Category),
}

/// A streamer's own rule, in the pattern language of the built-in lists (see the crate README);
/// [`parse_rules`] reads them from a rules file's text.
/// plain lowercase words, `^`/`$` for the start and end of a word, `~` for "the rest of the word".
/// A pattern with Cyrillic letters applies to Russian words, otherwise to English ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub pattern: String,
    pub action: RuleAction,
}

/// The word layer: the built-in lists plus any custom rules, compiled once.
#[derive(Debug)]
pub struct Moderator {
    /// The compiled lists (built-in entries first, custom ones after).
    lexicon: Lexicon,
    /// The custom rules' patterns, indexed by `Hit::rule`.
    rules: Vec<String>,
    /// Phone numbers, addresses and other personal data (`doxxing`).
    pii: pii::Pii,
}

impl Moderator {
    /// The built-in lists only.
    pub fn new() -> Moderator {
        Moderator::with_rules(&[]).expect("the built-in word lists compile")
    }

    /// The built-in lists plus `rules`.
    pub fn with_rules(rules: &[Rule]) -> Result<Moderator, PatternError> {
        let own = |list: &[(&str, Effect)]| -> Vec<Entry> {
            list.iter().map(|(p, e)| Entry { pattern: p.to_string(), effect: *e, rule: None }).collect()
        };
        let mut cyr = own(lexicon::RU);
        let mut lat = own(lexicon::EN);
        let mut tr: Vec<Entry> =
            own(lexicon::RU).into_iter().filter(|e| !lexicon::TRANSLIT_SKIP.contains(&e.pattern.as_str())).collect();
        tr.extend(own(lexicon::TRANSLIT));
        let mut patterns = Vec::with_capacity(rules.len());
        for (index, rule) in rules.iter().enumerate() {
            let pattern = rule.pattern.trim().to_lowercase();
            if pattern.is_empty() {
                return Err(PatternError { pattern: rule.pattern.clone(), message: "empty pattern".into() });
            }
            let effect = match rule.action {
                RuleAction::Allow => Effect::Allow,
                RuleAction::Profanity => Effect::Profanity,
                RuleAction::Hold => Effect::Hold,
                RuleAction::Block(c) => Effect::Block(c),
            };
            let entry = Entry { pattern: pattern.clone(), effect, rule: Some(index) };
            let has_cyr = pattern.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
            let has_lat = pattern.chars().any(|c| c.is_ascii_alphabetic());
            if has_cyr || !has_lat {
                cyr.push(entry.clone());
            }
            if has_cyr {
                tr.push(entry.clone());
            }
            if has_lat || !has_cyr {
                lat.push(entry);
            }
            patterns.push(pattern);
        }
        Ok(Moderator { lexicon: Lexicon::new(&cyr, &lat, &tr)?, rules: patterns, pii: pii::Pii::new() })
    }

    /// How many custom rules this moderator has.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Checks one text.
    pub fn check(&self, text: &str) -> Verdict {
        let norm = normalize::normalize(text);
        let mut hits = self.lexicon.find(&norm);
        for chars in self.pii.find(text) {
            // The letters whose original characters lie in the span (digits are letters here).
            let mut inside = norm.letters.iter().enumerate().filter(|(_, u)| chars.contains(&u.orig.start));
            let letters = match (inside.next(), inside.next_back()) {
                (Some((a, _)), Some((b, _))) => a..b + 1,
                (Some((a, _)), None) => a..a + 1,
                _ => 0..0,
            };
            hits.push(Hit { letters, effect: Effect::Block(Category::Doxxing), rule: None });
        }
        decide(text, &norm, &hits, &self.rules)
    }

    /// Checks a donation: the message's verdict decides; the donor name is only masked.
    pub fn check_donation(&self, donor: &str, message: &str) -> DonationVerdict {
        DonationVerdict { message: self.check(message), donor_masked: self.check(donor).masked }
    }
}

impl Default for Moderator {
    fn default() -> Self {
        Moderator::new()
    }
}

fn default_moderator() -> &'static Moderator {
    static DEFAULT: OnceLock<Moderator> = OnceLock::new();
    DEFAULT.get_or_init(Moderator::new)
}

/// Checks one text with the built-in lists.
pub fn check(text: &str) -> Verdict {
    default_moderator().check(text)
}

/// Checks a donation with the built-in lists: the message decides allow / profanity / block; a bad
/// donor name is masked in `donor_masked` and does not block the drawing by itself.
pub fn check_donation(donor: &str, message: &str) -> DonationVerdict {
    default_moderator().check_donation(donor, message)
}

fn inside(inner: &std::ops::Range<usize>, outer: &std::ops::Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// Turns the raw matches into the verdict and the masked text; `rules` are the custom patterns.
///
/// Block wins over hold, hold over profanity. A custom rule is named in the verdict when it decided
/// it: any hold, or a block or profanity that no built-in entry of the same effect found.
fn decide(text: &str, norm: &normalize::Normalized, hits: &[Hit], rules: &[String]) -> Verdict {
    // A streamer's `allow` rule never makes a `minors` word drawable.
    let allowed = |h: &Hit| {
        hits.iter().any(|a| {
            a.effect == Effect::Allow
                && inside(&h.letters, &a.letters)
                && !(a.rule.is_some() && h.effect == Effect::Block(Category::Minors))
        }) || (h.effect == Effect::Block(Category::Sexual)
            && hits.iter().any(|a| a.effect == Effect::NotSexual && inside(&h.letters, &a.letters)))
    };
    let mut bad: Vec<std::ops::Range<usize>> = Vec::new();
    let mut counted: Vec<&Hit> = Vec::new();
    let (mut minor, mut suggestive) = (false, false);
    let (mut innuendo, mut adult, mut intimacy) = (false, false, false);
    // A child put in danger: `minors` only with a word about children.
    let mut dangers: Vec<&Hit> = Vec::new();
    let mut acts: Vec<&Hit> = Vec::new();
    // Words for someone who sells sex: `sexual` only when nothing else blocks.
    let mut sex_work: Vec<&Hit> = Vec::new();
    // Signs that block only in pairs: praise + attack, means + despair, two drug slang words, a bomb
    // + a crowd.
    let mut pairs: [Vec<&Hit>; 7] = Default::default();
    for h in hits {
        match h.effect {
            Effect::MinorContext => minor = true,
            Effect::Suggestive => suggestive = true,
            Effect::Innuendo => innuendo = true,
            Effect::SuggestiveAct => acts.push(h),
            Effect::AdultRole => adult = true,
            Effect::Glorify
            | Effect::Violent
            | Effect::HarmMeans
            | Effect::HarmMood
            | Effect::DrugHint
            | Effect::Bomb
            | Effect::Crowd
            | Effect::Intimacy
            | Effect::Danger
            | Effect::SexWork
                if allowed(h) => {}
            Effect::Intimacy => intimacy = true,
            Effect::Danger => dangers.push(h),
            Effect::SexWork => {
                sex_work.push(h);
                bad.push(h.letters.clone());
            }
            Effect::Glorify => pairs[0].push(h),
            Effect::Violent => pairs[1].push(h),
            Effect::HarmMeans => pairs[2].push(h),
            Effect::HarmMood => pairs[3].push(h),
            Effect::DrugHint => pairs[4].push(h),
            Effect::Bomb => pairs[5].push(h),
            Effect::Crowd => pairs[6].push(h),
            Effect::Allow | Effect::NotSexual => {}
            Effect::Profanity | Effect::Block(_) | Effect::Hold if allowed(h) => {}
            Effect::Hold => counted.push(h),
            Effect::Profanity | Effect::Block(_) => {
                counted.push(h);
                bad.push(h.letters.clone());
            }
        }
    }
    let mut paired: Vec<Category> = Vec::new();
    let mut pair = |on: bool, signs: &[&Vec<&Hit>], c: Category| {
        if on {
            paired.push(c);
            for h in signs.iter().flat_map(|v| v.iter()) {
                bad.push(h.letters.clone());
            }
        }
    };
    pair(!pairs[0].is_empty() && !pairs[1].is_empty(), &[&pairs[0], &pairs[1]], Category::Extremism);
    pair(!pairs[2].is_empty() && !pairs[3].is_empty(), &[&pairs[2], &pairs[3]], Category::SelfHarm);
    // Different words, not the same word twice ("дверной косяк и косяк рыб"): compared by their first
    // four letters, so "косяк" and "косяка" are one word.
    let hint_words = pairs[4]
        .iter()
        .map(|h| norm.letters[h.letters.clone()].iter().take(4).map(|u| u.ch).collect::<String>())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    pair(hint_words >= 2, &[&pairs[4]], Category::Drugs);
    pair(!pairs[5].is_empty() && !pairs[6].is_empty(), &[&pairs[5], &pairs[6]], Category::Extremism);
    // A suggestive thing with a wink is sexual; two suggestive acts are as good as one suggestive word.
    let two_acts = acts.iter().any(|a| acts.iter().any(|b| a.letters.end <= b.letters.start));
    if innuendo && (suggestive || !acts.is_empty()) {
        paired.push(Category::Sexual);
    }
    let blocks = |c: Category| paired.contains(&c) || counted.iter().any(|h| h.effect == Effect::Block(c));
    let sexualised = suggestive || innuendo || two_acts || (adult && intimacy);
    let sex_work = !sex_work.is_empty();
    if minor {
        bad.extend(dangers.iter().map(|h| h.letters.clone()));
    }
    let category = if minor && (sexualised || sex_work || !dangers.is_empty() || blocks(Category::Sexual)) {
        Some(Category::Minors)
    } else {
        // A word for someone who sells sex is usually the insult, not the picture: any other category wins.
        Category::ALL.into_iter().find(|&c| blocks(c)).or(sex_work.then_some(Category::Sexual))
    };
    let (verdict, deciding) = match category {
        Some(c) => (VerdictKind::Block, Effect::Block(c)),
        None if counted.iter().any(|h| h.effect == Effect::Hold) => (VerdictKind::Hold, Effect::Hold),
        None if counted.iter().any(|h| h.effect == Effect::Profanity) => (VerdictKind::Profanity, Effect::Profanity),
        None => (VerdictKind::Allow, Effect::Allow),
    };
    let deciders: Vec<&&Hit> = counted.iter().filter(|h| h.effect == deciding).collect();
    let rule = if deciders.iter().any(|h| h.rule.is_none()) {
        None
    } else {
        deciders.iter().find_map(|h| h.rule).map(|i| rules[i].clone())
    };
    Verdict { verdict, category, masked: mask::mask(text, norm, &bad), rule }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_names_match_serde() {
        for c in Category::ALL {
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{}\"", c.as_str()));
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
    }
}
