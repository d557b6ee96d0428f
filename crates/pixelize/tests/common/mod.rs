//! Test pictures shared by the rich-picture and `colors: auto` tests.

use pixelize::synth::Rng;

/// A 768² picture from 96² cell colours: ×8 nearest, then pixel noise (σ ≈ 3) so that every cell
/// holds many near-duplicate colours, as a real render does.
pub fn render(cells: &[[u8; 3]], seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(768 * 768 * 3);
    for y in 0..768 {
        for x in 0..768 {
            let c = cells[(y / 8) * 96 + x / 8];
            for v in c {
                out.push((v as f32 + 3.0 * rng.gauss()).round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    out
}
