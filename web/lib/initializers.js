// Weight initializers, as TF.js' tf.initializers.*: each returns the name a layer option takes
// (kernelInitializer: cnn.initializers.heNormal() is the same as kernelInitializer: 'heNormal').
// The core draws them (src/layers/init.cpp); varianceScaling maps its (scale, mode, distribution)
// onto the one named initializer that has them, and refuses others by name.
import { layerDefs } from './layers.js';

// [scale, mode, distribution] of each named variance-scaling initializer ('normal' is truncated, as in Keras).
const SCALING = [
  ['glorotUniform', 1, 'fanAvg', 'uniform'], ['glorotNormal', 1, 'fanAvg', 'normal'],
  ['heUniform', 2, 'fanIn', 'uniform'], ['heNormal', 2, 'fanIn', 'normal'],
  ['leCunUniform', 1, 'fanIn', 'uniform'], ['leCunNormal', 1, 'fanIn', 'normal'],
];

function varianceScaling(options = {}) {
  if (options === null || typeof options !== 'object') throw new Error('initializers.varianceScaling: options must be an object');
  const { scale = 1, mode = 'fanIn', distribution = 'normal', seed, ...rest } = options;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new Error(`initializers.varianceScaling: unknown option '${unknown[0]}' (known: scale, mode, distribution)`);
  if (seed !== undefined) throw new Error('initializers.varianceScaling: seed is not supported (the model\'s seed draws every initial weight)');
  const dist = distribution === 'truncatedNormal' ? 'normal' : distribution;
  const found = SCALING.find(([, s, m, d]) => s === scale && m === mode && d === dist);
  if (!found) {
    throw new Error(`initializers.varianceScaling: scale ${scale}, mode '${mode}', distribution '${distribution}' is not supported; ` +
      `wasmcnn has ${SCALING.map(([n, s, m, d]) => `${n} (${s}, ${m}, ${d})`).join(', ')}`);
  }
  return found[0] === 'leCunNormal' && options.scale === undefined && options.mode === undefined ? 'varianceScaling' : found[0];
}

/** cnn.initializers.<name>(): one per initializer of the core, plus varianceScaling({ scale, mode, distribution }). */
export const initializers = new Proxy({ varianceScaling }, {
  get: (target, key) => {
    if (key === 'varianceScaling') return varianceScaling;
    return typeof key === 'string' && key in layerDefs().initializers ? () => key : undefined;
  },
  has: (target, key) => key === 'varianceScaling' || key in layerDefs().initializers,
  ownKeys: () => Object.keys(layerDefs().initializers),
  getOwnPropertyDescriptor: (target, key) => (key in layerDefs().initializers
    ? { value: key === 'varianceScaling' ? varianceScaling : () => key, enumerable: true, configurable: true, writable: false }
    : undefined),
});
