//! The one rate limiter every DA HTTP call passes through.
//!
//! DA allows 60 requests per minute per application; clients that bursted got 429s. So calls are
//! spaced at least `min_interval` apart (1.05 s by default), in arrival order, and a 429's
//! `Retry-After` pushes the next slot back for everybody.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Spaces requests: each `acquire` returns no sooner than `min_interval` after the previous one.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    min_interval: Duration,
    /// The earliest instant the next request may start. Never held across an await, so a 429's
    /// `back_off` also holds back callers that are already waiting.
    next_slot: Mutex<Instant>,
}

impl RateLimiter {
    pub(crate) fn new(min_interval: Duration) -> Self {
        RateLimiter { min_interval, next_slot: Mutex::new(Instant::now()) }
    }

    /// Waits for the next slot and takes it.
    pub(crate) async fn acquire(&self) {
        loop {
            let wait_until = {
                let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                if *next <= now {
                    *next = now + self.min_interval;
                    return;
                }
                *next
            };
            tokio::time::sleep_until(wait_until).await;
        }
    }

    /// A 429 said "not before `wait`": nobody sends until then.
    pub(crate) fn back_off(&self, wait: Duration) {
        let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
        let until = Instant::now() + wait;
        if until > *next {
            *next = until;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spaces_requests() {
        let limiter = RateLimiter::new(Duration::from_millis(50));
        let start = Instant::now();
        for _ in 0..4 {
            limiter.acquire().await;
        }
        // First is immediate, then three gaps of 50 ms.
        assert!(start.elapsed() >= Duration::from_millis(150));
    }

    #[tokio::test]
    async fn back_off_delays_the_next_slot() {
        let limiter = RateLimiter::new(Duration::from_millis(1));
        limiter.acquire().await;
        limiter.back_off(Duration::from_millis(120));
        let start = Instant::now();
        limiter.acquire().await;
        assert!(start.elapsed() >= Duration::from_millis(110));
    }
}
