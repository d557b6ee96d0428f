// Draw Stream gallery: every shown drawing, fetched with the admin token and shown from blobs.
'use strict';
(() => {
  const { $, request, toast, armed, el, when } = DS;
  const urls = new Map(); // path → object URL, so a refresh does not download everything again

  async function objectUrl(path) {
    if (!urls.has(path)) urls.set(path, URL.createObjectURL(await request('GET', path, undefined, 'blob')));
    return urls.get(path);
  }

  async function download(path, name) {
    try {
      const a = el('a', { href: await objectUrl(path), download: name });
      document.body.append(a);
      a.click();
      a.remove();
    } catch (e) {
      toast('Download failed: ' + e.message, true);
    }
  }

  function tile(item) {
    const img = el('img', { class: 'pixel', alt: item.message, loading: 'lazy' });
    objectUrl(item.png).then((u) => { img.src = u; }).catch(() => { img.alt = 'picture unavailable'; });
    let playing = false;
    const play = item.gif ? el('button', { class: 'small', type: 'button', 'data-action': 'play', text: 'Play' }) : null;
    if (play) {
      play.addEventListener('click', async () => {
        playing = !playing;
        img.src = await objectUrl(playing ? item.gif : item.png);
        play.textContent = playing ? 'Still' : 'Play';
      });
    }
    const del = el('button', { class: 'small bad', type: 'button', 'data-action': 'delete', text: 'Delete' });
    armed(del, 'Really delete?', async () => {
      try {
        await request('DELETE', '/gallery/items/' + item.id);
        toast('Deleted #' + item.id);
        load();
      } catch (e) {
        toast('Delete failed: ' + e.message, true);
      }
    });
    return el('figure', { class: 'tile', 'data-id': String(item.id) },
      img,
      el('figcaption', {},
        el('div', { class: 'who' }, el('strong', { text: item.donor }), el('span', { class: 'money', text: item.money })),
        el('div', { class: 'message', text: item.message }),
        el('div', { class: 'meta', text: '#' + item.id + ' · shown ' + when(item.shown_at) + (item.show_count > 1 ? ' · ×' + item.show_count : '') })),
      el('div', { class: 'row' },
        el('button', { class: 'small', type: 'button', 'data-action': 'png', text: 'PNG', onclick: () => download(item.png, 'drawstream-' + item.id + '.png') }),
        item.gif ? el('button', { class: 'small', type: 'button', 'data-action': 'gif', text: 'GIF', onclick: () => download(item.gif, 'drawstream-' + item.id + '.gif') }) : null,
        play, del));
  }

  async function load() {
    try {
      const items = await request('GET', '/gallery/items');
      $('#summary').textContent = items.length === 0
        ? 'Nothing shown yet: drawings appear here once they have been drawn on stream.'
        : items.length + (items.length === 1 ? ' drawing' : ' drawings') + ', newest first.';
      $('#grid').replaceChildren(...items.map(tile));
    } catch (e) {
      if (e instanceof DS.AuthError) location.reload();
      toast('Could not load the gallery: ' + e.message, true);
    }
  }

  DS.signIn({ probe: '/gallery/items', onReady: load });
})();
