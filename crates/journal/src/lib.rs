//! The journal: every donation and its state, durably, in one SQLite file (WAL).
//!
//! ```text
//!             ┌──────────► held ──approve──┐        (deny → refused)
//!  received ──┤ moderate                   ▼
//!             └──────────────────────► moderated ──plan──► planned ──generate──► generated
//!                                                                                   │ pixelize+brush
//!                                                    shown ◄──show── showing ◄──── ready
//!  exits:  refused (card shown once)   failed (card shown once)   skipped   cleared
//!          ignored (the streamer's drawing rules, on arrival; no card; "draw now" → received)
//! ```
//!
//! **Order.** Every stage and the screen take rows in queue order: `draw now` first (latest first),
//! then tier (priority, normal), then the donor's fair turn, then arrival (id). Tier and turn are
//! decided once, when the donation arrives ([`Placement`], from the service's drawing rules), and stored, so
//! the order survives a restart. The screen waits for a row earlier in that order that is still
//! being prepared; a drawing already generated keeps its image and waits for its turn.
//!
//! A stage *claims* the oldest row in its input state (`working = 1`), does its work outside any
//! transaction, then *advances* the row with a conditional update that only succeeds if the row is
//! still claimed in that state. A `clear` or `deny` in the meantime therefore wins and the stage's
//! result is dropped. At start-up [`Journal::recover`] releases every claim and puts `showing` back
//! to `ready`, so a crash repeats a step but never skips or doubles one. A row becomes `shown` and
//! gets its line in `shows` in one transaction: that table is the proof that nothing is drawn twice.
//!
//! Refusal and failure cards carry `card_pending = 1` until the stage has shown them once.

mod incoming;

pub use incoming::{
    clean_text, parse_amount, parse_currency, validate, Incoming, Invalid, MAX_AMOUNT, MAX_DONOR_CHARS,
    MAX_MESSAGE_CHARS,
};

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

/// A donation's place in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Received,
    Moderated,
    Planned,
    Generated,
    Ready,
    Showing,
    Shown,
    Refused,
    Held,
    Failed,
    Skipped,
    Cleared,
    Ignored,
}

impl State {
    pub const ALL: [State; 13] = [
        State::Received,
        State::Moderated,
        State::Planned,
        State::Generated,
        State::Ready,
        State::Showing,
        State::Shown,
        State::Refused,
        State::Held,
        State::Failed,
        State::Skipped,
        State::Cleared,
        State::Ignored,
    ];

    /// States a donation ends in (what a platform is told about, see [`Journal::unsettled`]).
    pub const FINISHED: [State; 6] =
        [State::Shown, State::Refused, State::Ignored, State::Cleared, State::Skipped, State::Failed];

    /// States of donations still on their way to the screen (what `clear` removes).
    pub const WAITING: [State; 6] =
        [State::Received, State::Moderated, State::Planned, State::Generated, State::Ready, State::Held];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Moderated => "moderated",
            State::Planned => "planned",
            State::Generated => "generated",
            State::Ready => "ready",
            State::Showing => "showing",
            State::Shown => "shown",
            State::Refused => "refused",
            State::Held => "held",
            State::Failed => "failed",
            State::Skipped => "skipped",
            State::Cleared => "cleared",
            State::Ignored => "ignored",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Where a donation came from (the `source` column): one short name per source — `donationalerts`,
/// `twitch`, `streamelements`, `manual`, `demo` (DESIGN.md §5a). Open: a new source names itself
/// with [`Source::named`], nothing here changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source(&'static str);

impl Source {
    pub const DONATION_ALERTS: Source = Source("donationalerts");
    pub const MANUAL: Source = Source("manual");
    pub const DEMO: Source = Source("demo");

    /// A source's name: lower-case ASCII letters and digits, as it appears in the journal and the API.
    pub const fn named(name: &'static str) -> Source {
        let b = name.as_bytes();
        assert!(!b.is_empty(), "a source needs a name");
        let mut i = 0;
        while i < b.len() {
            assert!(
                b[i].is_ascii_lowercase() || b[i].is_ascii_digit(),
                "source names are lower-case letters and digits"
            );
            i += 1;
        }
        Source(name)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// A donation as a source delivers it, before it enters the journal.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDonation {
    pub source: Source,
    /// The source's own id; `(source, source_id)` is unique, so double delivery is harmless.
    pub source_id: String,
    pub donor: String,
    pub message: String,
    /// Decimal amount as text ("150.00"), in the donation's own currency.
    pub amount: String,
    pub currency: String,
    /// The amount in the streamer's main currency, when the source knows it.
    pub amount_user: Option<String>,
    /// `text` or `audio` (Donation Alerts); audio messages are not drawing requests.
    pub message_type: String,
    /// Display-safe forms (moderation masks them before anything is stored or shown).
    pub donor_masked: String,
    pub message_masked: String,
    /// Where it goes in the queue, as the streamer's drawing rules decided on arrival.
    pub placement: Placement,
}

/// How a donation's fair turn is counted within its tier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Turn {
    /// Fairness off: every turn is 0, so arrival decides.
    #[default]
    Arrival,
    /// Round-robin: one more than this donor's latest waiting turn, or than the turn on screen.
    Donor(String),
    /// Round-robin for a donor who cannot be told apart from others: the next round.
    Anonymous,
}

/// Where a new donation goes, decided by the streamer's drawing rules when it arrives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    /// `Some(reason)`: journaled straight as `ignored`, never drawn, no card.
    pub ignored: Option<String>,
    pub priority: bool,
    pub turn: Turn,
    /// The planner's text with the trigger word removed (`None`: the masked message as it is).
    pub request: Option<String>,
}

/// One journal row, as the API and the stage see it. Heavy columns (image, document) are read separately.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Donation {
    pub id: i64,
    pub source: String,
    pub source_id: String,
    pub state: State,
    /// Display-safe donor name.
    pub donor: String,
    /// Display-safe message (masked where moderation says so).
    pub message: String,
    pub amount: String,
    pub currency: String,
    pub amount_in_user_currency: Option<String>,
    pub received_at: String,
    pub updated_at: String,
    pub reason: Option<String>,
    pub verdict: Option<String>,
    pub category: Option<String>,
    /// Text of the refusal/failure card.
    pub card_text: Option<String>,
    pub card_pending: bool,
    pub prompt: Option<String>,
    pub shown_at: Option<String>,
    pub show_count: i64,
    #[serde(skip)]
    pub message_type: String,
    /// Unmasked text, for the planner only (never serialized).
    #[serde(skip)]
    pub raw_message: String,
    #[serde(skip)]
    pub raw_donor: String,
    #[serde(skip)]
    pub negative_prompt: Option<String>,
    #[serde(skip)]
    pub seed: Option<i64>,
    /// What the image check said about the generated picture (`passed: nsfw,llm`, `flagged`,
    /// `approved by a moderator`); `None` before it ran.
    pub image_check: Option<String>,
    /// In the priority tier (worth at least `PRIORITY_MIN_AMOUNT` on arrival).
    pub priority: bool,
    /// Moved to the front by the streamer ("draw now").
    pub draw_now: bool,
    /// Fair turn within the tier (0 when fairness is off).
    #[serde(skip)]
    pub turn: i64,
    /// Order among "draw now" rows (0: not moved).
    #[serde(skip)]
    pub bump: i64,
    /// The planner's text with the trigger removed, when a trigger is set.
    #[serde(skip)]
    pub request: Option<String>,
}

impl Donation {
    /// The display-safe request the planner gets: the trigger word removed when there is one.
    pub fn planner_text(&self) -> &str {
        self.request.as_deref().unwrap_or(&self.message)
    }

    /// Sort key of the queue order (smaller goes first); see the module docs.
    fn queue_key(&self) -> (i64, i64, i64, i64) {
        (-self.bump, i64::from(!self.priority), self.turn, self.id)
    }
}

/// Result of [`Journal::insert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inserted {
    pub id: i64,
    /// False when `(source, source_id)` was already journaled (double delivery).
    pub new: bool,
}

/// What a worker may write when it advances a row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    pub reason: Option<String>,
    pub verdict: Option<String>,
    pub category: Option<String>,
    pub card_text: Option<String>,
    pub prompt: Option<String>,
    pub negative_prompt: Option<String>,
    pub seed: Option<i64>,
    pub image_png: Option<Vec<u8>>,
    pub document: Option<String>,
    pub image_check: Option<String>,
}

/// A donation that arrived malformed, journaled straight as `failed` (the caller masks the texts).
#[derive(Debug, Clone)]
pub struct FailedDonation {
    pub source: Source,
    pub source_id: String,
    pub donor: String,
    pub donor_masked: String,
    pub message: String,
    pub message_masked: String,
    pub reason: String,
}

/// A finished donation whose platform has not been told yet how it ended (Twitch redemptions are
/// fulfilled or refunded): the journal is the outbox, so a crash before the platform answered
/// only means telling it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsettled {
    pub id: i64,
    pub source_id: String,
    pub message_type: String,
    pub state: State,
}

/// What the screen should show next.
#[derive(Debug, Clone, PartialEq)]
pub enum ScreenItem {
    Drawing { donation: Donation, document: String },
    Card { donation: Donation },
}

pub type Result<T> = std::result::Result<T, rusqlite::Error>;

/// Meta key that is `"1"` while the streamer has the show paused (so a pause outlives a restart).
pub const META_PAUSED: &str = "paused";

/// Handle to the journal; cheap to clone. Calls are short and synchronous: async code runs them
/// through [`Journal::call`], which moves them off the async runtime.
#[derive(Clone)]
pub struct Journal {
    conn: Arc<Mutex<Connection>>,
}

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS donations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    source         TEXT NOT NULL,
    source_id      TEXT NOT NULL,
    state          TEXT NOT NULL,
    working        INTEGER NOT NULL DEFAULT 0,
    donor          TEXT NOT NULL,
    donor_masked   TEXT NOT NULL,
    message        TEXT NOT NULL,
    message_masked TEXT NOT NULL,
    message_type   TEXT NOT NULL DEFAULT 'text',
    amount         TEXT NOT NULL,
    currency       TEXT NOT NULL,
    amount_user    TEXT,
    received_at    TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    reason         TEXT,
    verdict        TEXT,
    category       TEXT,
    card_text      TEXT,
    card_pending   INTEGER NOT NULL DEFAULT 0,
    prompt         TEXT,
    negative_prompt TEXT,
    seed           INTEGER,
    image_png      BLOB,
    document       TEXT,
    shown_at       TEXT,
    UNIQUE (source, source_id)
);
CREATE INDEX IF NOT EXISTS donations_state ON donations (state, id);
CREATE INDEX IF NOT EXISTS donations_card ON donations (card_pending, id);
CREATE TABLE IF NOT EXISTS shows (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    donation_id INTEGER NOT NULL REFERENCES donations(id),
    kind        TEXT NOT NULL,
    shown_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shows_donation ON shows (donation_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"#;

const COLUMNS: &str = "id, source, source_id, state, donor_masked, message_masked, amount, currency, amount_user, \
     received_at, updated_at, reason, verdict, category, card_text, card_pending, prompt, shown_at, \
     (SELECT COUNT(*) FROM shows s WHERE s.donation_id = donations.id AND s.kind = 'drawing'), \
     message_type, message, donor, negative_prompt, seed, image_check, tier, turn, bump, request";

/// Columns added after the first release, for journals written by an older version (and fresh
/// ones: [`SCHEMA`] is the first release's table).
const ADDED_COLUMNS: &[(&str, &str)] = &[
    ("image_check", "TEXT"),
    ("tier", "INTEGER NOT NULL DEFAULT 1"),
    ("turn", "INTEGER NOT NULL DEFAULT 0"),
    ("bump", "INTEGER NOT NULL DEFAULT 0"),
    ("donor_key", "TEXT"),
    ("request", "TEXT"),
    ("document_z", "BLOB"),
    ("settled", "TEXT"),
];

/// Compresses a Canvas-DSL document for the journal (deflate: a drawing's stroke list of 60–100 KB
/// of JSON takes about a sixth of that).
fn pack(document: &str) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(document.as_bytes()).and_then(|_| z.finish()).expect("deflate into memory cannot fail")
}

/// A stored document: the compressed column, or the plain one of rows written before it existed.
fn unpack(plain: Option<String>, packed: Option<Vec<u8>>) -> rusqlite::Result<Option<String>> {
    use std::io::Read;
    let Some(bytes) = packed else { return Ok(plain) };
    let mut out = String::new();
    flate2::read::DeflateDecoder::new(&bytes[..])
        .read_to_string(&mut out)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Blob, Box::new(e)))?;
    Ok(Some(out))
}

/// The queue order, as SQL (see the module docs and [`Donation::queue_key`]).
const QUEUE_ORDER: &str = "bump DESC, tier, turn, id";

fn migrate(conn: &Connection) -> Result<()> {
    let mut st = conn.prepare("SELECT name FROM pragma_table_info('donations')")?;
    let have: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_>>()?;
    for (name, ty) in ADDED_COLUMNS {
        if !have.iter().any(|h| h == name) {
            conn.execute_batch(&format!("ALTER TABLE donations ADD COLUMN {name} {ty};"))?;
        }
    }
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS donations_queue ON donations (state, bump DESC, tier, turn, id); \
         CREATE INDEX IF NOT EXISTS donations_unsettled ON donations (source, id) WHERE settled IS NULL;",
    )?;
    Ok(())
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn row_to_donation(r: &Row<'_>) -> rusqlite::Result<Donation> {
    let state: String = r.get(3)?;
    Ok(Donation {
        id: r.get(0)?,
        source: r.get(1)?,
        source_id: r.get(2)?,
        state: State::parse(&state).unwrap_or(State::Failed),
        donor: r.get(4)?,
        message: r.get(5)?,
        amount: r.get(6)?,
        currency: r.get(7)?,
        amount_in_user_currency: r.get(8)?,
        received_at: r.get(9)?,
        updated_at: r.get(10)?,
        reason: r.get(11)?,
        verdict: r.get(12)?,
        category: r.get(13)?,
        card_text: r.get(14)?,
        card_pending: r.get::<_, i64>(15)? != 0,
        prompt: r.get(16)?,
        shown_at: r.get(17)?,
        show_count: r.get(18)?,
        message_type: r.get(19)?,
        raw_message: r.get(20)?,
        raw_donor: r.get(21)?,
        negative_prompt: r.get(22)?,
        seed: r.get(23)?,
        image_check: r.get(24)?,
        priority: r.get::<_, i64>(25)? == 0,
        draw_now: r.get::<_, i64>(27)? > 0,
        turn: r.get(26)?,
        bump: r.get(27)?,
        request: r.get(28)?,
    })
}

/// `'a', 'b', …`: states for an SQL `IN (…)` (their names are fixed words, never user input).
fn sql_states(states: &[State]) -> String {
    states.iter().map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
}

/// A state change for [`Journal::transition`].
struct Transition<'a> {
    from: &'a [State],
    to: State,
    /// Extra assignments, e.g. `"reason = ?4"`.
    set: &'a str,
    /// Extra condition, e.g. `"working = 1"`.
    only_if: &'a str,
    /// Values of `?4…` in `set` and `only_if`.
    args: &'a [&'a dyn rusqlite::ToSql],
    /// The time stamped (`?3`); now when `None`.
    at: Option<String>,
}

impl<'a> Transition<'a> {
    fn new(from: &'a [State], to: State) -> Transition<'a> {
        Transition { from, to, set: "", only_if: "", args: &[], at: None }
    }
}

impl Journal {
    /// Opens (creating if needed) the journal at `path`, in WAL mode with full durability.
    pub fn open(path: &Path) -> Result<Journal> {
        let conn = Connection::open(path)?;
        Self::init(conn)
    }

    /// Opens an existing journal for reading only (tools that run beside the service, e.g. `gallery
    /// export`): nothing is created, migrated or written.
    pub fn open_read_only(path: &Path) -> Result<Journal> {
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Journal { conn: Arc::new(Mutex::new(conn)) })
    }

    /// An in-memory journal (benchmarks, unit tests).
    pub fn open_in_memory() -> Result<Journal> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Journal> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL + synchronous=FULL: a committed donation survives a power cut, not only a crash.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Space freed by dropped images goes back to the file system (incremental auto-vacuum). The mode
        // can only be chosen before the first table exists; an older journal is converted once.
        let fresh: i64 = conn.query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))?;
        if fresh == 0 {
            conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
        }
        conn.execute_batch(SCHEMA)?;
        migrate(&conn)?;
        let mode: i64 = conn.query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?;
        if mode != 2 {
            conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
            conn.execute_batch("VACUUM;")?;
        }
        Ok(Journal { conn: Arc::new(Mutex::new(conn)) })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll back).
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on a blocking thread, so async tasks never wait on disk I/O.
    pub async fn call<T: Send + 'static>(&self, f: impl FnOnce(&Journal) -> T + Send + 'static) -> T {
        let j = self.clone();
        tokio::task::spawn_blocking(move || f(&j)).await.expect("journal call panicked")
    }

    /// Puts rows left in progress by a crash back where they were: claims released, `showing` → `ready`.
    pub fn recover(&self) -> Result<usize> {
        let c = self.lock();
        let tx = c.unchecked_transaction()?;
        let released = tx.execute("UPDATE donations SET working = 0 WHERE working = 1", [])?;
        let reshow =
            tx.execute("UPDATE donations SET state = 'ready', updated_at = ?1 WHERE state = 'showing'", [now()])?;
        tx.commit()?;
        Ok(released + reshow)
    }

    /// Journals a donation in state `received` (or `ignored`, as its placement says), with its tier
    /// and fair turn, unless `(source, source_id)` is already there.
    pub fn insert(&self, d: &NewDonation) -> Result<Inserted> {
        let c = self.lock();
        let tx = c.unchecked_transaction()?;
        let t = now();
        let p = &d.placement;
        let tier = i64::from(!p.priority);
        let (turn, donor_key) = match &p.turn {
            Turn::Arrival => (0, None),
            Turn::Anonymous => (Self::tier_round(&tx, tier)? + 1, None),
            Turn::Donor(key) => {
                let own: Option<i64> = tx.query_row(
                    "SELECT MAX(turn) FROM donations WHERE donor_key = ?1 AND tier = ?2 \
                     AND state IN ('received','moderated','planned','generated','ready','held','showing')",
                    params![key, tier],
                    |r| r.get(0),
                )?;
                (Self::tier_round(&tx, tier)?.max(own.unwrap_or(0)) + 1, Some(key.as_str()))
            }
        };
        let state = if p.ignored.is_some() { State::Ignored } else { State::Received };
        let n = tx.execute(
            "INSERT OR IGNORE INTO donations (source, source_id, state, donor, donor_masked, message, message_masked, \
             message_type, amount, currency, amount_user, received_at, updated_at, reason, tier, turn, donor_key, request) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13, ?14, ?15, ?16, ?17)",
            params![
                d.source.as_str(),
                d.source_id,
                state.as_str(),
                d.donor,
                d.donor_masked,
                d.message,
                d.message_masked,
                d.message_type,
                d.amount,
                d.currency,
                d.amount_user,
                t,
                p.ignored,
                tier,
                turn,
                donor_key,
                p.request,
            ],
        )?;
        tx.commit()?;
        if n == 1 {
            return Ok(Inserted { id: c.last_insert_rowid(), new: true });
        }
        let id = c.query_row(
            "SELECT id FROM donations WHERE source = ?1 AND source_id = ?2",
            params![d.source.as_str(), d.source_id],
            |r| r.get(0),
        )?;
        Ok(Inserted { id, new: false })
    }

    /// The round a tier is at: the turn of the latest drawing it put on screen in its own order
    /// (rows moved by "draw now" do not count).
    fn tier_round(c: &Connection, tier: i64) -> Result<i64> {
        c.query_row(
            "SELECT COALESCE(MAX(turn), 0) FROM donations WHERE tier = ?1 AND bump = 0 \
             AND state IN ('showing','shown','skipped')",
            [tier],
            |r| r.get(0),
        )
    }

    /// Journals a donation that arrived malformed directly as `failed` (kept visible, never lost).
    pub fn insert_failed(&self, f: &FailedDonation) -> Result<Inserted> {
        let FailedDonation { source, source_id, donor, donor_masked, message, message_masked, reason } = f;
        let c = self.lock();
        let t = now();
        let n = c.execute(
            "INSERT OR IGNORE INTO donations (source, source_id, state, donor, donor_masked, message, message_masked, \
             amount, currency, received_at, updated_at, reason) \
             VALUES (?1, ?2, 'failed', ?3, ?4, ?5, ?6, '0', '?', ?7, ?7, ?8)",
            params![source.as_str(), source_id, donor, donor_masked, message, message_masked, t, reason],
        )?;
        let id = c.query_row(
            "SELECT id FROM donations WHERE source = ?1 AND source_id = ?2",
            params![source.as_str(), source_id],
            |r| r.get(0),
        )?;
        Ok(Inserted { id, new: n == 1 })
    }

    /// The one way a row changes state: from one of `from` to `to` (stamping `updated_at`), with
    /// the extra column assignments `set` and the extra condition `only_if`, whose `?4…` placeholders
    /// are `args` (`?1` is the id, `?2` the new state, `?3` the time). Writes nothing and answers false
    /// when the row is no longer in `from` — a `clear`, `deny` or another worker won — so every
    /// transition is a compare-and-set.
    fn transition(&self, c: &Connection, id: i64, t: Transition<'_>) -> Result<bool> {
        let from = sql_states(t.from);
        let sql = format!(
            "UPDATE donations SET state = ?2, updated_at = ?3{} WHERE id = ?1 AND state IN ({from}){}",
            if t.set.is_empty() { String::new() } else { format!(", {}", t.set) },
            if t.only_if.is_empty() { String::new() } else { format!(" AND {}", t.only_if) },
        );
        let (to, at) = (t.to.as_str(), t.at.unwrap_or_else(now));
        let mut args: Vec<&dyn rusqlite::ToSql> = vec![&id, &to, &at];
        args.extend_from_slice(t.args);
        Ok(c.prepare_cached(&sql)?.execute(args.as_slice())? == 1)
    }

    /// Claims the first unclaimed row in `state`, in queue order, for a stage worker.
    pub fn claim(&self, state: State) -> Result<Option<Donation>> {
        let c = self.lock();
        let tx = c.unchecked_transaction()?;
        let sql =
            format!("SELECT {COLUMNS} FROM donations WHERE state = ?1 AND working = 0 ORDER BY {QUEUE_ORDER} LIMIT 1");
        let row = tx.query_row(&sql, [state.as_str()], row_to_donation).optional()?;
        if let Some(d) = &row {
            tx.execute("UPDATE donations SET working = 1 WHERE id = ?1", [d.id])?;
        }
        tx.commit()?;
        Ok(row)
    }

    /// Moves a claimed row from `from` to `to` with the stage's results. Returns false (and writes
    /// nothing) when the row is no longer claimed in `from`, e.g. because it was cleared meanwhile.
    pub fn advance(&self, id: i64, from: State, to: State, u: Update) -> Result<bool> {
        let card = matches!(to, State::Refused | State::Failed);
        let document = u.document.as_deref().map(pack);
        self.transition(
            &self.lock(),
            id,
            Transition {
                set: "working = 0, reason = COALESCE(?4, reason), verdict = COALESCE(?5, verdict), \
                      category = COALESCE(?6, category), card_text = COALESCE(?7, card_text), \
                      card_pending = CASE WHEN ?8 THEN 1 ELSE card_pending END, prompt = COALESCE(?9, prompt), \
                      negative_prompt = COALESCE(?10, negative_prompt), seed = COALESCE(?11, seed), \
                      image_png = COALESCE(?12, image_png), document_z = COALESCE(?13, document_z), \
                      image_check = COALESCE(?14, image_check)",
                only_if: "working = 1",
                args: &[
                    &u.reason,
                    &u.verdict,
                    &u.category,
                    &u.card_text,
                    &card,
                    &u.prompt,
                    &u.negative_prompt,
                    &u.seed,
                    &u.image_png,
                    &document,
                    &u.image_check,
                ],
                ..Transition::new(&[from], to)
            },
        )
    }

    /// Gives a claim back without changing the state (shutdown mid-step).
    pub fn release(&self, id: i64) -> Result<()> {
        self.lock().execute("UPDATE donations SET working = 0 WHERE id = ?1", [id])?;
        Ok(())
    }

    /// The generated image of a row.
    pub fn image(&self, id: i64) -> Result<Option<Vec<u8>>> {
        self.lock().query_row("SELECT image_png FROM donations WHERE id = ?1", [id], |r| r.get(0))
    }

    /// The Canvas-DSL document of a row.
    pub fn document(&self, id: i64) -> Result<Option<String>> {
        let c = self.lock();
        let (plain, packed) = c.query_row("SELECT document, document_z FROM donations WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        unpack(plain, packed)
    }

    /// One row by id.
    pub fn get(&self, id: i64) -> Result<Option<Donation>> {
        let sql = format!("SELECT {COLUMNS} FROM donations WHERE id = ?1");
        self.lock().query_row(&sql, [id], row_to_donation).optional()
    }

    /// Rows newest first, optionally in one state.
    pub fn list(&self, state: Option<State>, limit: usize) -> Result<Vec<Donation>> {
        let c = self.lock();
        let sql = format!("SELECT {COLUMNS} FROM donations WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC LIMIT ?2");
        let mut st = c.prepare_cached(&sql)?;
        let rows = st.query_map(params![state.map(State::as_str), limit as i64], row_to_donation)?;
        rows.collect()
    }

    /// Donations still to come on screen, in the order they will be shown.
    pub fn upcoming(&self, limit: usize) -> Result<Vec<Donation>> {
        let c = self.lock();
        let sql = format!(
            "SELECT {COLUMNS} FROM donations WHERE state IN ('received','moderated','planned','generated','ready','held') \
             OR card_pending = 1 ORDER BY {QUEUE_ORDER} LIMIT ?1"
        );
        let mut st = c.prepare_cached(&sql)?;
        let rows = st.query_map([limit as i64], row_to_donation)?;
        rows.collect()
    }

    /// Number of rows per state.
    pub fn counts(&self) -> Result<Vec<(State, i64)>> {
        let c = self.lock();
        let mut st = c.prepare_cached("SELECT state, COUNT(*) FROM donations GROUP BY state")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = Vec::new();
        for r in rows {
            let (s, n) = r?;
            if let Some(s) = State::parse(&s) {
                out.push((s, n));
            }
        }
        Ok(out)
    }

    /// Whether the generator may paint the next `planned` row: fewer than `limit` drawings that will
    /// be shown before it wait between generation and the screen. Drawings that come after it in
    /// queue order do not count, so a priority donation, "draw now" or a held donation approved late
    /// is painted next even when the look-ahead is full of smaller ones (the screen waits for it).
    pub fn generation_allowed(&self, limit: usize) -> Result<bool> {
        let c = self.lock();
        // Only the sort key of the next planned row (this runs on every turn of the generator).
        let sql = format!(
            "SELECT -bump, tier, turn, id FROM donations WHERE state = 'planned' AND working = 0 \
             ORDER BY {QUEUE_ORDER} LIMIT 1"
        );
        let next = c.query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).optional()?;
        // With nothing planned, the question is whether the look-ahead is full at all.
        let (bump, tier, turn, id): (i64, i64, i64, i64) = next.unwrap_or((i64::MAX, i64::MAX, i64::MAX, i64::MAX));
        let ahead: i64 = c.query_row(
            "SELECT COUNT(*) FROM donations WHERE state IN ('generated', 'ready') \
             AND (-bump, tier, turn, id) < (?1, ?2, ?3, ?4)",
            params![bump, tier, turn, id],
            |r| r.get(0),
        )?;
        Ok(ahead < limit as i64)
    }

    /// The next thing for the screen, in queue order: the first row that is `ready` or has a card
    /// to show — unless a donation before it is still being prepared, which then goes first.
    pub fn next_for_screen(&self) -> Result<Option<ScreenItem>> {
        let c = self.lock();
        let sql = format!(
            "SELECT {COLUMNS} FROM donations WHERE (state = 'ready' AND working = 0) OR card_pending = 1 \
             ORDER BY {QUEUE_ORDER} LIMIT 1"
        );
        let Some(d) = c.query_row(&sql, [], row_to_donation).optional()? else {
            return Ok(None);
        };
        let (bump, tier, turn, id) = d.queue_key();
        let older_in_flight: i64 = c.query_row(
            "SELECT COUNT(*) FROM donations WHERE state IN ('received','moderated','planned','generated') \
             AND (-bump, tier, turn, id) < (?1, ?2, ?3, ?4)",
            params![bump, tier, turn, id],
            |r| r.get(0),
        )?;
        if older_in_flight > 0 {
            return Ok(None);
        }
        if d.card_pending {
            return Ok(Some(ScreenItem::Card { donation: d }));
        }
        let (plain, packed) = c.query_row("SELECT document, document_z FROM donations WHERE id = ?1", [d.id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        match unpack(plain, packed)? {
            Some(document) => Ok(Some(ScreenItem::Drawing { donation: d, document })),
            None => {
                // A ready row without a document cannot be drawn; say so instead of stalling the show.
                drop(c);
                self.fail_ready(d.id, "ready without a drawing")?;
                Ok(None)
            }
        }
    }

    /// `ready` → `showing`. False when the row was cleared or taken meanwhile.
    pub fn start_showing(&self, id: i64) -> Result<bool> {
        self.transition(&self.lock(), id, Transition::new(&[State::Ready], State::Showing))
    }

    /// `showing` → `shown`, logged in `shows`, in one transaction.
    pub fn finish_showing(&self, id: i64) -> Result<bool> {
        let c = self.lock();
        let tx = c.unchecked_transaction()?;
        let t = now();
        let shown = self.transition(
            &tx,
            id,
            Transition {
                set: "shown_at = ?3",
                at: Some(t.clone()),
                ..Transition::new(&[State::Showing], State::Shown)
            },
        )?;
        if shown {
            tx.execute("INSERT INTO shows (donation_id, kind, shown_at) VALUES (?1, 'drawing', ?2)", params![id, t])?;
        }
        tx.commit()?;
        Ok(shown)
    }

    /// `showing` → `skipped` (the streamer skipped it mid-drawing).
    pub fn skip_showing(&self, id: i64) -> Result<bool> {
        let skip = Transition {
            set: "reason = 'skipped by the streamer'",
            ..Transition::new(&[State::Showing], State::Skipped)
        };
        self.transition(&self.lock(), id, skip)
    }

    /// `showing` → `ready` (graceful shutdown mid-drawing: it is drawn again after restart).
    pub fn unshow(&self, id: i64) -> Result<bool> {
        self.transition(&self.lock(), id, Transition::new(&[State::Showing], State::Ready))
    }

    /// `ready` → `failed` with a card, for a stored drawing that cannot be played.
    pub fn fail_ready(&self, id: i64, reason: &str) -> Result<bool> {
        let fail = Transition {
            set: "card_pending = 1, reason = ?4, card_text = 'Sorry, I couldn''t draw this one'",
            args: &[&reason],
            ..Transition::new(&[State::Ready], State::Failed)
        };
        self.transition(&self.lock(), id, fail)
    }

    /// Marks a refusal/failure card as shown.
    pub fn card_shown(&self, id: i64) -> Result<bool> {
        let c = self.lock();
        let tx = c.unchecked_transaction()?;
        let t = now();
        let n = tx.execute(
            "UPDATE donations SET card_pending = 0, updated_at = ?2 WHERE id = ?1 AND card_pending = 1",
            params![id, t],
        )?;
        if n == 1 {
            tx.execute("INSERT INTO shows (donation_id, kind, shown_at) VALUES (?1, 'card', ?2)", params![id, t])?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    /// Ends every donation not yet on screen in `cleared` (cards not yet shown are dropped too).
    /// Returns how many donations were cleared.
    pub fn clear(&self) -> Result<usize> {
        let c = self.lock();
        let tx = c.unchecked_transaction()?;
        let t = now();
        let n = tx.execute(
            "UPDATE donations SET state = 'cleared', working = 0, reason = 'cleared by the streamer', updated_at = ?1 \
             WHERE state IN ('received','moderated','planned','generated','ready','held')",
            [&t],
        )?;
        let cards =
            tx.execute("UPDATE donations SET card_pending = 0, updated_at = ?1 WHERE card_pending = 1", [&t])?;
        tx.commit()?;
        Ok(n + cards)
    }

    /// A moderator's approval: `held` → `moderated` for a held request; a picture held by the image
    /// check (the row has its image) goes on to `generated` and is not checked again.
    pub fn approve(&self, id: i64) -> Result<bool> {
        let n = self.lock().execute(
            "UPDATE donations SET state = CASE WHEN image_png IS NULL THEN 'moderated' ELSE 'generated' END, \
               image_check = CASE WHEN image_png IS NULL THEN image_check ELSE 'approved by a moderator' END, \
               verdict = 'approved', reason = 'approved by a moderator', updated_at = ?2 \
             WHERE id = ?1 AND state = 'held'",
            params![id, now()],
        )?;
        Ok(n == 1)
    }

    /// A moderator's denial: `held` → `refused`, with a card.
    pub fn deny(&self, id: i64, card_text: &str) -> Result<bool> {
        let deny = Transition {
            set: "verdict = 'denied', reason = 'denied by a moderator', card_text = ?4, card_pending = 1",
            args: &[&card_text],
            ..Transition::new(&[State::Held], State::Refused)
        };
        self.transition(&self.lock(), id, deny)
    }

    /// Puts a shown (or skipped) drawing back in line without regenerating it.
    pub fn replay(&self, id: i64) -> Result<bool> {
        let replay = Transition {
            set: "working = 0",
            only_if: "(document_z IS NOT NULL OR document IS NOT NULL)",
            ..Transition::new(&[State::Shown, State::Skipped], State::Ready)
        };
        self.transition(&self.lock(), id, replay)
    }

    /// "Draw now": moves a waiting donation to the front of the queue (ahead of every tier; the
    /// latest such move goes first). An ignored donation re-enters at `received` and is moderated
    /// like any other. The drawing on screen is not interrupted.
    pub fn draw_now(&self, id: i64) -> Result<bool> {
        let n = self.lock().execute(
            "UPDATE donations SET bump = (SELECT COALESCE(MAX(bump), 0) + 1 FROM donations), \
               reason = CASE WHEN state = 'ignored' THEN 'drawn now by the streamer (' || reason || ')' ELSE reason END, \
               state = CASE WHEN state = 'ignored' THEN 'received' ELSE state END, updated_at = ?2 \
             WHERE id = ?1 AND state IN ('received','moderated','planned','generated','ready','ignored')",
            params![id, now()],
        )?;
        Ok(n == 1)
    }

    /// How many times each donation's drawing was shown to the end (tests and audits).
    pub fn show_counts(&self) -> Result<Vec<(i64, i64)>> {
        let c = self.lock();
        let mut st = c.prepare_cached(
            "SELECT donation_id, COUNT(*) FROM shows WHERE kind = 'drawing' GROUP BY donation_id ORDER BY donation_id",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    }

    /// Drops the raw generated images of finished donations (shown, skipped, refused, failed, cleared)
    /// except the newest `keep`: replays use the stored drawing and the gallery its own files, so the
    /// 768² PNG is only dead weight once a donation is done. Then gives the space back to the file
    /// system, a few pages at a time. Returns how many images were dropped.
    pub fn prune_raw_images(&self, keep: usize) -> Result<usize> {
        let c = self.lock();
        let n = c.execute(
            "UPDATE donations SET image_png = NULL WHERE image_png IS NOT NULL \
               AND state IN ('shown','skipped','refused','failed','cleared') \
               AND id NOT IN (SELECT id FROM donations WHERE image_png IS NOT NULL \
                 AND state IN ('shown','skipped','refused','failed','cleared') ORDER BY id DESC LIMIT ?1)",
            [keep as i64],
        )?;
        if n > 0 {
            c.execute_batch("PRAGMA incremental_vacuum;")?;
        }
        Ok(n)
    }

    /// Folds the WAL into the main file (clean shutdown).
    pub fn checkpoint(&self) -> Result<()> {
        self.lock().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
    }

    /// The platform took a waiting donation back (a refund made on the platform): it ends `cleared`
    /// with `reason` and counts as settled, so nobody tells the platform again. A donation already on
    /// screen or finished is left alone. Returns its id when one was withdrawn.
    pub fn withdraw(&self, source: Source, source_id: &str, reason: &str) -> Result<Option<i64>> {
        let waiting = sql_states(&State::WAITING);
        let c = self.lock();
        let id: Option<i64> = c
            .query_row(
                &format!("SELECT id FROM donations WHERE source = ?1 AND source_id = ?2 AND state IN ({waiting})"),
                params![source.as_str(), source_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else { return Ok(None) };
        let withdraw = Transition {
            set: "working = 0, reason = ?4, settled = 'withdrawn on the platform'",
            args: &[&reason],
            ..Transition::new(&State::WAITING, State::Cleared)
        };
        Ok(self.transition(&c, id, withdraw)?.then_some(id))
    }

    /// Finished donations of `source` (shown, refused, ignored, cleared, skipped, failed) not yet
    /// marked settled, oldest first.
    pub fn unsettled(&self, source: Source, limit: usize) -> Result<Vec<Unsettled>> {
        let finished = sql_states(&State::FINISHED);
        let c = self.lock();
        let mut stmt = c.prepare_cached(&format!(
            "SELECT id, source_id, message_type, state FROM donations \
             WHERE source = ?1 AND settled IS NULL AND state IN ({finished}) ORDER BY id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![source.as_str(), limit as i64], |r| {
            let state: String = r.get(3)?;
            Ok(Unsettled {
                id: r.get(0)?,
                source_id: r.get(1)?,
                message_type: r.get(2)?,
                state: State::parse(&state).unwrap_or(State::Failed),
            })
        })?;
        rows.collect()
    }

    /// Records that the platform was told (`note`: what it was told, or why it never will be).
    pub fn mark_settled(&self, id: i64, note: &str) -> Result<()> {
        self.lock().execute("UPDATE donations SET settled = ?2 WHERE id = ?1", params![id, note])?;
        Ok(())
    }

    /// How a donation was settled with its platform, if it was.
    pub fn settled(&self, id: i64) -> Result<Option<String>> {
        self.lock()
            .query_row("SELECT settled FROM donations WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map(Option::flatten)
    }

    /// A small persistent key-value store (sources' watermarks, the pause).
    pub fn meta_get(&self, key: &str) -> Result<Option<String>> {
        self.lock().query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()
    }

    pub fn meta_set(&self, key: &str, value: &str) -> Result<()> {
        self.lock().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn donation(n: u32) -> NewDonation {
        NewDonation {
            source: Source::MANUAL,
            source_id: format!("m{n}"),
            donor: "Ann".into(),
            message: format!("draw {n}"),
            amount: "5.00".into(),
            currency: "USD".into(),
            amount_user: None,
            message_type: "text".into(),
            donor_masked: "Ann".into(),
            message_masked: format!("draw {n}"),
            placement: Placement::default(),
        }
    }

    fn to_ready(j: &Journal) -> i64 {
        let mut last = 0;
        for (from, to) in [
            (State::Received, State::Moderated),
            (State::Moderated, State::Planned),
            (State::Planned, State::Generated),
            (State::Generated, State::Ready),
        ] {
            let d = j.claim(from).unwrap().unwrap();
            let u = Update {
                document: (to == State::Ready).then(|| "{}".to_owned()),
                image_png: (to == State::Generated).then(|| b"\x89PNG".to_vec()),
                ..Update::default()
            };
            assert!(j.advance(d.id, from, to, u).unwrap());
            last = d.id;
        }
        last
    }

    #[test]
    fn raw_images_of_finished_drawings_are_dropped_except_the_newest_and_replay_still_works() {
        let j = Journal::open_in_memory().unwrap();
        let mut ready = |n| {
            j.insert(&donation(n)).unwrap();
            to_ready(&j)
        };
        let ids: Vec<i64> = (0..5).map(&mut ready).collect();
        let waiting = ready(5);
        for &id in &ids {
            assert!(j.start_showing(id).unwrap() && j.finish_showing(id).unwrap());
        }
        assert_eq!(j.prune_raw_images(2).unwrap(), 3);
        let kept: Vec<bool> = ids.iter().map(|&id| j.image(id).unwrap().is_some()).collect();
        assert_eq!(kept, [false, false, false, true, true], "the newest two finished drawings keep theirs");
        assert!(j.image(waiting).unwrap().is_some(), "a drawing still to come keeps its image");
        assert!(j.replay(ids[0]).unwrap(), "a replay needs only the stored drawing");
        assert!(j.document(ids[0]).unwrap().is_some());
        assert_eq!(j.prune_raw_images(2).unwrap(), 0, "nothing more to drop");
    }

    #[test]
    fn finished_donations_wait_in_the_outbox_until_their_platform_was_told() {
        let j = Journal::open_in_memory().unwrap();
        let twitch = Source::named("twitch");
        let of = |n: u32| NewDonation { source: twitch, message_type: "redemption".into(), ..donation(n) };
        j.insert(&of(1)).unwrap();
        let shown = to_ready(&j);
        j.insert(&of(2)).unwrap();
        j.insert(&donation(3)).unwrap();
        assert!(j.unsettled(twitch, 10).unwrap().is_empty(), "nothing is finished yet");
        assert!(j.start_showing(shown).unwrap() && j.finish_showing(shown).unwrap());
        j.clear().unwrap();
        let out = j.unsettled(twitch, 10).unwrap();
        let got: Vec<(String, State)> = out.iter().map(|u| (u.source_id.clone(), u.state)).collect();
        assert_eq!(got, [("m1".into(), State::Shown), ("m2".into(), State::Cleared)], "only this source's rows");
        assert_eq!(out[0].message_type, "redemption");
        j.mark_settled(out[0].id, "fulfilled").unwrap();
        assert_eq!(j.unsettled(twitch, 10).unwrap().len(), 1);
        assert_eq!(j.settled(out[0].id).unwrap().as_deref(), Some("fulfilled"));
        assert_eq!(j.unsettled(Source::MANUAL, 10).unwrap().len(), 1, "the cleared manual one");
    }

    #[test]
    fn a_donation_the_platform_took_back_is_not_drawn_unless_it_is_already_on_screen() {
        let j = Journal::open_in_memory().unwrap();
        let twitch = Source::named("twitch");
        let of = |n: u32| NewDonation { source: twitch, ..donation(n) };
        j.insert(&of(1)).unwrap();
        let on_screen = to_ready(&j);
        assert!(j.start_showing(on_screen).unwrap());
        j.insert(&of(2)).unwrap();
        assert_eq!(j.withdraw(twitch, "m1", "refunded").unwrap(), None, "on screen: it finishes");
        assert_eq!(j.withdraw(Source::MANUAL, "m2", "refunded").unwrap(), None, "another source's id");
        let id = j.withdraw(twitch, "m2", "refunded on Twitch").unwrap().expect("a waiting one is withdrawn");
        let row = j.get(id).unwrap().unwrap();
        assert_eq!((row.state, row.reason.as_deref()), (State::Cleared, Some("refunded on Twitch")));
        assert!(j.unsettled(twitch, 10).unwrap().is_empty(), "the platform is not told again");
        assert_eq!(j.withdraw(twitch, "m2", "again").unwrap(), None, "twice is harmless");
    }

    #[test]
    fn a_journal_from_an_older_version_is_converted_once_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.db");
        {
            // As the first release wrote it: no auto-vacuum, no image_check column.
            let old = Connection::open(&path).unwrap();
            old.execute_batch(SCHEMA).unwrap();
            old.execute(
                "INSERT INTO donations (source, source_id, state, donor, donor_masked, message, message_masked, amount, \
                 currency, received_at, updated_at, document) \
                 VALUES ('manual', '1', 'shown', 'a', 'a', 'm', 'm', '1', 'USD', 't', 't', '{\"steps\":[]}')",
                [],
            )
            .unwrap();
            assert_eq!(old.query_row("PRAGMA auto_vacuum", [], |r| r.get::<_, i64>(0)).unwrap(), 0);
        }
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.lock().query_row("PRAGMA auto_vacuum", [], |r| r.get::<_, i64>(0)).unwrap(), 2, "incremental");
        let row = j.get(1).unwrap().unwrap();
        assert_eq!((row.state, row.image_check), (State::Shown, None), "rows survive, the new column is empty");
        assert!(j.replay(1).unwrap(), "a drawing stored uncompressed by the old version can be replayed");
        let Some(ScreenItem::Drawing { document, .. }) = j.next_for_screen().unwrap() else { panic!() };
        assert_eq!(document, "{\"steps\":[]}");
    }

    #[test]
    fn a_drawing_is_stored_compressed_and_read_back_exactly() {
        let j = Journal::open_in_memory().unwrap();
        j.insert(&donation(1)).unwrap();
        for (from, to) in [
            (State::Received, State::Moderated),
            (State::Moderated, State::Planned),
            (State::Planned, State::Generated),
        ] {
            let d = j.claim(from).unwrap().unwrap();
            assert!(j.advance(d.id, from, to, Update::default()).unwrap());
        }
        // A stroke list the size of a real drawing's: 9 216 pixels as [x, y] points.
        let points: Vec<String> = (0..96 * 96).map(|i| format!("[{}, {}]", i % 96, i / 96)).collect();
        let doc = format!(
            "{{\"version\": \"1.0\", \"steps\": [{{\"op\": \"pixels\", \"points\": [{}]}}]}}",
            points.join(", ")
        );
        let d = j.claim(State::Generated).unwrap().unwrap();
        assert!(j
            .advance(d.id, State::Generated, State::Ready, Update { document: Some(doc.clone()), ..Update::default() })
            .unwrap());
        assert_eq!(j.document(d.id).unwrap().as_deref(), Some(doc.as_str()));
        let stored: i64 =
            j.lock().query_row("SELECT LENGTH(document_z) FROM donations WHERE id = ?1", [d.id], |r| r.get(0)).unwrap();
        assert!(stored * 4 < doc.len() as i64, "{stored} bytes stored for {} of JSON", doc.len());
    }

    #[test]
    fn a_new_source_names_itself_and_its_donations_are_kept_apart_from_others_with_the_same_id() {
        const TWITCH: Source = Source::named("twitch");
        let j = Journal::open_in_memory().unwrap();
        let a = j.insert(&donation(1)).unwrap();
        let b = j.insert(&NewDonation { source: TWITCH, ..donation(1) }).unwrap();
        assert!(a.new && b.new && a.id != b.id, "the same source id from two sources is two donations");
        assert_eq!(j.get(b.id).unwrap().unwrap().source, "twitch");
    }

    #[test]
    fn double_delivery_keeps_one_row() {
        let j = Journal::open_in_memory().unwrap();
        let a = j.insert(&donation(1)).unwrap();
        let b = j.insert(&donation(1)).unwrap();
        assert!(a.new && !b.new);
        assert_eq!(a.id, b.id);
        assert_eq!(j.list(None, 10).unwrap().len(), 1);
    }

    #[test]
    fn a_cleared_row_is_not_advanced_by_a_late_worker() {
        let j = Journal::open_in_memory().unwrap();
        j.insert(&donation(1)).unwrap();
        let d = j.claim(State::Received).unwrap().unwrap();
        assert_eq!(j.clear().unwrap(), 1);
        assert!(!j.advance(d.id, State::Received, State::Moderated, Update::default()).unwrap());
        assert_eq!(j.get(d.id).unwrap().unwrap().state, State::Cleared);
    }

    #[test]
    fn recovery_releases_claims_and_reshows_an_interrupted_drawing() {
        let j = Journal::open_in_memory().unwrap();
        j.insert(&donation(1)).unwrap();
        j.insert(&donation(2)).unwrap();
        let id = to_ready(&j);
        assert!(j.start_showing(id).unwrap());
        let claimed = j.claim(State::Received).unwrap().unwrap();
        assert!(j.claim(State::Received).unwrap().is_none());
        j.recover().unwrap();
        assert_eq!(j.get(id).unwrap().unwrap().state, State::Ready);
        assert_eq!(j.claim(State::Received).unwrap().unwrap().id, claimed.id);
    }

    #[test]
    fn a_drawing_is_logged_as_shown_once_and_replay_shows_it_again() {
        let j = Journal::open_in_memory().unwrap();
        j.insert(&donation(1)).unwrap();
        let id = to_ready(&j);
        let Some(ScreenItem::Drawing { donation, .. }) = j.next_for_screen().unwrap() else {
            panic!("nothing to show")
        };
        assert_eq!(donation.id, id);
        assert!(j.start_showing(id).unwrap());
        assert!(j.finish_showing(id).unwrap());
        assert!(!j.finish_showing(id).unwrap(), "finishing twice must not log twice");
        assert_eq!(j.show_counts().unwrap(), vec![(id, 1)]);
        assert!(j.replay(id).unwrap());
        assert!(j.start_showing(id).unwrap() && j.finish_showing(id).unwrap());
        assert_eq!(j.get(id).unwrap().unwrap().show_count, 2);
    }

    #[test]
    fn the_screen_waits_for_an_older_donation_still_in_the_pipeline() {
        let j = Journal::open_in_memory().unwrap();
        j.insert(&donation(1)).unwrap();
        j.insert(&donation(2)).unwrap();
        // The second donation is refused early; its card must not jump ahead of the first drawing.
        let first = j.claim(State::Received).unwrap().unwrap();
        let second = j.claim(State::Received).unwrap().unwrap();
        let refuse = Update { card_text: Some("no".into()), ..Update::default() };
        assert!(j.advance(second.id, State::Received, State::Refused, refuse).unwrap());
        assert_eq!(j.next_for_screen().unwrap(), None);
        assert!(j.advance(first.id, State::Received, State::Refused, Update::default()).unwrap());
        let Some(ScreenItem::Card { donation }) = j.next_for_screen().unwrap() else { panic!() };
        assert_eq!(donation.id, first.id);
    }

    #[test]
    fn an_approved_older_donation_is_generated_even_when_the_look_ahead_is_full() {
        let j = Journal::open_in_memory().unwrap();
        for n in 1..=3 {
            j.insert(&donation(n)).unwrap();
        }
        let held = j.claim(State::Received).unwrap().unwrap();
        assert!(j.advance(held.id, State::Received, State::Held, Update::default()).unwrap());
        to_ready(&j);
        to_ready(&j);
        assert!(!j.generation_allowed(2).unwrap(), "two drawings wait: the look-ahead is full");
        assert!(j.approve(held.id).unwrap());
        let d = j.claim(State::Moderated).unwrap().unwrap();
        assert!(j.advance(d.id, State::Moderated, State::Planned, Update::default()).unwrap());
        assert!(j.generation_allowed(2).unwrap(), "the screen waits for the approved one, so it must be painted");
        assert_eq!(j.next_for_screen().unwrap(), None, "arrival order: the approved donation goes first");
    }

    fn placed(n: u32, donor: &str, priority: bool) -> NewDonation {
        let turn = Turn::Donor(donor.to_owned());
        NewDonation {
            donor: donor.into(),
            placement: Placement { priority, turn, ..Placement::default() },
            ..donation(n)
        }
    }

    fn upcoming_ids(j: &Journal) -> Vec<i64> {
        j.upcoming(100).unwrap().iter().map(|d| d.id).collect()
    }

    #[test]
    fn priority_goes_first_and_each_donor_gets_one_drawing_per_round() {
        let j = Journal::open_in_memory().unwrap();
        // Ann sends three, then Bob one, then a big one from Cid, then Dan one.
        let ids: Vec<i64> =
            [("ann", false), ("ann", false), ("ann", false), ("bob", false), ("cid", true), ("dan", false)]
                .iter()
                .enumerate()
                .map(|(n, (who, big))| j.insert(&placed(n as u32, who, *big)).unwrap().id)
                .collect();
        let [ann1, ann2, ann3, bob, cid, dan] = ids[..] else { panic!() };
        assert_eq!(upcoming_ids(&j), [cid, ann1, bob, dan, ann2, ann3]);
        // Every stage takes rows in that order.
        assert_eq!(j.claim(State::Received).unwrap().unwrap().id, cid);
        // Ann's first and Bob's are shown; a newcomer joins the current round, after Ann's second.
        j.recover().unwrap();
        for id in [cid, ann1, bob] {
            force(&j, id, "shown");
        }
        let eve = j.insert(&placed(9, "eve", false)).unwrap().id;
        assert_eq!(upcoming_ids(&j), [dan, ann2, eve, ann3]);
    }

    /// Moves a row straight to `state` (setting up a scenario; workers never do this).
    fn force(j: &Journal, id: i64, state: &str) {
        j.lock().execute("UPDATE donations SET state = ?2 WHERE id = ?1", params![id, state]).unwrap();
    }

    #[test]
    fn the_screen_waits_for_a_priority_donation_and_the_generator_paints_it_next() {
        let j = Journal::open_in_memory().unwrap();
        j.insert(&placed(1, "ann", false)).unwrap();
        j.insert(&placed(2, "bob", false)).unwrap();
        let small = [to_ready(&j), to_ready(&j)];
        assert!(!j.generation_allowed(2).unwrap(), "two small drawings fill the look-ahead");
        let big = j.insert(&placed(3, "cid", true)).unwrap().id;
        assert_eq!(j.next_for_screen().unwrap(), None, "the screen waits for the priority donation");
        for (from, to) in [(State::Received, State::Moderated), (State::Moderated, State::Planned)] {
            let d = j.claim(from).unwrap().unwrap();
            assert!(j.advance(d.id, from, to, Update::default()).unwrap());
        }
        assert!(j.generation_allowed(2).unwrap(), "the priority donation is painted despite the full look-ahead");
        assert_eq!(to_ready_from(&j, State::Planned), big);
        let Some(ScreenItem::Drawing { donation, .. }) = j.next_for_screen().unwrap() else { panic!() };
        assert_eq!(donation.id, big);
        assert_eq!(upcoming_ids(&j), [big, small[0], small[1]], "the small ones kept their images and wait");
    }

    fn to_ready_from(j: &Journal, from: State) -> i64 {
        let pairs = [(State::Planned, State::Generated), (State::Generated, State::Ready)];
        let mut id = 0;
        for (f, to) in pairs.into_iter().skip_while(|(f, _)| *f != from) {
            let d = j.claim(f).unwrap().unwrap();
            let u = Update { document: Some("{}".into()), image_png: Some(b"png".to_vec()), ..Update::default() };
            assert!(j.advance(d.id, f, to, u).unwrap());
            id = d.id;
        }
        id
    }

    #[test]
    fn draw_now_moves_a_waiting_or_ignored_donation_to_the_front() {
        let j = Journal::open_in_memory().unwrap();
        let a = j.insert(&placed(1, "ann", true)).unwrap().id;
        let b = j.insert(&placed(2, "bob", false)).unwrap().id;
        let ignored = Placement { ignored: Some("below minimum 10 USD".into()), ..Placement::default() };
        let c = j.insert(&NewDonation { placement: ignored, ..donation(3) }).unwrap().id;
        let row = j.get(c).unwrap().unwrap();
        assert_eq!((row.state, row.reason.as_deref()), (State::Ignored, Some("below minimum 10 USD")));
        assert_eq!(upcoming_ids(&j), [a, b], "an ignored donation is not in the queue");
        assert!(j.draw_now(b).unwrap());
        assert_eq!(upcoming_ids(&j), [b, a], "ahead of the priority tier");
        assert!(j.draw_now(c).unwrap());
        let row = j.get(c).unwrap().unwrap();
        assert_eq!(row.state, State::Received, "back in line, to be moderated");
        assert!(row.draw_now && row.reason.unwrap().contains("below minimum"));
        assert_eq!(upcoming_ids(&j), [c, b, a], "the latest draw-now goes first");
        force(&j, a, "shown");
        assert!(!j.draw_now(a).unwrap(), "a shown drawing is replayed, not drawn now");
    }

    #[test]
    fn held_rows_wait_for_a_moderator() {
        let j = Journal::open_in_memory().unwrap();
        j.insert(&donation(1)).unwrap();
        j.insert(&donation(2)).unwrap();
        for _ in 0..2 {
            let d = j.claim(State::Received).unwrap().unwrap();
            assert!(j.advance(d.id, State::Received, State::Held, Update::default()).unwrap());
        }
        assert_eq!(j.list(Some(State::Held), 10).unwrap().len(), 2);
        assert!(j.approve(1).unwrap());
        assert!(!j.approve(1).unwrap(), "only held rows can be approved");
        let held: Vec<i64> = j.list(Some(State::Held), 10).unwrap().iter().map(|d| d.id).collect();
        assert_eq!(held, vec![2], "the state filter lists only held rows");
        assert_eq!(j.list(None, 10).unwrap().len(), 2, "no filter lists every row");
        assert!(j.deny(2, "no").unwrap());
        assert_eq!(j.get(1).unwrap().unwrap().state, State::Moderated);
        let denied = j.get(2).unwrap().unwrap();
        assert_eq!(denied.state, State::Refused);
        assert!(denied.card_pending);
    }
}
