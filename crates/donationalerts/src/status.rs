//! The intake's state as the HUD and `/health` show it.

use std::fmt;

/// What the intake is doing right now. Published on a `tokio::sync::watch` channel by [`crate::run`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeStatus {
    /// No Donation Alerts credentials are configured; the intake does nothing.
    Disabled,
    /// Fetching the socket token, opening the socket, subscribing.
    Connecting,
    /// Subscribed; donations arrive as they are made.
    Live,
    /// Reading the REST list back to the watermark (after a (re)subscribe or while the socket is down).
    CatchingUp,
    /// The socket is down; the next attempt starts in `in_secs` seconds.
    Reconnecting {
        /// Seconds until the next attempt (rounded up).
        in_secs: u64,
    },
    /// DA refused the token and refreshing did not help: `draw-stream login donationalerts`.
    LoginNeeded,
    /// `run` has returned.
    Stopped,
}

impl IntakeStatus {
    /// Whether donations currently arrive in real time.
    pub fn is_live(&self) -> bool {
        matches!(self, IntakeStatus::Live)
    }
}

impl fmt::Display for IntakeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntakeStatus::Disabled => f.write_str("off"),
            IntakeStatus::Connecting => f.write_str("connecting"),
            IntakeStatus::Live => f.write_str("live"),
            IntakeStatus::CatchingUp => f.write_str("catching up"),
            IntakeStatus::Reconnecting { in_secs } => write!(f, "reconnecting in {in_secs} s"),
            IntakeStatus::LoginNeeded => f.write_str("login needed"),
            IntakeStatus::Stopped => f.write_str("stopped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hud_text() {
        assert_eq!(IntakeStatus::Live.to_string(), "live");
        assert_eq!(IntakeStatus::CatchingUp.to_string(), "catching up");
        assert_eq!(IntakeStatus::Reconnecting { in_secs: 5 }.to_string(), "reconnecting in 5 s");
        assert_eq!(IntakeStatus::LoginNeeded.to_string(), "login needed");
    }
}
