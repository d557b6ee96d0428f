//! Donors write in Russian and English (and emoji): text steps must draw Cyrillic glyphs, and
//! anything the bitmap font lacks shows as `?` rather than vanishing.

use canvas::{parse, render_final, Image};

fn text(value: &str, size: u32) -> Image {
    let json = format!(
        r##"{{"version":"1.0","caption":"c","canvas":{{"w":40,"h":40,"bg":"#000000"}},
            "steps":[{{"op":"text","x":2,"y":2,"value":{},"size":{size}}}]}}"##,
        serde_json::to_string(value).unwrap()
    );
    render_final(&parse(&json).unwrap())
}

fn lit(img: &Image) -> usize {
    img.data.chunks_exact(4).filter(|p| p[..3] != [0, 0, 0]).count()
}

#[test]
fn cyrillic_letters_are_real_glyphs() {
    let q = text("?", 10);
    for c in ["Я", "ж", "Ё", "Щ"] {
        let g = text(c, 10);
        assert!(lit(&g) > 0, "{c} draws something");
        assert_ne!(g, q, "{c} is not the replacement glyph");
    }
    assert_ne!(text("Я", 10), text("R", 10));
}

#[test]
fn glyphs_the_font_lacks_are_drawn_as_question_marks() {
    assert_eq!(text("🙂", 10), text("?", 10));
    assert_eq!(text("漢", 8), text("?", 8));
}

#[test]
fn size_picks_a_taller_font() {
    let height =
        |img: &Image| (0..img.height).filter(|&y| (0..img.width).any(|x| img.pixel(x, y)[..3] != [0, 0, 0])).count();
    let small = height(&text("H", 6));
    let medium = height(&text("H", 13));
    let large = height(&text("H", 32));
    assert!(small < medium && medium < large, "{small} {medium} {large}");
    // The default colour is white.
    assert_eq!(text("H", 8).data.chunks_exact(4).find(|p| p[..3] != [0, 0, 0]).unwrap(), [255, 255, 255, 255]);
}

#[test]
fn text_runs_off_the_canvas_silently() {
    let img = text(&"Длинное сообщение ".repeat(20), 64);
    assert_eq!((img.width, img.height), (40, 40));
    assert!(lit(&img) > 0);
}
