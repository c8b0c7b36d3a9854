// model.summary(): the table TF.js prints. A chain of layers gets Layer (type), Output shape and
// Param #; a graph model also an InputLayer row and Connected to (each input as `name[0][0]`, one per
// line). Columns fit their contents unless lineLength/positions are given; then, as in TF.js,
// positions are column ends (fractions of lineLength when all <= 1) and longer fields are cut.
import { call } from './core.js';

const fmtShape = (s) => `[${s.map((d) => (d === null ? 'null' : d)).join(',')}]`;

function row(fields, ends) {
  let line = '';
  fields.forEach((f, i) => {
    if (i > 0) line = `${line.slice(0, -1)} `;
    line = `${line}${f}`.slice(0, ends[i]);
    line += ' '.repeat(ends[i] - line.length);
  });
  return line.trimEnd();
}

/** The lines of model's summary; `model` is a Model (read through its handle and layer views). */
export function summaryLines(model, { lineLength, positions } = {}) {
  const h = model._handle();
  const n = h.numLayers();
  const chain = !model.isGraph && Array.from({ length: n }, (_, i) => model._nodeInputs(i)).every((ins, i) => ins.length === 1 && ins[0] === i - 1);
  const params = new Map();
  for (let i = 0, m = h.numWeights(); i < m; i++) {
    const w = call(() => h.weightInfo(i));
    params.set(w.layer, (params.get(w.layer) ?? 0) + w.shape.reduce((a, b) => a * b, 1));
  }
  const inputName = model.inputs[0].name;
  const names = model.layers.map((l) => l.name);
  const rows = [];
  if (!chain) rows.push([[`${inputName} (InputLayer)`, fmtShape(model.inputs[0].shape), '0', '']]);
  model.layers.forEach((l, i) => {
    const label = `${l.name} (${l.className})${l.trainable ? '' : ' frozen'}`;
    const cells = [label, fmtShape(l.outputShape), String(params.get(l.name) ?? 0)];
    if (chain) {
      rows.push([cells]);
      return;
    }
    const from = model._nodeInputs(i).map((k) => `${k < 0 ? inputName : names[k]}[0][0]`);
    rows.push(from.map((f, j) => (j === 0 ? [...cells, f] : ['', '', '', f])));
  });
  const header = chain ? ['Layer (type)', 'Output shape', 'Param #'] : ['Layer (type)', 'Output shape', 'Param #', 'Connected to'];
  let ends;
  if (lineLength !== undefined || positions !== undefined) {
    const length = lineLength ?? (chain ? 65 : 98);
    if (!Number.isInteger(length) || length < header.length) throw new Error(`summary: lineLength must be an integer >= ${header.length}, got ${JSON.stringify(lineLength)}`);
    const p = positions ?? (chain ? [0.45, 0.85, 1] : [0.33, 0.55, 0.67, 1]);
    if (!Array.isArray(p) || p.length !== header.length || !p.every((x) => typeof x === 'number' && x > 0)) {
      throw new Error(`summary: positions must be ${header.length} increasing column ends, got ${JSON.stringify(positions)}`);
    }
    ends = p.every((x) => x <= 1) ? p.map((x) => Math.floor(length * x)) : p;
  } else {
    ends = [];
    header.forEach((hd, c) => {
      const width = Math.max(hd.length, ...rows.flat().map((cells) => cells[c].length)) + 4;
      ends.push((ends[c - 1] ?? 0) + width);
    });
  }
  const width = ends.at(-1);
  const lines = ['_'.repeat(width), row(header, ends), '='.repeat(width)];
  rows.forEach((r, i) => {
    for (const cells of r) lines.push(row(cells, ends));
    lines.push(i === rows.length - 1 ? '='.repeat(width) : '_'.repeat(width));
  });
  if (rows.length === 0) lines.push('='.repeat(width));
  const total = h.paramCount(false);
  const trainable = h.paramCount(true);
  lines.push(`Total params: ${total}`, `Trainable params: ${trainable}`, `Non-trainable params: ${total - trainable}`, '_'.repeat(width));
  return lines;
}
