//! The Canvas-DSL document model, field for field the original schema (pydantic `canvas_dsl.py`).
//!
//! Serde gives the JSON shape; [`crate::parse`] adds the path-aware validation on top, so prefer it
//! over `serde_json::from_str` for documents from outside.

use serde::{Deserialize, Serialize};

/// A whole Canvas-DSL document: either a drawing (`steps`) or a text card (`render_text`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Any string; every known producer writes "1.0".
    pub version: String,
    /// Size and background of the drawing surface.
    pub canvas: CanvasSpec,
    /// Shown in the HUD footer ("All for you" in practice).
    pub caption: String,
    /// Colours the author meant to use; validated, never used for drawing (as in the original).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub palette: Option<Vec<String>>,
    /// Carried through for reproducibility; the renderer does not use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    /// Drawing operations, played one after another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<Step>>,
    /// Text-card mode (refusals, failures): the window shows this text instead of a drawing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_text: Option<String>,
    /// How long the finished picture (or card) stays on screen; `None` means the service default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_sec: Option<u32>,
}

/// The drawing surface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanvasSpec {
    /// Width in pixels (1..=[`crate::limits::MAX_CANVAS_SIDE`]).
    pub w: u32,
    /// Height in pixels (1..=[`crate::limits::MAX_CANVAS_SIDE`]).
    pub h: u32,
    /// Background colour, `#RGB` or `#RRGGBB`.
    #[serde(default = "default_bg")]
    pub bg: String,
}

fn default_bg() -> String {
    "#202020".to_string()
}

/// One drawing operation, tagged by `op` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Step {
    Rect(Rect),
    Circle(Circle),
    Line(Line),
    Polygon(Polygon),
    Pixels(Pixels),
    Text(Text),
    Group(Group),
}

/// `pygame.draw.rect`: fill, then a 1-px outline. `w` or `h` ≤ 0 draws nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animate: Option<Animate>,
}

/// `pygame.draw.circle`: fill, then a 1-px outline. `r` = 0 draws nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circle {
    pub cx: i32,
    pub cy: i32,
    pub r: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animate: Option<Animate>,
}

/// `pygame.draw.line` with `width` (≥ 1, default 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    pub x1: i32,
    pub y1: i32,
    pub x2: i32,
    pub y2: i32,
    #[serde(default = "default_width")]
    pub width: i32,
    pub color: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animate: Option<Animate>,
}

fn default_width() -> i32 {
    1
}

/// `pygame.draw.polygon`: scanline fill, then a closed 1-px outline. At least 3 points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Polygon {
    pub points: Vec<[i32; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fill: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outline: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animate: Option<Animate>,
}

/// Single pixels of one colour (`set_at`); points outside the canvas are ignored. At least 1 point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pixels {
    pub points: Vec<[i32; 2]>,
    pub color: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animate: Option<Animate>,
}

/// Bitmap text, top-left at (x, y). `size` (4..=64, default 8) picks the font height.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub x: i32,
    pub y: i32,
    pub value: String,
    /// Kept for compatibility; every font name maps to the built-in bitmap font.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<String>,
    #[serde(default = "default_text_size")]
    pub size: u32,
    #[serde(default = "default_text_color")]
    pub color: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animate: Option<Animate>,
}

fn default_text_size() -> u32 {
    8
}

fn default_text_color() -> String {
    "#FFFFFF".to_string()
}

/// Nested steps. With `animate`, the whole group animates as one unit (its leaves' own `animate`
/// are then ignored); without it, each leaf plays as its own step, as in the original.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animate: Option<Animate>,
}

/// How a step appears over time. See the crate README for the exact semantics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Animate {
    pub mode: Mode,
    /// Derives the duration from the step's drawn length when `duration_ms` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_px_per_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u32>,
    /// A pause after the previous step ends (before this one starts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u32>,
    #[serde(default)]
    pub ease: Ease,
}

// Animate holds an f64 but never NaN after validation; Eq lets the containing structs derive it.
impl Eq for Animate {}

/// Animation mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Trace the outline along the perimeter, then the fill appears.
    Stroke,
    /// Fade the whole step in (alpha ramp).
    Fill,
    /// Reveal the points (or pixels) in list order.
    PixelReveal,
}

/// Easing curve applied to a step's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ease {
    #[default]
    Linear,
    /// Smoothstep: 3p² − 2p³.
    EaseInOut,
}

impl Ease {
    /// Maps linear progress `p` in 0..=1 to eased progress in 0..=1 (endpoints exact).
    pub fn apply(self, p: f64) -> f64 {
        let p = p.clamp(0.0, 1.0);
        match self {
            Ease::Linear => p,
            Ease::EaseInOut => p * p * (3.0 - 2.0 * p),
        }
    }
}

impl Step {
    /// The step's own `animate`, if any.
    pub fn animate(&self) -> Option<&Animate> {
        match self {
            Step::Rect(s) => s.animate.as_ref(),
            Step::Circle(s) => s.animate.as_ref(),
            Step::Line(s) => s.animate.as_ref(),
            Step::Polygon(s) => s.animate.as_ref(),
            Step::Pixels(s) => s.animate.as_ref(),
            Step::Text(s) => s.animate.as_ref(),
            Step::Group(s) => s.animate.as_ref(),
        }
    }

    /// The `op` name as written in JSON.
    pub fn op(&self) -> &'static str {
        match self {
            Step::Rect(_) => "rect",
            Step::Circle(_) => "circle",
            Step::Line(_) => "line",
            Step::Polygon(_) => "polygon",
            Step::Pixels(_) => "pixels",
            Step::Text(_) => "text",
            Step::Group(_) => "group",
        }
    }
}

impl Document {
    /// A text-card document (refusals, failures) with the default 96×96 canvas.
    pub fn text_card(text: impl Into<String>, duration_sec: Option<u32>) -> Document {
        Document {
            version: "1.0".to_string(),
            canvas: CanvasSpec { w: 96, h: 96, bg: default_bg() },
            caption: "All for you".to_string(),
            palette: None,
            seed: None,
            steps: None,
            render_text: Some(text.into()),
            duration_sec,
        }
    }

    /// Serializes to JSON that the original schema accepts (absent optionals are omitted).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a Document always serializes")
    }

    /// Pretty-printed variant of [`Document::to_json`].
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a Document always serializes")
    }

    /// The drawing steps, or an empty slice for text cards.
    pub fn steps(&self) -> &[Step] {
        self.steps.as_deref().unwrap_or(&[])
    }
}
