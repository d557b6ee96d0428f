//! The streamer's own moderation rules: a text file of `ACTION PATTERN` lines (`MODERATION_RULES`, else
//! `<data dir>/moderation-rules.txt` when it exists). Read at start-up, where a broken file stops the
//! service with the line at fault; re-read when the file changes, or replaced whole from the panel
//! (`PUT /moderation/rules`). A version that does not parse never comes into force: the rules in force
//! stay, and `/health` says what is wrong.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use moderation::{Moderator, Rule};
use serde::Serialize;

/// How often the rules file is looked at for changes.
pub const POLL: Duration = Duration::from_secs(1);

/// The largest rules file accepted (a few thousand rules).
pub const MAX_BYTES: usize = 256 * 1024;

/// Where the rules live, and whether the file must exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesFile {
    pub path: PathBuf,
    /// True when the streamer named the file (`MODERATION_RULES`): it must exist. The default file in
    /// the data dir is optional.
    pub required: bool,
}

/// Parses a rules file's text; the error names the line.
fn parse_text(text: &str) -> Result<Vec<Rule>, String> {
    if text.len() > MAX_BYTES {
        return Err(format!("{} bytes; at most {MAX_BYTES} are accepted", text.len()));
    }
    moderation::parse_rules(text).map_err(|e| e.to_string())
}

/// Reads and parses a rules file; the error names the file and the line.
pub fn parse_file(path: &Path) -> Result<Vec<Rule>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_text(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The built-in lists plus `rules`.
fn compile(rules: &[Rule]) -> Result<Moderator, String> {
    let m = Moderator::with_rules(rules).map_err(|e| e.to_string());
    crate::memory::release_freed();
    m
}

/// What `/health` and `/moderation/rules` say about the rules.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RulesStatus {
    /// The rules file (it may not exist yet when it is the default one).
    pub file: Option<PathBuf>,
    /// How many rules are in force.
    pub rules: usize,
    /// Why the file's latest version is not in force (the previous rules are), if it is not.
    pub problem: Option<String>,
}

/// Why the rules could not be replaced.
#[derive(Debug)]
pub enum ReplaceError {
    /// The text does not parse; nothing was written.
    Invalid(String),
    /// The file could not be written.
    Io(String),
}

/// The moderator in force, swapped whole when the rules change.
pub struct Rules {
    file: Option<RulesFile>,
    current: RwLock<Arc<Moderator>>,
    /// What was last read; also serialises reloads and writes.
    state: Mutex<Loaded>,
}

/// The version of the file last read, how many rules are in force, and why that version is not in
/// force if it is not.
#[derive(Default)]
struct Loaded {
    seen: Option<Stamp>,
    rules: usize,
    problem: Option<String>,
}

/// What identifies one version of the file: modification time and length.
type Stamp = (SystemTime, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

impl Rules {
    /// Whether the rules come from a file (which is then watched for changes).
    pub fn has_file(&self) -> bool {
        self.file.is_some()
    }

    /// The built-in lists plus the file's rules (blocking: compiling takes ~0.1–0.3 s). A required
    /// file that is missing or broken, or an optional one that is broken, is an error.
    pub fn load(file: Option<RulesFile>) -> Result<Rules, String> {
        let Some(f) = file else {
            return Ok(Rules::with(None, compile(&[])?, Loaded::default()));
        };
        let seen = stamp(&f.path);
        let rules = if seen.is_none() && !f.required { Vec::new() } else { parse_file(&f.path)? };
        let m = compile(&rules).map_err(|e| format!("{}: {e}", f.path.display()))?;
        Ok(Rules::with(Some(f), m, Loaded { seen, rules: rules.len(), problem: None }))
    }

    fn with(file: Option<RulesFile>, m: Moderator, loaded: Loaded) -> Rules {
        Rules { file, current: RwLock::new(Arc::new(m)), state: Mutex::new(loaded) }
    }

    /// The moderator to check the next donation with.
    pub fn moderator(&self) -> Arc<Moderator> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The file, the number of rules in force, and any problem with the file's latest version.
    pub fn status(&self) -> RulesStatus {
        let loaded = self.lock();
        RulesStatus {
            file: self.file.as_ref().map(|f| f.path.clone()),
            rules: loaded.rules,
            problem: loaded.problem.clone(),
        }
    }

    /// The file's text ("" when there is no file yet).
    pub fn text(&self) -> Result<String, String> {
        let Some(f) = &self.file else { return Ok(String::new()) };
        match std::fs::read_to_string(&f.path) {
            Ok(t) => Ok(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(format!("cannot read {}: {e}", f.path.display())),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Loaded> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn put_in_force(&self, loaded: &mut Loaded, m: Moderator, rules: usize, seen: Option<Stamp>) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(m);
        *loaded = Loaded { seen, rules, problem: None };
    }

    /// Re-reads the file if it changed since it was last read (blocking). Returns true when new
    /// rules came into force.
    pub fn reload_if_changed(&self) -> bool {
        let Some(f) = &self.file else { return false };
        let mut state = self.lock();
        let now = stamp(&f.path);
        if now == state.seen && (now.is_some() || state.problem.is_some() || !f.required) {
            return false;
        }
        let result = match now {
            None if !f.required => Ok(Vec::new()),
            None => Err(format!("cannot read {}: the file is gone", f.path.display())),
            Some(_) => parse_file(&f.path),
        };
        match result.and_then(|rules| compile(&rules).map(|m| (m, rules.len()))) {
            Ok((m, n)) => {
                self.put_in_force(&mut state, m, n, now);
                tracing::info!(file = %f.path.display(), rules = n, "moderation rules reloaded");
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "moderation rules not reloaded; the previous rules stay in force");
                state.problem = Some(e);
                state.seen = now;
                false
            }
        }
    }

    /// Replaces the rules with `text` (blocking): checked first, then written to the file (atomically,
    /// through a temporary file) and put in force. Returns the number of rules.
    pub fn replace(&self, text: &str) -> Result<usize, ReplaceError> {
        let Some(f) = &self.file else {
            return Err(ReplaceError::Io("no rules file is configured".into()));
        };
        let rules = parse_text(text).map_err(ReplaceError::Invalid)?;
        let m = compile(&rules).map_err(ReplaceError::Invalid)?;
        let mut state = self.lock();
        let io = |e: std::io::Error| ReplaceError::Io(format!("cannot write {}: {e}", f.path.display()));
        let tmp = f.path.with_extension("txt.tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, &f.path).map_err(io)?;
        self.put_in_force(&mut state, m, rules.len(), stamp(&f.path));
        tracing::info!(file = %f.path.display(), rules = rules.len(), "moderation rules replaced from the API");
        Ok(rules.len())
    }
}

/// The verdict on `text` as one JSON line of `draw-stream moderate` (DESIGN.md §6), with `rule` added
/// when one of the streamer's rules decided it.
pub fn verdict_json(text: &str, v: &moderation::Verdict) -> serde_json::Value {
    let mut line =
        serde_json::json!({ "text": text, "verdict": v.verdict, "category": v.category, "masked": v.masked });
    if let Some(rule) = &v.rule {
        line["rule"] = serde_json::Value::String(rule.clone());
    }
    line
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
        let rules = Rules::load(Some(RulesFile { path: path.clone(), required: true })).unwrap();
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
        let e = Rules::load(Some(RulesFile { path: path.clone(), required: false })).err().unwrap();
        assert!(e.contains("rules.txt: line 2") && e.contains("no pattern"), "{e}");
        let missing = dir.path().join("missing.txt");
        let e = Rules::load(Some(RulesFile { path: missing.clone(), required: true })).err().unwrap();
        assert!(e.starts_with("cannot read") && e.contains("missing.txt"), "{e}");
        assert_eq!(Rules::load(None).unwrap().status(), RulesStatus::default());
    }

    #[test]
    fn the_default_file_is_optional_and_the_panel_can_write_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("moderation-rules.txt");
        let rules = Rules::load(Some(RulesFile { path: path.clone(), required: false })).unwrap();
        assert_eq!((rules.status().rules, rules.text().unwrap().as_str()), (0, ""));
        assert!(!rules.reload_if_changed(), "a missing optional file is not a problem");
        assert_eq!(rules.status().problem, None);

        // A broken text is refused with its line, and nothing is written.
        match rules.replace("hold ^clown~\nblock:violence ^axe~\n") {
            Err(ReplaceError::Invalid(e)) => assert!(e.starts_with("line 2: unknown category"), "{e}"),
            other => panic!("expected Invalid, got {other:?}"),
        }
        assert!(!path.exists());

        assert_eq!(rules.replace("hold ^clown~\n").unwrap(), 1);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "hold ^clown~\n");
        assert_eq!(rules.moderator().check("a clown").verdict, VerdictKind::Hold, "in force at once");
        assert!(!rules.reload_if_changed(), "its own write is not a change to reload");

        // Deleting the optional file goes back to the built-in lists only.
        std::fs::remove_file(&path).unwrap();
        assert!(rules.reload_if_changed());
        assert_eq!((rules.status().rules, rules.status().problem), (0, None));
        assert_eq!(rules.moderator().check("a clown").verdict, VerdictKind::Allow);
    }
}
