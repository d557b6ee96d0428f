//! The animation timeline: what the canvas shows at time `t`.
//!
//! [`Timeline::new`] rasterizes every step once into a sparse layer (the pixels it sets, with
//! their colours) plus what its animation mode needs (the outline trace for `stroke`, the reveal
//! order for `pixel_reveal`). [`Timeline::render_at`] then copies the canvas as it stands after
//! the finished steps (cached between calls, so a playing animation only ever adds one step) and
//! draws the current step partially.
//!
//! # Timing
//! * Steps (units) play one after another, never overlapping.
//! * A unit is a leaf step, or a `group` that has its own `animate` (its leaves then play together
//!   as one unit, their own `animate` ignored). A group without `animate` is transparent: its
//!   leaves are units of their own, as in the original.
//! * `delay_ms` is a pause *before* the unit, counted from the end of the previous unit (the
//!   original's meaning); the first unit's delay counts from t = 0.
//! * Duration: `duration_ms`; else, when `speed_px_per_s` > 0, the unit's drawn length divided by
//!   that speed (rect perimeter, circle circumference, line length, polygon perimeter, pixel
//!   count, text width); else the default step duration.
//! * A unit without `animate` uses `fill`.
//!
//! # Modes (at eased progress e = ease(p))
//! * `fill`: the whole unit fades in, alpha = round(255·e), blended over what is below.
//! * `stroke`: the outline is traced along the perimeter (clockwise from the top-left corner for
//!   rects, clockwise from 12 o'clock for circles, edge by edge for polygons, from the first to
//!   the second end for lines, in list order for pixels, left to right for text) during the first
//!   60 % of the progress; the rest of the unit (the fill) then fades in. Units whose pixels are
//!   all on the trace (lines, pixels, outline-only shapes) spend the whole time tracing.
//! * `pixel_reveal`: exactly ⌊N·e⌋ of the unit's N points are shown, in list order (for
//!   non-`pixels` steps every drawn pixel is a point, row by row from the top, left to right).
//!
//! At t ≥ [`Timeline::duration_ms`] every unit is complete and the frame equals
//! [`render_final`] exactly.

use std::sync::Mutex;

use crate::color::{rgba, Rgba};
use crate::image::Image;
use crate::model::*;
use crate::raster::Surface;
use crate::text::{draw_text, font_for_size};

/// Duration of a step that has neither `duration_ms` nor a usable `speed_px_per_s` (the
/// original's DEFAULT_STEP_DURATION_MS).
pub const DEFAULT_STEP_DURATION_MS: u32 = 700;

/// Share of a `stroke` unit's progress spent tracing the outline before the fill fades in.
const STROKE_TRACE_SHARE: f64 = 0.6;

/// The canvas after the whole document is drawn.
pub fn render_final(doc: &Document) -> Image {
    let units = build_units(doc, DEFAULT_STEP_DURATION_MS, false);
    let mut img = Image::new(doc.canvas.w, doc.canvas.h, rgba(&doc.canvas.bg));
    for u in &units {
        apply(&mut img.data, &u.px);
    }
    img
}

/// A document's animation, built once and rendered at any time.
pub struct Timeline {
    width: u32,
    height: u32,
    bg: Rgba,
    units: Vec<Unit>,
    /// `units[i].end`, for binary search.
    ends: Vec<u64>,
    duration: u64,
    /// The canvas after the first finished units, reused by the next `render_at` (playing
    /// forward only ever adds units to it).
    cache: Mutex<BaseCache>,
}

/// When a unit plays, in ms from the start of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First ms of the unit (after its delay).
    pub start: u64,
    /// First ms at which the unit is complete.
    pub end: u64,
}

struct Unit {
    start: u64,
    end: u64,
    ease: Ease,
    /// Final pixels of the unit, each index once, last colour wins.
    px: Vec<(u32, Rgba)>,
    anim: Anim,
}

enum Anim {
    Fill,
    /// `pixel_reveal` of a single non-`pixels` leaf: `px` is already in drawing order, and every
    /// pixel is one point (no second copy of the layer).
    RevealPx,
    Reveal {
        /// Pixels in reveal order; applying all of them in order gives `px`.
        seq: Vec<(u32, Rgba)>,
        /// `ends[k]` = length of the `seq` prefix that shows the first k + 1 points; `None` when
        /// every entry of `seq` is one point.
        ends: Option<Vec<u32>>,
    },
    Stroke {
        /// Outline pixels in tracing order, with their final colours.
        trace: Vec<(u32, Rgba)>,
        /// Whether some pixels are not on the trace (then they fade in after tracing).
        fill_phase: bool,
    },
}

impl Timeline {
    /// Builds the timeline; `default_step_ms` (normally [`DEFAULT_STEP_DURATION_MS`]) is used for
    /// steps with neither `duration_ms` nor `speed_px_per_s`.
    pub fn new(doc: &Document, default_step_ms: u32) -> Timeline {
        let units = build_units(doc, default_step_ms, true);
        let ends: Vec<u64> = units.iter().map(|u| u.end).collect();
        let duration = ends.last().copied().unwrap_or(0);
        let bg = rgba(&doc.canvas.bg);
        let base = Image::new(doc.canvas.w, doc.canvas.h, bg).data;
        Timeline { width: doc.canvas.w, height: doc.canvas.h, bg, units, ends, duration, cache: Mutex::new((0, base)) }
    }

    /// End of the last step in ms (0 for a document without steps).
    pub fn duration_ms(&self) -> u64 {
        self.duration
    }

    /// Canvas size (width, height).
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// When each unit plays.
    pub fn spans(&self) -> Vec<Span> {
        self.units.iter().map(|u| Span { start: u.start, end: u.end }).collect()
    }

    /// Share of the animation done at `t_ms`, 0..=1 (time-based, delays included); 1 for a
    /// document without steps.
    pub fn progress_at(&self, t_ms: u64) -> f32 {
        if self.duration == 0 {
            return 1.0;
        }
        (t_ms.min(self.duration) as f64 / self.duration as f64) as f32
    }

    /// The frame at `t_ms` into `out` (resized to the canvas when needed, allocation reused).
    pub fn render_at(&self, t_ms: u64, out: &mut Image) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        self.render_with(t_ms, out, &mut cache);
    }

    /// The frame at `t_ms` as a new image.
    pub fn frame_at(&self, t_ms: u64) -> Image {
        let mut img = Image::empty();
        self.render_at(t_ms, &mut img);
        img
    }

    /// A base cache of its own, for a second consumer (the GIF encoder) that should not make the
    /// window's cache jump back and forth.
    pub(crate) fn private_cache(&self) -> BaseCache {
        (0, Image::new(self.width, self.height, self.bg).data)
    }

    pub(crate) fn render_with(&self, t_ms: u64, out: &mut Image, cache: &mut BaseCache) {
        let len = self.width as usize * self.height as usize * 4;
        out.width = self.width;
        out.height = self.height;
        out.data.resize(len, 0);

        let done = self.ends.partition_point(|&e| e <= t_ms);
        let (upto, base) = cache;
        if *upto > done {
            fill(base, self.bg);
            *upto = 0;
        }
        for u in &self.units[*upto..done] {
            apply(base, &u.px);
        }
        *upto = done;
        out.data.copy_from_slice(base);
        if let Some(u) = self.units.get(done) {
            if t_ms >= u.start {
                let p = (t_ms - u.start) as f64 / (u.end - u.start) as f64;
                draw_partial(u, u.ease.apply(p), &mut out.data);
            }
        }
    }
}

/// The canvas after the first `.0` units.
pub(crate) type BaseCache = (usize, Vec<u8>);

fn fill(data: &mut [u8], c: Rgba) {
    for px in data.chunks_exact_mut(4) {
        px.copy_from_slice(&c);
    }
}

#[inline]
fn apply(data: &mut [u8], px: &[(u32, Rgba)]) {
    for &(i, c) in px {
        let o = i as usize * 4;
        data[o..o + 4].copy_from_slice(&c);
    }
}

fn blend(data: &mut [u8], px: &[(u32, Rgba)], alpha: u32) {
    if alpha == 0 {
        return;
    }
    if alpha >= 255 {
        apply(data, px);
        return;
    }
    let inv = 255 - alpha;
    for &(i, c) in px {
        let o = i as usize * 4;
        for k in 0..3 {
            let d = data[o + k] as u32;
            data[o + k] = ((c[k] as u32 * alpha + d * inv + 127) / 255) as u8;
        }
        data[o + 3] = 255;
    }
}

/// How many of `n` items are shown at eased progress `e` (⌊n·e⌋, robust to float rounding).
fn count_at(n: usize, e: f64) -> usize {
    ((n as f64 * e + 1e-9).floor() as usize).min(n)
}

fn draw_partial(u: &Unit, e: f64, data: &mut [u8]) {
    match &u.anim {
        Anim::Fill => blend(data, &u.px, (e * 255.0).round() as u32),
        Anim::RevealPx => apply(data, &u.px[..count_at(u.px.len(), e)]),
        Anim::Reveal { seq, ends: None } => apply(data, &seq[..count_at(seq.len(), e)]),
        Anim::Reveal { seq, ends: Some(ends) } => {
            let k = count_at(ends.len(), e);
            if k > 0 {
                apply(data, &seq[..ends[k - 1] as usize]);
            }
        }
        Anim::Stroke { trace, fill_phase } => {
            if !fill_phase {
                apply(data, &trace[..count_at(trace.len(), e)]);
            } else if e < STROKE_TRACE_SHARE {
                apply(data, &trace[..count_at(trace.len(), e / STROKE_TRACE_SHARE)]);
            } else {
                let f = (e - STROKE_TRACE_SHARE) / (1.0 - STROKE_TRACE_SHARE);
                blend(data, &u.px, (f * 255.0).round() as u32);
                apply(data, trace);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Building units.

/// A per-pixel table that keeps one entry per index in first-touch order (a sparse "surface").
struct Merge {
    mark: Vec<u32>,
    pos: Vec<u32>,
    generation: u32,
    out: Vec<(u32, Rgba)>,
}

impl Merge {
    fn new(n: usize) -> Merge {
        Merge { mark: vec![0; n], pos: vec![0; n], generation: 0, out: Vec::new() }
    }

    fn begin(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.mark.iter_mut().for_each(|m| *m = 0);
            self.generation = 1;
        }
        self.out.clear();
    }

    /// Sets index `i` to `c` (overwriting keeps the first position).
    fn put(&mut self, i: u32, c: Rgba) {
        let iu = i as usize;
        if self.mark[iu] == self.generation {
            self.out[self.pos[iu] as usize].1 = c;
        } else {
            self.mark[iu] = self.generation;
            self.pos[iu] = self.out.len() as u32;
            self.out.push((i, c));
        }
    }

    /// Adds index `i` only if it is not there yet.
    fn put_once(&mut self, i: u32, c: Rgba) {
        if self.mark[i as usize] != self.generation {
            self.put(i, c);
        }
    }

    fn color(&self, i: u32) -> Option<Rgba> {
        let iu = i as usize;
        (self.mark[iu] == self.generation).then(|| self.out[self.pos[iu] as usize].1)
    }
}

struct Builder {
    surface: Surface,
    unit_px: Merge,
    trace: Merge,
    default_ms: u32,
    with_anim: bool,
    units: Vec<Unit>,
    cursor: u64,
}

/// Per-leaf data collected while a unit is built.
struct LeafOut {
    /// Reveal sequence and per-point ends (relative to this leaf), for `pixel_reveal`.
    reveal: Vec<(u32, Rgba)>,
    /// `None`: every entry of `reveal` is one point.
    reveal_ends: Option<Vec<u32>>,
    /// Trace indices in order (may repeat), for `stroke`.
    trace: Vec<u32>,
}

fn build_units(doc: &Document, default_ms: u32, with_anim: bool) -> Vec<Unit> {
    let n = doc.canvas.w as usize * doc.canvas.h as usize;
    let mut b = Builder {
        surface: Surface::new(doc.canvas.w, doc.canvas.h),
        unit_px: Merge::new(n),
        trace: Merge::new(if with_anim { n } else { 0 }),
        default_ms: default_ms.max(1),
        with_anim,
        units: Vec::new(),
        cursor: 0,
    };
    b.steps(doc.steps());
    b.units
}

impl Builder {
    fn steps(&mut self, steps: &[Step]) {
        for s in steps {
            match s {
                Step::Group(g) if g.animate.is_none() => self.steps(&g.steps),
                Step::Group(g) => {
                    let mut leaves = Vec::new();
                    collect_leaves(&g.steps, &mut leaves);
                    if !leaves.is_empty() {
                        self.unit(&leaves, g.animate.as_ref());
                    }
                }
                leaf => self.unit(&[leaf], leaf.animate()),
            }
        }
    }

    fn unit(&mut self, leaves: &[&Step], animate: Option<&Animate>) {
        let mode = animate.map_or(Mode::Fill, |a| a.mode);
        let ease = animate.map_or(Ease::Linear, |a| a.ease);
        let delay = animate.and_then(|a| a.delay_ms).unwrap_or(0) as u64;
        let dur = match animate {
            Some(Animate { duration_ms: Some(d), .. }) => (*d).max(1) as u64,
            Some(Animate { speed_px_per_s: Some(s), .. }) if *s > 0.0 => {
                let len: f64 = leaves.iter().map(|l| drawn_length(l)).sum();
                ((len / s * 1000.0).ceil()).clamp(1.0, crate::limits::MAX_TIME_MS as f64) as u64
            }
            _ => self.default_ms as u64,
        };
        let start = self.cursor + delay;
        let end = start + dur;
        self.cursor = end;

        // A lone non-`pixels` leaf reveals its own layer in drawing order: no second copy.
        let reveal_px = mode == Mode::PixelReveal && leaves.len() == 1 && !matches!(leaves[0], Step::Pixels(_));
        let leaf_mode = if reveal_px { Mode::Fill } else { mode };
        self.unit_px.begin();
        let mut outs = Vec::with_capacity(leaves.len());
        for leaf in leaves {
            self.surface.begin();
            draw_leaf(&mut self.surface, leaf);
            for &i in self.surface.touched() {
                self.unit_px.put(i, self.surface.color_at(i));
            }
            if self.with_anim {
                outs.push(leaf_anim(&self.surface, leaf, leaf_mode));
            }
        }
        let anim = if !self.with_anim {
            Anim::Fill
        } else {
            match mode {
                Mode::Fill => Anim::Fill,
                Mode::PixelReveal if reveal_px => Anim::RevealPx,
                Mode::PixelReveal => {
                    let all_single = leaves.iter().all(|l| !matches!(l, Step::Pixels(_)));
                    let mut seq = Vec::new();
                    let mut ends = Vec::new();
                    for o in outs {
                        let base = seq.len() as u32;
                        seq.extend_from_slice(&o.reveal);
                        if !all_single {
                            match o.reveal_ends {
                                Some(e) => ends.extend(e.iter().map(|e| e + base)),
                                None => ends.extend(base + 1..=seq.len() as u32),
                            }
                        }
                    }
                    Anim::Reveal { seq, ends: (!all_single).then_some(ends) }
                }
                Mode::Stroke => {
                    self.trace.begin();
                    for o in &outs {
                        for &i in &o.trace {
                            if let Some(c) = self.unit_px.color(i) {
                                self.trace.put_once(i, c);
                            }
                        }
                    }
                    let trace = self.trace.out.clone();
                    let fill_phase = trace.len() < self.unit_px.out.len();
                    Anim::Stroke { trace, fill_phase }
                }
            }
        };
        let mut px = std::mem::take(&mut self.unit_px.out);
        if matches!(anim, Anim::RevealPx) {
            // Reveal order: row by row, top to bottom (the order of the pixels in the layer does
            // not matter otherwise, each index appears once).
            px.sort_unstable_by_key(|&(i, _)| i);
        }
        self.units.push(Unit { start, end, ease, px, anim });
    }
}

fn collect_leaves<'a>(steps: &'a [Step], out: &mut Vec<&'a Step>) {
    for s in steps {
        match s {
            Step::Group(g) => collect_leaves(&g.steps, out),
            leaf => out.push(leaf),
        }
    }
}

/// Draws one leaf exactly as the original did on its step surface: fill, then 1-px outline.
fn draw_leaf(s: &mut Surface, step: &Step) {
    match step {
        Step::Rect(r) => {
            if let Some(f) = &r.fill {
                s.fill_rect(r.x, r.y, r.w, r.h, rgba(f));
            }
            if let Some(o) = &r.outline {
                s.rect_outline(r.x, r.y, r.w, r.h, rgba(o));
            }
        }
        Step::Circle(c) => {
            if let Some(f) = &c.fill {
                s.circle_filled(c.cx, c.cy, c.r, rgba(f));
            }
            if let Some(o) = &c.outline {
                s.circle_outline(c.cx, c.cy, c.r, rgba(o));
            }
        }
        Step::Line(l) => s.line(l.x1, l.y1, l.x2, l.y2, l.width, rgba(&l.color)),
        Step::Polygon(p) => {
            if let Some(f) = &p.fill {
                s.polygon_filled(&p.points, rgba(f));
            }
            if let Some(o) = &p.outline {
                s.polygon_outline(&p.points, rgba(o));
            }
        }
        Step::Pixels(p) => {
            let c = rgba(&p.color);
            for pt in &p.points {
                s.set(pt[0], pt[1], c);
            }
        }
        Step::Text(t) => draw_text(s, t.x, t.y, &t.value, t.size, rgba(&t.color)),
        Step::Group(g) => {
            for child in &g.steps {
                draw_leaf(s, child);
            }
        }
    }
}

/// The length used with `speed_px_per_s`.
fn drawn_length(step: &Step) -> f64 {
    match step {
        Step::Rect(r) if r.w > 0 && r.h > 0 => 2.0 * (r.w as f64 + r.h as f64),
        Step::Rect(_) => 0.0,
        Step::Circle(c) => 2.0 * std::f64::consts::PI * c.r.max(0) as f64,
        Step::Line(l) => {
            let dx = (l.x2 as f64 - l.x1 as f64).abs();
            let dy = (l.y2 as f64 - l.y1 as f64).abs();
            dx.max(dy) + 1.0
        }
        Step::Polygon(p) => {
            let n = p.points.len();
            (0..n)
                .map(|i| {
                    let a = p.points[i];
                    let b = p.points[(i + 1) % n];
                    let dx = b[0] as f64 - a[0] as f64;
                    let dy = b[1] as f64 - a[1] as f64;
                    (dx * dx + dy * dy).sqrt()
                })
                .sum()
        }
        Step::Pixels(p) => p.points.len() as f64,
        Step::Text(t) => t.value.chars().count() as f64 * font_for_size(t.size).advance() as f64,
        Step::Group(g) => g.steps.iter().map(drawn_length).sum(),
    }
}

fn idx(s: &Surface, x: i32, y: i32) -> u32 {
    (y * s.w + x) as u32
}

/// Reveal order and trace of a leaf just drawn on `s` (its pixels are `s.touched()`).
fn leaf_anim(s: &Surface, step: &Step, mode: Mode) -> LeafOut {
    let mut out = LeafOut { reveal: Vec::new(), reveal_ends: None, trace: Vec::new() };
    match mode {
        Mode::Fill => {}
        Mode::PixelReveal => match step {
            Step::Pixels(p) => {
                let c = rgba(&p.color);
                let mut ends = Vec::with_capacity(p.points.len());
                for pt in &p.points {
                    if s.inside(pt[0], pt[1]) {
                        out.reveal.push((idx(s, pt[0], pt[1]), c));
                    }
                    ends.push(out.reveal.len() as u32);
                }
                out.reveal_ends = Some(ends);
            }
            _ => {
                let mut order = s.touched().to_vec();
                order.sort_unstable();
                out.reveal = order.into_iter().map(|i| (i, s.color_at(i))).collect();
            }
        },
        Mode::Stroke => out.trace = leaf_trace(s, step),
    }
    out
}

fn leaf_trace(s: &Surface, step: &Step) -> Vec<u32> {
    let keep = |v: Vec<(i32, i32)>| -> Vec<u32> {
        v.into_iter().filter(|&(x, y)| s.has_xy(x, y)).map(|(x, y)| idx(s, x, y)).collect()
    };
    match step {
        Step::Rect(r) => keep(rect_perimeter(s, r.x, r.y, r.w, r.h)),
        Step::Circle(c) => {
            // The outline ring when there is one (pixels left in the outline colour), else the
            // edge of the disc.
            let mut b = match &c.outline {
                Some(o) => {
                    let o = rgba(o);
                    s.touched().iter().copied().filter(|&i| s.color_at(i) == o).collect()
                }
                None => boundary(s),
            };
            let key = |i: u32| {
                let (x, y) = ((i as i32 % s.w) as f64, (i as i32 / s.w) as f64);
                let a = (y + 0.5 - c.cy as f64).atan2(x + 0.5 - c.cx as f64);
                (a + std::f64::consts::FRAC_PI_2).rem_euclid(std::f64::consts::TAU)
            };
            b.sort_by(|&a, &bb| key(a).total_cmp(&key(bb)));
            b
        }
        Step::Polygon(p) => {
            let n = p.points.len();
            let mut v = Vec::new();
            for i in 0..n {
                let a = p.points[i];
                let b = p.points[(i + 1) % n];
                v.extend(s.line_pixels(a[0], a[1], b[0], b[1]));
            }
            keep(v)
        }
        Step::Line(l) => {
            let (dx, dy) = ((l.x2 - l.x1) as i64, (l.y2 - l.y1) as i64);
            let mut v: Vec<u32> = s.touched().to_vec();
            v.sort_by_key(|&i| {
                let (x, y) = ((i as i32 % s.w) as i64, (i as i32 / s.w) as i64);
                (x - l.x1 as i64) * dx + (y - l.y1 as i64) * dy
            });
            v
        }
        Step::Pixels(p) => p.points.iter().filter(|pt| s.inside(pt[0], pt[1])).map(|pt| idx(s, pt[0], pt[1])).collect(),
        Step::Text(_) => {
            let mut v: Vec<u32> = s.touched().to_vec();
            v.sort_by_key(|&i| (i as i32 % s.w, i as i32 / s.w));
            v
        }
        Step::Group(_) => Vec::new(),
    }
}

/// The rect's border pixels clockwise from the top-left corner, clipped to the canvas.
fn rect_perimeter(s: &Surface, x: i32, y: i32, w: i32, h: i32) -> Vec<(i32, i32)> {
    let mut v = Vec::new();
    if w <= 0 || h <= 0 {
        return v;
    }
    let (l, t) = (x as i64, y as i64);
    let (r, b) = (x as i64 + w as i64 - 1, y as i64 + h as i64 - 1);
    let (cw, ch) = (s.w as i64, s.h as i64);
    let cx = |v: i64| v.clamp(-1, cw);
    let cy = |v: i64| v.clamp(-1, ch);
    // Top edge, left to right.
    if (0..ch).contains(&t) {
        for xx in cx(l).max(0)..=cx(r).min(cw - 1) {
            v.push((xx as i32, t as i32));
        }
    }
    // Right edge, top to bottom.
    if (0..cw).contains(&r) {
        for yy in cy(t + 1).max(0)..=cy(b).min(ch - 1) {
            v.push((r as i32, yy as i32));
        }
    }
    // Bottom edge, right to left.
    if b > t && (0..ch).contains(&b) {
        for xx in (cx(l).max(0)..=cx(r - 1).min(cw - 1)).rev() {
            v.push((xx as i32, b as i32));
        }
    }
    // Left edge, bottom to top.
    if r > l && (0..cw).contains(&l) {
        for yy in (cy(t + 1).max(0)..=cy(b - 1).min(ch - 1)).rev() {
            v.push((l as i32, yy as i32));
        }
    }
    v
}

/// Pixels of the current layer with a 4-neighbour inside the canvas that is not in the layer.
fn boundary(s: &Surface) -> Vec<u32> {
    s.touched()
        .iter()
        .copied()
        .filter(|&i| {
            let (x, y) = (i as i32 % s.w, i as i32 / s.w);
            [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                .iter()
                .any(|&(nx, ny)| s.inside(nx, ny) && !s.has_xy(nx, ny))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rect_perimeter_runs_clockwise_from_the_top_left_corner_without_repeats() {
        let s = Surface::new(10, 10);
        let p = rect_perimeter(&s, 1, 1, 4, 3);
        assert_eq!(p, vec![(1, 1), (2, 1), (3, 1), (4, 1), (4, 2), (4, 3), (3, 3), (2, 3), (1, 3), (1, 2)]);
        // One-pixel-high and one-pixel-wide rects do not double back.
        assert_eq!(rect_perimeter(&s, 0, 0, 3, 1), vec![(0, 0), (1, 0), (2, 0)]);
        assert_eq!(rect_perimeter(&s, 0, 0, 1, 2), vec![(0, 0), (0, 1)]);
        // Huge rects are clipped, not walked.
        assert_eq!(rect_perimeter(&s, -100_000, -100_000, 200_000, 200_000).len(), 0);
        assert_eq!(rect_perimeter(&s, -100_000, 5, 200_000, 200_000).len(), 10);
    }

    #[test]
    fn count_at_is_floor_n_p_even_with_float_noise() {
        assert_eq!(count_at(10, 0.0), 0);
        assert_eq!(count_at(10, 0.3), 3);
        assert_eq!(count_at(10, 0.299_999_999_99), 3);
        assert_eq!(count_at(10, 0.29), 2);
        assert_eq!(count_at(10, 1.0), 10);
        assert_eq!(count_at(3, 2.0), 3);
    }

    #[test]
    fn ease_endpoints_are_exact_and_in_out_is_symmetric() {
        for e in [Ease::Linear, Ease::EaseInOut] {
            assert_eq!(e.apply(0.0), 0.0);
            assert_eq!(e.apply(1.0), 1.0);
            assert!((e.apply(0.5) - 0.5).abs() < 1e-12);
        }
        assert!(Ease::EaseInOut.apply(0.1) < 0.1);
        assert!(Ease::EaseInOut.apply(0.9) > 0.9);
    }

    #[test]
    fn blend_is_exact_at_the_ends() {
        let mut d = vec![10, 20, 30, 255];
        blend(&mut d, &[(0, [200, 100, 0, 255])], 0);
        assert_eq!(d, [10, 20, 30, 255]);
        blend(&mut d, &[(0, [200, 100, 0, 255])], 255);
        assert_eq!(d, [200, 100, 0, 255]);
    }
}
