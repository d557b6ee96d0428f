//! # window — the broadcast window OBS captures
//!
//! The only crate in Draw Stream that opens a window. It shows frames that someone else composes
//! (normally [`hud::Hud`]) in a fixed-size, non-resizable window titled "Draw Stream", exactly the
//! configured physical size, so an OBS window capture gets a clean 1920×1080 (or whatever is set).
//!
//! ## Layout
//! * [`run`] / [`run_in_place`] own the calling thread until the window is closed or the `stop` flag is
//!   set. Use the main thread (macOS requires it); on Linux and Windows another thread also works.
//! * Frames are paced from elapsed time: the next frame is due `1/frame_rate` after the previous one was
//!   due, and the event loop sleeps with `ControlFlow::WaitUntil` in between (softbuffer has no vsync).
//!   If drawing falls behind, missed frames are dropped rather than bunched up.
//! * Pixels go to softbuffer (XShm on X11, wl_shm on Wayland, GDI on Windows). [`run_in_place`] lets the
//!   caller draw straight into softbuffer's buffer; [`run`] hands over a [`hud::Frame`] and copies it.
//!
//! The animation clock belongs to the caller: `draw` should read the time itself, so animation speed
//! never depends on the frame rate.
//!
//! ```no_run
//! use std::sync::{atomic::AtomicBool, Arc};
//! let cfg = window::WindowConfig::default();
//! let mut hud = hud::Hud::new(cfg.width, cfg.height);
//! let state = hud::HudState::default();
//! if window::display_available() {
//!     let exit = window::run(cfg, move |frame| hud.compose(frame, &state, None), Arc::new(AtomicBool::new(false)));
//!     println!("{exit:?}");
//! }
//! ```

use std::num::NonZeroU32;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::window::{Window, WindowId};

/// What the window looks like and how often it is redrawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowConfig {
    /// Physical pixels (not scaled by the desktop's DPI setting), e.g. 1920.
    pub width: u32,
    /// Physical pixels, e.g. 1080.
    pub height: u32,
    /// Frames per second, e.g. 60 (FRAME_RATE). 0 is treated as 1.
    pub frame_rate: u32,
    /// Window title; OBS window capture matches on it. "Draw Stream".
    pub title: String,
}

impl Default for WindowConfig {
    fn default() -> Self {
        WindowConfig { width: 1920, height: 1080, frame_rate: 60, title: "Draw Stream".to_string() }
    }
}

/// Why [`run`] returned without an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowExit {
    /// The user (or the window manager) closed the window.
    Closed,
    /// The `stop` flag was set.
    Stopped,
}

/// Why the window could not be shown. The service falls back to headless on any of these.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    /// No display server to talk to (no DISPLAY / WAYLAND_DISPLAY, or it refused the connection).
    #[error(
        "no display available: {0}; run headless (--headless) or start an X server (e.g. Xvfb :99 and DISPLAY=:99)"
    )]
    NoDisplay(String),
    /// The configuration cannot be shown.
    #[error("invalid window configuration: {0}")]
    Config(String),
    /// The window system failed after start-up.
    #[error("window system error: {0}")]
    Platform(String),
}

/// True if a window can plausibly be opened: on Linux/BSD, DISPLAY or WAYLAND_DISPLAY is set; on
/// Windows and macOS, always. (It does not connect; [`run`] reports a refused connection.)
pub fn display_available() -> bool {
    if cfg!(any(target_os = "windows", target_os = "macos")) {
        return true;
    }
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    set("DISPLAY") || set("WAYLAND_DISPLAY")
}

/// Runs the window on the calling (main) thread until it is closed or `stop` becomes true. Each frame
/// it calls `draw(&mut frame)` with a `width × height` [`hud::Frame`] to fill, then presents it.
///
/// winit allows one event loop per process: call this (or [`run_in_place`]) at most once. Use the main
/// thread on macOS; on Linux and Windows any thread works.
pub fn run(
    cfg: WindowConfig,
    mut draw: impl FnMut(&mut hud::Frame) + 'static,
    stop: Arc<AtomicBool>,
) -> Result<WindowExit, WindowError> {
    let mut frame = hud::Frame::new(cfg.width, cfg.height);
    run_impl(
        cfg,
        Box::new(move |buf: &mut [u32], w: u32, h: u32| {
            draw(&mut frame);
            copy_clipped(&frame, buf, w, h);
        }),
        stop,
    )
}

/// As [`run`], but `draw(pixels, width, height)` writes 0x00RRGGBB pixels straight into softbuffer's
/// buffer (no intermediate copy), e.g. with [`hud::Hud::compose_into`]. `pixels.len() == width * height`,
/// always the configured size. Every pixel must be written: the buffer's old content is undefined.
pub fn run_in_place(
    cfg: WindowConfig,
    draw: impl FnMut(&mut [u32], u32, u32) + 'static,
    stop: Arc<AtomicBool>,
) -> Result<WindowExit, WindowError> {
    run_impl(cfg, Box::new(draw), stop)
}

/// Copies `frame` into a `w × h` buffer, clipping or padding with black where sizes differ.
fn copy_clipped(frame: &hud::Frame, buf: &mut [u32], w: u32, h: u32) {
    if frame.width == w && frame.height == h && buf.len() == frame.pixels.len() {
        buf.copy_from_slice(&frame.pixels);
        return;
    }
    let cw = frame.width.min(w) as usize;
    for y in 0..h as usize {
        let dst = &mut buf[y * w as usize..(y + 1) * w as usize];
        if y < frame.height as usize {
            let src = &frame.pixels[y * frame.width as usize..y * frame.width as usize + cw];
            dst[..cw].copy_from_slice(src);
            dst[cw..].fill(0);
        } else {
            dst.fill(0);
        }
    }
}

type DrawFn = Box<dyn FnMut(&mut [u32], u32, u32)>;

fn run_impl(cfg: WindowConfig, draw: DrawFn, stop: Arc<AtomicBool>) -> Result<WindowExit, WindowError> {
    if cfg.width == 0 || cfg.height == 0 {
        return Err(WindowError::Config(format!("window size {}x{} must be positive", cfg.width, cfg.height)));
    }
    if !display_available() {
        return Err(WindowError::NoDisplay("neither DISPLAY nor WAYLAND_DISPLAY is set".into()));
    }
    let mut builder = EventLoop::builder();
    // The main thread is the rule (macOS enforces it); on X11/Wayland and Windows we also allow another
    // thread, so a service that keeps its runtime on the main thread can still open the window.
    #[cfg(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android"))))]
    {
        use winit::platform::x11::EventLoopBuilderExtX11;
        builder.with_any_thread(true);
    }
    #[cfg(windows)]
    {
        use winit::platform::windows::EventLoopBuilderExtWindows;
        builder.with_any_thread(true);
    }
    let event_loop = builder.build().map_err(|e| WindowError::NoDisplay(e.to_string()))?;
    let period = Duration::from_secs_f64(1.0 / cfg.frame_rate.max(1) as f64);
    let mut app = App {
        cfg,
        draw,
        stop,
        period,
        next_frame: Instant::now(),
        gfx: None,
        scratch: Vec::new(),
        exit: None,
        error: None,
    };
    event_loop.run_app(&mut app).map_err(|e| WindowError::Platform(e.to_string()))?;
    if let Some(e) = app.error {
        return Err(e);
    }
    Ok(app.exit.unwrap_or(WindowExit::Closed))
}

/// The window and its softbuffer surface, created on `resumed`.
struct Gfx {
    window: Rc<Window>,
    surface: softbuffer::Surface<Rc<Window>, Rc<Window>>,
    /// The surface's current size (normally the configured size).
    size: (u32, u32),
}

struct App {
    cfg: WindowConfig,
    draw: DrawFn,
    stop: Arc<AtomicBool>,
    period: Duration,
    /// When the next frame is due; advanced by whole periods so pacing does not drift.
    next_frame: Instant,
    gfx: Option<Gfx>,
    /// Used only if the window manager forced a size other than the configured one.
    scratch: Vec<u32>,
    exit: Option<WindowExit>,
    error: Option<WindowError>,
}

impl App {
    fn fail(&mut self, el: &ActiveEventLoop, e: WindowError) {
        tracing::error!("{e}");
        self.error.get_or_insert(e);
        el.exit();
    }

    fn create(&mut self, el: &ActiveEventLoop) -> Result<Gfx, WindowError> {
        let attrs = Window::default_attributes()
            .with_title(self.cfg.title.clone())
            .with_inner_size(PhysicalSize::new(self.cfg.width, self.cfg.height))
            .with_min_inner_size(PhysicalSize::new(self.cfg.width, self.cfg.height))
            .with_max_inner_size(PhysicalSize::new(self.cfg.width, self.cfg.height))
            .with_resizable(false);
        let window = Rc::new(el.create_window(attrs).map_err(|e| WindowError::NoDisplay(e.to_string()))?);
        let scale = window.scale_factor();
        tracing::info!(
            width = self.cfg.width,
            height = self.cfg.height,
            scale_factor = scale,
            "broadcast window opened"
        );
        if let Some(m) = window.current_monitor() {
            let ms = m.size();
            if ms.width < self.cfg.width || ms.height < self.cfg.height {
                tracing::warn!(
                    "the monitor is {}x{}, smaller than the {}x{} window: part of it is off-screen, but OBS window capture still gets the full size",
                    ms.width,
                    ms.height,
                    self.cfg.width,
                    self.cfg.height
                );
            }
        }
        let context = softbuffer::Context::new(window.clone())
            .map_err(|e| WindowError::Platform(format!("softbuffer context: {e}")))?;
        let mut surface = softbuffer::Surface::new(&context, window.clone())
            .map_err(|e| WindowError::Platform(format!("softbuffer surface: {e}")))?;
        let actual = window.inner_size();
        let size = if actual.width > 0 && actual.height > 0 {
            (actual.width, actual.height)
        } else {
            (self.cfg.width, self.cfg.height)
        };
        if size != (self.cfg.width, self.cfg.height) {
            tracing::warn!(
                "the window manager gave the window {}x{} instead of {}x{}",
                size.0,
                size.1,
                self.cfg.width,
                self.cfg.height
            );
        }
        resize(&mut surface, size)?;
        Ok(Gfx { window, surface, size })
    }

    fn redraw(&mut self) -> Result<(), WindowError> {
        let Some(gfx) = self.gfx.as_mut() else { return Ok(()) };
        let (cw, ch) = (self.cfg.width, self.cfg.height);
        let mut buffer =
            gfx.surface.buffer_mut().map_err(|e| WindowError::Platform(format!("softbuffer buffer: {e}")))?;
        if gfx.size == (cw, ch) && buffer.len() == (cw * ch) as usize {
            (self.draw)(&mut buffer, cw, ch);
        } else {
            // Forced to another size: draw at the configured size, then clip/pad into the surface.
            self.scratch.resize((cw * ch) as usize, 0);
            (self.draw)(&mut self.scratch, cw, ch);
            let (sw, sh) = gfx.size;
            let w = cw.min(sw) as usize;
            for y in 0..sh as usize {
                let dst = &mut buffer[y * sw as usize..(y + 1) * sw as usize];
                if y < ch as usize {
                    dst[..w].copy_from_slice(&self.scratch[y * cw as usize..y * cw as usize + w]);
                    dst[w..].fill(0);
                } else {
                    dst.fill(0);
                }
            }
        }
        gfx.window.pre_present_notify();
        buffer.present().map_err(|e| WindowError::Platform(format!("softbuffer present: {e}")))
    }
}

fn resize(surface: &mut softbuffer::Surface<Rc<Window>, Rc<Window>>, (w, h): (u32, u32)) -> Result<(), WindowError> {
    let (Some(w), Some(h)) = (NonZeroU32::new(w), NonZeroU32::new(h)) else { return Ok(()) };
    surface.resize(w, h).map_err(|e| WindowError::Platform(format!("softbuffer resize: {e}")))
}

impl ApplicationHandler for App {
    fn resumed(&mut self, el: &ActiveEventLoop) {
        if self.gfx.is_some() {
            return;
        }
        match self.create(el) {
            Ok(gfx) => {
                self.gfx = Some(gfx);
                self.next_frame = Instant::now();
            }
            Err(e) => self.fail(el, e),
        }
    }

    fn window_event(&mut self, el: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        match event {
            WindowEvent::CloseRequested | WindowEvent::Destroyed => {
                self.exit.get_or_insert(WindowExit::Closed);
                el.exit();
            }
            WindowEvent::Resized(size) => {
                if let Some(gfx) = self.gfx.as_mut() {
                    if size.width > 0 && size.height > 0 && (size.width, size.height) != gfx.size {
                        gfx.size = (size.width, size.height);
                        if let Err(e) = resize(&mut gfx.surface, gfx.size) {
                            self.fail(el, e);
                        }
                    }
                }
            }
            WindowEvent::ScaleFactorChanged { scale_factor, .. } => {
                tracing::info!(scale_factor, "display scale factor changed; the window keeps its physical size");
            }
            WindowEvent::RedrawRequested => {
                if let Err(e) = self.redraw() {
                    self.fail(el, e);
                }
            }
            _ => {}
        }
    }

    fn about_to_wait(&mut self, el: &ActiveEventLoop) {
        if self.stop.load(Ordering::Relaxed) {
            self.exit.get_or_insert(WindowExit::Stopped);
            el.exit();
            return;
        }
        let now = Instant::now();
        if now >= self.next_frame {
            if let Some(gfx) = &self.gfx {
                gfx.window.request_redraw();
            }
            self.next_frame += self.period;
            if self.next_frame <= now {
                // Fell behind (a slow frame, a suspended laptop): drop the missed frames.
                self.next_frame = now + self.period;
            }
        }
        // Wake at least every 100 ms so a stop request is seen even at very low frame rates.
        let wake = self.next_frame.min(now + Duration::from_millis(100));
        el.set_control_flow(ControlFlow::WaitUntil(wake));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_clipped_pads_and_clips() {
        let mut f = hud::Frame::new(3, 2);
        f.pixels = vec![1, 2, 3, 4, 5, 6];
        let mut buf = vec![9u32; 2 * 3];
        copy_clipped(&f, &mut buf, 2, 3);
        assert_eq!(buf, vec![1, 2, 4, 5, 0, 0]);
        let mut same = vec![0u32; 6];
        copy_clipped(&f, &mut same, 3, 2);
        assert_eq!(same, f.pixels);
    }

    #[test]
    fn default_config_is_1080p60() {
        let c = WindowConfig::default();
        assert_eq!((c.width, c.height, c.frame_rate, c.title.as_str()), (1920, 1080, 60, "Draw Stream"));
    }

    #[test]
    fn no_display_is_a_clear_error() {
        if display_available() {
            return;
        }
        let err = run(WindowConfig::default(), |_| {}, Arc::new(AtomicBool::new(false))).unwrap_err();
        assert!(matches!(err, WindowError::NoDisplay(_)), "{err}");
        assert!(err.to_string().contains("headless"));
    }
}
