// Model presets and the editable layer list of the training panel.
//
// A row is { kind, ...options } with the options the panel lets people edit; KINDS says how to show
// and build each kind. To offer a new layer (dropout, batch norm, ...) add one entry to KINDS. The
// output layer (dense 10 + softmax) is not a row: buildSpec() appends it.
import * as cnn from '../lib/index.js';

// field: [key, label, min, max]
export const KINDS = {
  conv2d: {
    label: 'Conv2D', hint: 'convolution + ReLU',
    fields: [['filters', 'filters', 1, 128], ['kernelSize', 'kernel', 1, 7]],
    defaults: { filters: 16, kernelSize: 3 },
    // He initialisation suits ReLU; 'same' padding keeps the map size so pooling sets the pace.
    build: (r) => cnn.layers.conv2d({ filters: r.filters, kernelSize: r.kernelSize, padding: r.padding ?? 'same', activation: 'relu', kernelInitializer: 'heUniform' }),
  },
  maxPooling2d: {
    label: 'MaxPool', hint: 'max pooling',
    fields: [['poolSize', 'size', 1, 4]],
    defaults: { poolSize: 2 },
    build: (r) => cnn.layers.maxPooling2d({ poolSize: r.poolSize }),
  },
  averagePooling2d: {
    label: 'AvgPool', hint: 'average pooling',
    fields: [['poolSize', 'size', 1, 4]],
    defaults: { poolSize: 2 },
    build: (r) => cnn.layers.averagePooling2d({ poolSize: r.poolSize }),
  },
  flatten: {
    label: 'Flatten', hint: 'maps to a vector',
    fields: [],
    defaults: {},
    build: () => cnn.layers.flatten(),
  },
  dense: {
    label: 'Dense', hint: 'fully connected + ReLU',
    fields: [['units', 'units', 1, 1024]],
    defaults: { units: 64 },
    build: (r) => cnn.layers.dense({ units: r.units, activation: 'relu', kernelInitializer: 'heUniform' }),
  },
};

const conv = (filters, kernelSize, padding) => ({ kind: 'conv2d', filters, kernelSize, ...(padding ? { padding } : {}) });
const pool = () => ({ kind: 'maxPooling2d', poolSize: 2 });
const dense = (units) => ({ kind: 'dense', units });

export const PRESETS = {
  lenet5: {
    label: 'LeNet-5',
    about: 'LeCun et al. 1998, with ReLU and max pooling: 6 and 16 filters of 5×5, then 120 and 84 units.',
    rows: [conv(6, 5), pool(), conv(16, 5, 'valid'), pool(), { kind: 'flatten' }, dense(120), dense(84)],
  },
  small: {
    label: 'Small CNN',
    about: 'Two 3×3 conv blocks (16, 32 filters) and one hidden layer of 64 units.',
    rows: [conv(16, 3), pool(), conv(32, 3), pool(), { kind: 'flatten' }, dense(64)],
  },
  large: {
    label: 'Larger CNN',
    about: 'Two blocks of two 3×3 convs (32, then 64 filters) and 128 units; slower, a little more accurate.',
    rows: [conv(32, 3), conv(32, 3), pool(), conv(64, 3), conv(64, 3), pool(), { kind: 'flatten' }, dense(128)],
  },
};

export function presetRows(key) {
  return structuredClone(PRESETS[key].rows);
}

export function newRow(kind) {
  return { kind, ...KINDS[kind].defaults };
}

/**
 * The model spec { inputShape, seed, layers } for rows, with a Flatten before the first Dense if
 * there is none, and the output layer. Layers get short names (conv1, pool1, dense1, output);
 * rowNames[i] is row i's. transformLayers(layers) may add layers (regularisation) before the build.
 */
export function buildSpec(rows, { seed = 1, transformLayers = (l) => l } = {}) {
  const layers = [];
  const counts = {};
  const named = (spec, base) => {
    counts[base] = (counts[base] ?? 0) + 1;
    spec.config.name = `${base}${counts[base]}`;
    return spec;
  };
  const rowNames = [];
  let flat = false;
  for (const r of rows) {
    if (r.kind === 'dense' && !flat) {
      layers.push(named(cnn.layers.flatten(), 'flatten'));
      flat = true;
    }
    if (r.kind === 'flatten') flat = true;
    const base = { conv2d: 'conv', maxPooling2d: 'pool', averagePooling2d: 'pool' }[r.kind] ?? r.kind;
    const spec = named(KINDS[r.kind].build(r), base);
    rowNames.push(spec.config.name);
    layers.push(spec);
  }
  if (!flat) layers.push(named(cnn.layers.flatten(), 'flatten'));
  layers.push(cnn.layers.dense({ units: 10, activation: 'softmax', name: 'output' }));
  return { spec: { inputShape: [28, 28, 1], seed, layers: transformLayers(layers) }, rowNames };
}

/** Builds the spec on this thread to check it: { params, shapes: {name: [h, w, c]} } or throws the library's message. */
export function checkSpec(spec) {
  const model = cnn.sequential(spec);
  try {
    return { params: model.countParams(), shapes: Object.fromEntries(model.layers.map((l) => [l.name, l.outputShape.slice(1)])) };
  } finally {
    model.dispose();
  }
}

/**
 * Renders the rows into `list` (an <ol>) as editable items; calls onChange() after every edit.
 * Returns { rows(), setRows(rows), showShapes(shapes) }.
 */
export function mountLayerList(list, onChange) {
  let rows = [];

  const render = () => {
    list.replaceChildren(...rows.map((r, i) => item(r, i)));
  };
  const changed = () => {
    render();
    onChange();
  };

  function item(r, i) {
    const kind = KINDS[r.kind];
    const li = document.createElement('li');
    li.className = 'layer';
    const name = document.createElement('span');
    name.className = 'layer-kind';
    name.textContent = kind.label;
    name.title = kind.hint;
    li.append(name);
    const fields = document.createElement('span');
    fields.className = 'layer-fields';
    li.append(fields);
    for (const [key, label, min, max] of kind.fields) {
      const lab = document.createElement('label');
      lab.className = 'layer-field';
      const input = document.createElement('input');
      Object.assign(input, { type: 'number', min, max, step: 1, value: r[key] });
      input.setAttribute('aria-label', `layer ${i + 1} ${kind.label} ${label}`);
      input.dataset.label = `Layer ${i + 1} (${kind.label}) ${label}`;
      // A wrong value is shown next to the field (the panel's form checks it) and not applied.
      input.addEventListener('change', () => {
        const v = Number(input.value);
        if (input.value.trim() === '' || !Number.isInteger(v) || v < min || v > max) return;
        r[key] = v;
        changed();
      });
      lab.append(`${label} `, input);
      fields.append(lab);
    }
    const shape = document.createElement('span');
    shape.className = 'layer-shape';
    li.append(shape);
    const tools = document.createElement('span');
    tools.className = 'layer-tools';
    const button = (text, label, disabled, fn) => {
      const b = document.createElement('button');
      Object.assign(b, { type: 'button', textContent: text, disabled, className: 'icon' });
      b.setAttribute('aria-label', `${label} layer ${i + 1} (${kind.label})`);
      b.title = label;
      b.addEventListener('click', fn);
      return b;
    };
    tools.append(
      button('↑', 'Move up', i === 0, () => { [rows[i - 1], rows[i]] = [rows[i], rows[i - 1]]; changed(); }),
      button('↓', 'Move down', i === rows.length - 1, () => { [rows[i + 1], rows[i]] = [rows[i], rows[i + 1]]; changed(); }),
      button('×', 'Remove', false, () => { rows.splice(i, 1); changed(); }),
    );
    li.append(tools);
    return li;
  }

  return {
    rows: () => rows,
    setRows(next) {
      rows = next;
      render();
      onChange();
    },
    add(kind) {
      // Before the first dense layer for feature layers, at the end otherwise.
      const firstDense = rows.findIndex((r) => r.kind === 'dense' || r.kind === 'flatten');
      const at = kind === 'dense' || firstDense < 0 ? rows.length : firstDense;
      rows.splice(at, 0, newRow(kind));
      changed();
    },
    /** text[i]: what to show after row i (its output shape). */
    showShapes(text) {
      [...list.children].forEach((li, i) => {
        li.querySelector('.layer-shape').textContent = text[i] ?? '';
      });
    },
  };
}
