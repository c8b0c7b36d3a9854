// The drawing pad: pointer events (mouse, touch, pen) on a square canvas.
//
// Strokes are kept in unit coordinates (0..1 of the side) so the visible canvas can be redrawn at
// any size and pixel ratio, and are also drawn onto a fixed 280x280 "ink" canvas that preprocessing
// reads: what the network sees does not depend on the screen. Ink is white on transparent; the
// visible canvas's dark background comes from CSS.
import { inkFromRGBA } from './preprocess.js';

export const INK_SIZE = 280;
export const BRUSH = 1 / 14; // brush diameter as a fraction of the side: ~2 px after the 20 px downscale

export class DrawingPad {
  #canvas;
  #ctx;
  #ink;
  #inkCtx;
  #strokes = [];
  #current = null;
  #rect = null; // the canvas's box, read once per stroke (reading it per move forces a layout)
  #bounds = null; // ink bounds in ink-canvas pixels, so ink() reads only the inked region
  #listeners = { change: [], end: [] };

  constructor(canvas) {
    this.#canvas = canvas;
    this.#ctx = canvas.getContext('2d');
    this.#ink = document.createElement('canvas');
    this.#ink.width = INK_SIZE;
    this.#ink.height = INK_SIZE;
    this.#inkCtx = this.#ink.getContext('2d', { willReadFrequently: true });

    canvas.addEventListener('pointerdown', (e) => this.#down(e));
    canvas.addEventListener('pointermove', (e) => this.#move(e));
    canvas.addEventListener('pointerup', (e) => this.#up(e));
    canvas.addEventListener('pointercancel', (e) => this.#up(e));
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
    new ResizeObserver(() => this.#resize()).observe(canvas);
    this.#resize();
  }

  /** on('change', fn) while drawing; on('end', fn) when a stroke ends or the pad is cleared. */
  on(type, fn) {
    this.#listeners[type].push(fn);
    return this;
  }

  get empty() {
    return this.#strokes.length === 0;
  }

  clear() {
    this.#strokes = [];
    this.#current = null;
    this.#bounds = null;
    this.#redraw();
    this.#emit('change');
    this.#emit('end');
  }

  /**
   * The ink as a grey image { data, width, height }, values in [0, 1]: the part of the 280x280 ink
   * canvas that holds the strokes (preprocessing crops to the ink anyway), or 1x1 blank.
   */
  ink() {
    const b = this.#bounds;
    if (!b) return { data: new Float32Array(1), width: 1, height: 1 };
    const x0 = Math.max(0, Math.floor(b.x0));
    const y0 = Math.max(0, Math.floor(b.y0));
    const x1 = Math.min(INK_SIZE, Math.ceil(b.x1));
    const y1 = Math.min(INK_SIZE, Math.ceil(b.y1));
    if (x1 <= x0 || y1 <= y0) return { data: new Float32Array(1), width: 1, height: 1 };
    const { data } = this.#inkCtx.getImageData(x0, y0, x1 - x0, y1 - y0);
    return inkFromRGBA(data, x1 - x0, y1 - y0);
  }

  #grow(p) {
    const r = (BRUSH * INK_SIZE) / 2 + 2; // brush radius plus anti-aliasing
    const x = p.x * INK_SIZE;
    const y = p.y * INK_SIZE;
    const b = (this.#bounds ??= { x0: x, y0: y, x1: x, y1: y });
    b.x0 = Math.min(b.x0, x - r);
    b.y0 = Math.min(b.y0, y - r);
    b.x1 = Math.max(b.x1, x + r);
    b.y1 = Math.max(b.y1, y + r);
  }

  #emit(type) {
    for (const fn of this.#listeners[type]) fn();
  }

  #point(e) {
    const r = this.#rect;
    const p = { x: (e.clientX - r.left) / r.width, y: (e.clientY - r.top) / r.height };
    this.#grow(p);
    return p;
  }

  #down(e) {
    if (e.button !== 0 && e.pointerType === 'mouse') return;
    e.preventDefault();
    this.#canvas.setPointerCapture(e.pointerId);
    this.#rect = this.#canvas.getBoundingClientRect();
    this.#current = { id: e.pointerId, points: [this.#point(e)] };
    this.#strokes.push(this.#current.points);
    this.#dot(this.#current.points[0]);
    this.#emit('change');
  }

  #move(e) {
    if (!this.#current || e.pointerId !== this.#current.id) return;
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) {
      const p = this.#point(ev);
      const points = this.#current.points;
      this.#segment(points[points.length - 1], p);
      points.push(p);
    }
    this.#emit('change');
  }

  #up(e) {
    if (!this.#current || e.pointerId !== this.#current.id) return;
    this.#current = null;
    this.#emit('end');
  }

  #contexts() {
    return [[this.#ctx, this.#canvas.width], [this.#inkCtx, INK_SIZE]];
  }

  #dot(p, targets = this.#contexts()) {
    for (const [ctx, side] of targets) {
      ctx.fillStyle = '#fff';
      ctx.beginPath();
      ctx.arc(p.x * side, p.y * side, (BRUSH * side) / 2, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  #segment(a, b, targets = this.#contexts()) {
    for (const [ctx, side] of targets) {
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = BRUSH * side;
      ctx.lineCap = 'round';
      ctx.lineJoin = 'round';
      ctx.beginPath();
      ctx.moveTo(a.x * side, a.y * side);
      ctx.lineTo(b.x * side, b.y * side);
      ctx.stroke();
    }
  }

  #resize() {
    const side = Math.round(this.#canvas.clientWidth * (window.devicePixelRatio || 1));
    if (side > 0 && side !== this.#canvas.width) {
      this.#canvas.width = side; // clears it; the ink canvas keeps its fixed size and content
      this.#canvas.height = side;
      this.#redraw([[this.#ctx, side]]);
    }
  }

  #redraw(targets = this.#contexts()) {
    for (const [ctx, side] of targets) ctx.clearRect(0, 0, side, side);
    for (const points of this.#strokes) {
      this.#dot(points[0], targets);
      for (let i = 1; i < points.length; i++) this.#segment(points[i - 1], points[i], targets);
    }
  }
}
