//! Fitting prompts into CLIP's 77-token window.
//!
//! SDXL's text encoders read at most 77 tokens (start and end markers included); anything after that is
//! silently cut by the server, which is how the original lost its style words. We count with the real CLIP
//! BPE vocabulary (bundled in `instant-clip-tokenizer`, nothing downloaded) and trim whole comma-separated
//! phrases from the end, keeping the pixel-art trigger words at the front.

use std::sync::OnceLock;

use instant_clip_tokenizer::Tokenizer;

use crate::offline::PIXEL_TRIGGER;

/// CLIP's context length, start-of-text and end-of-text included.
pub const CLIP_CONTEXT: usize = 77;

/// Tokens left for the prompt itself.
pub const CLIP_PROMPT_TOKENS: usize = CLIP_CONTEXT - 2;

fn tokenizer() -> &'static Tokenizer {
    static TOKENIZER: OnceLock<Tokenizer> = OnceLock::new();
    TOKENIZER.get_or_init(Tokenizer::new)
}

/// Builds the tokenizer now (it parses a 3 MB vocabulary, tens of milliseconds); call it at start-up or
/// from a blocking thread so the first prompt does not stall the async runtime.
pub fn warm_up() {
    let _ = tokenizer();
}

/// Number of CLIP tokens in `text`, without the start and end markers.
pub fn clip_token_count(text: &str) -> usize {
    let mut out = Vec::new();
    tokenizer().encode(text, &mut out);
    out.len()
}

/// Returns a prompt that starts with the pixel-art trigger words and fits [`CLIP_PROMPT_TOKENS`].
///
/// The text is split into comma-separated phrases; phrases are kept in order while they fit, a phrase that
/// does not fit is shortened word by word, and the rest is dropped. The trigger is never dropped and is not
/// repeated if the text already starts with it.
///
/// ```
/// use generation::clip::{clip_token_count, fit_clip_prompt, CLIP_PROMPT_TOKENS};
///
/// assert_eq!(fit_clip_prompt("a fox, snow"), "pixel art, a fox, snow");
/// let long = "a tiny glowing lantern in the dark forest, ".repeat(20);
/// let fitted = fit_clip_prompt(&long);
/// assert!(fitted.starts_with("pixel art, a tiny glowing lantern"));
/// assert!(clip_token_count(&fitted) <= CLIP_PROMPT_TOKENS);
/// ```
pub fn fit_clip_prompt(text: &str) -> String {
    fit_phrases(text, CLIP_PROMPT_TOKENS)
}

fn fit_phrases(text: &str, budget: usize) -> String {
    let cleaned: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let mut phrases: Vec<String> = cleaned
        .split([',', '\n', ';'])
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    // Put the trigger first exactly once: drop phrases that are just the trigger, strip it from the start.
    phrases.retain(|p| !p.eq_ignore_ascii_case(PIXEL_TRIGGER));
    let mut kept = vec![PIXEL_TRIGGER.to_owned()];
    let mut used = clip_token_count(PIXEL_TRIGGER);
    for phrase in phrases {
        // Each further phrase costs a comma token plus its own tokens.
        let cost = 1 + clip_token_count(&phrase);
        if used + cost <= budget {
            used += cost;
            kept.push(phrase);
            continue;
        }
        // Shorten the phrase word by word while something useful (two words or more) still fits.
        // More than 75 words can never fit, so longer phrases are cut first (keeps this linear-ish).
        let words: Vec<&str> = phrase.split(' ').take(CLIP_PROMPT_TOKENS).collect();
        let mut best: Option<String> = None;
        for n in (2..words.len()).rev() {
            let candidate = words[..n].join(" ");
            if used + 1 + clip_token_count(&candidate) <= budget {
                best = Some(candidate);
                break;
            }
        }
        if let Some(b) = best {
            kept.push(b);
        }
        break;
    }
    kept.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_clip() {
        // The crate's own documented example: "Hi there" is two tokens.
        assert_eq!(clip_token_count("Hi there"), 2);
        assert_eq!(clip_token_count("pixel art"), 2);
    }

    #[test]
    fn short_prompt_is_kept_and_trigger_added_once() {
        assert_eq!(fit_clip_prompt("a fox, snow"), "pixel art, a fox, snow");
        assert_eq!(fit_clip_prompt("pixel art, a fox, snow"), "pixel art, a fox, snow");
        assert_eq!(fit_clip_prompt("Pixel Art,a fox"), "pixel art, a fox");
    }

    #[test]
    fn long_prompt_is_trimmed_to_the_window() {
        let long = (0..60).map(|i| format!("detail number {i} with extraordinary ornamentation")).collect::<Vec<_>>();
        let fitted = fit_clip_prompt(&long.join(", "));
        assert!(fitted.starts_with("pixel art, detail number 0"));
        assert!(clip_token_count(&fitted) <= CLIP_PROMPT_TOKENS, "{}", clip_token_count(&fitted));
        assert!(clip_token_count(&fitted) > CLIP_PROMPT_TOKENS - 12);
        // One enormous phrase without commas is shortened word by word.
        let run_on = "a very ".repeat(100) + "big fox";
        let fitted = fit_clip_prompt(&run_on);
        assert!(fitted.starts_with("pixel art, a very a very"), "{fitted}");
        assert!(clip_token_count(&fitted) <= CLIP_PROMPT_TOKENS);
    }

    #[test]
    fn cyrillic_counts_bytes_not_letters() {
        // CLIP has almost no Cyrillic merges: Russian text is expensive, and still must fit.
        let ru = "лиса спит в снегу под северным сиянием, ".repeat(10);
        let fitted = fit_clip_prompt(&ru);
        assert!(fitted.starts_with("pixel art"));
        assert!(clip_token_count(&fitted) <= CLIP_PROMPT_TOKENS);
    }
}
