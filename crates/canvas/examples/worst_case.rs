//! Builds the most expensive documents the limits allow and reports time and memory:
//! `cargo run --release -p canvas --example worst_case`
use std::time::Instant;

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM")).map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
        })
        .unwrap_or(0)
}

fn main() {
    let cases = [
        (
            "8 full-canvas rects, pixel_reveal",
            r##"{"op":"rect","x":0,"y":0,"w":1024,"h":1024,"fill":"#123456","animate":{"mode":"pixel_reveal"}}"##,
            8,
        ),
        (
            "4 full-canvas rects with outline, stroke",
            r##"{"op":"rect","x":-5,"y":-5,"w":1030,"h":1030,"fill":"#123456","outline":"#fff","animate":{"mode":"stroke"}}"##,
            4,
        ),
        (
            "10000 huge circles off-canvas",
            r##"{"op":"circle","cx":-50000,"cy":500,"r":49000,"outline":"#fff","animate":{"mode":"stroke"}}"##,
            10000,
        ),
        (
            "9 text steps of 500 chars at size 64",
            r##"{"op":"text","x":0,"y":0,"value":"ЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖЖ","size":64,"animate":{"mode":"stroke"}}"##,
            9,
        ),
        ("one 200000-point pixels step, pixel_reveal", "PIX", 1),
        ("8 full-canvas rects in one pixel_reveal group", "GROUP", 1),
    ];
    for (name, step, n) in cases {
        let steps = if step == "PIX" {
            let pts: Vec<String> = (0..200_000).map(|i| format!("[{},{}]", i % 1024, (i / 1024) * 5 % 1024)).collect();
            format!(
                r##"{{"op":"pixels","color":"#fff","points":[{}],"animate":{{"mode":"pixel_reveal"}}}}"##,
                pts.join(",")
            )
        } else if step == "GROUP" {
            let r = r##"{"op":"rect","x":0,"y":0,"w":1024,"h":1024,"fill":"#123456"}"##;
            format!(r#"{{"op":"group","animate":{{"mode":"pixel_reveal"}},"steps":[{}]}}"#, [r; 8].join(","))
        } else {
            vec![step; n].join(",")
        };
        let json = format!(r#"{{"version":"1","caption":"c","canvas":{{"w":1024,"h":1024}},"steps":[{steps}]}}"#);
        let t0 = Instant::now();
        let doc = match canvas::parse(&json) {
            Ok(d) => d,
            Err(e) => {
                println!("{name}: rejected: {e}");
                continue;
            }
        };
        let t1 = Instant::now();
        let tl = canvas::Timeline::new(&doc, 700);
        let t2 = Instant::now();
        let mut img = canvas::Image::empty();
        tl.render_at(tl.duration_ms() / 2, &mut img);
        let t3 = Instant::now();
        println!(
            "{name}: parse {:?}, Timeline::new {:?}, render_at {:?}, peak RSS {} MB",
            t1 - t0,
            t2 - t1,
            t3 - t2,
            rss_kb() / 1024
        );
    }
}
