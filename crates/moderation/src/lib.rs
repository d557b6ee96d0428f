//! On-air safety for donation texts (pure logic, no I/O).
//!
//! `check(text)` returns a [`Verdict`]: allow, profanity (draw it, show `masked`), or block with a
//! [`Category`]. This first version is the spine's basic word list; the moderation issue replaces
//! the matcher behind the same API.

use serde::Serialize;

/// What moderation decided about one text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    Allow,
    Profanity,
    Block,
}

/// Why a text is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Sexual,
    Minors,
    Gore,
    Hate,
    SelfHarm,
    Other,
}

/// The verdict on one text, with the text as it may be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub verdict: VerdictKind,
    pub category: Option<Category>,
    /// The text with every profane or blocked word starred; equal to the input when allowed.
    pub masked: String,
}

const BLOCK: &[(&str, Category)] = &[
    ("porn", Category::Sexual),
    ("nsfw", Category::Sexual),
    ("nude", Category::Sexual),
    ("naked", Category::Sexual),
    ("sex", Category::Sexual),
    ("порн", Category::Sexual),
    ("голая", Category::Sexual),
    ("секс", Category::Sexual),
    ("gore", Category::Gore),
];
const PROFANE: &[&str] = &["fuck", "shit", "хуй", "хуе", "пизд", "блядь", "бля"];

/// Checks one text.
pub fn check(text: &str) -> Verdict {
    let mut verdict = VerdictKind::Allow;
    let mut category = None;
    let mut masked = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            masked.push(' ');
        }
        let lower = word.to_lowercase();
        if let Some((_, c)) = BLOCK.iter().find(|(root, _)| lower.contains(root)) {
            verdict = VerdictKind::Block;
            category.get_or_insert(*c);
            masked.push_str(&star(word));
        } else if PROFANE.iter().any(|root| lower.contains(root)) {
            if verdict == VerdictKind::Allow {
                verdict = VerdictKind::Profanity;
            }
            masked.push_str(&star(word));
        } else {
            masked.push_str(word);
        }
    }
    Verdict { verdict, category, masked }
}

fn star(word: &str) -> String {
    word.chars()
        .enumerate()
        .map(|(i, c)| if i == 0 || !c.is_alphanumeric() { c } else { '*' })
        .collect()
}
