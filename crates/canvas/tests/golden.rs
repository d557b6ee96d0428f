//! Golden images for every op and every animation mode (tests/golden/*.png, compared pixel for
//! pixel). After an intended change, regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p canvas --test golden` and look at the new PNGs before committing.
//!
//! Animation goldens are strips: the frames at 0, 20, 40, 60, 80 and 100 % of the step, side by
//! side, separated by a magenta column.

mod common;

use canvas::{parse, render_final, Document, Image, Timeline, DEFAULT_STEP_DURATION_MS};
use common::{assert_golden, strip};

fn doc(w: u32, h: u32, steps: &str) -> Document {
    parse(&format!(
        r##"{{"version":"1.0","caption":"golden","canvas":{{"w":{w},"h":{h},"bg":"#1A1A2E"}},"steps":{steps}}}"##
    ))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn frames(d: &Document) -> Image {
    let tl = Timeline::new(d, DEFAULT_STEP_DURATION_MS);
    let total = tl.duration_ms();
    let shots: Vec<Image> = (0..=5)
        .map(|k| {
            let mut img = Image::empty();
            tl.render_at(total * k / 5, &mut img);
            img
        })
        .collect();
    assert_eq!(shots[5], render_final(d), "last frame must be the final frame");
    strip(&shots)
}

#[test]
fn op_rect() {
    assert_golden(
        "op_rect",
        &render_final(&doc(
            24,
            16,
            r##"[{"op":"rect","x":2,"y":2,"w":9,"h":6,"fill":"#E94560"},
                 {"op":"rect","x":13,"y":2,"w":9,"h":6,"fill":"#0F3460","outline":"#F5F5F5"},
                 {"op":"rect","x":2,"y":10,"w":9,"h":4,"outline":"#53D8FB"},
                 {"op":"rect","x":13,"y":10,"w":2,"h":4,"outline":"#FFD166"},
                 {"op":"rect","x":20,"y":10,"w":8,"h":8,"fill":"#06D6A0"}]"##,
        )),
    );
}

#[test]
fn op_circle() {
    assert_golden(
        "op_circle",
        &render_final(&doc(
            32,
            16,
            r##"[{"op":"circle","cx":7,"cy":7,"r":6,"fill":"#F8F3C3"},
                 {"op":"circle","cx":20,"cy":7,"r":5,"fill":"#0F3460","outline":"#F5F5F5"},
                 {"op":"circle","cx":28,"cy":4,"r":3,"outline":"#53D8FB"},
                 {"op":"circle","cx":28,"cy":12,"r":1,"fill":"#FFD166"}]"##,
        )),
    );
}

#[test]
fn op_line() {
    assert_golden(
        "op_line",
        &render_final(&doc(
            24,
            16,
            r##"[{"op":"line","x1":1,"y1":1,"x2":22,"y2":6,"color":"#E94560"},
                 {"op":"line","x1":1,"y1":8,"x2":22,"y2":12,"width":3,"color":"#53D8FB"},
                 {"op":"line","x1":3,"y1":2,"x2":6,"y2":15,"width":2,"color":"#FFD166"},
                 {"op":"line","x1":-5,"y1":15,"x2":30,"y2":15,"width":1,"color":"#06D6A0"}]"##,
        )),
    );
}

#[test]
fn op_polygon() {
    assert_golden(
        "op_polygon",
        &render_final(&doc(
            24,
            16,
            r##"[{"op":"polygon","points":[[1,14],[6,2],[11,14]],"fill":"#27386B","outline":"#F5F5F5"},
                 {"op":"polygon","points":[[13,2],[22,2],[22,14],[17,8],[13,14]],"fill":"#E94560"},
                 {"op":"polygon","points":[[14,10],[20,10],[17,15]],"outline":"#FFD166"}]"##,
        )),
    );
}

#[test]
fn op_pixels() {
    assert_golden(
        "op_pixels",
        &render_final(&doc(
            8,
            8,
            r##"[{"op":"pixels","points":[[0,0],[7,7],[3,4],[4,3],[9,9],[-1,0]],"color":"#F5F5F5"},
                 {"op":"pixels","points":[[1,6],[2,6],[3,6]],"color":"#E94560"}]"##,
        )),
    );
}

#[test]
fn op_text_latin_cyrillic_and_unknown_glyphs() {
    assert_golden(
        "op_text",
        &render_final(&doc(
            64,
            44,
            r##"[{"op":"text","x":1,"y":1,"value":"Hi!","size":8},
                 {"op":"text","x":1,"y":10,"value":"Привет","size":10,"color":"#FFD166"},
                 {"op":"text","x":1,"y":22,"value":"ok 🙂 ✓","size":6,"color":"#53D8FB"},
                 {"op":"text","x":1,"y":29,"value":"Ж","size":14,"color":"#E94560"},
                 {"op":"text","x":20,"y":29,"value":"B\nЯ","size":6,"font":"Arial"}]"##,
        )),
    );
}

#[test]
fn op_group() {
    assert_golden(
        "op_group",
        &render_final(&doc(
            16,
            16,
            r##"[{"op":"group","steps":[{"op":"rect","x":2,"y":6,"w":12,"h":8,"fill":"#603F2B"},
                 {"op":"group","steps":[{"op":"polygon","points":[[1,6],[8,1],[15,6]],"fill":"#3D252A"}]},
                 {"op":"rect","x":10,"y":8,"w":3,"h":3,"fill":"#F2C35B"}]}]"##,
        )),
    );
}

#[test]
fn op_aurora_reference_plan() {
    assert_golden("aurora_final", &render_final(&common::aurora()));
}

const SHAPES: &str = r##"
    {"op":"rect","x":2,"y":2,"w":12,"h":10,"fill":"#0F3460","outline":"#F5F5F5","animate":ANIM},
    {"op":"circle","cx":24,"cy":7,"r":6,"fill":"#E94560","animate":ANIM},
    {"op":"polygon","points":[[33,12],[38,1],[44,12]],"fill":"#06D6A0","outline":"#FFD166","animate":ANIM},
    {"op":"line","x1":2,"y1":14,"x2":44,"y2":14,"width":2,"color":"#53D8FB","animate":ANIM}"##;

fn each_shape(anim: &str) -> Vec<Document> {
    SHAPES
        .split("},\n")
        .map(|s| {
            let s = s.trim().trim_end_matches('}').to_string() + "}";
            doc(46, 16, &format!("[{}]", s.replace("ANIM", anim)))
        })
        .collect()
}

fn stacked(docs: &[Document]) -> Image {
    let strips: Vec<Image> = docs.iter().map(frames).collect();
    let (w, h) = (strips[0].width, strips[0].height);
    let mut out = Image::new(w, h * strips.len() as u32, [0, 0, 0, 255]);
    for (k, s) in strips.iter().enumerate() {
        let off = k * (w * h * 4) as usize;
        out.data[off..off + s.data.len()].copy_from_slice(&s.data);
    }
    out
}

#[test]
fn mode_fill() {
    assert_golden("mode_fill", &stacked(&each_shape(r#"{"mode":"fill","duration_ms":1000}"#)));
}

#[test]
fn mode_stroke() {
    assert_golden("mode_stroke", &stacked(&each_shape(r#"{"mode":"stroke","duration_ms":1000}"#)));
}

#[test]
fn mode_pixel_reveal() {
    assert_golden("mode_pixel_reveal", &stacked(&each_shape(r#"{"mode":"pixel_reveal","duration_ms":1000}"#)));
}

#[test]
fn mode_pixel_reveal_on_pixels_ease_in_out() {
    let pts: Vec<String> = (0..48).map(|i| format!("[{},{}]", (i * 7) % 16, i / 3)).collect();
    let d = doc(
        16,
        16,
        &format!(
            r##"[{{"op":"pixels","color":"#F5F5F5","points":[{}],"animate":{{"mode":"pixel_reveal","duration_ms":1000,"ease":"ease_in_out"}}}}]"##,
            pts.join(",")
        ),
    );
    assert_golden("mode_pixel_reveal_ease_in_out", &frames(&d));
}

#[test]
fn mode_stroke_text_and_group() {
    let d = doc(
        40,
        16,
        r##"[{"op":"group","animate":{"mode":"stroke","duration_ms":1000},"steps":[
              {"op":"text","x":1,"y":1,"value":"Да","size":13,"color":"#FFD166"},
              {"op":"circle","cx":30,"cy":8,"r":6,"fill":"#E94560","outline":"#F5F5F5"}]}]"##,
    );
    assert_golden("mode_stroke_group", &frames(&d));
}

#[test]
fn aurora_animation_strip() {
    assert_golden("aurora_strip", &frames(&common::aurora()));
}
