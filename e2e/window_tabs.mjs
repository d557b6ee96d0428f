// Measures the window's frame rate (window_fps in /queue) without and with 20 overlay tabs open.
// Usage: start `draw-stream run` under a display, then: node window_tabs.mjs PORT API_TOKEN OVERLAY_KEY
import { chromium } from 'playwright-core';
const [port, token, key] = process.argv.slice(2);
const q = async () => (await (await fetch(`http://127.0.0.1:${port}/queue`, { headers: { Authorization: `Bearer ${token}` } })).json());
const sample = async (n) => { let s = 0; for (let i = 0; i < n; i++) { s += (await q()).window_fps; await new Promise(r => setTimeout(r, 500)); } return s / n; };
const before = await sample(10);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
for (let i = 0; i < 20; i++) { const p = await ctx.newPage(); await p.goto(`http://127.0.0.1:${port}/overlay?key=${key}`); }
await new Promise(r => setTimeout(r, 2000));
const during = await sample(10);
await browser.close();
console.log(JSON.stringify({ window_fps_without: before.toFixed(1), window_fps_with_20_tabs: during.toFixed(1) }));
