// Draw Stream overlay: paints what /overlay/stream sends. The animation runs in the service; this
// page keeps a 96×96 pixel buffer, applies full states and per-tick pixel changes, and lays out the HUD.
'use strict';
(() => {
  const params = new URLSearchParams(location.search);
  const key = params.get('key') || '';
  const layout = ['full', 'nohud', 'canvas'].includes(params.get('layout')) ? params.get('layout') : 'full';
  // The largest integer scale that keeps each layout inside 1920×1080.
  const maxScale = { full: 9, nohud: 10, canvas: 11 }[layout];
  const defaultScale = { full: 8, nohud: 8, canvas: 11 }[layout];
  const scale = Math.max(1, Math.min(maxScale, parseInt(params.get('scale'), 10) || defaultScale));
  const queueMax = Math.max(0, Math.min(12, parseInt(params.get('queue'), 10) || 5));

  const $ = (sel, root = document) => root.querySelector(sel);
  const stage = $('#stage');
  const art = $('#art');
  const hudBox = $('#hud');
  const cardBox = $('#card');
  const cv = $('#canvas');
  const ctx = cv.getContext('2d');
  stage.className = 'stage layout-' + layout;
  document.documentElement.style.setProperty('--scale', String(scale));
  if (params.get('bg') === 'night') document.body.classList.add('bg-night');

  let image = null;        // ImageData of the canvas, or null when no drawing is on screen
  let hud = null;
  let progress = 0;
  let hidden = false;
  let seq = 0;
  let lastMessage = 0;
  let ws = null;
  let retry = 0;
  let blankTimer = null;

  // What tests and OBS users can inspect.
  const status = window.__overlay = { seq: 0, messages: 0, connects: 0, hidden: false };

  function setState(s) { document.body.dataset.state = s; }

  function decodeBase64(b64) {
    const bin = atob(b64);
    const out = new Uint8ClampedArray(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function paint() {
    if (image) ctx.putImageData(image, 0, 0);
  }

  function text(el, value) {
    const s = value == null ? '' : String(value);
    if (el.textContent !== s) el.textContent = s;
  }

  function renderProgress() {
    const pct = Math.round(progress * 100);
    for (const f of stage.querySelectorAll('.fill')) f.style.width = pct + '%';
    const now = hud && hud.now;
    const pt = $('.progress-text', hudBox);
    if (now && now.hold_remaining_sec != null) {
      text(pt, 'On screen for ' + now.hold_remaining_sec + ' s');
      pt.classList.add('holding');
    } else {
      text(pt, now && now.kind === 'drawing' ? 'Drawing… ' + pct + ' %' : '');
      pt.classList.remove('holding');
    }
  }

  function renderHud() {
    const now = hud && hud.now;
    const queue = (hud && hud.queue) || [];
    // The drawing (or card) area.
    art.hidden = hidden || !now;
    if (now) {
      const isCard = now.kind !== 'drawing';
      cardBox.hidden = !isCard;
      cv.style.visibility = isCard ? 'hidden' : 'visible';
      if (isCard) {
        cardBox.classList.toggle('failed', now.kind === 'failed');
        text($('.card-title', cardBox), now.kind === 'failed' ? 'Could not draw this' : 'Not this one');
        text($('.card-text', cardBox), now.card || '');
      }
      text($('.strip .donor', art), now.donor);
      text($('.strip .money', art), now.money);
    }
    // The HUD panel: visible while something is on screen or waiting.
    hudBox.hidden = hidden || (!now && queue.length === 0);
    if (!hud) return;
    $('.chip-demo', hudBox).hidden = !hud.demo;
    $('.chip-paused', hudBox).hidden = !hud.paused;
    const st = $('.chip-status', hudBox);
    st.hidden = !hud.status_line;
    text(st, hud.status_line || '');
    const nowBox = $('#now');
    nowBox.hidden = !now;
    if (now) {
      text($('.label', nowBox), now.kind === 'drawing' ? 'Drawing for' : 'Request from');
      $('.bar', nowBox).hidden = now.kind !== 'drawing';
      text($('.donor', nowBox), now.donor);
      text($('.money', nowBox), now.money);
      text($('.message', nowBox), now.message);
    }
    const qBox = $('#queue');
    qBox.hidden = queue.length === 0;
    const ol = $('.entries', qBox);
    const shown = queue.slice(0, queueMax);
    const sig = JSON.stringify(shown);
    if (ol.dataset.sig !== sig) {
      ol.dataset.sig = sig;
      ol.replaceChildren(...shown.map((q) => {
        const li = document.createElement('li');
        li.className = q.status;
        const d = document.createElement('span'); d.className = 'q-donor'; d.textContent = q.donor;
        const m = document.createElement('span'); m.className = 'q-money'; m.textContent = q.money;
        const t = document.createElement('span'); t.className = 'q-message'; t.textContent = q.message;
        const s = document.createElement('span'); s.className = 'q-status'; s.textContent = q.status;
        li.append(d, m, t, s);
        return li;
      }));
    }
    text($('.more', qBox), queue.length > shown.length ? '+' + (queue.length - shown.length) + ' more' : '');
    text($('.caption', hudBox), hud.caption || '');
  }

  function applyFull(m) {
    hidden = !!m.hidden;
    hud = m.hud || null;
    progress = m.progress || 0;
    if (m.canvas) {
      if (cv.width !== m.canvas.w || cv.height !== m.canvas.h) {
        cv.width = m.canvas.w;
        cv.height = m.canvas.h;
      }
      image = new ImageData(decodeBase64(m.canvas.rgba), m.canvas.w, m.canvas.h);
    } else {
      image = null;
      ctx.clearRect(0, 0, cv.width, cv.height);
    }
    stage.hidden = hidden;
    paint();
    renderHud();
    renderProgress();
  }

  function applyDelta(m) {
    if (m.px && image) {
      const d = image.data;
      const px = m.px;
      for (let k = 0; k < px.length; k += 2) {
        const o = px[k] * 4;
        const c = px[k + 1];
        d[o] = c >>> 24; d[o + 1] = (c >>> 16) & 255; d[o + 2] = (c >>> 8) & 255; d[o + 3] = c & 255;
      }
      paint();
    }
    if ('hud' in m) { hud = m.hud; renderHud(); }
    if ('progress' in m) progress = m.progress;
    if ('progress' in m || 'hud' in m) renderProgress();
  }

  function onMessage(ev) {
    let m;
    try { m = JSON.parse(ev.data); } catch { return; }
    lastMessage = Date.now();
    status.messages++;
    if (m.type === 'full') applyFull(m);
    else if (m.type === 'delta') applyDelta(m);
    if (m.seq) { seq = m.seq; status.seq = seq; }
    if (status.hidden !== hidden) status.hiddenChangedAt = Date.now();
    status.hidden = hidden;
    setState(hidden ? 'hidden' : 'live');
  }

  function connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(proto + '//' + location.host + '/overlay/stream?key=' + encodeURIComponent(key));
    ws.onopen = () => {
      retry = 0;
      status.connects++;
      lastMessage = Date.now();
      if (blankTimer) { clearTimeout(blankTimer); blankTimer = null; }
    };
    ws.onmessage = onMessage;
    ws.onclose = () => {
      ws = null;
      setState('reconnecting');
      // A stage that cannot be reached must not show a stale drawing forever.
      if (!blankTimer) blankTimer = setTimeout(() => { stage.hidden = true; }, 10000);
      const delay = Math.min(5000, 250 * 2 ** retry++);
      setTimeout(connect, delay);
    };
  }

  // The server sends at least a beat every 3 s; silence means a dead connection.
  setInterval(() => {
    if (ws && ws.readyState === WebSocket.OPEN && Date.now() - lastMessage > 10000) ws.close();
  }, 2000);

  connect();
})();
