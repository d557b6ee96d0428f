// Draw Stream moderator panel: polls the control API with the admin token and acts on it.
'use strict';
(() => {
  const { $, request, toast, armed, el, money } = DS;
  const WAITING = ['received', 'moderated', 'planned', 'generated', 'ready', 'held'];
  // States a donation can be moved to the front from ("Draw now").
  const DRAW_NOW = ['received', 'moderated', 'planned', 'generated', 'ready', 'ignored'];
  let queue = null;
  let previewUrl = null;
  let previewId = null;
  let busy = false;
  // Pictures held by the image check: fetched once (with the token), blurred until the moderator clicks.
  const heldPictures = new Map();
  const revealed = new Set();

  async function act(label, method, path, body) {
    try {
      const r = await request(method, path, body);
      toast(label + (r && r.status ? ': ' + r.status : ''));
      refresh();
      return r;
    } catch (e) {
      if (e instanceof DS.AuthError) location.reload();
      toast(label + ' failed: ' + e.message, true);
      return null;
    }
  }

  function renderStatus(h) {
    const chips = [];
    if (h.demo) chips.push(el('span', { class: 'chip info', text: 'DEMO' }));
    // One chip per configured source (Donation Alerts, Twitch, StreamElements…), from /health sources.<name>.
    const sources = Object.entries(h.sources || {});
    for (const [name, s] of sources) {
      chips.push(el('span', { class: 'chip ' + (s.live ? 'ok' : s.needs_streamer ? 'bad' : ''), 'data-chip': 'source-' + name, title: name, text: s.label + ': ' + s.status }));
    }
    if (!sources.length) chips.push(el('span', { class: 'chip', 'data-chip': 'source', text: 'Intake: ' + (h.demo ? 'demo feed' : 'manual only') }));
    chips.push(el('span', { class: 'chip', text: 'LLM: ' + h.planner }));
    chips.push(el('span', { class: 'chip ' + (h.image_backend_problem ? 'bad' : 'ok'), title: h.image_backend_problem || '', text: 'Images: ' + h.image_backend + (h.image_backend_problem ? ' — problem' : '') }));
    const ic = h.image_check || {};
    const failing = Object.entries(ic.failing || {}).map(([k, v]) => k + ': ' + v).join('; ');
    const ms = Object.entries(ic.last_ms || {}).map(([k, v]) => k + ' ' + Math.round(v) + ' ms').join(', ');
    chips.push(el('span', { class: 'chip ' + (failing ? 'bad' : ic.checks === 'off' ? '' : 'ok'), 'data-chip': 'image-check', title: failing || ('checked ' + (ic.checked || 0) + ', held ' + (ic.flagged || 0)), text: 'Image check: ' + (ic.checks || 'off') + (ms ? ' (' + ms + ')' : '') + (failing ? ' — failing, pictures held' : '') }));
    const rules = h.moderation_rules || {};
    if (rules.rules || rules.problem) chips.push(el('span', { class: 'chip ' + (rules.problem ? 'bad' : 'ok'), 'data-chip': 'rules', title: rules.problem || rules.file, text: 'Rules: ' + rules.rules + (rules.problem ? ' — file not applied: ' + rules.problem : '') }));
    const storage = h.storage || {};
    if (storage.problem) chips.push(el('span', { class: 'chip bad', 'data-chip': 'storage', title: storage.problem, text: 'Storage: ' + storage.problem }));
    if (h.paused) chips.push(el('span', { class: 'chip bad', 'data-chip': 'paused', text: 'PAUSED' }));
    if (h.hidden) chips.push(el('span', { class: 'chip bad', 'data-chip': 'hidden', text: 'HIDDEN' }));
    $('#status').replaceChildren(...chips);
  }

  function renderNow(q) {
    const a = q.active;
    $('#now-empty').hidden = !!a;
    $('#now-info').hidden = !a;
    $('#now').dataset.active = a ? String(a.journal_id) : '';
    $('#now').dataset.phase = q.phase || '';
    if (a) {
      $('#now-donor').textContent = a.donor;
      $('#now-money').textContent = money(a.amount, a.currency);
      $('#now-message').textContent = a.message;
      $('#now-phase').textContent = q.phase || '';
      const pct = Math.round((q.progress || 0) * 100);
      $('#now-fill').style.width = pct + '%';
      $('#now-progress').textContent = q.phase === 'holding'
        ? 'Done — on screen for ' + Math.ceil(q.hold_remaining_sec) + ' s more'
        : q.phase === 'card' ? 'Refusal / failure card' : 'Drawing ' + pct + ' %';
    }
    const hide = $('#hide-toggle');
    hide.textContent = q.hidden ? 'SHOW STAGE' : 'HIDE STAGE';
    hide.classList.toggle('is-hidden', !!q.hidden);
    hide.dataset.hidden = String(!!q.hidden);
    const pause = $('#pause');
    pause.textContent = q.paused ? 'Resume' : 'Pause';
    pause.dataset.paused = String(!!q.paused);
    $('#skip').disabled = !a;
  }

  async function renderPreview(q) {
    const a = q.active;
    const drawing = a && q.phase !== 'card' && !q.hidden;
    const img = $('#preview');
    if (!drawing) { img.hidden = true; previewId = null; return; }
    // Refresh while drawing; once held, the picture no longer changes.
    if (q.phase === 'holding' && previewId === a.journal_id) return;
    try {
      const blob = await request('GET', '/stage/canvas.png', undefined, 'blob');
      if (!blob) return;
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = URL.createObjectURL(blob);
      img.src = previewUrl;
      img.hidden = false;
      previewId = q.phase === 'holding' ? a.journal_id : null;
    } catch { /* next tick */ }
  }

  function row(d) {
    const actions = [];
    if (d.state === 'held') {
      actions.push(el('button', { class: 'small good', type: 'button', 'data-action': 'approve', text: 'Approve', onclick: () => act('Approved #' + d.id, 'POST', '/donations/' + d.id + '/approve') }));
      actions.push(el('button', { class: 'small bad', type: 'button', 'data-action': 'deny', text: 'Deny', onclick: () => act('Denied #' + d.id, 'POST', '/donations/' + d.id + '/deny') }));
    }
    if (DRAW_NOW.includes(d.state)) {
      actions.push(el('button', { class: 'small', type: 'button', 'data-action': 'draw-now', text: 'Draw now', onclick: () => act('Draw now #' + d.id, 'POST', '/donations/' + d.id + '/draw-now') }));
    }
    if (d.state === 'shown' || d.state === 'skipped') {
      actions.push(el('button', { class: 'small', type: 'button', 'data-action': 'replay', text: 'Replay', onclick: () => act('Replay #' + d.id, 'POST', '/donations/' + d.id + '/replay') }));
    }
    const why = d.state === 'ignored' ? 'Ignored: ' : '';
    const reason = d.reason ? el('div', { class: 'reason', 'data-reason': d.state, text: why + d.reason }) : null;
    const badges = [];
    if (d.priority) badges.push(el('span', { class: 'chip info', 'data-badge': 'priority', text: 'priority' }));
    if (d.draw_now) badges.push(el('span', { class: 'chip info', 'data-badge': 'draw-now', text: 'draw now' }));
    const picture = d.state === 'held' && d.image_check === 'flagged' ? heldPicture(d.id) : null;
    return el('li', { class: 'item', 'data-id': String(d.id), 'data-state': d.state },
      el('div', { class: 'head' },
        el('span', { class: 'id', text: '#' + d.id }),
        el('span', { class: 'state state-' + d.state, text: d.state }),
        el('strong', { text: d.donor }),
        el('span', { class: 'money', text: money(d.amount, d.currency) }),
        ...badges),
      el('div', { class: 'message', text: d.message }),
      reason,
      picture,
      actions.length ? el('div', { class: 'actions' }, ...actions) : null);
  }

  // The picture the image check held, blurred until clicked (the moderator chooses to look).
  function heldPicture(id) {
    const img = el('img', { class: 'held-picture' + (revealed.has(id) ? '' : ' blurred'), alt: 'held picture #' + id, title: 'Click to show or blur' });
    img.onclick = () => {
      if (revealed.has(id)) revealed.delete(id); else revealed.add(id);
      img.classList.toggle('blurred', !revealed.has(id));
    };
    const cached = heldPictures.get(id);
    if (cached) {
      img.src = cached;
    } else {
      request('GET', '/donations/' + id + '/image.png', undefined, 'blob').then((blob) => {
        if (!blob) return;
        const url = URL.createObjectURL(blob);
        heldPictures.set(id, url);
        img.src = url;
      }).catch(() => { /* next refresh */ });
    }
    return img;
  }

  function renderDonations(rows, upcoming) {
    const held = rows.filter((d) => d.state === 'held').sort((a, b) => a.id - b.id);
    $('#held-box').hidden = held.length === 0;
    $('#held-count').textContent = '(' + held.length + ')';
    $('#held').replaceChildren(...held.map(row));
    for (const [id, url] of heldPictures) {
      if (!held.some((d) => d.id === id)) { URL.revokeObjectURL(url); heldPictures.delete(id); revealed.delete(id); }
    }
    // Everything else: waiting rows first, in the order they will appear (as /queue lists them: draw
    // now, priority, one per donor per round, arrival), then the rest newest first.
    const rest = rows.filter((d) => d.state !== 'held');
    const place = new Map(upcoming.map((d, i) => [d.id, i]));
    const at = (d) => (d.state === 'showing' ? -1 : place.has(d.id) ? place.get(d.id) : upcoming.length + d.id);
    const waiting = rest.filter((d) => WAITING.includes(d.state) || d.state === 'showing').sort((a, b) => at(a) - at(b));
    const done = rest.filter((d) => !waiting.includes(d));
    $('#donations').replaceChildren(...waiting.concat(done).map(row));
  }

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const [q, rows] = await Promise.all([request('GET', '/queue'), request('GET', '/donations?limit=60')]);
      queue = q;
      renderNow(q);
      renderDonations(rows, q.donations || []);
      renderPreview(q);
    } catch (e) {
      if (e instanceof DS.AuthError) location.reload();
    } finally {
      busy = false;
    }
  }

  async function refreshSlow() {
    try {
      renderStatus(await request('GET', '/health'));
      const o = await request('GET', '/overlay/url');
      const input = $('#overlay-url');
      if (input.value !== o.url) input.value = o.url;
      $('#overlay-viewers').textContent = o.viewers === 1 ? '1 overlay connected now.' : o.viewers + ' overlays connected now.';
    } catch { /* next time */ }
  }

  let rulesDirty = false;
  async function loadRules() {
    try {
      const r = await request('GET', '/moderation/rules');
      if (!rulesDirty) $('#rules-text').value = r.text;
      $('#rules-state').textContent = r.rules + (r.rules === 1 ? ' rule' : ' rules') + ' in force' + (r.file ? ' · ' + r.file : '');
      $('#rules-error').textContent = r.problem ? 'The file on disk is not applied: ' + r.problem : '';
    } catch { /* next time */ }
  }

  let drawRulesDirty = false;
  async function loadDrawRules() {
    try {
      const r = await request('GET', '/queue/rules');
      $('#draw-rules-currency').textContent = r.currency;
      if (!drawRulesDirty) {
        $('#draw-min').value = r.draw_min_amount === '0' ? '' : r.draw_min_amount;
        $('#draw-priority').value = r.priority_min_amount || '';
        $('#draw-trigger').value = r.draw_trigger || '';
        $('#draw-fairness').value = r.draw_fairness;
      }
      $('#draw-rules-state').textContent = r.saved_file ? 'saved in ' + r.saved_file : 'from the configuration';
    } catch { /* next time */ }
  }

  function describe(v) {
    const by = v.rule ? ' (your rule ' + v.rule + ')' : '';
    switch (v.verdict) {
      case 'block': return 'Blocked: ' + v.category + by;
      case 'hold': return 'Held for approval' + by;
      case 'profanity': return 'Drawn, shown as: ' + v.masked + by;
      default: return 'Allowed';
    }
  }

  function wire() {
    for (const id of ['#draw-min', '#draw-priority', '#draw-trigger', '#draw-fairness']) {
      $(id).addEventListener('input', () => { drawRulesDirty = true; });
    }
    $('#draw-rules-save').addEventListener('click', async () => {
      const body = {
        draw_min_amount: $('#draw-min').value.trim() || '0',
        priority_min_amount: $('#draw-priority').value.trim(),
        draw_trigger: $('#draw-trigger').value.trim(),
        draw_fairness: $('#draw-fairness').value,
      };
      try {
        await request('PUT', '/queue/rules', body);
        drawRulesDirty = false;
        $('#draw-rules-error').textContent = '';
        toast('Drawing rules saved');
        loadDrawRules();
      } catch (e) {
        if (e instanceof DS.AuthError) location.reload();
        $('#draw-rules-error').textContent = e.message;
      }
    });
    $('#rules-text').addEventListener('input', () => { rulesDirty = true; });
    $('#rules-save').addEventListener('click', async () => {
      try {
        const r = await request('PUT', '/moderation/rules', { text: $('#rules-text').value });
        rulesDirty = false;
        $('#rules-error').textContent = '';
        toast('Rules saved: ' + r.rules + ' in force');
        loadRules();
      } catch (e) {
        if (e instanceof DS.AuthError) location.reload();
        $('#rules-error').textContent = e.message;
      }
    });
    $('#check').addEventListener('click', async () => {
      try {
        const v = await request('POST', '/moderation/check', { text: $('#check-text').value });
        $('#check-result').textContent = describe(v);
      } catch (e) { $('#check-result').textContent = e.message; }
    });
    $('#hide-toggle').addEventListener('click', () => {
      const hidden = queue && queue.hidden;
      act(hidden ? 'Stage shown' : 'Stage hidden', 'POST', hidden ? '/stage/show' : '/stage/hide');
    });
    $('#skip').addEventListener('click', () => act('Skipped', 'POST', '/queue/skip'));
    $('#pause').addEventListener('click', () => {
      const paused = queue && queue.paused;
      act(paused ? 'Resumed' : 'Paused', 'POST', paused ? '/queue/resume' : '/queue/pause');
    });
    armed($('#clear'), 'Tap again to clear', () => act('Queue cleared', 'POST', '/queue/clear'));
    $('#donate').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const f = new FormData(ev.target);
      const body = { amount: String(f.get('amount')).trim(), message: String(f.get('message')), donor: String(f.get('donor')).trim() || undefined, currency: String(f.get('currency')).trim() || undefined };
      const r = await act('Test donation', 'POST', '/commands/donate', body);
      if (r && r.id) toast('Test donation #' + r.id + ' queued');
    });
    $('#overlay-reveal').addEventListener('click', () => {
      const i = $('#overlay-url');
      i.type = i.type === 'password' ? 'text' : 'password';
      $('#overlay-reveal').textContent = i.type === 'password' ? 'Show' : 'Hide';
    });
    $('#overlay-copy').addEventListener('click', async () => {
      try { await navigator.clipboard.writeText($('#overlay-url').value); toast('Overlay URL copied'); } catch { toast('Copy failed: select the URL and copy it', true); }
    });
  }

  DS.signIn({
    probe: '/queue',
    onReady() {
      wire();
      refresh();
      refreshSlow();
      loadRules();
      loadDrawRules();
      setInterval(loadRules, 4000);
      setInterval(loadDrawRules, 4000);
      setInterval(refresh, 1000);
      setInterval(refreshSlow, 4000);
    },
  });
})();
