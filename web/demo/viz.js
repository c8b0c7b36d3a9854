// Small drawing helpers: colour maps, grids of little images, bar strips. Canvases are drawn at
// their natural pixel size and enlarged by CSS (image-rendering: pixelated), so each value is one
// crisp square whatever the zoom.

function lut(stops) {
  const out = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(t));
    const f = t - k;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = stops[k][c] + (stops[k + 1][c] - stops[k][c]) * f;
  }
  return out;
}

// Sequential (activations >= 0): near-black through indigo and teal to yellow, like viridis/magma.
const SEQUENTIAL = lut([[12, 12, 24], [52, 36, 120], [32, 128, 150], [90, 200, 110], [250, 230, 80]]);
// Diverging (weights): blue for negative, near-black for zero, orange for positive.
const DIVERGING = lut([[80, 170, 255], [30, 80, 170], [16, 16, 24], [190, 80, 20], [255, 180, 60]]);
const GREY = lut([[0, 0, 0], [255, 255, 255]]);

export const colormaps = { sequential: SEQUENTIAL, diverging: DIVERGING, grey: GREY };

/** Picks a colour map and scale for values: signed -> diverging around 0, else sequential from 0. */
export function scaleFor(data) {
  let min = 0;
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min < 0) {
    const m = Math.max(-min, max) || 1;
    return { map: DIVERGING, lo: -m, hi: m };
  }
  return { map: SEQUENTIAL, lo: 0, hi: max || 1 };
}

/**
 * A scale for activations: the sequential map from the smallest value (or 0) to the largest. Layers
 * that output signed values (batch norm, a linear conv) are still activations, not weights: they
 * must not take the weights' blue-orange colours.
 */
export function activationScale(data) {
  let min = 0;
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < min) min = data[i];
    if (data[i] > max) max = data[i];
  }
  return { map: SEQUENTIAL, lo: min, hi: max > min ? max : min + 1 };
}

/**
 * Draws `count` tiles of tileH x tileW values in a grid with 1 px gaps, `columns` per row.
 * value(tile, y, x) reads a value; scale is { map, lo, hi } from scaleFor() (or a fixed one).
 * Sets the canvas's pixel size and its CSS size (zoom px per value).
 */
export function drawTiles(canvas, { count, tileH, tileW, columns, value, scale, zoom }) {
  const cols = Math.max(1, Math.min(columns, count));
  const rows = Math.ceil(count / cols);
  const width = cols * (tileW + 1) - 1;
  const height = rows * (tileH + 1) - 1;
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  canvas.style.width = `${width * zoom}px`;
  canvas.style.height = `${height * zoom}px`;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(width, height); // transparent gaps
  const { map, lo, hi } = scale;
  const k = 255 / (hi - lo || 1);
  for (let t = 0; t < count; t++) {
    const ox = (t % cols) * (tileW + 1);
    const oy = Math.floor(t / cols) * (tileH + 1);
    for (let y = 0; y < tileH; y++) {
      for (let x = 0; x < tileW; x++) {
        const c = Math.max(0, Math.min(255, Math.round((value(t, y, x) - lo) * k)));
        const p = ((oy + y) * width + ox + x) * 4;
        img.data[p] = map[c * 3];
        img.data[p + 1] = map[c * 3 + 1];
        img.data[p + 2] = map[c * 3 + 2];
        img.data[p + 3] = 255;
      }
    }
  }
  ctx.putImageData(img, 0, 0);
}

/** A 28x28 (or any) single image, grey, values in [0, 1]. */
export function drawImage(canvas, data, width, height) {
  drawTiles(canvas, {
    count: 1, tileH: height, tileW: width, columns: 1, value: (_, y, x) => data[y * width + x],
    scale: { map: GREY, lo: 0, hi: 1 }, zoom: Number(canvas.dataset.zoom || 1),
  });
}

/** The page's chart colours (CSS custom properties), read once per caller: getComputedStyle forces a style pass. */
export function themeColors(el) {
  const style = getComputedStyle(el);
  const get = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  return { grid: get('--grid', '#ddd'), accent: get('--accent', '#4f46e5'), bar: get('--bar', '#8b8fd8'), muted: get('--muted', '#666'), negative: '#7aa7e8' };
}

/**
 * Bars for a vector (dense layer activations): one bar per value, scaled to the largest magnitude,
 * negatives below the zero line. size: { width, height } in CSS px (measured once by the caller, as
 * reading layout per frame is slow); colors from themeColors(); `labels` are written under the bars.
 */
export function drawBars(canvas, data, { size, colors, labels, highlight = -1 }) {
  const dpr = window.devicePixelRatio || 1;
  const { width: cssW, height: cssH } = size;
  const w = Math.round(cssW * dpr);
  const h = Math.round(cssH * dpr);
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  const n = data.length;
  const labelH = labels ? 14 : 0;
  const plotH = cssH - labelH - 2;
  let min = 0;
  let max = 0;
  for (const v of data) {
    if (v > max) max = v;
    if (v < min) min = v;
  }
  const range = max - min || 1;
  const zeroY = 1 + plotH * (max / range);
  const step = cssW / n;
  const gap = step > 4 ? Math.min(2, step * 0.2) : 0;
  ctx.fillStyle = colors.grid;
  ctx.fillRect(0, zeroY, cssW, 1);
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v === 0) continue;
    const barH = Math.max(1, (Math.abs(v) / range) * plotH);
    ctx.fillStyle = i === highlight ? colors.accent : v < 0 ? colors.negative : colors.bar;
    ctx.fillRect(i * step + gap / 2, v > 0 ? zeroY - barH : zeroY + 1, Math.max(1, step - gap), barH);
  }
  if (labels) {
    ctx.fillStyle = colors.muted;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    for (let i = 0; i < n; i++) {
      let text = labels[i];
      while (text.length > 1 && ctx.measureText(text).width > step - 2) text = `${text.slice(0, Math.max(1, text.length - 2))}…`.replace(/……$/, '…');
      ctx.fillText(text, i * step + step / 2, cssH);
    }
  }
}
