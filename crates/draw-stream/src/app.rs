//! The shared state every task holds: settings, journal, seams, wake-ups and stage controls.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::convert::Converter;
use crate::journal::Journal;
use crate::snapshot::ShowSnapshot;
use generation::{ImageBackend, ScenePlanner};

/// Wake-ups between stages. `notify_one` keeps a permit when nobody waits, so no wake-up is lost.
#[derive(Default)]
pub struct Wake {
    pub moderate: Notify,
    pub plan: Notify,
    pub generate: Notify,
    pub convert: Notify,
    pub screen: Notify,
}

/// The streamer's controls over the stage.
#[derive(Default)]
pub struct StageControl {
    /// No new drawing starts while set; the current one finishes.
    pub paused: AtomicBool,
    /// Emergency blank: nothing is drawn, and the show clock stops.
    pub hidden: AtomicBool,
    /// Set by `skip`; the show loop ends the active item and clears it.
    pub skip: AtomicBool,
}

impl StageControl {
    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }
    pub fn is_hidden(&self) -> bool {
        self.hidden.load(Ordering::SeqCst)
    }
}

/// A source's line in `/health` `sources.<name>` and on the HUD.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SourceHealth {
    pub label: &'static str,
    pub status: String,
    pub live: bool,
    /// It waits for the streamer (login needed, stopped, working only in part): the panel shows it red.
    pub needs_streamer: bool,
}

/// What `/health`, the HUD and the panel say about the service's parts.
#[derive(Debug, Clone, Default)]
pub struct Health {
    /// Every source's status, one line for the HUD ("Donation Alerts: live · Twitch: reconnecting in 5 s").
    pub intake: Option<String>,
    /// Each configured source's status by name (`/health` `sources.<name>`).
    pub sources: std::collections::BTreeMap<&'static str, SourceHealth>,
    /// What the image backend's start-up check found wrong, if anything.
    pub backend_problem: Option<String>,
    /// The image check's latest runs.
    pub image_check: ImageCheckHealth,
}

impl Health {
    /// Records a source's status and rebuilds the HUD line.
    pub fn set_source(&mut self, name: &'static str, line: SourceHealth) {
        self.sources.insert(name, line);
        let parts: Vec<String> = self.sources.values().map(|s| format!("{}: {}", s.label, s.status)).collect();
        self.intake = (!parts.is_empty()).then(|| parts.join(" · "));
    }
}

/// What `/health` and the panel say about the image check.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImageCheckHealth {
    /// Pictures checked and flagged since start.
    pub checked: u64,
    pub flagged: u64,
    /// Per check: milliseconds of its latest run.
    pub last_ms: std::collections::BTreeMap<String, f64>,
    /// The latest failure of a check (it held the picture, fail closed), if its latest run failed.
    pub failing: std::collections::BTreeMap<String, String>,
}

impl ImageCheckHealth {
    /// Counts one picture's checks here and in `/metrics`.
    pub fn record(&mut self, verdict: &generation::ImageVerdict) {
        self.checked += 1;
        self.flagged += u64::from(verdict.flagged);
        for run in &verdict.runs {
            self.last_ms.insert(run.name.clone(), run.elapsed.as_secs_f64() * 1e3);
            let result = match &run.result {
                Err(e) => {
                    self.failing.insert(run.name.clone(), e.to_string());
                    "failed"
                }
                Ok(f) => {
                    self.failing.remove(&run.name);
                    if f.flagged {
                        "flagged"
                    } else {
                        "passed"
                    }
                }
            };
            metrics::histogram!("drawstream_image_check_seconds", "check" => run.name.clone())
                .record(run.elapsed.as_secs_f64());
            metrics::counter!("drawstream_image_checks_total", "check" => run.name.clone(), "result" => result)
                .increment(1);
        }
    }
}

/// The generation job in flight, so `clear` can interrupt it on the image server.
#[derive(Default)]
pub struct InFlight {
    pub job: Mutex<Option<(i64, CancellationToken)>>,
    /// Set with the cancellation when the streamer skipped the donation being painted (rather than
    /// cleared everything): the donation ends `skipped` instead of `failed`.
    pub skipped: std::sync::atomic::AtomicBool,
}

/// Everything the service's tasks share.
pub struct App {
    pub settings: Settings,
    pub journal: Journal,
    pub planner: Arc<dyn ScenePlanner>,
    pub backend: Arc<dyn ImageBackend>,
    pub converter: Arc<dyn Converter>,
    /// With `LLM_UNLOAD_BEFORE_IMAGE`, one GPU for both models: the planner's LLM call and the painting
    /// take turns under this lock, and the LLM is unloaded before each picture. The show loop never
    /// takes it.
    pub gpu: tokio::sync::Mutex<()>,
    /// The checks on every generated picture (empty: none configured).
    pub image_checks: generation::ImageChecks,
    /// The word layer in force: the built-in lists plus the streamer's rules file.
    pub rules: crate::rules::Rules,
    /// The drawing rules in force (minimum, priority, trigger, fairness); the panel replaces them.
    pub draw_rules: RwLock<crate::draw_rules::DrawRules>,
    pub wake: Wake,
    pub control: StageControl,
    pub in_flight: InFlight,
    /// Latest state of the show, published by the show loop, read by the API and the window.
    pub snapshot: RwLock<ShowSnapshot>,
    pub health: RwLock<Health>,
    /// Whether the journal and data dir can be written now (disk full, read-only…).
    pub storage: crate::storage::Storage,
    /// Cancelled to shut the service down gracefully.
    pub shutdown: CancellationToken,
    /// Token the control API requires.
    pub api_token: String,
    /// Key the overlay page requires.
    pub overlay_key: String,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Frames per second the window really presents (f32 bits; 0 when headless).
    pub window_fps: std::sync::atomic::AtomicU32,
}

impl App {
    /// The drawing rules for the next donation.
    pub fn draw_rules(&self) -> crate::draw_rules::DrawRules {
        self.draw_rules.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// With `LLM_UNLOAD_BEFORE_IMAGE`, waits for this task's turn on the one GPU (the planner, the
    /// painter and a vision check take turns); otherwise there is nothing to wait for.
    pub async fn gpu_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.settings.llm_unload_before_image {
            true => Some(self.gpu.lock().await),
            false => None,
        }
    }

    /// Wakes every stage (after clear/approve/replay, which can move rows anywhere).
    pub fn wake_all(&self) {
        self.wake.moderate.notify_one();
        self.wake.plan.notify_one();
        self.wake.generate.notify_one();
        self.wake.convert.notify_one();
        self.wake.screen.notify_one();
    }

    /// Interrupts the generation job in flight, if any (clear, or skip while painting).
    /// Returns the donation that was being painted.
    pub fn interrupt_generation(&self, skipped: bool) -> Option<i64> {
        let job = self.in_flight.job.lock().unwrap_or_else(|p| p.into_inner());
        let (id, token) = job.as_ref()?;
        tracing::info!(donation = *id, skipped, "interrupting generation");
        self.in_flight.skipped.store(skipped, Ordering::SeqCst);
        token.cancel();
        Some(*id)
    }
}
