// Live training curves: loss and accuracy against epochs, the training batches as a smoothed line,
// validation as dots joined per epoch. Drawn with uPlot (axes, ticks, legend with the values under
// the cursor, resizing); this file only feeds it. Redraws at most once per animation frame; the
// container's data-train-points / data-val-points count what was drawn.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const SMOOTH = 0.8; // exponential moving average of the (noisy) batch values
const HEIGHT = 170;

const css = (el, name, fallback) => getComputedStyle(el).getPropertyValue(name).trim() || fallback;

/** The smallest top of a 4-step axis with round steps that holds v. */
function niceMax(v) {
  const step = [0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 5].find((s) => 4 * s >= v) ?? Math.ceil(v / 4);
  return 4 * step;
}

const fmtLoss = (v) => (v == null ? '–' : v.toFixed(3));
const fmtAcc = (v) => (v == null ? '–' : `${(v * 100).toFixed(1)}%`);

export class Curves {
  #root;
  #epochs = 1;
  #x = [];
  #train = { loss: [], acc: [] };
  #val = { loss: [], acc: [] };
  #counts = { train: 0, val: 0 };
  #raw = null;
  #charts = null;
  #pending = false;
  #empty;

  constructor(root) {
    this.#root = root;
    this.#empty = Object.assign(document.createElement('p'), { className: 'curves-empty muted small', textContent: 'Loss and accuracy appear here as the network trains.' });
    root.append(this.#empty);
    new ResizeObserver(() => this.#resize()).observe(root);
    this.#schedule();
  }

  reset(epochs) {
    this.#epochs = epochs;
    this.#x = [];
    this.#train = { loss: [], acc: [] };
    this.#val = { loss: [], acc: [] };
    this.#counts = { train: 0, val: 0 };
    this.#raw = null;
    this.#schedule();
  }

  /** A training batch at x epochs (fractional). */
  addTrain(x, loss, acc) {
    const r = this.#raw;
    this.#raw = r ? { loss: SMOOTH * r.loss + (1 - SMOOTH) * loss, acc: SMOOTH * r.acc + (1 - SMOOTH) * acc } : { loss, acc };
    this.#row(x);
    this.#train.loss[this.#x.length - 1] = this.#raw.loss;
    this.#train.acc[this.#x.length - 1] = this.#raw.acc;
    this.#counts.train++;
    this.#schedule();
  }

  /** Validation at the end of an epoch (x = epochs done). */
  addVal(x, loss, acc) {
    this.#row(x);
    this.#val.loss[this.#x.length - 1] = loss;
    this.#val.acc[this.#x.length - 1] = acc;
    this.#counts.val++;
    this.#schedule();
  }

  // uPlot wants one x array with every series aligned to it: a point at a new x adds a row (the
  // other series are null there, and lines span the gaps); the same x fills the last row.
  #row(x) {
    if (this.#x.length && Math.abs(this.#x[this.#x.length - 1] - x) < 1e-9) return;
    this.#x.push(x);
    for (const s of [this.#train, this.#val]) {
      s.loss.push(null);
      s.acc.push(null);
    }
  }

  // Side by side, or stacked on a phone (the same breakpoint as style.css's .curves).
  #width() {
    const w = this.#root.clientWidth;
    return window.matchMedia('(max-width: 640px)').matches ? w : Math.floor((w - 16) / 2);
  }

  #make() {
    const root = this.#root;
    const colors = {
      text: css(root, '--muted', '#666'), grid: css(root, '--grid', '#e5e7eb'),
      train: css(root, '--accent', '#4f46e5'), val: css(root, '--val', '#e8590c'),
    };
    const axis = { stroke: colors.text, grid: { stroke: colors.grid, width: 1 }, ticks: { stroke: colors.grid, width: 1, size: 4 }, font: '11px system-ui, sans-serif' };
    const chart = (title, key) => new uPlot({
      title: `${title} by epoch`,
      width: this.#width(),
      height: HEIGHT,
      scales: {
        x: { time: false, range: () => [0, this.#epochs] },
        y: { range: key === 'acc' ? [0, 1] : (u, min, max) => [0, niceMax(Math.max(0.4, max ?? 0))] },
      },
      axes: [
        // Whole epochs only: no "0.5 epochs" ticks.
        { ...axis, size: 26, incrs: [1, 2, 5, 10, 20, 50], values: (u, v) => v.map(String) },
        { ...axis, size: 46, values: (u, v) => v.map((t) => (key === 'acc' ? `${Math.round(t * 100)}%` : String(Number(t.toFixed(2))))) },
      ],
      series: [
        { label: 'epoch', value: (u, v) => (v == null ? '–' : v.toFixed(2)) },
        { label: 'training (smoothed)', stroke: colors.train, width: 2, spanGaps: true, points: { show: false }, value: (u, v) => (key === 'acc' ? fmtAcc(v) : fmtLoss(v)) },
        { label: 'validation', stroke: colors.val, width: 2, dash: [4, 3], spanGaps: true, points: { show: true, size: 7, fill: colors.val, stroke: colors.val }, value: (u, v) => (key === 'acc' ? fmtAcc(v) : fmtLoss(v)) },
      ],
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
    }, [[], [], []], root);
    this.#charts = [chart('loss', 'loss'), chart('accuracy', 'acc')];
  }

  #resize() {
    if (!this.#charts) return this.#schedule();
    const width = this.#width();
    if (width > 0) for (const c of this.#charts) if (c.width !== width) c.setSize({ width, height: HEIGHT });
    return undefined;
  }

  #schedule() {
    if (this.#pending) return;
    this.#pending = true;
    requestAnimationFrame(() => {
      this.#pending = false;
      this.#draw();
    });
  }

  #draw() {
    if (!this.#charts) {
      if (!this.#root.clientWidth) return;
      this.#make();
    }
    const [loss, acc] = this.#charts;
    loss.setData([this.#x, this.#train.loss, this.#val.loss]);
    acc.setData([this.#x, this.#train.acc, this.#val.acc]);
    this.#empty.hidden = this.#x.length > 0;
    this.#root.dataset.trainPoints = String(this.#counts.train);
    this.#root.dataset.valPoints = String(this.#counts.val);
  }
}
