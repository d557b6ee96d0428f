//! The pattern language of the lexicon, compiled to `regex` syntax.
//!
//! Patterns are written in plain lowercase letters with a little regex syntax. Compilation does the
//! evasion work, so the lists stay readable:
//! * every letter becomes the class of characters that can stand for it (`х` → `[хxχ]`, `a` →
//!   `[aа@4α]`), so look-alikes from the other script, digits and symbols match;
//! * every letter (or bracketed class) not followed by a quantifier gets `+`, so repeats match
//!   ("fuuuck", "хууууй"); a doubled letter (`ss`) needs at least two;
//! * in patterns of bad words every class also takes the wildcard `*` (self-censoring, "х*й");
//! * a space means "a word boundary or none" (`kill yourself` also matches `killyourself`), except
//!   after `~`, where it is a word boundary (`гол~ дерев~` must not match inside one word);
//! * `~` means "the rest of this word" and `^`/`$` mean the start and end of a word.
//!
//! The text the patterns run on has one line per word (see `matcher`), so `^` and `$` are line anchors.

use crate::normalize::WILDCARD;

/// Which lexicon a pattern belongs to: it decides the look-alike classes and which words it sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    /// Russian: Latin letters and digits that look Cyrillic are accepted for Cyrillic letters.
    Cyr,
    /// English (and Latin transliterations): Cyrillic letters and digits that look Latin are accepted.
    Lat,
    /// Russian patterns read in Latin transliteration ("goluyu" for голую): every Cyrillic letter
    /// accepts its spellings in the common schemes (`ж`: zh, j; `ш`: sh, w; `ч`: ch, 4; `я`: ya, ja…),
    /// and `ь`/`ъ` may be left out. Used only for the translit reading of Latin words (see `matcher`).
    Translit,
}

/// The Latin spellings of a Cyrillic letter in the common transliteration schemes (GOST, the passport
/// scheme, "volapük" chat spellings with digits), besides the letter itself. Look-alike Latin letters
/// (`p` for р, `h` for н, `c` for с, `y` for у) are deliberately not here: in translit `p` is п, `h`
/// is х, `c` is ц and `y` is ы or й; the look-alike reading is the Cyrillic pass's job. `w` is ш or щ
/// only, not в ("web" must not read as въеб).
fn translit_spellings(c: char) -> &'static [&'static str] {
    match c {
        'а' => &["a", "@", "4"],
        'б' => &["b", "6"],
        'в' => &["v", "8"],
        'г' => &["g"],
        'д' => &["d"],
        'е' => &["e", "je", "yo", "3", "€"],
        'ж' => &["zh", "j", ">|<"],
        'з' => &["z", "3"],
        'и' => &["i", "y", "1"],
        'й' => &["y", "j", "i"],
        'к' => &["k", "q"],
        'л' => &["l"],
        'м' => &["m"],
        'н' => &["n"],
        'о' => &["o", "0"],
        'п' => &["p"],
        'р' => &["r"],
        'с' => &["s", "$"],
        'т' => &["t"],
        'у' => &["u"],
        'ф' => &["f", "ph"],
        'х' => &["h", "kh", "x"],
        'ц' => &["ts", "c", "tz", "tc", "cz"],
        'ч' => &["ch", "4", "tch", "c"],
        'ш' => &["sh", "w", "6"],
        'щ' => &["shch", "sch", "sh", "w", "sh4", "shh", "6"],
        'ы' => &["y", "i", "yi", "ui"],
        'э' => &["e", "eh", "ae"],
        'ю' => &["yu", "ju", "iu"],
        'я' => &["ya", "ja", "ia", "9"],
        _ => &[],
    }
}

/// Appends the translit alternatives of `c` (without the enclosing group) to `alts`.
fn push_translit(alts: &mut Vec<String>, c: char) {
    let mut own = String::new();
    push_escaped(&mut own, c);
    if !alts.contains(&own) {
        alts.push(own);
    }
    for s in translit_spellings(c) {
        let mut e = String::new();
        for ch in s.chars() {
            push_escaped(&mut e, ch);
        }
        if !alts.contains(&e) {
            alts.push(e);
        }
    }
}

/// The characters that may stand for `c` in text written in `script`. `c` itself always comes first.
fn lookalikes(c: char, script: Script) -> &'static str {
    match script {
        Script::Cyr => match c {
            'а' => "аa@4α",
            'б' => "б6b",
            'в' => "вb8β",
            'г' => "гr",
            'д' => "дd",
            'е' => "еeє€ε3",
            'з' => "з3z",
            'и' => "иuіi1",
            'й' => "йиuіij",
            'к' => "кkκ",
            'л' => "лl",
            'м' => "мm",
            'н' => "нhn",
            'о' => "оo0οσ",
            'п' => "пnπ",
            'р' => "рpρ",
            'с' => "сcς¢s",
            'т' => "тtmτ",
            'у' => "уyү",
            'ф' => "фf",
            'х' => "хxχ",
            'ч' => "ч4",
            'ш' => "шw",
            'ъ' => "ъь",
            'ь' => "ьъb",
            'я' => "я9",
            _ => "",
        },
        Script::Lat => match c {
            'a' => "a@4аα",
            'b' => "b86вβ",
            'c' => "c¢сς",
            'd' => "dԁ",
            'e' => "e3е€εє",
            'g' => "g96",
            'h' => "hн",
            'i' => "i1!|іíї",
            'j' => "jј",
            'k' => "kкκ",
            'l' => "l1|і",
            'm' => "mм",
            'n' => "nпη",
            'o' => "o0оοσ",
            'p' => "pрρ",
            's' => "s$5ѕ",
            't' => "t7т+τ",
            'u' => "uvυμ",
            'v' => "v",
            'w' => "wш",
            'x' => "xх×χ",
            'y' => "yуү",
            'z' => "z2",
            _ => "",
        },
        // Translit patterns are compiled by `compile_translit` from `translit_spellings`.
        Script::Translit => "",
    }
}

fn push_class_members(out: &mut String, c: char, script: Script) {
    let alts = lookalikes(c, script);
    if alts.is_empty() {
        push_escaped(out, c);
    } else {
        for a in alts.chars() {
            push_escaped(out, a);
        }
    }
}

fn push_escaped(out: &mut String, c: char) {
    if matches!(c, '\\' | '[' | ']' | '^' | '-' | '&' | '~' | '|' | '$' | '+' | '*' | '!' | '@') {
        out.push('\\');
    }
    out.push(c);
}

/// Compiles one lexicon pattern to `regex` syntax. `wildcard`: classes also accept `*`.
pub(crate) fn compile(pattern: &str, script: Script, wildcard: bool) -> String {
    if script == Script::Translit {
        return compile_translit(pattern, wildcard);
    }
    let mut out = String::with_capacity(pattern.len() * 12);
    out.push_str("(?m)");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        let is_class = if c == '[' {
            out.push('[');
            while i < chars.len() && chars[i] != ']' {
                if chars[i] == '-' {
                    out.push('-'); // a range such as `[0-9]`
                } else {
                    push_class_members(&mut out, chars[i], script);
                }
                i += 1;
            }
            i += 1;
            if wildcard {
                push_escaped(&mut out, WILDCARD);
            }
            out.push(']');
            true
        } else if c.is_alphabetic() {
            out.push('[');
            push_class_members(&mut out, c, script);
            if wildcard {
                push_escaped(&mut out, WILDCARD);
            }
            out.push(']');
            true
        } else {
            push_separator(&mut out, &chars, &mut i, c);
            false
        };
        if is_class {
            push_repeat(&mut out, &chars, &mut i, false);
        }
    }
    out
}

/// A pattern's character that is not a letter: a space is "next word, or none" (a word break after
/// `~` and before a gap of whole words `(~ )`, and `" ?"` says the same as `" "`), `~` the rest of
/// the word, anything else regex syntax.
fn push_separator(out: &mut String, chars: &[char], i: &mut usize, c: char) {
    match c {
        // Before `(~ )` the words end here: "^кот (~ ){0,1}засунули" must not read "котлету засунули".
        ' ' if (*i >= 2 && chars[*i - 2] == '~') || chars[*i..].starts_with(&['(', '~', ' ', ')']) => {
            out.push_str("\\n")
        }
        ' ' => {
            out.push_str("\\n?");
            if chars.get(*i) == Some(&'?') {
                *i += 1;
            }
        }
        '~' => out.push_str("[^\\n]*"),
        _ => out.push(c),
    }
}

/// The repeat after a letter: every letter may repeat (`+`, or `*` when it may be left out); an
/// optional letter may be repeated too ("пид[оа]?р" matches "пидоорас"); explicit quantifiers stay.
fn push_repeat(out: &mut String, chars: &[char], i: &mut usize, optional: bool) {
    match chars.get(*i) {
        Some('?') => {
            out.push('*');
            *i += 1;
        }
        Some('*' | '+' | '{') => {}
        _ if optional => out.push('*'),
        _ => out.push('+'),
    }
}

/// `compile` for [`Script::Translit`]: every letter (or class) becomes a group of its spellings;
/// `ь` and `ъ` become optional (`y`, `j` or nothing).
fn compile_translit(pattern: &str, wildcard: bool) -> String {
    let mut out = String::with_capacity(pattern.len() * 24);
    out.push_str("(?m)");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        let mut alts: Vec<String> = Vec::new();
        let mut ranges = String::new();
        let mut soft_only = false;
        if c == '[' {
            let mut members = Vec::new();
            while i < chars.len() && chars[i] != ']' {
                if chars[i] == '-' && !members.is_empty() && i + 1 < chars.len() && chars[i + 1] != ']' {
                    // A range such as `[0-9]`: kept as a regex class.
                    let from = members.pop().unwrap_or('0');
                    ranges.push(from);
                    ranges.push('-');
                    ranges.push(chars[i + 1]);
                    i += 2;
                    continue;
                }
                members.push(chars[i]);
                i += 1;
            }
            i += 1;
            soft_only = !members.is_empty() && members.iter().all(|m| matches!(m, 'ь' | 'ъ'));
            for m in members {
                if matches!(m, 'ь' | 'ъ') {
                    push_translit(&mut alts, 'ь');
                    for s in ["y", "j"] {
                        if !alts.iter().any(|a| a == s) {
                            alts.push(s.to_string());
                        }
                    }
                } else {
                    push_translit(&mut alts, m);
                }
            }
        } else if c == 'ь' || c == 'ъ' {
            out.push_str("(?:ь|ъ|y|j)?");
            if matches!(chars.get(i), Some('?' | '+' | '*')) {
                i += 1;
            }
            continue;
        } else if c.is_alphabetic() {
            push_translit(&mut alts, c);
        } else {
            push_separator(&mut out, &chars, &mut i, c);
            continue;
        }
        if wildcard {
            alts.push(format!("\\{WILDCARD}"));
        }
        out.push_str("(?:");
        if !ranges.is_empty() {
            out.push('[');
            out.push_str(&ranges);
            out.push(']');
            if !alts.is_empty() {
                out.push('|');
            }
        }
        out.push_str(&alts.join("|"));
        out.push(')');
        push_repeat(&mut out, &chars, &mut i, soft_only);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_become_repeatable_lookalike_classes() {
        assert_eq!(compile("ху", Script::Cyr, false), "(?m)[хxχ]+[уyү]+");
        assert_eq!(compile("^as?$", Script::Lat, true), "(?m)^[a\\@4аα\\*]+[s\\$5ѕ\\*]*$");
        assert_eq!(compile("a b~", Script::Lat, false), "(?m)[a\\@4аα]+\\n?[b86вβ]+[^\\n]*");
    }

    #[test]
    fn translit_patterns_read_latin_spellings() {
        let re = |p: &str| regex::Regex::new(&compile(p, Script::Translit, true)).unwrap();
        let golaya = re("^гол(ая|ую)$");
        assert!(golaya.is_match("goluyu") && golaya.is_match("golaja") && golaya.is_match("голую"));
        assert!(!golaya.is_match("golf"));
        let siski = re("сис(ьк|ек)");
        assert!(siski.is_match("siskami") && siski.is_match("sisjki"));
        let shkol = re("^школьн(иц|ик)~");
        assert!(shkol.is_match("shkolnicu") && shkol.is_match("wkolnicu") && !shkol.is_match("skolnica"));
        assert!(re("^ж[ао]п~").is_match("jopa") && re("^ж[ао]п~").is_match("zhopa"));
        assert!(re("^([1-9]{1}|1[0-7]{1}) ?(лет)$").is_match("13\nlet"));
        assert!(re("ху[йяеию]").is_match("ohuennogo"));
    }

    #[test]
    fn a_gap_of_words_starts_at_a_word_break() {
        let re = regex::Regex::new(&compile("^кот (~ ){0,1}засунули", Script::Cyr, true)).unwrap();
        assert!(re.is_match("кот\nзасунули") && re.is_match("кот\nбыстро\nзасунули"));
        assert!(!re.is_match("котлету\nзасунули"), "a gap must not start inside the first word");
        let re = regex::Regex::new(&compile("^kill yourself$", Script::Lat, true)).unwrap();
        assert!(re.is_match("killyourself"), "without a gap a space may still be left out");
    }

    #[test]
    fn compiled_patterns_are_valid_regexes() {
        let re = regex::Regex::new(&compile("^f[uv]ck~$", Script::Lat, true)).unwrap();
        assert!(re.is_match("fuuuck"));
        assert!(re.is_match("f*ck"));
        assert!(re.is_match("phuck\nf\u{03C5}ck"));
    }
}
