//! What viewers see over time: steps play in order, each animation mode behaves as the schema
//! says, and the last frame of the animation is exactly the finished picture.

mod common;

use canvas::{parse, render_final, Document, Image, Timeline, DEFAULT_STEP_DURATION_MS};

fn doc(w: u32, h: u32, steps: &str) -> Document {
    parse(&format!(
        r##"{{"version":"1.0","caption":"c","canvas":{{"w":{w},"h":{h},"bg":"#000000"}},"steps":{steps}}}"##
    ))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn frame(tl: &Timeline, t: u64) -> Image {
    let mut img = Image::empty();
    tl.render_at(t, &mut img);
    img
}

/// Pixels that are not the black background.
fn lit(img: &Image) -> usize {
    img.data.chunks_exact(4).filter(|p| p[..3] != [0, 0, 0]).count()
}

fn rgb(img: &Image, x: u32, y: u32) -> [u8; 3] {
    let p = img.pixel(x, y);
    [p[0], p[1], p[2]]
}

#[test]
fn aurora_final_frame_shows_moon_stars_cabin_window_and_path_under_the_line() {
    let img = render_final(&common::aurora());
    assert_eq!((img.width, img.height), (96, 96));
    assert_eq!(rgb(&img, 16, 16), [0xF8, 0xF3, 0xC3], "moon centre");
    assert_eq!(rgb(&img, 11, 16), [0xF8, 0xF3, 0xC3], "moon left edge (r = 6)");
    assert_eq!(rgb(&img, 9, 16), [0x1F, 0x2C, 0x4F], "sky just outside the moon");
    assert_eq!(rgb(&img, 12, 8), [0xA5, 0xF5, 0xF4], "a star");
    assert_eq!(rgb(&img, 56, 64), [0xF2, 0xC3, 0x5B], "cabin window");
    assert_eq!(rgb(&img, 46, 70), [0x15, 0x10, 0x13], "cabin door");
    assert_eq!(rgb(&img, 52, 45), [0x6A, 0xF2, 0xF0], "diamond above the roof");
    // The path pixel at (52, 84) is drawn before the line across y = 84, which covers it.
    assert_eq!(rgb(&img, 52, 84), [0x2F, 0x3A, 0x56]);
    assert_eq!(rgb(&img, 56, 82), [0xF2, 0xC3, 0x5B], "path");
}

#[test]
fn aurora_timeline_plays_every_step_in_turn_and_ends_on_the_final_frame() {
    let doc = common::aurora();
    let tl = Timeline::new(&doc, DEFAULT_STEP_DURATION_MS);
    // 14 leaves at 700 ms plus the cabin group as one 900 ms unit.
    assert_eq!(tl.spans().len(), 15);
    assert_eq!(tl.duration_ms(), 14 * 700 + 900);
    let fin = render_final(&doc);
    assert_eq!(frame(&tl, tl.duration_ms()), fin);
    assert_eq!(frame(&tl, tl.duration_ms() + 5_000), fin);
    assert_eq!(frame(&tl, u64::MAX), fin);
    assert_ne!(frame(&tl, tl.duration_ms() - 100), fin);
    // At t = 0 nothing is drawn yet: the background.
    assert!(frame(&tl, 0).data.chunks_exact(4).all(|p| p == [0x0B, 0x0D, 0x26, 255]));
    assert_eq!(tl.progress_at(0), 0.0);
    assert_eq!(tl.progress_at(tl.duration_ms()), 1.0);
    assert!((tl.progress_at(tl.duration_ms() / 2) - 0.5).abs() < 0.01);
}

#[test]
fn the_cabin_group_fades_in_as_one_unit() {
    let doc = common::aurora();
    let tl = Timeline::new(&doc, DEFAULT_STEP_DURATION_MS);
    let span = tl.spans()[8];
    assert_eq!(span.end - span.start, 900);
    let mid = frame(&tl, span.start + 450);
    let before = frame(&tl, span.start);
    let fin = render_final(&doc);
    // Window and door, different leaves of the group, are both half-way at the same moment.
    for (x, y) in [(56, 64), (46, 70), (36, 58)] {
        let (b, m, f) = (rgb(&before, x, y), rgb(&mid, x, y), rgb(&fin, x, y));
        assert_ne!(m, b, "({x}, {y}) should have started");
        assert_ne!(m, f, "({x}, {y}) should not be finished");
        for k in 0..3 {
            let want = (b[k] as i32 + f[k] as i32) / 2;
            assert!((m[k] as i32 - want).abs() <= 1, "({x}, {y}) channel {k}: {} vs {want}", m[k]);
        }
    }
}

#[test]
fn pixel_reveal_shows_floor_n_p_points_in_list_order() {
    let pts: Vec<String> = (0..10).map(|i| format!("[{i},0]")).collect();
    let d = doc(
        10,
        1,
        &format!(
            r##"[{{"op":"pixels","color":"#FFFFFF","points":[{}],"animate":{{"mode":"pixel_reveal","duration_ms":1000}}}}]"##,
            pts.join(",")
        ),
    );
    let tl = Timeline::new(&d, DEFAULT_STEP_DURATION_MS);
    for (t, k) in [(0, 0), (99, 0), (100, 1), (250, 2), (500, 5), (999, 9), (1000, 10)] {
        let img = frame(&tl, t);
        assert_eq!(lit(&img), k, "at {t} ms");
        // Exactly the first k points of the list.
        for x in 0..10 {
            assert_eq!(rgb(&img, x, 0) != [0, 0, 0], x < k as u32, "point {x} at {t} ms");
        }
    }
}

#[test]
fn pixel_reveal_follows_list_order_not_raster_order() {
    let d = doc(
        4,
        4,
        r##"[{"op":"pixels","color":"#FF0000","points":[[3,3],[0,0],[2,1]],"animate":{"mode":"pixel_reveal","duration_ms":300}}]"##,
    );
    let tl = Timeline::new(&d, DEFAULT_STEP_DURATION_MS);
    let img = frame(&tl, 100);
    assert_eq!(lit(&img), 1);
    assert_eq!(rgb(&img, 3, 3), [255, 0, 0]);
}

#[test]
fn stroke_traces_the_outline_before_the_fill_appears() {
    let d = doc(
        12,
        12,
        r##"[{"op":"rect","x":1,"y":1,"w":10,"h":10,"fill":"#0000FF","outline":"#FFFFFF","animate":{"mode":"stroke","duration_ms":1000}}]"##,
    );
    let tl = Timeline::new(&d, DEFAULT_STEP_DURATION_MS);
    let outline = 36; // 10×10 border
                      // First 60 %: the outline is traced clockwise from the top-left corner, no fill yet.
    let early = frame(&tl, 150); // a quarter of the trace
    assert_eq!(lit(&early), outline / 4);
    assert_eq!(rgb(&early, 1, 1), [255, 255, 255], "trace starts at the top-left corner");
    assert_eq!(rgb(&early, 1, 10), [0, 0, 0], "bottom-left comes last");
    assert_eq!(rgb(&early, 5, 5), [0, 0, 0]);
    let traced = frame(&tl, 600);
    assert_eq!(lit(&traced), outline);
    assert_eq!(rgb(&traced, 5, 5), [0, 0, 0], "no fill while tracing");
    // Then the fill fades in inside the finished outline.
    let filling = frame(&tl, 800);
    let inside = rgb(&filling, 5, 5);
    assert!(inside[2] > 0 && inside[2] < 255, "fill half-way: {inside:?}");
    assert_eq!(rgb(&filling, 1, 1), [255, 255, 255]);
    assert_eq!(frame(&tl, 1000), render_final(&d));
}

#[test]
fn stroke_on_a_fill_only_circle_runs_clockwise_from_twelve_oclock() {
    let d = doc(
        21,
        21,
        r##"[{"op":"circle","cx":10,"cy":10,"r":8,"fill":"#00FF00","animate":{"mode":"stroke","duration_ms":1000}}]"##,
    );
    let tl = Timeline::new(&d, DEFAULT_STEP_DURATION_MS);
    let img = frame(&tl, 140); // under a quarter of the trace
    let n = lit(&img);
    assert!(n > 0);
    for y in 0..21 {
        for x in 0..21 {
            if rgb(&img, x, y) != [0, 0, 0] {
                assert!(x >= 9 && y <= 11, "({x}, {y}) lit outside the first quarter");
            }
        }
    }
}

#[test]
fn stroke_on_a_line_grows_from_its_first_end() {
    let d = doc(
        20,
        3,
        r##"[{"op":"line","x1":19,"y1":1,"x2":0,"y2":1,"width":3,"color":"#FFFFFF","animate":{"mode":"stroke","duration_ms":1000}}]"##,
    );
    let tl = Timeline::new(&d, DEFAULT_STEP_DURATION_MS);
    let img = frame(&tl, 500);
    assert!(lit(&img) > 0);
    for x in 0..20 {
        let on = (0..3).any(|y| rgb(&img, x, y) != [0, 0, 0]);
        assert_eq!(on, x >= 10, "column {x} at half-way");
    }
    assert_eq!(frame(&tl, 1000), render_final(&d));
}

#[test]
fn fill_fades_the_whole_step_in() {
    let d = doc(
        4,
        4,
        r##"[{"op":"rect","x":0,"y":0,"w":4,"h":4,"fill":"#C8C8C8","animate":{"mode":"fill","duration_ms":1000}}]"##,
    );
    let tl = Timeline::new(&d, DEFAULT_STEP_DURATION_MS);
    assert_eq!(lit(&frame(&tl, 0)), 0);
    let half = frame(&tl, 500);
    // Every pixel at the same intermediate level: a fade, not a wipe.
    assert!(half.data.chunks_exact(4).all(|p| p[..3] == [100, 100, 100]), "{:?}", half.pixel(0, 0));
    assert_eq!(rgb(&frame(&tl, 250), 0, 0), [50, 50, 50]);
}

#[test]
fn a_step_without_animate_fades_in_over_the_default_duration() {
    let d = doc(2, 2, r##"[{"op":"rect","x":0,"y":0,"w":2,"h":2,"fill":"#FFFFFF"}]"##);
    let tl = Timeline::new(&d, 400);
    assert_eq!(tl.duration_ms(), 400);
    assert_eq!(rgb(&frame(&tl, 200), 1, 1), [128, 128, 128]);
}

#[test]
fn ease_in_out_starts_slower_and_ends_faster_than_linear() {
    let pts: Vec<String> = (0..100).map(|i| format!("[{},{}]", i % 10, i / 10)).collect();
    let make = |ease: &str| {
        doc(
            10,
            10,
            &format!(
                r##"[{{"op":"pixels","color":"#FFFFFF","points":[{}],"animate":{{"mode":"pixel_reveal","duration_ms":1000,"ease":"{ease}"}}}}]"##,
                pts.join(",")
            ),
        )
    };
    let linear = Timeline::new(&make("linear"), DEFAULT_STEP_DURATION_MS);
    let eased = Timeline::new(&make("ease_in_out"), DEFAULT_STEP_DURATION_MS);
    assert_eq!(lit(&frame(&linear, 200)), 20);
    assert!(lit(&frame(&eased, 200)) < 15, "{}", lit(&frame(&eased, 200)));
    assert_eq!(lit(&frame(&eased, 500)), 50);
    assert!(lit(&frame(&eased, 800)) > 85);
    assert_eq!(lit(&frame(&eased, 1000)), 100);
}

#[test]
fn delay_is_a_pause_after_the_previous_step_ends() {
    let d = doc(
        3,
        1,
        r##"[{"op":"pixels","points":[[0,0]],"color":"#FFFFFF","animate":{"mode":"pixel_reveal","duration_ms":700}},
             {"op":"pixels","points":[[2,0]],"color":"#FFFFFF","animate":{"mode":"pixel_reveal","duration_ms":100,"delay_ms":500}}]"##,
    );
    let tl = Timeline::new(&d, DEFAULT_STEP_DURATION_MS);
    let spans = tl.spans();
    assert_eq!((spans[1].start, spans[1].end), (1200, 1300));
    assert_eq!(tl.duration_ms(), 1300);
    assert_eq!(lit(&frame(&tl, 1199)), 1, "still pausing");
    assert_eq!(lit(&frame(&tl, 1300)), 2);
}

#[test]
fn the_first_steps_delay_counts_from_the_start() {
    let d = doc(
        1,
        1,
        r##"[{"op":"pixels","points":[[0,0]],"color":"#FFFFFF","animate":{"mode":"fill","delay_ms":300,"duration_ms":100}}]"##,
    );
    let tl = Timeline::new(&d, DEFAULT_STEP_DURATION_MS);
    assert_eq!(tl.duration_ms(), 400);
    assert_eq!(lit(&frame(&tl, 299)), 0);
}

#[test]
fn speed_sets_the_duration_from_the_drawn_length() {
    let pts: Vec<String> = (0..50).map(|i| format!("[{i},0]")).collect();
    let d = doc(
        50,
        12,
        &format!(
            r##"[{{"op":"pixels","color":"#FFFFFF","points":[{}],"animate":{{"mode":"pixel_reveal","speed_px_per_s":100}}}},
                 {{"op":"rect","x":1,"y":1,"w":10,"h":10,"outline":"#FFFFFF","animate":{{"mode":"stroke","speed_px_per_s":20}}}},
                 {{"op":"rect","x":1,"y":1,"w":10,"h":10,"fill":"#FFFFFF","animate":{{"mode":"fill","speed_px_per_s":20,"duration_ms":50}}}},
                 {{"op":"rect","x":1,"y":1,"w":10,"h":10,"fill":"#FFFFFF","animate":{{"mode":"fill","speed_px_per_s":0}}}}]"##,
            pts.join(",")
        ),
    );
    let tl = Timeline::new(&d, DEFAULT_STEP_DURATION_MS);
    let durations: Vec<u64> = tl.spans().iter().map(|s| s.end - s.start).collect();
    // 50 points at 100 px/s; a 40 px perimeter at 20 px/s; duration_ms wins; speed 0 = default.
    assert_eq!(durations, vec![500, 2000, 50, 700]);
}

#[test]
fn a_group_with_pixel_reveal_reveals_across_its_leaves_in_order() {
    let d = doc(
        4,
        1,
        r##"[{"op":"group","animate":{"mode":"pixel_reveal","duration_ms":400},"steps":[
              {"op":"pixels","points":[[0,0],[1,0]],"color":"#FF0000","animate":{"mode":"fill","duration_ms":9000}},
              {"op":"pixels","points":[[2,0],[3,0]],"color":"#00FF00"}]}]"##,
    );
    let tl = Timeline::new(&d, DEFAULT_STEP_DURATION_MS);
    assert_eq!(tl.duration_ms(), 400, "the group's animate wins over its leaves'");
    let img = frame(&tl, 300);
    assert_eq!(lit(&img), 3);
    assert_eq!(rgb(&img, 2, 0), [0, 255, 0]);
    assert_eq!(rgb(&img, 3, 0), [0, 0, 0]);
}

#[test]
fn a_group_without_animate_plays_its_leaves_one_by_one_as_the_original() {
    let d = doc(
        2,
        1,
        r##"[{"op":"group","steps":[{"op":"pixels","points":[[0,0]],"color":"#FF0000"},
              {"op":"pixels","points":[[1,0]],"color":"#00FF00","animate":{"mode":"fill","duration_ms":100}}]}]"##,
    );
    let tl = Timeline::new(&d, DEFAULT_STEP_DURATION_MS);
    assert_eq!(tl.spans().len(), 2);
    assert_eq!(tl.duration_ms(), 800);
}

#[test]
fn rendering_back_in_time_is_as_correct_as_rendering_forward() {
    let doc = common::aurora();
    let tl = Timeline::new(&doc, DEFAULT_STEP_DURATION_MS);
    let times = [3_000, 9_999, 123, 7_777, 0, 10_700, 5_350];
    let fresh: Vec<Image> = times.iter().map(|&t| frame(&Timeline::new(&doc, DEFAULT_STEP_DURATION_MS), t)).collect();
    for (k, &t) in times.iter().enumerate() {
        assert_eq!(frame(&tl, t), fresh[k], "t = {t}");
    }
}

#[test]
fn a_text_card_has_no_animation() {
    let d =
        parse(r#"{"version":"1.0","caption":"c","canvas":{"w":8,"h":8},"render_text":"You are too small"}"#).unwrap();
    let tl = Timeline::new(&d, DEFAULT_STEP_DURATION_MS);
    assert_eq!(tl.duration_ms(), 0);
    assert_eq!(tl.progress_at(0), 1.0);
    let img = frame(&tl, 0);
    assert_eq!(img, render_final(&d));
    assert_eq!(img.pixel(3, 3), [0x20, 0x20, 0x20, 255]);
}

#[test]
fn render_at_reuses_and_resizes_the_output_image() {
    let d = doc(5, 3, r##"[{"op":"pixels","points":[[0,0]],"color":"#FFFFFF"}]"##);
    let tl = Timeline::new(&d, DEFAULT_STEP_DURATION_MS);
    let mut img = Image::new(100, 100, [1, 2, 3, 4]);
    tl.render_at(10_000, &mut img);
    assert_eq!((img.width, img.height, img.data.len()), (5, 3, 60));
    assert_eq!(img, render_final(&d));
}

#[test]
fn a_timeline_can_be_shared_with_the_render_thread() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Timeline>();
    assert_send_sync::<Document>();
}

#[test]
fn pixel_reveal_on_shapes_reveals_drawn_pixels_row_by_row_across_a_group() {
    // Two 4×2 rects: 16 pixels, revealed leaf by leaf, each row by row from the top.
    let d = doc(
        8,
        2,
        r##"[{"op":"group","animate":{"mode":"pixel_reveal","duration_ms":1600},"steps":[
              {"op":"rect","x":0,"y":0,"w":4,"h":2,"fill":"#FF0000"},
              {"op":"rect","x":4,"y":0,"w":4,"h":2,"fill":"#00FF00"}]}]"##,
    );
    let tl = Timeline::new(&d, DEFAULT_STEP_DURATION_MS);
    let img = frame(&tl, 500); // 5 of 16
    assert_eq!(lit(&img), 5);
    assert_eq!(rgb(&img, 3, 0), [255, 0, 0]);
    assert_eq!(rgb(&img, 0, 1), [255, 0, 0], "second row of the first rect");
    assert_eq!(rgb(&img, 1, 1), [0, 0, 0]);
    let img = frame(&tl, 1000); // 10 of 16: the first rect and the top row's first two of the second
    assert_eq!(lit(&img), 10);
    assert_eq!(rgb(&img, 5, 0), [0, 255, 0]);
    assert_eq!(rgb(&img, 6, 0), [0, 0, 0]);
}
