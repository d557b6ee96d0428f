//! Storage health while running (DESIGN.md §5e): when the journal cannot be written — disk full, a
//! read-only data dir, an I/O error, another program holding the lock — nothing is lost and nothing
//! is redone. Intake answers 503 with `Retry-After` instead of accepting what it cannot store (and,
//! once a problem is known, accepts nothing new until the probe clears it); a stage
//! keeps its finished work and waits to record it; the show loop keeps a finished drawing on screen
//! until it is recorded as shown. A probe notices when writing works again and everything carries on
//! by itself. `/health`, the panel and the log name the path and what to do.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::Duration;

use rusqlite::ErrorCode;
use tokio::sync::Notify;

/// How often the probe tries to write while there is a problem.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);
/// What the probe writes (and deletes) to be sure there is room for a picture, not just a byte.
pub const PROBE_BYTES: usize = 4 << 20;
/// What intake tells a client to wait before trying again.
pub const RETRY_AFTER_SECS: u64 = 10;

/// A storage problem's kind, with the streamer's advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    DiskFull,
    ReadOnly,
    Locked,
    Io,
}

impl Problem {
    /// The storage problem behind a journal error, if it is one (other errors are bugs or bad data).
    pub fn of_sqlite(e: &rusqlite::Error) -> Option<Problem> {
        let rusqlite::Error::SqliteFailure(f, _) = e else { return None };
        match f.code {
            ErrorCode::DiskFull => Some(Problem::DiskFull),
            ErrorCode::ReadOnly | ErrorCode::PermissionDenied | ErrorCode::CannotOpen => Some(Problem::ReadOnly),
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Some(Problem::Locked),
            ErrorCode::SystemIoFailure => Some(Problem::Io),
            _ => None,
        }
    }

    /// The storage problem behind a file error, if it is one.
    pub fn of_io(e: &std::io::Error) -> Option<Problem> {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::StorageFull | K::QuotaExceeded => Some(Problem::DiskFull),
            K::ReadOnlyFilesystem | K::PermissionDenied => Some(Problem::ReadOnly),
            _ => None,
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Problem::DiskFull => "the disk is full: free some space on it",
            Problem::ReadOnly => "the data dir is not writable: check its permissions and how its disk is mounted",
            Problem::Locked => "another program holds the journal: close it (is a second Draw Stream running?)",
            Problem::Io => "the disk reports I/O errors: check it",
        }
    }
}

/// The storage state every task shares.
pub struct Storage {
    data_dir: PathBuf,
    problem: RwLock<Option<String>>,
    recovered: Notify,
}

impl Storage {
    pub fn new(data_dir: &Path) -> Storage {
        Storage { data_dir: data_dir.to_owned(), problem: RwLock::new(None), recovered: Notify::new() }
    }

    /// What is wrong now, for `/health` and the panel (`None`: writing works).
    pub fn problem(&self) -> Option<String> {
        self.problem.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Records a failed write of `path`. Returns false (and records nothing) when the error is not a
    /// storage problem.
    pub fn failed(&self, problem: Option<Problem>, path: &Path, error: &dyn std::fmt::Display) -> bool {
        let Some(p) = problem else { return false };
        let text = format!(
            "cannot write {} ({error}): {}. Nothing is lost: Draw Stream waits and carries on by itself",
            path.display(),
            p.advice()
        );
        let mut slot = self.problem.write().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            tracing::error!(problem = %text, "storage problem: intake answers 503, the pipeline waits");
            metrics::gauge!("drawstream_storage_ok").set(0.0);
        }
        *slot = Some(text);
        true
    }

    /// Records a failed journal write; see [`Storage::failed`].
    pub fn journal_failed(&self, e: &rusqlite::Error) -> bool {
        self.failed(Problem::of_sqlite(e), &self.data_dir.join("journal.db"), e)
    }

    /// Waits until writing works again (or `cancel`). Returns at once when there is no problem.
    pub async fn wait_writable(&self, cancel: &tokio_util::sync::CancellationToken) {
        while self.problem().is_some() && !cancel.is_cancelled() {
            tokio::select! {
                _ = self.recovered.notified() => {}
                _ = tokio::time::sleep(PROBE_EVERY) => {}
                _ = cancel.cancelled() => {}
            }
        }
    }

    pub fn clear(&self) {
        let mut slot = self.problem.write().unwrap_or_else(|p| p.into_inner());
        if slot.take().is_some() {
            tracing::info!(data_dir = %self.data_dir.display(), "storage writable again: carrying on");
            metrics::gauge!("drawstream_storage_ok").set(1.0);
        }
        drop(slot);
        self.recovered.notify_waiters();
    }

    /// One probe: room for a picture in the data dir, and a write to the journal.
    pub fn probe(&self, journal: &crate::journal::Journal) -> Result<(), String> {
        let path = self.data_dir.join(".storage-probe");
        let written = std::fs::write(&path, vec![0u8; PROBE_BYTES]);
        let _ = std::fs::remove_file(&path);
        written.map_err(|e| format!("{}: {e}", path.display()))?;
        journal.meta_set("storage_probe", &chrono::Utc::now().to_rfc3339()).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_errors_are_told_apart_from_other_errors_and_name_the_path() {
        let full = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(13), None);
        assert_eq!(Problem::of_sqlite(&full), Some(Problem::DiskFull));
        let constraint = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(19), None);
        assert_eq!(Problem::of_sqlite(&constraint), None, "a constraint error is not the disk's fault");
        let io = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert_eq!(Problem::of_io(&io), Some(Problem::DiskFull));

        let s = Storage::new(Path::new("/srv/draw"));
        assert!(!s.journal_failed(&constraint));
        assert_eq!(s.problem(), None);
        assert!(s.journal_failed(&full));
        let text = s.problem().unwrap();
        assert!(text.starts_with("cannot write /srv/draw/journal.db") && text.contains("the disk is full"), "{text}");
        s.clear();
        assert_eq!(s.problem(), None);
    }
}
