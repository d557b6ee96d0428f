//! Renders a Canvas-DSL document to PNG (and optionally GIF):
//! `cargo run -p canvas --example render -- DOC.json OUT.png [SCALE] [OUT.gif]`
use std::{env, fs, process::ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: render DOC.json OUT.png [SCALE] [OUT.gif]");
        return ExitCode::from(2);
    }
    let json = match fs::read_to_string(&args[0]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot read {}: {e}", args[0]);
            return ExitCode::FAILURE;
        }
    };
    let doc = match canvas::parse(&json) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("invalid document: {e}");
            return ExitCode::FAILURE;
        }
    };
    let scale = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(8);
    if let Err(e) = fs::write(&args[1], canvas::encode_png(&canvas::render_final(&doc), scale)) {
        eprintln!("cannot write {}: {e}", args[1]);
        return ExitCode::FAILURE;
    }
    if let Some(gif) = args.get(3) {
        let tl = canvas::Timeline::new(&doc, canvas::DEFAULT_STEP_DURATION_MS);
        if let Err(e) = fs::write(gif, canvas::encode_gif(&tl, 20, scale)) {
            eprintln!("cannot write {gif}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
