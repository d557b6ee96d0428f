//! The words on refusal and failure cards, in the donor's language (Russian or English), with the
//! phrases the streamer configured (CARD_*_EN / CARD_*_RU).

use crate::config::Settings;

/// The language a card is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ru,
}

/// Russian when the text has more Cyrillic letters than Latin ones, else English.
pub fn language(text: &str) -> Lang {
    let (mut cyr, mut lat) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        if ('\u{0400}'..='\u{04FF}').contains(&c) {
            cyr += 1;
        } else if c.is_ascii_alphabetic() {
            lat += 1;
        }
    }
    if cyr > lat {
        Lang::Ru
    } else {
        Lang::En
    }
}

/// Which card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    /// Moderation refused the request.
    Blocked,
    /// The checker (LLM) failed: refused unchecked, never drawn.
    Unchecked,
    /// Generation or conversion failed.
    Failed,
    /// A voice message: not a drawing request.
    Voice,
}

/// The card's text for a donation whose message is `message`.
pub fn text(s: &Settings, card: Card, message: &str) -> String {
    let ru = language(message) == Lang::Ru;
    match (card, ru) {
        (Card::Blocked, false) => s.card_blocked_en.clone(),
        (Card::Blocked, true) => s.card_blocked_ru.clone(),
        (Card::Unchecked, false) => s.card_unchecked_en.clone(),
        (Card::Unchecked, true) => s.card_unchecked_ru.clone(),
        (Card::Failed, false) => s.card_failed_en.clone(),
        (Card::Failed, true) => s.card_failed_ru.clone(),
        (Card::Voice, false) => "Voice messages can't be drawn — thank you!".to_owned(),
        (Card::Voice, true) => "Голосовые сообщения нарисовать не получится — спасибо!".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RawConfig;

    #[test]
    fn the_card_speaks_the_donors_language_with_the_streamers_phrases() {
        assert_eq!(language("Нарисуй кота в космосе"), Lang::Ru);
        assert_eq!(language("draw a cat"), Lang::En);
        assert_eq!(language("нарисуй dragon в космосе"), Lang::Ru);
        assert_eq!(language("🙂 123"), Lang::En);
        let raw = RawConfig::from_pairs([("CARD_BLOCKED_RU", "Не в этот раз!")]);
        let s = Settings::from_raw(&raw, Some(std::path::Path::new("/nonexistent"))).unwrap();
        assert_eq!(text(&s, Card::Blocked, "нарисуй это"), "Не в этот раз!");
        assert_eq!(text(&s, Card::Blocked, "draw this"), s.card_blocked_en);
        assert!(text(&s, Card::Unchecked, "нарисуй кота").contains("проверить"));
    }
}
