//! Masking: stars the words that matched, keeping everything else exactly as it was written.
//!
//! A matched word keeps its first letter; every other character that made one of its letters becomes
//! `*`, one star per character, so the text keeps its length and shape ("п и з д а" → "п * * * *").
//! Spaces, punctuation and invisible characters are never touched, and no unmasked letter is changed
//! (no case folding, no `й`→`и`).

use std::ops::Range;

use crate::normalize::Normalized;

/// Returns `text` with the words touched by `spans` (letter ranges) starred.
pub(crate) fn mask(text: &str, norm: &Normalized, spans: &[Range<usize>]) -> String {
    if spans.is_empty() {
        return text.to_string();
    }
    let mut star = vec![false; norm.orig_len];
    for w in &norm.words {
        if !spans.iter().any(|s| s.start < w.letters.end && w.letters.start < s.end) {
            continue;
        }
        let keep = norm.letters[w.letters.start].orig.clone();
        for unit in &norm.letters[w.letters.start + 1..w.letters.end] {
            for c in unit.orig.clone() {
                if !keep.contains(&c) {
                    star[c] = true;
                }
            }
        }
    }
    text.chars().zip(star).map(|(c, s)| if s { '*' } else { c }).collect()
}
