//! The gallery on disk: every drawing, when first shown, is saved as a crisp ×8 PNG and an animated
//! GIF of its drawing under `<data dir>/gallery/`, so it survives restarts. The streamer bounds it by
//! size (`GALLERY_MAX_MB`) and age (`GALLERY_MAX_DAYS`): the oldest drawings' files go first, their
//! journal rows stay. `draw-stream gallery export DIR` copies what they want to keep.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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

/// The streamer's bounds on the gallery (`None`: no bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    pub max_bytes: Option<u64>,
    pub max_age: Option<Duration>,
}

/// One drawing's files on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    /// PNG and GIF together.
    pub bytes: u64,
    /// When its files were written.
    pub saved: SystemTime,
}

/// Which drawings to remove so the gallery keeps within `limits`: every one older than the age
/// limit, then the oldest (by when they were saved, then id) until the rest fits the size cap. The
/// newest drawing always stays for the size cap, even when it alone is bigger.
pub fn over_limits(items: &[Item], limits: Limits, now: SystemTime) -> Vec<i64> {
    let mut items: Vec<&Item> = items.iter().collect();
    items.sort_by_key(|i| (i.saved, i.id));
    let mut total: u64 = items.iter().map(|i| i.bytes).sum();
    let newest = items.last().map(|i| i.id);
    let mut remove = Vec::new();
    for item in items {
        let too_old = limits.max_age.is_some_and(|a| now.duration_since(item.saved).unwrap_or_default() > a);
        let too_big = limits.max_bytes.is_some_and(|m| total > m) && Some(item.id) != newest;
        if !(too_old || too_big) {
            continue;
        }
        total -= item.bytes;
        remove.push(item.id);
    }
    remove
}

/// The drawings in the gallery directory (a PNG names each; its GIF is counted with it).
pub fn items(data_dir: &Path) -> std::io::Result<Vec<Item>> {
    let entries = match std::fs::read_dir(dir(data_dir)) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".png")).and_then(|n| n.parse::<i64>().ok()) else {
            continue;
        };
        let meta = e.metadata()?;
        let gif = std::fs::metadata(files(data_dir, id).1).map(|m| m.len()).unwrap_or(0);
        out.push(Item { id, bytes: meta.len() + gif, saved: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH) });
    }
    Ok(out)
}

/// Removes the files of the drawings over `limits`; returns their ids.
pub fn enforce(data_dir: &Path, limits: Limits) -> std::io::Result<Vec<i64>> {
    if limits == Limits::default() {
        return Ok(Vec::new());
    }
    let remove = over_limits(&items(data_dir)?, limits, SystemTime::now());
    for &id in &remove {
        self::remove(data_dir, id)?;
    }
    Ok(remove)
}

/// What `gallery export` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Exported {
    /// Drawings in the export (PNG, plus GIF when it exists).
    pub drawings: usize,
    /// Files copied now; the rest were already there, unchanged.
    pub copied: usize,
}

/// Copies every drawing in the gallery to `out` as `<id>-<date>.png` / `.gif`, with `gallery.json`
/// (who asked for what, when) and an `index.html` to browse them. Running it again copies only what
/// is new or changed, so it can be repeated after every stream.
pub fn export(data_dir: &Path, journal: &crate::journal::Journal, out: &Path) -> std::io::Result<Exported> {
    std::fs::create_dir_all(out)?;
    let mut items = items(data_dir)?;
    items.sort_by_key(|i| i.id);
    let mut report = Exported::default();
    let mut index = Vec::new();
    for item in items {
        let row = journal.get(item.id).map_err(std::io::Error::other)?;
        let Some(d) = row else { continue };
        let date = d.shown_at.as_deref().and_then(|t| t.get(..10)).unwrap_or("undated").to_owned();
        let (png, gif) = files(data_dir, item.id);
        let mut names = Vec::new();
        for (from, ext) in [(png, "png"), (gif, "gif")] {
            if !from.exists() {
                names.push(None);
                continue;
            }
            let name = format!("{}-{date}.{ext}", item.id);
            let to = out.join(&name);
            let same =
                std::fs::metadata(&to).is_ok_and(|m| m.len() == std::fs::metadata(&from).map(|f| f.len()).unwrap_or(0));
            if !same {
                std::fs::copy(&from, &to)?;
                report.copied += 1;
            }
            names.push(Some(name));
        }
        report.drawings += 1;
        index.push(serde_json::json!({
            "id": d.id, "donor": d.donor, "message": d.message, "amount": d.amount, "currency": d.currency,
            "shown_at": d.shown_at, "png": names[0], "gif": names[1],
        }));
    }
    let json = serde_json::to_string_pretty(&index).map_err(std::io::Error::other)?;
    write_atomic(&out.join("gallery.json"), json.as_bytes())?;
    write_atomic(&out.join("index.html"), index_html(&index).as_bytes())?;
    Ok(report)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// A page to browse an export offline: each drawing (its GIF on hover), who asked, for what, when.
fn index_html(index: &[serde_json::Value]) -> String {
    let text = |v: &serde_json::Value, k: &str| escape(v[k].as_str().unwrap_or(""));
    let cards: String = index
        .iter()
        .map(|v| {
            let (png, gif) = (text(v, "png"), text(v, "gif"));
            let hover = if gif.is_empty() { String::new() } else { format!(" onmouseover=\"this.src='{gif}'\" onmouseout=\"this.src='{png}'\"") };
            format!(
                "<figure><img src=\"{png}\" alt=\"\"{hover}><figcaption><b>{}</b> · {} {}<br>{}<br><small>{}</small></figcaption></figure>\n",
                text(v, "donor"),
                text(v, "amount"),
                text(v, "currency"),
                text(v, "message"),
                text(v, "shown_at"),
            )
        })
        .collect();
    format!(
        "<!doctype html><meta charset=\"utf-8\"><title>Draw Stream gallery</title>\n<style>body{{background:#111;color:#eee;font:14px sans-serif}}\
         figure{{display:inline-block;width:256px;margin:8px;vertical-align:top}}img{{width:256px;image-rendering:pixelated}}</style>\n\
         <h1>Draw Stream gallery ({} drawings)</h1>\n{cards}",
        index.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn item(id: i64, bytes: u64, days_ago: u64, now: SystemTime) -> Item {
        Item { id, bytes, saved: now - DAY * days_ago as u32 }
    }

    #[test]
    fn the_oldest_drawings_go_first_until_the_gallery_fits_and_age_is_a_limit_of_its_own() {
        let now = SystemTime::now();
        let items = [item(3, 300, 1, now), item(1, 500, 9, now), item(2, 400, 5, now), item(4, 100, 0, now)];
        let none = Limits::default();
        assert!(over_limits(&items, none, now).is_empty(), "no limits, nothing removed");
        let cap = Limits { max_bytes: Some(700), max_age: None };
        assert_eq!(over_limits(&items, cap, now), [1, 2], "1300 bytes → 400: the two oldest go");
        let week = Limits { max_bytes: None, max_age: Some(DAY * 7) };
        assert_eq!(over_limits(&items, week, now), [1]);
        let both = Limits { max_bytes: Some(1000), max_age: Some(DAY * 7) };
        assert_eq!(over_limits(&items, both, now), [1], "after the old one goes, 800 bytes fit");
        let tiny = Limits { max_bytes: Some(10), max_age: None };
        assert_eq!(over_limits(&items, tiny, now), [1, 2, 3], "the newest stays even when it alone is too big");
    }

    #[test]
    fn enforcing_removes_both_files_of_each_drawing_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(super::dir(dir.path())).unwrap();
        for id in 1..=3 {
            let (png, gif) = files(dir.path(), id);
            std::fs::write(png, vec![0u8; 100]).unwrap();
            std::fs::write(gif, vec![0u8; 900]).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        let removed = enforce(dir.path(), Limits { max_bytes: Some(2_500), max_age: None }).unwrap();
        assert_eq!(removed, [1]);
        let (png, gif) = files(dir.path(), 1);
        assert!(!png.exists() && !gif.exists());
        let mut left: Vec<i64> = items(dir.path()).unwrap().iter().map(|i| i.id).collect();
        left.sort();
        assert_eq!(left, [2, 3]);
    }

    #[test]
    fn an_export_holds_every_drawing_with_who_asked_for_what_and_copies_only_what_changed() {
        use crate::journal::{Journal, NewDonation, Source, State, Update};
        let data = tempfile::tempdir().unwrap();
        let journal = Journal::open(&data.path().join("journal.db")).unwrap();
        let d = NewDonation {
            source: Source::MANUAL,
            source_id: "1".into(),
            donor: "<Ann>".into(),
            message: "a fox & a hare".into(),
            amount: "5".into(),
            currency: "USD".into(),
            amount_user: None,
            message_type: "text".into(),
            donor_masked: "<Ann>".into(),
            message_masked: "a fox & a hare".into(),
            placement: Default::default(),
        };
        let id = journal.insert(&d).unwrap().id;
        for (from, to) in [
            (State::Received, State::Moderated),
            (State::Moderated, State::Planned),
            (State::Planned, State::Generated),
            (State::Generated, State::Ready),
        ] {
            journal.claim(from).unwrap().unwrap();
            assert!(journal
                .advance(id, from, to, Update { document: Some("{}".into()), ..Update::default() })
                .unwrap());
        }
        assert!(journal.start_showing(id).unwrap() && journal.finish_showing(id).unwrap());
        std::fs::create_dir_all(super::dir(data.path())).unwrap();
        let (png, gif) = files(data.path(), id);
        std::fs::write(png, b"png").unwrap();
        std::fs::write(gif, b"gif!").unwrap();

        let out = tempfile::tempdir().unwrap();
        let reader = Journal::open_read_only(&data.path().join("journal.db")).unwrap();
        assert_eq!(export(data.path(), &reader, out.path()).unwrap(), Exported { drawings: 1, copied: 2 });
        let date = &journal.get(id).unwrap().unwrap().shown_at.unwrap()[..10];
        assert_eq!(std::fs::read(out.path().join(format!("{id}-{date}.gif"))).unwrap(), b"gif!");
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.path().join("gallery.json")).unwrap()).unwrap();
        assert_eq!(index[0]["message"], "a fox & a hare");
        let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
        assert!(html.contains("&lt;Ann&gt;") && html.contains("a fox &amp; a hare"), "escaped: {html}");
        assert_eq!(
            export(data.path(), &reader, out.path()).unwrap(),
            Exported { drawings: 1, copied: 0 },
            "nothing new"
        );
    }
}
