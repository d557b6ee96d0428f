//! The matcher: runs the compiled lexicon over a normalised text and says which letters matched what.
//!
//! The normalised text is laid out once per script as one line per word (`"нарисуй\nхуй\n"`), with the
//! words the script does not apply to blanked out. A `RegexSet` finds which entries match at all (one
//! pass of a lazy DFA over the line); only those entries are run again to find where.

use std::ops::Range;

use regex::{Regex, RegexSet, RegexSetBuilder};

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

/// The most memory the lazy DFA of one list may use. With the default (2 MiB) varied traffic keeps
/// clearing the cache of the whole-list DFA and falling back to a slower engine: the corpus ran at
/// 30,000 lines/s with 2 MiB and 240,000–340,000 lines/s with 8–32 MiB (the process's peak memory
/// stayed at 34 MB in both).
const DFA_CACHE_LIMIT: usize = 16 << 20;

/// How many single-word patterns (and how many phrase patterns) share one `RegexSet`.
const WORD_CHUNK: usize = 300;
const PHRASE_CHUNK: usize = 90;

/// The entries of one script, compiled.
#[derive(Debug)]
struct Compiled {
    script: Script,
    /// The entries in a few sets (see `WORD_CHUNK`): which of them match anywhere; each set's members
    /// are indices into `regexes`.
    sets: Vec<(RegexSet, Vec<usize>)>,
    /// Each entry alone: where it matches.
    regexes: Vec<Regex>,
    effects: Vec<Effect>,
    rules: Vec<Option<usize>>,
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
    fn new(script: Script, entries: &[Entry]) -> Result<Self, PatternError> {
        let mut sources = Vec::with_capacity(entries.len());
        let mut regexes = Vec::with_capacity(entries.len());
        for e in entries {
            let source = compile(&e.pattern, script, takes_wildcards(e.effect));
            regexes.push(compile_one(&e.pattern, &source)?);
            sources.push(source);
        }
        let effects = entries.iter().map(|e| e.effect).collect();
        let rules = entries.iter().map(|e| e.rule).collect();
        // Single-word patterns and phrase patterns go to different sets, and the phrases are cut into
        // chunks: one lazy DFA over every entry has so many states that never-seen messages keep
        // building new ones (1.7 times slower on them here), while every extra set is one more pass
        // over each text (chunks of 50 cost typical messages 40 % more than chunks of 90).
        let mut sets = Vec::new();
        for phrase in [false, true] {
            let members: Vec<usize> =
                (0..entries.len()).filter(|&i| entries[i].pattern.contains(' ') == phrase).collect();
            for chunk in members.chunks(if phrase { PHRASE_CHUNK } else { WORD_CHUNK }) {
                let set = RegexSetBuilder::new(chunk.iter().map(|&i| &sources[i]))
                    .dfa_size_limit(DFA_CACHE_LIMIT)
                    .build()
                    .map_err(|e| PatternError { pattern: "(the whole list)".into(), message: e.to_string() })?;
                sets.push((set, chunk.to_vec()));
            }
        }
        Ok(Compiled { script, sets, regexes, effects, rules })
    }

    /// Adds the matches in `words` and `alternatives` (over `letters`) to `hits`; with
    /// `long_spread_only`, looks only at long words that were spelled out letter by letter.
    fn find(
        &self,
        letters: &[Unit],
        words: &[Word],
        alternatives: &[Word],
        long_spread_only: bool,
        hits: &mut Vec<Hit>,
    ) {
        let eligible = |w: &Word| {
            (match self.script {
                Script::Cyr => w.cyr,
                Script::Lat => w.lat,
                Script::Translit => w.latin,
            }) && (!long_spread_only || (w.spread && w.letters.len() >= LONG_SPREAD))
        };
        if !words.iter().chain(alternatives).any(&eligible) {
            return;
        }
        let mut line = String::with_capacity(letters.len() * 2 + words.len());
        // For every byte of `line`: the letter it belongs to, or NONE for a word break.
        let mut letter_at: Vec<u32> = Vec::with_capacity(line.capacity());
        const NONE: u32 = u32::MAX;
        let alternatives = if long_spread_only { &[][..] } else { alternatives };
        // Where each reading starts in `line`: the words, then each alternative reading alone. A match
        // must not run from one into the next ("kill" ending the words and "yourself" starting an
        // alternative are not a phrase).
        let mut regions: Vec<usize> = Vec::with_capacity(alternatives.len() + 2);
        regions.push(0);
        for (n, w) in words.iter().chain(alternatives).enumerate() {
            if n >= words.len() {
                regions.push(line.len());
            }
            let on = eligible(w);
            for k in w.letters.clone() {
                let c = if on { letters[k].ch } else { '~' };
                line.push(c);
                letter_at.extend(std::iter::repeat_n(k as u32, c.len_utf8()));
            }
            line.push('\n');
            letter_at.push(NONE);
        }
        regions.push(line.len());
        for (set, members) in &self.sets {
            let matched = set.matches(&line);
            if matched.matched_any() {
                for i in matched.iter() {
                    self.locate(members[i], letters, &line, &letter_at, &regions, hits);
                }
            }
        }
    }

    /// Adds every match of entry `i` in `line` to `hits`.
    /// `regions`: the start of every reading in `line`, and its length last.
    fn locate(
        &self,
        i: usize,
        letters: &[Unit],
        line: &str,
        letter_at: &[u32],
        regions: &[usize],
        hits: &mut Vec<Hit>,
    ) {
        const NONE: u32 = u32::MAX;
        let effect = self.effects[i];
        for m in self.regexes[i].find_iter(line) {
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
}

/// The blocking (and holding) entries of a list with `^` and `$` removed.
fn unanchored(list: &[Entry]) -> Vec<Entry> {
    list.iter()
        .filter(|e| matches!(e.effect, Effect::Block(_) | Effect::Hold))
        .map(|e| Entry { pattern: e.pattern.replace(['^', '$'], ""), ..e.clone() })
        .collect()
}

/// Compiles one pattern's regex source, naming the pattern as written when it is wrong.
fn compile_one(pattern: &str, source: &str) -> Result<Regex, PatternError> {
    Regex::new(source).map_err(|e| PatternError { pattern: pattern.to_owned(), message: e.to_string() })
}

/// Checks that one pattern compiles for `script` (a streamer's rule, before the whole list is built).
pub(crate) fn check_pattern(pattern: &str, script: Script) -> Result<(), PatternError> {
    compile_one(pattern, &compile(pattern, script, true)).map(drop)
}

impl Lexicon {
    /// `translit`: the Russian entries (and translit-only ones) for the translit reading.
    pub(crate) fn new(cyr: &[Entry], lat: &[Entry], translit: &[Entry]) -> Result<Self, PatternError> {
        Ok(Lexicon {
            cyr: Compiled::new(Script::Cyr, cyr)?,
            lat: Compiled::new(Script::Lat, lat)?,
            translit: Compiled::new(Script::Translit, translit)?,
            cyr_unanchored: Compiled::new(Script::Cyr, &unanchored(cyr))?,
            lat_unanchored: Compiled::new(Script::Lat, &unanchored(lat))?,
        })
    }

    /// Every match of every entry in the text.
    pub(crate) fn find(&self, norm: &Normalized) -> Vec<Hit> {
        let mut hits = Vec::new();
        let (letters, words, alternatives) = (&norm.letters[..], &norm.words[..], &norm.alternatives[..]);
        self.cyr.find(letters, words, alternatives, false, &mut hits);
        self.lat.find(letters, words, alternatives, false, &mut hits);
        if words.iter().any(|w| w.latin) {
            if let Some((words, alternatives)) = crate::translit::russian_reading(norm) {
                self.translit.find(letters, &words, &alternatives, false, &mut hits);
            }
        }
        if words.iter().any(|w| w.spread && w.letters.len() >= LONG_SPREAD) {
            self.cyr_unanchored.find(letters, words, alternatives, true, &mut hits);
            self.lat_unanchored.find(letters, words, alternatives, true, &mut hits);
        }
        hits
    }
}
