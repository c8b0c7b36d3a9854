// The small things a person notices: wording, what screen readers hear, See inside, the layer
// editor on a phone, plain layer errors, the glossary, where the keyboard focus goes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openDemo, testid, draw, drawDigit, DIGITS } from './browser.mjs';
import { MORE_DIGITS } from './shapes.mjs';

let env;
before(async () => {
  env = await launch();
});
after(async () => {
  await env?.close();
});

const ready = (page) => page.waitForSelector(`${testid('status')}[data-state="ready"]`, { timeout: 20000 });

test('wording and screen readers: "an 8", never "100%", the answer announced once when it settles, the 28x28 preview labelled', async () => {
  const { page, errors } = await openDemo(env);
  await ready(page);
  const eight = await drawDigit(page, MORE_DIGITS[8]);
  assert.equal(eight.digit, '8');
  assert.match(await page.textContent('.prediction-text'), /sure it is an 8$/);
  await drawDigit(page, 7);
  const values = await page.$$eval('.prob-value', (els) => els.map((e) => e.textContent));
  assert.ok(!values.includes('100%') && !/100(\.0)?%/.test(await page.textContent('.prediction-text')), `values ${values}`);
  assert.ok(values.includes('99.9%'), 'a near-certain answer reads 99.9%, as its bar');

  // The live region changes once per drawing, at pen-up, not with every live prediction.
  await page.click(testid('clear'));
  await page.evaluate(() => {
    window.__announced = [];
    new MutationObserver(() => window.__announced.push(document.querySelector('#announce').textContent))
      .observe(document.querySelector('#announce'), { childList: true, characterData: true, subtree: true });
  });
  let during = null;
  await draw(page, DIGITS[7], { steps: 12, beforeUp: async () => { during = await page.evaluate(() => window.__announced.length); } });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
  const announced = await page.evaluate(() => window.__announced);
  assert.equal(during, 0, 'nothing announced while the pen was down');
  assert.deepEqual(announced.length, 1, `announced ${JSON.stringify(announced)}`);
  assert.match(announced[0], /sure it is a 7/);
  assert.equal(await page.getAttribute('#seen', 'role'), 'img');
  assert.match(await page.getAttribute('#seen', 'aria-label'), /28 by 28/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('See inside: "1 feature map", dropout rows drawn, batch-norm maps in activation colours', async () => {
  const { page, errors } = await openDemo(env);
  await ready(page);
  await page.click('details.layers summary');
  await page.locator('#layer-list input').first().fill('1');
  await page.locator('#layer-list input').first().dispatchEvent('change');
  await page.check(testid('reg-dropout'));
  await page.check(testid('reg-batchNorm'));
  await page.fill(testid('epochs'), '1');
  await page.fill(testid('train-size'), '500');
  await page.click(testid('train'));
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'stop', 'focus moves to Stop when Train disables');
  await page.waitForSelector(`${testid('train-status')}[data-state="done"]`, { timeout: 120000 });
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'train', 'and back to Train at the end');
  if (await page.isVisible('#use-trained')) await page.click('#use-trained');
  await drawDigit(page, 7);
  await page.waitForFunction(() => document.querySelectorAll('#inside .lv').length > 5);
  const captions = await page.$$eval('#inside figcaption, #inside .lv-caption', (els) => els.map((e) => e.textContent));
  assert.ok(captions.includes('1 feature map, 28×28'), captions.join(' | '));
  assert.ok(captions.some((c) => /^Convolution: 1 filter of 5×5 weights/.test(c)), captions.join(' | '));
  assert.ok(!captions.some((c) => /(^|\D)1 (feature )?maps|(^|\D)1 filters/.test(c)), captions.join(' | '));
  const dropRows = await page.$$eval('#inside .lv', (rows) => rows.filter((r) => r.querySelector('.lv-class')?.textContent === 'Dropout')
    .map((r) => r.querySelectorAll('canvas').length));
  assert.ok(dropRows.length >= 1 && dropRows.every((n) => n >= 1), `dropout rows' canvases: ${dropRows}`);
  // Orange is the weights' colour for positive values; activation maps never use it.
  const orange = await page.$$eval('#inside .lv', (rows) => rows.filter((r) => r.querySelector('.lv-class')?.textContent === 'BatchNormalization')
    .map((r) => {
      const c = r.querySelector('canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] > 150 && d[i + 1] < 120 && d[i + 2] < 60) n++;
      return n;
    }));
  assert.ok(orange.length >= 1, 'a batch-norm row');
  assert.deepEqual(orange, orange.map(() => 0), `orange pixels in batch-norm maps: ${orange}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('layer errors name the layer in plain words; the glossary explains the training terms', async () => {
  const { page, errors } = await openDemo(env);
  await ready(page);
  await page.click('details.layers summary');
  const set = async (i, value) => {
    const input = page.locator('#layer-list input').nth(i);
    await input.fill(String(value));
    await input.dispatchEvent('change');
  };
  await set(2, 4); // row 2 (MaxPool) size 4: 28 -> 7
  await set(4, 7); // row 3 (Conv2D) kernel 7, valid: 7 -> 1; row 4's pool of 2 no longer fits
  const error = await page.textContent('#layer-error');
  assert.equal(error, 'Layer 4 (MaxPool): its 2×2 pool does not fit its input, which the layers above it have shrunk to 1×1×16. '
    + 'Remove a pooling layer above it, or make the pool smaller.');
  assert.equal(await page.isDisabled(testid('train')), true);
  await page.click('#reset-layers');
  assert.equal(await page.textContent('#layer-error'), '');

  await page.click('#glossary summary');
  const terms = await page.$$eval('#glossary dt', (dts) => dts.map((d) => d.textContent));
  for (const t of ['Epoch', 'Batch size', 'Learning rate', 'Adam', 'Seed', 'λ (lambda)', 'σ (sigma)']) assert.ok(terms.includes(t), `glossary has ${t}`);
  assert.equal(await page.isVisible('#glossary dd'), true);
  assert.match(await page.getAttribute('label:has(#learning-rate)', 'title'), /too big and training diverges/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('phone: each layer of the editor is one tidy block, nothing wider than the screen', async () => {
  const { page, errors } = await openDemo(env, { viewport: { width: 390, height: 844 } });
  await ready(page);
  await page.click('details.layers summary');
  const rows = await page.$$eval('#layer-list .layer', (lis) => lis.map((li) => {
    const box = (s) => li.querySelector(s).getBoundingClientRect();
    const list = li.parentElement.getBoundingClientRect();
    return { kindTop: box('.layer-kind').top, toolsTop: box('.layer-tools').top, right: Math.max(...[...li.querySelectorAll('*')].map((e) => e.getBoundingClientRect().right)), listRight: list.right };
  }));
  for (const r of rows) {
    assert.ok(Math.abs(r.kindTop - r.toolsTop) < 8, `the kind and its buttons share a line: ${JSON.stringify(r)}`);
    assert.ok(r.right <= r.listRight + 1, `nothing sticks out: ${JSON.stringify(r)}`);
  }
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow} px wider than the screen`);
  assert.deepEqual(errors, []);
  await page.close();
});
