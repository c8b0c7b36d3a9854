// "See inside": every layer of the active model for the current drawing: conv filters (weights)
// and feature maps, pooled maps, dense activations, the softmax. model.activations(x) gives each
// layer's output for one sample; model.getWeights() the kernels (read once per model).
import { drawTiles, drawBars, scaleFor, activationScale, colormaps, themeColors } from './viz.js';

const MAX_FILTER_ROWS = 4; // input channels shown per filter of a deeper conv layer

const zoomFor = (side, target = 48) => Math.max(1, Math.min(10, Math.round(target / side)));

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

const shapeText = (shape) => shape.slice(1).join('×');
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;
const LONG_VECTOR = 256; // longer vectors are drawn as a strip of colours, shorter ones as bars

function caption(layer, shape, inShape) {
  const cfg = layer.getConfig();
  const relu = cfg.activation === 'relu';
  const [h, w, c] = shape.slice(1);
  switch (layer.className) {
    case 'Conv2D': {
      const [kh, kw] = cfg.kernelSize;
      const ic = inShape[inShape.length - 1];
      return `Convolution: ${plural(c, 'filter', 'filters')} of ${kh}×${kw}${ic > 1 ? `×${ic}` : ''} weights slide over ${ic === 1 ? 'the image' : `the ${ic} maps before`}; `
        + `each map lights up where its filter's pattern is found.${relu ? ' ReLU then sets the negatives to 0 (black).' : ''}`;
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D':
    case 'SumPooling2D': {
      const kind = layer.className === 'MaxPooling2D' ? 'largest' : layer.className === 'AveragePooling2D' ? 'average' : 'sum';
      return `Pooling: keeps the ${kind} value of each ${cfg.poolSize.join('×')} window, shrinking the maps to ${h}×${w}: `
        + 'less to compute, and a small shift of the pen changes little.';
    }
    case 'GlobalAveragePooling2D':
      return `Global average pooling: each map becomes its mean, ${shape[1]} numbers in all.`;
    case 'Flatten':
      return `Flatten: the ${inShape.slice(1).join('×')} maps are laid end to end as one list of ${h} numbers for the fully connected layers.`;
    case 'Dropout':
      return `Dropout (${Math.round(cfg.rate * 100)}%): in training it zeroes random values so no unit leans on another; when predicting it passes everything through, so this row shows its input unchanged.`;
    case 'GaussianNoise':
      return 'Gaussian noise: adds noise in training only; when predicting it passes everything through.';
    case 'BatchNormalization':
      return 'Batch normalisation: shifts and scales each channel by statistics learned in training, which keeps training stable.';
    case 'Dense':
      if (cfg.activation === 'softmax') {
        return `Softmax output: ${h} scores turned into probabilities that add up to 1. The tallest bar is the answer.`;
      }
      return `Fully connected: each of the ${h} units weighs all ${inShape.slice(1).reduce((a, b) => a * b, 1)} inputs and adds a bias`
        + `${relu ? '; ReLU keeps the positive ones' : ''}. Each bar is one unit.`;
    case 'Activation':
      return `Activation (${cfg.activation}) applied to every value.`;
    default:
      return layer.className;
  }
}

/** Renders into `root`: setModel(model); update(model, x, pixels) after each prediction; clear(pixels) for a blank pad. */
/** Names for a softmax output's bars: the model file's classes, else digits for 10 outputs. */
function classesOf(m) {
  const n = m.outputShape[m.outputShape.length - 1];
  const named = m.metadata?.classes;
  if (Array.isArray(named) && named.length === n) return named.map(String);
  return n === 10 ? [...'0123456789'] : null;
}

export function mountInside(root) {
  let model = null;
  let views = []; // per layer: update(act) or null
  let inputView = null;
  let last = null; // { x, acts, pixels } to draw
  let pending = false;
  let needsBuild = false;
  let width = 0;
  const weightsCache = new WeakMap();

  // Grids are laid out for the available width: rebuild when it changes.
  new ResizeObserver(() => {
    if (root.clientWidth === width) return;
    width = root.clientWidth;
    if (model) {
      needsBuild = true;
      schedule();
    }
  }).observe(root);

  function weightsOf(m) {
    if (!weightsCache.has(m)) weightsCache.set(m, m.getWeights());
    return weightsCache.get(m);
  }

  function row(title, className, shape, text) {
    const r = el('div', 'lv');
    const head = el('div', 'lv-head');
    head.append(el('span', 'lv-name', title), el('span', 'lv-class', className), el('span', 'lv-shape', shape));
    r.append(head, el('p', 'lv-caption', text));
    const body = el('div', 'lv-body');
    r.append(body);
    root.append(r);
    return body;
  }

  function mapsView(body, shape, label) {
    const [h, w, c] = shape.slice(1);
    const fig = el('figure', 'lv-fig');
    const canvas = el('canvas', 'pixelated');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${plural(c, label[0], label[1])} of ${h}×${w}`);
    fig.append(canvas, el('figcaption', null, `${plural(c, label[0], label[1])}, ${h}×${w}`));
    body.append(fig);
    const zoom = zoomFor(Math.max(h, w));
    const avail = Math.max(120, body.clientWidth || root.clientWidth - 32);
    const fit = Math.max(1, Math.floor((avail / zoom + 1) / (w + 1)));
    const columns = Math.ceil(c / Math.ceil(c / fit)); // rows as even as possible
    return (act) => {
      const d = act.data;
      drawTiles(canvas, {
        count: c, tileH: h, tileW: w, columns, zoom, scale: activationScale(d),
        value: (t, y, x) => d[(y * w + x) * c + t],
      });
    };
  }

  function filtersView(body, layer) {
    const k = weightsOf(model).find((wt) => wt.layer === layer.name && wt.name === 'kernel');
    if (!k || k.shape.length !== 4) return;
    const [kh, kw, ic, oc] = k.shape;
    const rows = Math.min(ic, MAX_FILTER_ROWS);
    const avail = Math.max(120, body.clientWidth || root.clientWidth - 32);
    let zoom = zoomFor(Math.max(kh, kw), ic > 1 ? 24 : 40);
    while (zoom > 2 && oc * (kw + 1) * zoom > avail) zoom--;
    const shown = Math.max(1, Math.min(oc, Math.floor((avail / zoom + 1) / (kw + 1))));
    const fig = el('figure', 'lv-fig');
    const canvas = el('canvas', 'pixelated');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${plural(oc, 'filter', 'filters')} of ${kh}×${kw}`);
    const more = [shown < oc ? `first ${shown} of ${oc} filters` : plural(oc, 'filter', 'filters'), `${kh}×${kw}`];
    if (ic > 1) more.push(`a row per input channel${ic > rows ? ` (first ${rows} of ${ic})` : ''}`);
    fig.append(canvas, el('figcaption', null, `weights: ${more.join(', ')}`));
    body.append(fig);
    const d = k.data;
    // Kernel layout [kh, kw, ic, oc]; tile t shows filter (t % shown) for input channel floor(t / shown).
    drawTiles(canvas, {
      count: shown * rows, tileH: kh, tileW: kw, columns: shown, zoom, scale: scaleFor(d),
      value: (t, y, x) => d[((y * kw + x) * ic + Math.floor(t / shown)) * oc + (t % shown)],
    });
  }

  function vectorView(body, layer, shape, classes) {
    const n = shape[1];
    const cfg = layer.getConfig();
    const fig = el('figure', 'lv-fig lv-wide');
    const canvas = el('canvas', n <= 10 ? 'bars bars-out' : 'bars');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${n} values`);
    fig.append(canvas);
    body.append(fig);
    const labels = cfg.activation === 'softmax' && classes?.length === n ? classes : null;
    const size = { width: canvas.clientWidth || 300, height: canvas.clientHeight || 56 };
    const colors = themeColors(canvas);
    return (act) => {
      let best = -1;
      if (labels && Math.max(...act.data) > 0) best = act.data.indexOf(Math.max(...act.data));
      drawBars(canvas, act.data, { size, colors, labels, highlight: best });
    };
  }

  function stripView(body, shape) {
    // A long vector (flatten): a strip of colours, wrapped.
    const n = shape[1];
    const fig = el('figure', 'lv-fig lv-wide');
    const canvas = el('canvas', 'pixelated');
    fig.append(canvas);
    body.append(fig);
    const avail = Math.max(120, body.clientWidth || root.clientWidth - 32);
    const zoom = 3;
    const width = Math.min(n, Math.max(Math.ceil(n / 8), 1), Math.floor(avail / zoom)); // about 8 rows
    const height = Math.ceil(n / width);
    return (act) => {
      const d = act.data;
      drawTiles(canvas, {
        count: 1, tileH: height, tileW: width, columns: 1, zoom, scale: activationScale(d),
        value: (_, y, x) => (y * width + x < n ? d[y * width + x] : 0),
      });
    };
  }

  function build(m) {
    model = m;
    root.replaceChildren();
    views = [];
    const inBody = row('input', 'image', '28×28×1', 'The preprocessed drawing: 784 grey values between 0 (black) and 1 (white).');
    const inCanvas = el('canvas', 'pixelated');
    inCanvas.setAttribute('role', 'img');
    inCanvas.setAttribute('aria-label', 'input image');
    const fig = el('figure', 'lv-fig');
    fig.append(inCanvas);
    inBody.append(fig);
    inputView = (pixels) => drawTiles(inCanvas, {
      count: 1, tileH: 28, tileW: 28, columns: 1, zoom: 2, scale: { map: colormaps.grey, lo: 0, hi: 1 },
      value: (_, y, x) => pixels[y * 28 + x],
    });
    let inShape = [null, 28, 28, 1];
    for (const layer of m.layers) {
      const shape = layer.outputShape;
      const body = row(layer.name, layer.className, shapeText(shape), caption(layer, shape, inShape));
      let update = null;
      if (layer.className === 'Conv2D') filtersView(body, layer);
      if (shape.length === 4) update = mapsView(body, shape, layer.className === 'Conv2D' ? ['feature map', 'feature maps'] : ['map', 'maps']);
      else if (shape.length === 2 && shape[1] > LONG_VECTOR) update = stripView(body, shape);
      else if (shape.length === 2) update = vectorView(body, layer, shape, classesOf(m));
      views.push(update);
      inShape = shape;
    }
  }

  function render({ acts, pixels }) {
    inputView?.(pixels);
    acts.forEach((a, i) => views[i]?.(a));
  }

  // The forward pass that records every layer, and the drawing, run in tasks of their own after
  // the prediction's (a rebuild in one, the drawing in the next), so none holds the main thread long.
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    pending = false;
    if (!model) return;
    if (needsBuild) {
      needsBuild = false;
      build(model);
      if (last) schedule();
      return;
    }
    if (!last) return;
    if (last.x && !last.acts) last.acts = model.activations(last.x);
    render(last);
  };
  function schedule() {
    if (pending) return;
    pending = true;
    channel.port2.postMessage(null);
  }
  function use(m) {
    if (m === model) return;
    model = m;
    needsBuild = true;
    last = null;
  }

  return {
    setModel(m) {
      use(m);
      schedule();
    },
    /** x: the input tensor [1, 28, 28, 1]; activations are computed later, in their own task. */
    update(m, x, pixels) {
      use(m);
      last = { x, acts: null, pixels };
      schedule();
    },
    clear(pixels) {
      if (!model) return;
      last = {
        x: null,
        acts: model.layers.map((l) => ({ data: new Float32Array(l.outputShape.slice(1).reduce((a, b) => a * b, 1)) })),
        pixels,
      };
      schedule();
    },
  };
}
