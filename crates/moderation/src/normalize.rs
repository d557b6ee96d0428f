//! The normaliser: turns a donation text into the letters the lexicon is matched against, and keeps,
//! for every letter, the characters of the original text it came from, so that masking can star
//! exactly those characters and leave every other one as it was.
//!
//! Steps, in order: combining marks are kept with their base character and the cluster is NFKC-composed
//! (full-width and styled letters become plain ones, `и` + breve becomes `й`); invisible characters
//! (zero-width, bidi controls, soft hyphens, variation selectors) are dropped; letters are lowercased,
//! `ё` becomes `е` and Latin diacritics are stripped; then the text is cut into words, and words that
//! were spread out letter by letter ("п и з д а", "s.e.x", "fu-ck") are joined back together.
//! Look-alike letters and repeated letters are *not* rewritten here: the lexicon's patterns accept
//! them (see `lexicon::class_of`), which keeps one normalised text valid for Russian and English.

use std::ops::Range;

use unicode_normalization::char::{decompose_canonical, is_combining_mark};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// The character that stands for a self-censored letter ("х*й", "f#ck").
pub(crate) const WILDCARD: char = '*';

/// One normalised character and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    /// The normalised character (lowercase, composed, without Latin diacritics).
    pub ch: char,
    /// The original characters (by char index) this unit was made from: a base letter and its
    /// combining marks, or one full-width/ligature character.
    pub orig: Range<usize>,
}

/// A word as the lexicon sees it: letters that belong together, possibly joined across separators.
#[derive(Debug, Clone)]
pub(crate) struct Word {
    /// Indices into [`Normalized::letters`].
    pub letters: Range<usize>,
    /// Russian patterns apply (the word has Cyrillic letters, or only letters that look Cyrillic).
    pub cyr: bool,
    /// English patterns apply (the word has Latin letters, or only letters that look Latin).
    pub lat: bool,
    /// Latin letters and no Cyrillic ones: the word may be Russian in transliteration ("goluyu").
    pub latin: bool,
    /// Joined from single letters across whitespace ("d r a w a n u d e"): word boundaries inside it
    /// are lost, so long ones are also matched without anchors (see `matcher`).
    pub spread: bool,
}

/// The normalised form of one text.
#[derive(Debug, Default)]
pub(crate) struct Normalized {
    /// Every letter-like unit, in text order, word after word.
    pub letters: Vec<Unit>,
    /// The words, in order; their letter ranges tile `letters`.
    pub words: Vec<Word>,
    /// Extra readings for matching only: a run of single letters joined into one word is also read
    /// without its first and without its last letter, which may be real one-letter words
    /// ("draw a n u d e" → "anude", "nude"; "с у к а и" → "сукаи", "сука").
    pub alternatives: Vec<Word>,
    /// The number of chars in the original text.
    pub orig_len: usize,
}

/// Characters that render as nothing (or nearly nothing) and are used to split words invisibly.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// `is_combining_mark`, answered without a table lookup for the common scripts.
fn is_mark(c: char) -> bool {
    c >= '\u{0300}' && !('\u{0400}'..='\u{045F}').contains(&c) && is_combining_mark(c)
}

/// What a normalised character is for word-cutting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Part of a word: letters, digits, wildcards and look-alike symbols.
    Letter,
    /// Whitespace: ends a word; only single letters are joined across it ("п и з д а").
    Space,
    /// Punctuation that also appears inside words (`. - _ '`): pieces around it are joined
    /// ("hen.tai", "fu-ck"), and the pieces are read alone too ("semi-nude").
    SoftPunct,
    /// An apostrophe: like soft punctuation, except before an English contraction ("who're", "tit's").
    Apostrophe,
    /// Other punctuation: pieces around it are joined only when one of them is short ("f,u,c,k").
    HardPunct,
}

/// Lowercase letter folding for one character: `ё`→`е`, Latin diacritics stripped, wildcards unified.
fn fold(c: char) -> Option<char> {
    match c {
        'а'..='я' | 'a'..='z' | '0'..='9' => Some(c),
        'ё' => Some('е'),
        'ı' => Some('i'),
        '#' | '%' => Some(WILDCARD),
        c if is_mark(c) => None,
        c if ('\u{00C0}'..='\u{024F}').contains(&c) || ('\u{1E00}'..='\u{1EFF}').contains(&c) => {
            let mut base = c;
            decompose_canonical(c, |d| {
                if base == c && !is_combining_mark(d) {
                    base = d;
                }
            });
            Some(base)
        }
        // Greek accented vowels and other precomposed letters outside Cyrillic: strip marks too.
        c if ('\u{0370}'..='\u{03FF}').contains(&c) => {
            let mut base = c;
            decompose_canonical(c, |d| {
                if base == c && !is_combining_mark(d) {
                    base = d;
                }
            });
            Some(base)
        }
        c => Some(c),
    }
}

fn kind_of(c: char) -> Kind {
    if c.is_ascii_alphanumeric() || ('\u{0400}'..='\u{045F}').contains(&c) {
        Kind::Letter
    } else if c == ' ' {
        Kind::Space
    } else if c.is_alphanumeric() || c == WILDCARD {
        Kind::Letter
    } else if c.is_whitespace() {
        Kind::Space
    } else {
        match c {
            '@' | '$' | '€' | '£' | '¢' | '|' => Kind::Letter,
            '\'' | '’' | '`' | 'ʼ' => Kind::Apostrophe,
            '.' | '-' | '_' | '‐' | '‑' | '–' | '·' | '•' => Kind::SoftPunct,
            _ => Kind::HardPunct,
        }
    }
}

fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{04FF}').contains(&c)
}

/// Cyrillic letters that look like Latin ones: a word made only of these may be disguised English.
fn looks_latin(c: char) -> bool {
    matches!(c, 'а' | 'в' | 'е' | 'к' | 'м' | 'н' | 'о' | 'р' | 'с' | 'т' | 'у' | 'х' | 'і' | 'ј' | 'ѕ' | 'ԁ' | 'ь')
}

/// Latin letters, digits and symbols that look like Cyrillic ones: a word made only of these may be
/// disguised Russian ("cyka"). Not 'b': it reads as б only in a word that is already Russian
/// ("еbать"), never in "ebb" or "eBay".
fn looks_cyrillic(c: char) -> bool {
    matches!(c, 'a' | 'c' | 'e' | 'h' | 'k' | 'm' | 'o' | 'p' | 't' | 'x' | 'y') || !c.is_alphabetic()
}

/// An English contraction or possessive after an apostrophe: "'s", "'re", "'ll"…
fn is_contraction(piece: &[Unit]) -> bool {
    let mut buf = [' '; 2];
    if piece.len() > 2 {
        return false;
    }
    for (b, u) in buf.iter_mut().zip(piece) {
        *b = u.ch;
    }
    matches!(buf, ['s' | 'd' | 't' | 'm', ' '] | ['r', 'e'] | ['v', 'e'] | ['l', 'l'])
}

/// Letters that are words by themselves, so a spread-out word may have one glued to either end.
fn is_one_letter_word(c: char) -> bool {
    matches!(c, 'a' | 'i' | 'а' | 'и' | 'в' | 'с' | 'к' | 'у' | 'о' | 'я')
}

/// Replaces the symbol spellings "}{" (х) and ">|<" (ж) by one letter unit each.
fn join_symbol_letters(units: Vec<(Unit, Kind)>) -> Vec<(Unit, Kind)> {
    const SPELLINGS: [(&[char], char); 2] = [(&['}', '{'], 'х'), (&['>', '|', '<'], 'ж')];
    let mut out = Vec::with_capacity(units.len());
    let mut k = 0;
    'units: while k < units.len() {
        for (spelling, letter) in SPELLINGS {
            let end = k + spelling.len();
            if end <= units.len() && units[k..end].iter().zip(spelling).all(|((u, _), c)| u.ch == *c) {
                let orig = units[k].0.orig.start..units[end - 1].0.orig.end;
                out.push((Unit { ch: letter, orig }, Kind::Letter));
                k = end;
                continue 'units;
            }
        }
        out.push(units[k].clone());
        k += 1;
    }
    out
}

/// A run of letter units between separators, before joining.
struct Piece {
    /// Range into the letters vector.
    letters: Range<usize>,
    /// The strongest separator before this piece; `None` for the first piece.
    before: Option<Kind>,
    /// How many separator characters were before it ("d r a w   a   c a t": 1 inside a word, 3 between).
    gap: usize,
}

/// Normalises one text.
pub(crate) fn normalize(text: &str) -> Normalized {
    let mut chars: Vec<char> = Vec::with_capacity(text.len());
    chars.extend(text.chars());
    let mut units: Vec<(Unit, Kind)> = Vec::with_capacity(chars.len());
    let mut buf = String::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        let base = chars[i];
        i += 1;
        // ASCII and basic Cyrillic without a combining mark after them (nearly every character) are
        // already NFKC and never invisible: lowercase and fold them directly.
        if chars.get(i).is_none_or(|&c| !is_mark(c)) {
            if base.is_ascii() {
                let c = base.to_ascii_lowercase();
                if let Some(f) = fold(c) {
                    units.push((Unit { ch: f, orig: start..i }, kind_of(f)));
                }
                continue;
            }
            if ('\u{0400}'..='\u{045F}').contains(&base) {
                let c = match base {
                    'А'..='Я' => char::from_u32(base as u32 + 0x20).unwrap_or(base),
                    '\u{0400}'..='\u{040F}' => char::from_u32(base as u32 + 0x50).unwrap_or(base),
                    _ => base,
                };
                if let Some(f) = fold(c) {
                    units.push((Unit { ch: f, orig: start..i }, kind_of(f)));
                }
                continue;
            }
        }
        while i < chars.len() && is_mark(chars[i]) {
            i += 1;
        }
        if is_invisible(base) && i == start + 1 {
            continue;
        }
        let orig = start..i;
        buf.clear();
        if is_nfkc_quick(chars[start..i].iter().copied()) == IsNormalized::Yes {
            // Most other characters (punctuation, emoji, CJK) are NFKC already.
            buf.extend(chars[start..i].iter().copied());
        } else {
            buf.extend(chars[start..i].iter().copied().nfkc());
        }
        for c in buf.chars() {
            if is_invisible(c) {
                continue;
            }
            for lc in c.to_lowercase() {
                if let Some(f) = fold(lc) {
                    units.push((Unit { ch: f, orig: orig.clone() }, kind_of(f)));
                }
            }
        }
    }

    // Letters drawn with several symbols: "}{" for х, ">|<" for ж.
    if units.iter().any(|(u, _)| matches!(u.ch, '}' | '>')) {
        units = join_symbol_letters(units);
    }

    // '!' stands for 'i' only inside a word ("sh!t"), never at its end ("wow!").
    // '+' belongs to a word only after a digit ("18+").
    for k in 0..units.len() {
        let next_is_letter = units.get(k + 1).is_some_and(|(u, kd)| *kd == Kind::Letter && u.ch != '!');
        let prev_is_letter = k > 0 && units[k - 1].1 == Kind::Letter;
        let prev_is_digit = k > 0 && units[k - 1].0.ch.is_ascii_digit();
        match units[k].0.ch {
            '!' if prev_is_letter && next_is_letter => units[k].1 = Kind::Letter,
            '+' if prev_is_digit => units[k].1 = Kind::Letter,
            _ => {}
        }
    }

    // Cut into pieces of letters, remembering which separator came before each.
    let mut letters = Vec::with_capacity(units.len());
    let mut pieces: Vec<Piece> = Vec::with_capacity(units.len() / 2 + 1);
    let mut sep: Option<Kind> = None;
    let mut piece_start: Option<usize> = None;
    let mut gap = 0;
    let finish = |start: usize, end: usize, sep: Option<Kind>, gap: usize, pieces: &mut Vec<Piece>| {
        let before = if pieces.is_empty() { None } else { sep.or(Some(Kind::Space)) };
        pieces.push(Piece { letters: start..end, before, gap });
    };
    for (unit, kind) in units {
        if kind == Kind::Letter {
            if piece_start.is_none() {
                piece_start = Some(letters.len());
            }
            letters.push(unit);
        } else {
            if let Some(s) = piece_start.take() {
                finish(s, letters.len(), sep, gap, &mut pieces);
                sep = None;
                gap = 0;
            }
            gap += 1;
            // The strongest separator in a gap wins: space, then hard punctuation, then soft.
            sep = Some(match (sep, kind) {
                (Some(Kind::Space), _) | (_, Kind::Space) => Kind::Space,
                (Some(Kind::HardPunct), _) | (_, Kind::HardPunct) => Kind::HardPunct,
                (Some(Kind::SoftPunct), _) | (_, Kind::SoftPunct) => Kind::SoftPunct,
                _ => Kind::Apostrophe,
            });
        }
    }
    if let Some(s) = piece_start.take() {
        finish(s, letters.len(), sep, gap, &mut pieces);
    }

    // Join pieces into words:
    // * across soft punctuation (". - _ '") always: "hen.tai", "fu-ck", "п_и_з_д_а";
    // * across other punctuation when a side is short: "f,u,c,k", "пи/зда";
    // * across anything, runs of single letters: "п и з д а", "f. u c-k".
    let mut words: Vec<Range<usize>> = Vec::with_capacity(pieces.len());
    let mut alternatives: Vec<Range<usize>> = Vec::new();
    let mut spread_words: Vec<bool> = Vec::with_capacity(pieces.len());
    // Per word being built: all its pieces were single letters; it was joined across a space.
    let (mut all_single, mut spread, mut last_len, mut first_piece) = (false, false, 0, 0);
    let close =
        |w: &Range<usize>, spread: bool, first_piece: usize, upto: usize, alternatives: &mut Vec<Range<usize>>| {
            if upto - first_piece >= 2 {
                // The pieces themselves are read too: "semi-nude" is "seminude" and also "nude".
                for p in &pieces[first_piece..upto] {
                    if p.letters.len() >= 2 {
                        alternatives.push(p.letters.clone());
                    }
                }
            }
            if spread {
                // Spaces may still separate words spelled out with dots ("n.u.d.e f.o.x"), and wider
                // gaps separate words spelled out with spaces ("d r a w   a   n u d e").
                let spaces = || pieces[first_piece + 1..upto].iter().filter(|p| p.before == Some(Kind::Space));
                let narrowest = spaces().map(|p| p.gap).min().unwrap_or(0);
                for wide_only in [false, true] {
                    let mut seg_start = w.start;
                    for p in spaces().filter(|p| !wide_only || p.gap > narrowest) {
                        if p.letters.start - seg_start >= 2 {
                            alternatives.push(seg_start..p.letters.start);
                        }
                        seg_start = p.letters.start;
                    }
                    if seg_start > w.start && w.end - seg_start >= 2 {
                        alternatives.push(seg_start..w.end);
                    }
                }
            }
            if spread && w.len() >= 3 {
                if is_one_letter_word(letters[w.start].ch) {
                    alternatives.push(w.start + 1..w.end);
                }
                if is_one_letter_word(letters[w.end - 1].ch) {
                    alternatives.push(w.start..w.end - 1);
                }
            }
        };
    for (k, p) in pieces.iter().enumerate() {
        let len = p.letters.len();
        let merge = !words.is_empty()
            && match p.before {
                Some(Kind::SoftPunct) => true,
                Some(Kind::Apostrophe) => last_len == 1 || !is_contraction(&letters[p.letters.clone()]),
                Some(Kind::HardPunct) => last_len <= 2 || len <= 2 || (all_single && len == 1),
                Some(Kind::Space) => all_single && last_len == 1 && len == 1,
                _ => false,
            };
        if merge {
            let w = words.last_mut().expect("a word to extend");
            w.end = p.letters.end;
            spread |= p.before == Some(Kind::Space);
            all_single &= len == 1;
        } else {
            if let Some(w) = words.last() {
                close(w, spread, first_piece, k, &mut alternatives);
                spread_words.push(spread);
            }
            words.push(p.letters.clone());
            all_single = len == 1;
            spread = false;
            first_piece = k;
        }
        last_len = len;
    }
    if let Some(w) = words.last() {
        close(w, spread, first_piece, pieces.len(), &mut alternatives);
        spread_words.push(spread);
    }

    let classify = |(r, spread): (Range<usize>, bool)| {
        let (mut has_cyr, mut has_lat, mut other_letters, mut all_look_latin, mut all_look_cyr) =
            (false, false, false, true, true);
        for u in &letters[r.clone()] {
            let c = u.ch;
            if is_cyrillic(c) {
                has_cyr = true;
                all_look_latin &= looks_latin(c);
            } else {
                has_lat |= c.is_ascii_alphabetic();
                other_letters |= !c.is_ascii() && c.is_alphabetic();
                all_look_cyr &= looks_cyrillic(c);
            }
        }
        Word {
            cyr: has_cyr || all_look_cyr || other_letters,
            lat: has_lat || all_look_latin || other_letters,
            latin: has_lat && !has_cyr,
            letters: r,
            spread,
        }
    };
    let words = words.into_iter().zip(spread_words).map(classify).collect();
    let alternatives = alternatives.into_iter().map(|r| (r, false)).map(classify).collect();

    Normalized { letters, words, alternatives, orig_len: chars.len() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let n = normalize(text);
        n.words.iter().map(|w| n.letters[w.letters.clone()].iter().map(|u| u.ch).collect()).collect()
    }

    fn alternatives(text: &str) -> Vec<String> {
        let n = normalize(text);
        n.alternatives.iter().map(|w| n.letters[w.letters.clone()].iter().map(|u| u.ch).collect()).collect()
    }

    #[test]
    fn folds_case_yo_fullwidth_and_diacritics() {
        assert_eq!(words("Ёлка ＦＵＣＫ Fück"), ["елка", "fuck", "fuck"]);
        // и + combining breve composes to й; е + diaeresis to ё and then е.
        assert_eq!(words("хуи\u{306} е\u{308}ж"), ["хуй", "еж"]);
    }

    #[test]
    fn drops_invisible_characters() {
        assert_eq!(words("х\u{200B}у\u{200D}й s\u{00AD}ex"), ["хуй", "sex"]);
    }

    #[test]
    fn joins_spread_out_letters() {
        assert_eq!(words("нарисуй п и з д а"), ["нарисуй", "пизда"]);
        assert_eq!(words("s.e.x f-u-c-k fu.ck"), ["sexfuck", "fuck"]);
        assert_eq!(alternatives("s.e.x f-u-c-k"), ["sex", "fuck"]);
        assert_eq!(alternatives("draw a n u d e"), ["nude"]);
        assert_eq!(alternatives("semi-nude"), ["semi", "nude"]);
        assert!(alternatives("d r a w   a   n u d e").contains(&"nude".to_string()));
        assert_eq!(words("хуй с ним"), ["хуй", "с", "ним"]);
        assert_eq!(words("f. u c-k"), ["fuck"]);
        assert_eq!(words("п,и,з,д,а"), ["пизда"]);
        assert_eq!(words("hello, world"), ["hello", "world"]);
        assert_eq!(words("hello,world hen.tai"), ["hello", "world", "hentai"]);
    }

    #[test]
    fn keeps_wildcards_and_leet_symbols_in_words() {
        assert_eq!(words("х*й f#ck sh!t wow! 18+"), ["х*й", "f*ck", "sh!t", "wow", "18+"]);
        assert_eq!(words("}{уй >|<опа :)("), ["хуй", "жопа"]);
    }

    #[test]
    fn maps_units_back_to_original_chars() {
        let n = normalize("a ＦＵ");
        assert_eq!(n.letters[1].orig, 2..3);
        assert_eq!(n.letters[2].orig, 3..4);
        assert_eq!(n.orig_len, 4);
    }
}
