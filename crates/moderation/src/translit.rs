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
use std::hash::{BuildHasherDefault, Hasher};
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
    // adverbs and prepositions viewers add to a request ("krasivo", "nad kremlem")
    "krasivo",
    "milo",
    "smeshno",
    "prikolno",
    "realistichno",
    "epichno",
    "nad",
    "pered",
    "mezhdu",
    "okolo",
    "vozle",
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
    ("ku", 7), // zakladku, devushku; English has almost no long words in -ku
];

/// FxHash (rustc's): a fast hash for short keys. The sets are fixed lists, so nothing to defend against.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fx(u64);

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type WordSet = HashSet<&'static str, BuildHasherDefault<Fx>>;

/// A list as a set, built once.
fn set_of(list: &'static [&'static str], cell: &'static OnceLock<WordSet>) -> &'static WordSet {
    cell.get_or_init(|| list.iter().copied().collect())
}

fn is_english(word: &str) -> bool {
    static SET: OnceLock<WordSet> = OnceLock::new();
    set_of(EN_WORDS, &SET).contains(word)
}

fn english_only(word: &str) -> bool {
    static SET: OnceLock<WordSet> = OnceLock::new();
    set_of(EN_ONLY, &SET).contains(word)
}

fn russian_looking(word: &str) -> bool {
    static RU: OnceLock<WordSet> = OnceLock::new();
    // Byte by byte rather than `contains`/`ends_with`: this runs on every Latin word.
    let b = word.as_bytes();
    let pair = |k: usize, p: &[u8; 2]| b[k] == p[0] && b[k + 1] == p[1];
    if (0..b.len().saturating_sub(1))
        .any(|k| pair(k, b"zh") || (k > 0 && pair(k, b"yu")) || (pair(k, b"sh") && b[k + 2..].starts_with(b"ch")))
    {
        return true;
    }
    let ends_with =
        |end: &str| end.len() <= b.len() && b[b.len() - end.len()..].iter().zip(end.as_bytes()).all(|(x, y)| x == y);
    RU_ENDINGS.iter().any(|(end, min)| b.len() >= *min && ends_with(end)) || set_of(RU_WORDS, &RU).contains(word)
}

fn word_text(norm: &Normalized, w: &Word, buf: &mut String) {
    buf.clear();
    buf.extend(norm.letters[w.letters.clone()].iter().map(|u| u.ch));
}

/// For a text that looks Russian, whether each word is a common English one (`Some(true)`), another
/// Latin word (`Some(false)`) or not Latin (`None`); `None` for a text that does not look Russian.
fn english_words(norm: &Normalized, buf: &mut String) -> Option<Vec<Option<bool>>> {
    let (mut russian, mut english, mut cyrillic) = (0, 0, 0);
    let mut of_words = Vec::with_capacity(norm.words.len());
    for w in &norm.words {
        if w.latin {
            word_text(norm, w, buf);
            let en = is_english(buf);
            english += usize::from(en);
            russian += usize::from(russian_looking(buf));
            of_words.push(Some(en));
        } else {
            cyrillic +=
                usize::from(norm.letters[w.letters.clone()].iter().any(|u| ('\u{0400}'..='\u{04FF}').contains(&u.ch)));
            of_words.push(None);
        }
    }
    // A Latin word that looks Russian, and Russian signs at least as many as English ones.
    (russian > 0 && russian + cyrillic >= english).then_some(of_words)
}

/// Whether the Latin words of `norm` should also be read as Russian in translit.
#[cfg(test)]
pub(crate) fn reads_as_russian(norm: &Normalized) -> bool {
    english_words(norm, &mut String::new()).is_some()
}

/// The words and alternative readings the translit reading runs on, when the text reads as Russian:
/// its Latin words except common English ones ("her" is never read as хер, nor "other" as отхер), and
/// its numbers.
pub(crate) fn russian_reading(norm: &Normalized) -> Option<(Vec<Word>, Vec<Word>)> {
    let mut buf = String::new();
    let english = english_words(norm, &mut buf)?;
    let mut keep = |w: &Word, english: Option<bool>| {
        let mut w = w.clone();
        if w.latin {
            w.latin = match english {
                Some(true) => false,
                _ => {
                    word_text(norm, &w, &mut buf);
                    !english_only(&buf) && (english.is_some() || !is_english(&buf))
                }
            };
        } else if norm.letters[w.letters.clone()].iter().all(|u| u.ch.is_ascii_digit()) {
            // A number is part of the Russian text too ("v poze 69", "devochku 12 let").
            w.latin = true;
        }
        w
    };
    let words = norm.words.iter().zip(english).map(|(w, en)| keep(w, en)).collect();
    let alternatives = norm.alternatives.iter().map(|w| keep(w, None)).collect();
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
