//! Bounds that keep a hostile document from exhausting memory or time. Each error that enforces
//! one says the bound.

/// Largest JSON text [`crate::parse`] reads (16 MiB; 200 000 points need about 3 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;
/// Largest canvas side in pixels.
pub const MAX_CANVAS_SIDE: u32 = 1024;
/// Most drawing (non-group) steps in one document, nested ones included.
pub const MAX_LEAF_STEPS: usize = 10_000;
/// Most `[x, y]` points over all `polygon` and `pixels` steps.
pub const MAX_POINTS: usize = 200_000;
/// Deepest nesting of `group` steps.
pub const MAX_GROUP_DEPTH: usize = 16;
/// Longest `text.value`, in characters.
pub const MAX_TEXT_CHARS: usize = 500;
/// Longest `render_text`, in characters.
pub const MAX_RENDER_TEXT_CHARS: usize = 2_000;
/// Longest `caption`, in characters.
pub const MAX_CAPTION_CHARS: usize = 500;
/// Longest `version`, in characters.
pub const MAX_VERSION_CHARS: usize = 64;
/// Longest `text.font`, in characters.
pub const MAX_FONT_NAME_CHARS: usize = 64;
/// Most `palette` entries.
pub const MAX_PALETTE: usize = 256;
/// Largest `duration_ms` / `delay_ms` (10 minutes).
pub const MAX_TIME_MS: u32 = 600_000;
/// Largest `duration_sec` hold time (1 hour).
pub const MAX_DURATION_SEC: u32 = 3_600;
/// Largest absolute coordinate (and radius, rect size).
pub const MAX_COORD: i32 = 100_000;
/// Widest `line.width`.
pub const MAX_LINE_WIDTH: i32 = 1_024;
/// Smallest and largest `text.size`.
pub const MIN_TEXT_SIZE: u32 = 4;
/// See [`MIN_TEXT_SIZE`].
pub const MAX_TEXT_SIZE: u32 = 64;
/// Largest `speed_px_per_s`.
pub const MAX_SPEED_PX_PER_S: f64 = 1_000_000.0;
/// Upper bound on the estimated pixel work of all steps together (sum of each shape's clipped
/// area, point counts and glyph areas): 8 full 1024×1024 canvases, or 900 full 96×96 ones. It also
/// bounds the timeline's memory (about 8 bytes per drawn pixel, 16 for grouped `pixel_reveal`).
pub const MAX_DRAW_WORK: u64 = 8 * 1024 * 1024;
