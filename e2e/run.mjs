// Browser tests of Draw Stream's web face in a real headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core): the moderator panel at phone width, the OBS overlay, the gallery.
//
// Starts the real binary on a free port with fast timings and a temporary data dir, and drives it
// the way a streamer and a moderator would. Takes the README screenshots:
//   docs/screenshots/overlay.png  the overlay over a checkerboard (its background is transparent)
//   docs/screenshots/panel.png    the panel at phone width
// Then measures what 20 overlay tabs cost the service (show-loop frame rate, CPU).
//
// Environment: DRAWSTREAM_BIN (default ../target/debug/draw-stream), CHROMIUM (default
// /usr/bin/chromium), SCREENSHOT_DIR (default ../docs/screenshots; "-" to skip), E2E_SKIP_LOAD=1 to
// skip the 20-tab measurement. Exit status 0 when every check passed.

import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const BIN = process.env.DRAWSTREAM_BIN || path.join(root, 'target', 'debug', 'draw-stream');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOT_DIR === '-' ? null : (process.env.SCREENSHOT_DIR || path.join(root, 'docs', 'screenshots'));
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log('[e2e]', ...a);
const cleanups = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function until(what, fn, timeoutMs = 30000, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what + (last instanceof Error ? ': ' + last.message : ''));
    await sleep(everyMs);
  }
}

/** Starts the service; returns { url, token, key, pid, api(), stop(), kill() }. `at` reuses a data dir and port. */
async function startService(extraEnv, at = {}) {
  if (!fs.existsSync(BIN)) throw new Error(`no binary at ${BIN}: run \`cargo build -p draw-stream\` or set DRAWSTREAM_BIN`);
  const dataDir = at.dataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'drawstream-e2e-'));
  const port = at.port || await freePort();
  const env = {
    PATH: process.env.PATH, HOME: dataDir, API_PORT: String(port), DEMO: '0', LLM_BACKEND: 'offline',
    IMAGE_BACKEND: 'demo', MODERATION_MODE: 'approve-all', DRAW_DURATION_SEC: '6', SHOW_DURATION_SEC: '2',
    CARD_DURATION_SEC: '1', FRAME_RATE: '60', LOG_LEVEL: 'warning', ...extraEnv,
  };
  const logFile = fs.openSync(path.join(dataDir, 'service.log'), 'a');
  const child = spawn(BIN, ['run', '--headless', '--data-dir', dataDir], { env, cwd: dataDir, stdio: ['ignore', 'ignore', logFile] });
  let exited = null;
  child.on('exit', (code, sig) => { exited = code ?? sig; });
  const url = `http://127.0.0.1:${port}`;
  // SIGTERM: a graceful stop, which open overlay connections must not hold up.
  const terminate = async () => {
    if (exited === null) { child.kill('SIGTERM'); await until('service exit after SIGTERM', () => exited !== null, 10000); }
  };
  const stop = async () => {
    await terminate().catch(() => child.kill('SIGKILL'));
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  cleanups.push(stop);
  await until('service health', async () => {
    if (exited !== null) throw new Error('service exited: ' + fs.readFileSync(path.join(dataDir, 'service.log'), 'utf8'));
    return (await fetch(url + '/health')).ok;
  }, 60000);
  const token = fs.readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
  const key = fs.readFileSync(path.join(dataDir, 'overlay-key'), 'utf8').trim();
  const api = async (method, p, body) => {
    const r = await fetch(url + p, { method, headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    return r.json();
  };
  return { url, token, key, pid: child.pid, api, stop, terminate, dataDir, port };
}

/** Summary of the overlay's canvas pixels: a hash and how many differ from the first pixel (background). */
async function canvasSample(page) {
  return page.evaluate(() => {
    const c = document.querySelector('#canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261 >>> 0;
    let painted = 0;
    for (let i = 0; i < d.length; i += 4) {
      h = Math.imul(h ^ (d[i] | (d[i + 1] << 8) | (d[i + 2] << 16)), 16777619) >>> 0;
      if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) painted++;
    }
    return { hash: h, painted };
  });
}

const overlayVisible = (page) => page.evaluate(() => {
  const stage = document.querySelector('#stage');
  const art = document.querySelector('#art');
  return !stage.hidden && !art.hidden && getComputedStyle(art).display !== 'none';
});

const rowState = (panel, id) => panel.evaluate((id) => {
  const li = document.querySelector(`#held li[data-id="${id}"], #donations li[data-id="${id}"]`);
  return li ? li.dataset.state : null;
}, id);

/** Records every state the panel shows for donation `id` until `stop` returns true. */
async function watchStates(panel, id, stop, seen = [], timeoutMs = 60000) {
  await until(`donation ${id} states`, async () => {
    const s = await rowState(panel, id);
    if (s && seen[seen.length - 1] !== s) seen.push(s);
    return stop(s);
  }, timeoutMs, 40);
  return seen;
}

async function sendTestDonation(panel, message, donor) {
  await panel.fill('#donate input[name=donor]', donor);
  await panel.fill('#donate textarea[name=message]', message);
  await panel.click('#donate button[type=submit]');
  const toast = await until('donation toast', async () => {
    const t = await panel.textContent('#toast').catch(() => '');
    return /#(\d+) queued/.exec(t || '');
  }, 10000);
  return Number(toast[1]);
}

async function cpuSeconds(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (USER_HZ = 100)
}

async function measure(svc, seconds) {
  // `fps` is the show loop's rate (the stage's when headless); a `window_fps` field, where /queue has
  // one, is the window's own and is reported too.
  const fps = [];
  const windowFps = [];
  const c0 = await cpuSeconds(svc.pid);
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    const q = await svc.api('GET', '/queue');
    fps.push(q.fps);
    if (typeof q.window_fps === 'number') windowFps.push(q.window_fps);
    await sleep(250);
  }
  const cpu = (await cpuSeconds(svc.pid) - c0) / ((Date.now() - t0) / 1000);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const out = { fps_median: median(fps), fps_min: Math.min(...fps), cpu_percent: Math.round(cpu * 1000) / 10 };
  if (windowFps.length) out.window_fps_median = median(windowFps);
  return out;
}

async function main() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM)`);
  // The streamer's own moderation rules, edited while the service runs.
  const rulesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'drawstream-rules-'));
  cleanups.push(async () => fs.rmSync(rulesDir, { recursive: true, force: true }));
  const rulesFile = path.join(rulesDir, 'rules.txt');
  fs.writeFileSync(rulesFile, 'hold ^clown~\n');
  // A platform source (the Rust test passes a fake StreamElements' settings): the panel shows its state.
  const sourceEnv = JSON.parse(process.env.E2E_SOURCE_ENV || '{}');
  const svc = await startService({ MODERATION_RULES: rulesFile, ...sourceEnv });
  log('service at', svc.url);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'drawstream-chromium-'));
  cleanups.push(async () => fs.rmSync(profile, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, acceptDownloads: true, viewport: { width: 1920, height: 1080 },
  });
  cleanups.unshift(async () => context.close());
  // Page errors fail the run; expected ones are filtered: the refused sign-in and key checks (401/403)
  // and the overlay's reconnect attempts while the service restarts (connection refused).
  const errors = [];
  context.on('weberror', (e) => errors.push(String(e.error())));
  context.on('console', (m) => { if (m.type() === 'error' && !/401|403|Failed to load resource|ERR_CONNECTION_REFUSED/.test(m.text())) errors.push(m.text()); });

  // ---- The overlay: refuses without the key, connects with it, transparent and empty when idle.
  const overlay = await context.newPage();
  const denied = await overlay.goto(svc.url + '/overlay');
  assert.equal(denied.status(), 401, 'overlay without a key');
  assert.equal((await overlay.goto(svc.url + '/overlay?key=' + svc.token)).status(), 403, 'admin token as overlay key');
  const overlayUrl = `${svc.url}/overlay?key=${svc.key}`;
  assert.equal((await overlay.goto(overlayUrl)).status(), 200);
  await overlay.waitForFunction(() => document.body.dataset.state === 'live');
  const bg = await overlay.evaluate(() => [getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(document.body).backgroundColor]);
  assert.deepEqual(bg, ['rgba(0, 0, 0, 0)', 'rgba(0, 0, 0, 0)'], 'transparent background');
  assert.equal(await overlayVisible(overlay), false, 'nothing drawn while idle');
  log('overlay: 401 without key, 403 with the admin token, live and transparent with the key');

  // ---- The panel at phone width: sign in.
  const panel = await context.newPage();
  await panel.setViewportSize({ width: 390, height: 844 });
  await panel.goto(svc.url + '/panel');
  await panel.waitForSelector('#signin:not([hidden])');
  assert.equal(await panel.isVisible('#app'), false, 'no data before sign-in');
  await panel.fill('#token', 'not-the-token');
  await panel.click('#signin button[type=submit]');
  await panel.waitForFunction(() => /not accepted/.test(document.querySelector('#signin-error').textContent));
  await panel.fill('#token', svc.token);
  await panel.click('#signin button[type=submit]');
  await panel.waitForSelector('#app:not([hidden])');
  await panel.waitForSelector('#status .chip');
  if (sourceEnv.STREAMELEMENTS_TOKEN) {
    await until('the StreamElements chip says live', async () =>
      /^StreamElements: live$/.test((await panel.textContent('#status [data-chip=source-streamelements]').catch(() => '')) || ''), 20000);
    const cls = await panel.getAttribute('#status [data-chip=source-streamelements]', 'class');
    assert.ok(/\bok\b/.test(cls), `a live source's chip is green: ${cls}`);
    log('panel: one chip per source (StreamElements: live)');
  } else {
    log('panel: no E2E_SOURCE_ENV, source chip not checked');
  }
  const horizontalScroll = await panel.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  assert.equal(horizontalScroll, false, 'the panel fits a 390 px phone screen');
  log('panel: wrong token refused, signed in, fits 390 px');

  // ---- A typo in the rules file: the panel says the file is not applied, and where it is wrong.
  const rulesChip = () => panel.textContent('#status [data-chip=rules]');
  await until('the rules chip', async () => /Rules: 1$/.test(await rulesChip()), 10000);
  fs.writeFileSync(rulesFile, 'hold ^clown~\nblok ^mime~\n');
  await until('the rules problem on the panel', async () => /not applied: .*line 2/.test(await rulesChip()), 15000);
  fs.writeFileSync(rulesFile, 'hold ^clown~\nhold ^mime~\n');
  await until('the fixed rules on the panel', async () => /Rules: 2$/.test(await rulesChip()), 15000);
  log('panel: a broken rules file is reported, a fixed one applies without a restart');

  // ---- The rules editor: a typo is refused with its line and nothing is saved; a good rule applies at once.
  await until('the rules in the editor', async () => (await panel.inputValue('#rules-text')).includes('^mime~'), 10000);
  await panel.fill('#rules-text', 'hold ^clown~\nhlod ^kraken~\n');
  await panel.click('#rules-save');
  await panel.waitForFunction(() => /line 2: unknown action "hlod"/.test(document.querySelector('#rules-error').textContent));
  assert.equal(fs.readFileSync(rulesFile, 'utf8'), 'hold ^clown~\nhold ^mime~\n', 'a broken edit is not written');
  await panel.fill('#rules-text', 'hold ^clown~\nhold ^kraken~\n');
  await panel.click('#rules-save');
  await until('the saved rules file', () => fs.readFileSync(rulesFile, 'utf8') === 'hold ^clown~\nhold ^kraken~\n', 10000);
  await panel.waitForFunction(() => document.querySelector('#rules-error').textContent === '');
  await panel.fill('#check-text', 'draw a KR4KEN eating a ship');
  await panel.click('#check');
  await panel.waitForFunction(() => document.querySelector('#check-result').textContent === 'Held for approval (your rule ^kraken~)');
  await panel.fill('#check-text', 'draw a fucking cool ship');
  await panel.click('#check');
  await panel.waitForFunction(() => document.querySelector('#check-result').textContent === 'Drawn, shown as: draw a f****** cool ship');
  log('panel: rules editor refuses a typo with its line, saves and applies a good rule, checks a request');

  // ---- A test donation is held (approve-all), approved, drawn: the panel follows its states.
  const first = await sendTestDonation(panel, 'draw a fox sleeping in the snow', 'Ann');
  const seen = await watchStates(panel, first, (s) => s === 'held');
  await panel.waitForSelector(`#held li[data-id="${first}"] button[data-action=approve]`);
  await panel.click(`#held li[data-id="${first}"] button[data-action=approve]`);
  await watchStates(panel, first, (s) => s === 'showing', seen);

  // The panel shows it on screen with progress and a preview; the overlay paints it stroke by stroke.
  await panel.waitForFunction((id) => document.querySelector('#now').dataset.active === String(id), first);
  await panel.waitForSelector('#preview:not([hidden])');
  await overlay.waitForFunction(() => !document.querySelector('#art').hidden);
  const a = await canvasSample(overlay);
  await sleep(900);
  const b = await canvasSample(overlay);
  assert.notEqual(a.hash, b.hash, 'the overlay canvas changes while drawing');
  const donor = await overlay.textContent('#now .donor');
  assert.equal(donor, 'Ann');
  assert.match(await overlay.textContent('#now .money'), /^5 USD$/);
  log(`overlay: canvas changes while drawing (${a.painted} → ${b.painted} painted pixels), donor "${donor}"`);

  // Screenshots for the README: the overlay over a checkerboard, the panel at phone width, with one
  // more donation waiting for a moderator (it stays held to the end).
  const waiting = await sendTestDonation(panel, 'draw a castle on a hill at sunset', 'Mia');
  await watchStates(panel, waiting, (s) => s === 'held');
  await overlay.waitForFunction(() => document.querySelectorAll('#queue li.held').length === 1);
  await panel.evaluate(() => window.scrollTo(0, 0));
  if (SHOTS) {
    fs.mkdirSync(SHOTS, { recursive: true });
    const board = await context.newPage();
    const boardUrl = pathToFileURL(path.join(here, 'checkerboard.html')).href + '?src=' + encodeURIComponent(overlayUrl);
    await board.goto(boardUrl);
    const frame = await until('overlay frame', async () => board.frames().find((f) => f.url().includes('/overlay?')));
    await frame.waitForFunction(() => !document.querySelector('#art').hidden);
    await sleep(300);
    await board.screenshot({ path: path.join(SHOTS, 'overlay.png') });
    await board.close();
    await panel.evaluate(() => { const t = document.querySelector('#toast'); if (t) t.hidden = true; });
    await panel.screenshot({ path: path.join(SHOTS, 'panel.png'), fullPage: true });
    log('screenshots written to', SHOTS);
  }

  // ---- Emergency hide: the overlay blanks at once; show brings it back.
  const hideAt = Date.now();
  await panel.click('#hide-toggle');
  await overlay.waitForFunction(() => document.body.dataset.state === 'hidden' && document.querySelector('#stage').hidden, null, { timeout: 5000 });
  const hideMs = (await overlay.evaluate(() => window.__overlay.hiddenChangedAt)) - hideAt;
  assert.equal(await overlayVisible(overlay), false);
  await panel.waitForFunction(() => document.querySelector('#hide-toggle').dataset.hidden === 'true');
  await panel.waitForSelector('#status [data-chip=hidden]', { timeout: 10000 });
  await panel.click('#hide-toggle');
  await overlay.waitForFunction(() => document.body.dataset.state === 'live');
  await until('overlay visible after show', () => overlayVisible(overlay), 5000);
  log(`hide: overlay blank ${hideMs} ms after the click (panel → API → stream → page); show: back`);

  await watchStates(panel, first, (s) => s === 'shown', seen);
  assert.ok(seen.includes('held') && seen.includes('showing') && seen.at(-1) === 'shown', seen.join(' → '));
  log(`donation #${first}: ${seen.join(' → ')}`);

  // ---- Pause / resume.
  await panel.click('#pause');
  await panel.waitForFunction(() => document.querySelector('#pause').dataset.paused === 'true');
  await panel.waitForSelector('#status [data-chip=paused]', { timeout: 10000 });
  await panel.click('#pause');
  await panel.waitForFunction(() => document.querySelector('#pause').dataset.paused === 'false');
  log('pause and resume');

  // ---- Skip the drawing on screen; deny a held one.
  const second = await sendTestDonation(panel, 'draw a lighthouse at night', 'Bob');
  await watchStates(panel, second, (s) => s === 'held');
  await panel.click(`#held li[data-id="${second}"] button[data-action=approve]`);
  await watchStates(panel, second, (s) => s === 'showing');
  await panel.waitForFunction((id) => document.querySelector('#now').dataset.active === String(id), second);
  await panel.click('#skip');
  await watchStates(panel, second, (s) => s === 'skipped');
  const third = await sendTestDonation(panel, 'draw a grumpy robot', 'Eve');
  await watchStates(panel, third, (s) => s === 'held');
  await panel.click(`#held li[data-id="${third}"] button[data-action=deny]`);
  await watchStates(panel, third, (s) => s === 'refused');
  log(`skip: #${second} skipped; deny: #${third} refused`);

  // ---- The gallery (same tab: the token stays in this tab's sessionStorage).
  await panel.setViewportSize({ width: 1280, height: 900 });
  await panel.goto(svc.url + '/gallery');
  await panel.waitForSelector(`.tile[data-id="${first}"]`);
  const ids = await panel.$$eval('.tile', (ts) => ts.map((t) => Number(t.dataset.id)));
  assert.deepEqual(ids, [first], 'only the drawing shown to the end is in the gallery');
  await panel.waitForFunction((id) => { const i = document.querySelector(`.tile[data-id="${id}"] img`); return i && i.complete && i.naturalWidth > 0; }, first);
  assert.equal(await panel.$eval(`.tile[data-id="${first}"] img`, (i) => i.naturalWidth), 768, 'PNG ×8');
  for (const [action, magic] of [['png', '\x89PNG'], ['gif', 'GIF8']]) {
    const [dl] = await Promise.all([panel.waitForEvent('download'), panel.click(`.tile[data-id="${first}"] button[data-action=${action}]`)]);
    const bytes = fs.readFileSync(await dl.path());
    assert.equal(bytes.subarray(0, 4).toString('latin1'), magic, action + ' download');
    assert.equal(dl.suggestedFilename(), `drawstream-${first}.${action}`);
    log(`gallery: ${action.toUpperCase()} download ${bytes.length} bytes`);
  }
  const del = `.tile[data-id="${first}"] button[data-action=delete]`;
  await panel.click(del);
  await panel.click(del);
  await panel.waitForSelector(`.tile[data-id="${first}"]`, { state: 'detached' });
  const left = await svc.api('GET', '/gallery/items');
  assert.equal(left.length, 0, 'deleted');
  log('gallery: listed, downloads work, delete works');

  // ---- Replay from the panel: the drawing comes back on screen (and so to the overlay).
  await panel.setViewportSize({ width: 390, height: 844 });
  await panel.goto(svc.url + '/panel');
  const replay = `#donations li[data-id="${first}"] button[data-action=replay]`;
  await panel.waitForSelector(replay);
  await panel.click(replay);
  await watchStates(panel, first, (s) => s === 'showing');
  await overlay.waitForFunction(() => document.querySelector('#now .donor').textContent === 'Ann' && !document.querySelector('#art').hidden);
  log(`replay: #${first} on screen again`);

  // ---- Clear (two taps): the donation still held goes to `cleared`.
  await panel.click('#clear');
  await panel.waitForFunction(() => document.querySelector('#clear').classList.contains('armed'));
  await panel.click('#clear');
  await watchStates(panel, waiting, (s) => s === 'cleared');
  log(`clear: #${waiting} cleared`);

  // ---- A dropped connection reconnects by itself: restart the service under the open overlay.
  const connects = await overlay.evaluate(() => window.__overlay.connects);
  await svc.terminate();
  await overlay.waitForFunction(() => document.body.dataset.state === 'reconnecting');
  cleanups.splice(cleanups.indexOf(svc.stop), 1);
  const again = await startService({}, { dataDir: svc.dataDir, port: svc.port });
  await overlay.waitForFunction((n) => document.body.dataset.state === 'live' && window.__overlay.connects > n, connects, { timeout: 15000 });
  log('overlay: the service stopped gracefully under an open overlay; the page reconnected by itself after the restart');
  await again.stop();
  cleanups.splice(cleanups.indexOf(again.stop), 1);

  assert.deepEqual(errors, [], 'no page errors');
  await context.close();
  cleanups.shift();

  await heldPictureTest();
  await drawRulesTest();
  if (process.env.E2E_SKIP_LOAD !== '1') await loadTest();
  log('PASS');
}

/** A fresh browser with the panel open and signed in to `svc`; `close()` ends it. */
async function signedInPanel(svc) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'drawstream-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1280, height: 900 } });
  const close = async () => { await context.close(); fs.rmSync(profile, { recursive: true, force: true }); };
  const panel = await context.newPage();
  await panel.goto(svc.url + '/panel');
  await panel.fill('#token', svc.token);
  await panel.click('#signin button[type=submit]');
  await panel.waitForSelector('#app:not([hidden])');
  return { panel, close };
}

// ---- A picture the image check holds: the moderator sees it blurred, clicks to look, approves it.
// Threshold 0 makes the in-process classifier hold every picture. Needs the open_nsfw model
// (DRAWSTREAM_NSFW_MODEL; CI installs it and sets DRAWSTREAM_REQUIRE_NSFW_MODEL).
async function heldPictureTest() {
  const model = process.env.DRAWSTREAM_NSFW_MODEL;
  if (!model || !fs.existsSync(model)) {
    assert.ok(!process.env.DRAWSTREAM_REQUIRE_NSFW_MODEL, 'the open_nsfw model is required here');
    log('SKIPPED the held-picture check: set DRAWSTREAM_NSFW_MODEL to the open_nsfw model');
    return;
  }
  const svc = await startService({
    MODERATION_MODE: 'auto', IMAGE_CHECK: 'nsfw', IMAGE_CHECK_NSFW_MODEL: model, IMAGE_CHECK_NSFW_THRESHOLD: '0',
  });
  const { panel, close } = await signedInPanel(svc);
  try {
    await until('the image-check chip', async () => /Image check: nsfw/.test(await panel.textContent('#status [data-chip=image-check]')), 15000);
    const { id } = await svc.api('POST', '/commands/donate', { amount: 5, message: 'a fox in the snow', donor: 'Pic' });
    const img = `#held li[data-id="${id}"] img.held-picture`;
    await panel.waitForSelector(img, { timeout: 30000 });
    await panel.waitForFunction((sel) => { const i = document.querySelector(sel); return i && i.complete && i.naturalWidth > 0; }, img, { timeout: 15000 });
    const reason = await panel.textContent(`#held li[data-id="${id}"] .reason`);
    assert.match(reason, /^image check: nsfw flagged it/, reason);
    const blurred = () => panel.evaluate((sel) => document.querySelector(sel).classList.contains('blurred') && getComputedStyle(document.querySelector(sel)).filter.includes('blur'), img);
    assert.equal(await blurred(), true, 'the held picture is blurred until clicked');
    if (SHOTS) await panel.screenshot({ path: path.join(SHOTS, 'panel-held-picture.png') });
    await panel.click(img);
    assert.equal(await blurred(), false, 'a click shows it');
    await sleep(1200); // two panel refreshes: the choice survives them
    assert.equal(await blurred(), false, 'the picture stays shown across refreshes');
    await panel.click(`#held li[data-id="${id}"] button[data-action=approve]`);
    await until('the approved picture shown', async () => (await svc.api('GET', `/donations/${id}`)).state === 'shown', 30000);
    log('panel: a picture held by the image check is blurred until clicked, approved, drawn');
  } finally {
    await close();
  }
}

// ---- The drawing rules on the panel: a typo is refused with its key; a minimum applies to the next
// donation, which the panel lists as ignored with the reason; "Draw now" draws it anyway.
async function drawRulesTest() {
  const svc = await startService({ MODERATION_MODE: 'auto', DRAW_DURATION_SEC: '1', SHOW_DURATION_SEC: '1' });
  const { panel, close } = await signedInPanel(svc);
  try {
    await panel.waitForFunction(() => document.querySelector('#draw-rules-currency').textContent === 'USD');
    await panel.fill('#draw-min', 'ten');
    await panel.click('#draw-rules-save');
    await panel.waitForFunction(() => /DRAW_MIN_AMOUNT: "ten" is not a plain decimal/.test(document.querySelector('#draw-rules-error').textContent));
    assert.equal((await svc.api('GET', '/queue/rules')).draw_min_amount, '0', 'a typo changes nothing');
    await panel.fill('#draw-min', '10');
    await panel.fill('#draw-priority', '100');
    await panel.click('#draw-rules-save');
    await until('the saved rules', async () => (await svc.api('GET', '/queue/rules')).draw_min_amount === '10', 10000);
    await panel.waitForFunction(() => /saved in/.test(document.querySelector('#draw-rules-state').textContent));
    const { id } = await svc.api('POST', '/commands/donate', { amount: 2, message: 'a small snail', donor: 'Tiny' });
    const reason = `#donations li[data-id="${id}"] .reason`;
    await panel.waitForSelector(reason, { timeout: 15000 });
    assert.equal(await panel.textContent(reason), 'Ignored: below minimum 10 USD');
    const big = await svc.api('POST', '/commands/donate', { amount: 150, message: 'a golden dragon', donor: 'Big' });
    await panel.waitForSelector(`#donations li[data-id="${big.id}"] [data-badge=priority]`, { timeout: 15000 });
    if (SHOTS) await panel.screenshot({ path: path.join(SHOTS, 'panel-drawing-rules.png'), fullPage: true });
    await panel.click(`#donations li[data-id="${id}"] button[data-action=draw-now]`);
    await until('the ignored donation drawn after "Draw now"', async () => (await svc.api('GET', `/donations/${id}`)).state === 'shown', 30000);
    log('panel: drawing rules checked and saved; a donation below the minimum is listed with why; Draw now draws it');
  } finally {
    await close();
    await svc.stop();
  }
}

// ---- 20 overlay tabs at once: the show loop keeps its frame rate; what the service spends.
async function loadTest() {
  const svc = await startService({ DRAW_DURATION_SEC: '60', SHOW_DURATION_SEC: '60', MODERATION_MODE: 'auto' });
  await svc.api('POST', '/commands/donate', { amount: 5, message: 'a castle on a hill', donor: 'Load' });
  await until('drawing on screen', async () => (await svc.api('GET', '/queue')).phase === 'drawing', 30000);
  await sleep(500);
  const idle = await measure(svc, 4);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'drawstream-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1920, height: 1080 } });
  try {
    const pages = [];
    for (let i = 0; i < 20; i++) {
      const p = await context.newPage();
      await p.goto(`${svc.url}/overlay?key=${svc.key}`);
      pages.push(p);
    }
    for (const p of pages) await p.waitForFunction(() => document.body.dataset.state === 'live');
    const viewers = (await svc.api('GET', '/overlay/url')).viewers;
    assert.equal(viewers, 20, '20 overlays connected');
    const loaded = await measure(svc, 4);
    const configured = 60;
    log(`20 overlay tabs: show loop ${idle.fps_median.toFixed(1)} → ${loaded.fps_median.toFixed(1)} fps (median; min ${loaded.fps_min.toFixed(1)}; FRAME_RATE=${configured}), service CPU ${idle.cpu_percent}% → ${loaded.cpu_percent}%`);
    console.log('LOAD ' + JSON.stringify({ viewers, configured_fps: configured, without_overlays: idle, with_20_overlays: loaded }));
    // Chromium's 20 tabs share the machine's cores with the service, so allow some noise.
    assert.ok(loaded.fps_median > 0.8 * idle.fps_median, 'the frame rate holds with 20 overlays');
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

let failed = false;
try {
  await main();
} catch (e) {
  failed = true;
  console.error('[e2e] FAIL:', e && e.stack ? e.stack : e);
} finally {
  for (const c of cleanups) { try { await c(); } catch { /* best effort */ } }
}
process.exit(failed ? 1 : 0);
