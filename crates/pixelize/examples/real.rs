//! Benchmark on real SDXL pixel-art output: this crate's method and the original service's method
//! on the same images, with no ground truth — the input itself is the reference.
//!
//! `cargo run --release -p pixelize --example real -- DIR [--colors N] [--sheet OUT.png] [--auto]`
//!
//! DIR holds PNG files (the real set is kept out of git; `crates/pixelize/realset.tsv` lists where
//! each file comes from). For every image, both methods see the same centre square crop, and per
//! method the table gives:
//! * **ΔE**: mean CIE ΔE76 between every input pixel and the output cell it falls in when the
//!   output is upscaled to the crop with nearest neighbour (×8 for 768² → 96²);
//! * **edges**: of the neighbouring cell pairs whose input medians (per channel, over the uniform
//!   `side / size` blocks) differ by ΔE76 > 20, the share that still have two different colours in
//!   the output;
//! * **colours** used and **ms** (one thread, release).
//!
//! `--sheet` writes a contact sheet: one row per image, input | original method | this crate.
//!
//! `--auto` adds a second table: [`pixelize_auto`] with `--colors` as the ceiling against
//! [`pixelize`] with exactly that budget (colours chosen, ΔE, edges, ms).

use image::{ImageBuffer, Rgb, RgbImage};
use pixelize::color::cielab;
use pixelize::synth::original_method;
use pixelize::{pixelize, pixelize_auto, Options};
use std::path::PathBuf;
use std::time::Instant;

/// Input-median difference (CIE ΔE76) above which two neighbouring cells form a strong edge.
const STRONG_EDGE: f32 = 20.0;
/// Side of one panel of the contact sheet, in pixels.
const PANEL: u32 = 288;

struct Scores {
    de: f64,
    edges: f64,
    colours: usize,
    ms: f64,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut sheet: Option<PathBuf> = None;
    let mut colors = 12usize;
    let mut auto = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--auto" => auto = true,
            "--sheet" => sheet = args.next().map(PathBuf::from),
            "--colors" => colors = args.next().and_then(|v| v.parse().ok()).expect("--colors N"),
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: real DIR [--colors N] [--sheet OUT.png] [--auto]");
        std::process::exit(2);
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("png")))
        .collect();
    files.sort();
    if files.is_empty() {
        eprintln!("no PNG files in {}", dir.display());
        std::process::exit(1);
    }
    let opts = Options { size: 96, colors };
    println!("| Image | Size | grid (pitch) | ΔE original | ΔE ours | ratio | edges original | edges ours | colours o/ours | ms o/ours |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let (mut sum_o, mut sum_p, mut sum_eo, mut sum_ep, mut worst, mut ms_o, mut ms_p) =
        (0.0, 0.0, 0.0, 0.0, 0f64, 0.0, 0.0);
    let mut ratios = Vec::new();
    let mut rows = Vec::new();
    let mut auto_rows = Vec::new();
    for path in &files {
        let img = over_white(&image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).to_rgba8());
        let (w, h) = img.dimensions();
        let side = w.min(h);
        let crop = image::imageops::crop_imm(&img, (w - side) / 2, (h - side) / 2, side, side).to_image();
        let rgb = crop.as_raw();
        let n = opts.size as usize;

        let t0 = Instant::now();
        let orig = original_method(rgb, side as usize, side as usize, n, colors);
        let t_o = t0.elapsed().as_secs_f64() * 1000.0;
        let t0 = Instant::now();
        let art = pixelize(rgb, side, side, &opts).expect("pixelize");
        let t_p = t0.elapsed().as_secs_f64() * 1000.0;
        let ours = art.to_rgb();

        let lab: Vec<[f32; 3]> = rgb.chunks_exact(3).map(|p| cielab([p[0], p[1], p[2]])).collect();
        let medians = block_medians(rgb, side as usize, n);
        let so = score(&lab, side as usize, &medians, &orig, n, t_o);
        let sp = score(&lab, side as usize, &medians, &ours, n, t_p);
        let ratio = sp.de / so.de;
        let name = path.file_name().unwrap().to_string_lossy();
        println!(
            "| {name} | {w}×{h} | {} ({:.2}) | {:.2} | {:.2} | {ratio:.2} | {:.3} | {:.3} | {}/{} | {:.1}/{:.1} |",
            art.quality.grid,
            (art.quality.pitch_x + art.quality.pitch_y) / 2.0,
            so.de,
            sp.de,
            so.edges,
            sp.edges,
            so.colours,
            sp.colours,
            so.ms,
            sp.ms
        );
        sum_o += so.de;
        sum_p += sp.de;
        sum_eo += so.edges;
        sum_ep += sp.edges;
        ms_o += so.ms;
        ms_p += sp.ms;
        worst = worst.max(ratio);
        ratios.push(ratio);
        if auto {
            let t0 = Instant::now();
            let a = pixelize_auto(rgb, side, side, &opts).expect("pixelize_auto");
            let t_a = t0.elapsed().as_secs_f64() * 1000.0;
            let sa = score(&lab, side as usize, &medians, &a.to_rgb(), n, t_a);
            let (knee, chosen, flat) =
                a.quality.auto_colors.as_ref().map_or((0, 0, false), |c| (c.knee, c.chosen, c.flat));
            auto_rows.push((name.to_string(), knee, chosen, flat, sp, sa));
        }
        if sheet.is_some() {
            rows.push((crop, orig, ours));
        }
    }
    let k = files.len() as f64;
    println!(
        "| **mean of {} images** | | | {:.2} | {:.2} | **{:.3}** | {:.3} | **{:.3}** | | {:.1}/{:.1} |",
        files.len(),
        sum_o / k,
        sum_p / k,
        (sum_p / k) / (sum_o / k),
        sum_eo / k,
        sum_ep / k,
        ms_o / k,
        ms_p / k
    );
    ratios.sort_by(|a, b| a.total_cmp(b));
    println!();
    println!(
        "ratio of mean ΔE (ours / original): {:.3}; per image: median {:.3}, worst {:.3}",
        (sum_p / k) / (sum_o / k),
        ratios[ratios.len() / 2],
        worst
    );
    if auto {
        print_auto(&auto_rows, colors);
    }
    if let Some(out) = sheet {
        write_sheet(&out, &rows, opts.size);
        println!("contact sheet: {}", out.display());
    }
}

/// The `--auto` table: per image, `pixelize_auto` with ceiling `colors` against `pixelize` with
/// `colors`.
///
/// `knee`: the size the error curve pointed to; `chosen`: the size the picture got (flat-colour art,
/// marked "flat", keeps the colours its own palette found).
fn print_auto(rows: &[(String, usize, usize, bool, Scores, Scores)], colors: usize) {
    println!();
    println!("| Image | knee → chosen (of {colors}) | colours used | ΔE at {colors} | ΔE auto | ΔE added | edges at {colors} | edges auto | ms at {colors} / auto |");
    println!("|---|---|---|---|---|---|---|---|---|");
    let (mut de_f, mut de_a, mut e_f, mut e_a, mut ms_f, mut ms_a, mut chosen) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0);
    for (name, knee, k, flat, f, a) in rows {
        let flat = if *flat { " (flat)" } else { "" };
        println!(
            "| {name} | {knee} → {k}{flat} | {} | {:.2} | {:.2} | {:+.2} | {:.3} | {:.3} | {:.1} / {:.1} |",
            a.colours,
            f.de,
            a.de,
            a.de - f.de,
            f.edges,
            a.edges,
            f.ms,
            a.ms
        );
        (de_f, de_a, e_f, e_a, ms_f, ms_a, chosen) =
            (de_f + f.de, de_a + a.de, e_f + f.edges, e_a + a.edges, ms_f + f.ms, ms_a + a.ms, chosen + k);
    }
    let k = rows.len() as f64;
    println!(
        "| **mean of {} images** | → {:.1} | | {:.2} | {:.2} | {:+.2} | {:.3} | {:.3} | {:.1} / {:.1} |",
        rows.len(),
        chosen as f64 / k,
        de_f / k,
        de_a / k,
        (de_a - de_f) / k,
        e_f / k,
        e_a / k,
        ms_f / k,
        ms_a / k
    );
}

/// Transparent sprites are composited over white, as the pipeline does with a picture that has alpha.
fn over_white(img: &image::RgbaImage) -> RgbImage {
    let mut out = RgbImage::new(img.width(), img.height());
    for (o, p) in out.pixels_mut().zip(img.pixels()) {
        let a = p[3] as u32;
        *o = Rgb([0, 1, 2].map(|k| ((p[k] as u32 * a + 255 * (255 - a) + 127) / 255) as u8));
    }
    out
}

/// Per-channel median of every uniform block: the pixels that the nearest upscale of the output
/// (pixel x → cell `x * n / side`) paints with that cell (the reference colour of a cell).
fn block_medians(rgb: &[u8], side: usize, n: usize) -> Vec<[u8; 3]> {
    // First pixel of block i: the smallest x with x * n / side >= i.
    let first = |i: usize| (i * side).div_ceil(n);
    let mut out = Vec::with_capacity(n * n);
    let mut ch: [Vec<u8>; 3] = Default::default();
    for j in 0..n {
        let (y0, y1) = (first(j), first(j + 1).max(first(j) + 1).min(side));
        for i in 0..n {
            let (x0, x1) = (first(i), first(i + 1).max(first(i) + 1).min(side));
            ch.iter_mut().for_each(Vec::clear);
            for y in y0..y1 {
                for x in x0..x1 {
                    let o = (y * side + x) * 3;
                    (0..3).for_each(|c| ch[c].push(rgb[o + c]));
                }
            }
            out.push([0, 1, 2].map(|c| {
                let mid = ch[c].len() / 2;
                *ch[c].select_nth_unstable(mid).1
            }));
        }
    }
    out
}

/// Scores of one output (`n²` RGB cells) against the input (its CIELAB pixels, `side²`).
fn score(lab: &[[f32; 3]], side: usize, medians: &[[u8; 3]], out: &[u8], n: usize, ms: f64) -> Scores {
    let cell = |i: usize| [out[i * 3], out[i * 3 + 1], out[i * 3 + 2]];
    let out_lab: Vec<[f32; 3]> = (0..n * n).map(|i| cielab(cell(i))).collect();
    let mut de = 0.0f64;
    for y in 0..side {
        let row = (y * n / side) * n;
        for x in 0..side {
            let o = out_lab[row + x * n / side];
            let p = lab[y * side + x];
            de += (((p[0] - o[0]).powi(2) + (p[1] - o[1]).powi(2) + (p[2] - o[2]).powi(2)) as f64).sqrt();
        }
    }
    let med_lab: Vec<[f32; 3]> = medians.iter().map(|m| cielab(*m)).collect();
    let (mut strong, mut kept) = (0usize, 0usize);
    for y in 0..n {
        for x in 0..n {
            let i = y * n + x;
            for j in [(x + 1 < n).then_some(i + 1), (y + 1 < n).then_some(i + n)].into_iter().flatten() {
                let d = pixelize::color::dist2(med_lab[i], med_lab[j]).sqrt();
                if d > STRONG_EDGE {
                    strong += 1;
                    kept += (cell(i) != cell(j)) as usize;
                }
            }
        }
    }
    let mut colours: Vec<[u8; 3]> = (0..n * n).map(cell).collect();
    colours.sort_unstable();
    colours.dedup();
    Scores {
        de: de / (side * side) as f64,
        edges: if strong == 0 { 1.0 } else { kept as f64 / strong as f64 },
        colours: colours.len(),
        ms,
    }
}

/// One row per image: the input (box-filtered to a panel) | original | ours (nearest-upscaled).
fn write_sheet(out: &PathBuf, rows: &[(RgbImage, Vec<u8>, Vec<u8>)], n: u32) {
    let gap = 8;
    let width = 3 * PANEL + 4 * gap;
    let height = rows.len() as u32 * (PANEL + gap) + gap;
    let mut sheet: RgbImage = ImageBuffer::from_pixel(width, height, Rgb([32, 32, 36]));
    for (r, (input, orig, ours)) in rows.iter().enumerate() {
        let top = gap + r as u32 * (PANEL + gap);
        let small = image::imageops::resize(input, PANEL, PANEL, image::imageops::FilterType::Triangle);
        image::imageops::replace(&mut sheet, &small, gap as i64, top as i64);
        for (k, cells) in [orig, ours].into_iter().enumerate() {
            let art: RgbImage = ImageBuffer::from_raw(n, n, cells.clone()).expect("n² cells");
            let big = image::imageops::resize(&art, PANEL, PANEL, image::imageops::FilterType::Nearest);
            image::imageops::replace(&mut sheet, &big, (gap + (k as u32 + 1) * (PANEL + gap)) as i64, top as i64);
        }
    }
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).ok();
    }
    sheet.save(out).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
