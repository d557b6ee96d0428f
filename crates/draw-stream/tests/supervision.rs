//! Scenario: one donation makes a stage panic or fail; it becomes `failed` with a card, and the show goes on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use draw_stream::config::{RawConfig, Settings};
use draw_stream::convert::{Converted, Converter};
use draw_stream::intake::{self, Incoming};
use draw_stream::journal::{Source, State};
use draw_stream::service::{self, Seams};
use generation::{
    DonationBrief, GenerateError, GeneratedImage, ImageBackend, ImageRequest, PlanDecision, PlanError, ScenePlanner,
};

/// Panics on "boom", answers nonsense on "nonsense", plans everything else.
struct FragilePlanner;

#[async_trait]
impl ScenePlanner for FragilePlanner {
    fn name(&self) -> &str {
        "fragile"
    }
    async fn plan(&self, d: &DonationBrief) -> Result<PlanDecision, PlanError> {
        if d.message.contains("boom") {
            panic!("planner exploded on purpose");
        }
        if d.message.contains("nonsense") {
            return Err(PlanError::Invalid("answer was not JSON".into()));
        }
        generation::offline::OfflinePlanner.plan(d).await
    }
}

/// A 16×16 grey image; fails when the prompt mentions "broken".
struct TinyBackend;

#[async_trait]
impl ImageBackend for TinyBackend {
    fn name(&self) -> &str {
        "tiny"
    }
    async fn generate(&self, r: &ImageRequest) -> Result<GeneratedImage, GenerateError> {
        if r.prompt.contains("broken") {
            return Err(GenerateError::Failed("CUDA out of memory".into()));
        }
        Ok(GeneratedImage { width: 16, height: 16, rgb: vec![128; 16 * 16 * 3] })
    }
}

/// One red pixel on a 4×4 canvas, drawn in 10 ms.
struct OnePixel;

impl Converter for OnePixel {
    fn name(&self) -> &str {
        "one-pixel"
    }
    fn convert(&self, _rgb: &[u8], _w: u32, _h: u32) -> Result<Converted, String> {
        let doc = r##"{"version":"1.0","caption":"All for you","canvas":{"w":4,"h":4,"bg":"#000000"},
            "steps":[{"op":"pixels","points":[[1,1]],"color":"#FF0000","animate":{"mode":"pixel_reveal","duration_ms":10}}]}"##;
        Ok(Converted { document_json: doc.into(), quality: String::new() })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_panicking_or_failing_stage_fails_one_donation_and_the_pipeline_continues() {
    let dir = tempfile::tempdir().unwrap();
    let raw = RawConfig::from_pairs([
        ("DEMO", "0"),
        ("API_PORT", "0"),
        ("SHOW_DURATION_SEC", "0"),
        ("CARD_DURATION_SEC", "0"),
        ("FRAME_RATE", "200"),
    ]);
    let settings = Settings::from_raw(&raw, Some(dir.path())).unwrap();
    let seams = Seams {
        planner: Arc::new(FragilePlanner),
        backend: Arc::new(TinyBackend),
        converter: Arc::new(OnePixel),
        image_checks: Default::default(),
    };
    let shutdown = tokio_util::sync::CancellationToken::new();
    let app = service::build_with(settings, seams, shutdown.clone()).await.unwrap();
    let running = tokio::spawn(service::run(app.clone()));

    let mut ids = Vec::new();
    for (i, msg) in ["boom goes the planner", "nonsense please", "a broken printer", "a calm lake"].iter().enumerate() {
        let incoming = Incoming {
            source: Source::MANUAL,
            source_id: format!("s{i}"),
            donor: Some("Tester".into()),
            message: (*msg).into(),
            amount: "1".into(),
            currency: "USD".into(),
            amount_user: None,
            message_type: "text".into(),
        };
        ids.push(intake::admit(&app, incoming, false).await.unwrap().unwrap().id);
    }

    let deadline = Instant::now() + Duration::from_secs(30);
    let last = loop {
        let d = app.journal.get(ids[3]).unwrap().unwrap();
        if d.state == State::Shown {
            break d;
        }
        assert!(Instant::now() < deadline, "the pipeline stalled behind a failure: {d:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(last.show_count, 1);

    let panicked = app.journal.get(ids[0]).unwrap().unwrap();
    assert_eq!(panicked.state, State::Failed);
    assert!(panicked.reason.as_deref().unwrap().contains("planner exploded on purpose"), "{panicked:?}");
    let nonsense = app.journal.get(ids[1]).unwrap().unwrap();
    assert_eq!(nonsense.state, State::Refused, "a failing checker refuses (fail closed)");
    assert!(nonsense.card_text.as_deref().unwrap().contains("can't check"));
    let broken = app.journal.get(ids[2]).unwrap().unwrap();
    assert_eq!(broken.state, State::Failed);
    assert!(broken.reason.as_deref().unwrap().contains("CUDA out of memory"));
    for id in &ids[..3] {
        assert!(!app.journal.get(*id).unwrap().unwrap().card_pending, "every card is shown once");
    }

    shutdown.cancel();
    running.await.unwrap().unwrap();
}

/// Paints for a minute unless interrupted; counts interrupts, as a real server would see them.
#[derive(Default)]
struct SlowBackend {
    interrupts: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl ImageBackend for SlowBackend {
    fn name(&self) -> &str {
        "slow"
    }
    async fn generate(&self, _r: &ImageRequest) -> Result<GeneratedImage, GenerateError> {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(GeneratedImage { width: 16, height: 16, rgb: vec![128; 16 * 16 * 3] })
    }
    async fn interrupt(&self) -> Result<(), GenerateError> {
        self.interrupts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn skip_while_painting_and_clear_interrupt_the_image_server() {
    let dir = tempfile::tempdir().unwrap();
    let raw = RawConfig::from_pairs([("DEMO", "0"), ("API_PORT", "0"), ("FRAME_RATE", "200")]);
    let settings = Settings::from_raw(&raw, Some(dir.path())).unwrap();
    let backend = Arc::new(SlowBackend::default());
    let seams = Seams {
        planner: Arc::new(FragilePlanner),
        backend: backend.clone(),
        converter: Arc::new(OnePixel),
        image_checks: Default::default(),
    };
    let shutdown = tokio_util::sync::CancellationToken::new();
    let app = service::build_with(settings, seams, shutdown.clone()).await.unwrap();
    let running = tokio::spawn(service::run(app.clone()));
    let admit = |n: u32| {
        let app = app.clone();
        async move {
            let incoming = Incoming {
                source: Source::MANUAL,
                source_id: format!("slow{n}"),
                donor: None,
                message: format!("a slow painting {n}"),
                amount: "1".into(),
                currency: "USD".into(),
                amount_user: None,
                message_type: "text".into(),
            };
            intake::admit(&app, incoming, false).await.unwrap().unwrap().id
        }
    };
    // Waits until the snapshot says donation `id` is on the image server.
    let painting = |app: Arc<draw_stream::app::App>, id: i64| async move {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if app.snapshot.read().unwrap().painting.is_some_and(|(p, _)| p == id) {
                return;
            }
            assert!(Instant::now() < deadline, "donation {id} is not being painted");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    // The service took a free port itself (API_PORT=0) and wrote it into the data dir.
    let port_file = dir.path().join("api-port");
    let deadline = Instant::now() + Duration::from_secs(20);
    let port: u16 = loop {
        if let Some(p) = std::fs::read_to_string(&port_file).ok().and_then(|t| t.trim().parse().ok()) {
            break p;
        }
        assert!(Instant::now() < deadline, "the service never wrote its port");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let http = reqwest::Client::new();
    let post = |path: &str| http.post(format!("http://127.0.0.1:{port}{path}")).bearer_auth(&app.api_token).send();

    let first = admit(1).await;
    painting(app.clone(), first).await;
    assert_eq!(post("/queue/skip").await.unwrap().status().as_u16(), 202);
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.journal.get(first).unwrap().unwrap().state != State::Skipped {
        assert!(Instant::now() < deadline, "skip did not end the painting");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(backend.interrupts.load(std::sync::atomic::Ordering::SeqCst), 1, "the server was told to stop");

    let second = admit(2).await;
    painting(app.clone(), second).await;
    assert_eq!(post("/queue/clear").await.unwrap().status().as_u16(), 202);
    let deadline = Instant::now() + Duration::from_secs(10);
    while backend.interrupts.load(std::sync::atomic::Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "clear did not interrupt the painting");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(app.journal.get(second).unwrap().unwrap().state, State::Cleared);

    shutdown.cancel();
    running.await.unwrap().unwrap();
}
