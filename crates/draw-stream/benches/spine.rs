//! Spine benchmark (not a test): journal throughput, per-donation overhead of the journal and all
//! stages at 1 000 queued donations, and the idle RSS of the real binary.
//!
//! Run: `cargo bench -p draw-stream --bench spine`

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use draw_stream::config::{RawConfig, Settings};
use draw_stream::convert::{Converted, Converter};
use draw_stream::intake::{self, Incoming};
use draw_stream::journal::{Journal, NewDonation, ScreenItem, Source, State, Update};
use draw_stream::service::{self, Seams};
use generation::{GenerateError, GeneratedImage, ImageBackend, ImageRequest};

const QUEUED: usize = 1000;

fn new_donation(i: usize) -> NewDonation {
    NewDonation {
        placement: Default::default(),
        source: Source::MANUAL,
        source_id: format!("b{i}"),
        donor: "Bench".into(),
        message: format!("draw a castle {i}"),
        amount: "5".into(),
        currency: "USD".into(),
        amount_user: None,
        message_type: "text".into(),
        donor_masked: "Bench".into(),
        message_masked: format!("draw a castle {i}"),
    }
}

/// Inserts and full state walks per second on an on-disk journal (WAL, synchronous=FULL).
fn journal_throughput() -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(&dir.path().join("journal.db")).unwrap();
    let n = 2000;
    let t = Instant::now();
    for i in 0..n {
        j.insert(&new_donation(i)).unwrap();
    }
    let inserts = n as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let steps = [
        (State::Received, State::Moderated),
        (State::Moderated, State::Planned),
        (State::Planned, State::Generated),
        (State::Generated, State::Ready),
    ];
    for (from, to) in steps {
        while let Some(d) = j.claim(from).unwrap() {
            let doc = (to == State::Ready).then(|| "{}".to_owned());
            j.advance(d.id, from, to, Update { document: doc, ..Update::default() }).unwrap();
        }
    }
    let transitions = (n * steps.len()) as f64 / t.elapsed().as_secs_f64();
    (inserts, transitions)
}

/// An instant backend: the cost measured is the service's, not the painter's.
struct NullBackend;

#[async_trait]
impl ImageBackend for NullBackend {
    fn name(&self) -> &str {
        "null"
    }
    async fn generate(&self, _r: &ImageRequest) -> Result<GeneratedImage, GenerateError> {
        Ok(GeneratedImage { width: 8, height: 8, rgb: vec![90; 8 * 8 * 3] })
    }
}

struct NullConverter;

impl Converter for NullConverter {
    fn name(&self) -> &str {
        "null"
    }
    fn convert(&self, _rgb: &[u8], _w: u32, _h: u32) -> Result<Converted, String> {
        let doc = r##"{"version":"1.0","caption":"All for you","canvas":{"w":4,"h":4,"bg":"#000000"},"steps":[{"op":"pixels","points":[[0,0]],"color":"#FFFFFF"}]}"##;
        Ok(Converted { document_json: doc.into(), quality: String::new() })
    }
}

/// Queues `QUEUED` donations, then drains them through every stage and an instant screen.
/// Returns seconds per donation.
async fn pipeline(seams: Seams, n: usize) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let raw = RawConfig::from_pairs([
        ("DEMO", "0"),
        ("API_PORT", port.as_str()),
        ("GENERATION_LOOKAHEAD", "64"),
        ("LOG_LEVEL", "error"),
    ]);
    let settings = Settings::from_raw(&raw, Some(dir.path())).unwrap();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let app = service::build_with(settings, seams, shutdown.clone()).await.unwrap();
    app.control.paused.store(true, std::sync::atomic::Ordering::SeqCst);
    for i in 0..n {
        let incoming = Incoming {
            source: Source::MANUAL,
            source_id: format!("p{i}"),
            donor: Some("Bench".into()),
            message: format!("a lighthouse at night {i}"),
            amount: "5".into(),
            currency: "USD".into(),
            amount_user: None,
            message_type: "text".into(),
        };
        intake::admit(&app, incoming, false).await.unwrap().unwrap();
    }
    let t = Instant::now();
    let running = tokio::spawn(service::run(app.clone()));
    // The screen is paused; this drain plays an instant screen with the same journal calls.
    let mut shown = 0;
    while shown < n {
        match app.journal.call(|j| j.next_for_screen()).await.unwrap() {
            Some(ScreenItem::Drawing { donation, .. }) => {
                let id = donation.id;
                app.journal.call(move |j| j.start_showing(id).and_then(|_| j.finish_showing(id))).await.unwrap();
                app.wake.generate.notify_one();
                shown += 1;
            }
            Some(ScreenItem::Card { donation }) => panic!("unexpected card: {donation:?}"),
            None => tokio::time::sleep(Duration::from_micros(200)).await,
        }
    }
    let per = t.elapsed().as_secs_f64() / n as f64;
    shutdown.cancel();
    running.await.unwrap().unwrap();
    per
}

/// Resident memory of the real binary, idle (headless, no demo), after it settled.
fn idle_rss_mb() -> Option<f64> {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_draw-stream"))
        .args(["run", "--headless", "--data-dir"])
        .arg(dir.path())
        .current_dir(dir.path())
        .env("DEMO", "0")
        .env("API_PORT", port.to_string())
        .env("LOG_LEVEL", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    std::thread::sleep(Duration::from_secs(3));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok();
    let _ = child.kill();
    let _ = child.wait();
    let kb: f64 = status?.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (inserts, transitions) = journal_throughput();
    let overhead = rt.block_on(pipeline(
        Seams {
            planner: Arc::new(generation::offline::OfflinePlanner),
            backend: Arc::new(NullBackend),
            converter: Arc::new(NullConverter),
            image_checks: Default::default(),
        },
        QUEUED,
    ));
    let raw = RawConfig::from_pairs([("DEMO", "1")]);
    let settings = Settings::from_raw(&raw, Some(std::path::Path::new("/nonexistent"))).unwrap();
    let demo = rt.block_on(pipeline(Seams::from_settings(&settings).unwrap(), 100));
    let rss = idle_rss_mb();

    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!("| journal inserts (on disk, WAL, synchronous=FULL) | {inserts:.0} /s | — |");
    println!("| journal claim+advance transitions | {transitions:.0} /s | — |");
    println!("| overhead per donation, journal + all stages + screen, {QUEUED} queued (instant backend) | {:.2} ms | ≤ 5 ms |", overhead * 1e3);
    println!(
        "| full cost per donation with the demo backend + pixelize + brush (100 queued) | {:.1} ms | — |",
        demo * 1e3
    );
    match rss {
        Some(mb) => println!("| idle RSS of `draw-stream run --headless` | {mb:.1} MB | ≤ 100 MB |"),
        None => println!("| idle RSS | not measurable here | ≤ 100 MB |"),
    }
}
