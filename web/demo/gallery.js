// Sample pictures to pick from when the active model reads pictures rather than drawings
// (Fashion-MNIST): 3 of each class from its test set, fetched on first use (fashion-samples.wcds,
// made by scripts/make_fashion_samples.mjs). Contract for tests: each picture is a button
// [data-testid=gallery-item] with data-class (its true class index).
import { decodeWcds } from '../lib/dataset.js';
import { drawImage } from './viz.js';

export function mountGallery(root, { onPick }) {
  let samples = null; // Promise of { count, pixels, labels }
  const load = () => (samples ??= fetch(new URL('./fashion-samples.wcds', document.baseURI))
    .then((r) => {
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return r.arrayBuffer();
    })
    .then((b) => decodeWcds(new Uint8Array(b)))
    .catch((e) => {
      samples = null;
      throw e;
    }));

  return {
    async show(classes) {
      if (root.childElementCount) return;
      let ds;
      try {
        ds = await load();
      } catch (e) {
        root.textContent = `Could not load the sample pictures: ${e.message}`;
        return;
      }
      const buttons = [];
      for (let i = 0; i < ds.count; i++) {
        const pixels = Float32Array.from(ds.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255);
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'gallery-item';
        b.dataset.testid = 'gallery-item';
        b.dataset.class = String(ds.labels[i]);
        b.setAttribute('aria-label', `Sample picture ${i + 1}: ${classes[ds.labels[i]]}`);
        const c = document.createElement('canvas');
        c.className = 'pixelated';
        c.dataset.zoom = '2';
        drawImage(c, pixels, 28, 28);
        b.append(c);
        b.addEventListener('click', () => {
          for (const o of buttons) o.setAttribute('aria-pressed', String(o === b));
          onPick(pixels);
        });
        b.setAttribute('aria-pressed', 'false');
        buttons.push(b);
      }
      root.replaceChildren(...buttons);
    },
  };
}
