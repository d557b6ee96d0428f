//! Pieces shared by the image backends that talk to a server ([`crate::comfyui`], [`crate::a1111`]):
//! base-URL normalisation, the HTTP client, request-error wording, the image size and the progress cell.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::{GenerateError, ImageRequest};

/// A configured server address as a base URL: trimmed, `http://` added when no scheme is given, and a
/// trailing slash, so `join("prompt")` keeps any path prefix.
pub(crate) fn base_url(raw: &str) -> Result<url::Url, url::ParseError> {
    let mut text = raw.trim().to_owned();
    if !text.contains("://") {
        text = format!("http://{text}");
    }
    if !text.ends_with('/') {
        text.push('/');
    }
    url::Url::parse(&text)
}

/// `path` under `base` (see [`base_url`]).
pub(crate) fn join_url(base: &url::Url, path: &str) -> String {
    base.join(path).map(|u| u.to_string()).unwrap_or_else(|_| format!("{base}{path}"))
}

/// The backends' HTTP client: a short connect timeout; each request sets its own overall limit.
pub(crate) fn http_client() -> Result<reqwest::Client, GenerateError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| GenerateError::Misconfigured(format!("cannot build the HTTP client: {e}")))
}

/// A request to `server` (e.g. "ComfyUI") at `base` that got no answer, in words without the error's URL.
pub(crate) fn unreachable(server: &str, base: &url::Url, e: &reqwest::Error) -> GenerateError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    GenerateError::Unreachable(format!("{server} at {base}: {what}"))
}

/// The size to paint: the request's own, where non-zero, else the configured one.
pub(crate) fn image_size(request: &ImageRequest, width: u32, height: u32) -> (u32, u32) {
    let w = if request.width == 0 { width } else { request.width };
    let h = if request.height == 0 { height } else { request.height };
    (w, h)
}

/// Progress of the job in flight, 0.0–1.0, shared between the job and `progress()`; idle when none runs.
pub(crate) struct Progress(AtomicU32);

impl Progress {
    /// `f32` bits no clamped progress value has.
    const IDLE: u32 = u32::MAX;

    pub(crate) fn idle() -> Self {
        Progress(AtomicU32::new(Self::IDLE))
    }

    /// Stores `p`, clamped to 0.0–1.0.
    pub(crate) fn set(&self, p: f32) {
        self.0.store(p.clamp(0.0, 1.0).to_bits(), Ordering::Relaxed);
    }

    pub(crate) fn clear(&self) {
        self.0.store(Self::IDLE, Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> Option<f32> {
        match self.0.load(Ordering::Relaxed) {
            Self::IDLE => None,
            bits => Some(f32::from_bits(bits)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_get_a_scheme_and_a_trailing_slash() {
        let base = base_url(" 127.0.0.1:8188 ").unwrap();
        assert_eq!(base.as_str(), "http://127.0.0.1:8188/");
        assert_eq!(join_url(&base, "prompt"), "http://127.0.0.1:8188/prompt");
        let base = base_url("https://gpu.example/comfy").unwrap();
        assert_eq!(join_url(&base, "history/abc"), "https://gpu.example/comfy/history/abc");
    }

    #[test]
    fn progress_is_clamped_and_clears() {
        let p = Progress::idle();
        assert_eq!(p.get(), None);
        p.set(0.25);
        assert_eq!(p.get(), Some(0.25));
        p.set(1.5);
        assert_eq!(p.get(), Some(1.0));
        p.clear();
        assert_eq!(p.get(), None);
    }
}
