//! Colours as 0x00RRGGBB: the original's HUD palette (original-behaviour.md §8.3) plus the few roles it
//! lacked (success green, failure amber).

/// Backdrop top colour, and the whole frame when the stage is hidden.
pub const BG: u32 = 0x070A1E;
/// Backdrop gradient at 55 % height.
pub const BG_MID: u32 = 0x101A3F;
/// Backdrop bottom colour.
pub const BG_BOTTOM: u32 = 0x061022;
/// Diagonal backdrop stripes (drawn at alpha 26).
pub const STRIPE: u32 = 0x3C4FEE;
/// The radial aura behind the canvas.
pub const AURA: u32 = 0x2334A3;
/// Additive glow around the canvas frame.
pub const GLOW: u32 = 0x6C63FF;
/// Primary text.
pub const FG: u32 = 0xF1F5FF;
/// Labels and secondary text.
pub const SECONDARY: u32 = 0x92A4FF;
/// Outlines, progress start.
pub const ACCENT: u32 = 0x6D7CFF;
/// Amounts, progress end, "painting" markers.
pub const ACCENT_ALT: u32 = 0x58E9FF;
/// Refusals, holds, "paused", "on screen for N s".
pub const WARNING: u32 = 0xFF6F91;
/// Failures ("could not draw this").
pub const AMBER: u32 = 0xFFC46B;
/// "ready" queue entries.
pub const SUCCESS: u32 = 0x6BF2B0;
/// Glass panels (drawn at [`PANEL_ALPHA`]).
pub const PANEL: u32 = 0x14192F;
pub const PANEL_ALPHA: u32 = 220;
/// Cards inside panels.
pub const CARD: u32 = 0x1E2544;
/// Canvas frame body.
pub const FRAME: u32 = 0x0E1220;
/// Behind the drawing (and its transparent pixels).
pub const CANVAS_BACK: u32 = 0x090B14;
/// Progress bar track.
pub const TRACK: u32 = 0x262E55;
/// Text drop shadow.
pub const SHADOW: u32 = 0x05060C;
/// Dark text on bright chips.
pub const INK: u32 = 0x0B0E1E;
