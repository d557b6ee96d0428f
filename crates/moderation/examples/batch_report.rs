//! Runs a labelled batch (`text<TAB>verdict<TAB>category`, `#` comments) through the word layer and
//! prints the numbers the README reports for each out-of-sample round: block recall overall and per
//! category, false blocks, blocked profanity, unmasked profanity, innocent lines masked, and every miss.
//!
//! `cargo run --release -p moderation --example batch_report -- crates/moderation/tests/batches/round9.tsv`
//!
//! Categories are compared by name, so a batch may name a category this build does not know yet (it is
//! then never matched, which is the honest first-run number).

use std::collections::BTreeMap;

use moderation::{check, VerdictKind};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: batch_report FILE.tsv [--quiet]");
        std::process::exit(2);
    };
    let quiet = args.any(|a| a == "--quiet");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));

    // Per category: lines, blocked, blocked with the right category.
    let mut cats: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let (mut allow, mut allow_blocked, mut allow_masked) = (0, 0, 0);
    let (mut profane, mut profane_blocked, mut profane_unmasked) = (0, 0, 0);
    let mut misses = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 3 {
            eprintln!("{path}:{}: skipped, needs 3 tab-separated columns: {line:?}", n + 1);
            continue;
        }
        let (input, want, want_cat) = (cols[0], cols[1].trim(), cols[2].trim());
        let v = check(input);
        let got_cat = v.category.map_or("-", |c| c.as_str());
        let got = format!("{}/{}", v.verdict.as_str(), got_cat);
        match want {
            "block" => {
                let e = cats.entry(want_cat.to_string()).or_default();
                e.0 += 1;
                let blocked = v.verdict == VerdictKind::Block;
                e.1 += usize::from(blocked);
                e.2 += usize::from(blocked && got_cat == want_cat);
                if !blocked {
                    misses.push(format!("MISS      [{want_cat}] {input:?} -> {got}"));
                } else if got_cat != want_cat {
                    misses.push(format!("WRONG CAT [{want_cat}] {input:?} -> {got}"));
                }
            }
            "profanity" => {
                profane += 1;
                match v.verdict {
                    VerdictKind::Block => {
                        profane_blocked += 1;
                        misses.push(format!("PROF BLOCKED  {input:?} -> {got}"));
                    }
                    VerdictKind::Allow => {
                        profane_unmasked += 1;
                        misses.push(format!("PROF UNMASKED {input:?}"));
                    }
                    _ => {}
                }
            }
            "allow" => {
                allow += 1;
                match v.verdict {
                    VerdictKind::Block => {
                        allow_blocked += 1;
                        misses.push(format!("FALSE BLOCK   {input:?} -> {got}  masked: {}", v.masked));
                    }
                    VerdictKind::Profanity => {
                        allow_masked += 1;
                        misses.push(format!("FALSE MASK    {input:?} -> {}", v.masked));
                    }
                    _ => {}
                }
            }
            other => eprintln!("{path}:{}: unknown verdict {other:?}", n + 1),
        }
    }

    let (blocks, caught, right): (usize, usize, usize) =
        cats.values().fold((0, 0, 0), |a, e| (a.0 + e.0, a.1 + e.1, a.2 + e.2));
    println!("{path}");
    println!("| block category | lines | blocked | recall | right category |");
    println!("|---|---|---|---|---|");
    for (cat, (n, b, r)) in &cats {
        println!("| {cat} | {n} | {b} | {:.2} | {r} |", *b as f64 / (*n).max(1) as f64);
    }
    println!("| **all** | {blocks} | {caught} | {:.3} | {right} |", caught as f64 / blocks.max(1) as f64);
    let innocent = allow + profane;
    println!(
        "false blocks {}/{innocent} = {:.3} (allow {allow_blocked}/{allow}, profanity {profane_blocked}/{profane})",
        allow_blocked + profane_blocked,
        (allow_blocked + profane_blocked) as f64 / innocent.max(1) as f64
    );
    println!(
        "profanity blocked {profane_blocked}/{profane}; profanity left unmasked (allow) {profane_unmasked}/{profane}"
    );
    println!("allow lines masked as profanity {allow_masked}/{allow}");
    if !quiet {
        for m in &misses {
            println!("  {m}");
        }
    }
}
