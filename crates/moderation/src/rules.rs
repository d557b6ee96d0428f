//! The streamer's own rules file: one rule per line, `ACTION PATTERN`, parsed without I/O.
//!
//! ```text
//! # Anything after '#' is a comment.
//! hold        ^clown~              # a moderator approves each clown first
//! block       ^rival~              # never drawn (category "other")
//! block:gore  ^chainsaw~           # never drawn, category "gore"
//! profanity   ^heck$               # drawn, but the word is starred
//! allow       ^cockatoo$           # innocent here: built-in matches inside it are dropped
//! ```
//!
//! Actions: `allow`, `profanity`, `hold`, `block` (category `other`) and `block:CATEGORY` with one of
//! `sexual`, `minors`, `gore`, `hate`, `self_harm`, `drugs`, `extremism`, `doxxing`, `other`. The
//! pattern is the rest of the line in the pattern language of the built-in lists. An `allow` pattern
//! must name a word (three letters or more), and no `allow` rule makes a `minors` word drawable.

use crate::matcher::check_pattern;
use crate::pattern::Script;
use crate::{Category, Rule, RuleAction};

/// What is wrong with a rules file, and on which line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for RuleError {}

const ACTIONS: &str = "allow, profanity, hold, block or block:CATEGORY";

/// Parses a rules file's text. Every pattern is compiled once here, so an error names its line.
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, RuleError> {
    let mut rules = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let err = |message: String| RuleError { line, message };
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let (action, pattern) = match content.split_once(char::is_whitespace) {
            Some((a, p)) => (a, p.trim()),
            None => return Err(err(format!("{content:?} has no pattern: write \"ACTION PATTERN\" ({ACTIONS})"))),
        };
        let action = parse_action(action).map_err(err)?;
        let pattern = pattern.to_lowercase();
        if action == RuleAction::Allow && pattern.chars().filter(|c| c.is_alphabetic()).count() < 3 {
            return Err(err(format!(
                "allow pattern {pattern:?} is too broad: name the innocent word (at least 3 letters), e.g. ^cockatoo$"
            )));
        }
        for script in [Script::Cyr, Script::Lat, Script::Translit] {
            check_pattern(&pattern, script)
                .map_err(|e| err(format!("pattern {pattern:?} is not valid: {}", e.message)))?;
        }
        rules.push(Rule { pattern, action });
    }
    Ok(rules)
}

fn parse_action(word: &str) -> Result<RuleAction, String> {
    match word.to_lowercase().as_str() {
        "allow" => Ok(RuleAction::Allow),
        "profanity" => Ok(RuleAction::Profanity),
        "hold" => Ok(RuleAction::Hold),
        "block" => Ok(RuleAction::Block(Category::Other)),
        other => match other.strip_prefix("block:") {
            Some(name) => Category::parse(name).map(RuleAction::Block).ok_or_else(|| {
                let names: Vec<_> = Category::ALL.iter().map(|c| c.as_str()).collect();
                format!("unknown category {name:?} (expected one of {})", names.join(", "))
            }),
            None => Err(format!("unknown action {word:?} (expected {ACTIONS})")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rules_file_parses_with_comments_phrases_and_categories() {
        let rules = parse_rules(
            "# my rules\n\nhold ^Clown~   # ask me first\nblock:gore  ^chainsaw~\nBLOCK kill the streamer\nallow ^cockatoo$\nprofanity ^heck$\n",
        )
        .unwrap();
        let got: Vec<_> = rules.iter().map(|r| (r.pattern.as_str(), r.action)).collect();
        assert_eq!(
            got,
            [
                ("^clown~", RuleAction::Hold),
                ("^chainsaw~", RuleAction::Block(Category::Gore)),
                ("kill the streamer", RuleAction::Block(Category::Other)),
                ("^cockatoo$", RuleAction::Allow),
                ("^heck$", RuleAction::Profanity),
            ]
        );
        assert_eq!(parse_rules("").unwrap(), []);
    }

    #[test]
    fn errors_name_the_line_and_what_is_wrong() {
        let e = parse_rules("hold ^clown~\n\nblok ^rival~\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("unknown action \"blok\""), "{e}");
        let e = parse_rules("block:violence ^axe~").unwrap_err();
        assert!(e.message.contains("unknown category \"violence\"") && e.message.contains("self_harm"), "{e}");
        let e = parse_rules("# x\nhold").unwrap_err();
        assert_eq!((e.line, e.message.contains("no pattern")), (2, true), "{e}");
        let e = parse_rules("allow ~").unwrap_err();
        assert!(e.message.contains("too broad"), "{e}");
        let e = parse_rules("hold (clown").unwrap_err();
        assert!(e.to_string().starts_with("line 1: pattern \"(clown\" is not valid"), "{e}");
    }
}
