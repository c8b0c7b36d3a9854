// The prediction: the top digit, a bar per digit, and the 28x28 image the network saw.
// Contract for tests: [data-testid=prediction] data-digit is the digit or '' (blank pad);
// [data-testid=prob-d] data-p is the probability of d.
import { drawImage } from './viz.js';

export function mountPredictView({ prediction, probs, seen }) {
  const digitEl = prediction.querySelector('.digit');
  const textEl = prediction.querySelector('.prediction-text');
  const rows = [];
  for (let d = 0; d < 10; d++) {
    const li = document.createElement('li');
    li.dataset.testid = 'prob-' + d;
    li.dataset.p = '0';
    li.innerHTML = `<span class="prob-label">${d}</span><span class="prob-bar"><span class="prob-fill"></span></span><span class="prob-value">–</span>`;
    probs.append(li);
    rows.push({ li, fill: li.querySelector('.prob-fill'), value: li.querySelector('.prob-value') });
  }

  const showImage = (pixels) => drawImage(seen, pixels, 28, 28);

  return {
    /** probabilities: Float32Array(10); pixels: the 28x28 input. */
    show(probabilities, pixels) {
      showImage(pixels);
      let best = 0;
      for (let d = 1; d < 10; d++) if (probabilities[d] > probabilities[best]) best = d;
      prediction.dataset.digit = String(best);
      prediction.classList.remove('blank');
      digitEl.textContent = String(best);
      const p = probabilities[best];
      textEl.textContent = `${(p * 100).toFixed(p > 0.995 ? 1 : 0)}% sure it is a ${best}`;
      rows.forEach((r, d) => {
        const v = probabilities[d];
        r.li.dataset.p = String(v);
        r.li.classList.toggle('top', d === best);
        r.fill.style.transform = `scaleX(${Math.max(0, Math.min(1, v))})`;
        r.value.textContent = v >= 0.995 ? '100%' : v < 0.005 ? (v > 0 ? '<1%' : '0%') : `${Math.round(v * 100)}%`;
      });
    },
    /** A blank pad (or no model): no digit. */
    blank(pixels, message = 'draw a digit') {
      showImage(pixels);
      prediction.dataset.digit = '';
      prediction.classList.add('blank');
      digitEl.textContent = '?';
      textEl.textContent = message;
      for (const r of rows) {
        r.li.dataset.p = '0';
        r.li.classList.remove('top');
        r.fill.style.transform = 'scaleX(0)';
        r.value.textContent = '–';
      }
    },
  };
}
