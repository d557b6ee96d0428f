//! Prints one JSON verdict per stdin line, as `draw-stream moderate` does (DESIGN.md §6).
//!
//! `echo "нарисуй кота, бл*ть" | cargo run -p moderation --example moderate`

use std::io::{BufRead, Write};

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let text = line.expect("stdin is UTF-8 text");
        let v = moderation::check(&text);
        let json = serde_json::json!({
            "text": text,
            "verdict": v.verdict,
            "category": v.category,
            "masked": v.masked,
        });
        writeln!(out, "{json}").expect("stdout is writable");
    }
}
