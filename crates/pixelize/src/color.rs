//! Colour spaces: sRGB bytes to Oklab (used for clustering) and CIELAB (used for ΔE76 scores).
//!
//! Oklab coordinates are scaled by 100 so that distances read roughly like ΔE numbers
//! (a just-noticeable difference is about 1–2 units in both spaces).

/// sRGB byte → linear light, as a table (the transfer curve is the expensive part).
fn srgb_to_linear_table() -> &'static [f32; 256] {
    use std::sync::OnceLock;
    static TABLE: OnceLock<[f32; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0.0f32; 256];
        for (i, v) in t.iter_mut().enumerate() {
            let c = i as f32 / 255.0;
            *v = if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) };
        }
        t
    })
}

/// Linear light → sRGB byte (rounded, clamped).
pub fn linear_to_srgb(v: f32) -> u8 {
    let v = v.clamp(0.0, 1.0);
    let c = if v <= 0.003_130_8 { v * 12.92 } else { 1.055 * v.powf(1.0 / 2.4) - 0.055 };
    (c * 255.0 + 0.5).clamp(0.0, 255.0) as u8
}

/// sRGB bytes → Oklab ×100 (L in 0..100, a/b roughly −40..40).
pub fn oklab(rgb: [u8; 3]) -> [f32; 3] {
    let t = srgb_to_linear_table();
    let (r, g, b) = (t[rgb[0] as usize], t[rgb[1] as usize], t[rgb[2] as usize]);
    let l = (0.412_221_46 * r + 0.536_332_55 * g + 0.051_445_995 * b).cbrt();
    let m = (0.211_903_5 * r + 0.680_699_5 * g + 0.107_396_96 * b).cbrt();
    let s = (0.088_302_46 * r + 0.281_718_85 * g + 0.629_978_7 * b).cbrt();
    [
        100.0 * (0.210_454_26 * l + 0.793_617_8 * m - 0.004_072_047 * s),
        100.0 * (1.977_998_5 * l - 2.428_592_2 * m + 0.450_593_7 * s),
        100.0 * (0.025_904_037 * l + 0.782_771_77 * m - 0.808_675_77 * s),
    ]
}

/// Weight of Oklab's a and b (chroma) against L in [`palette_space`].
pub const CHROMA_WEIGHT: f32 = 2.0;

/// The space the palette is clustered in: Oklab ×100 with chroma weighted by [`CHROMA_WEIGHT`].
///
/// Lighting and shading in pseudo pixel art move mostly lightness, while a pixel artist's palette
/// separates hues and saturations by small Oklab steps (an orange and a peach are only ~3 Oklab
/// units apart). Weighting chroma keeps such palette steps apart and lets shading variants merge.
pub fn palette_space(rgb: [u8; 3]) -> [f32; 3] {
    let o = oklab(rgb);
    [o[0], CHROMA_WEIGHT * o[1], CHROMA_WEIGHT * o[2]]
}

/// Oklab ×100 → sRGB bytes (clamped to the gamut).
pub fn oklab_to_rgb(lab: [f32; 3]) -> [u8; 3] {
    let (ll, a, b) = (lab[0] / 100.0, lab[1] / 100.0, lab[2] / 100.0);
    let l = (ll + 0.396_337_78 * a + 0.215_803_76 * b).powi(3);
    let m = (ll - 0.105_561_346 * a - 0.063_854_17 * b).powi(3);
    let s = (ll - 0.089_484_18 * a - 1.291_485_5 * b).powi(3);
    [
        linear_to_srgb(4.076_741_7 * l - 3.307_711_6 * m + 0.230_969_94 * s),
        linear_to_srgb(-1.268_438 * l + 2.609_757_4 * m - 0.341_319_38 * s),
        linear_to_srgb(-0.004_196_086_3 * l - 0.703_418_6 * m + 1.707_614_7 * s),
    ]
}

/// sRGB bytes → CIELAB (D65), for ΔE76 scores.
pub fn cielab(rgb: [u8; 3]) -> [f32; 3] {
    let t = srgb_to_linear_table();
    let (r, g, b) = (t[rgb[0] as usize], t[rgb[1] as usize], t[rgb[2] as usize]);
    let x = (0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b) / 0.950_47;
    let y = 0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b;
    let z = (0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b) / 1.088_83;
    fn f(t: f32) -> f32 {
        if t > 0.008_856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    }
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// Squared Euclidean distance between two 3-vectors.
#[inline]
pub fn dist2(a: [f32; 3], b: [f32; 3]) -> f32 {
    let d0 = a[0] - b[0];
    let d1 = a[1] - b[1];
    let d2 = a[2] - b[2];
    d0 * d0 + d1 * d1 + d2 * d2
}

/// CIE76 colour difference between two sRGB colours.
pub fn delta_e76(a: [u8; 3], b: [u8; 3]) -> f32 {
    dist2(cielab(a), cielab(b)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oklab_round_trip() {
        for rgb in [[0, 0, 0], [255, 255, 255], [200, 30, 90], [12, 240, 100], [128, 128, 128]] {
            let back = oklab_to_rgb(oklab(rgb));
            for c in 0..3 {
                assert!((back[c] as i32 - rgb[c] as i32).abs() <= 1, "{rgb:?} -> {back:?}");
            }
        }
    }

    #[test]
    fn lab_white_is_100() {
        let l = cielab([255, 255, 255]);
        assert!((l[0] - 100.0).abs() < 0.1 && l[1].abs() < 0.5 && l[2].abs() < 0.5);
    }
}
