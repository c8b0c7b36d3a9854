// TF.js and Keras model topologies -> the layer records to build, in order: a Sequential's list,
// or a functional ('Model'/'Functional') graph flattened into nodes that name the nodes they read.
// Reads inbound_nodes in the Keras 2 form TF.js writes ([[["conv", 0, 0, {}]]]) and the Keras 3 form
// ({ args, kwargs } holding keras_history); nested models, in a graph or in a Sequential (Teachable
// Machine's exports), are flattened; a shared layer becomes one node per call. The layer records
// themselves are read by tfjs_format.js.

const GRAPH_CLASSES = ['Model', 'Functional'];
const classOf = (rec) => rec.class_name ?? rec.className;
const batchShapeOf = (cfg) => cfg.batch_input_shape ?? cfg.batchInputShape ?? cfg.batch_shape ?? cfg.batchShape;

function checkInputDtype(cfg) {
  const dtype = typeof cfg.dtype === 'object' && cfg.dtype ? cfg.dtype.config?.name : cfg.dtype;
  if (dtype != null && dtype !== 'float32') throw new Error(`tfjs import: input dtype '${dtype}' is not supported (wasmcnn takes float32)`);
}

function checkInputShape(shape) {
  if (!shape || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`tfjs import: the input shape must be fully known, got ${JSON.stringify(shape ? [null, ...shape] : null)} ` +
      "(set batch_input_shape on the first layer, e.g. tf.layers.conv2d({inputShape: [28, 28, 1], ...}))");
  }
}

/** [layer name, node index, tensor index] triples of a model's input_layers/output_layers (Keras 3 writes one triple bare). */
function endpoints(list, what, model) {
  const triples = Array.isArray(list) && typeof list[0] === 'string' ? [list] : list;
  if (!Array.isArray(triples) || triples.length === 0) {
    throw new Error(`tfjs import: model '${model}' has no ${what === 'inputs' ? 'input_layers' : 'output_layers'} ` +
      '(a functional topology lists its inputs and outputs)');
  }
  if (triples.length > 1) {
    throw new Error(`tfjs import: model '${model}' has ${triples.length} ${what} (${triples.map((x) => x[0]).join(', ')}); ` +
      'wasmcnn models have one input and one output');
  }
  return triples[0];
}

/**
 * The inbound tensors of each call of a layer: [[name, nodeIndex, tensorIndex], ...] per call, from
 * Keras 2 / TF.js lists ([[["conv", 0, 0, {}]]]) or Keras 3 records ({ args, kwargs } holding
 * { config: { keras_history: ["conv", 0, 0] } }, a merge's in a list as its first argument).
 */
function inboundCalls(rec) {
  const nodes = rec.inbound_nodes ?? rec.inboundNodes ?? [];
  return nodes.map((node) => {
    if (Array.isArray(node)) return node.map((ref) => ref.slice(0, 3));
    const refs = [];
    const walk = (v) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        const history = v.config?.keras_history ?? v.keras_history;
        if (history) refs.push(history.slice(0, 3));
        else Object.values(v).forEach(walk);
      }
    };
    walk(node.args ?? []);
    return refs;
  });
}

/**
 * Flattens a functional topology (and the models nested in it) into nodes in topological order:
 * { rec, index, inputs: [names] }, where '' is the model's input and other names are earlier nodes.
 * `binding` is what the topology's own input stands for ('' at the top, the outer tensor when nested).
 */
function flattenGraph(config, binding, out, inputs) {
  const model = config.name ?? 'model';
  const records = config.layers ?? [];
  const byName = new Map(records.map((rec, i) => [rec.name ?? rec.config?.name, { rec, index: i }]));
  const resolved = new Map();
  const [inputName] = endpoints(config.input_layers ?? config.inputLayers, 'inputs', model);
  const [outputName, outputNode] = endpoints(config.output_layers ?? config.outputLayers, 'outputs', model);
  const inputRec = byName.get(inputName)?.rec;
  if (!inputRec || classOf(inputRec) !== 'InputLayer') throw new Error(`tfjs import: model '${model}': its input '${inputName}' is not an InputLayer`);
  checkInputDtype(inputRec.config ?? {});
  inputs.push({ name: inputName, shape: batchShapeOf(inputRec.config ?? {})?.slice(1) });
  resolved.set(inputName, binding);
  const visiting = new Set();
  // A layer called several times (a shared layer) becomes one node per call: the first keeps its
  // name, call k is '<name>_shared<k>' and takes the same weights (see matchWeights).
  const visit = (name, nodeIndex) => {
    const entry = byName.get(name);
    if (!entry) throw new Error(`tfjs import: model '${model}': a layer reads '${name}', which is not one of its layers`);
    const { rec, index } = entry;
    const cls = classOf(rec);
    const calls = cls === 'InputLayer' ? [] : inboundCalls(rec);
    const call = calls.length > 1 ? nodeIndex : 0;
    const key = calls.length > 1 ? `${name}#${call}` : name;
    if (resolved.has(key)) return resolved.get(key);
    if (cls === 'InputLayer') throw new Error(`tfjs import: model '${model}' has a second input '${name}'; wasmcnn models have one input`);
    if (visiting.has(key)) throw new Error(`tfjs import: model '${model}': layer '${name}' reads its own output (a cycle)`);
    visiting.add(key);
    if (calls.length === 0) throw new Error(`tfjs import: layer '${name}' (${cls}) has no inbound node`);
    if (!Number.isInteger(call) || call < 0 || call >= calls.length) {
      throw new Error(`tfjs import: a layer reads call ${nodeIndex} of '${name}', which is called ${calls.length} times`);
    }
    const nested = GRAPH_CLASSES.includes(cls) || cls === 'Sequential';
    if (nested && calls.length > 1) {
      throw new Error(`tfjs import: nested model '${name}' is applied ${calls.length} times; wasmcnn reads a nested model applied once`);
    }
    const from = calls[call].map(([n, i, tensor]) => {
      if (tensor !== 0) throw new Error(`tfjs import: layer '${name}' reads output ${tensor} of '${n}'; wasmcnn layers have one output`);
      return visit(n, i);
    });
    if (nested) {
      if (from.length !== 1) throw new Error(`tfjs import: nested model '${name}' takes ${from.length} inputs; wasmcnn models have one`);
      resolved.set(key, cls === 'Sequential' ? flattenSequential(rec.config, from[0], out) : flattenGraph(rec.config, from[0], out, []));
    } else {
      const nodeName = call === 0 ? name : `${name}_shared${call}`;
      out.push({ rec, index, inputs: from, name: nodeName, ...(call > 0 ? { sharedWith: name } : {}) });
      resolved.set(key, nodeName);
    }
    visiting.delete(key);
    return resolved.get(key);
  };
  return visit(outputName, outputNode);
}

const isNested = (rec) => GRAPH_CLASSES.includes(classOf(rec)) || classOf(rec) === 'Sequential';
const sequentialRecords = (config) => (Array.isArray(config) ? config : config?.layers ?? []);

/** A Sequential (nested, or holding nested models): its layers as a chain after `binding`, nested models flattened. */
function flattenSequential(config, binding, out) {
  let last = binding;
  sequentialRecords(config).forEach((rec, index) => {
    if (classOf(rec) === 'InputLayer') return;
    if (classOf(rec) === 'Sequential') last = flattenSequential(rec.config, last, out);
    else if (isNested(rec)) last = flattenGraph(rec.config ?? {}, last, out, []);
    else {
      out.push({ rec, index, inputs: [last] });
      last = rec.config?.name ?? rec.name;
    }
  });
  return last;
}

/** The input shape of a Sequential's first layer, looking into a nested model when it comes first. */
function firstInputShape(records) {
  for (const rec of records) {
    const cfg = rec.config ?? {};
    const s = batchShapeOf(cfg);
    const shape = s ? s.slice(1) : cfg.input_shape ?? cfg.inputShape;
    if (shape) return shape;
    if (classOf(rec) === 'Sequential') return firstInputShape(sequentialRecords(cfg));
    if (isNested(rec)) {
      const [name] = endpoints(cfg.input_layers ?? cfg.inputLayers, 'inputs', cfg.name ?? 'model');
      const input = (cfg.layers ?? []).find((l) => (l.name ?? l.config?.name) === name);
      return input && batchShapeOf(input.config ?? {})?.slice(1);
    }
  }
  return undefined;
}

/**
 * The topology's layer records (each with the names of the nodes it reads, for a functional model)
 * and input shape, from any of TF.js' and Keras' forms.
 */
export function readTopology(topology) {
  let t = typeof topology === 'string' ? JSON.parse(topology) : topology;
  // Keras 3 redefined a few things (hard_sigmoid): the importer asks.
  const keras3 = /^3\./.test(String(t?.keras_version ?? ''));
  if (t && t.model_config) t = t.model_config;
  if (!t || typeof t !== 'object') throw new Error('tfjs import: modelTopology is missing');
  const cls = t.class_name ?? t.className;
  if (GRAPH_CLASSES.includes(cls)) {
    const layers = [];
    const inputs = [];
    flattenGraph(t.config ?? {}, '', layers, inputs);
    const shape = inputs[0].shape;
    checkInputShape(shape);
    return { layers, inputShape: shape, graph: { name: t.config?.name ?? 'model', input: inputs[0].name }, keras3 };
  }
  if (cls !== 'Sequential') {
    throw new Error(`tfjs import: model class '${cls}' is not supported (wasmcnn reads Sequential and functional Model topologies)`);
  }
  const records = Array.isArray(t.config) ? t.config : t.config?.layers;
  if (!Array.isArray(records) || records.length === 0) throw new Error('tfjs import: the Sequential model has no layers');
  // Models nested in a Sequential (Teachable Machine's exports: a Sequential of a truncated
  // MobileNet and a head) are flattened into one graph.
  if (records.some(isNested)) {
    const layers = [];
    flattenSequential(records, '', layers);
    const shape = firstInputShape(records) ?? t.config?.build_input_shape?.slice(1);
    checkInputShape(shape);
    return { layers, inputShape: shape, graph: { name: t.config?.name ?? 'sequential', input: 'input_1' }, keras3 };
  }
  let shape = null;
  const layers = [];
  records.forEach((rec, i) => {
    const cfg = rec.config ?? {};
    const s = cfg.batch_input_shape ?? cfg.batchInputShape ?? cfg.batch_shape ?? cfg.batchShape;
    const inputShape = s ? s.slice(1) : cfg.input_shape ?? cfg.inputShape;
    if (inputShape && !shape) shape = inputShape;
    if ((rec.class_name ?? rec.className) === 'InputLayer') {
      const dtype = typeof cfg.dtype === 'object' && cfg.dtype ? cfg.dtype.config?.name : cfg.dtype;
      if (dtype != null && dtype !== 'float32') throw new Error(`tfjs import: input dtype '${dtype}' is not supported (wasmcnn takes float32)`);
      return;
    }
    layers.push({ rec, index: i });
  });
  shape ??= t.config?.build_input_shape?.slice(1);
  checkInputShape(shape);
  return { layers, inputShape: shape, graph: null, keras3 };
}
