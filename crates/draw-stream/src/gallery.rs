//! The gallery on disk: every drawing, when first shown, is saved as a crisp ×8 PNG and an animated
//! GIF of its drawing under `<data dir>/gallery/`, so it survives restarts.

use std::path::{Path, PathBuf};

/// Upscale of gallery PNGs and GIFs (96×96 → 768×768).
pub const SCALE: u32 = 8;
/// Frames per second of gallery GIFs.
pub const GIF_FPS: u32 = 12;

/// Directory of the gallery files.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("gallery")
}

/// Paths of one drawing's files.
pub fn files(data_dir: &Path, id: i64) -> (PathBuf, PathBuf) {
    let d = dir(data_dir);
    (d.join(format!("{id}.png")), d.join(format!("{id}.gif")))
}

/// Writes the PNG and GIF of a shown drawing unless they exist (a replay does not rewrite them).
/// Each file is written to a temporary name and renamed, so a crash never leaves half a file.
pub fn save(data_dir: &Path, id: i64, timeline: &canvas::Timeline) -> std::io::Result<()> {
    let (png, gif) = files(data_dir, id);
    if png.exists() && gif.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir(data_dir))?;
    let mut last = canvas::Image { width: 0, height: 0, data: Vec::new() };
    timeline.render_at(timeline.duration_ms(), &mut last);
    write_atomic(&png, &canvas::encode_png(&last, SCALE))?;
    write_atomic(&gif, &canvas::encode_gif(timeline, GIF_FPS, SCALE / 2))?;
    Ok(())
}

/// Writes a file through a temporary name and a rename, so a crash never leaves half a file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Removes one drawing's files (gallery delete).
pub fn remove(data_dir: &Path, id: i64) -> std::io::Result<()> {
    let (png, gif) = files(data_dir, id);
    for p in [png, gif] {
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}
