//! Whether a text's Latin words should also be read as Russian in transliteration
//! ("narisuy goluyu devushku" is "нарисуй голую девушку").
//!
//! The Russian lists are compiled a second time for Latin spellings (`pattern::Script::Translit`), but
//! that reading runs only on texts that look Russian: an English text never gets it, so English words
//! that happen to spell a Russian root in translit ("hue", "tsp") are never read as Russian. A text looks
//! Russian when it has a Latin word that looks Russian and its Russian signs are at least as many as its
//! English ones (a Russian text with an English word, "нарисуй shit", is read as written):
//! * Russian signs: a Cyrillic word; a Latin word that is a common Russian word in translit
//!   ("narisuy", "kak", "eto", "dlya", "pozhaluysta"…); a Latin word with a Russian ending or letter
//!   cluster that English words do not have (-uyu, -aya, -ogo, -iy, -yj, -tsya, -ushku, "zh", "shch"…).
//! * English signs: common English words ("the", "a", "of", "draw", "with"…).

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::normalize::{Normalized, Word};

/// Common Russian words in Latin letters that are not also common English words.
const RU_WORDS: &[&str] = &[
    "narisuy",
    "narisui",
    "narisuj",
    "narisuyte",
    "narisuite",
    "narisujte",
    "narisyi",
    "narisuu",
    "risuy",
    "risui",
    "risuj",
    "pozhaluysta",
    "pozhalujsta",
    "pozhalusta",
    "pojaluista",
    "pojalusta",
    "pozhaluista",
    "plis",
    "v",
    "vo",
    "na",
    "ne",
    "kak",
    "eto",
    "etu",
    "etot",
    "etogo",
    "etoy",
    "etoj",
    "chto",
    "shto",
    "chtoby",
    "chtob",
    "shtob",
    "ya",
    "ona",
    "oni",
    "vy",
    "moy",
    "moi",
    "moya",
    "moyu",
    "moju",
    "moego",
    "moyego",
    "moej",
    "moey",
    "moih",
    "tvoy",
    "tvoi",
    "tvoyu",
    "tvoju",
    "tvoego",
    "menya",
    "menja",
    "mne",
    "tebya",
    "tebja",
    "tebe",
    "sebe",
    "sebya",
    "sebja",
    "dlya",
    "dlja",
    "bez",
    "iz",
    "ot",
    "za",
    "po",
    "nu",
    "zhe",
    "uzhe",
    "tak",
    "tam",
    "vse",
    "vsyo",
    "vsio",
    "vsya",
    "ochen",
    "gde",
    "kogda",
    "esli",
    "ili",
    "eshe",
    "eshche",
    "yeshche",
    "tozhe",
    "yego",
    "yeyo",
    "eyo",
    "ih",
    "nas",
    "nam",
    "vas",
    "vam",
    "byl",
    "byla",
    "bylo",
    "budet",
    "vot",
    "hochu",
    "mozhno",
    "pust",
    "davay",
    "davai",
    "sdelay",
    "sdelai",
    "svoyu",
    "svoy",
    "svoi",
    "kotoryi",
    "kotoryy",
    "kotoryj",
    "kotoraya",
    "kotoraja",
    "kotoruyu",
    "kotoruju",
    "kotorye",
    "kotorogo",
    "potomu",
    "kto",
    "kogo",
    "komu",
    "chem",
    "takoy",
    "takoi",
    "takaya",
    "takuyu",
    "prosto",
    "tolko",
    "blin",
    "ladno",
    "spasibo",
    "privet",
    "pri",
    "cherez",
    "chtoto",
    "kakoy",
    "kakuyu",
    "kakaya",
    "ej",
    "ey",
    "yemu",
    "seychas",
    "sejchas",
    "shas",
    "scha",
];

/// Common English words, each a sign that the text is English.
const EN_WORDS: &[&str] = &[
    "the", "a", "an", "of", "and", "with", "in", "on", "at", "to", "for", "from", "is", "are", "was", "my", "your",
    "his", "her", "hers", "their", "me", "this", "that", "it", "its", "please", "pls", "draw", "paint", "make", "some",
    "who", "which", "while", "like", "into", "by", "as", "be", "you", "he", "she", "they", "we", "him", "them", "our",
    "but", "or", "if", "not", "can", "could", "would", "will", "just", "very", "what", "how", "up", "out", "all",
    "about", "over", "under", "there", "here",
];

/// Common English words that spell a Russian bad root in translit: never read as Russian.
const EN_ONLY: &[&str] = &[
    "other", "others", "another", "hue", "hues", "hued", "job", "jobs", "web", "website", "sick", "hull", "hail",
    "hatch", "hatched", "hatching", "seeks", "stringy", "topples", "hernia",
];

/// Endings of Russian words that English words of that length practically never have.
const RU_ENDINGS: &[(&str, usize)] = &[
    ("uyu", 5),
    ("yuyu", 5),
    ("aya", 5),
    ("yaya", 5),
    ("ogo", 6),
    ("ego", 6),
    ("omu", 5),
    ("emu", 5),
    ("ykh", 5),
    ("yh", 5),
    ("iy", 4),
    ("yy", 4),
    ("yj", 4),
    ("ij", 4),
    ("yi", 5),
    ("oj", 4),
    ("imi", 5),
    ("ymi", 5),
    ("ushku", 6),
    ("ochku", 6),
    ("echku", 6),
    ("ishku", 6),
    ("tsya", 5),
    ("sya", 5),
    ("yu", 4),
    ("ju", 4),
];

/// A list as a set, built once.
fn set_of(
    list: &'static [&'static str],
    cell: &'static OnceLock<HashSet<&'static str>>,
) -> &'static HashSet<&'static str> {
    cell.get_or_init(|| list.iter().copied().collect())
}

fn is_english(word: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    set_of(EN_WORDS, &SET).contains(word)
}

fn english_only(word: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    set_of(EN_ONLY, &SET).contains(word)
}

fn russian_looking(word: &str) -> bool {
    static RU: OnceLock<HashSet<&'static str>> = OnceLock::new();
    if word.contains("zh") || word.contains("shch") || word.get(1..).is_some_and(|rest| rest.contains("yu")) {
        return true;
    }
    RU_ENDINGS.iter().any(|(end, min)| word.len() >= *min && word.ends_with(end))
        || set_of(RU_WORDS, &RU).contains(word)
}

fn word_text(norm: &Normalized, w: &Word, buf: &mut String) {
    buf.clear();
    buf.extend(norm.letters[w.letters.clone()].iter().map(|u| u.ch));
}

/// Whether the Latin words of `norm` should also be read as Russian in translit.
pub(crate) fn reads_as_russian(norm: &Normalized) -> bool {
    // Most texts have no Russian-looking Latin word: find one before counting anything else.
    let mut buf = String::new();
    let latin = || norm.words.iter().filter(|w| w.latin);
    let ru_latin = latin()
        .filter(|w| {
            word_text(norm, w, &mut buf);
            russian_looking(&buf)
        })
        .count();
    if ru_latin == 0 {
        return false;
    }
    let cyrillic = norm
        .words
        .iter()
        .filter(|w| {
            !w.latin && norm.letters[w.letters.clone()].iter().any(|u| ('\u{0400}'..='\u{04FF}').contains(&u.ch))
        })
        .count();
    let english = latin()
        .filter(|w| {
            word_text(norm, w, &mut buf);
            is_english(&buf)
        })
        .count();
    ru_latin + cyrillic >= english
}

/// The words and alternative readings the translit reading runs on, when the text reads as Russian:
/// its Latin words except common English ones ("her" is never read as хер, nor "other" as отхер).
pub(crate) fn russian_reading(norm: &Normalized) -> Option<(Vec<Word>, Vec<Word>)> {
    if !reads_as_russian(norm) {
        return None;
    }
    let mut buf = String::new();
    let mut keep = |w: &Word| {
        let mut w = w.clone();
        if w.latin {
            word_text(norm, &w, &mut buf);
            w.latin = !is_english(&buf) && !english_only(&buf);
        }
        w
    };
    let words = norm.words.iter().map(&mut keep).collect();
    let alternatives = norm.alternatives.iter().map(&mut keep).collect();
    Some((words, alternatives))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    #[test]
    fn russian_in_latin_letters_is_recognised() {
        for text in [
            "narisuy goluyu devushku",
            "narisui zamok na gore pri zakate",
            "ohuennogo kota",
            "narisuy 4ai s limonom i pe4enki",
            "нарисуй goluyu",
            "goluyu tyan",
        ] {
            assert!(reads_as_russian(&normalize(text)), "{text}");
        }
    }

    #[test]
    fn english_is_not_read_as_russian() {
        for text in [
            "draw a fox sleeping in the snow",
            "a hue shift on my cat",
            "hue",
            "tsp",
            "draw the logo of my team",
            "нарисуй кота",
            "cowboy on a pony",
            "a cozy cabin with a candle",
        ] {
            assert!(!reads_as_russian(&normalize(text)), "{text}");
        }
    }
}
