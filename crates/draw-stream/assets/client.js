// Shared by the panel and the gallery: the admin token (sessionStorage, this tab only), API calls with
// `Authorization: Bearer` (never a cookie, so no CSRF), sign-in, and small UI helpers.
'use strict';
const DS = (() => {
  const KEY = 'drawstream.token';
  const $ = (sel, root = document) => root.querySelector(sel);

  class AuthError extends Error {}

  function token() { return sessionStorage.getItem(KEY) || ''; }

  async function request(method, path, body, as = 'json') {
    const headers = { Authorization: 'Bearer ' + token() };
    const init = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const r = await fetch(path, init);
    if (r.status === 401 || r.status === 403) {
      let msg = 'wrong token';
      try { msg = (await r.json()).error || msg; } catch { /* keep */ }
      throw new AuthError(msg);
    }
    if (as === 'blob') {
      if (r.status === 204) return null;
      if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
      return r.blob();
    }
    let data = null;
    try { data = await r.json(); } catch { /* empty */ }
    if (!r.ok) throw new Error((data && data.error) || (path + ': HTTP ' + r.status));
    return data;
  }

  let toastTimer = null;
  function toast(msg, bad = false) {
    let el = $('#toast');
    if (!el) {
      el = document.createElement('div');
      el.id = 'toast';
      el.setAttribute('role', 'status');
      document.body.append(el);
    }
    el.className = 'toast' + (bad ? ' bad' : '');
    el.textContent = msg;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, 3500);
  }

  // Two taps instead of confirm(): works on phones and does not block the page.
  function armed(button, label, action) {
    button.addEventListener('click', async () => {
      if (!button.classList.contains('armed')) {
        button.dataset.label = button.textContent;
        button.textContent = label;
        button.classList.add('armed');
        setTimeout(() => {
          if (button.classList.contains('armed')) {
            button.classList.remove('armed');
            button.textContent = button.dataset.label;
          }
        }, 4000);
        return;
      }
      button.classList.remove('armed');
      button.textContent = button.dataset.label;
      await action();
    });
  }

  // Shows the sign-in form until a token works; `probe` is a protected GET that checks it.
  // `onReady` runs once, the first time a token works.
  function signIn({ probe, onReady }) {
    const form = $('#signin');
    const main = $('#app');
    const err = $('#signin-error');
    let ready = false;
    async function tryToken() {
      try {
        await request('GET', probe);
        form.hidden = true;
        main.hidden = false;
        if (!ready) { ready = true; onReady(); }
        return true;
      } catch (e) {
        sessionStorage.removeItem(KEY);
        err.textContent = e instanceof AuthError ? 'That token was not accepted (' + e.message + ').' : String(e.message || e);
        return false;
      }
    }
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const t = $('#token').value.trim();
      if (!t) return;
      sessionStorage.setItem(KEY, t);
      $('#token').value = '';
      await tryToken();
    });
    for (const b of document.querySelectorAll('[data-signout]')) {
      b.addEventListener('click', () => { sessionStorage.removeItem(KEY); location.reload(); });
    }
    if (token()) tryToken(); else { form.hidden = false; main.hidden = true; }
  }

  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else if (k === 'text') e.textContent = v;
      else e[k] = v;
    }
    e.append(...children.filter((c) => c != null));
    return e;
  }

  // As the frame writes it (hud::money): "500 ₽", "200 bits", "1000 points", "5 USD".
  function money(amount, currency) {
    const cur = String(currency || '').trim().toUpperCase();
    const one = String(amount).trim() === '1';
    if (cur === 'RUB' || cur === 'RUR') return amount + ' ₽';
    if (cur === 'BITS') return amount + (one ? ' bit' : ' bits');
    if (cur === 'POINTS') return amount + (one ? ' point' : ' points');
    return cur ? amount + ' ' + cur : String(amount);
  }

  function when(ts) {
    if (!ts) return '';
    const d = new Date(ts);
    return isNaN(d) ? ts : d.toLocaleString();
  }

  return { $, request, toast, armed, signIn, el, money, when, AuthError, token };
})();
