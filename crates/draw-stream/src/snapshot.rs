//! What the show publishes for renderers (the window, the overlay) and the API: the item on
//! screen, its phase and clock, and what is still to come. Refreshed every tick by the show loop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::journal::Donation;

/// What is on screen.
#[derive(Clone)]
pub enum Showing {
    /// A drawing; the timeline renders any instant of it.
    Drawing { timeline: Arc<canvas::Timeline> },
    /// A refusal or failure card.
    Card { text: String, failed: bool },
}

/// Phase of the active item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Drawing,
    Holding,
}

/// The active item as published for renderers.
#[derive(Clone)]
pub struct Active {
    pub donation: Donation,
    pub showing: Showing,
    pub phase: Phase,
    /// Animation clock in ms at `at` (frozen while hidden).
    pub t_ms: u64,
    pub duration_ms: u64,
    pub hold_remaining: Duration,
    pub at: Instant,
    /// False while hidden: renderers must not extrapolate the clock.
    pub running: bool,
}

impl Active {
    /// Animation progress 0..=1 (cards are complete at once).
    pub fn progress(&self) -> f32 {
        match self.showing {
            Showing::Card { .. } => 1.0,
            Showing::Drawing { .. } if self.duration_ms == 0 => 1.0,
            Showing::Drawing { .. } => (self.t_ms as f32 / self.duration_ms as f32).min(1.0),
        }
    }

    /// The animation clock now, extrapolated from the last tick (for smooth rendering).
    pub fn t_ms_now(&self) -> u64 {
        if self.running && self.phase == Phase::Drawing {
            (self.t_ms + self.at.elapsed().as_millis() as u64).min(self.duration_ms)
        } else {
            self.t_ms
        }
    }
}

/// Everything renderers and the API need about the show, refreshed every tick.
#[derive(Clone, Default)]
pub struct ShowSnapshot {
    pub active: Option<Active>,
    /// Donations still to come, in screen order (every state before `showing`).
    pub upcoming: Vec<Donation>,
    /// Ticks per second of the show loop (the stage's frame rate when headless).
    pub fps: f32,
    /// The donation on the image server now, and its progress (0..=1) when the server reports it.
    pub painting: Option<(i64, Option<f32>)>,
}
