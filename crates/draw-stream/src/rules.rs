//! The streamer's own moderation rules (`MODERATION_RULES`, a text file of `ACTION PATTERN` lines):
//! read at start-up, where a broken file stops the service with the line at fault, and re-read when
//! the file changes. A change that does not parse keeps the rules in force and is reported on
//! `/health`; a good change applies to the next donation without a restart.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use moderation::{Moderator, Rule};
use serde::Serialize;

/// How often the rules file is looked at for changes.
pub const POLL: Duration = Duration::from_secs(1);

/// Reads and parses a rules file; the error names the file and the line.
pub fn parse_file(path: &Path) -> Result<Vec<Rule>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    moderation::parse_rules(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The built-in lists plus the rules in `path`.
fn compile(path: &Path) -> Result<(Moderator, usize), String> {
    let rules = parse_file(path)?;
    let m = Moderator::with_rules(&rules).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((m, rules.len()))
}

/// What `/health` says about the rules.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RulesStatus {
    /// The rules file, if one is configured.
    pub file: Option<PathBuf>,
    /// How many rules are in force.
    pub rules: usize,
    /// Why the file's latest version is not in force (the previous rules are), if it is not.
    pub problem: Option<String>,
}

/// The moderator in force, swapped whole when the rules file changes.
pub struct Rules {
    current: RwLock<Arc<Moderator>>,
    status: Mutex<(RulesStatus, Option<Stamp>)>,
}

/// What identifies one version of the file: modification time and length.
type Stamp = (SystemTime, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

impl Rules {
    /// The built-in lists plus the configured file's rules (blocking: compiling takes ~0.1–0.3 s).
    pub fn load(path: Option<&Path>) -> Result<Rules, String> {
        let Some(path) = path else {
            return Ok(Rules::from_moderator(Moderator::new(), RulesStatus::default(), None));
        };
        let seen = stamp(path);
        let (m, n) = compile(path)?;
        let status = RulesStatus { file: Some(path.to_owned()), rules: n, problem: None };
        Ok(Rules::from_moderator(m, status, seen))
    }

    fn from_moderator(m: Moderator, status: RulesStatus, seen: Option<Stamp>) -> Rules {
        Rules { current: RwLock::new(Arc::new(m)), status: Mutex::new((status, seen)) }
    }

    /// The moderator to check the next donation with.
    pub fn moderator(&self) -> Arc<Moderator> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The file, the number of rules in force, and any problem with the file's latest version.
    pub fn status(&self) -> RulesStatus {
        self.status.lock().unwrap_or_else(|p| p.into_inner()).0.clone()
    }

    /// Re-reads the file if it changed since it was last read (blocking). Returns true when new
    /// rules came into force.
    pub fn reload_if_changed(&self) -> bool {
        let (path, seen) = {
            let s = self.status.lock().unwrap_or_else(|p| p.into_inner());
            match &s.0.file {
                Some(p) => (p.clone(), s.1),
                None => return false,
            }
        };
        let now = stamp(&path);
        if now == seen && now.is_some() {
            return false;
        }
        let result = match now {
            None => Err(format!("cannot read {}: the file is gone", path.display())),
            Some(_) => compile(&path),
        };
        let mut s = self.status.lock().unwrap_or_else(|p| p.into_inner());
        s.1 = now;
        match result {
            Ok((m, n)) => {
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(m);
                s.0.rules = n;
                s.0.problem = None;
                tracing::info!(file = %path.display(), rules = n, "moderation rules reloaded");
                true
            }
            Err(e) => {
                if s.0.problem.as_deref() != Some(e.as_str()) {
                    tracing::error!(error = %e, "moderation rules not reloaded; the previous rules stay in force");
                }
                s.0.problem = Some(e);
                false
            }
        }
    }
}

/// Watches the rules file until shutdown.
pub async fn watch(app: Arc<crate::app::App>) {
    if app.rules.status().file.is_none() {
        return;
    }
    loop {
        tokio::select! {
            _ = app.shutdown.cancelled() => return,
            _ = tokio::time::sleep(POLL) => {}
        }
        let a = app.clone();
        let _ = tokio::task::spawn_blocking(move || a.rules.reload_if_changed()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moderation::VerdictKind;

    fn write(path: &Path, text: &str) {
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        std::fs::write(path, text).unwrap();
        // A later mtime each time, even on file systems with coarse timestamps.
        let later = Duration::from_secs(WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        std::fs::File::options().write(true).open(path).unwrap().set_modified(SystemTime::now() + later).unwrap();
    }

    #[test]
    fn rules_apply_reload_on_change_and_a_broken_change_keeps_the_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.txt");
        write(&path, "hold ^clown~\n");
        let rules = Rules::load(Some(&path)).unwrap();
        assert_eq!(rules.moderator().check("draw a clown").verdict, VerdictKind::Hold);
        assert!(!rules.reload_if_changed(), "nothing changed");

        write(&path, "hold ^clown~\nblock:gore ^chainsaw~\n");
        assert!(rules.reload_if_changed());
        assert_eq!(rules.moderator().check("a chainsaw").verdict, VerdictKind::Block);
        assert_eq!(rules.status().rules, 2);

        write(&path, "hold ^clown~\nblok ^mime~\n");
        assert!(!rules.reload_if_changed());
        let status = rules.status();
        assert!(status.problem.as_deref().is_some_and(|p| p.contains("line 2") && p.contains("blok")), "{status:?}");
        assert_eq!(rules.moderator().check("a chainsaw").verdict, VerdictKind::Block, "the old rules stay in force");
        assert_eq!(status.rules, 2);

        std::fs::remove_file(&path).unwrap();
        assert!(!rules.reload_if_changed());
        assert!(rules.status().problem.unwrap().contains("gone"));
        assert_eq!(rules.moderator().check("draw a clown").verdict, VerdictKind::Hold);

        write(&path, "hold ^mime~\n");
        assert!(rules.reload_if_changed());
        assert_eq!(rules.status().problem, None);
        assert_eq!(rules.moderator().check("draw a clown").verdict, VerdictKind::Allow);
    }

    #[test]
    fn a_broken_file_at_start_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules.txt");
        std::fs::write(&path, "# mine\nhold\n").unwrap();
        let e = Rules::load(Some(&path)).err().unwrap();
        assert!(e.contains("rules.txt: line 2") && e.contains("no pattern"), "{e}");
        let e = Rules::load(Some(&dir.path().join("missing.txt"))).err().unwrap();
        assert!(e.starts_with("cannot read") && e.contains("missing.txt"), "{e}");
        assert_eq!(Rules::load(None).unwrap().status(), RulesStatus::default());
    }
}
