//! Errors of the intake. No variant ever carries a token, a secret or a response body that could
//! echo one: they are shown to the streamer and written to logs.

use crate::sink::SinkError;

/// Why `run` or `login` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntakeError {
    /// The configuration cannot work (bad URL, missing client id…). The text says which setting.
    #[error("Donation Alerts configuration: {0}")]
    Config(String),
    /// DA refused the credentials and no refresh could cure it: run `draw-stream login donationalerts`.
    #[error("Donation Alerts login needed: run `draw-stream login donationalerts`")]
    LoginNeeded,
    /// DA kept answering 429 after the Retry-After waits.
    #[error("Donation Alerts rate limit: too many 429 replies")]
    RateLimited,
    /// DA answered with an unexpected HTTP status.
    #[error("Donation Alerts answered HTTP {status} on {what}")]
    Status {
        /// The HTTP status code.
        status: u16,
        /// Which call (e.g. `GET /user/oauth`), never with secrets.
        what: String,
    },
    /// The request did not complete (DNS, connect, timeout).
    #[error("Donation Alerts unreachable on {what}: {reason}")]
    Transport {
        /// Which call.
        what: String,
        /// The transport error, without the URL's query.
        reason: String,
    },
    /// DA's reply did not have the expected shape.
    #[error("Donation Alerts protocol: {0}")]
    Protocol(String),
    /// The WebSocket failed or closed.
    #[error("Donation Alerts socket: {0}")]
    Socket(String),
    /// The OAuth login did not complete.
    #[error("Donation Alerts login failed: {0}")]
    Login(String),
    /// The token file could not be read or written.
    #[error("Donation Alerts token file {path}: {source}")]
    TokenFile {
        /// The token file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The sink (journal) failed.
    #[error("donation sink: {0}")]
    Sink(#[from] SinkError),
    /// Shutdown was requested while the operation was in flight.
    #[error("shutting down")]
    Shutdown,
}

impl IntakeError {
    /// Errors after which a reconnect cannot help until the user acts.
    pub(crate) fn is_login_needed(&self) -> bool {
        matches!(self, IntakeError::LoginNeeded)
    }
}

/// A reqwest error as text, without the URL (ours carry no secrets, but keep logs short).
pub(crate) fn transport(what: &str, err: reqwest::Error) -> IntakeError {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "connection failed"
    } else if err.is_decode() {
        "bad body"
    } else {
        "request failed"
    };
    // One level of cause tells "refused" from "reset"; the error's own text would repeat the URL.
    let reason = match std::error::Error::source(&err) {
        Some(cause) => format!("{kind}: {cause}"),
        None => kind.to_string(),
    };
    IntakeError::Transport { what: what.to_string(), reason }
}
