//! Geometry and the per-frame plan.
//!
//! [`Geo`] fixes the panels for a window size (they are part of the cached backdrop). [`build`] turns a
//! [`HudState`] into a [`Plan`]: the boxes (what tests check) and the drawing ops (what `compose` runs),
//! produced together so they can never disagree. Every text helper measures in whole glyph cells and
//! clamps to its rect, so no string can overflow: too many lines end with "…", too-long lines too.

use crate::font::{display_chars, ellipsize, wrap, Font};
use crate::{palette, EntryStatus, FontId, HudState, LaidBox, NowShowing, Rect, ShowKind};

/// Panel geometry for one window size. `u` is the UI scale (1 at 720p, 2 at 1080p and 1350p): every
/// length below is a multiple of it, and fonts are drawn at ×u.
#[derive(Clone, Debug)]
pub(crate) struct Geo {
    pub u: u32,
    pub header: Rect,
    pub footer: Rect,
    /// The glowing frame around the canvas.
    pub frame: Rect,
    /// Where the upscaled drawing goes: 96·k square.
    pub canvas: Rect,
    /// Integer upscale of the 96×96 drawing.
    pub k: u32,
    /// "Now painting" panel.
    pub now: Rect,
    /// Queue panel.
    pub queue: Rect,
}

impl Geo {
    pub fn new(w: u32, h: u32) -> Geo {
        let u = (w / 960).min(h / 540).max(1);
        let ui = u as i32;
        let (wi, hi) = (w as i32, h as i32);
        let pad = 20 * ui;
        let gap = 16 * ui;
        let full_w = (wi - 2 * pad).max(0) as u32;
        let header = Rect::new(pad, pad, full_w, 32 * u);
        let footer_h = 28 * ui;
        let footer = Rect::new(pad, (hi - pad - footer_h).max(0), full_w, footer_h as u32);
        let mid_top = header.bottom() + gap;
        let mid_bot = (footer.y - gap).max(mid_top);
        let mid_h = mid_bot - mid_top;
        let inset = 12 * ui;
        let k = ((mid_h - 2 * inset) / 96).min((wi / 2 - pad - 2 * inset) / 96).max(1);
        let side = 96 * k + 2 * inset;
        let frame = Rect::new(pad, mid_top + (mid_h - side) / 2, side as u32, side as u32);
        let canvas = frame.inset(inset);
        let px = frame.right() + 2 * gap;
        let pw = (wi - pad - px).max(0) as u32;
        let now_h = mid_h * 46 / 100;
        let now = Rect::new(px, mid_top, pw, now_h.max(0) as u32);
        let queue = Rect::new(px, now.bottom() + gap, pw, (mid_bot - now.bottom() - gap).max(0) as u32);
        Geo { u, header, footer, frame, canvas, k: k as u32, now, queue }
    }
}

/// One drawing operation, in the order drawn.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    /// Rounded rectangle at alpha 0..=256.
    Fill {
        rect: Rect,
        radius: i32,
        color: u32,
        alpha: u32,
    },
    Stroke {
        rect: Rect,
        radius: i32,
        thickness: i32,
        color: u32,
        alpha: u32,
    },
    /// Opaque square-cornered block.
    Block {
        rect: Rect,
        color: u32,
    },
    /// One line of text at ×u, top-left at (x, y).
    Text {
        font: FontId,
        x: i32,
        y: i32,
        chars: Vec<char>,
        color: u32,
        shadow: bool,
    },
    Progress {
        rect: Rect,
        progress: f32,
    },
    /// The drawing itself, centred in `rect` at the largest integer scale.
    Canvas {
        rect: Rect,
    },
}

pub(crate) struct Plan {
    pub boxes: Vec<LaidBox>,
    pub ops: Vec<Op>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Center,
    Right,
}

/// "500 ₽" for roubles (the font gets a custom ₽ glyph), "200 bits" and "1000 points" for Twitch
/// cheers and channel-points redemptions, "5 USD" otherwise; the overlay and the panel write amounts
/// the same way.
pub fn money(amount: &str, currency: &str) -> String {
    let amount = amount.trim();
    let cur = currency.trim().to_uppercase();
    let one = amount == "1";
    match cur.as_str() {
        "RUB" | "RUR" | "₽" => format!("{amount} ₽"),
        "BITS" => format!("{amount} {}", if one { "bit" } else { "bits" }),
        "POINTS" => format!("{amount} {}", if one { "point" } else { "points" }),
        "" => amount.to_string(),
        _ if amount.is_empty() => cur,
        _ => format!("{amount} {cur}"),
    }
}

/// Builds the boxes and ops for `st`. `has_canvas`: whether a drawing will be passed to compose (else
/// the canvas area shows the idle placeholder).
pub(crate) fn build(g: &Geo, fonts: &[Font; 6], st: &HudState, has_canvas: bool) -> Plan {
    let mut b = Builder { g, fonts, u: g.u as i32, plan: Plan { boxes: Vec::new(), ops: Vec::new() } };
    b.header(st);
    b.footer(st);
    b.canvas(st, has_canvas);
    b.now_panel(st);
    b.queue_panel(st);
    b.plan
}

struct Builder<'a> {
    g: &'a Geo,
    fonts: &'a [Font; 6],
    u: i32,
    plan: Plan,
}

impl Builder<'_> {
    fn bx(&mut self, name: impl Into<String>, rect: Rect, parent: Option<usize>) -> usize {
        self.plan.boxes.push(LaidBox { name: name.into(), rect, ink: None, parent });
        self.plan.boxes.len() - 1
    }

    /// Glyph cell size in frame pixels.
    fn cell(&self, f: FontId) -> (i32, i32) {
        let font = &self.fonts[f as usize];
        (font.cw as i32 * self.u, font.ch as i32 * self.u)
    }

    fn shadow_px(&self, shadow: bool) -> i32 {
        if shadow {
            self.u
        } else {
            0
        }
    }

    fn leading(&self) -> i32 {
        3 * self.u
    }

    /// Height of `n` lines.
    fn text_h(&self, f: FontId, n: usize, shadow: bool) -> i32 {
        if n == 0 {
            return 0;
        }
        let (_, ch) = self.cell(f);
        n as i32 * ch + (n as i32 - 1) * self.leading() + self.shadow_px(shadow)
    }

    /// How many lines fit in `height`.
    fn lines_fit(&self, f: FontId, height: i32, shadow: bool) -> usize {
        let (_, ch) = self.cell(f);
        let avail = height - self.shadow_px(shadow) + self.leading();
        if avail < ch + self.leading() {
            0
        } else {
            (avail / (ch + self.leading())) as usize
        }
    }

    /// How many cells fit in `width`.
    fn cols(&self, f: FontId, width: i32, shadow: bool) -> usize {
        let (cw, _) = self.cell(f);
        ((width - self.shadow_px(shadow)).max(0) / cw) as usize
    }

    /// Width of a line of `n` cells, shadow included.
    fn text_w(&self, f: FontId, n: usize, shadow: bool) -> i32 {
        n as i32 * self.cell(f).0 + self.shadow_px(shadow)
    }

    /// Places already-broken lines in `rect` (clamped to what fits), records the box, returns
    /// (box index, height used).
    #[allow(clippy::too_many_arguments)]
    fn lines(
        &mut self,
        name: &str,
        parent: Option<usize>,
        rect: Rect,
        f: FontId,
        mut lines: Vec<Vec<char>>,
        align: Align,
        color: u32,
        shadow: bool,
    ) -> Option<(usize, i32)> {
        let max_lines = self.lines_fit(f, rect.h as i32, shadow);
        let cols = self.cols(f, rect.w as i32, shadow);
        if max_lines == 0 || cols == 0 || lines.is_empty() {
            return None;
        }
        if lines.len() > max_lines {
            lines.truncate(max_lines);
            let last = lines.last_mut().expect("max_lines > 0");
            if last.len() >= cols {
                last.truncate(cols - 1);
            }
            last.push('…');
        }
        for l in lines.iter_mut() {
            if l.len() > cols {
                *l = ellipsize(l, cols);
            }
        }
        let (cw, ch) = self.cell(f);
        let sh = self.shadow_px(shadow);
        let used_h = self.text_h(f, lines.len(), shadow);
        let boxed = Rect::new(rect.x, rect.y, rect.w, used_h as u32);
        let (mut ix0, mut iy0, mut ix1, mut iy1) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
        for (i, l) in lines.into_iter().enumerate() {
            let w = l.len() as i32 * cw;
            let x = match align {
                Align::Left => rect.x,
                Align::Center => rect.x + (rect.w as i32 - sh - w) / 2,
                Align::Right => rect.right() - sh - w,
            };
            let y = rect.y + i as i32 * (ch + self.leading());
            if w > 0 {
                ix0 = ix0.min(x);
                iy0 = iy0.min(y);
                ix1 = ix1.max(x + w + sh);
                iy1 = iy1.max(y + ch + sh);
                self.plan.ops.push(Op::Text { font: f, x, y, chars: l, color, shadow });
            }
        }
        let idx = self.bx(name, boxed, parent);
        if ix0 < ix1 {
            self.plan.boxes[idx].ink = Some(Rect::new(ix0, iy0, (ix1 - ix0) as u32, (iy1 - iy0) as u32));
        }
        Some((idx, used_h))
    }

    /// A wrapped paragraph of at most `max_lines` lines.
    #[allow(clippy::too_many_arguments)]
    fn para(
        &mut self,
        name: &str,
        parent: Option<usize>,
        rect: Rect,
        f: FontId,
        text: &str,
        max_lines: usize,
        align: Align,
        color: u32,
        shadow: bool,
    ) -> Option<(usize, i32)> {
        let cols = self.cols(f, rect.w as i32, shadow);
        let n = max_lines.min(self.lines_fit(f, rect.h as i32, shadow));
        let lines = wrap(&display_chars(text), cols, n);
        self.lines(name, parent, rect, f, lines, align, color, shadow)
    }

    /// One line, ellipsized.
    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        name: &str,
        parent: Option<usize>,
        rect: Rect,
        f: FontId,
        text: &str,
        align: Align,
        color: u32,
        shadow: bool,
    ) -> Option<(usize, i32)> {
        let cols = self.cols(f, rect.w as i32, shadow);
        let l = ellipsize(&display_chars(text), cols);
        self.lines(name, parent, rect, f, vec![l], align, color, shadow)
    }

    /// A filled chip with centred text whose right edge is at `right`, vertically centred on `cy`.
    /// Returns its rect, or None if it would cross `min_x`.
    #[allow(clippy::too_many_arguments)]
    fn chip(
        &mut self,
        name: &str,
        parent: usize,
        right: i32,
        cy: i32,
        min_x: i32,
        text: &str,
        fill: u32,
        ink: u32,
    ) -> Option<Rect> {
        let u = self.u;
        let n = display_chars(text).len();
        let (cw, ch) = self.cell(FontId::Badge);
        let w = n as i32 * cw + 16 * u;
        let h = ch + 8 * u;
        let r = Rect::new(right - w, cy - h / 2, w as u32, h as u32);
        if r.x < min_x {
            return None;
        }
        let idx = self.bx(name, r, Some(parent));
        self.plan.ops.push(Op::Fill { rect: r, radius: h / 2, color: fill, alpha: 240 });
        let tr = Rect::new(r.x + 8 * u, r.y + 4 * u, (n as i32 * cw) as u32, ch as u32);
        self.line(&format!("{name}.text"), Some(idx), tr, FontId::Badge, text, Align::Left, ink, false);
        Some(r)
    }

    fn header(&mut self, st: &HudState) {
        let u = self.u;
        let h = self.g.header;
        let hi = self.bx("header", h, None);
        let inner = Rect::new(h.x + 16 * u, h.y, (h.w as i32 - 32 * u).max(0) as u32, h.h);
        let cy = h.y + h.h as i32 / 2;
        // Logo: four pixel squares in the accent colours.
        let ls = 16 * u;
        let mut left = inner.x;
        if inner.w as i32 > ls {
            let logo = Rect::new(inner.x, cy - ls / 2, ls as u32, ls as u32);
            self.bx("header.logo", logo, Some(hi));
            let q = (7 * u) as u32;
            let colors = [palette::ACCENT, palette::ACCENT_ALT, palette::WARNING, palette::SECONDARY];
            for (i, c) in colors.into_iter().enumerate() {
                let (dx, dy) = ((i as i32 % 2) * 9 * u, (i as i32 / 2) * 9 * u);
                self.plan.ops.push(Op::Block { rect: Rect::new(logo.x + dx, logo.y + dy, q, q), color: c });
            }
            left = logo.right() + 10 * u;
        }
        let (_, ch) = self.cell(FontId::Hero);
        let title = "DRAW STREAM";
        let tw = self.text_w(FontId::Hero, title.len(), true).min(inner.right() - left).max(0);
        if let Some((_, _)) = self.line(
            "header.title",
            Some(hi),
            Rect::new(left, cy - (ch + u) / 2, tw as u32, (ch + u) as u32),
            FontId::Hero,
            title,
            Align::Left,
            palette::FG,
            true,
        ) {
            left += tw + 20 * u;
        }
        // Right side, most important first: DEMO, PAUSED, FPS.
        let mut right = inner.right();
        if st.demo {
            if let Some(r) = self.chip("header.demo", hi, right, cy, left, "DEMO", palette::ACCENT_ALT, palette::INK) {
                right = r.x - 10 * u;
            }
        }
        if st.paused {
            if let Some(r) = self.chip("header.paused", hi, right, cy, left, "PAUSED", palette::WARNING, palette::INK) {
                right = r.x - 10 * u;
            }
        }
        if let Some(fps) = st.fps {
            let text =
                if fps.is_finite() { format!("{:.0} FPS", fps.clamp(0.0, 9999.0)) } else { "-- FPS".to_string() };
            let w = self.text_w(FontId::Small, text.len(), true);
            let (_, sch) = self.cell(FontId::Small);
            if right - w >= left {
                self.line(
                    "header.fps",
                    Some(hi),
                    Rect::new(right - w, cy - (sch + u) / 2, w as u32, (sch + u) as u32),
                    FontId::Small,
                    &text,
                    Align::Right,
                    palette::SECONDARY,
                    true,
                );
                right -= w + 16 * u;
            }
        }
        if let Some(s) = st.status_line.as_deref().filter(|s| !s.trim().is_empty()) {
            let (_, sch) = self.cell(FontId::Small);
            let avail = right - left;
            if self.cols(FontId::Small, avail, true) >= 4 {
                let r = Rect::new(left, cy - (sch + u) / 2, avail as u32, (sch + u) as u32);
                self.line("header.status", Some(hi), r, FontId::Small, s, Align::Left, palette::AMBER, true);
            }
        }
    }

    fn footer(&mut self, st: &HudState) {
        let u = self.u;
        let f = self.g.footer;
        let fi = self.bx("footer", f, None);
        if st.caption.trim().is_empty() {
            return;
        }
        let (_, ch) = self.cell(FontId::Title);
        let r = Rect::new(
            f.x + 16 * u,
            f.y + (f.h as i32 - ch - u) / 2,
            (f.w as i32 - 32 * u).max(0) as u32,
            (ch + u) as u32,
        );
        self.line("footer.caption", Some(fi), r, FontId::Title, &st.caption, Align::Center, palette::FG, true);
    }

    fn canvas(&mut self, st: &HudState, has_canvas: bool) {
        let u = self.u;
        let fr = self.bx("canvas_frame", self.g.frame, None);
        let c = self.g.canvas;
        let ci = self.bx("canvas", c, Some(fr));
        match st.now.as_ref().map(|n| &n.kind) {
            Some(ShowKind::Refused { text }) => self.card(ci, true, text),
            Some(ShowKind::Failed { text }) => self.card(ci, false, text),
            _ if has_canvas => self.plan.ops.push(Op::Canvas { rect: c }),
            _ => {
                let inner = c.inset(24 * u);
                let title = if st.now.is_some() { "PREPARING THE CANVAS" } else { "WAITING FOR THE NEXT DRAWING" };
                let hint = "Send a donation with a drawing idea";
                let th = self.text_h(FontId::Title, 2, true);
                let hh = self.text_h(FontId::Small, 2, true);
                let total = th + 12 * u + hh;
                let y = inner.y + (inner.h as i32 - total) / 2;
                let r = Rect::new(inner.x, y, inner.w, th as u32);
                let used = self
                    .para("canvas.idle", Some(ci), r, FontId::Title, title, 2, Align::Center, palette::SECONDARY, true)
                    .map(|x| x.1)
                    .unwrap_or(0);
                let r2 = Rect::new(inner.x, y + used + 12 * u, inner.w, hh as u32);
                if inner.contains(&r2) {
                    self.para(
                        "canvas.hint",
                        Some(ci),
                        r2,
                        FontId::Small,
                        hint,
                        2,
                        Align::Center,
                        palette::ACCENT,
                        true,
                    );
                }
            }
        }
    }

    /// Refusal or failure card in the canvas area.
    fn card(&mut self, parent: usize, refused: bool, text: &str) {
        let u = self.u;
        let c = self.g.canvas;
        let accent = if refused { palette::WARNING } else { palette::AMBER };
        self.plan.ops.push(Op::Block { rect: c, color: palette::PANEL });
        let cr = c.inset(8 * u);
        let card = self.bx("card", cr, Some(parent));
        self.plan.ops.push(Op::Fill { rect: cr, radius: 12 * u, color: palette::CARD, alpha: 256 });
        self.plan.ops.push(Op::Stroke { rect: cr, radius: 12 * u, thickness: 2 * u, color: accent, alpha: 256 });
        let inner = cr.inset(20 * u);
        const REFUSED: [&str; 9] = [
            "##.....##",
            "###...###",
            ".###.###.",
            "..#####..",
            "...###...",
            "..#####..",
            ".###.###.",
            "###...###",
            "##.....##",
        ];
        const FAILED: [&str; 9] = [
            "...###...",
            "...###...",
            "...###...",
            "...###...",
            "...###...",
            ".........",
            "...###...",
            "...###...",
            ".........",
        ];
        let icon = if refused { REFUSED } else { FAILED };
        let ps = (c.w as i32 / 64).max(2);
        let icon_h = 9 * ps;
        let title = if refused { "REQUEST DECLINED" } else { "COULDN'T DRAW THIS" };
        let title_h = self.text_h(FontId::Hero, 2, true);
        let gap = 16 * u;
        let text_avail = inner.h as i32 - icon_h - title_h - 2 * gap;
        let text_lines = self.lines_fit(FontId::Title, text_avail, true);
        let body = wrap(&display_chars(text), self.cols(FontId::Title, inner.w as i32, true), text_lines);
        let body_h = self.text_h(FontId::Title, body.len(), true);
        let title_lines = wrap(&display_chars(title), self.cols(FontId::Hero, inner.w as i32, true), 2);
        let title_h = self.text_h(FontId::Hero, title_lines.len(), true);
        let total = icon_h + gap + title_h + if body.is_empty() { 0 } else { gap + body_h };
        let mut y = inner.y + (inner.h as i32 - total).max(0) / 2;
        let icon_r = Rect::new(inner.x + (inner.w as i32 - 9 * ps) / 2, y, (9 * ps) as u32, icon_h as u32);
        if inner.contains(&icon_r) {
            self.bx("card.icon", icon_r, Some(card));
            for (row, line) in icon.iter().enumerate() {
                for (col, ch) in line.bytes().enumerate() {
                    if ch == b'#' {
                        self.plan.ops.push(Op::Block {
                            rect: Rect::new(icon_r.x + col as i32 * ps, y + row as i32 * ps, ps as u32, ps as u32),
                            color: accent,
                        });
                    }
                }
            }
            y += icon_h + gap;
        }
        let tr = Rect::new(inner.x, y, inner.w, (inner.bottom() - y).max(0) as u32);
        if let Some((_, h)) =
            self.lines("card.title", Some(card), tr, FontId::Hero, title_lines, Align::Center, accent, true)
        {
            y += h + gap;
        }
        let br = Rect::new(inner.x, y, inner.w, (inner.bottom() - y).max(0) as u32);
        self.lines("card.text", Some(card), br, FontId::Title, body, Align::Center, palette::FG, true);
    }

    fn now_panel(&mut self, st: &HudState) {
        let u = self.u;
        let n = self.g.now;
        let ni = self.bx("now", n, None);
        let inner = n.inset(16 * u);
        if inner.w == 0 || inner.h == 0 {
            return;
        }
        let mut y = inner.y;
        let now: Option<&NowShowing> = st.now.as_ref();
        let (label, label_color) = match now.map(|n| (&n.kind, n.hold_remaining_sec)) {
            None => ("WAITING FOR A DONATION", palette::SECONDARY),
            Some((ShowKind::Drawing, Some(_))) => ("FINISHED", palette::SUCCESS),
            Some((ShowKind::Drawing, None)) => ("NOW PAINTING", palette::SECONDARY),
            Some((ShowKind::Refused { .. }, _)) => ("DECLINED", palette::WARNING),
            Some((ShowKind::Failed { .. }, _)) => ("COULD NOT DRAW", palette::AMBER),
        };
        let bottom_limit = inner.bottom();
        let row = |y: i32, h: i32| -> Option<Rect> {
            if y + h <= bottom_limit {
                Some(Rect::new(inner.x, y, inner.w, h as u32))
            } else {
                None
            }
        };
        // Top row: the label on the left, the state ("Drawing… 42%", "On screen for N s") on the right.
        let lh = self.text_h(FontId::Badge, 1, false).max(self.text_h(FontId::Small, 1, true));
        let mut content_bottom = inner.bottom();
        if let Some(r) = row(y, lh) {
            let status = now.and_then(|now| match (&now.kind, now.hold_remaining_sec) {
                (_, Some(s)) => Some((format!("On screen for {s} s"), palette::WARNING)),
                (ShowKind::Drawing, None) => {
                    let pct = if now.progress.is_finite() {
                        (now.progress.clamp(0.0, 1.0) * 100.0).floor() as u32
                    } else {
                        0
                    };
                    Some((format!("Drawing… {pct}%"), palette::SECONDARY))
                }
                _ => None,
            });
            let mut label_w = r.w as i32;
            if let Some((text, color)) = status {
                let sw = self.text_w(FontId::Small, display_chars(&text).len(), true).min(r.w as i32 / 2);
                let (_, sch) = self.cell(FontId::Small);
                let sr = Rect::new(r.right() - sw, r.y + (lh - sch - u) / 2, sw as u32, (sch + u) as u32);
                if self.line("now.status", Some(ni), sr, FontId::Small, &text, Align::Right, color, true).is_some() {
                    label_w -= sw + 12 * u;
                }
            }
            let (_, bch) = self.cell(FontId::Badge);
            let lr = Rect::new(r.x, r.y + (lh - bch) / 2, label_w.max(0) as u32, bch as u32);
            self.line("now.label", Some(ni), lr, FontId::Badge, label, Align::Left, label_color, false);
            y += lh + 8 * u;
        }

        if let Some(now) = now {
            // Bottom: the progress bar.
            let bar_h = 10 * u;
            if matches!(now.kind, ShowKind::Drawing) {
                let br = Rect::new(inner.x, content_bottom - bar_h, inner.w, bar_h as u32);
                if br.y >= y {
                    self.bx("now.progress", br, Some(ni));
                    self.plan.ops.push(Op::Progress { rect: br, progress: now.progress });
                    content_bottom = br.y;
                }
            }
            content_bottom -= 10 * u;

            // Donor (one line) on the left, the amount in its own currency on the right.
            let donor = if now.donor.trim().is_empty() { "Anonymous" } else { now.donor.as_str() };
            let amount = money(&now.amount, &now.currency);
            let ah = self.text_h(FontId::Hero, 1, true);
            let mut row_h = 0;
            let mut donor_w = inner.w as i32;
            if !amount.is_empty() && y + ah <= content_bottom {
                let aw = self.text_w(FontId::Hero, display_chars(&amount).len(), true).min(inner.w as i32 / 2);
                let ar = Rect::new(inner.right() - aw, y, aw as u32, ah as u32);
                if let Some((_, h)) = self.line(
                    "now.amount",
                    Some(ni),
                    ar,
                    FontId::Hero,
                    &amount,
                    Align::Right,
                    palette::ACCENT_ALT,
                    true,
                ) {
                    row_h = h;
                    donor_w = inner.w as i32 - aw - 16 * u;
                }
            }
            let donor_lines = 1;
            let dh = self.text_h(FontId::Title, donor_lines, true);
            // Centre a one-line name on the amount's baseline area.
            let (_, tch) = self.cell(FontId::Title);
            let (_, hch) = self.cell(FontId::Hero);
            let dy = if row_h > 0 { (hch - tch) / 2 } else { 0 };
            let r = Rect::new(inner.x, y + dy, donor_w.max(0) as u32, (dh.min(content_bottom - y - dy)).max(0) as u32);
            if let Some((_, h)) =
                self.para("now.donor", Some(ni), r, FontId::Title, donor, donor_lines, Align::Left, palette::FG, true)
            {
                row_h = row_h.max(h + dy);
            }
            if row_h > 0 {
                y += row_h + 12 * u;
            }
        } else {
            content_bottom -= 12 * u;
        }

        // The request, in a box with a cyan outline.
        let (msg, color) = match now {
            Some(n) if !n.message.trim().is_empty() => (n.message.as_str(), palette::FG),
            Some(_) => ("(no message)", palette::SECONDARY),
            None => ("Donate with a drawing request: it appears here, stroke by stroke.", palette::SECONDARY),
        };
        let mb = Rect::new(inner.x, y, inner.w, (content_bottom - y).max(0) as u32);
        let pad = 12 * u;
        if mb.h as i32 >= self.text_h(FontId::Body, 1, true) + 2 * pad {
            let mi = self.bx("now.message_box", mb, Some(ni));
            self.plan.ops.push(Op::Fill { rect: mb, radius: 10 * u, color: palette::CARD, alpha: 200 });
            self.plan.ops.push(Op::Stroke {
                rect: mb,
                radius: 10 * u,
                thickness: u,
                color: palette::ACCENT_ALT,
                alpha: 110,
            });
            self.para("now.message", Some(mi), mb.inset(pad), FontId::Body, msg, usize::MAX, Align::Left, color, true);
        }
    }

    fn queue_panel(&mut self, st: &HudState) {
        let u = self.u;
        let q = self.g.queue;
        let qi = self.bx("queue", q, None);
        let inner = q.inset(12 * u);
        if inner.w == 0 || inner.h == 0 {
            return;
        }
        let mut y = inner.y;
        // Title row: "UP NEXT" and "N waiting".
        let row_h = self.text_h(FontId::Badge, 1, false).max(self.text_h(FontId::Small, 1, true));
        if row_h > inner.h as i32 {
            return;
        }
        let count = match st.queue.len() {
            0 => "empty".to_string(),
            n => format!("{n} waiting"),
        };
        let cw = self.text_w(FontId::Small, count.chars().count(), true).min(inner.w as i32 / 2);
        self.line(
            "queue.count",
            Some(qi),
            Rect::new(inner.right() - cw, y, cw as u32, row_h as u32),
            FontId::Small,
            &count,
            Align::Right,
            palette::SECONDARY,
            true,
        );
        let lw = (inner.w as i32 - cw - 8 * u).max(0);
        self.line(
            "queue.title",
            Some(qi),
            Rect::new(inner.x, y, lw as u32, row_h as u32),
            FontId::Badge,
            "UP NEXT",
            Align::Left,
            palette::SECONDARY,
            false,
        );
        y += row_h + 6 * u;

        if st.queue.is_empty() {
            let r = Rect::new(inner.x, y, inner.w, (inner.bottom() - y).max(0) as u32);
            self.para(
                "queue.empty",
                Some(qi),
                r,
                FontId::Body,
                "No pending requests",
                2,
                Align::Left,
                palette::SECONDARY,
                true,
            );
            return;
        }

        let l1 = self.text_h(FontId::BodyBold, 1, true);
        let l2 = self.text_h(FontId::Small, 1, true);
        let card_h = 5 * u + l1 + 3 * u + l2 + 5 * u;
        let card_gap = 4 * u;
        let more_h = l2;
        let avail = inner.bottom() - y;
        let fit_all = if avail >= card_h { ((avail + card_gap) / (card_h + card_gap)) as usize } else { 0 };
        let len = st.queue.len();
        let shown = if len <= fit_all {
            len
        } else if avail >= more_h {
            ((avail - more_h) / (card_h + card_gap)) as usize
        } else {
            0
        };
        for (i, e) in st.queue.iter().take(shown).enumerate() {
            let c = Rect::new(inner.x, y, inner.w, card_h as u32);
            let name = format!("queue.card.{}", i + 1);
            let ci = self.bx(name.clone(), c, Some(qi));
            let painting_at;
            let (stroke, tag, tag_color) = match e.status {
                EntryStatus::Ready => (None, "READY", palette::SUCCESS),
                EntryStatus::Painting => (Some(palette::ACCENT_ALT), "PAINTING…", palette::ACCENT_ALT),
                EntryStatus::PaintingAt(pct) => {
                    painting_at = format!("PAINTING {}%", pct.min(100));
                    (Some(palette::ACCENT_ALT), painting_at.as_str(), palette::ACCENT_ALT)
                }
                EntryStatus::Checking => (None, "CHECKING", palette::SECONDARY),
                EntryStatus::Held => (Some(palette::WARNING), "HELD", palette::WARNING),
            };
            self.plan.ops.push(Op::Fill { rect: c, radius: 8 * u, color: palette::CARD, alpha: 210 });
            if let Some(sc) = stroke {
                self.plan.ops.push(Op::Stroke { rect: c, radius: 8 * u, thickness: u, color: sc, alpha: 150 });
            }
            // Position number.
            let bs = card_h - 10 * u;
            let badge = Rect::new(c.x + 6 * u, c.y + 5 * u, bs as u32, bs as u32);
            let bi = self.bx(format!("{name}.number"), badge, Some(ci));
            self.plan.ops.push(Op::Fill { rect: badge, radius: 6 * u, color: palette::ACCENT, alpha: 220 });
            let (bcw, bch) = self.cell(FontId::Badge);
            let num = (i + 1).to_string();
            let nw = (num.len() as i32 * bcw).min(bs);
            let nr = Rect::new(badge.x + (bs - nw) / 2, badge.y + (bs - bch) / 2, nw as u32, bch.min(bs) as u32);
            self.line(
                &format!("{name}.number.text"),
                Some(bi),
                nr,
                FontId::Badge,
                &num,
                Align::Left,
                palette::FG,
                false,
            );

            let tx = badge.right() + 12 * u;
            let tw = c.right() - 12 * u - tx;
            if tw <= 0 {
                y += card_h + card_gap;
                continue;
            }
            // Line 1: donor … amount.
            let y1 = c.y + 5 * u;
            let amount = money(&e.amount, &e.currency);
            let aw = self.text_w(FontId::BodyBold, display_chars(&amount).len().min(16), true).min(tw / 2);
            if !amount.is_empty() {
                self.line(
                    &format!("{name}.amount"),
                    Some(ci),
                    Rect::new(c.right() - 12 * u - aw, y1, aw as u32, l1 as u32),
                    FontId::BodyBold,
                    &amount,
                    Align::Right,
                    palette::ACCENT_ALT,
                    true,
                );
            }
            let dw = tw - aw - 12 * u;
            if dw > 0 {
                let donor = if e.donor.trim().is_empty() { "Anonymous" } else { e.donor.as_str() };
                self.line(
                    &format!("{name}.donor"),
                    Some(ci),
                    Rect::new(tx, y1, dw as u32, l1 as u32),
                    FontId::BodyBold,
                    donor,
                    Align::Left,
                    palette::FG,
                    true,
                );
            }
            // Line 2: request … state tag.
            let y2 = y1 + l1 + 3 * u;
            let tgw = self.text_w(FontId::Small, display_chars(tag).len(), true).min(tw / 2);
            self.line(
                &format!("{name}.status"),
                Some(ci),
                Rect::new(c.right() - 12 * u - tgw, y2, tgw as u32, l2 as u32),
                FontId::Small,
                tag,
                Align::Right,
                tag_color,
                true,
            );
            let mw = tw - tgw - 12 * u;
            if mw > 0 {
                let msg = if e.message.trim().is_empty() { "(no message)" } else { e.message.as_str() };
                self.line(
                    &format!("{name}.message"),
                    Some(ci),
                    Rect::new(tx, y2, mw as u32, l2 as u32),
                    FontId::Small,
                    msg,
                    Align::Left,
                    palette::SECONDARY,
                    true,
                );
            }
            y += card_h + card_gap;
        }
        if shown < len {
            let r = Rect::new(inner.x, y, inner.w, more_h as u32);
            if r.bottom() <= inner.bottom() {
                self.line(
                    "queue.more",
                    Some(qi),
                    r,
                    FontId::Small,
                    &format!("+{} more", len - shown),
                    Align::Left,
                    palette::SECONDARY,
                    true,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_matches_design() {
        let g = Geo::new(1920, 1080);
        assert_eq!((g.u, g.k), (2, 8));
        assert_eq!(g.canvas.w, 768);
        let g = Geo::new(1280, 720);
        assert_eq!((g.u, g.k), (1, 5));
        let g = Geo::new(2400, 1350);
        assert_eq!((g.u, g.k), (2, 10));
    }

    #[test]
    fn money_uses_own_currency() {
        assert_eq!(money("500", "RUB"), "500 ₽");
        assert_eq!(money("4.99", "usd"), "4.99 USD");
        assert_eq!(money("500", "rub"), "500 ₽");
        assert_eq!(money("7", ""), "7");
        assert_eq!(money("200", "BITS"), "200 bits");
        assert_eq!(money("1", "BITS"), "1 bit");
        assert_eq!(money("1000", "POINTS"), "1000 points");
    }
}
