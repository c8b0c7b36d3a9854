// The prediction: the top class, a bar per class, and the 28x28 image the network saw.
// Contract for tests: [data-testid=prediction] data-state is blank | digit | unsure; data-digit is
// the top class's index ('' when blank or unsure); data-label is its name (a digit, a garment, a
// taught class; '' when blank or unsure); [data-testid=prob-i] data-p is the probability of class i.
import { drawImage } from './viz.js';

// "an 8", "an 11"-free: digits and the few class names that start with a vowel sound.
const article = (name) => (/^(8|11|18|[aeiou])/i.test(name) ? 'an' : 'a');

/** 99.5% and up shows one decimal, at most 99.9%, never "100%": no probability here is certainty. */
export function fmtProb(v) {
  if (v >= 0.995) return `${Math.min(99.9, Math.floor(v * 1000) / 10).toFixed(1)}%`;
  if (v < 0.005) return v > 0 ? '<1%' : '0%';
  return `${Math.round(v * 100)}%`;
}

export function mountPredictView({ prediction, probs, seen, announce }) {
  const digitEl = prediction.querySelector('.digit');
  const textEl = prediction.querySelector('.prediction-text');
  let rows = [];
  let names = [];
  let lastAnnounced = '';

  function setClasses(classes) {
    if (classes.join('\n') === names.join('\n')) return;
    names = classes;
    probs.classList.toggle('named', classes.some((c) => c.length > 2));
    probs.setAttribute('aria-label', `Probability of each class: ${classes.join(', ')}`);
    rows = classes.map((name, d) => {
      const li = document.createElement('li');
      li.dataset.testid = 'prob-' + d;
      li.dataset.p = '0';
      li.innerHTML = '<span class="prob-label"></span><span class="prob-bar"><span class="prob-fill"></span></span><span class="prob-value">–</span>';
      li.querySelector('.prob-label').textContent = name;
      return { li, fill: li.querySelector('.prob-fill'), value: li.querySelector('.prob-value') };
    });
    probs.replaceChildren(...rows.map((r) => r.li));
  }
  setClasses(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

  const showImage = (pixels) => drawImage(seen, pixels, 28, 28);

  // Screen readers hear the answer once it settles (pen up), not every redraw while drawing.
  function say(text, settled) {
    if (!settled || !announce || text === lastAnnounced) return;
    lastAnnounced = text;
    announce.textContent = text;
  }

  function bars(probabilities, best) {
    rows.forEach((r, d) => {
      const v = probabilities[d];
      r.li.dataset.p = String(v);
      r.li.classList.toggle('top', d === best);
      r.fill.style.transform = `scaleX(${Math.max(0, Math.min(1, v))})`;
      r.value.textContent = fmtProb(v);
    });
  }

  return {
    setClasses,
    /**
     * probabilities: one per class; pixels: the 28x28 input; unsure: why this is not a digit (or null);
     * settled: the drawing is finished (pen up), so the result is announced.
     */
    show(probabilities, pixels, { unsure = null, settled = false, noun = 'digit' } = {}) {
      showImage(pixels);
      let best = 0;
      for (let d = 1; d < probabilities.length; d++) if (probabilities[d] > probabilities[best]) best = d;
      const name = names[best] ?? String(best);
      prediction.classList.remove('blank');
      prediction.classList.toggle('unsure', !!unsure);
      bars(probabilities, best);
      if (unsure) {
        prediction.dataset.state = 'unsure';
        prediction.dataset.digit = '';
        prediction.dataset.label = '';
        digitEl.textContent = '?';
        textEl.textContent = `That doesn't look like a ${noun} (${unsure}).`;
      } else {
        prediction.dataset.state = 'digit';
        prediction.dataset.digit = String(best);
        prediction.dataset.label = name;
        digitEl.textContent = name;
        digitEl.classList.toggle('long', name.length > 2);
        textEl.textContent = `${fmtProb(probabilities[best])} sure it is ${article(name)} ${name}`;
      }
      say(textEl.textContent, settled);
    },
    /** A blank pad (or no model): no answer. */
    blank(pixels, message = 'draw a digit') {
      showImage(pixels);
      prediction.dataset.state = 'blank';
      prediction.dataset.digit = '';
      prediction.dataset.label = '';
      prediction.classList.add('blank');
      prediction.classList.remove('unsure');
      digitEl.textContent = '?';
      digitEl.classList.remove('long');
      textEl.textContent = message;
      lastAnnounced = '';
      for (const r of rows) {
        r.li.dataset.p = '0';
        r.li.classList.remove('top');
        r.fill.style.transform = 'scaleX(0)';
        r.value.textContent = '–';
      }
    },
  };
}
