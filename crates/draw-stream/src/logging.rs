//! Logging: human-readable by default, JSON with `LOG_FORMAT=json`; LOG_LEVEL sets verbosity and
//! RUST_LOG, when set, takes precedence. Donation ids travel as span fields on every event.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Maps the original's level names (CRITICAL, WARNING, …) to tracing's.
fn level_directive(level: &str) -> &'static str {
    match level.to_ascii_lowercase().as_str() {
        "critical" | "error" => "error",
        "warning" | "warn" => "warn",
        "debug" => "debug",
        "trace" => "trace",
        _ => "info",
    }
}

/// Installs the global subscriber (once; later calls are ignored).
pub fn init(level: &str, format: LogFormat) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => EnvFilter::new(v),
        // tungstenite logs raw frames at trace level, and DA's frames carry socket tokens.
        _ => EnvFilter::new(format!("{},tungstenite=info,tokio_tungstenite=info", level_directive(level))),
    };
    // A log that cannot be written (stderr sent to a file on a full disk) must not take the service
    // down: tracing's own error report uses `eprintln!`, which panics when stderr fails too.
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).log_internal_errors(false);
    let _ = match format {
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(true).try_init(),
        LogFormat::Text => builder.with_target(false).try_init(),
    };
}
