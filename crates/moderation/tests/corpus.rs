//! The labelled corpus (`tests/corpus.tsv`): every line must get its expected verdict and category.
//! Prints counts, per-category precision and recall, and the headline numbers; fails on any
//! mismatch and lists them all. The out-of-sample batches in `tests/batches/` must stay fixed too
//! (`cargo run --release -p moderation --example batch_report -- FILE.tsv` prints a batch's report).
//!
//! `cargo test -p moderation --test corpus -- --nocapture`

use std::collections::BTreeMap;

use moderation::{check, Category, VerdictKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Label {
    verdict: VerdictKind,
    category: Option<Category>,
}

/// Replaces `\u{...}` escapes with the characters they name.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("\\u{") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find('}').expect("closed \\u{ escape") + at;
        let code = u32::from_str_radix(&rest[at + 3..end], 16).expect("hex escape");
        out.push(char::from_u32(code).expect("valid char"));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn parse(line: &str) -> (String, Label) {
    let cols: Vec<&str> = line.split('\t').collect();
    assert_eq!(cols.len(), 3, "corpus line needs 3 tab-separated columns: {line:?}");
    let verdict = match cols[1] {
        "allow" => VerdictKind::Allow,
        "profanity" => VerdictKind::Profanity,
        "block" => VerdictKind::Block,
        other => panic!("unknown verdict {other:?} in {line:?}"),
    };
    let category = match cols[2] {
        "-" => None,
        name => Some(Category::parse(name).unwrap_or_else(|| panic!("unknown category {name:?}"))),
    };
    (unescape(cols[0]), Label { verdict, category })
}

fn lines_of(tsv: &str) -> Vec<(String, Label)> {
    tsv.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).map(parse).collect()
}

fn corpus() -> Vec<(String, Label)> {
    lines_of(include_str!("corpus.tsv"))
}

/// The out-of-sample batches (written by people who never saw the lists, run once before fixing; see
/// the README), kept so that their fixes stay fixed.
const BATCHES: &[(&str, &str)] = &[
    ("round9", include_str!("batches/round9.tsv")),
    ("round10", include_str!("batches/round10.tsv")),
    ("round11", include_str!("batches/round11.tsv")),
];

#[test]
fn batches_stay_fixed() {
    let mut mismatches = Vec::new();
    for (name, tsv) in BATCHES {
        let lines = lines_of(tsv);
        assert!(lines.len() >= 100, "{name}: only {} lines", lines.len());
        for (text, want) in &lines {
            let got = check(text);
            if (got.verdict, got.category) != (want.verdict, want.category) {
                mismatches.push(format!("  {name}: {text:?}: want {want:?}, got {:?}/{:?}", got.verdict, got.category));
            }
        }
    }
    assert!(mismatches.is_empty(), "{} batch mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
}

fn is_russian(text: &str) -> bool {
    text.chars().filter(|c| ('\u{0400}'..='\u{04FF}').contains(c)).count() * 2
        >= text.chars().filter(|c| c.is_alphabetic()).count()
}

#[test]
fn corpus_verdicts() {
    let lines = corpus();
    let mut mismatches = Vec::new();
    let mut by_label: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    // Per block category: true positives, false positives, false negatives.
    let mut per_cat: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let (mut blocks, mut blocks_caught, mut not_block, mut false_blocks) = (0, 0, 0, 0);
    let (mut profane, mut profane_blocked, mut flagged_ok, mut flagged) = (0, 0, 0, 0);
    let mut russian = 0;
    for (text, want) in &lines {
        let got = check(text);
        let got = Label { verdict: got.verdict, category: got.category };
        russian += usize::from(is_russian(text));
        let key = format!("{}/{}", want.verdict.as_str(), want.category.map_or("-", |c| c.as_str()));
        let entry = by_label.entry(key).or_default();
        entry.0 += 1;
        if got == *want {
            entry.1 += 1;
        } else {
            mismatches.push(format!("  {text:?}: want {want:?}, got {got:?}"));
        }
        if want.verdict == VerdictKind::Block {
            blocks += 1;
            blocks_caught += usize::from(got.verdict == VerdictKind::Block);
        } else {
            not_block += 1;
            false_blocks += usize::from(got.verdict == VerdictKind::Block);
        }
        if want.verdict == VerdictKind::Profanity {
            profane += 1;
            profane_blocked += usize::from(got.verdict == VerdictKind::Block);
        }
        if got.verdict != VerdictKind::Allow {
            flagged += 1;
            flagged_ok += usize::from(want.verdict != VerdictKind::Allow);
        }
        for c in Category::ALL {
            let e = per_cat.entry(c.as_str()).or_default();
            match (want.category == Some(c), got.category == Some(c)) {
                (true, true) => e.0 += 1,
                (false, true) => e.1 += 1,
                (true, false) => e.2 += 1,
                (false, false) => {}
            }
        }
    }

    println!(
        "corpus: {} lines ({} Russian), {} match, {} mismatch",
        lines.len(),
        russian,
        lines.len() - mismatches.len(),
        mismatches.len()
    );
    for (label, (n, ok)) in &by_label {
        println!("  {label:<18} {ok:>4}/{n:<4}");
    }
    println!("per block category (precision / recall):");
    for (cat, (tp, fp, fn_)) in &per_cat {
        if tp + fp + fn_ == 0 {
            continue;
        }
        let p = *tp as f64 / (tp + fp).max(1) as f64;
        let r = *tp as f64 / (tp + fn_).max(1) as f64;
        println!("  {cat:<10} precision {p:.3}  recall {r:.3}  (tp {tp}, fp {fp}, fn {fn_})");
    }
    let recall = blocks_caught as f64 / blocks.max(1) as f64;
    let false_block_rate = false_blocks as f64 / not_block.max(1) as f64;
    let precision = flagged_ok as f64 / flagged.max(1) as f64;
    println!("block recall {recall:.3} ({blocks_caught}/{blocks}); false blocks {false_block_rate:.3} ({false_blocks}/{not_block})");
    println!("flagged precision (not allow when it should not be allowed) {precision:.3} ({flagged_ok}/{flagged}); profanity blocked: {profane_blocked}/{profane}");

    assert!(lines.len() >= 150, "the corpus needs at least 150 lines");
    // The bar, kept even if a known miss is ever accepted into the corpus.
    assert!(recall >= 0.97, "block recall {recall:.3} < 0.97");
    assert!(false_block_rate <= 0.01, "false blocks {false_block_rate:.3} > 1%");
    assert_eq!(profane_blocked, 0, "profanity must never be blocked");
    assert!(mismatches.is_empty(), "{} corpus mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
}
