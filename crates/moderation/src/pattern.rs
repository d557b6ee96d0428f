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
            match c {
                ' ' if i >= 2 && chars[i - 2] == '~' => out.push_str("\\n"),
                ' ' => {
                    out.push_str("\\n?");
                    if chars.get(i) == Some(&'?') {
                        i += 1; // " ?" says the same as " "
                    }
                }
                '~' => out.push_str("[^\\n]*"),
                _ => out.push(c),
            }
            false
        };
        if is_class {
            match chars.get(i) {
                // An optional letter may be repeated too: "пид[оа]?р" matches "пидоорас".
                Some('?') => {
                    out.push('*');
                    i += 1;
                }
                Some('*' | '+' | '{') => {}
                _ => out.push('+'),
            }
        }
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
    fn compiled_patterns_are_valid_regexes() {
        let re = regex::Regex::new(&compile("^f[uv]ck~$", Script::Lat, true)).unwrap();
        assert!(re.is_match("fuuuck"));
        assert!(re.is_match("f*ck"));
        assert!(re.is_match("phuck\nf\u{03C5}ck"));
    }
}
