//! The demo image backend: no GPU, no server, no model weights.
//!
//! It paints one of a few small procedural 96×96 pixel scenes (chosen by keywords in the prompt, English or
//! Russian, else by seed), then makes it look like what SDXL with `nerijs/pixel-art-xl` returns at 768×768:
//! upscaled ×8 (nearest), slightly blurred, shifted by a fraction of a cell and lightly noised. Everything is
//! derived from the seed and the prompt, so the same request always gives the same picture.

use async_trait::async_trait;

use crate::{GenerateError, GeneratedImage, ImageBackend, ImageRequest};

/// Side of the clean pixel-art scene, in cells.
pub const DEMO_GRID: u32 = 96;

/// Output side when a request leaves width or height at 0 (pixel-art-xl's usual 768×768).
pub const DEMO_DEFAULT_SIZE: u32 = 768;

/// Paints procedural pixel-art scenes; the backend used by `DEMO` mode and by tests.
#[derive(Debug, Default, Clone)]
pub struct DemoBackend;

impl DemoBackend {
    pub fn new() -> Self {
        Self
    }
}

#[async_trait]
impl ImageBackend for DemoBackend {
    fn name(&self) -> &str {
        "demo"
    }

    async fn generate(&self, request: &ImageRequest) -> Result<GeneratedImage, GenerateError> {
        let width = if request.width == 0 { DEMO_DEFAULT_SIZE } else { request.width };
        let height = if request.height == 0 { DEMO_DEFAULT_SIZE } else { request.height };
        if width > 4096 || height > 4096 {
            return Err(GenerateError::Failed(format!("demo backend refuses {width}×{height}: at most 4096×4096")));
        }
        // A few milliseconds in release builds, but CPU work all the same: keep it off the async workers.
        let (seed, prompt) = (request.seed, request.prompt.clone());
        tokio::task::spawn_blocking(move || render_demo(seed, &prompt, width, height))
            .await
            .map_err(|e| GenerateError::Failed(format!("demo painter crashed: {e}")))
    }
}

/// The scenes the demo knows, in the order used when the seed picks one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoScene {
    FoxInSnow,
    CabinUnderAurora,
    Castle,
    CatInSpace,
    SeaWithBoat,
    TreeWithMoon,
}

impl DemoScene {
    pub const ALL: [DemoScene; 6] = [
        DemoScene::FoxInSnow,
        DemoScene::CabinUnderAurora,
        DemoScene::Castle,
        DemoScene::CatInSpace,
        DemoScene::SeaWithBoat,
        DemoScene::TreeWithMoon,
    ];

    /// Word prefixes (lowercase) that select this scene.
    fn keywords(self) -> &'static [&'static str] {
        match self {
            DemoScene::FoxInSnow => &["fox", "лис", "snow", "снег", "снеж", "winter", "зим"],
            DemoScene::CabinUnderAurora => {
                &["cabin", "house", "hut", "aurora", "northern", "дом", "хижин", "избушк", "сияни", "северн"]
            }
            DemoScene::Castle => &[
                "castle",
                "knight",
                "king",
                "queen",
                "princess",
                "dragon",
                "tower",
                "замок",
                "замк",
                "рыцар",
                "корол",
                "принцесс",
                "дракон",
                "башн",
            ],
            DemoScene::CatInSpace => &[
                "cat",
                "kitten",
                "kitty",
                "space",
                "planet",
                "astronaut",
                "galaxy",
                "кот",
                "кош",
                "котён",
                "котен",
                "космос",
                "космич",
                "планет",
                "космонавт",
                "галакт",
            ],
            DemoScene::SeaWithBoat => &[
                "sea",
                "ocean",
                "boat",
                "ship",
                "sail",
                "pirate",
                "море",
                "моря",
                "морск",
                "океан",
                "лодк",
                "корабл",
                "парус",
                "пират",
            ],
            DemoScene::TreeWithMoon => {
                &["tree", "moon", "night", "forest", "oak", "дерев", "дуб", "лун", "ночь", "ночн", "лес"]
            }
        }
    }

    /// Picks the scene whose keyword comes first in the prompt, else one by seed.
    pub fn choose(seed: u64, prompt: &str) -> DemoScene {
        let lower = prompt.to_lowercase();
        let words = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty());
        for word in words {
            // Common words that merely start like a keyword.
            if ["котор", "кошмар", "лист", "лестн", "лень", "домой", "catch", "categ", "seam", "season"]
                .iter()
                .any(|stop| word.starts_with(stop))
            {
                continue;
            }
            for scene in DemoScene::ALL {
                if scene.keywords().iter().any(|k| word.starts_with(k)) {
                    return scene;
                }
            }
        }
        DemoScene::ALL[(splitmix(seed ^ 0x5CE_4E5) % DemoScene::ALL.len() as u64) as usize]
    }
}

/// The clean 96×96 scene (RGB, row-major) that the demo image is made from: the ground truth a pixelizer
/// should recover. Returns `(side, rgb)`.
pub fn demo_scene(seed: u64, prompt: &str) -> (u32, Vec<u8>) {
    let scene = DemoScene::choose(seed, prompt);
    let grid = paint_scene(scene, seed);
    (DEMO_GRID, grid.to_rgb())
}

/// Renders the full demo image at `width`×`height`: the scene upscaled, blurred, shifted and noised.
pub fn render_demo(seed: u64, prompt: &str, width: u32, height: u32) -> GeneratedImage {
    let (side, clean) = demo_scene(seed, prompt);
    let (w, h) = (width.max(1) as usize, height.max(1) as usize);
    let side = side as usize;
    let mut rng = Rng::new(seed ^ 0xD1FF_0510);
    // Sub-cell shift: diffusion output is never perfectly aligned to the 8-px grid.
    let cell_w = (w / side).max(1);
    let cell_h = (h / side).max(1);
    let shift_x = (rng.below(cell_w as u64 / 2 + 1)) as i64;
    let shift_y = (rng.below(cell_h as u64 / 2 + 1)) as i64;

    // Nearest-neighbour upscale with the shift, into 16-bit channels for the blur.
    let mut up = vec![0u16; w * h * 3];
    let src_x: Vec<usize> = (0..w).map(|x| (((x as i64 - shift_x).max(0) as usize) * side / w).min(side - 1)).collect();
    for y in 0..h {
        let sy = (((y as i64 - shift_y).max(0) as usize) * side / h).min(side - 1);
        let row = &mut up[y * w * 3..(y + 1) * w * 3];
        for x in 0..w {
            let s = (sy * side + src_x[x]) * 3;
            row[x * 3] = u16::from(clean[s]);
            row[x * 3 + 1] = u16::from(clean[s + 1]);
            row[x * 3 + 2] = u16::from(clean[s + 2]);
        }
    }

    // Slight separable [1 2 1] blur: soft cell edges, flat cell interiors.
    let mut tmp = vec![0u16; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            let l = x.saturating_sub(1);
            let r = (x + 1).min(w - 1);
            for c in 0..3 {
                let i = |xx: usize| up[(y * w + xx) * 3 + c];
                tmp[(y * w + x) * 3 + c] = (i(l) + 2 * i(x) + i(r) + 2) / 4;
            }
        }
    }
    let mut rgb = vec![0u8; w * h * 3];
    let noise_seed = splitmix(seed ^ 0x0015_E000);
    for y in 0..h {
        let t = y.saturating_sub(1);
        let b = (y + 1).min(h - 1);
        for x in 0..w {
            // Mild noise, one value per pixel with a small per-channel wobble, like diffusion grain.
            let n = splitmix(noise_seed ^ ((y * w + x) as u64));
            let lum = (n % 7) as i32 - 3;
            for c in 0..3 {
                let v = (tmp[(t * w + x) * 3 + c] + 2 * tmp[(y * w + x) * 3 + c] + tmp[(b * w + x) * 3 + c] + 2) / 4;
                let wobble = ((n >> (8 + c * 4)) % 3) as i32 - 1;
                rgb[(y * w + x) * 3 + c] = (i32::from(v) + lum + wobble).clamp(0, 255) as u8;
            }
        }
    }
    GeneratedImage { width: w as u32, height: h as u32, rgb }
}

// ---------------------------------------------------------------------------------------------------------
// Scene painting on a 96×96 grid of palette indices.

/// SplitMix64: a tiny, stable PRNG, so the demo needs no dependency and never changes between versions.
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        splitmix(self.0)
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + self.below((hi - lo + 1) as u64) as i32
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const EMPTY: u8 = u8::MAX;
const N: i32 = DEMO_GRID as i32;

/// A 96×96 grid of palette indices; `EMPTY` marks transparent cells in a sprite layer.
struct Grid {
    cells: Vec<u8>,
    palette: Vec<[u8; 3]>,
}

impl Grid {
    fn new(palette: &[[u8; 3]], fill: u8) -> Self {
        Grid { cells: vec![fill; (N * N) as usize], palette: palette.to_vec() }
    }

    fn layer(&self) -> Grid {
        Grid { cells: vec![EMPTY; (N * N) as usize], palette: Vec::new() }
    }

    fn set(&mut self, x: i32, y: i32, c: u8) {
        if (0..N).contains(&x) && (0..N).contains(&y) {
            self.cells[(y * N + x) as usize] = c;
        }
    }

    fn get(&self, x: i32, y: i32) -> u8 {
        if (0..N).contains(&x) && (0..N).contains(&y) {
            self.cells[(y * N + x) as usize]
        } else {
            EMPTY
        }
    }

    /// Fills `x0..x1` × `y0..y1`.
    fn rect(&mut self, x0: i32, y0: i32, x1: i32, y1: i32, c: u8) {
        for y in y0.max(0)..y1.min(N) {
            for x in x0.max(0)..x1.min(N) {
                self.set(x, y, c);
            }
        }
    }

    fn ellipse(&mut self, cx: i32, cy: i32, rx: i32, ry: i32, c: u8) {
        let (rx2, ry2) = ((rx * rx).max(1) as f32, (ry * ry).max(1) as f32);
        for y in cy - ry..=cy + ry {
            for x in cx - rx..=cx + rx {
                let (dx, dy) = ((x - cx) as f32, (y - cy) as f32);
                if dx * dx / rx2 + dy * dy / ry2 <= 1.0 + 0.5 / (rx.min(ry).max(1) as f32) {
                    self.set(x, y, c);
                }
            }
        }
    }

    fn disc(&mut self, cx: i32, cy: i32, r: i32, c: u8) {
        self.ellipse(cx, cy, r, r, c);
    }

    /// Filled triangle (pixel centres inside or on the edges).
    fn triangle(&mut self, a: (i32, i32), b: (i32, i32), c3: (i32, i32), c: u8) {
        let (minx, maxx) = (a.0.min(b.0).min(c3.0), a.0.max(b.0).max(c3.0));
        let (miny, maxy) = (a.1.min(b.1).min(c3.1), a.1.max(b.1).max(c3.1));
        let edge = |p: (i32, i32), q: (i32, i32), x: i32, y: i32| (q.0 - p.0) * (y - p.1) - (q.1 - p.1) * (x - p.0);
        for y in miny..=maxy {
            for x in minx..=maxx {
                let (e1, e2, e3) = (edge(a, b, x, y), edge(b, c3, x, y), edge(c3, a, x, y));
                if (e1 >= 0 && e2 >= 0 && e3 >= 0) || (e1 <= 0 && e2 <= 0 && e3 <= 0) {
                    self.set(x, y, c);
                }
            }
        }
    }

    fn hline(&mut self, x0: i32, x1: i32, y: i32, c: u8) {
        for x in x0..=x1 {
            self.set(x, y, c);
        }
    }

    fn vline(&mut self, x: i32, y0: i32, y1: i32, c: u8) {
        for y in y0..=y1 {
            self.set(x, y, c);
        }
    }

    /// Copies a sprite layer on top, with a 1-cell outline around it (pixel-art-xl loves outlines).
    fn stamp(&mut self, layer: &Grid, outline: u8) {
        for y in 0..N {
            for x in 0..N {
                let c = layer.get(x, y);
                if c != EMPTY {
                    self.set(x, y, c);
                } else if [(1, 0), (-1, 0), (0, 1), (0, -1)].iter().any(|(dx, dy)| {
                    let n = layer.get(x + dx, y + dy);
                    n != EMPTY
                }) {
                    self.set(x, y, outline);
                }
            }
        }
    }

    /// Scatters 1-cell dots of colour `c` over cells currently holding `on`.
    fn sprinkle(&mut self, rng: &mut Rng, count: usize, y_max: i32, on: &[u8], c: u8) {
        for _ in 0..count {
            let (x, y) = (rng.range(0, N - 1), rng.range(0, y_max.min(N - 1)));
            if on.contains(&self.get(x, y)) {
                self.set(x, y, c);
            }
        }
    }

    /// Vertical two-colour sky with a dithered band between `y0` and `y1`.
    fn sky(&mut self, top: u8, bottom: u8, y0: i32, y1: i32) {
        for y in 0..N {
            for x in 0..N {
                let c = if y < y0 {
                    top
                } else if y >= y1 {
                    bottom
                } else {
                    // Ordered 2×2 dither, denser towards the bottom.
                    let t = (y - y0) * 4 / (y1 - y0).max(1);
                    let bayer = [0, 2, 3, 1][((y & 1) * 2 + (x & 1)) as usize];
                    if bayer < t {
                        bottom
                    } else {
                        top
                    }
                };
                self.set(x, y, c);
            }
        }
    }

    fn to_rgb(&self) -> Vec<u8> {
        self.cells.iter().flat_map(|&c| self.palette[c as usize]).collect()
    }
}

fn hex(rgb: u32) -> [u8; 3] {
    [(rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8]
}

/// Varies every palette colour a little with the seed, so two seeds of one scene still differ.
fn jitter_palette(palette: &[u32], rng: &mut Rng) -> Vec<[u8; 3]> {
    let warm = rng.range(-10, 10);
    palette
        .iter()
        .map(|&c| {
            let [r, g, b] = hex(c);
            let d = rng.range(-8, 8);
            [
                (i32::from(r) + d + warm).clamp(0, 255) as u8,
                (i32::from(g) + d).clamp(0, 255) as u8,
                (i32::from(b) + d - warm).clamp(0, 255) as u8,
            ]
        })
        .collect()
}

fn paint_scene(scene: DemoScene, seed: u64) -> Grid {
    let mut rng = Rng::new(seed ^ 0xA11C_E5CE);
    match scene {
        DemoScene::FoxInSnow => fox_in_snow(&mut rng),
        DemoScene::CabinUnderAurora => cabin_under_aurora(&mut rng),
        DemoScene::Castle => castle(&mut rng),
        DemoScene::CatInSpace => cat_in_space(&mut rng),
        DemoScene::SeaWithBoat => sea_with_boat(&mut rng),
        DemoScene::TreeWithMoon => tree_with_moon(&mut rng),
    }
}

fn fox_in_snow(rng: &mut Rng) -> Grid {
    const SKY_TOP: u8 = 0;
    const SKY_LOW: u8 = 1;
    const SNOW: u8 = 2;
    const SNOW_SHADE: u8 = 3;
    const OUTLINE: u8 = 4;
    const FOX: u8 = 5;
    const CREAM: u8 = 6;
    const FOX_DARK: u8 = 7;
    const PINE: u8 = 8;
    const FLAKE: u8 = 9;
    let palette = jitter_palette(
        &[0x1d2b53, 0x3b5d9c, 0xeef4ff, 0xa9bcd6, 0x1a1423, 0xe8762d, 0xfff1e0, 0x8a3b12, 0x1f5147, 0xffffff],
        rng,
    );
    let mut g = Grid::new(&palette, SKY_TOP);
    g.sky(SKY_TOP, SKY_LOW, 24, 44);
    // Pines on the horizon, with snow caps.
    let pines = rng.range(2, 4);
    for i in 0..pines {
        let x = 8 + i * (80 / pines) + rng.range(0, 10);
        let h = rng.range(16, 26);
        g.triangle((x - 7, 58), (x + 7, 58), (x, 58 - h), PINE);
        g.triangle((x - 2, 60 - h), (x + 2, 60 - h), (x, 58 - h), SNOW);
    }
    // Rolling snow.
    let phase = rng.range(0, 60) as f32 / 10.0;
    for x in 0..N {
        let top = 58 + (3.0 * (x as f32 * 0.07 + phase).sin()).round() as i32;
        g.vline(x, top, N - 1, SNOW);
        if x % 7 < 4 {
            g.set(x, top + 5 + (x % 3), SNOW_SHADE);
        }
    }
    // The sleeping fox, curled up.
    let fx = rng.range(36, 60);
    let fy = rng.range(70, 76);
    let mut fox = g.layer();
    fox.ellipse(fx, fy, 14, 7, FOX);
    fox.ellipse(fx + 2, fy + 3, 10, 3, FOX_DARK);
    fox.ellipse(fx + 9, fy + 4, 10, 4, FOX); // tail wrapped round the front
    fox.ellipse(fx + 16, fy + 4, 4, 3, CREAM); // tail tip
    fox.disc(fx - 11, fy - 2, 6, FOX); // head
    fox.triangle((fx - 16, fy - 6), (fx - 12, fy - 6), (fx - 15, fy - 12), FOX); // ears
    fox.triangle((fx - 10, fy - 6), (fx - 6, fy - 6), (fx - 8, fy - 12), FOX);
    fox.set(fx - 14, fy - 9, FOX_DARK);
    fox.set(fx - 8, fy - 9, FOX_DARK);
    fox.ellipse(fx - 14, fy + 1, 3, 2, CREAM); // muzzle
    fox.hline(fx - 13, fx - 11, fy - 3, OUTLINE); // closed eye
    fox.set(fx - 17, fy + 1, OUTLINE); // nose
    g.stamp(&fox, OUTLINE);
    g.ellipse(fx + 2, fy + 9, 14, 1, SNOW_SHADE); // shadow
    g.sprinkle(rng, 45, 70, &[SKY_TOP, SKY_LOW, PINE], FLAKE);
    g
}

fn cabin_under_aurora(rng: &mut Rng) -> Grid {
    const SKY: u8 = 0;
    const SKY_LOW: u8 = 1;
    const GREEN: u8 = 2;
    const TEAL: u8 = 3;
    const VIOLET: u8 = 4;
    const STAR: u8 = 5;
    const MOUNTAIN: u8 = 6;
    const SNOW: u8 = 7;
    const WOOD: u8 = 8;
    const ROOF: u8 = 9;
    const WINDOW: u8 = 10;
    const OUTLINE: u8 = 11;
    let palette = jitter_palette(
        &[
            0x0b1026, 0x1b2447, 0x3fe0a0, 0x2a9d8f, 0x7b5cd6, 0xffffff, 0x2e3a5c, 0xdfe8f5, 0x7a4a2a, 0x3d2418,
            0xffd25e, 0x120c18,
        ],
        rng,
    );
    let mut g = Grid::new(&palette, SKY);
    g.sky(SKY, SKY_LOW, 30, 52);
    g.sprinkle(rng, 40, 55, &[SKY, SKY_LOW], STAR);
    // Aurora curtains.
    let (p1, p2) = (rng.range(0, 60) as f32 / 10.0, rng.range(0, 60) as f32 / 10.0);
    let base = rng.range(16, 26);
    for x in 0..N {
        let xf = x as f32;
        let cy = base + (6.0 * (xf * 0.09 + p1).sin() + 3.0 * (xf * 0.23 + p2).sin()).round() as i32;
        g.vline(x, cy - 5, cy - 4, VIOLET);
        g.vline(x, cy - 3, cy - 2, TEAL);
        g.vline(x, cy - 1, cy + 1, GREEN);
        let drip = 2 + ((xf * 0.7 + p1).sin() * 3.0).abs() as i32;
        g.vline(x, cy + 2, cy + 2 + drip, TEAL);
    }
    // Mountains.
    let peaks = rng.range(3, 4);
    for i in 0..peaks {
        let x = i * (N / (peaks - 1)) + rng.range(-6, 6);
        let h = rng.range(14, 22);
        g.triangle((x - 24, 66), (x + 24, 66), (x, 66 - h), MOUNTAIN);
        g.triangle((x - 4, 70 - h), (x + 4, 70 - h), (x, 66 - h), SNOW);
    }
    g.rect(0, 66, N, N, SNOW);
    // The cabin.
    let cx = rng.range(30, 66);
    let mut cabin = g.layer();
    cabin.rect(cx - 13, 62, cx + 14, 80, WOOD);
    for y in (64..80).step_by(4) {
        cabin.hline(cx - 13, cx + 13, y, ROOF);
    }
    cabin.rect(cx + 6, 42, cx + 10, 54, ROOF); // chimney
    cabin.triangle((cx - 18, 62), (cx + 18, 62), (cx, 45), ROOF);
    cabin.triangle((cx - 16, 60), (cx + 16, 60), (cx, 47), SNOW);
    cabin.triangle((cx - 12, 61), (cx + 12, 61), (cx, 52), ROOF);
    cabin.rect(cx - 9, 66, cx - 3, 72, WINDOW);
    cabin.vline(cx - 6, 66, 71, ROOF);
    cabin.rect(cx + 3, 68, cx + 9, 80, ROOF); // door
    cabin.set(cx + 7, 74, WINDOW);
    g.stamp(&cabin, OUTLINE);
    // Window glow on the snow, smoke puffs.
    g.rect(cx - 10, 81, cx - 2, 83, WINDOW);
    g.disc(cx + 9, 38, 2, SKY_LOW);
    g.disc(cx + 12, 33, 2, SKY_LOW);
    g
}

fn castle(rng: &mut Rng) -> Grid {
    const SKY: u8 = 0;
    const SKY_LIGHT: u8 = 1;
    const CLOUD: u8 = 2;
    const HILL: u8 = 3;
    const HILL_DARK: u8 = 4;
    const STONE: u8 = 5;
    const STONE_DARK: u8 = 6;
    const ROOF: u8 = 7;
    const DOOR: u8 = 8;
    const GOLD: u8 = 9;
    const OUTLINE: u8 = 10;
    const WINDOW: u8 = 11;
    let palette = jitter_palette(
        &[
            0x5fcde4, 0xcbf1f5, 0xffffff, 0x4b9b3e, 0x2d6b2f, 0x9aa3b5, 0x5f6780, 0xc0392b, 0x5b3a29, 0xf4d03f,
            0x1b1b2f, 0x2a2340,
        ],
        rng,
    );
    let mut g = Grid::new(&palette, SKY);
    g.sky(SKY, SKY_LIGHT, 40, 64);
    let sun_x = rng.range(10, 86);
    g.disc(sun_x, 12, 6, GOLD);
    for _ in 0..rng.range(2, 3) {
        let (x, y) = (rng.range(6, 90), rng.range(10, 30));
        g.ellipse(x, y, 8, 3, CLOUD);
        g.ellipse(x + 4, y - 2, 5, 3, CLOUD);
    }
    // Hills.
    let hx = rng.range(20, 76);
    g.ellipse(hx - 30, 92, 50, 24, HILL_DARK);
    g.ellipse(hx + 30, 94, 46, 22, HILL);
    g.rect(0, 84, N, N, HILL);
    // The castle: a keep between two towers.
    let cx = rng.range(38, 58);
    let base = 82;
    let mut c = g.layer();
    c.rect(cx - 18, 52, cx + 18, base, STONE); // wall
    for x in (cx - 18..cx + 18).step_by(6) {
        c.rect(x, 48, x + 3, 52, STONE); // crenellations
    }
    c.rect(cx - 26, 40, cx - 16, base, STONE); // towers
    c.rect(cx + 16, 40, cx + 26, base, STONE);
    c.triangle((cx - 28, 40), (cx - 14, 40), (cx - 21, 26), ROOF);
    c.triangle((cx + 14, 40), (cx + 28, 40), (cx + 21, 26), ROOF);
    c.rect(cx - 6, 36, cx + 6, 52, STONE); // keep
    c.triangle((cx - 8, 36), (cx + 8, 36), (cx, 20), ROOF);
    c.vline(cx, 12, 20, OUTLINE); // flagpole
    c.rect(cx + 1, 12, cx + 7, 16, GOLD);
    c.rect(cx - 5, 68, cx + 5, base, DOOR);
    c.rect(cx - 3, 66, cx + 3, 68, DOOR);
    for (wx, wy) in [(cx - 22, 48), (cx + 20, 48), (cx - 1, 42), (cx - 12, 60), (cx + 10, 60)] {
        c.rect(wx, wy, wx + 3, wy + 5, WINDOW);
    }
    for y in (56..base).step_by(6) {
        c.hline(cx - 16, cx - 8, y, STONE_DARK);
        c.hline(cx + 8, cx + 15, y + 3, STONE_DARK);
    }
    c.vline(cx - 17, 53, base - 1, STONE_DARK);
    g.stamp(&c, OUTLINE);
    g.rect(cx - 4, base + 1, cx + 4, N, STONE_DARK); // path
    g
}

fn cat_in_space(rng: &mut Rng) -> Grid {
    const SPACE: u8 = 0;
    const NEBULA: u8 = 1;
    const STAR: u8 = 2;
    const STAR_DIM: u8 = 3;
    const PLANET: u8 = 4;
    const RING: u8 = 5;
    const CAT: u8 = 6;
    const STRIPE: u8 = 7;
    const EYE: u8 = 8;
    const OUTLINE: u8 = 9;
    const GLASS: u8 = 10;
    let palette = jitter_palette(
        &[0x0a0a1e, 0x2b1b4f, 0xffffff, 0x8888cc, 0xe07a5f, 0xf2cc8f, 0xf0a04b, 0xb5651d, 0x7bd389, 0x101018, 0x9fd8ff],
        rng,
    );
    let mut g = Grid::new(&palette, SPACE);
    // A soft nebula streak.
    let (p, tilt) = (rng.range(0, 60) as f32 / 10.0, rng.range(-3, 3) as f32 / 10.0);
    for x in 0..N {
        let cy = 48.0 + tilt * (x as f32 - 48.0) + 10.0 * (x as f32 * 0.05 + p).sin();
        for y in 0..N {
            let d = (y as f32 - cy).abs();
            if d < 6.0 || (d < 10.0 && (x + y) % 2 == 0) {
                g.set(x, y, NEBULA);
            }
        }
    }
    g.sprinkle(rng, 50, N - 1, &[SPACE, NEBULA], STAR_DIM);
    g.sprinkle(rng, 25, N - 1, &[SPACE, NEBULA], STAR);
    // Ringed planet in a corner.
    let (px, py) =
        if rng.chance(50) { (rng.range(12, 22), rng.range(12, 24)) } else { (rng.range(72, 84), rng.range(12, 24)) };
    let mut planet = g.layer();
    planet.disc(px, py, 9, PLANET);
    planet.ellipse(px + 3, py - 3, 3, 2, RING);
    planet.ellipse(px, py, 16, 3, RING);
    planet.ellipse(px, py - 1, 11, 1, PLANET);
    g.stamp(&planet, OUTLINE);
    // The cat floating in a helmet.
    let cx = rng.range(38, 58);
    let cy = rng.range(52, 62);
    let mut cat = g.layer();
    cat.disc(cx, cy, 17, GLASS);
    cat.ellipse(cx + 2, cy + 9, 10, 6, CAT); // body
    cat.disc(cx - 1, cy - 2, 9, CAT); // head
    cat.triangle((cx - 10, cy - 6), (cx - 4, cy - 9), (cx - 9, cy - 15), CAT);
    cat.triangle((cx + 2, cy - 9), (cx + 8, cy - 6), (cx + 7, cy - 15), CAT);
    cat.set(cx - 8, cy - 11, STRIPE);
    cat.set(cx + 6, cy - 11, STRIPE);
    cat.hline(cx - 3, cx + 1, cy - 8, STRIPE);
    cat.hline(cx - 2, cx, cy - 6, STRIPE);
    for (dx, dy) in [(-5, -3), (3, -3)] {
        cat.rect(cx + dx, cy + dy, cx + dx + 3, cy + dy + 3, EYE);
        cat.set(cx + dx + 1, cy + dy + 1, OUTLINE);
        cat.set(cx + dx + 2, cy + dy, STAR);
    }
    cat.set(cx - 1, cy + 2, OUTLINE); // nose
    cat.hline(cx - 3, cx + 1, cy + 4, STRIPE);
    for y in [cy + 6, cy + 9, cy + 12] {
        cat.hline(cx + 5, cx + 9, y, STRIPE);
    }
    cat.ellipse(cx + 14, cy + 12, 5, 2, CAT); // tail
    cat.set(cx - 10, cy - 12, STAR); // helmet glint
    cat.set(cx - 11, cy - 11, STAR);
    g.stamp(&cat, OUTLINE);
    g
}

fn sea_with_boat(rng: &mut Rng) -> Grid {
    const SKY_TOP: u8 = 0;
    const SKY_LOW: u8 = 1;
    const SUN: u8 = 2;
    const SEA: u8 = 3;
    const SEA_DARK: u8 = 4;
    const FOAM: u8 = 5;
    const HULL: u8 = 6;
    const SAIL: u8 = 7;
    const OUTLINE: u8 = 8;
    const MAST: u8 = 9;
    const CLOUD: u8 = 10;
    let palette = jitter_palette(
        &[0x6a3d8a, 0xff9a5c, 0xffe066, 0x1f5f8b, 0x123a5a, 0x8fd3ff, 0x6b3e26, 0xf5f0e1, 0x10101a, 0x3b2a1a, 0xffc2a0],
        rng,
    );
    let mut g = Grid::new(&palette, SKY_TOP);
    g.sky(SKY_TOP, SKY_LOW, 18, 40);
    let horizon = rng.range(50, 58);
    let sun_x = rng.range(16, 80);
    g.disc(sun_x, horizon - 2, 10, SUN);
    for _ in 0..rng.range(2, 4) {
        let (x, y) = (rng.range(4, 92), rng.range(6, horizon - 20));
        g.ellipse(x, y, rng.range(6, 10), 2, CLOUD);
    }
    g.rect(0, horizon, N, N, SEA);
    // Sun reflection and wave lines.
    for y in (horizon + 1..N).step_by(3) {
        let w = 8 - (y - horizon) / 6;
        if w > 1 {
            g.hline(sun_x - w, sun_x + w, y, SUN);
        }
    }
    for i in 0..40 {
        let y = horizon + 3 + rng.range(0, N - horizon - 4);
        let x = rng.range(0, N - 6);
        let len = 2 + (y - horizon) / 8;
        g.hline(x, x + len, y, if i % 3 == 0 { FOAM } else { SEA_DARK });
    }
    // The boat.
    let bx = rng.range(28, 66);
    let by = horizon + rng.range(14, 22);
    let mut boat = g.layer();
    boat.rect(bx - 16, by - 4, bx + 17, by, HULL);
    boat.triangle((bx - 16, by - 4), (bx - 10, by + 4), (bx - 10, by - 4), HULL);
    boat.rect(bx - 10, by, bx + 12, by + 4, HULL);
    boat.triangle((bx + 12, by + 4), (bx + 12, by - 4), (bx + 19, by - 4), HULL);
    boat.hline(bx - 14, bx + 16, by - 2, MAST);
    boat.vline(bx, by - 34, by - 5, MAST);
    boat.triangle((bx + 2, by - 33), (bx + 2, by - 7), (bx + 18, by - 8), SAIL);
    boat.triangle((bx - 2, by - 28), (bx - 2, by - 7), (bx - 14, by - 8), SAIL);
    boat.rect(bx + 1, by - 36, bx + 6, by - 33, SUN); // pennant
    g.stamp(&boat, OUTLINE);
    g.hline(bx - 18, bx + 20, by + 5, FOAM);
    g
}

fn tree_with_moon(rng: &mut Rng) -> Grid {
    const SKY: u8 = 0;
    const SKY_LOW: u8 = 1;
    const MOON: u8 = 2;
    const CRATER: u8 = 3;
    const STAR: u8 = 4;
    const HILL: u8 = 5;
    const GRASS: u8 = 6;
    const TRUNK: u8 = 7;
    const LEAVES: u8 = 8;
    const LEAVES_LIGHT: u8 = 9;
    const OUTLINE: u8 = 10;
    const FIREFLY: u8 = 11;
    let palette = jitter_palette(
        &[
            0x14193a, 0x263070, 0xf6f1c7, 0xd8cf94, 0xffffff, 0x1e3b2b, 0x2f5e3a, 0x4a2f23, 0x2e8b57, 0x57c47a,
            0x0b0b14, 0xe9ff70,
        ],
        rng,
    );
    let mut g = Grid::new(&palette, SKY);
    g.sky(SKY, SKY_LOW, 36, 64);
    g.sprinkle(rng, 40, 64, &[SKY, SKY_LOW], STAR);
    let (mx, my) = (rng.range(14, 82), rng.range(12, 24));
    let mut moon = g.layer();
    moon.disc(mx, my, 9, MOON);
    moon.disc(mx - 3, my - 2, 2, CRATER);
    moon.disc(mx + 4, my + 3, 1, CRATER);
    moon.set(mx + 2, my - 4, CRATER);
    g.stamp(&moon, SKY_LOW);
    // Hill.
    let hx = rng.range(36, 60);
    g.ellipse(hx, 110, 70, 36, HILL);
    g.ellipse(hx + 4, 112, 60, 34, GRASS);
    // The tree on the hill.
    let tx = hx + rng.range(-8, 8);
    let ground = 76;
    let mut tree = g.layer();
    tree.rect(tx - 3, ground - 26, tx + 3, ground + 2, TRUNK);
    tree.triangle((tx - 3, ground - 20), (tx - 3, ground - 16), (tx - 12, ground - 27), TRUNK);
    tree.triangle((tx + 3, ground - 22), (tx + 3, ground - 18), (tx + 11, ground - 30), TRUNK);
    tree.disc(tx - 10, ground - 34, 10, LEAVES);
    tree.disc(tx + 10, ground - 36, 11, LEAVES);
    tree.disc(tx, ground - 44, 12, LEAVES);
    tree.disc(tx - 4, ground - 48, 5, LEAVES_LIGHT);
    tree.disc(tx + 9, ground - 41, 4, LEAVES_LIGHT);
    tree.disc(tx - 12, ground - 37, 3, LEAVES_LIGHT);
    tree.vline(tx - 1, ground - 20, ground, OUTLINE); // bark line
    g.stamp(&tree, OUTLINE);
    g.sprinkle(rng, 14, N - 1, &[GRASS, HILL, SKY_LOW], FIREFLY);
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(seed: u64, prompt: &str) -> ImageRequest {
        ImageRequest {
            donation_id: 1,
            prompt: prompt.to_owned(),
            negative_prompt: String::new(),
            seed,
            width: 768,
            height: 768,
        }
    }

    #[tokio::test]
    async fn image_has_requested_size() {
        let img = DemoBackend.generate(&request(7, "pixel art, a fox sleeping in the snow")).await.unwrap();
        assert_eq!((img.width, img.height), (768, 768));
        assert_eq!(img.rgb.len(), 768 * 768 * 3);
        let mut r = request(7, "x");
        r.width = 0;
        r.height = 0;
        let img = DemoBackend.generate(&r).await.unwrap();
        assert_eq!((img.width, img.height), (768, 768));
    }

    #[test]
    fn same_seed_same_image_other_seed_differs() {
        let a = render_demo(42, "pixel art, cabin under aurora", 768, 768);
        let b = render_demo(42, "pixel art, cabin under aurora", 768, 768);
        let c = render_demo(43, "pixel art, cabin under aurora", 768, 768);
        assert_eq!(a, b);
        assert_ne!(a.rgb, c.rgb);
        assert_ne!(demo_scene(42, "cabin").1, demo_scene(43, "cabin").1);
    }

    #[test]
    fn keywords_pick_scenes_in_both_languages() {
        assert_eq!(DemoScene::choose(0, "pixel art, a fox sleeping in the snow"), DemoScene::FoxInSnow);
        assert_eq!(DemoScene::choose(0, "Нарисуй лису"), DemoScene::FoxInSnow);
        assert_eq!(DemoScene::choose(0, "кот в космосе"), DemoScene::CatInSpace);
        assert_eq!(DemoScene::choose(0, "pixel art, cat in space"), DemoScene::CatInSpace);
        assert_eq!(DemoScene::choose(0, "замок на холме"), DemoScene::Castle);
        assert_eq!(DemoScene::choose(0, "a small boat at sea"), DemoScene::SeaWithBoat);
        assert_eq!(DemoScene::choose(0, "дерево и луна"), DemoScene::TreeWithMoon);
        assert_eq!(DemoScene::choose(0, "cozy cabin, northern lights"), DemoScene::CabinUnderAurora);
        // "который" is not a cat.
        assert_ne!(DemoScene::choose(3, "который час"), DemoScene::CatInSpace);
        // Without keywords the seed picks, and every scene is reachable.
        let mut seen = std::collections::HashSet::new();
        for seed in 0..200 {
            seen.insert(format!("{:?}", DemoScene::choose(seed, "pixel art, something abstract")));
        }
        assert_eq!(seen.len(), DemoScene::ALL.len());
    }

    #[test]
    fn scenes_are_flat_pixel_art_with_a_small_palette() {
        for scene in DemoScene::ALL {
            for seed in [1, 2, 3] {
                let grid = paint_scene(scene, seed);
                let used: std::collections::HashSet<u8> = grid.cells.iter().copied().collect();
                assert!(!used.contains(&EMPTY), "{scene:?} left holes");
                assert!((6..=14).contains(&used.len()), "{scene:?} uses {} colours", used.len());
                assert!(grid.palette.len() >= 8 && grid.palette.len() <= 14, "{scene:?}");
            }
        }
    }

    #[test]
    fn the_x8_grid_survives_blur_shift_and_noise() {
        for (seed, prompt) in [(5, "fox"), (6, "castle"), (7, "кот в космосе"), (8, "sea"), (9, "tree"), (10, "aurora")]
        {
            let img = render_demo(seed, prompt, 768, 768);
            let (_, clean) = demo_scene(seed, prompt);
            // Find the shift: the one under which most 8×8 cells are nearly uniform.
            let mut best = 0.0f64;
            for sy in 0..8usize {
                for sx in 0..8usize {
                    let mut uniform = 0;
                    let mut total = 0;
                    for cy in 0..95usize {
                        for cx in 0..95usize {
                            let (mut lo, mut hi) = ([255u8; 3], [0u8; 3]);
                            for y in cy * 8 + sy + 1..cy * 8 + sy + 7 {
                                for x in cx * 8 + sx + 1..cx * 8 + sx + 7 {
                                    for c in 0..3 {
                                        let v = img.rgb[(y * 768 + x) * 3 + c];
                                        lo[c] = lo[c].min(v);
                                        hi[c] = hi[c].max(v);
                                    }
                                }
                            }
                            total += 1;
                            if (0..3).all(|c| hi[c] - lo[c] <= 12) {
                                uniform += 1;
                            }
                        }
                    }
                    best = best.max(f64::from(uniform) / f64::from(total));
                }
            }
            assert!(best > 0.8, "{prompt}: only {best:.2} of cells are uniform");
            // And the cell colours are the clean scene's colours (within blur and noise).
            let mid = |cx: usize, cy: usize| -> [u8; 3] {
                let i = ((cy * 8 + 4) * 768 + cx * 8 + 4) * 3;
                [img.rgb[i], img.rgb[i + 1], img.rgb[i + 2]]
            };
            let mut close = 0;
            for cy in 1..95 {
                for cx in 1..95 {
                    let m = mid(cx, cy);
                    let s = (cy * 96 + cx) * 3;
                    if (0..3).all(|c| (i32::from(m[c]) - i32::from(clean[s + c])).abs() <= 10) {
                        close += 1;
                    }
                }
            }
            assert!(close > 94 * 94 * 7 / 10, "{prompt}: {close} cells match");
        }
    }

    #[test]
    fn renders_quickly() {
        let t = std::time::Instant::now();
        let _ = render_demo(1, "fox", 768, 768);
        eprintln!("demo render 768x768: {:?}", t.elapsed());
        // Generous: debug builds are slow; release takes a few milliseconds.
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
    }
}

#[cfg(test)]
mod dump {
    /// `DEMO_DUMP=/tmp/x cargo test -p generation dump_scenes -- --ignored` writes raw RGB sheets to look at.
    #[test]
    #[ignore]
    fn dump_scenes() {
        let dir = std::env::var("DEMO_DUMP").unwrap_or_else(|_| "/tmp".into());
        let prompts = ["fox", "aurora cabin", "castle", "cat in space", "sea boat", "tree moon"];
        // Sheet: 3 columns × 2 rows of the clean scenes at ×3, plus one full render.
        let (cell, cols) = (96 * 3, 3);
        let (w, h) = (cell * cols, cell * 2);
        let mut sheet = vec![0u8; w * h * 3];
        for (i, p) in prompts.iter().enumerate() {
            let (_, rgb) = super::demo_scene(11 + i as u64, p);
            let (ox, oy) = ((i % cols) * cell, (i / cols) * cell);
            for y in 0..cell {
                for x in 0..cell {
                    let s = ((y / 3) * 96 + x / 3) * 3;
                    let d = ((oy + y) * w + ox + x) * 3;
                    sheet[d..d + 3].copy_from_slice(&rgb[s..s + 3]);
                }
            }
        }
        std::fs::write(format!("{dir}/sheet_{w}x{h}.rgb"), &sheet).unwrap();
        let img = super::render_demo(3, "fox in snow", 768, 768);
        std::fs::write(format!("{dir}/render_768x768.rgb"), &img.rgb).unwrap();
    }
}
