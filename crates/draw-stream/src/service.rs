//! The service: builds the [`App`] from settings, starts every task, and shuts down gracefully.
//!
//! Start order: data dir and secrets → journal (with crash recovery) → seams → API (so `/health`
//! answers only when everything is ready) → stage workers → show loop → sources. Shutdown
//! (Ctrl+C, SIGTERM, `POST /control/shutdown`, or closing the window) cancels one token: sources
//! stop, the API stops accepting, a running step rolls back, an unfinished drawing goes back to
//! `ready`, and the journal is checkpointed. Nothing is lost either way.

use std::sync::{Arc, RwLock};

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::app::{App, Health, InFlight, StageControl, Wake};
use crate::config::{BackendKind, PlannerKind, Settings};
use crate::convert::PixelBrush;
use crate::journal::Journal;
use crate::pipeline::{self, Stage};
use crate::secrets;
use generation::{ImageBackend, ScenePlanner};

/// Builds the planner named by the settings.
fn planner(s: &Settings) -> anyhow::Result<Arc<dyn ScenePlanner>> {
    Ok(match &s.planner {
        PlannerKind::Offline => Arc::new(generation::offline::OfflinePlanner),
        PlannerKind::Llm(backend) => crate::models::llm_planner(s, backend)?,
    })
}

/// Builds the image backend named by the settings.
fn backend(s: &Settings) -> anyhow::Result<Arc<dyn ImageBackend>> {
    Ok(match s.image_backend {
        BackendKind::Demo => Arc::new(generation::demo::DemoBackend),
        BackendKind::ComfyUi => crate::models::comfyui_backend(s)?,
        BackendKind::A1111 => crate::models::a1111_backend(s)?,
    })
}

/// The swappable parts of the pipeline (tests and benchmarks inject their own).
pub struct Seams {
    pub planner: Arc<dyn ScenePlanner>,
    pub backend: Arc<dyn ImageBackend>,
    pub converter: Arc<dyn crate::convert::Converter>,
    /// The checks on every generated picture (empty: none).
    pub image_checks: generation::ImageChecks,
}

impl Seams {
    /// The seams the settings name.
    pub fn from_settings(s: &Settings) -> anyhow::Result<Seams> {
        Ok(Seams {
            planner: planner(s)?,
            backend: backend(s)?,
            converter: Arc::new(PixelBrush {
                size: s.pixel_output_size,
                colors: match s.pixel_palette_auto {
                    true => crate::convert::Colors::Auto { ceiling: s.pixel_palette_colors },
                    false => crate::convert::Colors::Fixed(s.pixel_palette_colors),
                },
                duration_ms: s.draw_duration.as_millis() as u64,
                caption: "All for you".into(),
            }),
            image_checks: crate::models::image_checks(s)?,
        })
    }
}

/// A journal that cannot be opened: the service refuses to start, leaves the file exactly as it is,
/// and says what to do (DESIGN §5e). Nothing is deleted or recreated behind the streamer's back.
fn journal_problem(path: &std::path::Path, e: &rusqlite::Error) -> anyhow::Error {
    use rusqlite::ErrorCode;
    let shown = path.display();
    let code = match e {
        rusqlite::Error::SqliteFailure(f, _) => Some(f.code),
        _ => None,
    };
    let advice = match code {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => format!(
            "it is damaged. The file was left as it is. To start again with an empty journal, move it \
             aside (`mv {shown} {shown}.broken`, with its -wal and -shm files); to recover what it holds, try \
             `sqlite3 {shown} .recover > recovered.sql`"
        ),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            "another program holds it (is Draw Stream already running with this data dir?)".to_owned()
        }
        Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
            "the data dir is not writable: check its permissions, or choose another with --data-dir".to_owned()
        }
        Some(ErrorCode::DiskFull) => "the disk is full: free some space and start again".to_owned(),
        _ => "see the error above".to_owned(),
    };
    anyhow::anyhow!("cannot open the journal {shown} ({e}): {advice}")
}

/// Everything the service needs, ready to run, with the seams the settings name.
pub async fn build(settings: Settings, shutdown: CancellationToken) -> anyhow::Result<Arc<App>> {
    let seams = Seams::from_settings(&settings)?;
    build_with(settings, seams, shutdown).await
}

/// Everything the service needs, ready to run, with the given seams.
pub async fn build_with(settings: Settings, seams: Seams, shutdown: CancellationToken) -> anyhow::Result<Arc<App>> {
    let dir = settings.data_dir.clone();
    secrets::ensure_data_dir(&dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    let api_token = secrets::ensure_secret(&dir.join("api-token"), settings.api_token.as_deref())
        .with_context(|| format!("cannot write {}", dir.join("api-token").display()))?;
    let overlay_key = secrets::ensure_secret(&dir.join("overlay-key"), settings.overlay_key.as_deref())
        .with_context(|| format!("cannot write {}", dir.join("overlay-key").display()))?;

    // The word lists compile in a fraction of a second: do it before the first donation.
    let rules_file = settings.rules_file();
    let rules = tokio::task::spawn_blocking(move || crate::rules::Rules::load(Some(rules_file)))
        .await
        .context("compiling the moderation rules")?
        .map_err(|e| anyhow::anyhow!("MODERATION_RULES: {e}"))?;

    let path = settings.journal_path();
    let journal = Journal::open(&path).map_err(|e| journal_problem(&path, &e))?;
    let recovered = journal.recover().context("journal recovery failed")?;
    if recovered > 0 {
        tracing::info!(rows = recovered, "recovered rows left in progress by the last run");
    }

    let Seams { planner, backend, converter, image_checks } = seams;
    let health = Health::default();
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder().ok();

    let draw_rules = settings.draw_rules.clone();
    // A pause outlives a restart: a streamer who paused does not want drawings to start by themselves.
    let still_paused = journal.meta_get(crate::journal::META_PAUSED)?.as_deref() == Some("1");
    if still_paused {
        tracing::warn!(
            "still paused from before the restart: no drawing starts until you resume (panel or `draw-stream resume`)"
        );
    }
    Ok(Arc::new(App {
        settings,
        journal,
        planner,
        backend,
        converter,
        image_checks,
        gpu: tokio::sync::Mutex::new(()),
        rules,
        draw_rules: RwLock::new(draw_rules),
        wake: Wake::default(),
        control: StageControl { paused: still_paused.into(), ..StageControl::default() },
        in_flight: InFlight::default(),
        snapshot: RwLock::default(),
        health: RwLock::new(health),
        storage: crate::storage::Storage::new(&dir),
        shutdown,
        api_token,
        overlay_key,
        metrics,
        window_fps: std::sync::atomic::AtomicU32::new(0),
    }))
}

/// `<data dir>/api-port`: the port the control API listens on.
pub const API_PORT_FILE: &str = "api-port";

/// Runs every task until the shutdown token is cancelled, then waits for them to finish.
pub async fn run(app: Arc<App>) -> anyhow::Result<()> {
    let s = &app.settings;
    let addr = format!("{}:{}", s.api_host, s.api_port);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (API_HOST/API_PORT)"))?;
    // The port really taken (API_PORT=0 picks a free one), for clients and tests: written before the
    // API answers, so whoever sees `/health` answer can trust the file.
    let local = listener.local_addr().context("the API socket has no address")?;
    let port_file = s.data_dir.join(API_PORT_FILE);
    std::fs::write(&port_file, format!("{}\n", local.port()))
        .with_context(|| format!("cannot write {}", port_file.display()))?;
    tracing::info!(addr = %local, "{}", s.summary());
    if s.demo {
        tracing::info!("DEMO mode: sample donations are generated (set DEMO=0 or configure Donation Alerts to stop)");
    }

    let mut tasks = tokio::task::JoinSet::new();
    {
        let app = app.clone();
        tasks.spawn(async move {
            let backend = app.backend.clone();
            if let Err(e) = backend.check().await {
                tracing::warn!(error = %e, "image backend check failed");
                app.health.write().unwrap_or_else(|p| p.into_inner()).backend_problem = Some(e.to_string());
            }
        });
    }
    for stage in Stage::ALL {
        tasks.spawn(pipeline::run_stage(app.clone(), stage));
    }
    tasks.spawn(crate::show::run(app.clone()));
    tasks.spawn(watch_rules(app.clone()));
    tasks.spawn(watch_storage(app.clone()));
    let mut sources = app.settings.sources.0.clone();
    if s.demo {
        let a = app.clone();
        let waiting = move || a.snapshot.read().map(|s| s.upcoming.len()).unwrap_or(0);
        sources.push(Arc::new(crate::demo::DemoFeed::new(waiting)));
    }
    crate::feeds::spawn(&app, sources, &mut tasks);
    tasks.spawn(signals(app.shutdown.clone()));

    let router = crate::api::router(app.clone());
    let token = app.shutdown.clone();
    let server = axum::serve(listener, router).with_graceful_shutdown(async move { token.cancelled().await });
    let served = server.await.context("API server failed");
    app.shutdown.cancel();
    // Every task stops at its next await on shutdown (a step in flight is rolled back and repeated
    // after the restart). One stuck on a hung disk must not keep Ctrl+C from ending the service:
    // what the journal committed is safe, and the rest is redone or redelivered after the restart.
    let stopped = tokio::time::timeout(SHUTDOWN_GRACE, async { while tasks.join_next().await.is_some() {} }).await;
    if stopped.is_err() {
        tracing::warn!(
            still_running = tasks.len(),
            "shutdown: tasks still busy after {} s (a hung disk?); exiting anyway, nothing committed is lost",
            SHUTDOWN_GRACE.as_secs()
        );
        tasks.abort_all();
    }
    match tokio::time::timeout(SHUTDOWN_GRACE, app.journal.call(|j| j.checkpoint())).await {
        Ok(_) if stopped.is_ok() => tracing::info!("shut down cleanly"),
        Ok(_) => tracing::info!("shut down"),
        Err(_) => tracing::warn!("shutdown: the journal did not answer; the next start recovers it from its log"),
    }
    served
}

/// How long shutdown waits for the tasks, and then for the journal's checkpoint.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Ctrl+C and SIGTERM request a graceful shutdown.
async fn signals(shutdown: CancellationToken) {
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl+C: shutting down"),
        _ = term => tracing::info!("SIGTERM: shutting down"),
        _ = shutdown.cancelled() => return,
    }
    shutdown.cancel();
}

/// Reloads the moderation rules file when it changes, until shutdown.
async fn watch_rules(app: Arc<App>) {
    if !app.rules.has_file() {
        return;
    }
    loop {
        tokio::select! {
            _ = app.shutdown.cancelled() => return,
            _ = tokio::time::sleep(crate::rules::POLL) => {}
        }
        let a = app.clone();
        let _ = tokio::task::spawn_blocking(move || a.rules.reload_if_changed()).await;
    }
}

/// While there is a storage problem, probes once a second; when writing works again, clears it and
/// wakes every stage.
async fn watch_storage(app: Arc<App>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(crate::storage::PROBE_EVERY) => {}
            _ = app.shutdown.cancelled() => return,
        }
        if app.storage.problem().is_none() {
            continue;
        }
        let probe = app.journal.call({
            let app = app.clone();
            move |j| app.storage.probe(j)
        });
        match probe.await {
            Ok(()) => {
                app.storage.clear();
                app.wake_all();
            }
            Err(e) => tracing::debug!(error = %e, "storage still not writable"),
        }
    }
}
