// cnn.model({ inputs, outputs }): a graph model from symbolic tensors, as tf.model() in TF.js.
//
// Walks back from the output to the input, putting the nodes in topological order, and adds each to
// a new core model as a node reading the earlier nodes it names (Model::add(config, inputs)).
// What differs from TF.js, on purpose:
//   - one input and one output (the core's graph has one of each); more is refused by name;
//   - a layer has one place in a graph: applying the same layer twice (a shared layer) is refused,
//     since the core gives each node its own weights and caches;
//   - a new model never shares weights with another: layers that come from a built model (cut at
//     model.getLayer(x).output, a model used as a layer, a layer of a built model applied again,
//     or a spec already built into a model) start from a copy of that model's weights; new layers
//     are initialised from the model's seed.
import { call } from './core.js';
import { Model } from './model.js';
import { layerDefs } from './layers.js';
import { inputTensor, symbolicList } from './symbolic.js';
import { fmt } from './tensor.js';

const NAME = /^[A-Za-z0-9_./-]{1,128}$/;

/** The nodes between input and output, inputs before readers; refuses a graph that is not one. */
function topologicalNodes(input, output) {
  const order = [];
  const state = new Map(); // node -> 1 on the stack, 2 done
  const stack = [[output, false]];
  while (stack.length) {
    const [t, expanded] = stack.pop();
    if (t === input) continue;
    const node = t._node;
    if (node.input) {
      throw new Error(`model: the output depends on the input '${t.name}' ${fmt(t.shape)}, which is not the model's input ` +
        `'${input.name}' (pass it as inputs, or build the graph from ${input.name})`);
    }
    if (expanded) {
      state.set(node, 2);
      order.push({ node, tensor: t });
      continue;
    }
    if (state.get(node) === 2) continue;
    state.set(node, 1);
    stack.push([t, true]);
    for (const x of node.inputs().slice().reverse()) if (x !== input && state.get(x._node) !== 2) stack.push([x, false]);
  }
  return order;
}

/** Layer names for the new model: given names kept, inlined ones prefixed on a clash, others numbered per kind. */
function nodeNames(entries) {
  const taken = new Set();
  const names = entries.map(({ spec, node }) => {
    let name = spec.config.name;
    if (name && taken.has(name) && node.inlinedFrom) name = `${node.inlinedFrom}_${name}`;
    if (name) {
      if (taken.has(name)) throw new Error(`model: two layers are named '${name}'; layer names must be unique in a model`);
      taken.add(name);
    }
    return name;
  });
  const counters = new Map();
  return names.map((name, i) => {
    if (name) return name;
    const type = layerDefs().byClass[entries[i].spec.className].type;
    let k = counters.get(type) ?? 1;
    while (taken.has(`${type}_${k}`)) k++;
    counters.set(type, k + 1);
    taken.add(`${type}_${k}`);
    return `${type}_${k}`;
  });
}

/** Copies each node's starting weights from the built model layer it comes from. */
function copyWeights(model, entries, names) {
  const sources = new Map(); // source model -> its weights
  const targets = model.getWeights();
  let copied = false;
  entries.forEach(({ source }, i) => {
    if (!source) return;
    if (!sources.has(source.model)) sources.set(source.model, source.model.getWeights());
    const fromName = source.model.getLayer(source.index).name;
    const from = sources.get(source.model).filter((w) => w.layer === fromName);
    const to = targets.filter((w) => w.layer === names[i]);
    if (from.length !== to.length) throw new Error(`model: layer '${names[i]}' has ${to.length} weights, its source '${fromName}' ${from.length}`);
    to.forEach((w, k) => {
      if (w.data.length !== from[k].data.length) {
        throw new Error(`model: layer '${names[i]}' ${w.name} has shape ${fmt(w.shape)} here but ${fmt(from[k].shape)} in ` +
          `model '${source.model.name}' it comes from (it is applied to an input of another shape)`);
      }
      w.data = from[k].data;
      copied = true;
    });
  });
  if (copied) model.setWeights(targets);
}

/**
 * A graph model from symbolic tensors: cnn.model({ inputs: x, outputs: y, name?, seed? }) with x from
 * cnn.input() (or another model's inputs) and y from layer.apply() (or a model layer's output).
 */
export function model(options = {}) {
  if (options === null || typeof options !== 'object') throw new Error('model: options must be an object such as { inputs, outputs }');
  const { inputs, outputs, name = 'model', seed = 42, ...rest } = options;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new Error(`model: unknown option '${unknown[0]}' (known: inputs, outputs, name, seed)`);
  if (inputs === undefined || outputs === undefined) throw new Error('model: needs { inputs, outputs }: symbolic tensors from cnn.input() and layer.apply()');
  const ins = symbolicList(inputs, 'model: inputs');
  const outs = symbolicList(outputs, 'model: outputs');
  if (ins.length !== 1) throw new Error(`model: wasmcnn models have one input, got ${ins.length} (${ins.map((t) => t.name).join(', ')})`);
  if (outs.length !== 1) throw new Error(`model: wasmcnn models have one output, got ${outs.length} (${outs.map((t) => t.name).join(', ')})`);
  const [input] = ins;
  if (!input._node.input) {
    throw new Error(`model: inputs must come from cnn.input() (or another model's inputs), got '${input.name}', the output of ` +
      `layer '${input.sourceLayer.name}'`);
  }
  if (typeof name !== 'string' || !NAME.test(name)) throw new Error(`model: name must be 1-128 letters, digits or _ . / -, got ${JSON.stringify(name)}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) {
    throw new Error(`model: seed must be a non-negative integer, got ${JSON.stringify(seed)}`);
  }
  const order = topologicalNodes(input, outs[0]);
  if (order.length === 0) throw new Error('model: the output is the input itself; apply at least one layer');
  const seen = new Map();
  for (const { node } of order) {
    const prior = seen.get(node.layer);
    if (prior) {
      throw new Error(`model: layer '${node.layer.name ?? node.spec().config.name ?? node.spec().className}' appears twice in the graph ` +
        '(a shared layer, or a model applied twice): wasmcnn gives each layer one place; create a separate layer for each place');
    }
    seen.set(node.layer, true);
  }
  const entries = order.map(({ node, tensor }) => {
    const source = node.source();
    return { node, tensor, spec: node.spec(), source: source && !source.model.disposed ? source : null };
  });
  const names = nodeNames(entries);
  const index = new Map(entries.map((e, i) => [e.node, i]));
  const handle = call((c) => c.createModel(input.shape.slice(1), seed));
  const m = new Model(handle);
  try {
    entries.forEach((e, i) => {
      const from = e.node.inputs().map((t) => (t === input ? '' : names[index.get(t._node)]));
      call(() => handle.addNode(e.spec.className, { ...e.spec.config, name: names[i] }, from));
    });
    copyWeights(m, entries, names);
    m._setGraph({ name, input });
  } catch (e) {
    m.dispose();
    throw e;
  }
  entries.forEach((e, i) => e.node.layer._built?.(m, i));
  return m;
}

/**
 * @internal A graph model from node records { className, config, inputs: [names] } in topological
 * order ('' is the input), as the TF.js importer reads them.
 */
export function graphModel({ inputShape, seed = 42, name = 'model', input: inputName = 'input_1', nodes }) {
  const handle = call((c) => c.createModel(inputShape, seed));
  const m = new Model(handle);
  try {
    for (const n of nodes) call(() => handle.addNode(n.className, n.config, n.inputs));
    m._setGraph({ name, input: inputTensor(inputShape, inputName) });
  } catch (e) {
    m.dispose();
    throw e;
  }
  return m;
}

export { input } from './symbolic.js';
