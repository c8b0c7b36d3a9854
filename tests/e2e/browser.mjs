// Shared set-up for the browser tests: Debian's Chromium driven by playwright-core (never
// `npx playwright install`), a fresh profile, the demo served by scripts/serve.mjs on a random
// loopback port, and helpers to draw digits with the mouse.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { createServer } from '../../scripts/serve.mjs';
import { repoRoot } from '../../scripts/lib/run.mjs';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const SCREENSHOTS = path.join(repoRoot, 'build/screenshots');

/**
 * Starts the server (cross-origin isolated, as `npm start`, unless `isolated: false`) and a browser
 * with a throwaway profile; close() stops both and removes the profile.
 */
export async function launch({ isolated = true } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: run scripts/setup.sh --browser`);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const server = await createServer({ port: 0, isolated });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmcnn-e2e-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
    });
  } catch (e) {
    await server.close();
    fs.rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  return {
    server,
    context,
    async close() {
      await context.close();
      await server.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Opens the demo in a new tab. Collects console errors and page errors (`errors`), and installs a
 * 'longtask' PerformanceObserver before any page script runs (window.__longTasks: {start, duration})
 * and a log of the messages workers send the page (window.__workerMessages: {url, type, bytes}).
 * `allowErrors`: regexps of console errors that are expected (e.g. a 404 the test provoked).
 */
export async function openDemo(env, { viewport, allowErrors = [], route } = {}) {
  const page = await env.context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !allowErrors.some((re) => re.test(m.text()))) errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    // Every message the page's workers send, by type: { url, type, bytes } (bytes: a model file's size).
    window.__workerMessages = [];
    const Native = window.Worker;
    window.Worker = class extends Native {
      constructor(url, options) {
        super(url, options);
        this.addEventListener('message', (e) => {
          window.__workerMessages.push({ url: String(url), type: e.data?.type, bytes: e.data?.bytes?.byteLength ?? 0 });
        });
      }
    };
  });
  if (route) await route(page);
  await page.goto(`${env.server.url}/`);
  return { page, errors };
}

export const testid = (id) => `[data-testid="${id}"]`;

/** Unit-square strokes (x, y in 0..1 of the pad) of a few digits, drawn as a person might. */
export const DIGITS = {
  0: [ellipse(0.5, 0.5, 0.2, 0.3, 28)],
  1: [[[0.53, 0.17], [0.5, 0.5], [0.47, 0.83]]],
  4: [[[0.58, 0.17], [0.42, 0.42], [0.28, 0.62], [0.74, 0.62]], [[0.62, 0.36], [0.6, 0.85]]],
  7: [[[0.28, 0.22], [0.72, 0.22], [0.58, 0.48], [0.44, 0.82]]],
};

function ellipse(cx, cy, rx, ry, n) {
  const pts = [];
  for (let i = 0; i <= n; i++) {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    pts.push([cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
  }
  return pts;
}

/** Draws strokes with the mouse on the pad; `steps` mouse moves per segment. */
export async function draw(page, strokes, { steps = 6, beforeUp } = {}) {
  const pad = page.locator(testid('draw-canvas'));
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]));
    await page.mouse.down();
    for (const p of stroke.slice(1)) await page.mouse.move(...at(p), { steps });
    if (beforeUp) await beforeUp();
    await page.mouse.up();
  }
}

/**
 * Draws strokes by dispatching the pad's pointer events in the page, one per point, all in one
 * round trip: the same ink and the same events as `draw` (which goes through Chromium's input
 * pipeline, about a frame per mouse move), for tests that draw many shapes to measure the
 * recognition rather than the pen.
 */
export async function drawInPage(page, strokes) {
  await page.click(testid('clear'));
  await page.evaluate((strokes) => {
    const pad = document.querySelector('[data-testid="draw-canvas"]');
    const box = pad.getBoundingClientRect();
    const fire = (type, [x, y]) => pad.dispatchEvent(new PointerEvent(type, {
      pointerId: 1, pointerType: 'mouse', isPrimary: true, button: 0, buttons: type === 'pointerup' ? 0 : 1,
      clientX: box.left + x * box.width, clientY: box.top + y * box.height, bubbles: true, cancelable: true,
    }));
    for (const stroke of strokes) {
      fire('pointerdown', stroke[0]);
      for (const p of stroke.slice(1)) fire('pointermove', p);
      fire('pointerup', stroke[stroke.length - 1]);
    }
  }, strokes);
  return readPrediction(page);
}

/** Clears the pad, draws a digit (or any strokes), and returns the prediction once it has settled after pen-up. */
export async function drawDigit(page, digit) {
  await page.click(testid('clear'));
  await draw(page, typeof digit === 'number' ? DIGITS[digit] : digit);
  return readPrediction(page);
}

// The teach card's round: draw each digit, label it with itself, add it; then fine-tune and wait
// until the page says it is done. `eachAdded(page)` runs after every example (for checks).
export async function teachDigits(page, digits, eachAdded = async () => {}) {
  for (const digit of digits) {
    await drawDigit(page, digit);
    await page.click(`label[for="teach-${digit}"]`);
    await page.click('#add-example');
    await eachAdded(page);
  }
}

export async function fineTune(page) {
  await page.click('#finetune');
  await page.waitForFunction(() => /^Done\./.test(document.querySelector('#teach-status').textContent), null, { timeout: 120000 });
}

export async function readPrediction(page) {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve())));
  return page.evaluate(() => {
    const el = document.querySelector('[data-testid="prediction"]');
    const probs = [...document.querySelectorAll('[data-testid^="prob-"]')].map((li) => Number(li.dataset.p));
    return { digit: el.dataset.digit, state: el.dataset.state, label: el.dataset.label, probs };
  });
}

/**
 * Records the page's main-thread tasks with a CDP trace: `const stop = await traceMainThread(env, page)`,
 * then `await stop()` gives [{ wallMs, cpuMs }] for every task over 10 ms. CPU time (the thread's own
 * time, tdur) tells the page's work apart from time the thread spent waiting for a core.
 */
export async function traceMainThread(env, page) {
  const cdp = await env.context.newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  await cdp.send('Tracing.start', { categories: 'toplevel,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
  return async () => {
    const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.end');
    await complete;
    await cdp.detach();
    // The renderer of this page (other tabs have their own): its frame's process in the trace header.
    const frames = events.find((e) => e.name === 'TracingStartedInBrowser')?.args?.data?.frames ?? [];
    const pid = frames.find((f) => f.url === page.url())?.processId;
    const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain' && (pid === undefined || e.pid === pid));
    if (!main) throw new Error('trace: no CrRendererMain thread for the page');
    return events
      .filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.name === 'RunTask' && e.dur > 10000)
      .map((e) => ({ wallMs: e.dur / 1000, cpuMs: (e.tdur ?? e.dur) / 1000 }));
  };
}

export async function screenshot(page, name, options = {}) {
  const file = path.join(SCREENSHOTS, name);
  await page.screenshot({ path: file, ...options });
  return file;
}
