//! The token file: `<data dir>/donationalerts-token.json`, created with mode 0600.
//!
//! Expiry is stored as `obtained_at + expires_in` (unix seconds); the JWT is never decoded.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::IntakeError;

/// What `login` and every refresh store. `Debug` redacts both tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// Always "Bearer" for DA.
    #[serde(default = "bearer")]
    pub token_type: String,
    /// The OAuth access token (a JWT).
    pub access_token: String,
    /// The refresh token, absent for implicit-grant or hand-made files.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Unix seconds after which the access token is expired; `None` if DA did not say.
    #[serde(default)]
    pub expires_at: Option<u64>,
    /// Unix seconds when the token was obtained.
    #[serde(default)]
    pub obtained_at: u64,
    /// The scopes requested (DA cannot be asked which were granted).
    #[serde(default)]
    pub scope: Option<String>,
}

fn bearer() -> String {
    "Bearer".to_string()
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("token_type", &self.token_type)
            .field("access_token", &"<redacted>")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "<redacted>"))
            .field("expires_at", &self.expires_at)
            .field("obtained_at", &self.obtained_at)
            .field("scope", &self.scope)
            .finish()
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl StoredToken {
    /// Reads a `/oauth/token` reply. Per DA's docs a refresh reply may omit the refresh token, in
    /// which case the previous one stays valid.
    pub(crate) fn from_token_response(
        body: &Value,
        previous_refresh: Option<&str>,
        scope: &str,
    ) -> Result<StoredToken, IntakeError> {
        let access_token = body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| IntakeError::Protocol("token reply has no access_token".into()))?
            .to_string();
        let refresh_token = body
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .or_else(|| previous_refresh.map(str::to_string));
        let now = unix_now();
        // expires_in is an integer in DA's replies; accept a float or a numeric string too.
        let expires_in = body.get("expires_in").and_then(|v| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        });
        Ok(StoredToken {
            token_type: body.get("token_type").and_then(Value::as_str).unwrap_or("Bearer").to_string(),
            access_token,
            refresh_token,
            expires_at: expires_in.filter(|s| s.is_finite() && *s > 0.0).map(|s| now + s as u64),
            obtained_at: now,
            scope: Some(scope.to_string()),
        })
    }

    /// Whether the access token expires within `margin_secs`.
    pub(crate) fn expires_within(&self, margin_secs: u64) -> bool {
        match self.expires_at {
            Some(at) => unix_now().saturating_add(margin_secs) >= at,
            None => false,
        }
    }
}

/// The token file on disk.
#[derive(Debug, Clone)]
pub struct TokenFile {
    path: PathBuf,
}

impl TokenFile {
    /// The token file at `path` (usually `<data dir>/donationalerts-token.json`).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TokenFile { path: path.into() }
    }

    /// Where it lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: std::io::Error) -> IntakeError {
        IntakeError::TokenFile { path: self.path.display().to_string(), source }
    }

    /// Reads the token; `Ok(None)` if there is no file.
    pub fn load(&self) -> Result<Option<StoredToken>, IntakeError> {
        source::read_json_secret(&self.path).map_err(|e| self.err(e))
    }

    /// Writes the token atomically (temp file + rename), readable only by the owner (0600).
    pub fn save(&self, token: &StoredToken) -> Result<(), IntakeError> {
        source::write_json_secret(&self.path, token).map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refresh_reply_without_refresh_token_keeps_the_old_one() {
        let t = StoredToken::from_token_response(
            &json!({"token_type":"Bearer","expires_in":31536000,"access_token":"a2"}),
            Some("r1"),
            "s",
        )
        .unwrap();
        assert_eq!(t.refresh_token.as_deref(), Some("r1"));
        assert!(t.expires_at.unwrap() > unix_now() + 31_000_000);
        assert!(!format!("{t:?}").contains("a2"));
    }

    #[test]
    fn save_is_0600_and_round_trips() {
        let dir = std::env::temp_dir().join(format!("da-token-{}", std::process::id()));
        let file = TokenFile::new(dir.join("donationalerts-token.json"));
        let t = StoredToken {
            token_type: "Bearer".into(),
            access_token: "a".into(),
            refresh_token: Some("r".into()),
            expires_at: Some(1),
            obtained_at: 0,
            scope: None,
        };
        file.save(&t).unwrap();
        assert_eq!(file.load().unwrap(), Some(t));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
