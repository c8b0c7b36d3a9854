// Drawings for the browser tests and the out-of-distribution measurement (tests/e2e/ood_measure.mjs):
// strokes in unit coordinates (0..1 of the pad), from a seeded generator so every run draws the same.

/** A small seeded generator (mulberry32): rand() in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (rand, lo, hi) => lo + (hi - lo) * rand();

/** Moves and scales strokes drawn in the unit square into the box [x, y, side]. */
export function place(strokes, x, y, side) {
  return strokes.map((s) => s.map(([px, py]) => [x + px * side, y + py * side]));
}

/** A scribble: one stroke zig-zagging through 12-40 random points in a random box. */
export function scribble(rand) {
  const side = between(rand, 0.35, 0.8);
  const x = between(rand, 0.05, 0.95 - side);
  const y = between(rand, 0.05, 0.95 - side);
  const n = Math.floor(between(rand, 12, 40));
  const pts = Array.from({ length: n }, () => [x + rand() * side, y + rand() * side]);
  return [pts];
}

/** A dot: a click, a tiny circle or a short dab, anywhere; sometimes two or three of them. */
export function dots(rand) {
  const count = rand() < 0.7 ? 1 : 2 + Math.floor(rand() * 2);
  const strokes = [];
  for (let i = 0; i < count; i++) {
    const cx = between(rand, 0.15, 0.85);
    const cy = between(rand, 0.15, 0.85);
    const kind = rand();
    if (kind < 0.4) strokes.push([[cx, cy], [cx + 0.002, cy + 0.002]]);
    else if (kind < 0.7) strokes.push(circle(cx, cy, between(rand, 0.01, 0.03), between(rand, 0.01, 0.03), 10));
    else strokes.push([[cx, cy], [cx + between(rand, -0.03, 0.03), cy + between(rand, -0.03, 0.03)]]);
  }
  return strokes;
}

export function circle(cx, cy, rx, ry, n = 24, start = -Math.PI / 2) {
  const pts = [];
  for (let i = 0; i <= n; i++) {
    const a = start + (2 * Math.PI * i) / n;
    pts.push([cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
  }
  return pts;
}

// Three shapes for teaching new classes, in the unit square; jitter() varies them as hands do.
export const SHAPES = {
  circle: () => [circle(0.5, 0.5, 0.35, 0.35, 28)],
  triangle: () => [[[0.5, 0.12], [0.85, 0.82], [0.15, 0.82], [0.5, 0.12]]],
  cross: () => [[[0.18, 0.18], [0.82, 0.82]], [[0.82, 0.18], [0.18, 0.82]]],
};

/** A shape drawn by hand: every point wobbles, the whole is turned a little, scaled and moved. */
export function jitter(strokes, rand, { wobble = 0.03, turn = 0.2, scale = [0.45, 0.9] } = {}) {
  const side = between(rand, ...scale);
  const x = between(rand, 0.04, 0.96 - side);
  const y = between(rand, 0.04, 0.96 - side);
  const a = between(rand, -turn, turn);
  const [c, s] = [Math.cos(a), Math.sin(a)];
  const moved = strokes.map((st) => st.map(([px, py]) => {
    const dx = px - 0.5 + between(rand, -wobble, wobble);
    const dy = py - 0.5 + between(rand, -wobble, wobble);
    return [0.5 + c * dx - s * dy, 0.5 + s * dx + c * dy];
  }));
  return place(moved, x, y, side);
}

/**
 * Rasterises strokes onto a side x side grey image with a round pen `pen` (a share of the side),
 * anti-aliased: what the page's pad draws, for Node.
 */
export function rasterise(strokes, side = 280, pen = 1 / 14) {
  const data = new Float32Array(side * side);
  const r = (pen * side) / 2;
  const segs = [];
  for (const s of strokes) {
    const pts = s.map(([x, y]) => [x * side, y * side]);
    if (pts.length === 1) pts.push(pts[0]);
    for (let i = 1; i < pts.length; i++) segs.push([pts[i - 1], pts[i]]);
  }
  for (const [[ax, ay], [bx, by]] of segs) {
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r - 1));
    const x1 = Math.min(side - 1, Math.ceil(Math.max(ax, bx) + r + 1));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r - 1));
    const y1 = Math.min(side - 1, Math.ceil(Math.max(ay, by) + r + 1));
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5;
        const py = y + 0.5;
        const t = len2 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
        const d = Math.hypot(px - ax - t * dx, py - ay - t * dy);
        const v = Math.min(1, Math.max(0, r + 0.5 - d));
        const i = y * side + x;
        if (v > data[i]) data[i] = v;
      }
    }
  }
  return { data, width: side, height: side };
}

const arc = (cx, cy, r, a0, a1, n = 12) => Array.from({ length: n + 1 }, (_, i) => {
  const a = a0 + ((a1 - a0) * i) / n;
  return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
});

/** Digits beyond browser.mjs's four, with loops and curves: the ones a thick pen turns into an 8 when drawn small. */
export const MORE_DIGITS = {
  2: [[[0.3, 0.3], [0.4, 0.18], [0.58, 0.16], [0.68, 0.28], [0.62, 0.45], [0.3, 0.82], [0.72, 0.82]]],
  3: [[...arc(0.5, 0.32, 0.17, -2.6, 1.57), ...arc(0.5, 0.66, 0.19, -1.57, 2.6)]],
  5: [[[0.68, 0.18], [0.36, 0.18], [0.33, 0.46], ...arc(0.5, 0.64, 0.2, -2.2, 2.6)]],
  6: [[[0.62, 0.15], [0.42, 0.35], ...arc(0.5, 0.64, 0.2, -2.8, 3.6)]],
  8: [[...arc(0.5, 0.32, 0.15, 1.57, 1.57 + 2 * Math.PI, 20), ...arc(0.5, 0.67, 0.18, -1.57, -1.57 - 2 * Math.PI, 20)]],
  9: [[...arc(0.5, 0.35, 0.18, 0.3, 0.3 + 2 * Math.PI, 20), [0.66, 0.5], [0.6, 0.85]]],
};
