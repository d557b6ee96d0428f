//! # hud — one broadcast frame of Draw Stream
//!
//! Composes what the viewers see: a night-sky backdrop, the 96×96 drawing upscaled by an integer factor
//! in a glowing frame on the left, and on the right the HUD — who is being drawn for, the amount in its
//! own currency, the (already masked) request, a progress bar, "on screen for N s", the queue with each
//! entry's state, a caption, and DEMO / PAUSED / FPS / status chips in the header. Refusals and failures
//! are shown as cards in the canvas area, styled as part of the show.
//!
//! Pure: no I/O, no async, no clock. The caller (the service's stage, or `window`) owns time and state.
//!
//! ## Layout
//! * [`Hud::new`] computes the geometry for one window size (`layout.rs`), builds the static backdrop
//!   once (`backdrop.rs`) and extracts glyphs from the embedded-graphics iso_8859_5 X11 fonts (`font.rs`).
//! * Each frame, [`Hud::compose`] copies the backdrop, then draws a *plan*: the list of text runs, chips,
//!   cards and bars for this [`HudState`]. [`Hud::layout`] returns the same plan's boxes, so tests check
//!   exactly what is drawn: no box leaves its parent or the frame, and no two siblings overlap.
//! * Text is monospace and integer-scaled. Words longer than a line are broken, messages wrap and end
//!   with "…", every unknown character (emoji, CJK) draws as one placeholder cell; nothing overflows.
//!
//! ```
//! use hud::{Frame, Hud, HudState, NowShowing, ShowKind, CanvasView};
//! let mut hud = Hud::new(1280, 720);
//! let mut frame = Frame::new(1280, 720);
//! let drawing = vec![255u8; 96 * 96 * 4];
//! let state = HudState {
//!     now: Some(NowShowing {
//!         donor: "Аня".into(), amount: "500".into(), currency: "RUB".into(),
//!         message: "нарисуй кота".into(), kind: ShowKind::Drawing, progress: 0.4, hold_remaining_sec: None,
//!     }),
//!     caption: "All for you".into(),
//!     ..HudState::default()
//! };
//! hud.compose(&mut frame, &state, Some(CanvasView { width: 96, height: 96, rgba: &drawing }));
//! assert_eq!(frame.pixels.len(), 1280 * 720);
//! ```

mod backdrop;
mod font;
mod layout;
pub use layout::money;
pub mod palette;
mod raster;
mod wire;

use embedded_graphics::mono_font::iso_8859_5 as fonts;

use crate::font::Font;
use crate::layout::{Geo, Op, Plan};
use crate::raster::Target;

/// A frame in softbuffer's pixel format: `0x00RRGGBB`, row-major, `width * height` pixels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u32>,
}

impl Frame {
    /// A black frame of the given size.
    pub fn new(width: u32, height: u32) -> Frame {
        Frame { width, height, pixels: vec![0; width as usize * height as usize] }
    }

    /// RGBA8 bytes (alpha 255), e.g. to save as PNG.
    pub fn to_rgba(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.pixels.len() * 4);
        for &p in &self.pixels {
            out.extend_from_slice(&[(p >> 16) as u8, (p >> 8) as u8, p as u8, 255]);
        }
        out
    }
}

/// The drawing at this instant: `width × height` RGBA8 pixels (normally 96×96).
#[derive(Clone, Copy, Debug)]
pub struct CanvasView<'a> {
    pub width: u32,
    pub height: u32,
    pub rgba: &'a [u8],
}

/// Everything the HUD shows; the service builds one per frame. Serialized, it is what the OBS
/// overlay draws (`{demo, paused, now, queue, caption, status_line}`; see `wire`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct HudState {
    /// Demo mode: a DEMO badge in the header, so nobody mistakes demo donations for real ones.
    pub demo: bool,
    /// Emergency blank: the frame is the plain [`palette::BG`] colour, nothing else is drawn.
    #[serde(skip)]
    pub hidden: bool,
    /// The queue is paused: a PAUSED chip in the header.
    pub paused: bool,
    /// The donation on screen, if any.
    pub now: Option<NowShowing>,
    /// The next entries in order; as many as fit are drawn, then "+N more".
    pub queue: Vec<QueueEntry>,
    /// Footer caption, e.g. "All for you".
    pub caption: String,
    /// Frames per second, shown in the header when set.
    #[serde(skip)]
    pub fps: Option<f32>,
    /// A service notice in the header, e.g. "Donation Alerts: reconnecting in 5 s".
    pub status_line: Option<String>,
}

/// The donation on screen.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(into = "wire::Now")]
pub struct NowShowing {
    pub donor: String,
    /// Decimal amount as text, e.g. "500" or "4.99".
    pub amount: String,
    /// The donation's own currency code, e.g. "RUB", "USD" (RUB is shown as "₽").
    pub currency: String,
    /// The request, already masked by moderation.
    pub message: String,
    pub kind: ShowKind,
    /// Drawing progress 0..=1.
    pub progress: f32,
    /// While the finished drawing is held on screen: seconds left.
    pub hold_remaining_sec: Option<u32>,
}

/// What the canvas area shows for the donation on screen.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ShowKind {
    /// The animated drawing (from the `canvas` argument of `compose`).
    Drawing,
    /// A refusal card with this text (e.g. "This request can't be drawn on stream").
    Refused {
        #[serde(rename = "card")]
        text: String,
    },
    /// A "could not draw this" card with this text.
    Failed {
        #[serde(rename = "card")]
        text: String,
    },
}

/// One waiting donation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(into = "wire::Entry")]
pub struct QueueEntry {
    pub donor: String,
    pub amount: String,
    pub currency: String,
    pub message: String,
    pub status: EntryStatus,
}

/// Where a waiting donation is in the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(into = "&'static str")]
pub enum EntryStatus {
    /// Drawing ready, waiting for its turn.
    Ready,
    /// The picture is being generated.
    Painting,
    /// The picture is being generated and the image server reports this percentage.
    PaintingAt(u8),
    /// Moderation or planning.
    Checking,
    /// Held for a moderator.
    Held,
}

/// An axis-aligned rectangle in frame pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: u32,
    pub h: u32,
}

impl Rect {
    pub const fn new(x: i32, y: i32, w: u32, h: u32) -> Rect {
        Rect { x, y, w, h }
    }
    pub const fn right(&self) -> i32 {
        self.x + self.w as i32
    }
    pub const fn bottom(&self) -> i32 {
        self.y + self.h as i32
    }
    /// True if `other` lies entirely inside `self`.
    pub fn contains(&self, other: &Rect) -> bool {
        other.x >= self.x && other.y >= self.y && other.right() <= self.right() && other.bottom() <= self.bottom()
    }
    /// True if the two rectangles share at least one pixel.
    pub fn intersects(&self, other: &Rect) -> bool {
        self.w > 0
            && self.h > 0
            && other.w > 0
            && other.h > 0
            && self.x < other.right()
            && other.x < self.right()
            && self.y < other.bottom()
            && other.y < self.bottom()
    }
    /// Shrunk by `n` on every side (never below zero size).
    pub fn inset(&self, n: i32) -> Rect {
        let w = (self.w as i32 - 2 * n).max(0) as u32;
        let h = (self.h as i32 - 2 * n).max(0) as u32;
        Rect { x: self.x + n, y: self.y + n, w, h }
    }
}

/// One element of a frame as drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaidBox {
    /// Dotted name, e.g. `now.message`, `queue.card.2.donor`.
    pub name: String,
    /// The space the element owns.
    pub rect: Rect,
    /// For text: the pixels its glyph cells (and drop shadow) cover; always inside `rect`.
    pub ink: Option<Rect>,
    /// Index of the enclosing box in [`Layout::boxes`]; `None` for the top-level panels.
    pub parent: Option<usize>,
}

/// Every element of one frame, parents before children.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    pub boxes: Vec<LaidBox>,
}

impl Layout {
    /// The first box with this name.
    pub fn get(&self, name: &str) -> Option<&LaidBox> {
        self.boxes.iter().find(|b| b.name == name)
    }

    /// Problems a viewer would see: boxes outside the frame or their parent, ink outside its box, and
    /// siblings that overlap. Empty when the layout is clean.
    pub fn problems(&self, width: u32, height: u32) -> Vec<String> {
        let frame = Rect::new(0, 0, width, height);
        let mut out = Vec::new();
        for (i, b) in self.boxes.iter().enumerate() {
            if !frame.contains(&b.rect) {
                out.push(format!("{} {:?} leaves the {width}x{height} frame", b.name, b.rect));
            }
            if let Some(p) = b.parent {
                let pb = &self.boxes[p];
                if p >= i {
                    out.push(format!("{} listed before its parent {}", b.name, pb.name));
                }
                if !pb.rect.contains(&b.rect) {
                    out.push(format!("{} {:?} overflows its parent {} {:?}", b.name, b.rect, pb.name, pb.rect));
                }
            }
            if let Some(ink) = b.ink {
                if !b.rect.contains(&ink) {
                    out.push(format!("{} glyphs {:?} overflow its box {:?}", b.name, ink, b.rect));
                }
            }
            for o in &self.boxes[i + 1..] {
                if o.parent == b.parent && o.rect.intersects(&b.rect) {
                    out.push(format!("{} {:?} overlaps {} {:?}", b.name, b.rect, o.name, o.rect));
                }
            }
        }
        out
    }
}

/// Font roles, index into [`Hud::fonts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FontId {
    /// 10×20: the title, amounts, card headings.
    Hero = 0,
    /// 9×18 bold: donor names, caption.
    Title = 1,
    /// 7×14: the request text.
    Body = 2,
    /// 7×14 bold: queue donors.
    BodyBold = 3,
    /// 6×12: secondary lines.
    Small = 4,
    /// 6×13 bold: labels and chips.
    Badge = 5,
}

/// The compositor for one window size. Holds the cached backdrop, glyphs and geometry.
pub struct Hud {
    width: u32,
    height: u32,
    geo: Geo,
    backdrop: Vec<u32>,
    fonts: [Font; 6],
}

impl Hud {
    /// Builds the backdrop and glyph caches for a `width × height` frame (any size from 640×360 up;
    /// smaller sizes still never panic, but get cramped).
    pub fn new(width: u32, height: u32) -> Hud {
        let (width, height) = (width.max(1), height.max(1));
        let geo = Geo::new(width, height);
        let backdrop = backdrop::build(&geo, width, height);
        let fonts = [
            Font::new(&fonts::FONT_10X20),
            Font::new(&fonts::FONT_9X18_BOLD),
            Font::new(&fonts::FONT_7X14),
            Font::new(&fonts::FONT_7X14_BOLD),
            Font::new(&fonts::FONT_6X12),
            Font::new(&fonts::FONT_6X13_BOLD),
        ];
        Hud { width, height, geo, backdrop, fonts }
    }

    pub fn width(&self) -> u32 {
        self.width
    }
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Where the drawing goes and its integer scale: `(rect, scale)`, e.g. 768×768 at ×8 for 1080p.
    pub fn canvas_rect(&self) -> (Rect, u32) {
        (self.geo.canvas, self.geo.k)
    }

    /// Draws one frame. A frame of another size is resized to the HUD's size first.
    pub fn compose(&mut self, frame: &mut Frame, state: &HudState, canvas: Option<CanvasView>) {
        if frame.width != self.width
            || frame.height != self.height
            || frame.pixels.len() != (self.width * self.height) as usize
        {
            frame.width = self.width;
            frame.height = self.height;
            frame.pixels.resize((self.width * self.height) as usize, 0);
        }
        self.compose_into(&mut frame.pixels, state, canvas);
    }

    /// Draws one frame straight into a `width * height` pixel slice (e.g. softbuffer's buffer). A slice
    /// of another length is left untouched.
    pub fn compose_into(&mut self, pixels: &mut [u32], state: &HudState, canvas: Option<CanvasView>) {
        if pixels.len() != (self.width * self.height) as usize {
            return;
        }
        if state.hidden {
            pixels.fill(palette::BG);
            return;
        }
        pixels.copy_from_slice(&self.backdrop);
        let plan = layout::build(&self.geo, &self.fonts, state, canvas.is_some());
        let mut t = Target { px: pixels, w: self.width as i32, h: self.height as i32 };
        self.draw(&mut t, &plan, canvas);
    }

    /// The boxes of the frame [`compose`](Self::compose) would draw for `state`, assuming a drawing is
    /// passed whenever something is on screen.
    pub fn layout(&self, state: &HudState) -> Layout {
        self.layout_with_canvas(state, state.now.is_some())
    }

    /// As [`layout`](Self::layout), saying whether a drawing will be passed to `compose` (without one the
    /// canvas area shows the "waiting" placeholder).
    pub fn layout_with_canvas(&self, state: &HudState, has_canvas: bool) -> Layout {
        if state.hidden {
            return Layout::default();
        }
        Layout { boxes: layout::build(&self.geo, &self.fonts, state, has_canvas).boxes }
    }

    fn draw(&self, t: &mut Target, plan: &Plan, canvas: Option<CanvasView>) {
        let u = self.geo.u;
        for op in &plan.ops {
            match op {
                Op::Fill { rect, radius, color, alpha } => t.fill_rrect(*rect, *radius, *color, *alpha),
                Op::Stroke { rect, radius, thickness, color, alpha } => {
                    t.stroke_rrect(*rect, *radius, *thickness, *color, *alpha)
                }
                Op::Block { rect, color } => t.fill_rect(*rect, *color),
                Op::Text { font, x, y, chars, color, shadow } => {
                    let f = &self.fonts[*font as usize];
                    if *shadow {
                        f.draw(t, chars, x + u as i32, y + u as i32, u, palette::SHADOW);
                    }
                    f.draw(t, chars, *x, *y, u, *color);
                }
                Op::Progress { rect, progress } => draw_progress(t, *rect, *progress),
                Op::Canvas { rect } => {
                    if let Some(c) = canvas {
                        if c.width == 0 || c.height == 0 || c.rgba.len() < (c.width * c.height * 4) as usize {
                            continue;
                        }
                        let k = (rect.w / c.width).min(rect.h / c.height).max(1);
                        let x = rect.x + (rect.w as i32 - (c.width * k) as i32) / 2;
                        let y = rect.y + (rect.h as i32 - (c.height * k) as i32) / 2;
                        if c.width * k <= rect.w && c.height * k <= rect.h {
                            t.blit_canvas(&c, (x, y), k, palette::CANVAS_BACK);
                        }
                    }
                }
            }
        }
    }
}

/// A rounded bar: dark track, gradient fill from accent to cyan with a gloss line.
fn draw_progress(t: &mut Target, r: Rect, p: f32) {
    let p = if p.is_finite() { p.clamp(0.0, 1.0) } else { 0.0 };
    t.fill_rrect(r, r.h as i32 / 2, palette::TRACK, 230);
    let fw = (p * r.w as f32).round() as i32;
    if fw <= 0 {
        return;
    }
    let radius = r.h as i32 / 2;
    for row in 0..r.h as i32 {
        let y = r.y + row;
        // Inset of the rounded ends on this row.
        let dy = (radius as f32 - row as f32 - 0.5).abs();
        let inset = if radius > 0 {
            (radius as f32 - (radius as f32 * radius as f32 - dy * dy).max(0.0).sqrt()).round() as i32
        } else {
            0
        };
        let x0 = r.x + inset;
        let x1 = (r.x + fw).min(r.right() - inset);
        let gloss = row < (r.h as i32) / 3;
        for x in x0..x1 {
            let tpos = ((x - r.x) * 256 / r.w.max(1) as i32) as u32;
            let mut c = raster::mix(palette::ACCENT, palette::ACCENT_ALT, tpos);
            if gloss {
                c = raster::blend(c, palette::FG, 70);
            }
            if y >= 0 && y < t.h && x >= 0 && x < t.w {
                t.px[(y * t.w + x) as usize] = c;
            }
        }
    }
}
