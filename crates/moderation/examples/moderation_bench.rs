//! Throughput of the word layer on the labelled corpus, on one core.
//!
//! `cargo run --release -p moderation --example moderation_bench`

use std::hint::black_box;
use std::time::{Duration, Instant};

fn main() {
    let lines: Vec<&str> = include_str!("../tests/corpus.tsv")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').next().unwrap_or(l))
        .collect();

    // Compile the lists (once per process) outside the timing.
    let start = Instant::now();
    black_box(moderation::check("warm up"));
    println!("lists compiled in {:.1} ms", start.elapsed().as_secs_f64() * 1e3);

    let corpus_chars: usize = lines.iter().map(|l| l.chars().count()).sum();
    let (n, took) = run(|| {
        for l in &lines {
            black_box(moderation::check(black_box(l)));
        }
        lines.len()
    });
    println!(
        "corpus: {} lines (mean {:.0} chars): {:.0} lines/s, {:.2} µs/line",
        lines.len(),
        corpus_chars as f64 / lines.len() as f64,
        n as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / n as f64
    );

    // Never-seen messages: random ~100-char mixes of corpus words, so no two are alike.
    let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed as usize
    };
    let fresh: Vec<String> = (0..20_000)
        .map(|_| {
            let mut m = String::new();
            while m.chars().count() < 100 {
                m.push_str(words[next() % words.len()]);
                m.push(' ');
            }
            m
        })
        .collect();
    let start = Instant::now();
    for m in &fresh {
        black_box(moderation::check(black_box(m)));
    }
    let took = start.elapsed();
    println!(
        "fresh ~100-char messages: {} in {:.2} s: {:.0} messages/s, {:.2} µs/message",
        fresh.len(),
        took.as_secs_f64(),
        fresh.len() as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / fresh.len() as f64
    );

    let typical = [
        "Привет! Нарисуй, пожалуйста, рыжего кота в скафандре, который летит над ночной Москвой к луне",
        "hey streamer, love the vibes! could you draw a tiny dragon drinking coffee on a rainy window sill",
        "нарисуй охуенного дракона над замком, бл*ть, чтобы прям огонь был и рыцарь с саблей на коне!!",
        "d r a w   a   n u d e   g i r l   p l s   ｆｏｒ   ｍｙ   ｂｉｒｔｈｄａｙ   ｓｔｒｅａｍｅｒ   x",
    ];
    for text in typical {
        let (n, took) = run(|| {
            black_box(moderation::check(black_box(text)));
            1
        });
        println!(
            "{:>3} chars: {:>6.2} µs/message ({:.0} messages/s)  {:?}",
            text.chars().count(),
            took.as_secs_f64() * 1e6 / n as f64,
            n as f64 / took.as_secs_f64(),
            moderation::check(text).verdict
        );
    }
}

/// Repeats `f` for about a second; returns how many items it processed and how long that took.
fn run(mut f: impl FnMut() -> usize) -> (usize, Duration) {
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_secs(1) {
        n += f();
    }
    (n, start.elapsed())
}
