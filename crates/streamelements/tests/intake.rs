//! Scenarios from the streamer's side, against the fake StreamElements (`streamelements::fake`) on
//! loopback, which speaks the shapes of the documented payloads (tests/fixtures, copied from
//! shared/fixtures/streamelements). Timers are shrunk; nothing asserts on timing.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use source::{
    async_trait, watch, CancellationToken, Delivery, DonationSource, Incoming, Sink, SinkError, SourceError, Status,
};
use streamelements::fake::{FakeSe, CHANNEL, TOKEN};
use streamelements::{LoginError, SeConfig, SeTuning, StreamElements, TokenType, KEYS, KIND, TOKEN_FILE_NAME};
use tokio::task::JoinHandle;
use tokio::time::Instant;

// ---------------------------------------------------------------------------------------------
// Test doubles and helpers

/// The journal as the source sees it: dedupes on `source_id`, remembers first deliveries.
#[derive(Default)]
struct SinkState {
    first_order: Vec<String>,
    donations: HashMap<String, Incoming>,
    /// `deliver` calls per id (duplicates included).
    calls: HashMap<String, u32>,
    watermark: Option<String>,
    watermarks_stored: u32,
    /// The next this-many `deliver` calls fail (a journal hiccup).
    fail_next: u32,
}

#[derive(Default)]
struct TestSink {
    state: Mutex<SinkState>,
}

impl TestSink {
    fn new() -> Arc<TestSink> {
        Arc::new(TestSink::default())
    }
    fn delivered(&self) -> Vec<String> {
        self.state.lock().unwrap().first_order.clone()
    }
    fn has(&self, id: &str) -> bool {
        self.state.lock().unwrap().donations.contains_key(id)
    }
    fn get(&self, id: &str) -> Option<Incoming> {
        self.state.lock().unwrap().donations.get(id).cloned()
    }
    fn watermark(&self) -> Option<String> {
        self.state.lock().unwrap().watermark.clone()
    }
    fn calls(&self, id: &str) -> u32 {
        self.state.lock().unwrap().calls.get(id).copied().unwrap_or(0)
    }
}

#[async_trait]
impl Sink for TestSink {
    async fn deliver(&self, d: Incoming) -> Result<Delivery, SinkError> {
        let mut s = self.state.lock().unwrap();
        if s.fail_next > 0 {
            s.fail_next -= 1;
            return Err(SinkError::new("disk full"));
        }
        assert_eq!(d.source.as_str(), "streamelements");
        *s.calls.entry(d.source_id.clone()).or_default() += 1;
        if s.donations.contains_key(&d.source_id) {
            return Ok(Delivery::Duplicate);
        }
        s.first_order.push(d.source_id.clone());
        s.donations.insert(d.source_id.clone(), d);
        Ok(Delivery::New)
    }
    async fn load_watermark(&self) -> Result<Option<String>, SinkError> {
        Ok(self.state.lock().unwrap().watermark.clone())
    }
    async fn store_watermark(&self, value: &str) -> Result<(), SinkError> {
        let mut s = self.state.lock().unwrap();
        // `<ISO createdAt>[ <ids>]`: same-format ISO timestamps compare like the instants they name.
        let time = |w: &str| w.split(' ').next().unwrap_or_default().to_string();
        assert!(
            s.watermark.as_deref().is_none_or(|w| time(value) >= time(w)),
            "watermark went back from {:?} to {value}",
            s.watermark
        );
        s.watermark = Some(value.to_string());
        s.watermarks_stored += 1;
        Ok(())
    }
}

/// Timers shrunk so that reconnects run in milliseconds; small pages so that paging is exercised.
fn fast_tuning() -> SeTuning {
    SeTuning {
        http_timeout: Duration::from_secs(3),
        connect_timeout: Duration::from_secs(2),
        silence_timeout: Duration::from_millis(800),
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        backoff_reset_after: Duration::from_secs(1),
        poll_interval: Duration::from_millis(200),
        safety_net_interval: Duration::from_secs(60),
        catchup_retry: Duration::from_millis(50),
        login_retry_interval: Duration::from_secs(60),
        login_file_poll: Duration::from_millis(50),
        retry_after_default: Duration::from_millis(50),
        retry_after_max: Duration::from_secs(2),
        max_429_retries: 8,
        page_size: 3,
        max_catchup_pages: 100,
        pending_window: Duration::from_secs(48 * 3600),
    }
}

fn lookup_from(env: Vec<(String, String)>) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = env.into_iter().collect();
    move |k: &str| map.get(k).cloned()
}

async fn start_fake() -> FakeSe {
    let fake = FakeSe::start().await;
    // Astro pings every 30 s; here every 100 ms, so a silence_timeout of 800 ms is real silence.
    fake.set_ping_interval(Duration::from_millis(100));
    fake
}

fn config_from(env: Vec<(String, String)>) -> SeConfig {
    let lookup = lookup_from(env);
    let mut cfg = SeConfig::from_lookup(&lookup, Path::new("/nonexistent")).expect("valid config").expect("configured");
    cfg.tuning = fast_tuning();
    cfg
}

fn source_for(fake: &FakeSe) -> Arc<StreamElements> {
    Arc::new(StreamElements::new(config_from(fake.env())))
}

struct Running {
    status: watch::Receiver<Status>,
    shutdown: CancellationToken,
    handle: JoinHandle<Result<(), SourceError>>,
}

impl Running {
    fn start(src: Arc<StreamElements>, sink: Arc<TestSink>) -> Running {
        let (tx, rx) = watch::channel(Status::Connecting);
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(src.run(sink, tx, shutdown.clone()));
        Running { status: rx, shutdown, handle }
    }

    async fn start_live(src: Arc<StreamElements>, sink: Arc<TestSink>) -> Running {
        let mut run = Running::start(src, sink);
        run.wait_for(Status::Live).await;
        run
    }

    async fn wait_for(&mut self, want: Status) {
        let became = tokio::time::timeout(Duration::from_secs(5), self.status.wait_for(|s| *s == want))
            .await
            .is_ok_and(|r| r.is_ok());
        assert!(became, "status never became {want}; it is {}", *self.status.borrow());
    }

    async fn stop(self) {
        self.shutdown.cancel();
        let r = tokio::time::timeout(Duration::from_secs(5), self.handle).await.expect("run did not stop").unwrap();
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(*self.status.borrow(), Status::Stopped);
    }
}

async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn wait_delivered(sink: &TestSink, ids: &[String]) {
    wait_until(&format!("delivered {ids:?}"), || ids.iter().all(|id| sink.has(id))).await;
}

/// Once a socket is subscribed again, a tip made now arrives live (the source recovered).
async fn live_tip_after(fake: &FakeSe, sink: &TestSink, ids: &mut Vec<String>, donor: &str, message: &str) {
    wait_until("subscribed again", || fake.subscribed_sessions() == 1).await;
    ids.push(fake.tip(donor, 1.0, "USD", message));
    wait_delivered(sink, ids).await;
}

/// Every tip journaled (the sink dedupes like the journal, so "once" is the journal's job; what the
/// source itself filters is checked with [`TestSink::calls`]), and nothing else.
fn assert_exactly(sink: &TestSink, ids: &[String]) {
    let got = sink.delivered();
    let unique: HashSet<&String> = got.iter().collect();
    let want: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique, want, "delivered {got:?}, expected {ids:?}");
}

// ---------------------------------------------------------------------------------------------
// Configuration

#[test]
fn config_errors_name_the_key_and_the_token_is_redacted() {
    let bad = lookup_from(vec![
        ("STREAMELEMENTS_TOKEN".into(), TOKEN.into()),
        ("STREAMELEMENTS_CHANNEL".into(), "leeeeex".into()),
        ("STREAMELEMENTS_WS_URL".into(), "astro.streamelements.com".into()),
        ("STREAMELEMENTS_API_BASE".into(), "ftp://api.streamelements.com".into()),
    ]);
    let problems = SeConfig::from_lookup(&bad, Path::new(".")).unwrap_err();
    let keys: Vec<&str> = problems.iter().map(|p| p.key).collect();
    assert_eq!(keys, ["STREAMELEMENTS_CHANNEL", "STREAMELEMENTS_WS_URL", "STREAMELEMENTS_API_BASE"], "{problems:?}");
    assert!(problems[0].message.contains("24 hex"), "{}", problems[0].message);

    // No token: the source is off, even with other keys set; bad values are still reported.
    let off = lookup_from(vec![("STREAMELEMENTS_CHANNEL".into(), CHANNEL.into())]);
    assert!(SeConfig::from_lookup(&off, Path::new(".")).unwrap().is_none());
    assert!(!(KIND.configured)(&off, Path::new(".")));
    assert!((KIND.build)(&off, Path::new(".")).unwrap().is_none());
    let off_bad = lookup_from(vec![("STREAMELEMENTS_WS_URL".into(), "nope".into())]);
    assert_eq!(SeConfig::from_lookup(&off_bad, Path::new(".")).unwrap_err()[0].key, "STREAMELEMENTS_WS_URL");

    // Defaults, token type, redaction.
    let ok = lookup_from(vec![("STREAMELEMENTS_TOKEN".into(), TOKEN.into())]);
    let cfg = SeConfig::from_lookup(&ok, Path::new(".")).unwrap().unwrap();
    assert_eq!(cfg.ws_url, "wss://astro.streamelements.com/");
    assert_eq!(cfg.api_base, "https://api.streamelements.com/kappa/v2");
    assert_eq!(cfg.channel, None);
    assert_eq!(TokenType::detect(&cfg.token), TokenType::Jwt);
    assert!(!format!("{cfg:?}").contains(TOKEN));
    let oauth = lookup_from(vec![("STREAMELEMENTS_TOKEN".into(), "ixfd2ussul9naws1agx16n8ufwny5a".into())]);
    assert_eq!(
        TokenType::detect(&SeConfig::from_lookup(&oauth, Path::new(".")).unwrap().unwrap().token),
        TokenType::OAuth2
    );
    assert!((KIND.configured)(&ok, Path::new(".")));
    let built = (KIND.build)(&ok, Path::new(".")).unwrap().unwrap();
    assert_eq!(built.label(), "StreamElements");
    assert_eq!(built.name().as_str(), "streamelements");
    assert!(!built.settles());

    let names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
    assert_eq!(
        names,
        ["STREAMELEMENTS_TOKEN", "STREAMELEMENTS_CHANNEL", "STREAMELEMENTS_WS_URL", "STREAMELEMENTS_API_BASE"]
    );
    assert_eq!(KEYS[2].default, Some("wss://astro.streamelements.com/"));
    assert!(KEYS.iter().all(|k| !k.doc.is_empty()));
    assert_eq!(KIND.keys.len(), 4);
    assert_eq!(SeTuning::default().silence_timeout, Duration::from_secs(75));
    assert_eq!(SeTuning::default().page_size, 100);
}

#[test]
fn float_amounts_become_clean_decimals() {
    use streamelements::format_amount;
    assert_eq!(format_amount(4.2), "4.2");
    assert_eq!(format_amount(10.0), "10");
    assert_eq!(format_amount(0.1 + 0.2), "0.3");
    assert_eq!(format_amount(19.99), "19.99");
    assert_eq!(format_amount(1e15), "1000000000000000");
}

// ---------------------------------------------------------------------------------------------
// Scenarios

/// The documented tip (fixture astro_channel_tips_message_docs.json), pushed verbatim, becomes this
/// Incoming; a float amount from the fake comes out as a clean decimal.
#[tokio::test]
async fn the_documented_tip_becomes_this_incoming() {
    let fake = start_fake().await;
    let sink = TestSink::new();
    let run = Running::start_live(source_for(&fake), sink.clone()).await;

    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/astro_channel_tips_message_docs.json"
    ))
    .unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    // Created now (not in 2025), so it is above the watermark like a real new tip.
    doc["data"].as_object_mut().unwrap().remove("createdAt");
    let id = fake.tip_raw(doc["data"].clone());
    assert_eq!(id, "67b5f39d07ecd4c594e60f73");
    wait_delivered(&sink, std::slice::from_ref(&id)).await;
    let got = sink.get(&id).unwrap();
    assert_eq!(
        got,
        Incoming {
            source: streamelements::SOURCE,
            source_id: "67b5f39d07ecd4c594e60f73".into(),
            donor: Some("Styler".into()),
            message: String::new(),
            amount: "4.2".into(),
            currency: "USD".into(),
            amount_user: None,
            message_type: "text".into(),
        }
    );
    assert!(!format!("{got:?}").contains('@'), "no e-mail leaves the source");

    let a = fake.tip("", 0.1 + 0.2, "EUR", "draw a tiny boat");
    let b = fake.tip("Big Spender", 10.0, "USD", "draw a castle");
    wait_delivered(&sink, &[a.clone(), b.clone()]).await;
    assert_eq!(sink.get(&a).unwrap().amount, "0.3");
    assert_eq!(sink.get(&a).unwrap().donor, None, "an empty username is anonymous");
    assert_eq!(sink.get(&b).unwrap().amount, "10");
    assert_eq!(sink.get(&b).unwrap().message, "draw a castle");
    run.stop().await;
}

#[tokio::test]
async fn first_start_does_not_replay_history() {
    let fake = start_fake().await;
    let old: Vec<String> = (0..5).map(|i| fake.tip(&format!("old{i}"), 5.0, "USD", "old request")).collect();
    let sink = TestSink::new();
    let run = Running::start_live(source_for(&fake), sink.clone()).await;
    let newest = fake.stored_tips().last().unwrap()["createdAt"].as_str().unwrap().to_string();
    assert!(sink.watermark().unwrap().starts_with(&newest), "{:?} vs {newest}", sink.watermark());
    assert!(sink.delivered().is_empty(), "history was replayed: {:?}", sink.delivered());

    let new = fake.tip("new", 3.0, "USD", "draw a fox");
    wait_delivered(&sink, std::slice::from_ref(&new)).await;
    run.stop().await;
    // A restart does not replay history either.
    let run = Running::start_live(source_for(&fake), sink.clone()).await;
    run.stop().await;
    assert_exactly(&sink, &[new]);
    assert!(old.iter().all(|id| !sink.has(id)));
}

/// A server that lists the whole history (ignoring `after`) or a tip whose payment failed: neither
/// puts old or unpaid tips on stream.
#[tokio::test]
async fn old_and_unpaid_tips_are_never_drawn_whatever_the_server_lists() {
    let fake = start_fake().await;
    let mut old: Vec<String> = (0..3).map(|i| fake.tip(&format!("old{i}"), 5.0, "USD", "old request")).collect();
    // One from years ago: older than anything the watermark will ever be.
    let mut ancient = fake.stored_tips()[0].clone();
    ancient["_id"] = serde_json::Value::Null;
    ancient["createdAt"] = serde_json::json!("2019-01-01T00:00:00.000Z");
    old.push(fake.tip_raw(ancient));
    let sink = TestSink::new();
    let run = Running::start_live(source_for(&fake), sink.clone()).await;
    run.stop().await;
    fake.ignore_after(true);
    let mut refunded = fake.stored_tips()[0].clone();
    refunded["_id"] = serde_json::Value::Null;
    refunded["createdAt"] = serde_json::Value::Null;
    refunded["status"] = serde_json::json!("refunded");
    let refunded = fake.tip_raw(refunded);
    let new = fake.tip("new", 3.0, "USD", "draw a fox");
    let run = Running::start_live(source_for(&fake), sink.clone()).await;
    wait_delivered(&sink, std::slice::from_ref(&new)).await;
    run.stop().await;
    assert_exactly(&sink, &[new]);
    assert!(old.iter().all(|id| !sink.has(id)), "history listed by the server is not drawn");
    assert!(!sink.has(&refunded), "a refunded tip is not drawn");
}

#[tokio::test]
async fn tips_are_delivered_once_across_a_restart() {
    let fake = start_fake().await;
    let sink = TestSink::new();
    let src = source_for(&fake);
    let run = Running::start_live(src.clone(), sink.clone()).await;
    let mut ids = vec![fake.tip("a", 1.0, "USD", "one"), fake.tip("b", 2.0, "USD", "two")];
    wait_delivered(&sink, &ids).await;
    run.stop().await;

    // Made while the service is down: 7 tips over 3 pages of 3.
    for i in 0..7 {
        ids.push(fake.tip(&format!("down{i}"), 1.5, "USD", "while down"));
    }
    let run = Running::start_live(src.clone(), sink.clone()).await;
    wait_delivered(&sink, &ids).await;
    ids.push(fake.tip("c", 4.0, "USD", "live again"));
    wait_delivered(&sink, &ids).await;
    run.stop().await;
    assert_exactly(&sink, &ids);
    let requests = fake.rest_requests();
    // The channel had no tip at first start (epoch watermark): no `after` filter, pages of 3, oldest first.
    let paged = requests.iter().filter(|r| r.ends_with("?limit=3&offset=6&sort=createdAt")).count();
    assert!(paged >= 1, "the catch-up paged oldest first: {requests:?}");
}

#[tokio::test]
async fn tips_during_a_dropped_socket_are_caught_up() {
    let fake = start_fake().await;
    let sink = TestSink::new();
    let run = Running::start_live(source_for(&fake), sink.clone()).await;
    let mut ids = vec![fake.tip("a", 1.0, "USD", "before")];
    wait_delivered(&sink, &ids).await;
    fake.drop_socket();
    // Nobody is subscribed now: these exist only in REST.
    for i in 0..4 {
        ids.push(fake.tip(&format!("gap{i}"), 1.0, "USD", "in the gap"));
    }
    wait_delivered(&sink, &ids).await;
    live_tip_after(&fake, &sink, &mut ids, "b", "after").await;
    run.stop().await;
    assert_exactly(&sink, &ids);
}

#[tokio::test]
async fn a_reconnect_frame_resumes_without_resubscribing() {
    let fake = start_fake().await;
    let sink = TestSink::new();
    let mut run = Running::start_live(source_for(&fake), sink.clone()).await;
    let subscribes = fake.subscribe_frames();
    assert_eq!(subscribes, 2, "channel.tips and channel.tips.moderation");
    fake.send_reconnect();
    let mut ids = vec![fake.tip("a", 1.0, "USD", "while moving")];
    wait_until("resumed with the reconnect token", || fake.resumed() == 1).await;
    wait_delivered(&sink, &ids).await;
    run.wait_for(Status::Live).await;
    live_tip_after(&fake, &sink, &mut ids, "b", "after the move").await;
    assert_eq!(fake.subscribe_frames(), subscribes, "no re-subscribe after a resume");

    // A reconnect token the next server refuses: a fresh connect + subscribe + catch-up.
    fake.send_reconnect_invalid();
    ids.push(fake.tip("c", 1.0, "USD", "while refused"));
    wait_until("subscribed afresh", || fake.subscribe_frames() == subscribes + 2).await;
    wait_delivered(&sink, &ids).await;
    live_tip_after(&fake, &sink, &mut ids, "d", "after").await;
    run.stop().await;
    assert_exactly(&sink, &ids);
}

#[tokio::test]
async fn duplicate_deliveries_are_journaled_once() {
    let fake = start_fake().await;
    let sink = TestSink::new();
    let src = source_for(&fake);
    let run = Running::start_live(src.clone(), sink.clone()).await;
    let a = fake.tip("a", 1.0, "USD", "twice");
    wait_delivered(&sink, std::slice::from_ref(&a)).await;
    fake.redeliver_last();
    fake.redeliver_last();
    let b = fake.tip("b", 1.0, "USD", "marker");
    wait_delivered(&sink, std::slice::from_ref(&b)).await;
    assert_eq!(sink.calls(&a), 1, "a redelivered frame reached the sink");
    run.stop().await;
    // A restart fetches from the watermark again (inclusive): the sink sees duplicates, journals none.
    let run = Running::start_live(src, sink.clone()).await;
    let c = fake.tip("c", 1.0, "USD", "after restart");
    wait_delivered(&sink, std::slice::from_ref(&c)).await;
    run.stop().await;
    assert_exactly(&sink, &[a, b, c]);
}

#[tokio::test]
async fn tips_with_equal_timestamps_survive_a_restart() {
    let fake = start_fake().await;
    fake.freeze_clock(true);
    let sink = TestSink::new();
    let src = source_for(&fake);
    let run = Running::start_live(src.clone(), sink.clone()).await;
    let mut ids = vec![fake.tip("a", 1.0, "USD", "first")];
    wait_delivered(&sink, &ids).await;
    run.stop().await;
    // The next start's catch-up moves the watermark onto a's millisecond.
    let run = Running::start_live(src.clone(), sink.clone()).await;
    run.stop().await;
    let a_created = fake.stored_tips()[0]["createdAt"].as_str().unwrap().to_string();
    assert_eq!(sink.watermark().unwrap(), format!("{a_created} {}", ids[0]));
    // Made while down, in that same millisecond.
    for i in 0..4 {
        ids.push(fake.tip(&format!("same{i}"), 1.0, "USD", "same millisecond"));
    }
    assert!(fake.stored_tips().iter().all(|t| t["createdAt"] == a_created.as_str()));
    let run = Running::start_live(src, sink.clone()).await;
    wait_delivered(&sink, &ids).await;
    run.stop().await;
    assert_exactly(&sink, &ids);
    // From the watermark's millisecond, inclusive: after = watermark − 1 ms.
    let after = format!("after={}", iso_ms(&a_created) - 1);
    assert!(fake.rest_requests().iter().any(|r| r.contains(&after)), "{after} in {:?}", fake.rest_requests());
}

/// Milliseconds since the epoch of a `YYYY-MM-DDTHH:MM:SS.mmmZ` time (the fake's format).
fn iso_ms(iso: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(iso).unwrap().timestamp_millis()
}

#[tokio::test]
async fn a_pending_tip_is_drawn_once_after_approval() {
    let fake = start_fake().await;
    let sink = TestSink::new();
    let run = Running::start_live(source_for(&fake), sink.clone()).await;
    let p = fake.tip_pending("mod", 7.0, "USD", "held by moderation");
    let marker = fake.tip("m", 1.0, "USD", "marker");
    wait_delivered(&sink, std::slice::from_ref(&marker)).await;
    assert!(!sink.has(&p), "a pending tip was drawn");
    fake.approve(&p);
    wait_delivered(&sink, std::slice::from_ref(&p)).await;
    fake.redeliver_last();
    let m2 = fake.tip("m2", 1.0, "USD", "marker 2");
    wait_delivered(&sink, std::slice::from_ref(&m2)).await;
    assert_eq!(sink.calls(&p), 1, "the approved tip, delivered again, reached the sink twice");
    run.stop().await;
    assert_exactly(&sink, &[p.clone(), marker, m2]);
    assert_eq!(sink.get(&p).unwrap().amount, "7");
}

#[tokio::test]
async fn a_tip_approved_while_down_is_caught_up() {
    let fake = start_fake().await;
    let sink = TestSink::new();
    let src = source_for(&fake);
    let run = Running::start_live(src.clone(), sink.clone()).await;
    let p = fake.tip_pending("mod", 2.0, "USD", "approve me later");
    tokio::time::sleep(Duration::from_millis(5)).await; // a is created in a later millisecond
    let a = fake.tip("a", 1.0, "USD", "after the pending one");
    wait_delivered(&sink, std::slice::from_ref(&a)).await;
    run.stop().await;
    // A restart's catch-up sees a after p: the watermark must stay before p.
    let run = Running::start_live(src.clone(), sink.clone()).await;
    run.stop().await;
    assert!(!sink.has(&p));
    fake.approve(&p);
    let b = fake.tip("b", 1.0, "USD", "while down");
    let run = Running::start_live(src, sink.clone()).await;
    wait_delivered(&sink, &[p.clone(), b.clone()]).await;
    run.stop().await;
    assert_exactly(&sink, &[p, a, b]);
}

#[tokio::test]
async fn rejected_and_deleted_tips_are_never_drawn() {
    let fake = start_fake().await;
    let sink = TestSink::new();
    let src = source_for(&fake);
    let run = Running::start_live(src.clone(), sink.clone()).await;
    let rejected = fake.tip_pending("r", 1.0, "USD", "rejected");
    fake.reject(&rejected);
    let mut raw = fake.stored_tips()[0].clone();
    raw.as_object_mut().unwrap().remove("_id");
    raw.as_object_mut().unwrap().remove("createdAt");
    raw["deleted"] = json!(true);
    raw["approved"] = json!("allowed");
    let deleted_live = fake.tip_raw(raw);
    let marker = fake.tip("m", 1.0, "USD", "marker");
    wait_delivered(&sink, std::slice::from_ref(&marker)).await;
    run.stop().await;

    let deleted_down = fake.tip("d", 1.0, "USD", "deleted while down");
    fake.delete(&deleted_down);
    let rejected_down = fake.tip_pending("r2", 1.0, "USD", "rejected while down");
    fake.reject(&rejected_down);
    let run = Running::start_live(src, sink.clone()).await;
    let marker2 = fake.tip("m2", 1.0, "USD", "marker 2");
    wait_delivered(&sink, std::slice::from_ref(&marker2)).await;
    run.stop().await;
    assert_exactly(&sink, &[marker, marker2]);
    for id in [rejected, deleted_live, deleted_down, rejected_down] {
        assert_eq!(sink.calls(&id), 0, "{id} reached the sink");
    }
}

#[tokio::test]
async fn a_refused_token_means_login_needed_without_spinning() {
    let fake = start_fake().await;
    fake.set_token_valid(false);
    let sink = TestSink::new();
    let mut run = Running::start(source_for(&fake), sink.clone());
    run.wait_for(Status::LoginNeeded).await;
    let subscribes = fake.subscribe_frames();
    let connections = fake.connections();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(*run.status.borrow(), Status::LoginNeeded);
    assert_eq!(fake.subscribe_frames(), subscribes, "it kept subscribing with a refused token");
    assert_eq!(fake.connections(), connections, "it kept connecting with a refused token");
    // A new login ends the wait: `a_login_saved_while_waiting_is_picked_up_without_a_restart`.
    run.stop().await;
}

#[tokio::test]
async fn a_refused_token_on_rest_means_login_needed_too() {
    let fake = start_fake().await;
    fake.set_token_valid(false);
    let env: Vec<(String, String)> = fake.env().into_iter().filter(|(k, _)| k != "STREAMELEMENTS_CHANNEL").collect();
    let mut run = Running::start(Arc::new(StreamElements::new(config_from(env))), TestSink::new());
    run.wait_for(Status::LoginNeeded).await;
    assert_eq!(fake.connections(), 0, "no socket without a channel id");
    run.stop().await;
}

#[tokio::test]
async fn the_channel_is_read_from_channels_me_when_unset() {
    let fake = start_fake().await;
    let env: Vec<(String, String)> = fake.env().into_iter().filter(|(k, _)| k != "STREAMELEMENTS_CHANNEL").collect();
    let sink = TestSink::new();
    let run = Running::start_live(Arc::new(StreamElements::new(config_from(env))), sink.clone()).await;
    let a = fake.tip("a", 1.0, "USD", "hello");
    wait_delivered(&sink, std::slice::from_ref(&a)).await;
    run.stop().await;
    let me = fake.rest_requests().iter().filter(|r| r.as_str() == "GET /channels/me").count();
    assert_eq!(me, 1, "{:?}", fake.rest_requests());
}

#[tokio::test]
async fn a_silent_socket_is_replaced() {
    let fake = start_fake().await;
    let sink = TestSink::new();
    let run = Running::start_live(source_for(&fake), sink.clone()).await;
    fake.silence();
    let mut ids = vec![fake.tip("a", 1.0, "USD", "into the void")];
    wait_until("a second socket", || fake.connections() >= 2).await;
    wait_delivered(&sink, &ids).await;
    live_tip_after(&fake, &sink, &mut ids, "b", "after").await;
    run.stop().await;
    assert_exactly(&sink, &ids);
}

#[tokio::test]
async fn refused_upgrades_subscribes_and_rest_calls_are_retried() {
    let fake = start_fake().await;
    fake.fail_next_upgrade(429, Some("0.1"));
    fake.fail_next_upgrade(502, None);
    fake.fail_next_subscribe("err_deadline_exceeded");
    fake.fail_next_rest(429, Some("0.05"));
    fake.fail_next_rest(500, None);
    let sink = TestSink::new();
    let run = Running::start_live(source_for(&fake), sink.clone()).await;
    assert!(fake.connections() >= 2, "connections {}", fake.connections());
    assert!(fake.subscribe_frames() >= 4, "subscribes {}", fake.subscribe_frames());
    let a = fake.tip("a", 1.0, "USD", "finally");
    wait_delivered(&sink, std::slice::from_ref(&a)).await;
    run.stop().await;
}

#[tokio::test]
async fn sink_errors_are_retried_not_dropped() {
    let fake = start_fake().await;
    let sink = TestSink::new();
    let src = source_for(&fake);
    let run = Running::start_live(src.clone(), sink.clone()).await;
    sink.state.lock().unwrap().fail_next = 3;
    let ids: Vec<String> = (0..3).map(|i| fake.tip(&format!("v{i}"), 1.0, "USD", "journal hiccup")).collect();
    wait_delivered(&sink, &ids).await;
    run.stop().await;

    // Failing during a start-up catch-up: retried until it goes through.
    let mut all = ids.clone();
    all.extend((0..4).map(|i| fake.tip(&format!("d{i}"), 1.0, "USD", "while down")));
    sink.state.lock().unwrap().fail_next = 2;
    let run = Running::start(src, sink.clone());
    wait_delivered(&sink, &all).await;
    run.stop().await;
    assert_exactly(&sink, &all);
}

/// Nothing secret in any log line, at TRACE: not the token (subscribe frames, REST headers), not the
/// reconnect token, not a donor's e-mail, not the secrets in the `/channels/me` reply.
#[tokio::test(flavor = "current_thread")]
async fn no_token_email_or_secret_appears_in_the_logs() {
    let (logs, _guard) = source::testing::Logs::capture();

    let fake = start_fake().await;
    let env: Vec<(String, String)> = fake.env().into_iter().filter(|(k, _)| k != "STREAMELEMENTS_CHANNEL").collect();
    let cfg = config_from(env);
    let sink = TestSink::new();
    let src = Arc::new(StreamElements::new(cfg.clone()));
    let mut run = Running::start_live(src, sink.clone()).await;
    let a = fake.tip("Mail Person", 1.0, "USD", "hello");
    let p = fake.tip_pending("Other Person", 2.0, "USD", "held");
    wait_delivered(&sink, std::slice::from_ref(&a)).await;
    fake.approve(&p);
    wait_delivered(&sink, std::slice::from_ref(&p)).await;
    fake.send_reconnect();
    wait_until("resumed", || fake.resumed() == 1).await;
    run.wait_for(Status::Live).await;
    fake.set_token_valid(false);
    fake.drop_socket();
    run.wait_for(Status::LoginNeeded).await;
    run.stop().await;
    tracing::info!(config = ?cfg, "config");

    let logs = logs.text();
    assert!(logs.contains("streamelements"), "nothing was logged?");
    assert!(logs.contains("resum"), "the resume path ran");
    for secret in [TOKEN, "@donor.example", "rt-", "7JkHvfuVsd5I1f1A0TRF", "ixfd2ussul9naws1agx16n8ufwny5a"] {
        assert!(!logs.contains(secret), "{secret:?} leaked into the logs");
    }
    println!("{} log lines checked", logs.lines().count());
}

/// A token without `tips:moderation`: tips still flow, and an approval arrives through the catch-up.
#[tokio::test]
async fn without_the_moderation_topic_approvals_arrive_by_catch_up() {
    let fake = start_fake().await;
    fake.refuse_topic("channel.tips.moderation");
    let sink = TestSink::new();
    let run = Running::start_live(source_for(&fake), sink.clone()).await;
    let p = fake.tip_pending("mod", 3.0, "USD", "held");
    let a = fake.tip("a", 1.0, "USD", "live");
    wait_delivered(&sink, std::slice::from_ref(&a)).await;
    fake.approve(&p); // nobody hears this on the socket
    fake.drop_socket(); // the catch-up after the reconnect finds it allowed
    wait_delivered(&sink, std::slice::from_ref(&p)).await;
    run.stop().await;
    assert_exactly(&sink, &[p, a]);
}

/// The JWT was regenerated: the source waits in "login needed"; `draw-stream login streamelements`
/// (this crate's `login`) checks the new one, saves it owner-only, and the running source is live
/// again within seconds, without a restart. A token StreamElements refuses is never saved.
#[tokio::test]
async fn a_login_saved_while_waiting_is_picked_up_without_a_restart() {
    let fake = start_fake().await;
    let dir = std::env::temp_dir().join(format!("se-login-{}-{}", std::process::id(), line!()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(TOKEN_FILE_NAME);
    std::fs::write(&file, "eyJvbGQiOjF9.eyJvbGQiOjF9.b2xk\n").unwrap(); // a JWT StreamElements no longer takes
                                                                        // Only the saved login: no STREAMELEMENTS_TOKEN in the configuration.
    let env: Vec<(String, String)> = fake.env().into_iter().filter(|(k, _)| k != "STREAMELEMENTS_TOKEN").collect();
    let lookup = lookup_from(env);
    assert!(streamelements::configured(&lookup, &dir));
    let mut cfg = SeConfig::from_lookup(&lookup, &dir).expect("valid").expect("configured by the saved login");
    cfg.tuning = fast_tuning();
    let sink = TestSink::new();
    let mut run = Running::start(Arc::new(StreamElements::new(cfg.clone())), sink.clone());
    run.wait_for(Status::LoginNeeded).await;

    assert!(matches!(streamelements::login(&cfg, "   ").await, Err(LoginError::Empty)));
    assert!(matches!(streamelements::login(&cfg, "eyJiYWQiOjF9.eyJiYWQiOjF9.YmFk").await, Err(LoginError::Refused)));
    assert!(std::fs::read_to_string(&file).unwrap().starts_with("eyJvbGQ"), "a refused token was saved");

    assert_eq!(streamelements::login(&cfg, &format!("  {TOKEN}\n")).await.unwrap(), CHANNEL);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), TOKEN);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    run.wait_for(Status::Live).await;
    let tip = fake.tip("Ann", 5.0, "USD", "a fox in the snow");
    wait_delivered(&sink, std::slice::from_ref(&tip)).await;
    run.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
