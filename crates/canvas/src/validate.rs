//! Path-aware validation: the original's pydantic rules, its colour loophole closed, and bounds that
//! keep a hostile document from exhausting memory or time.
//!
//! [`parse`] walks the raw JSON first (unknown keys, missing keys, types, counts) so that every
//! error names its JSON path, then deserializes and runs [`Document::validate`] for the value rules.

use serde_json::{Map, Value};

use crate::color;
use crate::limits::*;
use crate::model::*;
use crate::text::font_for_size;

/// Why a document was rejected: the JSON path (`steps[3].fill`, or `document` for the root) and
/// the rule it broke. `Display` gives `path: rule`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {rule}")]
pub struct ValidationError {
    /// JSON path of the offending value, e.g. `steps[8].steps[1].points[2]`.
    pub path: String,
    /// The rule that was broken, in words, including the bound where one applies.
    pub rule: String,
}

impl ValidationError {
    fn new(path: &str, rule: impl Into<String>) -> Self {
        ValidationError {
            path: if path.is_empty() { "document".to_string() } else { path.to_string() },
            rule: rule.into(),
        }
    }
}

type Result<T> = std::result::Result<T, ValidationError>;

/// Parses and validates a Canvas-DSL document.
pub fn parse(json: &str) -> Result<Document> {
    if json.len() > MAX_DOCUMENT_BYTES {
        return Err(ValidationError::new(
            "",
            format!("document of {} bytes exceeds the limit of {MAX_DOCUMENT_BYTES} bytes", json.len()),
        ));
    }
    let value: Value =
        serde_json::from_str(json).map_err(|e| ValidationError::new("", format!("not valid JSON: {e}")))?;
    parse_owned(value)
}

/// Like [`parse`], for an already-parsed JSON value.
pub fn parse_value(value: &Value) -> Result<Document> {
    parse_owned(value.clone())
}

fn parse_owned(mut value: Value) -> Result<Document> {
    let mut counts = Counts::default();
    check_document_shape(&value, &mut counts)?;
    integral_floats_to_ints(&mut value);
    let doc: Document = serde_json::from_value(value)
        .map_err(|e| ValidationError::new("", format!("does not match the schema: {e}")))?;
    doc.validate()?;
    Ok(doc)
}

/// pydantic's lax mode reads `3.0` as the integer 3; serde does not, so such numbers are
/// rewritten as integers before deserializing (float fields accept integers anyway).
fn integral_floats_to_ints(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64() {
                if f.fract() == 0.0 && f.abs() < 1e15 {
                    *v = Value::from(f as i64);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(integral_floats_to_ints),
        Value::Object(o) => o.values_mut().for_each(integral_floats_to_ints),
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn describe(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        let cut: String = s.chars().take(37).collect();
        format!("{cut}...")
    } else {
        s
    }
}

#[derive(Default)]
struct Counts {
    leaves: usize,
    points: usize,
}

fn object<'a>(path: &str, v: &'a Value, what: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| ValidationError::new(path, format!("expected {what} object, got {}", describe(v))))
}

fn check_keys(path: &str, obj: &Map<String, Value>, allowed: &[&str], required: &[&str]) -> Result<()> {
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(ValidationError::new(
                &join(path, key),
                format!("unknown key \"{key}\" (allowed: {})", allowed.join(", ")),
            ));
        }
    }
    for key in required {
        if !obj.contains_key(*key) {
            return Err(ValidationError::new(&join(path, key), "is required"));
        }
    }
    Ok(())
}

/// Present and not null.
fn field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn int_in(path: &str, v: &Value, min: i64, max: i64) -> Result<i64> {
    let n = match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(i)
            } else if let Some(f) = n.as_f64() {
                // pydantic accepts integral floats such as 3.0.
                (f.fract() == 0.0 && f.abs() < 1e15).then_some(f as i64)
            } else {
                None
            }
        }
        _ => None,
    };
    let n = n.ok_or_else(|| ValidationError::new(path, format!("expected an integer, got {}", describe(v))))?;
    if n < min || n > max {
        return Err(ValidationError::new(path, range_rule(n, min, max)));
    }
    Ok(n)
}

fn range_rule(n: i64, min: i64, max: i64) -> String {
    if max == i64::MAX {
        format!("{n} is less than {min}")
    } else if min == i64::MIN {
        format!("{n} exceeds the limit of {max}")
    } else {
        format!("{n} is outside the allowed range {min}..={max}")
    }
}

fn string<'a>(path: &str, v: &'a Value, max_chars: usize) -> Result<&'a str> {
    let s = v.as_str().ok_or_else(|| ValidationError::new(path, format!("expected a string, got {}", describe(v))))?;
    check_len(path, s, max_chars)?;
    Ok(s)
}

fn check_len(path: &str, s: &str, max_chars: usize) -> Result<()> {
    let n = s.chars().count();
    if n > max_chars {
        return Err(ValidationError::new(path, format!("text of {n} characters exceeds the limit of {max_chars}")));
    }
    Ok(())
}

fn check_palette_len(n: usize) -> Result<()> {
    if n > MAX_PALETTE {
        return Err(ValidationError::new("palette", format!("{n} colours exceed the limit of {MAX_PALETTE}")));
    }
    Ok(())
}

fn colour(path: &str, v: &Value) -> Result<()> {
    match v.as_str() {
        Some(s) => check_colour(path, s),
        None => {
            Err(ValidationError::new(path, format!("expected a colour string #RGB or #RRGGBB, got {}", describe(v))))
        }
    }
}

fn check_colour(path: &str, s: &str) -> Result<()> {
    if color::parse_hex(s).is_none() {
        let shown = if s.chars().count() > 40 {
            format!("{}...", s.chars().take(37).collect::<String>())
        } else {
            s.to_string()
        };
        return Err(ValidationError::new(path, format!("{shown:?} is not #RGB or #RRGGBB")));
    }
    Ok(())
}

fn check_document_shape(v: &Value, counts: &mut Counts) -> Result<()> {
    let obj = object("", v, "a document")?;
    check_keys(
        "",
        obj,
        &["version", "canvas", "caption", "palette", "seed", "steps", "render_text", "duration_sec"],
        &["version", "canvas", "caption"],
    )?;
    string("version", &obj["version"], MAX_VERSION_CHARS)?;
    string("caption", &obj["caption"], MAX_CAPTION_CHARS)?;

    let canvas = object("canvas", &obj["canvas"], "a canvas")?;
    check_keys("canvas", canvas, &["w", "h", "bg"], &["w", "h"])?;
    int_in("canvas.w", &canvas["w"], 1, MAX_CANVAS_SIDE as i64)?;
    int_in("canvas.h", &canvas["h"], 1, MAX_CANVAS_SIDE as i64)?;
    if let Some(bg) = canvas.get("bg") {
        colour("canvas.bg", bg)?;
    }

    if let Some(p) = field(obj, "palette") {
        let arr = p.as_array().ok_or_else(|| {
            ValidationError::new("palette", format!("expected a list of colours, got {}", describe(p)))
        })?;
        check_palette_len(arr.len())?;
        for (i, c) in arr.iter().enumerate() {
            colour(&format!("palette[{i}]"), c)?;
        }
    }
    if let Some(seed) = field(obj, "seed") {
        int_in("seed", seed, i64::MIN, i64::MAX)?;
    }
    if let Some(t) = field(obj, "render_text") {
        string("render_text", t, MAX_RENDER_TEXT_CHARS)?;
    }
    if let Some(d) = field(obj, "duration_sec") {
        int_in("duration_sec", d, 1, MAX_DURATION_SEC as i64)?;
    }
    if let Some(steps) = field(obj, "steps") {
        check_steps("steps", steps, 0, counts)?;
    }
    Ok(())
}

fn check_steps(path: &str, v: &Value, depth: usize, counts: &mut Counts) -> Result<()> {
    let arr = v
        .as_array()
        .ok_or_else(|| ValidationError::new(path, format!("expected a list of steps, got {}", describe(v))))?;
    for (i, step) in arr.iter().enumerate() {
        check_step(&format!("{path}[{i}]"), step, depth, counts)?;
    }
    Ok(())
}

const OPS: &str = "rect, circle, line, polygon, pixels, text, group";

fn check_step(path: &str, v: &Value, depth: usize, counts: &mut Counts) -> Result<()> {
    let obj = object(path, v, "a step")?;
    let op = match obj.get("op") {
        None => return Err(ValidationError::new(&join(path, "op"), format!("is required (one of {OPS})"))),
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(ValidationError::new(
                &join(path, "op"),
                format!("expected one of {OPS}, got {}", describe(other)),
            ))
        }
    };
    let coord = |key: &str| -> Result<()> {
        int_in(&join(path, key), &obj[key], -MAX_COORD as i64, MAX_COORD as i64).map(|_| ())
    };
    let opt_colour = |key: &str| -> Result<()> {
        match field(obj, key) {
            Some(c) => colour(&join(path, key), c),
            None => Ok(()),
        }
    };
    if op != "group" {
        counts.leaves += 1;
        if counts.leaves > MAX_LEAF_STEPS {
            return Err(ValidationError::new(
                path,
                format!("the document has more than {MAX_LEAF_STEPS} drawing steps (limit {MAX_LEAF_STEPS})"),
            ));
        }
    }
    match op {
        "rect" => {
            check_keys(path, obj, &["op", "x", "y", "w", "h", "fill", "outline", "animate"], &["x", "y", "w", "h"])?;
            for k in ["x", "y", "w", "h"] {
                coord(k)?;
            }
            opt_colour("fill")?;
            opt_colour("outline")?;
        }
        "circle" => {
            check_keys(path, obj, &["op", "cx", "cy", "r", "fill", "outline", "animate"], &["cx", "cy", "r"])?;
            coord("cx")?;
            coord("cy")?;
            int_in(&join(path, "r"), &obj["r"], 0, MAX_COORD as i64)?;
            opt_colour("fill")?;
            opt_colour("outline")?;
        }
        "line" => {
            check_keys(
                path,
                obj,
                &["op", "x1", "y1", "x2", "y2", "width", "color", "animate"],
                &["x1", "y1", "x2", "y2", "color"],
            )?;
            for k in ["x1", "y1", "x2", "y2"] {
                coord(k)?;
            }
            if let Some(w) = obj.get("width") {
                int_in(&join(path, "width"), w, 1, MAX_LINE_WIDTH as i64)?;
            }
            colour(&join(path, "color"), &obj["color"])?;
        }
        "polygon" => {
            check_keys(path, obj, &["op", "points", "fill", "outline", "animate"], &["points"])?;
            check_points(&join(path, "points"), &obj["points"], 3, counts)?;
            opt_colour("fill")?;
            opt_colour("outline")?;
        }
        "pixels" => {
            check_keys(path, obj, &["op", "points", "color", "animate"], &["points", "color"])?;
            check_points(&join(path, "points"), &obj["points"], 1, counts)?;
            colour(&join(path, "color"), &obj["color"])?;
        }
        "text" => {
            check_keys(
                path,
                obj,
                &["op", "x", "y", "value", "font", "size", "color", "animate"],
                &["x", "y", "value"],
            )?;
            coord("x")?;
            coord("y")?;
            string(&join(path, "value"), &obj["value"], MAX_TEXT_CHARS)?;
            if let Some(f) = field(obj, "font") {
                string(&join(path, "font"), f, MAX_FONT_NAME_CHARS)?;
            }
            if let Some(s) = obj.get("size") {
                int_in(&join(path, "size"), s, MIN_TEXT_SIZE as i64, MAX_TEXT_SIZE as i64)?;
            }
            if let Some(c) = obj.get("color") {
                colour(&join(path, "color"), c)?;
            }
        }
        "group" => {
            check_keys(path, obj, &["op", "steps", "animate"], &[])?;
            if depth + 1 > MAX_GROUP_DEPTH {
                return Err(ValidationError::new(
                    path,
                    format!("groups nested deeper than the limit of {MAX_GROUP_DEPTH}"),
                ));
            }
            if let Some(steps) = obj.get("steps") {
                check_steps(&join(path, "steps"), steps, depth + 1, counts)?;
            }
        }
        other => {
            return Err(ValidationError::new(
                &join(path, "op"),
                format!("unknown op {other:?} (expected one of {OPS})"),
            ))
        }
    }
    if let Some(a) = field(obj, "animate") {
        check_animate(&join(path, "animate"), a)?;
    }
    Ok(())
}

fn check_points(path: &str, v: &Value, min: usize, counts: &mut Counts) -> Result<()> {
    let arr = v
        .as_array()
        .ok_or_else(|| ValidationError::new(path, format!("expected a list of [x, y] points, got {}", describe(v))))?;
    if arr.len() < min {
        return Err(ValidationError::new(
            path,
            format!("needs at least {min} point{}, got {}", if min == 1 { "" } else { "s" }, arr.len()),
        ));
    }
    counts.points += arr.len();
    if counts.points > MAX_POINTS {
        return Err(ValidationError::new(
            path,
            format!("the document has more than {MAX_POINTS} points in total (limit {MAX_POINTS})"),
        ));
    }
    for (i, p) in arr.iter().enumerate() {
        let ppath = format!("{path}[{i}]");
        match p.as_array() {
            Some(xy) if xy.len() == 2 => {
                int_in(&format!("{ppath}[0]"), &xy[0], -MAX_COORD as i64, MAX_COORD as i64)?;
                int_in(&format!("{ppath}[1]"), &xy[1], -MAX_COORD as i64, MAX_COORD as i64)?;
            }
            _ => {
                return Err(ValidationError::new(
                    &ppath,
                    format!("expected an [x, y] pair of integers, got {}", describe(p)),
                ))
            }
        }
    }
    Ok(())
}

fn check_animate(path: &str, v: &Value) -> Result<()> {
    let obj = object(path, v, "an animate")?;
    check_keys(path, obj, &["mode", "speed_px_per_s", "duration_ms", "delay_ms", "ease"], &["mode"])?;
    match obj["mode"].as_str() {
        Some("stroke" | "fill" | "pixel_reveal") => {}
        _ => {
            return Err(ValidationError::new(
                &join(path, "mode"),
                format!("expected \"stroke\", \"fill\" or \"pixel_reveal\", got {}", describe(&obj["mode"])),
            ))
        }
    }
    if let Some(s) = field(obj, "speed_px_per_s") {
        let p = join(path, "speed_px_per_s");
        let f =
            s.as_f64().ok_or_else(|| ValidationError::new(&p, format!("expected a number, got {}", describe(s))))?;
        if !(0.0..=MAX_SPEED_PX_PER_S).contains(&f) {
            return Err(ValidationError::new(&p, format!("{f} is outside the allowed range 0..={MAX_SPEED_PX_PER_S}")));
        }
    }
    if let Some(d) = field(obj, "duration_ms") {
        int_in(&join(path, "duration_ms"), d, 1, MAX_TIME_MS as i64)?;
    }
    if let Some(d) = field(obj, "delay_ms") {
        int_in(&join(path, "delay_ms"), d, 0, MAX_TIME_MS as i64)?;
    }
    if let Some(e) = obj.get("ease") {
        match e.as_str() {
            Some("linear" | "ease_in_out") => {}
            _ => {
                return Err(ValidationError::new(
                    &join(path, "ease"),
                    format!("expected \"linear\" or \"ease_in_out\", got {}", describe(e)),
                ))
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Typed validation (also for documents built in Rust, e.g. by the brush crate).

impl Document {
    /// Checks every rule of the schema and every bound of [`crate::limits`]; the error names the
    /// JSON path and the rule.
    pub fn validate(&self) -> Result<()> {
        check_len("version", &self.version, MAX_VERSION_CHARS)?;
        check_len("caption", &self.caption, MAX_CAPTION_CHARS)?;
        let c = &self.canvas;
        for (name, v) in [("canvas.w", c.w), ("canvas.h", c.h)] {
            if !(1..=MAX_CANVAS_SIDE).contains(&v) {
                return Err(ValidationError::new(name, range_rule(v as i64, 1, MAX_CANVAS_SIDE as i64)));
            }
        }
        check_colour("canvas.bg", &c.bg)?;
        if let Some(p) = &self.palette {
            check_palette_len(p.len())?;
            for (i, col) in p.iter().enumerate() {
                check_colour(&format!("palette[{i}]"), col)?;
            }
        }
        if let Some(t) = &self.render_text {
            check_len("render_text", t, MAX_RENDER_TEXT_CHARS)?;
        }
        if let Some(d) = self.duration_sec {
            if !(1..=MAX_DURATION_SEC).contains(&d) {
                return Err(ValidationError::new("duration_sec", range_rule(d as i64, 1, MAX_DURATION_SEC as i64)));
            }
        }
        let has_steps = self.steps.as_ref().is_some_and(|s| !s.is_empty());
        let has_text = self.render_text.as_ref().is_some_and(|s| !s.is_empty());
        match (has_steps, has_text) {
            (true, true) => {
                return Err(ValidationError::new(
                    "",
                    "cannot have both steps and render_text (exactly one of them must be non-empty)",
                ))
            }
            (false, false) => {
                return Err(ValidationError::new(
                    "",
                    "must define steps or render_text (exactly one of them must be non-empty)",
                ))
            }
            _ => {}
        }
        let mut st = TypedState::default();
        if let Some(steps) = &self.steps {
            for (i, s) in steps.iter().enumerate() {
                check_typed_step(&format!("steps[{i}]"), s, 0, c, &mut st)?;
            }
        }
        if st.work > MAX_DRAW_WORK {
            return Err(ValidationError::new(
                "steps",
                format!("drawing work of about {} pixels exceeds the limit of {MAX_DRAW_WORK} pixels", st.work),
            ));
        }
        Ok(())
    }
}

#[derive(Default)]
struct TypedState {
    leaves: usize,
    points: usize,
    work: u64,
}

fn check_coord(path: &str, v: i32) -> Result<()> {
    if v.unsigned_abs() > MAX_COORD as u32 {
        return Err(ValidationError::new(path, range_rule(v as i64, -MAX_COORD as i64, MAX_COORD as i64)));
    }
    Ok(())
}

fn check_opt_colour(path: &str, key: &str, c: &Option<String>) -> Result<()> {
    match c {
        Some(c) => check_colour(&join(path, key), c),
        None => Ok(()),
    }
}

/// Area of the intersection of [x0, x1) × [y0, y1) with the canvas.
fn clipped_area(x0: i64, y0: i64, x1: i64, y1: i64, c: &CanvasSpec) -> u64 {
    let w = (x1.min(c.w as i64) - x0.max(0)).max(0);
    let h = (y1.min(c.h as i64) - y0.max(0)).max(0);
    (w * h) as u64
}

fn bbox(points: &[[i32; 2]]) -> (i64, i64, i64, i64) {
    let mut b = (i64::MAX, i64::MAX, i64::MIN, i64::MIN);
    for p in points {
        b.0 = b.0.min(p[0] as i64);
        b.1 = b.1.min(p[1] as i64);
        b.2 = b.2.max(p[0] as i64 + 1);
        b.3 = b.3.max(p[1] as i64 + 1);
    }
    b
}

fn check_typed_step(path: &str, s: &Step, depth: usize, c: &CanvasSpec, st: &mut TypedState) -> Result<()> {
    if !matches!(s, Step::Group(_)) {
        st.leaves += 1;
        if st.leaves > MAX_LEAF_STEPS {
            return Err(ValidationError::new(
                path,
                format!("the document has more than {MAX_LEAF_STEPS} drawing steps (limit {MAX_LEAF_STEPS})"),
            ));
        }
    }
    let mut add_points = |p: &str, n: usize, min: usize| -> Result<()> {
        if n < min {
            return Err(ValidationError::new(
                p,
                format!("needs at least {min} point{}, got {n}", if min == 1 { "" } else { "s" }),
            ));
        }
        st.points += n;
        if st.points > MAX_POINTS {
            return Err(ValidationError::new(
                p,
                format!("the document has more than {MAX_POINTS} points in total (limit {MAX_POINTS})"),
            ));
        }
        Ok(())
    };
    let work: u64 = match s {
        Step::Rect(r) => {
            for (k, v) in [("x", r.x), ("y", r.y), ("w", r.w), ("h", r.h)] {
                check_coord(&join(path, k), v)?;
            }
            check_opt_colour(path, "fill", &r.fill)?;
            check_opt_colour(path, "outline", &r.outline)?;
            let a = clipped_area(r.x as i64, r.y as i64, r.x as i64 + r.w as i64, r.y as i64 + r.h as i64, c);
            a * (r.fill.is_some() as u64 + r.outline.is_some() as u64)
        }
        Step::Circle(ci) => {
            check_coord(&join(path, "cx"), ci.cx)?;
            check_coord(&join(path, "cy"), ci.cy)?;
            if !(0..=MAX_COORD).contains(&ci.r) {
                return Err(ValidationError::new(&join(path, "r"), range_rule(ci.r as i64, 0, MAX_COORD as i64)));
            }
            check_opt_colour(path, "fill", &ci.fill)?;
            check_opt_colour(path, "outline", &ci.outline)?;
            let (cx, cy, r) = (ci.cx as i64, ci.cy as i64, ci.r as i64);
            let a = clipped_area(cx - r, cy - r, cx + r, cy + r, c) + r as u64;
            a * (ci.fill.is_some() as u64 + ci.outline.is_some() as u64)
        }
        Step::Line(l) => {
            for (k, v) in [("x1", l.x1), ("y1", l.y1), ("x2", l.x2), ("y2", l.y2)] {
                check_coord(&join(path, k), v)?;
            }
            if !(1..=MAX_LINE_WIDTH).contains(&l.width) {
                return Err(ValidationError::new(
                    &join(path, "width"),
                    range_rule(l.width as i64, 1, MAX_LINE_WIDTH as i64),
                ));
            }
            check_colour(&join(path, "color"), &l.color)?;
            let w = l.width as i64;
            let (x0, x1) = (l.x1.min(l.x2) as i64 - w, l.x1.max(l.x2) as i64 + w + 1);
            let (y0, y1) = (l.y1.min(l.y2) as i64 - w, l.y1.max(l.y2) as i64 + w + 1);
            let len = ((l.x2 as i64 - l.x1 as i64).abs()).max((l.y2 as i64 - l.y1 as i64).abs()) + 1;
            let sweep = (len.min(2 * MAX_CANVAS_SIDE as i64) * w) as u64;
            clipped_area(x0, y0, x1, y1, c).min(sweep) + len.min(2 * MAX_CANVAS_SIDE as i64) as u64
        }
        Step::Polygon(p) => {
            let pp = join(path, "points");
            add_points(&pp, p.points.len(), 3)?;
            for (i, pt) in p.points.iter().enumerate() {
                check_coord(&format!("{pp}[{i}][0]"), pt[0])?;
                check_coord(&format!("{pp}[{i}][1]"), pt[1])?;
            }
            check_opt_colour(path, "fill", &p.fill)?;
            check_opt_colour(path, "outline", &p.outline)?;
            let b = bbox(&p.points);
            let rows = (b.3.min(c.h as i64) - b.1.max(0)).max(0) as u64;
            let n = p.points.len() as u64;
            let fill = if p.fill.is_some() { clipped_area(b.0, b.1, b.2, b.3, c) + rows * n } else { 0 };
            let outline = if p.outline.is_some() { n * 2 * MAX_CANVAS_SIDE as u64 } else { 0 };
            fill + outline.min(n * ((c.w + c.h) as u64 + 2))
        }
        Step::Pixels(p) => {
            let pp = join(path, "points");
            add_points(&pp, p.points.len(), 1)?;
            for (i, pt) in p.points.iter().enumerate() {
                check_coord(&format!("{pp}[{i}][0]"), pt[0])?;
                check_coord(&format!("{pp}[{i}][1]"), pt[1])?;
            }
            check_colour(&join(path, "color"), &p.color)?;
            p.points.len() as u64
        }
        Step::Text(t) => {
            check_coord(&join(path, "x"), t.x)?;
            check_coord(&join(path, "y"), t.y)?;
            check_len(&join(path, "value"), &t.value, MAX_TEXT_CHARS)?;
            if let Some(f) = &t.font {
                check_len(&join(path, "font"), f, MAX_FONT_NAME_CHARS)?;
            }
            if !(MIN_TEXT_SIZE..=MAX_TEXT_SIZE).contains(&t.size) {
                return Err(ValidationError::new(
                    &join(path, "size"),
                    range_rule(t.size as i64, MIN_TEXT_SIZE as i64, MAX_TEXT_SIZE as i64),
                ));
            }
            check_colour(&join(path, "color"), &t.color)?;
            let f = font_for_size(t.size);
            t.value.chars().count() as u64 * f.glyph_area()
        }
        Step::Group(g) => {
            if depth + 1 > MAX_GROUP_DEPTH {
                return Err(ValidationError::new(
                    path,
                    format!("groups nested deeper than the limit of {MAX_GROUP_DEPTH}"),
                ));
            }
            for (i, child) in g.steps.iter().enumerate() {
                check_typed_step(&format!("{path}.steps[{i}]"), child, depth + 1, c, st)?;
            }
            0
        }
    };
    st.work += work;
    if let Some(a) = s.animate() {
        check_typed_animate(&join(path, "animate"), a)?;
    }
    Ok(())
}

fn check_typed_animate(path: &str, a: &Animate) -> Result<()> {
    if let Some(s) = a.speed_px_per_s {
        if !(0.0..=MAX_SPEED_PX_PER_S).contains(&s) {
            return Err(ValidationError::new(
                &join(path, "speed_px_per_s"),
                format!("{s} is outside the allowed range 0..={MAX_SPEED_PX_PER_S}"),
            ));
        }
    }
    if let Some(d) = a.duration_ms {
        if !(1..=MAX_TIME_MS).contains(&d) {
            return Err(ValidationError::new(&join(path, "duration_ms"), range_rule(d as i64, 1, MAX_TIME_MS as i64)));
        }
    }
    if let Some(d) = a.delay_ms {
        if d > MAX_TIME_MS {
            return Err(ValidationError::new(&join(path, "delay_ms"), range_rule(d as i64, 0, MAX_TIME_MS as i64)));
        }
    }
    Ok(())
}
