// Live training curves on one canvas: loss (left) and accuracy (right) against epochs, the
// training batches as a smoothed line, validation as dots joined per epoch. Redraws at most once
// per animation frame; the canvas's data-train-points / data-val-points count what was drawn.

const SMOOTH = 0.8; // exponential moving average of the (noisy) batch values

export class Curves {
  #canvas;
  #epochs = 1;
  #train = []; // {x, loss, acc} smoothed
  #val = [];
  #raw = null;
  #pending = false;
  #size = null; // CSS px, from the ResizeObserver (reading layout on every redraw is slow)
  #colors = null;

  constructor(canvas) {
    this.#canvas = canvas;
    new ResizeObserver(([entry]) => {
      this.#size = { width: entry.contentRect.width, height: entry.contentRect.height };
      this.#schedule();
    }).observe(canvas);
  }

  reset(epochs) {
    this.#epochs = epochs;
    this.#train = [];
    this.#val = [];
    this.#raw = null;
    this.#schedule();
  }

  /** A training batch at x epochs (fractional). */
  addTrain(x, loss, acc) {
    const r = this.#raw;
    this.#raw = r ? { loss: SMOOTH * r.loss + (1 - SMOOTH) * loss, acc: SMOOTH * r.acc + (1 - SMOOTH) * acc } : { loss, acc };
    this.#train.push({ x, ...this.#raw });
    this.#schedule();
  }

  /** Validation at the end of an epoch (x = epochs done). */
  addVal(x, loss, acc) {
    this.#val.push({ x, loss, acc });
    this.#schedule();
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
    const canvas = this.#canvas;
    const dpr = window.devicePixelRatio || 1;
    if (!this.#size) return;
    const { width: cssW, height: cssH } = this.#size;
    if (!cssW || !cssH) return;
    if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(cssH * dpr);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    if (!this.#colors) {
      const style = getComputedStyle(canvas);
      this.#colors = {
        text: style.getPropertyValue('--muted').trim() || '#666',
        grid: style.getPropertyValue('--grid').trim() || '#e5e7eb',
        train: style.getPropertyValue('--accent').trim() || '#4f46e5',
        val: style.getPropertyValue('--val').trim() || '#e8590c',
        card: style.getPropertyValue('--card').trim() || '#fff',
      };
    }
    const colors = this.#colors;
    const gap = 16;
    const half = (cssW - gap) / 2;
    const maxLoss = Math.max(0.4, ...this.#train.map((p) => p.loss), ...this.#val.map((p) => p.loss));
    this.#panel(ctx, colors, { x: 0, w: half, h: cssH, title: 'loss', key: 'loss', max: niceMax(maxLoss) });
    this.#panel(ctx, colors, { x: half + gap, w: half, h: cssH, title: 'accuracy', key: 'acc', max: 1 });
    if (!this.#train.length && !this.#val.length) {
      const text = 'Loss and accuracy appear here as the network trains.';
      ctx.font = '12px system-ui, sans-serif';
      const w = ctx.measureText(text).width + 24;
      ctx.fillStyle = colors.card;
      ctx.fillRect((cssW - w) / 2, cssH / 2 - 20, w, 26);
      ctx.fillStyle = colors.text;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(text, cssW / 2, cssH / 2 - 7);
    }
    canvas.dataset.trainPoints = String(this.#train.length);
    canvas.dataset.valPoints = String(this.#val.length);
  }

  #panel(ctx, colors, { x, w, h, title, key, max }) {
    const left = x + 34;
    const right = x + w - 4;
    const top = 18;
    const bottom = h - 20;
    const px = (v) => left + (v / this.#epochs) * (right - left);
    const py = (v) => bottom - (Math.min(v, max) / max) * (bottom - top);

    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = colors.text;
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'left';
    ctx.fillText(`${title} by epoch`, left, 11);
    ctx.strokeStyle = colors.grid;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4;
      const y = Math.round(py(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(right, y);
      ctx.stroke();
      ctx.fillText(key === 'acc' ? `${Math.round(v * 100)}%` : fmtTick(v), left - 4, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const every = Math.max(1, Math.ceil(this.#epochs / 8));
    for (let e = 0; e <= this.#epochs; e += every) ctx.fillText(String(e), px(e), bottom + 4);

    if (this.#train.length) {
      ctx.strokeStyle = colors.train;
      ctx.lineWidth = 2;
      ctx.lineJoin = 'round';
      ctx.beginPath();
      this.#train.forEach((p, i) => (i ? ctx.lineTo(px(p.x), py(p[key])) : ctx.moveTo(px(p.x), py(p[key]))));
      ctx.stroke();
    }
    if (this.#val.length) {
      ctx.strokeStyle = colors.val;
      ctx.fillStyle = colors.val;
      ctx.lineWidth = 2;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      this.#val.forEach((p, i) => (i ? ctx.lineTo(px(p.x), py(p[key])) : ctx.moveTo(px(p.x), py(p[key]))));
      ctx.stroke();
      ctx.setLineDash([]);
      for (const p of this.#val) {
        ctx.beginPath();
        ctx.arc(px(p.x), py(p[key]), 3.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }
}

/** The smallest top of a 4-step axis with round steps that holds v. */
function niceMax(v) {
  const step = [0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 5].find((s) => 4 * s >= v) ?? Math.ceil(v / 4);
  return 4 * step;
}

function fmtTick(v) {
  return String(Number(v.toFixed(2)));
}
