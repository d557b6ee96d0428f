//! The Twitch intake against the fake Twitch (`twitch::fake`, loopback only).
//!
//! Every wait below is "until the thing a user would notice happened" with one generous overall
//! deadline (a hang fails the test instead of blocking CI); nothing asserts on timing.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use source::{
    async_trait, watch, CancellationToken, Delivery, DonationSource, Incoming, Outcome, SettleError, Settlement, Sink,
    SinkError, Status,
};
use twitch::fake::FakeTwitch;
use twitch::{StoredToken, TokenFile, Twitch, TwitchConfig};

/// An in-memory journal: dedupes on (source, source_id) like the real one.
#[derive(Default)]
struct MemSink {
    keys: Mutex<HashSet<(String, String)>>,
    new: Mutex<Vec<Incoming>>,
    duplicates: Mutex<u32>,
    fail_next: Mutex<u32>,
    withdrawn: Mutex<Vec<String>>,
}

#[async_trait]
impl Sink for MemSink {
    async fn deliver(&self, d: Incoming) -> Result<Delivery, SinkError> {
        {
            let mut f = self.fail_next.lock().unwrap();
            if *f > 0 {
                *f -= 1;
                return Err(SinkError::new("disk full (test)"));
            }
        }
        let key = (d.source.as_str().to_string(), d.source_id.clone());
        if self.keys.lock().unwrap().insert(key) {
            self.new.lock().unwrap().push(d);
            Ok(Delivery::New)
        } else {
            *self.duplicates.lock().unwrap() += 1;
            Ok(Delivery::Duplicate)
        }
    }
    async fn load_watermark(&self) -> Result<Option<String>, SinkError> {
        Ok(None)
    }
    async fn store_watermark(&self, _value: &str) -> Result<(), SinkError> {
        Ok(())
    }
    async fn withdraw(&self, source_id: &str, _reason: &str) -> Result<bool, SinkError> {
        self.withdrawn.lock().unwrap().push(source_id.to_owned());
        Ok(true)
    }
}

impl MemSink {
    fn all(&self) -> Vec<Incoming> {
        self.new.lock().unwrap().clone()
    }
    fn by_id(&self, id: &str) -> Option<Incoming> {
        self.all().into_iter().find(|d| d.source_id == id)
    }
}

/// Polls `cond` until it holds; panics with `what` after a generous deadline.
async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "gave up waiting: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A data directory, removed when dropped.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("twitch-it-{name}-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 % 1_000_000_007
}

fn config(env: &[(String, String)], dir: &std::path::Path) -> TwitchConfig {
    let map: HashMap<String, String> = env.iter().cloned().collect();
    let lookup = move |k: &str| map.get(k).cloned();
    let mut cfg = TwitchConfig::from_lookup(&lookup, dir).expect("valid config").expect("configured");
    let t = &mut cfg.tuning;
    t.backoff_min = Duration::from_millis(50);
    t.backoff_max = Duration::from_millis(300);
    t.login_recheck_interval = Duration::from_millis(50);
    t.sink_retry_min = Duration::from_millis(10);
    t.sink_retry_max = Duration::from_millis(50);
    t.catchup_retry = Duration::from_millis(100);
    t.connect_timeout = Duration::from_secs(3);
    t.page_size = 2;
    cfg
}

struct Running {
    tw: Arc<Twitch>,
    sink: Arc<MemSink>,
    status: watch::Receiver<Status>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    _dir: Option<TempDir>,
}

impl Running {
    fn start(cfg: TwitchConfig) -> Running {
        let tw = Arc::new(Twitch::new(cfg));
        let sink = Arc::new(MemSink::default());
        let (tx, status) = watch::channel(Status::Connecting);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn({
            let (tw, sink, shutdown) = (tw.clone(), sink.clone(), shutdown.clone());
            async move {
                tw.run(sink, tx, shutdown).await.expect("run ends cleanly");
            }
        });
        Running { tw, sink, status, shutdown, task, _dir: None }
    }

    async fn until_status(&self, want: Status) {
        let status = self.status.clone();
        until(&format!("status {want}"), || *status.borrow() == want).await;
    }

    async fn until_delivered(&self, n: usize) {
        let sink = self.sink.clone();
        until(&format!("{n} donations delivered"), || sink.all().len() >= n).await;
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(5), self.task).await.expect("run stops").unwrap();
        assert_eq!(*self.status.borrow(), Status::Stopped);
    }
}

async fn live(fake: &FakeTwitch, name: &str) -> Running {
    let dir = temp_dir(name);
    let mut r = Running::start(config(&fake.env(), &dir));
    r._dir = Some(dir);
    r.until_status(Status::Live).await;
    until("three subscriptions", || fake.subscription_count() == 3).await;
    r
}

fn settlement(id: &str, kind: &str, outcome: Outcome) -> Settlement {
    Settlement { source_id: id.into(), message_type: kind.into(), outcome }
}

#[tokio::test]
async fn redemptions_and_cheers_are_delivered_once_and_settled() {
    let fake = FakeTwitch::start().await;
    let r = live(&fake, "basic").await;
    // The reward did not exist: it was created, manageable by us, with the default title.
    assert_eq!(fake.rewards(), vec![("Draw".to_string(), true)]);

    let red = fake.redeem("Кот_Viewer", "нарисуй кота 🐱");
    let cheer_id = fake.cheer("Cheerer", 150, "Cheer100 draw a cat Cheer50").expect("subscribed");
    r.until_delivered(2).await;

    let d = r.sink.by_id(&red).expect("redemption delivered");
    assert_eq!(d.source.as_str(), "twitch");
    assert_eq!(d.donor.as_deref(), Some("Кот_Viewer"));
    assert_eq!(d.message, "нарисуй кота 🐱");
    assert_eq!((d.amount.as_str(), d.currency.as_str(), d.amount_user.as_deref()), ("1000", "POINTS", None));
    assert_eq!(d.message_type, "redemption");

    let c = r.sink.by_id(&cheer_id).expect("cheer delivered under its message id");
    assert_eq!(c.donor.as_deref(), Some("Cheerer"));
    assert_eq!(c.message, "draw a cat");
    assert_eq!((c.amount.as_str(), c.currency.as_str()), ("150", "BITS"));
    assert_eq!(c.amount_user.as_deref(), Some("1.5"));
    assert_eq!(c.message_type, "cheer");

    // Twitch redelivers the same notification (same message_id): dropped before the sink.
    assert!(fake.redeliver_last());
    let marker = fake.cheer("Later", 100, "a final dog").unwrap();
    r.until_delivered(3).await;
    assert!(r.sink.by_id(&marker).is_some());
    assert_eq!(*r.sink.duplicates.lock().unwrap(), 0, "a redelivered message_id reached the sink");
    assert_eq!(r.sink.all().len(), 3);

    // Settling: drawn → FULFILLED; refused → CANCELED (points refunded); twice is fine.
    let red2 = fake.redeem("Other", "a tree");
    r.until_delivered(4).await;
    r.tw.settle(&settlement(&red, "redemption", Outcome::Drawn)).await.unwrap();
    assert_eq!(fake.redemption_status(&red).as_deref(), Some("FULFILLED"));
    r.tw.settle(&settlement(&red2, "redemption", Outcome::Refused)).await.unwrap();
    assert_eq!(fake.redemption_status(&red2).as_deref(), Some("CANCELED"));
    r.tw.settle(&settlement(&red, "redemption", Outcome::Drawn)).await.expect("idempotent");
    // Settled differently elsewhere, or unknown: permanent, with a reason.
    match r.tw.settle(&settlement(&red2, "redemption", Outcome::Drawn)).await {
        Err(SettleError::Permanent(m)) => assert!(m.contains("CANCELED"), "{m}"),
        other => panic!("{other:?}"),
    }
    match r.tw.settle(&settlement("no-such-redemption", "redemption", Outcome::Drawn)).await {
        Err(SettleError::Permanent(m)) => assert!(m.contains("not found"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Cheers have nothing to settle.
    r.tw.settle(&settlement(&cheer_id, "cheer", Outcome::Refused)).await.unwrap();
    assert!(r.tw.settles());
    assert_eq!(r.tw.label(), "Twitch");
    assert_eq!(fake.inbound_frames(), 0, "we must never send data frames");
    r.stop().await;
}

#[tokio::test]
async fn small_or_textless_cheers_are_not_delivered() {
    let fake = FakeTwitch::start().await;
    let r = live(&fake, "cheers").await;
    fake.cheer("Small", 99, "draw a cat").unwrap();
    fake.cheer("OnlyMotes", 500, "Cheer400 Kappa100").unwrap();
    fake.cheer("Empty", 500, "").unwrap();
    let anon = fake.cheer_anonymous(100, "Kappa100 a blue whale").unwrap();
    r.until_delivered(1).await;
    let all = r.sink.all();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].source_id, anon);
    assert_eq!(all[0].donor, None);
    assert_eq!(all[0].message, "a blue whale");
    r.stop().await;
}

#[tokio::test]
async fn unfulfilled_redemptions_are_caught_up_at_start_and_the_reward_reused() {
    let fake = FakeTwitch::start().await;
    fake.create_reward("Draw", true);
    // Made while the service was down: stored UNFULFILLED, nobody notified.
    let ids: Vec<String> = (0..5).map(|i| fake.redeem(&format!("V{i}"), &format!("picture {i}"))).collect();
    let settled = fake.redeem("Done", "already drawn");
    let dir = temp_dir("catchup");
    let r = Running::start(config(&fake.env(), &dir));
    r.until_delivered(6).await;
    let got: Vec<String> = r.sink.all().into_iter().map(|d| d.source_id).collect();
    assert_eq!(&got[..5], &ids[..], "oldest first, across pages");
    r.until_status(Status::Live).await;
    assert_eq!(fake.rewards().len(), 1, "the existing reward was reused");
    r.tw.settle(&settlement(&settled, "redemption", Outcome::Cleared)).await.unwrap();
    assert_eq!(fake.redemption_status(&settled).as_deref(), Some("CANCELED"));
    r.stop().await;
}

#[tokio::test]
async fn a_new_reward_title_renames_our_reward_and_its_waiting_redemptions_still_settle() {
    let fake = FakeTwitch::start().await;
    let dir = temp_dir("rename");
    let r = Running::start(config(&fake.env(), &dir));
    r.until_status(Status::Live).await;
    let waiting = fake.redeem("Early", "a lighthouse");
    r.until_delivered(1).await;
    r.stop().await;

    // The streamer sets another title and restarts, with that redemption still in the queue.
    let mut env = fake.env();
    env.push(("TWITCH_REWARD_TITLE".into(), "Paint me something".into()));
    let r = Running::start(config(&env, &dir));
    r.until_status(Status::Live).await;
    assert_eq!(fake.rewards(), vec![("Paint me something".to_string(), true)], "renamed, not a second reward");
    // Waiting on the same reward: caught up again (the journal dedupes it) and refundable.
    r.until_delivered(1).await;
    assert!(r.sink.by_id(&waiting).is_some());
    r.tw.settle(&settlement(&waiting, "redemption", Outcome::Refused)).await.unwrap();
    assert_eq!(fake.redemption_status(&waiting).as_deref(), Some("CANCELED"));
    let later = fake.redeem("Late", "a harbour at night");
    r.until_delivered(2).await;
    assert_eq!(r.sink.by_id(&later).map(|d| d.message), Some("a harbour at night".to_string()));
    r.stop().await;
}

#[tokio::test]
async fn a_rate_limited_settlement_waits_for_the_bucket_and_goes_through() {
    let fake = FakeTwitch::start().await;
    let r = live(&fake, "ratelimit").await;
    let red = fake.redeem("Ann", "a lighthouse");
    r.until_delivered(1).await;
    // Twitch's bucket is empty: the refund is not given up nor left to a later retry round.
    fake.rate_limit(1);
    let before = fake.helix_calls();
    r.tw.settle(&settlement(&red, "redemption", Outcome::Refused)).await.expect("settled after the wait");
    assert_eq!(fake.redemption_status(&red).as_deref(), Some("CANCELED"));
    assert_eq!(fake.helix_calls() - before, 2, "one 429, then the PATCH");
    r.stop().await;
}

#[tokio::test]
async fn session_reconnect_loses_nothing_and_does_not_resubscribe() {
    let fake = FakeTwitch::start().await;
    let r = live(&fake, "reconnect").await;
    fake.set_reconnect_welcome_delay(Duration::from_millis(300));
    fake.set_reconnect_grace(Duration::from_secs(5));
    fake.send_session_reconnect();
    // The client opened the new socket; until its welcome, events still go to the old one.
    until("the new socket is open", || fake.reconnects_waiting() == 1).await;
    let a = fake.redeem("A", "during the hand-over");
    let b = fake.cheer("B", 100, "cheer during the hand-over").unwrap();
    until("old socket closed by the client", || fake.connections() == 2 && fake.connected_sessions() == 1).await;
    let c = fake.redeem("C", "after the hand-over");
    let d = fake.cheer("D", 200, "after, on the new socket").unwrap();
    r.until_delivered(4).await;
    for id in [&a, &b, &c, &d] {
        assert!(r.sink.by_id(id).is_some(), "{id} lost");
    }
    assert_eq!(fake.subscription_count(), 3, "subscriptions carried over, none added");
    assert_eq!(fake.connections(), 2, "no fresh session was needed");
    assert_eq!(*r.status.borrow(), Status::Live);
    assert_eq!(fake.inbound_frames(), 0);
    r.stop().await;
}

#[tokio::test]
async fn a_dropped_socket_reconnects_resubscribes_and_catches_up() {
    let fake = FakeTwitch::start().await;
    let r = live(&fake, "drop").await;
    fake.drop_socket();
    until("socket gone", || fake.connected_sessions() == 0 || fake.connections() >= 2).await;
    // Maybe while we are down (stored only), maybe after: delivered either way, once.
    let a = fake.redeem("A", "made around the drop");
    until("reconnected and subscribed", || fake.connections() >= 2 && fake.subscription_count() == 3).await;
    let b = fake.redeem("B", "after the reconnect");
    r.until_delivered(2).await;
    assert!(r.sink.by_id(&a).is_some() && r.sink.by_id(&b).is_some());
    r.until_status(Status::Live).await;

    // A server close code (4000: internal error) also ends in a fresh, subscribed session.
    let before = fake.connections();
    fake.close_sockets(4000);
    until("fresh session after 4000", || fake.connections() > before && fake.subscription_count() == 3).await;
    let c = fake.cheer("C", 300, "after a 4000").unwrap_or_default();
    let e = fake.redeem("E", "after a 4000");
    r.until_delivered(3 + usize::from(!c.is_empty())).await;
    assert!(r.sink.by_id(&e).is_some());
    r.stop().await;
}

/// A moderator refunds a redemption from Twitch's reward queue: the journal is told to withdraw it;
/// our own settlements (which Twitch also reports as updates) and fulfilments withdraw nothing.
#[tokio::test]
async fn a_redemption_refunded_in_the_twitch_queue_is_withdrawn() {
    let fake = FakeTwitch::start().await;
    let r = live(&fake, "queue").await;
    let refunded = fake.redeem("Eve", "a cat");
    let drawn = fake.redeem("Ann", "a fox");
    r.until_delivered(2).await;
    assert!(fake.cancel_in_queue(&refunded));
    until("withdrawn", || r.sink.withdrawn.lock().unwrap().contains(&refunded)).await;
    r.tw.settle(&settlement(&drawn, "redemption", Outcome::Drawn)).await.unwrap();
    let later = fake.cheer("Bob", 100, "a marker after the updates").unwrap();
    r.until_delivered(3).await;
    assert!(r.sink.by_id(&later).is_some());
    assert_eq!(*r.sink.withdrawn.lock().unwrap(), vec![refunded], "only the refunded one");
    r.stop().await;
}

#[tokio::test]
async fn sink_errors_are_retried_not_dropped() {
    let fake = FakeTwitch::start().await;
    let r = live(&fake, "sinkfail").await;
    *r.sink.fail_next.lock().unwrap() = 3;
    let cheer = fake.cheer("Persistent", 100, "keep trying").unwrap();
    let red = fake.redeem("Also", "me too");
    r.until_delivered(2).await;
    assert!(r.sink.by_id(&cheer).is_some() && r.sink.by_id(&red).is_some());
    r.stop().await;
}

/// While the journal refuses writes, the socket is still looked after: a `session_reconnect` that
/// arrives meanwhile is followed before Twitch closes the old socket, so no cheer is lost.
#[tokio::test]
async fn a_failing_sink_does_not_stall_the_socket() {
    let fake = FakeTwitch::start().await;
    let r = live(&fake, "stall").await;
    let before = fake.connections();
    fake.set_reconnect_grace(Duration::from_secs(1));
    *r.sink.fail_next.lock().unwrap() = 60; // ≈ 3 s of refusals at 10–50 ms retries
    let first = fake.cheer("Early", 100, "while the disk is full").unwrap();
    fake.send_session_reconnect();
    // Twitch closes the old socket after its grace time; by then the new one must carry the
    // subscriptions, or a cheer made now is lost for good (EventSub never replays).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = fake.cheer("Late", 100, "after the move").expect("a subscribed socket while the sink still fails");
    r.until_delivered(2).await;
    assert!(r.sink.by_id(&first).is_some() && r.sink.by_id(&second).is_some());
    assert_eq!(fake.connections(), before + 1, "the move worked: no fresh session was needed");
    r.stop().await;
}

fn file_env(fake: &FakeTwitch, dir: &std::path::Path) -> (Vec<(String, String)>, StoredToken) {
    let (access, refresh) = fake.issue_tokens();
    let token = StoredToken { access_token: access, refresh_token: Some(refresh), expires_at: None, obtained_at: 0 };
    TokenFile::new(dir.join(twitch::TOKEN_FILE_NAME)).save(&token).unwrap();
    let env = fake.env().into_iter().filter(|(k, _)| k != "TWITCH_ACCESS_TOKEN").collect();
    (env, token)
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_saved() {
    let fake = FakeTwitch::start().await;
    let dir = temp_dir("refresh");
    let (env, old) = file_env(&fake, &dir);
    fake.expire_access_tokens();
    let r = Running::start(config(&env, &dir));
    r.until_status(Status::Live).await;
    assert_eq!(fake.refreshes(), 1);
    let saved = TokenFile::new(dir.join(twitch::TOKEN_FILE_NAME)).load().unwrap().unwrap();
    assert_ne!(saved.access_token, old.access_token);
    assert_ne!(saved.refresh_token, old.refresh_token, "Twitch rotates refresh tokens");
    let red = fake.redeem("After", "refresh");
    r.until_delivered(1).await;
    assert!(r.sink.by_id(&red).is_some());
    r.stop().await;
}

/// A new `draw-stream login twitch` while the service runs is used, not overwritten by a refresh of
/// the old login.
#[tokio::test]
async fn a_login_saved_while_running_wins_over_refreshing_the_old_one() {
    let fake = FakeTwitch::start().await;
    let dir = temp_dir("newlogin");
    let (env, _) = file_env(&fake, &dir);
    let r = Running::start(config(&env, &dir));
    r.until_status(Status::Live).await;
    until("three subscriptions", || fake.subscription_count() == 3).await;
    let red = fake.redeem("Ann", "a fox");
    r.until_delivered(1).await;
    fake.expire_access_tokens();
    let (_, new_login) = file_env(&fake, &dir);
    r.tw.settle(&settlement(&red, "redemption", Outcome::Drawn)).await.expect("settled with the new login");
    assert_eq!(fake.redemption_status(&red).as_deref(), Some("FULFILLED"));
    assert_eq!(fake.refreshes(), 0, "the old login was not refreshed");
    let saved = TokenFile::new(dir.join(twitch::TOKEN_FILE_NAME)).load().unwrap().unwrap();
    assert_eq!(saved, new_login, "the new login stays in the file");
    r.stop().await;
}

#[tokio::test]
async fn a_refused_refresh_needs_login_until_a_new_token_file_appears() {
    let fake = FakeTwitch::start().await;
    let dir = temp_dir("relogin");
    let (env, _) = file_env(&fake, &dir);
    fake.revoke_all();
    let r = Running::start(config(&env, &dir));
    r.until_status(Status::LoginNeeded).await;
    // Settling while not logged in is retried later, never given up.
    assert!(matches!(r.tw.settle(&settlement("x", "redemption", Outcome::Drawn)).await, Err(SettleError::Retry(_))));
    // `draw-stream login twitch` writes a new file: the intake picks it up.
    file_env(&fake, &dir);
    r.until_status(Status::Live).await;
    r.stop().await;
}

#[tokio::test]
async fn revoked_authorization_needs_login() {
    let fake = FakeTwitch::start().await;
    let r = live(&fake, "revoked").await;
    fake.send_revocation("authorization_revoked");
    r.until_status(Status::LoginNeeded).await;
    r.stop().await;
}

#[tokio::test]
async fn a_dashboard_reward_with_our_title_leaves_cheers_working() {
    let fake = FakeTwitch::start().await;
    fake.create_reward("Draw", false);
    let dir = temp_dir("dashboard");
    let r = Running::start(config(&fake.env(), &dir));
    // The streamer sees that redemptions do not work, not a plain "live".
    let partial = Status::Partial { note: "cheers only: a reward with this title was made by hand (see the log)" };
    r.until_status(partial).await;
    assert_eq!(partial.to_string(), "live, cheers only: a reward with this title was made by hand (see the log)");
    until("cheer subscription only", || fake.subscription_count() == 1).await;
    assert_eq!(fake.rewards().len(), 1, "no second reward was made");
    let cheer = fake.cheer("Fan", 100, "still drawn").unwrap();
    r.until_delivered(1).await;
    assert!(r.sink.by_id(&cheer).is_some());
    r.stop().await;
}

#[tokio::test]
async fn device_code_login_writes_a_private_token_file() {
    let fake = FakeTwitch::start().await;
    fake.set_device_flow(2, 1, false);
    let dir = temp_dir("login");
    let env: Vec<(String, String)> = fake.env();
    let cfg = config(&env, &dir);
    let opts = twitch::LoginOptions { poll_unit: Duration::from_millis(20) };
    let mut shown = None;
    twitch::login_with(&cfg, &opts, |code| shown = Some(code.clone())).await.expect("login");
    let shown = shown.expect("the code was shown");
    assert_eq!(shown.user_code.len(), 8);
    assert!(shown.verification_uri.contains(&shown.user_code));
    let path = dir.join(twitch::TOKEN_FILE_NAME);
    let saved = TokenFile::new(&path).load().unwrap().expect("token file written");
    assert!(saved.refresh_token.is_some());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(!format!("{saved:?}").contains(&saved.access_token), "Debug shows no token");

    // The saved login works: a service started with only the file goes live.
    let no_env_token: Vec<(String, String)> = env.into_iter().filter(|(k, _)| k != "TWITCH_ACCESS_TOKEN").collect();
    let r = Running::start(config(&no_env_token, &dir));
    r.until_status(Status::Live).await;
    r.stop().await;

    fake.set_device_flow(1, 0, true);
    let denied = twitch::login_with(&cfg, &opts, |_| {}).await;
    assert!(matches!(denied, Err(twitch::LoginError::Denied)), "{denied:?}");
}

#[tokio::test]
async fn kind_reports_config_errors_by_key() {
    let bad: HashMap<&str, &str> =
        [("TWITCH_ACCESS_TOKEN", "t"), ("TWITCH_CLIENT_ID", "c"), ("TWITCH_MIN_BITS", "lots")].into();
    let lookup = move |k: &str| bad.get(k).map(|v| v.to_string());
    let dir = temp_dir("kind");
    let problems = match (twitch::KIND.build)(&lookup, &dir) {
        Err(p) => p,
        Ok(_) => panic!("a bad TWITCH_MIN_BITS was accepted"),
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].key, "TWITCH_MIN_BITS");
    let none = |_: &str| None;
    assert!(!(twitch::KIND.configured)(&none, &dir));
    assert!((twitch::KIND.build)(&none, &dir).unwrap().is_none());
    assert_eq!(twitch::KIND.name.as_str(), "twitch");
}

#[tokio::test]
async fn the_token_is_validated_periodically_and_a_revoked_one_needs_login() {
    let fake = FakeTwitch::start().await;
    let dir = temp_dir("hourly");
    let mut cfg = config(&fake.env(), &dir);
    cfg.tuning.validate_interval = Duration::from_millis(100);
    let r = Running::start(cfg);
    r.until_status(Status::Live).await;
    let before = fake.validations();
    until("validated again while live", || fake.validations() >= before + 2).await;
    assert_eq!(*r.status.borrow(), Status::Live);
    fake.revoke_all();
    r.until_status(Status::LoginNeeded).await;
    r.stop().await;
}

#[tokio::test]
async fn a_silent_socket_is_replaced_by_the_keepalive_watchdog() {
    let fake = FakeTwitch::start().await;
    fake.set_granted_keepalive(1);
    let dir = temp_dir("silent");
    let mut cfg = config(&fake.env(), &dir);
    cfg.tuning.keepalive_margin = Duration::from_millis(1000);
    let r = Running::start(cfg);
    r.until_status(Status::Live).await;
    // Keepalives arrive within the window: the session stays.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(fake.connections(), 1, "keepalives must keep the session");
    fake.silence();
    until("a new session after the silence", || fake.connections() >= 2 && fake.subscription_count() == 3).await;
    let red = fake.redeem("Back", "after the silence");
    r.until_delivered(1).await;
    assert!(r.sink.by_id(&red).is_some());
    r.stop().await;
}

#[tokio::test]
async fn another_revocation_resubscribes_on_a_fresh_session() {
    let fake = FakeTwitch::start().await;
    let r = live(&fake, "version-removed").await;
    fake.send_revocation("version_removed");
    until("resubscribed on a fresh session", || fake.connections() >= 2 && fake.subscription_count() == 3).await;
    r.until_status(Status::Live).await;
    let cheer = fake.cheer("Again", 100, "subscribed again").unwrap();
    r.until_delivered(1).await;
    assert!(r.sink.by_id(&cheer).is_some());
    r.stop().await;
}

/// A token issued to another application (another `TWITCH_CLIENT_ID`) can never settle our
/// reward's redemptions: "login needed", and the log says why, naming both ids but no token.
#[tokio::test(flavor = "current_thread")]
async fn a_token_of_another_application_is_named_in_the_log_without_the_token() {
    let (logs, _guard) = source::testing::Logs::capture();
    let fake = FakeTwitch::start().await;
    let mut env = fake.env();
    let token = env.iter().find(|(k, _)| k == "TWITCH_ACCESS_TOKEN").map(|(_, v)| v.clone()).unwrap();
    env.push(("TWITCH_CLIENT_ID".into(), "ourownapp0123456789".into()));
    let dir = temp_dir("other-app");
    let r = Running::start(config(&env, &dir));
    r.until_status(Status::LoginNeeded).await;
    assert_eq!(fake.subscription_count(), 0);
    r.stop().await;
    let text = logs.text();
    let line = text.lines().find(|l| l.contains("another application")).unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("ourownapp0123456789") && line.contains(twitch::fake::CLIENT_ID), "{line}");
    assert!(line.contains("draw-stream login twitch"), "{line}");
    assert!(!text.contains(&token), "the token leaked into the logs");
}
