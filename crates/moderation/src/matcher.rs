//! The matcher: runs the compiled lexicon over a normalised text and says which letters matched what.
//!
//! The normalised text is laid out once as one line per word (`"нарисуй\nхуй\n"`), then its
//! alternative readings, in a one-byte alphabet (see [`Alphabet`]); each script blanks out the words
//! it does not read. All entries of a script are one `RegexSet`, searched *anchored* at each word
//! start (an entry that may begin inside a word is searched as "anything in this word, then the
//! entry"): a search ends as soon as no entry can go on, so a word costs about its own length, and
//! what the lazy DFA learns about a word is reused for that word in every text. Only the entries that
//! matched are run again, alone, to find where.
//!
//! Up to round 11 the sets searched the whole line: the lazy DFA then combined the progress of phrases
//! begun at different words, and never-seen texts spent most of their time building new DFA states
//! (see the README's speed section).

use std::ops::Range;
use std::sync::OnceLock;

use regex::bytes::{Regex, RegexSet, RegexSetBuilder};

use crate::lexicon::Effect;
use crate::normalize::{Normalized, Unit, Word, WILDCARD};
use crate::pattern::{compile, Script};

/// One match: which letters (indices into `Normalized::letters`) and what it means.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub letters: Range<usize>,
    pub effect: Effect,
    /// The index of the streamer's rule that matched, or `None` for a built-in entry.
    pub rule: Option<usize>,
}

/// One entry of a list: a pattern, what its match means, and which streamer's rule it is (if any).
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub pattern: String,
    pub effect: Effect,
    pub rule: Option<usize>,
}

/// Bad-word entries (and the streamer's `hold` words) also match self-censored spellings ("х*й").
fn takes_wildcards(effect: Effect) -> bool {
    matches!(effect, Effect::Profanity | Effect::Block(_) | Effect::Hold)
}

/// The most memory the lazy DFA of one set may use. With the default (2 MiB) varied traffic keeps
/// clearing the cache and falling back to a slower engine: the corpus ran at 30,000 lines/s with 2 MiB
/// and 240,000–340,000 lines/s with 8–32 MiB (round 8).
const DFA_CACHE_LIMIT: usize = 16 << 20;

/// How many entries share one set in a list whose entries may all begin inside a word.
const LOOSE_CHUNK: usize = 20;

/// The one-byte alphabet the lists are matched in: ASCII as it is, the lowercase Cyrillic letters
/// (`а`…`џ`) from `0x80`, every other character some pattern names (Greek and other look-alikes, `€`…)
/// after them, and any other character as [`Alphabet::OTHER`]. Every letter is one byte, so the
/// automata have no multi-byte paths (`[^\n]` is one state, not a UTF-8 decoder), which makes them
/// smaller and their states fewer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Alphabet {
    /// The characters besides ASCII and `а`…`џ` that some pattern names, sorted; `EXTRA + index`.
    extra: Vec<char>,
}

impl Alphabet {
    const CYRILLIC: u32 = 0x430; // а
    const CYRILLIC_END: u32 = 0x460; // after џ
    const EXTRA: usize = 0x80 + (Self::CYRILLIC_END - Self::CYRILLIC) as usize;
    /// A character no pattern names: only `[^\n]` (`~`) matches it.
    const OTHER: u8 = 0xFF;

    /// The alphabet for these regex sources (as `pattern::compile` writes them).
    fn new<'a>(sources: impl IntoIterator<Item = &'a String>) -> Result<Alphabet, PatternError> {
        let mut extra: Vec<char> = sources
            .into_iter()
            .flat_map(|s| s.chars())
            .filter(|&c| !c.is_ascii() && !(Self::CYRILLIC..Self::CYRILLIC_END).contains(&(c as u32)))
            .collect();
        extra.sort_unstable();
        extra.dedup();
        if Self::EXTRA + extra.len() > Self::OTHER as usize {
            return Err(PatternError {
                pattern: "(the whole list)".into(),
                message: format!("{} different characters outside ASCII and Cyrillic are too many", extra.len()),
            });
        }
        Ok(Alphabet { extra })
    }

    /// The byte that stands for `c`.
    #[inline]
    fn byte(&self, c: char) -> u8 {
        let u = c as u32;
        if u < 0x80 {
            u as u8
        } else if (Self::CYRILLIC..Self::CYRILLIC_END).contains(&u) {
            (0x80 + u - Self::CYRILLIC) as u8
        } else {
            match self.extra.binary_search(&c) {
                Ok(i) => (Self::EXTRA + i) as u8,
                Err(_) => Self::OTHER,
            }
        }
    }

    /// A regex source (Unicode, as `pattern::compile` writes it) for the bytes of this alphabet.
    fn translate(&self, source: &str) -> String {
        let mut out = String::with_capacity(source.len() + 16);
        out.push_str("(?-u)");
        for c in source.chars() {
            if c.is_ascii() {
                out.push(c);
            } else {
                out.push_str(&format!("\\x{:02X}", self.byte(c)));
            }
        }
        out
    }
}

/// A text laid out for the matchers: one line per word, then one per alternative reading, in the
/// one-byte alphabet; each script blanks out the words it does not read.
#[derive(Debug)]
struct Layout {
    bytes: Vec<u8>,
    /// For every byte of `bytes`: the letter it stands for, or `NONE` for a word break.
    letter_at: Vec<u32>,
    /// Where each reading starts: the words, then each alternative reading alone, and the end. A match
    /// must not run from one into the next ("kill" ending the words and "yourself" starting an
    /// alternative are not a phrase).
    regions: Vec<usize>,
    /// Where each word and each alternative starts.
    starts: Vec<usize>,
}

const NONE: u32 = u32::MAX;

impl Layout {
    fn new(letters: &[Unit], words: &[Word], alternatives: &[Word], alphabet: &Alphabet) -> Layout {
        let size = letters.len() + words.len() + alternatives.iter().map(|w| w.letters.len() + 1).sum::<usize>();
        let mut layout = Layout {
            bytes: Vec::with_capacity(size),
            letter_at: Vec::with_capacity(size),
            regions: Vec::with_capacity(alternatives.len() + 2),
            starts: Vec::with_capacity(words.len() + alternatives.len()),
        };
        layout.regions.push(0);
        for (n, w) in words.iter().chain(alternatives).enumerate() {
            if n >= words.len() {
                layout.regions.push(layout.bytes.len());
            }
            layout.starts.push(layout.bytes.len());
            for k in w.letters.clone() {
                layout.bytes.push(alphabet.byte(letters[k].ch));
                layout.letter_at.push(k as u32);
            }
            layout.bytes.push(b'\n');
            layout.letter_at.push(NONE);
        }
        layout.regions.push(layout.bytes.len());
        layout
    }
}

/// Whether a match of `pattern` could begin in a word that is blanked out (`~~~`): only by reading its
/// blanks as "the rest of the word" and going on to the next word (`^~ …`, `^(~ ){0,2}…`), or with no
/// letter at all, or with regex syntax of a custom rule (`.`, `[^…]`, `\…`). The lists have none.
fn may_start_in_blank(pattern: &str) -> bool {
    let rest = pattern.trim_start_matches(['^', '(']);
    let any_char = ["\\w", "\\W", "\\d", "\\D", "\\s", "\\S", "\\p", "\\P", "\\X", "[^", "."];
    rest.starts_with("~ ")
        || any_char.iter().any(|a| pattern.contains(a))
        || !pattern.chars().any(|c| c.is_alphanumeric())
}

/// The entries of one script, compiled.
#[derive(Debug)]
struct Compiled {
    script: Script,
    /// Every entry, in one set searched anchored at each word start (a few for the letter-spaced list),
    /// with the index of its first entry (member `i` is entry `first + i`).
    sets: Vec<(RegexSet, usize)>,
    /// Each entry alone (its regex source, in the one-byte alphabet), compiled the first time the
    /// entry matches a line: where it matches. Most entries never match on a given stream, so the
    /// service does not hold thousands of compiled regexes it never runs (tens of MB).
    regexes: Vec<(String, OnceLock<Regex>)>,
    effects: Vec<Effect>,
    rules: Vec<Option<usize>>,
    /// Whether each entry names a digit itself (a match made only of digits counts only then).
    numeric: Vec<bool>,
    /// Whether some anchored entry may begin in a blanked-out word (see `may_start_in_blank`); if not,
    /// those words are not searched.
    blank_starts: bool,
}

/// A pattern the compiler refused, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// What is wrong with it.
    pub message: String,
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "moderation pattern {:?}: {}", self.pattern, self.message)
    }
}

impl std::error::Error for PatternError {}

impl Compiled {
    /// `sources`: each entry's regex as `pattern::compile` writes it for `script`.
    fn new(script: Script, entries: &[Entry], sources: &[String], alphabet: &Alphabet) -> Result<Self, PatternError> {
        let bytes: Vec<String> = sources.iter().map(|s| alphabet.translate(s)).collect();
        // Each one is parsed here, to name a broken pattern at once; `locate` compiles it on first use.
        for (e, b) in entries.iter().zip(&bytes) {
            check_one(&e.pattern, b)?;
        }
        let effects = entries.iter().map(|e| e.effect).collect();
        let rules = entries.iter().map(|e| e.rule).collect();
        let numeric = entries.iter().map(|e| e.pattern.chars().any(|c| c.is_ascii_digit())).collect();
        // `\A`: a search from a word start (the haystack begins there) ends when no entry can go on. An
        // entry that may begin inside a word (no `^`) is searched from the word start as "anything in
        // this word, then the entry".
        let anchored: Vec<String> = entries
            .iter()
            .zip(&bytes)
            .map(|(e, b)| {
                if e.pattern.starts_with('^') {
                    format!("(?-u)\\A(?:{b})")
                } else {
                    format!("(?-u)\\A(?m:^[^\\n]*)(?:{b})")
                }
            })
            .collect();
        let regexes = bytes.into_iter().map(|b| (b, OnceLock::new())).collect();
        // A list whose entries may all begin anywhere in a word (the one for letter-spaced runs) is cut
        // into chunks: one lazy DFA over all of them builds a state for nearly every letter it reads.
        let chunk =
            if entries.iter().any(|e| e.pattern.starts_with('^')) { anchored.len().max(1) } else { LOOSE_CHUNK };
        let sets = anchored
            .chunks(chunk)
            .enumerate()
            .map(|(k, sources)| {
                let set = RegexSetBuilder::new(sources)
                    .dfa_size_limit(DFA_CACHE_LIMIT)
                    .build()
                    .map_err(|e| PatternError { pattern: "(the whole list)".into(), message: e.to_string() })?;
                Ok((set, k * chunk))
            })
            .collect::<Result<Vec<_>, PatternError>>()?;
        let blank_starts = entries.iter().any(|e| may_start_in_blank(&e.pattern));
        Ok(Compiled { script, sets, regexes, effects, rules, numeric, blank_starts })
    }

    /// Adds the matches in `words` and `alternatives` (laid out in `layout`, over `letters`) to `hits`;
    /// with `long_spread_only`, looks only at long words that were spelled out letter by letter.
    fn find(
        &self,
        letters: &[Unit],
        layout: &Layout,
        words: &[Word],
        alternatives: &[Word],
        long_spread_only: bool,
        hits: &mut Vec<Hit>,
    ) {
        let eligible = |n: usize, w: &Word| {
            (match self.script {
                Script::Cyr => w.cyr,
                Script::Lat => w.lat,
                Script::Translit => w.latin,
            }) && (!long_spread_only || (n < words.len() && w.spread && w.letters.len() >= LONG_SPREAD))
        };
        let on: Vec<bool> = words.iter().chain(alternatives).enumerate().map(|(n, w)| eligible(n, w)).collect();
        if !on.contains(&true) {
            return;
        }
        // The words this script does not read are blanked out.
        let mut line = layout.bytes.clone();
        for (n, w) in words.iter().chain(alternatives).enumerate() {
            if !on[n] {
                let at = layout.starts[n];
                line[at..at + w.letters.len()].fill(b'~');
            }
        }
        let mut found: Vec<usize> = Vec::new();
        for (n, &at) in layout.starts.iter().enumerate() {
            if !on[n] && !self.blank_starts {
                continue;
            }
            let from_here = &line[at..];
            // Most words start no entry: `is_match` answers that without building a match list.
            for (set, first) in &self.sets {
                if set.is_match(from_here) {
                    found.extend(set.matches(from_here).iter().map(|i| first + i));
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        for i in found {
            self.locate(i, letters, &line, &layout.letter_at, &layout.regions, hits);
        }
    }

    /// Adds every match of entry `i` in `line` to `hits`.
    /// `regions`: the start of every reading in `line`, and its length last.
    fn locate(
        &self,
        i: usize,
        letters: &[Unit],
        line: &[u8],
        letter_at: &[u32],
        regions: &[usize],
        hits: &mut Vec<Hit>,
    ) {
        let effect = self.effects[i];
        let (source, compiled) = &self.regexes[i];
        let regex = compiled.get_or_init(|| Regex::new(source).expect("checked when the list was built"));
        for m in regex.find_iter(line) {
            let region = regions.partition_point(|&r| r <= m.start());
            if regions.get(region).is_some_and(|&next| m.end() > next) {
                continue;
            }
            let mut inside = letter_at[m.range()].iter().filter(|&&l| l != NONE);
            let Some(&first) = inside.next() else {
                continue;
            };
            let last = inside.next_back().copied().unwrap_or(first);
            if last < first {
                continue;
            }
            let span = first as usize..last as usize + 1;
            if takes_wildcards(effect) {
                // A number is a word only where the entry names digits ("^14 ?88$"): "36" is not "еб" nor
                // "1515" "isis" in look-alikes.
                if !self.numeric[i] && letters[span.clone()].iter().all(|u| u.ch.is_ascii_digit()) {
                    continue;
                }
                let wild = letters[span.clone()].iter().filter(|u| u.ch == WILDCARD).count();
                let real = span.len() - wild;
                // "х*й", "f**k" count; "****" or "f***" could be anything.
                if real < 2 || real < wild {
                    continue;
                }
            }
            hits.push(Hit { letters: span, effect, rule: self.rules[i] });
        }
    }
}

/// A word spelled out letter by letter and at least this long is probably several words run
/// together ("d r a w a n u d e"), so word anchors mean nothing inside it.
const LONG_SPREAD: usize = 7;

/// The compiled word lists of both scripts.
#[derive(Debug)]
pub(crate) struct Lexicon {
    cyr: Compiled,
    lat: Compiled,
    /// The Russian entries read in Latin transliteration, for texts that look Russian (see `translit`).
    translit: Compiled,
    /// The blocking entries without their word anchors, for long spelled-out runs only.
    cyr_unanchored: Compiled,
    lat_unanchored: Compiled,
    /// The one-byte alphabet of all of them.
    alphabet: Alphabet,
}

/// The blocking (and holding) entries of a list with `^` and `$` removed.
fn unanchored(list: &[Entry]) -> Vec<Entry> {
    list.iter()
        .filter(|e| matches!(e.effect, Effect::Block(_) | Effect::Hold))
        .map(|e| Entry { pattern: e.pattern.replace(['^', '$'], ""), ..e.clone() })
        .collect()
}

/// Checks one pattern's regex source as `regex::bytes::Regex::new` reads it (Unicode on, any bytes
/// matched), naming the pattern as written when it is wrong. Parsing is where a source fails; the
/// automaton (compiled on first use) is then built from a valid expression far below the size limit
/// its whole list already passed.
fn check_one(pattern: &str, source: &str) -> Result<(), PatternError> {
    regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(source)
        .map(drop)
        .map_err(|e| PatternError { pattern: pattern.to_owned(), message: e.to_string() })
}

/// Compiles one pattern's regex source, naming the pattern as written when it is wrong.
fn compile_one(pattern: &str, source: &str) -> Result<Regex, PatternError> {
    Regex::new(source).map_err(|e| PatternError { pattern: pattern.to_owned(), message: e.to_string() })
}

/// Checks that one pattern compiles for `script` (a streamer's rule, before the whole list is built).
pub(crate) fn check_pattern(pattern: &str, script: Script) -> Result<(), PatternError> {
    let source = compile(pattern, script, true);
    let alphabet = Alphabet::new([&source])?;
    compile_one(pattern, &alphabet.translate(&source)).map(drop)
}

/// The regex sources of `entries` for `script`.
fn sources(entries: &[Entry], script: Script) -> Vec<String> {
    entries.iter().map(|e| compile(&e.pattern, script, takes_wildcards(e.effect))).collect()
}

impl Lexicon {
    /// `translit`: the Russian entries (and translit-only ones) for the translit reading.
    pub(crate) fn new(cyr: &[Entry], lat: &[Entry], translit: &[Entry]) -> Result<Self, PatternError> {
        let (cyr_loose, lat_loose) = (unanchored(cyr), unanchored(lat));
        let lists = [
            (Script::Cyr, cyr),
            (Script::Lat, lat),
            (Script::Translit, translit),
            (Script::Cyr, &cyr_loose[..]),
            (Script::Lat, &lat_loose[..]),
        ];
        let sources: Vec<Vec<String>> = lists.iter().map(|(script, list)| sources(list, *script)).collect();
        let alphabet = Alphabet::new(sources.iter().flatten())?;
        let mut compiled = lists
            .iter()
            .zip(&sources)
            .map(|((script, list), sources)| Compiled::new(*script, list, sources, &alphabet))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter();
        let mut next = || compiled.next().expect("one compiled list per script");
        Ok(Lexicon {
            cyr: next(),
            lat: next(),
            translit: next(),
            cyr_unanchored: next(),
            lat_unanchored: next(),
            alphabet,
        })
    }

    /// Every match of every entry in the text.
    pub(crate) fn find(&self, norm: &Normalized) -> Vec<Hit> {
        let mut hits = Vec::new();
        let (letters, words, alternatives) = (&norm.letters[..], &norm.words[..], &norm.alternatives[..]);
        let layout = Layout::new(letters, words, alternatives, &self.alphabet);
        self.cyr.find(letters, &layout, words, alternatives, false, &mut hits);
        self.lat.find(letters, &layout, words, alternatives, false, &mut hits);
        if words.iter().any(|w| w.latin) {
            if let Some((words, alternatives)) = crate::translit::russian_reading(norm) {
                self.translit.find(letters, &layout, &words, &alternatives, false, &mut hits);
            }
        }
        if words.iter().any(|w| w.spread && w.letters.len() >= LONG_SPREAD) {
            self.cyr_unanchored.find(letters, &layout, words, alternatives, true, &mut hits);
            self.lat_unanchored.find(letters, &layout, words, alternatives, true, &mut hits);
        }
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_entry_is_named_when_the_list_is_built() {
        let err = check_one("^bad(", "(?:bad(").unwrap_err();
        assert_eq!(err.pattern, "^bad(", "the pattern as written, not the regex");
        assert!(check_one("^fox$", "fox").is_ok());
        assert!(check_one("^ёж", "\\x{451}ж").is_ok(), "Unicode as the entry regexes read it");
    }

    #[test]
    fn the_alphabet_has_one_byte_per_character() {
        let source = compile("^ху~", Script::Cyr, true);
        let alphabet = Alphabet::new([&source]).unwrap();
        assert_eq!(alphabet.byte('x'), b'x');
        assert_eq!(alphabet.byte('а'), 0x80);
        assert_eq!(alphabet.byte('я'), 0x80 + 31);
        assert_ne!(alphabet.byte('χ'), Alphabet::OTHER, "a look-alike the pattern names has its own byte");
        assert_eq!(alphabet.byte('🙂'), Alphabet::OTHER);
        let re = Regex::new(&alphabet.translate(&source)).unwrap();
        let bytes = |s: &str| s.chars().map(|c| alphabet.byte(c)).collect::<Vec<u8>>();
        assert!(re.is_match(&bytes("xуйня🙂")) && re.is_match(&bytes("χуй")));
        assert!(!re.is_match(&bytes("уха")));
    }

    #[test]
    fn entries_are_found_from_word_starts_only_where_they_may_begin() {
        let entry = |pattern: &str| Entry {
            pattern: pattern.into(),
            effect: Effect::Block(crate::Category::Other),
            rule: None,
        };
        let lexicon = Lexicon::new(&[entry("^кот$"), entry("ху[йя]")], &[entry("^cat$")], &[]).unwrap();
        let found = |text: &str| lexicon.find(&crate::normalize::normalize(text)).len();
        assert_eq!(found("кот и котлета"), 1, "^кот$ is a whole word");
        assert_eq!(found("нахуя"), 1, "an entry without ^ is found inside a word");
        assert_eq!(found("a cat and a concatenation"), 1);
        assert_eq!(found("котлета"), 0);
    }

    #[test]
    fn blanked_words_are_searched_only_when_an_entry_could_start_there() {
        assert!(!may_start_in_blank("^~страху~$"));
        assert!(!may_start_in_blank("^(в )?латекс~"));
        assert!(may_start_in_blank("^~ кот"));
        assert!(may_start_in_blank("^(~ ){0,2}кот"));
        assert!(may_start_in_blank("^.ot"));
    }
}
