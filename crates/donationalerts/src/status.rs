//! The intake's state as the HUD and `/health` show it: the source seam's [`source::Status`], under
//! the name this crate has always used.

/// What the intake is doing right now. Published on a `tokio::sync::watch` channel by [`crate::run`].
pub use source::Status as IntakeStatus;
