//! Canvas-DSL: the drawing language between the art pipeline and the broadcast window.
//!
//! A pure library (no I/O, no async). The service and the `brush` crate build or [`parse`]
//! [`Document`]s; the window and the `render` command turn them into pixels.
//!
//! # Layout
//! * `model` — the document types, field for field the original pydantic schema, with serde.
//! * `validate` — [`parse`] and [`Document::validate`]: path-aware errors
//!   (`steps[3].fill: "#12" is not #RGB or #RRGGBB`) and the [`limits`] against hostile documents.
//! * `raster` — pygame 2.6's drawing algorithms (rect, circle, polygon, thick line, set_at), so
//!   old documents look exactly as their authors saw them; `text` — bitmap fonts with Cyrillic.
//! * `timeline` — [`Timeline`]: per-step layers rasterized once, then composed for any time `t`
//!   (`stroke`, `fill`, `pixel_reveal`, easing, `delay_ms`); the last frame equals [`render_final`].
//! * `encode` — [`encode_png`] and [`encode_gif`] into memory.
//!
//! # Example
//! ```
//! let doc = canvas::parse(r##"{
//!     "version": "1.0", "caption": "All for you",
//!     "canvas": {"w": 16, "h": 16, "bg": "#0B0D26"},
//!     "steps": [
//!         {"op": "circle", "cx": 8, "cy": 8, "r": 5, "fill": "#F8F3C3",
//!          "animate": {"mode": "stroke", "duration_ms": 1000, "ease": "ease_in_out"}},
//!         {"op": "pixels", "points": [[1, 1], [14, 2]], "color": "#A5F5F4",
//!          "animate": {"mode": "pixel_reveal", "duration_ms": 200, "delay_ms": 300}}
//!     ]
//! }"##).expect("valid document");
//!
//! let timeline = canvas::Timeline::new(&doc, canvas::DEFAULT_STEP_DURATION_MS);
//! assert_eq!(timeline.duration_ms(), 1000 + 300 + 200);
//!
//! let mut frame = canvas::Image::empty();
//! timeline.render_at(500, &mut frame); // half-way through tracing the moon
//! timeline.render_at(timeline.duration_ms(), &mut frame);
//! assert_eq!(frame, canvas::render_final(&doc));
//!
//! let png: Vec<u8> = canvas::encode_png(&frame, 8); // 128×128, crisp pixels
//! assert_eq!(&png[1..4], b"PNG");
//!
//! let err = canvas::parse(r##"{"version":"1","caption":"","canvas":{"w":9,"h":9},"steps":[
//!     {"op":"rect","x":0,"y":0,"w":3,"h":3,"fill":"#-12345"}]}"##).unwrap_err();
//! assert_eq!(err.to_string(), r##"steps[0].fill: "#-12345" is not #RGB or #RRGGBB"##);
//! ```

mod color;
mod encode;
mod image;
pub mod limits;
mod model;
mod raster;
mod text;
mod timeline;
mod validate;

pub use color::{parse_hex, Rgba};
pub use encode::{encode_gif, encode_png, GIF_FINAL_HOLD_CS, MAX_GIF_FRAMES, MAX_OUTPUT_SIDE};
pub use image::Image;
pub use model::*;
pub use timeline::{render_final, Span, Timeline, DEFAULT_STEP_DURATION_MS};
pub use validate::{parse, parse_value, ValidationError};
