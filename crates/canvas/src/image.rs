//! The RGBA frame every renderer writes into.

/// An RGBA8 image, row-major, `data.len() == width * height * 4`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl Image {
    /// A `width`×`height` image filled with `color`.
    pub fn new(width: u32, height: u32, color: [u8; 4]) -> Image {
        let n = width as usize * height as usize;
        let mut data = Vec::with_capacity(n * 4);
        for _ in 0..n {
            data.extend_from_slice(&color);
        }
        Image { width, height, data }
    }

    /// An empty image, to be passed to [`crate::Timeline::render_at`] which sizes it.
    pub fn empty() -> Image {
        Image { width: 0, height: 0, data: Vec::new() }
    }

    /// The pixel at (x, y). Panics outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        assert!(x < self.width && y < self.height, "pixel ({x}, {y}) outside {}x{}", self.width, self.height);
        let i = (y as usize * self.width as usize + x as usize) * 4;
        [self.data[i], self.data[i + 1], self.data[i + 2], self.data[i + 3]]
    }
}

impl Default for Image {
    fn default() -> Self {
        Image::empty()
    }
}
