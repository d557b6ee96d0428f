//! The rasterizer against real pygame 2.6.1: every document in tests/pygame/ was drawn by pygame
//! the way the original renderer did (tests/pygame/make_refs.py), and our final frame must match
//! it pixel for pixel, so old documents look exactly as their authors saw them.

mod common;

use common::{crate_dir, decode_png, diff};

#[test]
fn final_frames_match_pygame_pixel_for_pixel() {
    let dir = crate_dir().join("tests/pygame");
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    for json in names {
        let doc = canvas::parse(&std::fs::read_to_string(&json).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", json.display()));
        let want = decode_png(&std::fs::read(json.with_extension("png")).unwrap());
        let got = canvas::render_final(&doc);
        let d = diff(&got, &want);
        if !d.is_empty() {
            failures.push(format!("{}:\n  {}", json.display(), d.join("\n  ")));
        }
        checked += 1;
    }
    assert!(checked >= 40, "expected the pygame reference set, found {checked} documents");
    assert!(failures.is_empty(), "{} of {checked} differ from pygame:\n{}", failures.len(), failures.join("\n"));
}
