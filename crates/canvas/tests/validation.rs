//! What an author (or a hostile donor's prompt) sees when a document is wrong: every error names
//! the JSON path and the rule, and documents written for the original load unchanged.

mod common;

use canvas::{parse, Document, Ease, Mode, Step};

/// A minimal valid document with `steps` replaced.
fn doc_with_steps(steps: &str) -> String {
    format!(r##"{{"version":"1.0","caption":"c","canvas":{{"w":96,"h":96}},"steps":{steps}}}"##)
}

fn err(json: &str) -> String {
    match parse(json) {
        Ok(_) => panic!("expected an error for {json}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_original_reference_plan_loads_with_all_its_steps() {
    let doc = common::aurora();
    assert_eq!(doc.canvas.w, 96);
    assert_eq!(doc.canvas.bg, "#0B0D26");
    assert_eq!(doc.steps().len(), 15);
    assert_eq!(doc.palette.as_ref().map(Vec::len), Some(12));
    match &doc.steps()[8] {
        Step::Group(g) => {
            assert_eq!(g.steps.len(), 5);
            let a = g.animate.expect("group animate");
            assert_eq!((a.mode, a.duration_ms, a.ease), (Mode::Fill, Some(900), Ease::Linear));
        }
        other => panic!("step 8 should be the cabin group, got {other:?}"),
    }
}

#[test]
fn documents_round_trip_through_json() {
    let doc = common::aurora();
    let again = parse(&doc.to_json()).expect("to_json output parses");
    assert_eq!(doc, again);
    // Absent optionals are omitted, as the original schema expects (null seed would be fine too,
    // but `"animate": null` on every step would be noise for the LLM and the journal).
    assert!(!doc.to_json().contains("null"), "{}", doc.to_json());
}

#[test]
fn defaults_follow_the_original_schema() {
    let doc = parse(&doc_with_steps(
        r##"[{"op":"line","x1":0,"y1":0,"x2":5,"y2":5,"color":"#fff"},
             {"op":"text","x":1,"y":2,"value":"hi"},
             {"op":"pixels","points":[[1,1]],"color":"#abc","animate":{"mode":"pixel_reveal"}}]"##,
    ))
    .unwrap();
    assert_eq!(doc.canvas.bg, "#202020");
    let Step::Line(l) = &doc.steps()[0] else { panic!() };
    assert_eq!(l.width, 1);
    let Step::Text(t) = &doc.steps()[1] else { panic!() };
    assert_eq!((t.size, t.color.as_str(), t.font.as_deref()), (8, "#FFFFFF", None));
    assert_eq!(doc.steps()[2].animate().unwrap().ease, Ease::Linear);
}

#[test]
fn integral_floats_are_accepted_like_pydantic() {
    let doc = parse(&doc_with_steps(r##"[{"op":"rect","x":1.0,"y":2,"w":3,"h":4,"fill":"#fff"}]"##)).unwrap();
    let Step::Rect(r) = &doc.steps()[0] else { panic!() };
    assert_eq!(r.x, 1);
    assert!(err(&doc_with_steps(r##"[{"op":"rect","x":1.5,"y":2,"w":3,"h":4}]"##))
        .starts_with("steps[0].x: expected an integer"));
}

#[test]
fn a_bad_colour_names_its_path_and_rule() {
    let e = err(&doc_with_steps(
        r##"[{"op":"rect","x":0,"y":0,"w":1,"h":1},{"op":"rect","x":0,"y":0,"w":1,"h":1},
             {"op":"rect","x":0,"y":0,"w":1,"h":1},{"op":"rect","x":0,"y":0,"w":1,"h":1,"fill":"#12"}]"##,
    ));
    assert_eq!(e, r##"steps[3].fill: "#12" is not #RGB or #RRGGBB"##);
}

#[test]
fn python_int_loopholes_in_colours_are_closed() {
    for bad in ["#-12345", "#+1234", "# 12345", "#12_345", "#12345 ", "#0x1234"] {
        let json = doc_with_steps(&format!(
            r##"[{{"op":"pixels","points":[[0,0]],"color":{}}}]"##,
            serde_json::to_string(bad).unwrap()
        ));
        let e = err(&json);
        assert!(e.starts_with("steps[0].color: ") && e.ends_with("is not #RGB or #RRGGBB"), "{bad}: {e}");
    }
    assert_eq!(
        err(r##"{"version":"1","caption":"c","canvas":{"w":9,"h":9,"bg":"#-12345"},"render_text":"x"}"##),
        r##"canvas.bg: "#-12345" is not #RGB or #RRGGBB"##
    );
    assert!(err(
        r##"{"version":"1","caption":"c","canvas":{"w":9,"h":9},"palette":["#fff","red"],"render_text":"x"}"##
    )
    .starts_with("palette[1]: "));
}

#[test]
fn unknown_keys_are_errors_as_in_the_original() {
    // `color` on a rect is the original's own example.
    assert_eq!(
        err(&doc_with_steps(r##"[{"op":"rect","x":0,"y":0,"w":1,"h":1,"color":"#fff"}]"##)),
        "steps[0].color: unknown key \"color\" (allowed: op, x, y, w, h, fill, outline, animate)"
    );
    assert!(err(r##"{"version":"1","caption":"c","canvas":{"w":9,"h":9},"render_text":"x","extra":1}"##)
        .starts_with("extra: unknown key"));
    assert!(err(&doc_with_steps(
        r##"[{"op":"pixels","points":[[0,0]],"color":"#fff","animate":{"mode":"fill","speed":3}}]"##
    ))
    .starts_with("steps[0].animate.speed: unknown key"));
}

#[test]
fn nested_paths_point_into_groups_and_points() {
    let e = err(&doc_with_steps(
        r##"[{"op":"group","steps":[{"op":"pixels","color":"#fff","points":[[0,0]]},
             {"op":"polygon","points":[[0,0],[1,1],[2,"x"]]}]}]"##,
    ));
    assert!(e.starts_with("steps[0].steps[1].points[2][1]: expected an integer"), "{e}");
}

#[test]
fn missing_and_wrong_fields_say_what_is_wrong() {
    assert_eq!(err(&doc_with_steps(r##"[{"op":"line","x1":0,"y1":0,"x2":1,"y2":1}]"##)), "steps[0].color: is required");
    assert!(err(&doc_with_steps(r##"[{"op":"star"}]"##)).starts_with("steps[0].op: unknown op \"star\""));
    assert!(err(&doc_with_steps(r##"[{"op":"polygon","points":[[0,0],[1,1]],"fill":"#fff"}]"##))
        .starts_with("steps[0].points: needs at least 3 points, got 2"));
    assert!(err(&doc_with_steps(r##"[{"op":"pixels","points":[],"color":"#fff"}]"##))
        .starts_with("steps[0].points: needs at least 1 point, got 0"));
    assert!(
        err(&doc_with_steps(r##"[{"op":"circle","cx":0,"cy":0,"r":-1}]"##)).starts_with("steps[0].r: -1 is outside")
    );
    assert!(err(&doc_with_steps(r##"[{"op":"line","x1":0,"y1":0,"x2":1,"y2":1,"width":0,"color":"#fff"}]"##))
        .starts_with("steps[0].width: 0 is outside the allowed range 1..="));
    assert!(err(&doc_with_steps(r##"[{"op":"text","x":0,"y":0,"value":"a","size":65}]"##))
        .starts_with("steps[0].size: 65 is outside the allowed range 4..=64"));
    assert!(err(&doc_with_steps(r##"[{"op":"text","x":0,"y":0,"value":"a","size":3}]"##))
        .starts_with("steps[0].size: 3 is outside"));
    let anim = |a: &str| {
        err(&doc_with_steps(&format!(r##"[{{"op":"pixels","points":[[0,0]],"color":"#fff","animate":{a}}}]"##)))
    };
    assert!(anim(r#"{"mode":"spin"}"#)
        .starts_with("steps[0].animate.mode: expected \"stroke\", \"fill\" or \"pixel_reveal\""));
    assert!(anim(r#"{"mode":"fill","ease":"bounce"}"#).starts_with("steps[0].animate.ease: expected"));
    assert!(anim(r#"{"mode":"fill","duration_ms":0}"#).starts_with("steps[0].animate.duration_ms: 0 is outside"));
    assert!(anim(r#"{"mode":"fill","delay_ms":-5}"#).starts_with("steps[0].animate.delay_ms: -5 is outside"));
    assert!(
        anim(r#"{"mode":"fill","speed_px_per_s":-1}"#).starts_with("steps[0].animate.speed_px_per_s: -1 is outside")
    );
    assert!(anim(r#"{}"#).starts_with("steps[0].animate.mode: is required"));
}

#[test]
fn exactly_one_of_steps_and_render_text() {
    let base = r##""version":"1","caption":"c","canvas":{"w":9,"h":9}"##;
    assert!(err(&format!("{{{base}}}")).starts_with("document: must define steps or render_text"));
    assert!(err(&format!(r#"{{{base},"steps":[]}}"#)).starts_with("document: must define steps or render_text"));
    assert!(err(&format!(r#"{{{base},"render_text":""}}"#)).starts_with("document: must define steps or render_text"));
    assert!(err(&format!(
        r##"{{{base},"render_text":"hi","steps":[{{"op":"pixels","points":[[0,0]],"color":"#fff"}}]}}"##
    ))
    .starts_with("document: cannot have both"));
    let card = parse(&format!(r#"{{{base},"render_text":"You are too small","duration_sec":90}}"#)).unwrap();
    assert_eq!(card.duration_sec, Some(90));
    assert!(err(&format!(r#"{{{base},"render_text":"x","duration_sec":0}}"#)).starts_with("duration_sec: 0 is outside"));
}

#[test]
fn hostile_documents_are_refused_with_the_bound_named() {
    let canvas = |w: u32| format!(r#"{{"version":"1","caption":"c","canvas":{{"w":{w},"h":9}},"render_text":"x"}}"#);
    assert_eq!(err(&canvas(2000)), "canvas.w: 2000 is outside the allowed range 1..=1024");
    assert!(err(&canvas(0)).starts_with("canvas.w: 0 is outside"));

    let many = vec![r##"{"op":"pixels","points":[[0,0]],"color":"#fff"}"##; 10_001].join(",");
    assert_eq!(
        err(&doc_with_steps(&format!("[{many}]"))),
        "steps[10000]: the document has more than 10000 drawing steps (limit 10000)"
    );

    let pts = vec!["[1,1]"; 200_001].join(",");
    let e = err(&doc_with_steps(&format!(r##"[{{"op":"pixels","color":"#fff","points":[{pts}]}}]"##)));
    assert_eq!(e, "steps[0].points: the document has more than 200000 points in total (limit 200000)");

    let mut nested = r##"{"op":"pixels","points":[[0,0]],"color":"#fff"}"##.to_string();
    for _ in 0..17 {
        nested = format!(r#"{{"op":"group","steps":[{nested}]}}"#);
    }
    assert!(err(&doc_with_steps(&format!("[{nested}]"))).ends_with("groups nested deeper than the limit of 16"));

    let long = "я".repeat(501);
    assert_eq!(
        err(&doc_with_steps(&format!(r#"[{{"op":"text","x":0,"y":0,"value":"{long}"}}]"#))),
        "steps[0].value: text of 501 characters exceeds the limit of 500"
    );
    assert!(err(&doc_with_steps(
        r##"[{"op":"pixels","points":[[0,0]],"color":"#fff","animate":{"mode":"fill","duration_ms":600001}}]"##
    ))
    .starts_with("steps[0].animate.duration_ms: 600001 is outside the allowed range 1..=600000"));
    assert!(err(&doc_with_steps(r##"[{"op":"pixels","points":[[100001,0]],"color":"#fff"}]"##))
        .starts_with("steps[0].points[0][0]: 100001 is outside the allowed range -100000..=100000"));

    // Many full-canvas fills: few steps, but a lot of pixel work.
    let fills = [r##"{"op":"rect","x":0,"y":0,"w":1024,"h":1024,"fill":"#fff"}"##; 9].join(",");
    let e = err(&format!(r#"{{"version":"1","caption":"c","canvas":{{"w":1024,"h":1024}},"steps":[{fills}]}}"#));
    assert!(e.starts_with("steps: drawing work of about 9437184 pixels exceeds the limit of 8388608 pixels"), "{e}");
}

#[test]
fn documents_built_in_rust_are_validated_too() {
    let mut doc: Document = common::aurora();
    if let Some(Step::Pixels(p)) = doc.steps.as_mut().unwrap().get_mut(11) {
        p.color = "#-12345".into();
    } else {
        panic!("step 11 is the stars");
    }
    assert_eq!(doc.validate().unwrap_err().to_string(), r##"steps[11].color: "#-12345" is not #RGB or #RRGGBB"##);
    let err = doc.validate().unwrap_err();
    assert_eq!((err.path.as_str(), err.rule.as_str()), ("steps[11].color", r##""#-12345" is not #RGB or #RRGGBB"##));
}

#[test]
fn invalid_json_is_reported_not_panicked() {
    assert!(err("{").starts_with("document: not valid JSON"));
    assert!(err("[]").starts_with("document: expected a document object"));
}
