//! What every platform client needs the same way: reconnect backoff, `Retry-After`, and the token
//! file (written atomically, readable by the owner only).

use std::collections::{HashSet, VecDeque};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use rand::Rng;

/// `min·2^attempt`, capped at `max`, times a random factor in [0.5, 1.5) (then capped again): the
/// reconnect delay, with jitter so many clients do not come back at the same instant.
pub fn backoff_delay(attempt: u32, min: Duration, max: Duration) -> Duration {
    let base = min.as_secs_f64() * 2f64.powi(attempt.min(30) as i32);
    let capped = base.min(max.as_secs_f64());
    let factor: f64 = rand::rng().random_range(0.5..1.5);
    Duration::from_secs_f64((capped * factor).min(max.as_secs_f64()))
}

/// A `Retry-After` header value in seconds, capped at `max`; `default` when absent or unreadable.
pub fn retry_after(value: Option<&str>, default: Duration, max: Duration) -> Duration {
    value
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(default)
        .min(max)
}

/// Reads a secret file; `Ok(None)` when it does not exist.
pub fn read_secret(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads a JSON secret file (a saved login); `Ok(None)` when it does not exist, `InvalidData` naming
/// the line and column when it is not what was saved (never echoing the content).
pub fn read_json_secret<T: serde::de::DeserializeOwned>(path: &Path) -> std::io::Result<Option<T>> {
    let Some(text) = read_secret(path)? else { return Ok(None) };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a token file (line {}, column {})", e.line(), e.column()),
        )
    })
}

/// Writes a value as a JSON secret file ([`write_secret`]: atomic, owner-only).
pub fn write_json_secret<T: serde::Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let body = serde_json::to_vec_pretty(value).map_err(|e| std::io::Error::other(e.to_string()))?;
    write_secret(path, &body)
}

/// Writes a secret file atomically: a fresh temp file created with mode 0600 (never widened and
/// then narrowed), synced, then renamed over the old file. A temp file left by a crash is replaced.
pub fn write_secret(path: &Path, body: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(body)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// The last `capacity` ids seen, in bounded memory: drops a platform's redelivery before it
/// reaches the journal (which dedupes anyway).
pub struct RecentIds {
    order: VecDeque<String>,
    set: HashSet<String>,
    capacity: usize,
}

impl RecentIds {
    pub fn new(capacity: usize) -> RecentIds {
        RecentIds { order: VecDeque::new(), set: HashSet::new(), capacity: capacity.max(1) }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    /// Remembers `id` (forgetting the oldest beyond `capacity`); true the first time.
    pub fn insert(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.order.push_back(id.to_string());
        self.set.insert(id.to_string());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(60));
        for _ in 0..100 {
            let first = backoff_delay(0, min, max);
            assert!(first >= Duration::from_millis(500) && first < Duration::from_millis(1500), "{first:?}");
            assert!(backoff_delay(20, min, max) <= max);
            assert!(backoff_delay(4, min, max) >= Duration::from_secs(8));
        }
    }

    #[test]
    fn retry_after_is_read_capped_and_defaulted() {
        let (d, max) = (Duration::from_secs(2), Duration::from_secs(120));
        assert_eq!(retry_after(Some(" 5 "), d, max), Duration::from_secs(5));
        assert_eq!(retry_after(Some("0.5"), d, max), Duration::from_millis(500));
        assert_eq!(retry_after(Some("9999"), d, max), max);
        assert_eq!(retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT"), d, max), d);
        assert_eq!(retry_after(Some("-3"), d, max), d);
        assert_eq!(retry_after(None, d, max), d);
    }

    #[test]
    fn a_secret_is_written_owner_only_and_replaced_atomically() {
        let dir = std::env::temp_dir().join(format!("source-secret-{}", std::process::id()));
        let path = dir.join("nested").join("token.json");
        assert_eq!(read_secret(&path).unwrap(), None);
        // A temp file a crash left behind, readable by everyone.
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(dir.join("nested").join("token.json.tmp"), "old").unwrap();
        write_secret(&path, b"first").unwrap();
        write_secret(&path, b"second").unwrap();
        assert_eq!(read_secret(&path).unwrap().as_deref(), Some("second"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(!dir.join("nested").join("token.json.tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn recent_ids_are_bounded() {
        let mut s = RecentIds::new(2);
        assert!(s.insert("a") && !s.insert("a") && s.contains("a"));
        assert!(s.insert("b") && s.insert("c"));
        assert!(!s.contains("a") && s.insert("a"), "the oldest id was forgotten");
    }
}
