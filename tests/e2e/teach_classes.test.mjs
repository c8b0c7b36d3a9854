// "Teach it new things": three classes of the test's own drawings (circle, triangle, cross, each
// drawn with random wobble, turn, size and place), trained in a worker on the digit model's
// features, then read on new drawings; exported in both formats and loaded back; drawn by touch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, openDemo, testid, draw, drawInPage, readPrediction, screenshot, SCREENSHOTS } from './browser.mjs';
import { SHAPES, jitter, rng } from './shapes.mjs';

let env;
before(async () => {
  env = await launch();
});
after(async () => {
  await env?.close();
});

const EXAMPLES = 6;
const TRIALS = 10;

async function drawShape(page, strokes) {
  await page.click(testid('clear'));
  await draw(page, strokes, { steps: 4 });
}

const classItems = (page) => page.$$eval(`${testid('class-list')} > *`, (els) => els.map((e) => ({ name: e.dataset.name, count: Number(e.dataset.count) })));

test('teach three new classes from 6 drawings each: trained in a worker, >= 90% on new drawings, exported and loaded back', async (t) => {
  const { page, errors } = await openDemo(env);
  await page.waitForSelector(`${testid('status')}[data-state="ready"]`, { timeout: 20000 });
  assert.equal(await page.getAttribute(testid('teach-status'), 'data-state'), 'idle');
  const names = Object.keys(SHAPES);
  for (const name of names) {
    await page.fill(testid('class-name'), name);
    await page.click(testid('class-add'));
  }
  // A second class of the same name is refused, next to the field.
  await page.fill(testid('class-name'), 'Circle');
  await page.click(testid('class-add'));
  assert.match(await page.textContent('#class-name-error'), /already a class “Circle”/);
  await page.fill(testid('class-name'), '');
  assert.deepEqual(await classItems(page), names.map((name) => ({ name, count: 0 })));
  assert.equal(await page.isDisabled(testid('teach-train')), true, 'no drawings yet');

  const rand = rng(11);
  for (const name of names) {
    await page.click(`${testid('class-list')} > [data-name="${name}"] label`);
    for (let i = 0; i < EXAMPLES; i++) {
      await drawShape(page, jitter(SHAPES[name](), rand));
      await page.click(testid('class-example'));
    }
  }
  assert.deepEqual(await classItems(page), names.map((name) => ({ name, count: EXAMPLES })));
  // Removing a drawing updates the count at once; add it back.
  await page.click(`${testid('class-list')} > [data-name="cross"] button[aria-label^="Remove the last drawing"]`);
  assert.equal((await classItems(page))[2].count, EXAMPLES - 1);
  await drawShape(page, jitter(SHAPES.cross(), rand));
  await page.click(testid('class-example'));
  assert.equal((await classItems(page))[2].count, EXAMPLES);
  await page.locator('.card.classes').screenshot({ path: path.join(SCREENSHOTS, '14-teach-classes-card.png') });

  await page.click(testid('teach-train'));
  assert.equal(await page.getAttribute(testid('teach-status'), 'data-state'), 'training', await page.textContent(testid('teach-status')));
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('[data-testid=teach-status]').dataset.state), null, { timeout: 120000 });
  const done = await page.textContent(testid('teach-status'));
  t.diagnostic(done);
  assert.equal(await page.getAttribute(testid('teach-status'), 'data-state'), 'done', done);
  assert.equal(await page.$eval('#model-select', (s) => s.value), 'taught');
  assert.match(await page.textContent(testid('status')), /Your classes: circle, triangle, cross/);
  assert.match(await page.textContent('#model-about'), /Taught here from 18 drawings of circle, triangle, cross/);

  // New drawings, never seen: another seed.
  const fresh = rng(2024);
  let right = 0;
  const wrong = [];
  // The 30 reads dispatch the pad's pointer events in the page (one round trip each); the examples
  // above went through the mouse like a person's.
  for (let k = 0; k < TRIALS; k++) {
    for (const name of names) {
      const r = await drawInPage(page, jitter(SHAPES[name](), fresh));
      assert.equal(r.state, 'digit');
      assert.equal(r.probs.length, 3);
      if (r.label === name) right++;
      else wrong.push(`${name} -> ${r.label}`);
    }
  }
  const accuracy = right / (TRIALS * names.length);
  t.diagnostic(`new drawings read right: ${right} of ${TRIALS * names.length}${wrong.length ? ` (${wrong.join(', ')})` : ''}`);
  assert.ok(accuracy >= 0.9, `${right} of ${TRIALS * names.length}: ${wrong.join(', ')}`);
  await drawShape(page, jitter(SHAPES.triangle(), fresh));
  await screenshot(page, '15-taught-1280x800.png');
  const before = await readPrediction(page);

  // wasmcnn's own format and TF.js', each loaded back, read the drawing the same.
  const [own] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const tfjsFiles = [];
  page.on('download', (d) => tfjsFiles.push(d));
  await page.click('#export-tfjs');
  await page.waitForFunction(() => /TensorFlow\.js layers format/.test(document.querySelector('#model-message').textContent));
  for (let i = 0; i < 50 && tfjsFiles.length < 2; i++) await page.waitForTimeout(100);
  assert.deepEqual(tfjsFiles.map((d) => d.suggestedFilename().replace(/^.*?(\.json|\.weights\.bin)$/, '$1')).sort(), ['.json', '.weights.bin']);
  const loads = [
    [{ name: 'shapes.wcnn', mimeType: 'application/octet-stream', buffer: fs.readFileSync(await own.path()) }],
    await Promise.all(tfjsFiles.map(async (d) => ({ name: d.suggestedFilename(), mimeType: 'application/octet-stream', buffer: fs.readFileSync(await d.path()) }))),
  ];
  for (const files of loads) {
    await page.selectOption('#model-select', 'pretrained');
    await page.setInputFiles(testid('load-file'), files);
    await page.waitForFunction(() => document.querySelector('#model-select').value === 'file');
    const after = await readPrediction(page);
    assert.equal(after.label, before.label, `loaded from ${files.map((f) => f.name)}`);
    after.probs.forEach((p, i) => assert.ok(Math.abs(p - before.probs[i]) < 1e-5, `p(${i}) ${p} vs ${before.probs[i]}`));
    assert.match(await page.textContent('#model-about'), /Classes: circle, triangle, cross/);
  }
  assert.deepEqual(errors, [], 'no console errors or page errors');
  await page.close();
});

test('teach by touch on a phone: draw with a finger, add it to a class', async () => {
  const { page, errors } = await openDemo(env, { viewport: { width: 390, height: 844 } });
  await page.waitForSelector(`${testid('status')}[data-state="ready"]`, { timeout: 20000 });
  await page.fill(testid('class-name'), 'star');
  await page.click(testid('class-add'));
  const pad = page.locator(testid('draw-canvas'));
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  const cdp = await env.context.newCDPSession(page);
  const at = ([x, y]) => ({ x: box.x + x * box.width, y: box.y + y * box.height });
  const star = [[0.5, 0.1], [0.62, 0.85], [0.15, 0.38], [0.85, 0.38], [0.38, 0.85], [0.5, 0.1]];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(star[0])] });
  for (let i = 1; i < star.length; i++) {
    for (let s = 1; s <= 6; s++) {
      const f = s / 6;
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [at([star[i - 1][0] + (star[i][0] - star[i - 1][0]) * f, star[i - 1][1] + (star[i][1] - star[i - 1][1]) * f])] });
    }
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
  assert.notEqual((await readPrediction(page)).state, 'blank', 'the finger drew');
  await page.locator(testid('class-example')).scrollIntoViewIfNeeded();
  await page.click(testid('class-example'));
  assert.deepEqual(await classItems(page), [{ name: 'star', count: 1 }]);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow} px wider than the screen`);
  await page.locator('.card.classes').screenshot({ path: path.join(SCREENSHOTS, '16-teach-phone.png') });
  assert.deepEqual(errors, [], 'no console errors or page errors');
  await page.close();
});
