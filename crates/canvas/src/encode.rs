//! PNG and GIF encoding into memory (no files: the caller decides where the bytes go).
//!
//! Both upscale with nearest neighbour, so pixel art stays crisp. `scale` 0 is treated as 1, and
//! the scale is capped so that the output stays within [`MAX_OUTPUT_SIDE`] pixels per side.

use std::collections::HashMap;

use crate::image::Image;
use crate::timeline::Timeline;

/// Largest side of an encoded image, in pixels.
pub const MAX_OUTPUT_SIDE: u32 = 8192;
/// Most frames in an animated GIF (longer animations get a longer frame interval).
pub const MAX_GIF_FRAMES: u64 = 600;
/// How long the GIF holds the final frame before looping, in centiseconds.
pub const GIF_FINAL_HOLD_CS: u16 = 300;

fn effective_scale(w: u32, h: u32, scale: u32, max_side: u32) -> u32 {
    let side = w.max(h).max(1);
    scale.clamp(1, (max_side / side).max(1))
}

fn upscale(data: &[u8], w: u32, h: u32, bpp: usize, scale: u32) -> Vec<u8> {
    if scale == 1 {
        return data.to_vec();
    }
    let (w, h, s) = (w as usize, h as usize, scale as usize);
    let row_len = w * s * bpp;
    let mut out = Vec::with_capacity(row_len * h * s);
    let mut row = Vec::with_capacity(row_len);
    for y in 0..h {
        row.clear();
        for x in 0..w {
            let px = &data[(y * w + x) * bpp..(y * w + x + 1) * bpp];
            for _ in 0..s {
                row.extend_from_slice(px);
            }
        }
        for _ in 0..s {
            out.extend_from_slice(&row);
        }
    }
    out
}

/// Encodes `img` as an RGBA PNG, upscaled `scale`× (nearest neighbour).
pub fn encode_png(img: &Image, scale: u32) -> Vec<u8> {
    let scale = effective_scale(img.width, img.height, scale, MAX_OUTPUT_SIDE);
    let data = upscale(&img.data, img.width, img.height, 4, scale);
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, img.width * scale, img.height * scale);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        // Writing into a Vec only fails on invalid dimensions, which Image rules out.
        let mut writer = enc.write_header().expect("png header");
        writer.write_image_data(&data).expect("png data");
        writer.finish().expect("png finish");
    }
    bytes
}

/// Encodes the whole animation as a looping GIF: frames every 1/`fps` s (rounded to GIF's 10 ms
/// ticks, at least 20 ms; at most [`MAX_GIF_FRAMES`] frames) from t = 0, then the final frame
/// held for [`GIF_FINAL_HOLD_CS`] centiseconds. Frames with at most 256 colours are exact;
/// busier frames (fades over many colours) are quantized.
pub fn encode_gif(timeline: &Timeline, fps: u32, scale: u32) -> Vec<u8> {
    let (w, h) = timeline.size();
    let scale = effective_scale(w, h, scale, MAX_OUTPUT_SIDE.min(u16::MAX as u32));
    let (ow, oh) = ((w * scale) as u16, (h * scale) as u16);
    let duration = timeline.duration_ms();

    let mut interval_cs = ((100.0 / fps.max(1) as f64).round() as u64).max(2);
    let needed = duration.div_ceil(interval_cs * 10);
    if needed > MAX_GIF_FRAMES {
        interval_cs = duration.div_ceil(MAX_GIF_FRAMES * 10);
    }
    let mut times: Vec<(u64, u16)> = Vec::new();
    let mut t = 0;
    while t < duration {
        times.push((t, interval_cs.min(u16::MAX as u64) as u16));
        t += interval_cs * 10;
    }
    times.push((duration, GIF_FINAL_HOLD_CS));

    let mut bytes = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut bytes, ow, oh, &[]).expect("gif header");
        enc.set_repeat(gif::Repeat::Infinite).expect("gif repeat");
        let mut img = Image::empty();
        let mut cache = timeline.private_cache();
        for (t, delay) in times {
            timeline.render_with(t, &mut img, &mut cache);
            let mut frame = gif_frame(&img, scale);
            frame.delay = delay;
            enc.write_frame(&frame).expect("gif frame");
        }
    }
    bytes
}

fn gif_frame(img: &Image, scale: u32) -> gif::Frame<'static> {
    let (ow, oh) = ((img.width * scale) as u16, (img.height * scale) as u16);
    let mut palette: Vec<u8> = Vec::new();
    let mut lookup: HashMap<[u8; 3], u8> = HashMap::new();
    let mut indices = Vec::with_capacity(img.data.len() / 4);
    for px in img.data.chunks_exact(4) {
        let key = [px[0], px[1], px[2]];
        let next = lookup.len();
        let i = match lookup.get(&key) {
            Some(&i) => i,
            None if next < 256 => {
                lookup.insert(key, next as u8);
                palette.extend_from_slice(&key);
                next as u8
            }
            None => {
                let mut rgba = upscale(&img.data, img.width, img.height, 4, scale);
                return gif::Frame::from_rgba_speed(ow, oh, &mut rgba, 10);
            }
        };
        indices.push(i);
    }
    let indices = upscale(&indices, img.width, img.height, 1, scale);
    gif::Frame::from_palette_pixels(ow, oh, indices, palette, None)
}
