// LeNet-5 in TensorFlow.js layers, shared by the cpu and wasm backend peers. TF.js uses wasmcnn's
// layouts (NHWC data, HWIO conv kernels, [in, units] dense kernels), so weights copy over as they are.
import { CLASSES, lenetWeights, OPTIMIZER, SHAPES } from './common.mjs';

export function lenet(tf, seed) {
  const init = (i) => tf.initializers.glorotUniform({ seed: seed + i });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init(0) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 120, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 84, activation: 'relu', kernelInitializer: init(3) }),
      tf.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
  // tf.train.momentum: v = m v + g; w -= lr v, which is wasmcnn's and ConvNetJS's
  // v = m v - lr g; w += v for a constant learning rate.
  model.compile({ optimizer: tf.train.momentum(OPTIMIZER.learningRate, OPTIMIZER.momentum), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** Sets a TF.js LeNet's weights from wasmcnn's getWeights() list. */
export function setWeights(tf, model, list) {
  const w = lenetWeights(list);
  const tensors = Object.keys(SHAPES).flatMap((k) => [tf.tensor(w[k].kernel, SHAPES[k][0]), tf.tensor(w[k].bias, SHAPES[k][1])]);
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** model.predict on n images, read back; every tensor disposed. */
export function predict(tf, model, x, n, batchSize) {
  const xt = tf.tensor4d(x, [n, 28, 28, 1]);
  const y = model.predict(xt, { batchSize });
  const out = y.dataSync();
  tf.dispose([xt, y]);
  return out;
}
