// The training panel's regularisation options in a real Chromium: all off by default, the
// augmentation preview draws augmented digits, and a run with dropout, augmentation and early
// stopping reaches the worker and finishes. Screenshot: build/screenshots/08-regularisation.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launch, openDemo, testid, SCREENSHOTS } from './browser.mjs';

let env;
before(async () => {
  env = await launch();
});
after(async () => {
  await env?.close();
});

const OPTIONS = ['dropout', 'batchNorm', 'l2', 'noise', 'earlyStopping', 'augment'];

/** Records what the page posts to its training workers (the 'train' message: spec, fit options, callbacks). */
function recordTrainMessages(page) {
  return page.addInitScript(() => {
    window.__trainMessages = [];
    const Original = window.Worker;
    window.Worker = class extends Original {
      postMessage(message, transfer) {
        if (message?.type === 'train') {
          window.__trainMessages.push(JSON.parse(JSON.stringify({
            layers: message.spec?.layers?.map((l) => l.className), fit: message.fit, callbacks: message.callbacks,
          })));
        }
        return super.postMessage(message, transfer);
      }
    };
  });
}

/** How many pixels of the canvas are lit (any channel above 40), and its size. */
function litPixels(page, selector) {
  return page.$eval(selector, (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 40 || d[i + 1] > 40 || d[i + 2] > 40) lit++;
    return { lit, width: c.width, height: c.height };
  });
}

test('regularisation: off by default; the preview shows augmented digits; dropout + augmentation + early stopping train in the worker', async () => {
  const { page, errors } = await openDemo(env, { route: recordTrainMessages });
  await page.waitForSelector(`${testid('status')}[data-state="ready"]`, { timeout: 20000 });

  // Everything off: the default run is untouched.
  for (const o of OPTIONS) assert.equal(await page.isChecked(testid(`reg-${o}`)), false, `${o} is off by default`);
  assert.equal(await page.isHidden('.reg-preview'), true);
  assert.doesNotMatch(await page.textContent('#regularisation'), /Coming next/);

  // Options that add layers update the weight count at once (batch norm adds 4 per channel).
  await page.waitForFunction(() => /weights/.test(document.querySelector('#param-count').textContent));
  const count = () => page.textContent('#param-count');
  const plain = await count();
  await page.check(testid('reg-batchNorm'));
  await page.waitForFunction((p) => document.querySelector('#param-count').textContent !== p, plain);
  assert.notEqual(await count(), plain);
  await page.uncheck(testid('reg-batchNorm'));
  await page.waitForFunction((p) => document.querySelector('#param-count').textContent === p, plain);

  // Augmentation: the preview loads sample digits and draws them with their augmented versions.
  await page.check(testid('reg-augment'));
  assert.equal(await page.isEnabled('#reg-augment-rotation'), true);
  const preview = testid('augment-preview');
  await page.waitForSelector(`${preview}[data-rendered]`, { timeout: 20000 });
  const first = await litPixels(page, preview);
  assert.ok(first.width > 200 && first.height > 50, `preview canvas ${first.width}x${first.height}`);
  assert.ok(first.lit > 1000, `${first.lit} lit pixels: the digits are drawn`);
  // It follows the options: a larger rotation gives other pictures.
  const before = await page.$eval(preview, (c) => c.toDataURL());
  await page.fill('#reg-augment-rotation', '40');
  await page.waitForFunction(([sel, old]) => document.querySelector(sel).toDataURL() !== old, [preview, before], { timeout: 5000 });

  await page.check(testid('reg-dropout'));
  await page.check(testid('reg-earlyStopping'));
  await page.fill('#reg-earlyStopping-patience', '1');
  await page.locator('#regularisation').scrollIntoViewIfNeeded();
  await page.locator('#regularisation').screenshot({ path: path.join(SCREENSHOTS, '08-regularisation.png') });

  await page.fill(testid('epochs'), '1');
  await page.fill(testid('train-size'), '1000');
  await page.click(testid('train'));
  await page.waitForSelector(`${testid('train-status')}[data-state="done"]`, { timeout: 120000 });
  const valAccuracy = Number(await page.getAttribute(testid('val-accuracy'), 'data-value'));
  assert.ok(Number.isFinite(valAccuracy) && valAccuracy > 0 && valAccuracy <= 1, `val accuracy ${valAccuracy}`);

  // What reached the worker: dropout before each dense layer, the augmentation, early stopping.
  const [sent] = await page.evaluate(() => window.__trainMessages);
  assert.deepEqual(sent.layers.filter((c) => c === 'Dropout').length, sent.layers.filter((c) => c === 'Dense').length);
  assert.equal(sent.layers[sent.layers.indexOf('Dense') - 1], 'Dropout');
  assert.deepEqual(sent.fit.augment, { rotation: 40, zoom: 0.1, translate: 0.1, crop: 2 });
  // The panel's own keep-the-best-epoch callback (patience past the last epoch), then the user's.
  assert.deepEqual(sent.callbacks, [
    { callback: 'earlyStopping', options: { monitor: 'val_acc', minDelta: 0, patience: 2, mode: 'auto', restoreBestWeights: true } },
    { callback: 'earlyStopping', options: { monitor: 'val_loss', minDelta: 0, patience: 1, mode: 'auto', restoreBestWeights: true } },
  ]);
  // The trained model has them: its name says so and "See inside" shows the dropout layers. (It is
  // worse than the pretrained model, so it is active only once chosen.)
  if (await page.isVisible('#use-trained')) await page.click('#use-trained');
  assert.match(await page.textContent(testid('status')), /dropout 0\.3, augmentation, early stopping/);
  assert.ok(await page.locator('#inside .lv-class', { hasText: 'Dropout' }).count() >= 1);
  assert.deepEqual(errors, [], 'no console errors or page errors');
  await page.close();
});
