//! The donation sources, listed in one place.
//!
//! Every source implements [`source::DonationSource`] in its own crate, with its configuration
//! section (its keys, their checks, its constructor); [`KINDS`] is the one list the service reads.
//! The configuration builds the configured ones ([`Sources`]); [`crate::feeds`] runs them.

use std::path::Path;
use std::sync::Arc;

use source::{ConfigProblem, DonationSource, SourceKind};

/// Every kind of source the service knows. Adding a source = its crate + one line here.
pub const KINDS: &[SourceKind] = &[donationalerts::KIND, twitch::KIND, streamelements::KIND];

/// The configured sources, built from their sections at start-up.
#[derive(Clone, Default)]
pub struct Sources(pub Vec<Arc<dyn DonationSource>>);

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.iter().map(|s| s.name().as_str())).finish()
    }
}

impl Sources {
    /// Builds every configured source; every bad key of every section is reported.
    pub fn build(lookup: source::Lookup<'_>, data_dir: &Path) -> Result<Sources, Vec<ConfigProblem>> {
        let mut built = Vec::new();
        let mut problems = Vec::new();
        for kind in KINDS {
            match (kind.build)(lookup, data_dir) {
                Ok(Some(s)) => built.push(s),
                Ok(None) => {}
                Err(p) => problems.extend(p),
            }
        }
        if problems.is_empty() {
            Ok(Sources(built))
        } else {
            Err(problems)
        }
    }

    /// Whether any source is configured (otherwise the service runs the demo).
    pub fn any_configured(lookup: source::Lookup<'_>, data_dir: &Path) -> bool {
        KINDS.iter().any(|k| (k.configured)(lookup, data_dir))
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|s| s.name().as_str()).collect()
    }
}
