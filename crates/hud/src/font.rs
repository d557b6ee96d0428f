//! Pixel fonts: the X11 fixed fonts of embedded-graphics (iso_8859_5: ASCII + Cyrillic), turned once
//! into per-glyph span lists so that drawing text is a few slice fills per glyph row.
//!
//! Every character is one cell wide. Characters the font lacks (emoji, CJK, most accented Latin after
//! folding) draw as a hollow "tofu" box; zero-width characters (joiners, variation selectors, skin-tone
//! modifiers, combining marks) are dropped, so no input can make text wider than its char count says.

use std::collections::HashMap;

use embedded_graphics::{
    mono_font::{MonoFont, MonoTextStyle},
    pixelcolor::BinaryColor,
    prelude::*,
    text::{Baseline, Text},
};

use crate::raster::Target;

/// One horizontal run of lit pixels in a glyph, in font pixels.
#[derive(Clone, Copy, Debug)]
struct Span {
    y: u8,
    x0: u8,
    x1: u8,
}

/// Index of the placeholder glyph in [`Font::glyphs`].
const PLACEHOLDER: u16 = 0;

/// A monospace bitmap font with its glyphs cached as spans.
pub(crate) struct Font {
    /// Cell width in font pixels.
    pub cw: u32,
    /// Cell height in font pixels.
    pub ch: u32,
    glyphs: Vec<Vec<Span>>,
    /// Direct lookup for ASCII, the bulk of all text.
    ascii: [u16; 128],
    other: HashMap<char, u16>,
}

/// A glyph as a bitmap while it is being built.
struct Bitmap {
    w: u32,
    h: u32,
    on: Vec<bool>,
}

impl Bitmap {
    fn new(w: u32, h: u32) -> Self {
        Bitmap { w, h, on: vec![false; (w * h) as usize] }
    }
    fn get(&self, x: i32, y: i32) -> bool {
        x >= 0
            && y >= 0
            && (x as u32) < self.w
            && (y as u32) < self.h
            && self.on[(y as u32 * self.w + x as u32) as usize]
    }
    fn set(&mut self, x: i32, y: i32) {
        if x >= 0 && y >= 0 && (x as u32) < self.w && (y as u32) < self.h {
            self.on[(y as u32 * self.w + x as u32) as usize] = true;
        }
    }
    fn spans(&self) -> Vec<Span> {
        let mut out = Vec::new();
        for y in 0..self.h as i32 {
            let mut x = 0;
            while x < self.w as i32 {
                if self.get(x, y) {
                    let x0 = x;
                    while x < self.w as i32 && self.get(x, y) {
                        x += 1;
                    }
                    out.push(Span { y: y as u8, x0: x0 as u8, x1: x as u8 });
                } else {
                    x += 1;
                }
            }
        }
        out
    }
}

impl OriginDimensions for Bitmap {
    fn size(&self) -> Size {
        Size::new(self.w, self.h)
    }
}

impl DrawTarget for Bitmap {
    type Color = BinaryColor;
    type Error = core::convert::Infallible;
    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(&mut self, pixels: I) -> Result<(), Self::Error> {
        for Pixel(p, c) in pixels {
            if c.is_on() {
                self.set(p.x, p.y);
            }
        }
        Ok(())
    }
}

impl Font {
    pub fn new(mf: &MonoFont<'static>) -> Font {
        let cw = mf.character_size.width;
        let ch = mf.character_size.height;
        let mut font = Font {
            cw,
            ch,
            glyphs: vec![placeholder(cw, ch).spans()],
            ascii: [PLACEHOLDER; 128],
            other: HashMap::new(),
        };
        let replacement = mf.glyph_mapping.index('?');
        let candidates = (0x20u32..=0x7E).chain(0xA0..=0xFF).chain(0x400..=0x45F).chain([0x2116]);
        let mut bitmaps: HashMap<char, Bitmap> = HashMap::new();
        for cp in candidates {
            let Some(c) = char::from_u32(cp) else { continue };
            if c != '?' && mf.glyph_mapping.index(c) == replacement {
                continue;
            }
            let mut bm = Bitmap::new(cw, ch);
            let mut buf = [0u8; 4];
            let style = MonoTextStyle::new(mf, BinaryColor::On);
            let _ = Text::with_baseline(c.encode_utf8(&mut buf), Point::zero(), style, Baseline::Top).draw(&mut bm);
            font.insert(c, bm.spans());
            bitmaps.insert(c, bm);
        }
        // Glyphs ISO-8859-5 lacks but a donation HUD needs: the rouble sign, an ellipsis and a middle dot.
        if let Some(p) = bitmaps.get(&'P') {
            font.insert('₽', ruble(p).spans());
        }
        if let Some(dot) = bitmaps.get(&'.') {
            font.insert('…', ellipsis(dot).spans());
            font.insert('·', middle_dot(dot, mf.baseline).spans());
        }
        font
    }

    fn insert(&mut self, c: char, spans: Vec<Span>) {
        let id = self.glyphs.len() as u16;
        self.glyphs.push(spans);
        if (c as u32) < 128 {
            self.ascii[c as usize] = id;
        } else {
            self.other.insert(c, id);
        }
    }

    fn glyph(&self, c: char) -> &[Span] {
        let id =
            if (c as u32) < 128 { self.ascii[c as usize] } else { self.other.get(&c).copied().unwrap_or(PLACEHOLDER) };
        &self.glyphs[id as usize]
    }

    /// True if `c` has a real glyph (not the placeholder).
    #[cfg(test)]
    pub fn has(&self, c: char) -> bool {
        if (c as u32) < 128 {
            self.ascii[c as usize] != PLACEHOLDER
        } else {
            self.other.contains_key(&c)
        }
    }

    /// Draws one line at integer scale `s`, top-left at (x, y), clipped to the target.
    pub fn draw(&self, t: &mut Target, chars: &[char], x: i32, y: i32, s: u32, color: u32) {
        let s = s as i32;
        let step = self.cw as i32 * s;
        let mut gx = x;
        for &c in chars {
            if c != ' ' {
                for sp in self.glyph(c) {
                    let x0 = gx + sp.x0 as i32 * s;
                    let x1 = gx + sp.x1 as i32 * s;
                    let y0 = y + sp.y as i32 * s;
                    for yy in y0..y0 + s {
                        t.hspan(yy, x0, x1, color);
                    }
                }
            }
            gx += step;
        }
    }
}

/// A hollow box inside the cell: the "tofu" for characters the font lacks.
fn placeholder(cw: u32, ch: u32) -> Bitmap {
    let mut bm = Bitmap::new(cw, ch);
    let (x0, x1) = (1, cw as i32 - 2);
    let (y0, y1) = ((ch as i32) / 5, ch as i32 - (ch as i32) / 5 - 1);
    for x in x0..=x1 {
        bm.set(x, y0);
        bm.set(x, y1);
    }
    for y in y0..=y1 {
        bm.set(x0, y);
        bm.set(x1, y);
    }
    bm
}

/// "₽": the Latin P with a bar through the stem under the bowl.
fn ruble(p: &Bitmap) -> Bitmap {
    let mut bm = Bitmap::new(p.w, p.h);
    bm.on.clone_from(&p.on);
    // Stem: leftmost lit column. Bowl bottom: the lowest row with a horizontal run of 3+ pixels.
    let stem = (0..p.w as i32).find(|&x| (0..p.h as i32).any(|y| p.get(x, y))).unwrap_or(1);
    let mut bowl_bottom = None;
    for y in 0..p.h as i32 {
        let run = (0..p.w as i32).filter(|&x| p.get(x, y)).count();
        if run >= 3 {
            bowl_bottom = Some(y);
        }
    }
    let bar = bowl_bottom.map(|b| b + 2).unwrap_or(p.h as i32 * 2 / 3);
    let bold = (0..p.h as i32).any(|y| p.get(stem + 1, y) && !p.get(stem + 2, y) && p.get(stem, y));
    for x in (stem - 1).max(0)..=(stem + p.w as i32 / 2) {
        bm.set(x, bar);
        if bold {
            bm.set(x, bar + 1);
        }
    }
    bm
}

/// "…" in one cell: three copies of the period's dot.
fn ellipsis(dot: &Bitmap) -> Bitmap {
    let mut bm = Bitmap::new(dot.w, dot.h);
    let lit: Vec<(i32, i32)> = (0..dot.h as i32)
        .flat_map(|y| (0..dot.w as i32).map(move |x| (x, y)))
        .filter(|&(x, y)| dot.get(x, y))
        .collect();
    let Some(min_x) = lit.iter().map(|p| p.0).min() else { return bm };
    let max_x = lit.iter().map(|p| p.0).max().unwrap_or(min_x);
    let mut dw = max_x - min_x + 1;
    let w = dot.w as i32;
    let lit: Vec<(i32, i32)> = if 3 * dw + 2 > w {
        // Too wide for three dots with gaps: keep one column of the dot.
        dw = 1;
        lit.into_iter().filter(|p| p.0 == min_x).collect()
    } else {
        lit
    };
    let gap = ((w - 3 * dw) / 3).max(1);
    let start = ((w - 3 * dw - 2 * gap) / 2).max(0);
    for i in 0..3 {
        let ox = start + i * (dw + gap);
        for &(x, y) in &lit {
            bm.set(ox + (x - min_x), y);
        }
    }
    bm
}

/// "·": the period's dot raised to mid-height.
fn middle_dot(dot: &Bitmap, baseline: u32) -> Bitmap {
    let mut bm = Bitmap::new(dot.w, dot.h);
    let lift = (baseline as i32) / 3 + 1;
    for y in 0..dot.h as i32 {
        for x in 0..dot.w as i32 {
            if dot.get(x, y) {
                bm.set(x, y - lift);
            }
        }
    }
    bm
}

/// Maps a string to the characters we draw: one cell each, zero-width characters dropped, typographic
/// punctuation and accented Latin folded to what the font has. Anything else stays (and draws as tofu).
pub(crate) fn display_chars(s: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        let cp = c as u32;
        let zero_width = matches!(cp,
            0x200B..=0x200F | 0x2060..=0x2064 | 0xFE00..=0xFE0F | 0x0300..=0x036F | 0x1AB0..=0x1AFF
            | 0x20D0..=0x20FF | 0x1F3FB..=0x1F3FF | 0xE0000..=0xE007F | 0xFEFF | 0x00AD);
        if zero_width {
            continue;
        }
        let mapped = match c {
            '\n' | '\r' | '\t' | '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
            c if c.is_control() => continue,
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '`' | '´' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '«' | '»' | '\u{2033}' => '"',
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            '\u{2022}' | '\u{2219}' | '\u{22C5}' => '·',
            'À'..='Å' => 'A',
            'Ç' => 'C',
            'È'..='Ë' => 'E',
            'Ì'..='Ï' => 'I',
            'Ñ' => 'N',
            'Ò'..='Ö' | 'Ø' => 'O',
            'Ù'..='Ü' => 'U',
            'Ý' => 'Y',
            'à'..='å' => 'a',
            'ç' => 'c',
            'è'..='ë' => 'e',
            'ì'..='ï' => 'i',
            'ñ' => 'n',
            'ò'..='ö' | 'ø' => 'o',
            'ù'..='ü' => 'u',
            'ý' | 'ÿ' => 'y',
            'ß' => 's',
            '×' => 'x',
            c => c,
        };
        out.push(mapped);
    }
    out
}

/// Greedy word wrap into at most `max_lines` lines of at most `cols` cells. Words longer than a line
/// are broken; if the text does not fit, the last line ends with "…". Leading/trailing and repeated
/// spaces are collapsed.
pub(crate) fn wrap(chars: &[char], cols: usize, max_lines: usize) -> Vec<Vec<char>> {
    let mut lines: Vec<Vec<char>> = Vec::new();
    if cols == 0 || max_lines == 0 {
        return lines;
    }
    let mut cur: Vec<char> = Vec::new();
    let mut truncated = false;
    'words: for word in chars.split(|c| *c == ' ').filter(|w| !w.is_empty()) {
        if !cur.is_empty() && cur.len() + 1 + word.len() <= cols {
            cur.push(' ');
            cur.extend_from_slice(word);
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
            if lines.len() >= max_lines {
                truncated = true;
                break 'words;
            }
        }
        let mut rest = word;
        while rest.len() > cols {
            lines.push(rest[..cols].to_vec());
            rest = &rest[cols..];
            if lines.len() >= max_lines {
                truncated = true;
                break 'words;
            }
        }
        cur.extend_from_slice(rest);
    }
    if !truncated && !cur.is_empty() {
        lines.push(cur);
    }
    if truncated {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            last.truncate(cols - 1);
            while last.last() == Some(&' ') {
                last.pop();
            }
            last.push('…');
        }
    }
    lines
}

/// One line: the text if it fits in `cols` cells, else its start and "…".
pub(crate) fn ellipsize(chars: &[char], cols: usize) -> Vec<char> {
    let mut v: Vec<char> = Vec::with_capacity(chars.len().min(cols));
    // Collapse runs of spaces, as `wrap` does.
    for &c in chars {
        if c == ' ' && (v.is_empty() || v.last() == Some(&' ')) {
            continue;
        }
        v.push(c);
        if v.len() > cols {
            break;
        }
    }
    while v.last() == Some(&' ') {
        v.pop();
    }
    if v.len() > cols {
        if cols == 0 {
            return Vec::new();
        }
        v.truncate(cols - 1);
        while v.last() == Some(&' ') {
            v.pop();
        }
        v.push('…');
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[Vec<char>]) -> Vec<String> {
        v.iter().map(|l| l.iter().collect()).collect()
    }

    #[test]
    fn wrap_breaks_words_and_ellipsizes() {
        let c = display_chars("hello world this is long");
        assert_eq!(s(&wrap(&c, 11, 5)), ["hello world", "this is", "long"]);
        assert_eq!(s(&wrap(&c, 11, 2)), ["hello world", "this is…"]);
        let long = display_chars("aaaaaaaaaaaaaaaaaaaaaaaaa b");
        assert_eq!(s(&wrap(&long, 10, 5)), ["aaaaaaaaaa", "aaaaaaaaaa", "aaaaa b"]);
        assert_eq!(s(&wrap(&long, 10, 2)), ["aaaaaaaaaa", "aaaaaaaaa…"]);
        assert!(wrap(&display_chars(""), 10, 3).is_empty());
        assert!(wrap(&display_chars("   "), 10, 3).is_empty());
        for l in wrap(&display_chars(&"x".repeat(10_000)), 7, 4) {
            assert!(l.len() <= 7);
        }
    }

    #[test]
    fn ellipsize_fits() {
        assert_eq!(ellipsize(&display_chars("abc"), 3).iter().collect::<String>(), "abc");
        assert_eq!(ellipsize(&display_chars("abcd"), 3).iter().collect::<String>(), "ab…");
        assert!(ellipsize(&display_chars("abcd"), 0).is_empty());
    }

    #[test]
    fn zero_width_dropped_and_folded() {
        let c = display_chars("👍🏽 a\u{200D}b «é»");
        assert_eq!(c, vec!['👍', ' ', 'a', 'b', ' ', '"', 'e', '"']);
    }

    #[test]
    fn font_has_cyrillic_ruble_and_placeholder_for_emoji() {
        let f = Font::new(&embedded_graphics::mono_font::iso_8859_5::FONT_7X14);
        for c in "Привет, донатер! №1 ЁЖЩЫЪ ёжщыъ ₽…·".chars() {
            assert!(c == ' ' || f.has(c), "missing {c}");
        }
        assert!(!f.has('👍'));
        assert!(!f.glyph('👍').is_empty(), "placeholder draws something");
        assert!(!f.glyph('₽').is_empty());
    }
}
