// Type declarations and reference documentation for wasmcnn, the npm library in web/lib.
//
// wasmcnn trains and runs convolutional networks (sequential stacks and graphs with one input and
// one output) in browsers, workers and Node, on a C++
// core compiled to WebAssembly SIMD. The API follows TensorFlow.js' layers API (Keras in camelCase):
//
//   import * as cnn from 'wasmcnn';
//   const { images, labels } = await cnn.data.mnistSample({ count: 8000 });
//   const model = cnn.sequential({ inputShape: [28, 28, 1], seed: 7, layers: [
//     cnn.layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
//     cnn.layers.maxPooling2d({ poolSize: 2 }),
//     cnn.layers.flatten(),
//     cnn.layers.dense({ units: 10, activation: 'softmax' }),
//   ] });
//   model.compile({ optimizer: cnn.optimizers.adam({ learningRate: 1e-3 }), loss: 'sparseCategoricalCrossentropy' });
//   const history = await model.fit(images, labels, { epochs: 2, batchSize: 32, validationSplit: 0.1 });
//   model.predict(images.slice(0, 5)).argMax();   // Int32Array of 5 class indices
//   model.dispose();                              // frees the model's wasm memory
//
// Conventions that hold throughout:
// - Images are NHWC float32 (batch first, channels last), as TensorFlow.js lays them out.
// - Shapes reported by a model start with `null`, the batch dimension: [null, 28, 28, 1].
// - Every invalid argument throws an `Error` whose message names the call, the option and the value
//   (e.g. "fit: batchSize must be a positive integer, got 0"). The library stays usable afterwards.
// - Objects that hold wasm memory (only `Model`) have `dispose()`; `Tensor`s are plain JavaScript.
// - The same seed gives the same trained weights, bit for bit, in Node and in browsers.

// ---------------------------------------------------------------------------------------------
// Loading the core
// ---------------------------------------------------------------------------------------------

/**
 * A compiled `WebAssembly.Module`. Typed as `object` (lib.dom's Module interface is empty anyway) so
 * these declarations need neither the DOM lib nor Node's types.
 */
export type CompiledWasm = object;

/**
 * Where the WebAssembly core comes from: a URL (a relative one resolves against the page in
 * browsers, the working directory under Node), its bytes, or a compiled module.
 */
export type WasmSource = string | URL | ArrayBuffer | ArrayBufferView | CompiledWasm;

/** Options of {@link ready}. */
export interface ReadyOptions {
  /**
   * The location or contents of the `.wasm`: `wasmcnn_core_mt.wasm` where the pthreads build loads
   * (Node, cross-origin isolated pages and workers), else `wasmcnn_core.wasm`. Defaults to the file
   * next to the library (read with `node:fs` under Node, fetched elsewhere), which Vite, webpack and
   * Parcel emit and point to by themselves. Pass it when you serve the file elsewhere. Training
   * workers use it too.
   */
  wasmUrl?: WasmSource;
  /** The older name of `wasmUrl`. */
  wasm?: WasmSource;
  /**
   * Where {@link trainInWorker} finds the worker script (`wasmcnn/worker`, web/lib/worker.js with
   * the modules it imports), when you serve it yourself; relative to the page. Default: next to the library.
   */
  workerUrl?: string | URL;
  /**
   * `false` loads the single-thread build even where the pthreads build could run (Node, or a
   * cross-origin isolated page or worker). Honoured by the call that loads the core only: once
   * loaded, the core stays. Default: the pthreads build wherever SharedArrayBuffer exists.
   */
  threads?: boolean;
}

/**
 * Loads the WebAssembly core. Importing the package already starts (and awaits) this, so the
 * synchronous API (`sequential`, `predict`, ...) works right after `import`. Call it yourself to
 * wait explicitly, or with `{ wasmUrl }` to load the core from another location when the automatic
 * load failed (e.g. a bundler that does not copy assets). A failed load rejects with an Error that
 * names the URL, what the server answered and what to do, and the next call retries; once the core
 * is loaded, every call resolves to that same core (`wasmUrl` is then ignored; `workerUrl` is kept).
 * @returns a promise of the loaded Emscripten module (internal; only its resolution matters).
 */
export function ready(options?: ReadyOptions): Promise<unknown>;

/** What {@link memory} reports. */
export interface MemoryInfo {
  /** Size of the wasm instance's linear memory in bytes. It grows on demand and never shrinks. */
  wasmBytes: number;
  /** Bytes currently handed out by the core's malloc (models, their caches, staging buffers). */
  heapUsed: number;
}

/**
 * Memory of the wasm instance. Use it to check that models are disposed: `heapUsed` returns to its
 * earlier value once every model made since is disposed (except that the first save() leaves a
 * buffer of about one model file's size, reused by later saves), and a loop of `predict` calls on
 * one model does not grow either figure after the first call (heapUsed may wobble by a few bytes).
 */
export function memory(): MemoryInfo;

// ---------------------------------------------------------------------------------------------
// Threads
// ---------------------------------------------------------------------------------------------

/**
 * How the work of this context (the page, a worker, or Node) is spread over threads:
 * - `'single'`: one thread, the plain single-thread path (`threads() === 1`);
 * - `'pthreads'`: the threaded build's pool (SharedArrayBuffer: Node, and pages that are cross-origin
 *   isolated, i.e. served with `Cross-Origin-Opener-Policy: same-origin` and
 *   `Cross-Origin-Embedder-Policy: require-corp`);
 * - `'workers'`: helper workers, each with its own single-thread module; works in any page.
 */
export type ThreadStrategy = 'single' | 'pthreads' | 'workers';

/** Options of {@link setThreads}. */
export interface SetThreadsOptions {
  /**
   * `'auto'` (default): `'pthreads'` when the threaded build is loaded, else `'workers'`. Forcing
   * `'pthreads'` where only the single-thread build loads rejects with an Error saying why.
   */
  strategy?: 'auto' | 'pthreads' | 'workers';
}

/** What {@link backendInfo} reports. */
export interface BackendInfo {
  /** What runs now. */
  strategy: ThreadStrategy;
  /** {@link threads}(). */
  threads: number;
  /** The WebAssembly build loaded in this context. */
  build: 'single' | 'pthreads';
  /** `globalThis.crossOriginIsolated` (false under Node). */
  crossOriginIsolated: boolean;
  /** Hardware threads: `navigator.hardwareConcurrency`, under Node `os.availableParallelism()`. */
  hardwareConcurrency: number;
  /** Samples per shard: a training batch is split into shards of this many samples (see {@link setThreads}). */
  shardSize: 16;
  simd: true;
}

/**
 * Sets how many threads `fit`, `predict`/{@link Model.predictAsync} and {@link trainInWorker} use in
 * this context: n from 1 to 16. n = 1 is the single-thread path (no pool, no helper workers; helper
 * workers already started are ended). Helper workers start when a call first needs them and are
 * reused; idle ones do not keep Node running.
 *
 * The result does not depend on n or the strategy: a training batch is cut into fixed shards of 16
 * samples whose gradients are summed in shard order (BatchNormalization normalises each shard with
 * its own statistics, as Keras' `virtualBatchSize`), so for a seed the trained weights and every
 * prediction are the same, bit for bit, on 1 to 16 threads, with pthreads or with workers. A batch
 * of 16 samples or fewer is one shard: one thread computes it.
 *
 * Before any call: min(hardware threads, 4) (1 on a one-thread machine), strategy `'auto'`.
 * @throws (rejects) Error for an n that is not an integer from 1 to 16, an unknown strategy or
 *   option, or `'pthreads'` without the threaded build.
 * @example
 *   await cnn.setThreads(2);
 *   cnn.backendInfo();   // { strategy: 'workers', threads: 2, build: 'single', crossOriginIsolated: false, ... }
 */
export function setThreads(n: number, options?: SetThreadsOptions): Promise<void>;

/** The thread count of this context (see {@link setThreads}). */
export function threads(): number;

/** Which strategy runs here, on how many threads, with which build, and why. */
export function backendInfo(): BackendInfo;

/** The package version, e.g. "0.1.0". */
export const version: string;

// ---------------------------------------------------------------------------------------------
// Tensors
// ---------------------------------------------------------------------------------------------

/** Integer pixels or plain numbers accepted by {@link tensor}. */
export type TensorData = Float32Array | Float64Array | Uint8Array | Uint8ClampedArray | Int8Array | Uint16Array |
  Int16Array | Uint32Array | Int32Array | ArrayLike<number>;

/** A tensor-like record `{ data, shape }` (e.g. received from a worker); accepted wherever a Tensor is. */
export interface TensorLike {
  data: ArrayLike<number>;
  shape: ArrayLike<number>;
}

/**
 * A float32 array with a shape, batch first (NHWC for images). Plain JavaScript memory: there is
 * nothing to dispose. Make one with {@link tensor}, which checks its arguments.
 */
export class Tensor {
  /**
   * Wraps `data` as is, without checks (prefer {@link tensor}). Models check it when it is used:
   * a shape whose product is not `data.length` throws there.
   */
  constructor(data: Float32Array, shape: number[]);
  /** The values, row-major. */
  data: Float32Array;
  /** Dimensions, batch first: [n, h, w, c] for images, [n, k] for model outputs. */
  shape: number[];
  /** Always 'float32'. */
  readonly dtype: 'float32';
  /** Number of values (`data.length`). */
  readonly size: number;
  /** Number of dimensions (`shape.length`). */
  readonly rank: number;
  /**
   * Samples [begin, begin + count) along the first axis, copied (sharing no memory with this tensor).
   * @param count defaults to the rest of the tensor.
   * @throws Error when the range leaves the first axis.
   */
  slice(begin: number, count?: number): Tensor;
  /**
   * Index of the largest value along `axis` (default -1, the last: the predicted class of each sample
   * of an [n, k] output; negative axes count from the end; the first index wins ties), laid out as
   * the shape without that axis, row-major.
   * @throws Error for an axis outside [-rank, rank - 1].
   */
  argMax(axis?: number): Int32Array;
  /** "Tensor [n,...]". */
  toString(): string;
}

/** Options of {@link tensor}. */
export interface TensorOptions {
  /**
   * Every value is multiplied by it (default 1). Pass `1 / 255` to turn 0..255 pixels into [0, 1].
   * With a Float32Array and no scale, the array is used as is (not copied).
   */
  scale?: number;
}

/**
 * Makes a float32 tensor. `data` is a Float32Array (used as is), a number array, or any typed array
 * (integer pixels, e.g. a Uint8Array or an ImageData's Uint8ClampedArray), converted and multiplied by `scale`.
 * @param shape positive integers whose product is `data.length`, batch first.
 * @throws Error naming the problem for a bad shape, a length mismatch, or a non-finite scale.
 * @example cnn.tensor(pixels, [1, 28, 28, 1], { scale: 1 / 255 })
 */
export function tensor(data: TensorData, shape: number[], options?: TensorOptions): Tensor;

/**
 * Targets for fit/evaluate. For `sparseCategoricalCrossentropy`: class indices, one per sample (an
 * array, a typed array such as the Uint8Array of {@link data.mnistSample}, or a tensor [n] or [n, 1]).
 * For `categoricalCrossentropy` and `meanSquaredError`: a tensor [n, k] (one-hot rows for the former),
 * k being the model's output units.
 */
export type Labels = ArrayLike<number> | Tensor | TensorLike;

// ---------------------------------------------------------------------------------------------
// Layers
// ---------------------------------------------------------------------------------------------

/**
 * Activation functions, with TF.js's names and definitions. `softmax` on the last layer pairs with the
 * cross-entropy losses (computed stably from its logits). `relu6` is min(max(x, 0), 6); `swish` and
 * `silu` are x * sigmoid(x); `gelu` is x * Phi(x) (the exact erf form); `hardSigmoid` is clip(0.2 x + 0.5, 0, 1) (TF.js and Keras 2, not Keras 3's
 * relu6(x + 3) / 6); `selu` uses TF.js's constants; `mish` is x * tanh(softplus(x)).
 */
export type ActivationName =
  | 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax'
  | 'relu6' | 'elu' | 'selu' | 'swish' | 'silu' | 'gelu' | 'hardSigmoid' | 'softplus' | 'softsign' | 'mish';

/** Weight initialisers (Keras' definitions); camelCase or Keras' snake_case names. */
export type InitializerName =
  | 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'leCunUniform' | 'lecunUniform' | 'zeros' | 'ones'
  | 'leCunNormal' | 'lecunNormal' | 'varianceScaling'
  | 'glorot_uniform' | 'glorot_normal' | 'he_uniform' | 'he_normal' | 'lecun_uniform' | 'lecun_normal' | 'variance_scaling';

/** 'valid': no padding (the output shrinks by kernel - 1); 'same': zero padding keeps size / stride. */
export type Padding = 'valid' | 'same';

/** One integer for both dimensions, or [height, width]. */
export type Size2 = number | [number, number];

/** A weight penalty from {@link regularizers}: loss += l1 * sum|w| + l2 * sum w^2. */
export interface Regularizer {
  className: 'L1L2';
  config: { l1: number; l2: number };
}

/** Options every layer accepts. */
export interface LayerOptions {
  /** Unique name: 1-128 letters, digits or `_ . / -`. Defaults to `<type>_<k>`, e.g. 'dense_2'. */
  name?: string;
  /** false freezes the layer: fit() leaves its weights bit-identical (BatchNormalization then runs in inference mode). Default true. */
  trainable?: boolean;
  /** The model's input shape without the batch dimension; read from the first layer when {@link SequentialOptions.inputShape} is omitted. */
  inputShape?: number[];
  /** Multiplies the learning rate for this layer's weights (fine-tuning); >= 0, default 1. */
  lrMultiplier?: number;
}

/** Options of layers with weights (conv2d, dense). */
export interface WeightedLayerOptions extends LayerOptions {
  /** Applied to the output; default 'linear'. */
  activation?: ActivationName;
  /** Whether the layer adds a bias; default true. */
  useBias?: boolean;
  /** Default 'glorotUniform'. */
  kernelInitializer?: InitializerName;
  /** Default 'zeros'. */
  biasInitializer?: InitializerName;
  /** Penalty on the kernel, from {@link regularizers}. */
  kernelRegularizer?: Regularizer | null;
  /** Penalty on the bias, from {@link regularizers}. */
  biasRegularizer?: Regularizer | null;
}

/** Options of {@link layers.conv2d}: a 2-D convolution over NHWC images (kernel [kh, kw, ic, oc]). */
export interface Conv2DOptions extends WeightedLayerOptions {
  /** Number of output channels (oc). Required. */
  filters: number;
  /** Kernel height and width. Required. */
  kernelSize: Size2;
  /** Default 1. */
  strides?: Size2;
  /** Default 'valid'. */
  padding?: Padding;
  /** Spacing of the kernel's taps (atrous convolution); default 1. Strides and dilationRate cannot both be above 1. */
  dilationRate?: Size2;
}

/** Options of {@link layers.dense}: a fully connected layer on a flat input [features] (kernel [in, units]). */
export interface DenseOptions extends WeightedLayerOptions {
  /** Output size. Required. */
  units: number;
}

/** Options of {@link layers.activation}. */
export interface ActivationOptions extends LayerOptions {
  /** Required. */
  activation: ActivationName;
}

/** Options of the 2-D pooling layers. */
export interface Pooling2DOptions extends LayerOptions {
  /** Window height and width; default 2. */
  poolSize?: Size2;
  /** Default: the pool size (non-overlapping windows). */
  strides?: Size2;
  /** Default 'valid'. */
  padding?: Padding;
}

/** Options of {@link layers.dropout}. */
export interface DropoutOptions extends LayerOptions {
  /** Fraction of inputs zeroed during training (inverted dropout), in [0, 1). Required. Identity at inference. */
  rate: number;
}

/** Options of {@link layers.batchNormalization} (normalises the last axis, channels). */
export interface BatchNormalizationOptions extends LayerOptions {
  /** Of the moving mean and variance, in [0, 1]; default 0.99. */
  momentum?: number;
  /** Added to the variance, in [1e-12, 1]; default 1e-3. */
  epsilon?: number;
  /** Learn an offset (beta); default true. */
  center?: boolean;
  /** Learn a scale (gamma); default true. */
  scale?: boolean;
}

/** Options of {@link layers.gaussianNoise}. */
export interface GaussianNoiseOptions extends LayerOptions {
  /** Standard deviation of the zero-mean noise added during training (identity at inference). Required, >= 0. */
  stddev: number;
}

/** Margins: p or [h, w] (symmetric), or [[top, bottom], [left, right]]; integers >= 0. */
export type Margins2D = number | [number, number] | [[number, number], [number, number]];

/** Options of {@link layers.zeroPadding2d}. */
export interface ZeroPadding2DOptions extends LayerOptions {
  /** Rows added above and below, columns left and right. Default 1. */
  padding?: Margins2D;
}

/** Options of {@link layers.reshape}. */
export interface ReshapeOptions extends LayerOptions {
  /** The per-sample output shape, 1 to 3 positive integers holding as many values as the input; one may be -1 (what the input leaves). Required. */
  targetShape: number[];
}

/** Options of {@link layers.depthwiseConv2d}: one kernel per input channel (depthwise_kernel [kh, kw, c, depthMultiplier]). */
export interface DepthwiseConv2DOptions extends Omit<WeightedLayerOptions, 'kernelInitializer' | 'kernelRegularizer'> {
  /** Kernel height and width. Required. */
  kernelSize: Size2;
  /** Output channels per input channel; default 1. */
  depthMultiplier?: number;
  /** Default 1. */
  strides?: Size2;
  /** Default 'valid'. */
  padding?: Padding;
  /** Spacing of the kernel's taps; default 1. Strides and dilationRate cannot both be above 1. */
  dilationRate?: Size2;
  /** Default 'glorotUniform'. */
  depthwiseInitializer?: InitializerName;
  /** Penalty on the depthwise kernel, from {@link regularizers}. */
  depthwiseRegularizer?: Regularizer | null;
}

/** Options of {@link layers.separableConv2d}: a depthwise convolution, then a 1x1 one to `filters` channels. */
export interface SeparableConv2DOptions extends DepthwiseConv2DOptions {
  /** Number of output channels. Required. */
  filters: number;
  /** Default 'glorotUniform'. */
  pointwiseInitializer?: InitializerName;
  /** Penalty on the pointwise kernel, from {@link regularizers}. */
  pointwiseRegularizer?: Regularizer | null;
}

/** Options of {@link layers.cropping2d}. */
export interface Cropping2DOptions extends LayerOptions {
  /** Rows removed above and below, columns left and right. Required. */
  cropping: Margins2D;
}

/** Options of {@link layers.conv2dTranspose}: the adjoint of a conv2d (kernel [kh, kw, filters, ic], as TF.js). */
export interface Conv2DTransposeOptions extends WeightedLayerOptions {
  /** Number of output channels. Required. */
  filters: number;
  /** Kernel height and width. Required. */
  kernelSize: Size2;
  /** Default 1. Output size: in * strides ('same') or in * strides + max(kernelSize - strides, 0) ('valid'). */
  strides?: Size2;
  /** Default 'valid'. */
  padding?: Padding;
}

/** Options of {@link layers.permute}. */
export interface PermuteOptions extends LayerOptions {
  /** The input axes in output order, 1-based (the batch axis is not counted), e.g. [2, 1, 3]. Required. */
  dims: number[];
}

/** Options of {@link layers.upSampling2d}. */
export interface UpSampling2DOptions extends LayerOptions {
  /** Row and column factors; default 2. */
  size?: Size2;
  /** 'nearest' (repeat, the default) or 'bilinear' (TF.js' sampling: corners aligned at the top left). */
  interpolation?: 'nearest' | 'bilinear';
}

// Activation, merge and dropout layers (issue #14).

/** Options of {@link layers.reLU} (Keras' ReLU: maxValue if x >= maxValue, x if threshold <= x, else negativeSlope * (x - threshold)). */
export interface ReLUOptions extends LayerOptions {
  /** Upper bound, >= 0; null (the default) for none. `maxValue: 6` is relu6. */
  maxValue?: number | null;
  /** Slope below the threshold, >= 0; default 0. TF.js's ReLU has no such option: export needs 0. */
  negativeSlope?: number;
  /** Where the slope changes, >= 0; default 0. TF.js's ReLU has no such option: export needs 0. */
  threshold?: number;
}

/** Options of {@link layers.leakyReLU} and {@link layers.elu}. */
export interface AlphaOptions extends LayerOptions {
  /** leakyReLU: the slope for x < 0, default 0.3 (TF.js's). elu: alpha * (exp(x) - 1) for x <= 0, default 1 (TF.js exports only 1). */
  alpha?: number;
}

/** Options of {@link layers.prelu}. */
export interface PReLUOptions extends LayerOptions {
  /** Initial alpha; default 'zeros'. */
  alphaInitializer?: InitializerName;
  /** Axes (1 = the first per-sample axis) that share one alpha, e.g. [1, 2] for one per channel of an image; default null (one per value). */
  sharedAxes?: number[] | null;
}

/** Options of {@link layers.softmax} and {@link layers.concatenate}. */
export interface AxisOptions extends LayerOptions {
  /** A per-sample axis, 1..rank or -rank..-1 (the batch is axis 0); default -1, the last. */
  axis?: number;
}

/** Options of {@link layers.spatialDropout2d} and {@link layers.gaussianDropout}. */
export interface RateOptions extends LayerOptions {
  /** In [0, 1). Required. spatialDropout2d: the fraction of whole channels zeroed; gaussianDropout: noise variance rate / (1 - rate). */
  rate: number;
}

/** The Keras class names of the layers wasmcnn implements. */
export type LayerClassName =
  | 'Conv2D' | 'Dense' | 'Flatten' | 'Activation' | 'MaxPooling2D' | 'AveragePooling2D' | 'SumPooling2D'
  | 'GlobalAveragePooling2D' | 'Dropout' | 'BatchNormalization' | 'GaussianNoise' | 'Add' | 'ZeroPadding2D' | 'Reshape'
  | 'DepthwiseConv2D' | 'SeparableConv2D' | 'GlobalMaxPooling2D' | 'Cropping2D' | 'UpSampling2D' | 'Conv2DTranspose' | 'Permute'
  | 'ReLU' | 'LeakyReLU' | 'ELU' | 'PReLU' | 'Softmax' | 'SpatialDropout2D' | 'GaussianDropout'
  | 'Subtract' | 'Multiply' | 'Average' | 'Maximum' | 'Minimum' | 'Concatenate';

/**
 * A layer spec: a plain, JSON-safe record `{ className, config }` with Keras' class name and camelCase
 * options, as TensorFlow.js writes them. Made by the {@link layers} factories (which check the options
 * at once) and read back by {@link Model.toSpec} and {@link Layer.getConfig}. Specs written by hand or
 * parsed from JSON are checked the same way when a model is built from them.
 */
export interface LayerRecord<C extends LayerClassName = LayerClassName, O extends LayerOptions = LayerOptions> {
  className: C;
  config: O;
}

/**
 * A layer spec from a {@link layers} factory: the plain record (what JSON.stringify and
 * structuredClone copy) plus the functional API, as TF.js layers have it. Once {@link model} has
 * built it, `name`, `trainable` and its weights are those of the first model built from it.
 */
export interface LayerSpec<C extends LayerClassName = LayerClassName, O extends LayerOptions = LayerOptions> extends LayerRecord<C, O> {
  /**
   * The layer applied to symbolic tensors (one, or several for a merge layer such as add): its
   * symbolic output. The output shape is checked at once.
   * @throws Error naming the layer and the input shapes for inputs that do not fit, and when the
   *   layer is already applied (wasmcnn does not share a layer between two places of a graph).
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor;
  /** What apply() returned. @throws Error before apply(). */
  readonly output: SymbolicTensor;
  /** What apply() was given (an array for several inputs). @throws Error before apply(). */
  readonly input: SymbolicTensor | SymbolicTensor[];
  /** Its name in the model it was built into, else config.name. */
  readonly name: string | undefined;
  /** Sets config.trainable, and the layer's flag in the model it was built into. */
  trainable: boolean;
}

/**
 * Layer factories. Each checks its options immediately and throws an Error naming the layer and the
 * option for an unknown option name, a missing required option or a value of the wrong type or range
 * (sizes such as units, filters, kernelSize, strides and poolSize are positive integers below 2^31).
 * Shapes are checked when the layer is added to a model (e.g. a dense layer straight after a
 * convolution throws "dense 'dense_1': expected a flat input [features], got [24,24,6]; add a flatten layer before it").
 */
export const layers: {
  /** 2-D convolution: [h, w, ic] -> [h', w', filters]. */
  conv2d(options: Conv2DOptions): LayerSpec<'Conv2D', Conv2DOptions>;
  /** Fully connected: [features] -> [units]. Needs a flat input (put {@link layers.flatten} after convolutions). */
  dense(options: DenseOptions): LayerSpec<'Dense', DenseOptions>;
  /** Reshapes [h, w, c] to [h * w * c]. */
  flatten(options?: LayerOptions): LayerSpec<'Flatten', LayerOptions>;
  /** An activation function as a layer of its own. */
  activation(options: ActivationOptions): LayerSpec<'Activation', ActivationOptions>;
  /** Maximum over each window. */
  maxPooling2d(options?: Pooling2DOptions): LayerSpec<'MaxPooling2D', Pooling2DOptions>;
  /** Mean over each window. */
  averagePooling2d(options?: Pooling2DOptions): LayerSpec<'AveragePooling2D', Pooling2DOptions>;
  /** Sum over each window (LeNet's original subsampling, without its trainable scale). */
  sumPooling2d(options?: Pooling2DOptions): LayerSpec<'SumPooling2D', Pooling2DOptions>;
  /** Mean over height and width: [h, w, c] -> [c]. */
  globalAveragePooling2d(options?: LayerOptions): LayerSpec<'GlobalAveragePooling2D', LayerOptions>;
  /** Inverted dropout during training, identity at inference; the mask comes from the model's seeded generator. */
  dropout(options: DropoutOptions): LayerSpec<'Dropout', DropoutOptions>;
  /** Batch normalisation (Ioffe & Szegedy 2015) over the channels, with moving statistics for inference. */
  batchNormalization(options?: BatchNormalizationOptions): LayerSpec<'BatchNormalization', BatchNormalizationOptions>;
  /** Adds seeded Gaussian noise during training (a regulariser); identity at inference. */
  gaussianNoise(options: GaussianNoiseOptions): LayerSpec<'GaussianNoise', GaussianNoiseOptions>;
  /**
   * Sums two or more inputs of one shape (Keras' Add), for residual connections. The core's graph
   * models (nodes reading any earlier nodes) use it; a sequential model gives each layer one input,
   * so adding it there throws "add 'add_1': takes two or more inputs, got 1 ...".
   */
  add(options?: LayerOptions): LayerSpec<'Add', LayerOptions>;
  /** Frames each image with zeros: [h, w, c] -> [h + top + bottom, w + left + right, c]. */
  zeroPadding2d(options?: ZeroPadding2DOptions): LayerSpec<'ZeroPadding2D', ZeroPadding2DOptions>;
  /** The same values in another per-sample shape, e.g. [784] -> [28, 28, 1]. */
  reshape(options: ReshapeOptions): LayerSpec<'Reshape', ReshapeOptions>;
  /** Depthwise 2-D convolution: [h, w, c] -> [h', w', c * depthMultiplier]. */
  depthwiseConv2d(options: DepthwiseConv2DOptions): LayerSpec<'DepthwiseConv2D', DepthwiseConv2DOptions>;
  /** Depthwise-separable 2-D convolution: [h, w, c] -> [h', w', filters] (weights depthwise_kernel, pointwise_kernel, bias). */
  separableConv2d(options: SeparableConv2DOptions): LayerSpec<'SeparableConv2D', SeparableConv2DOptions>;
  /** Maximum over height and width: [h, w, c] -> [c]. */
  globalMaxPooling2d(options?: LayerOptions): LayerSpec<'GlobalMaxPooling2D', LayerOptions>;
  /** Cuts a frame off each image: [h, w, c] -> [h - top - bottom, w - left - right, c]. */
  cropping2d(options: Cropping2DOptions): LayerSpec<'Cropping2D', Cropping2DOptions>;
  /** Enlarges each image: [h, w, c] -> [h * size[0], w * size[1], c]. */
  upSampling2d(options?: UpSampling2DOptions): LayerSpec<'UpSampling2D', UpSampling2DOptions>;
  /** Transposed ("fractionally strided") convolution: [h, w, ic] -> [h', w', filters]. */
  conv2dTranspose(options: Conv2DTransposeOptions): LayerSpec<'Conv2DTranspose', Conv2DTransposeOptions>;
  /** Reorders the per-sample axes: [h, w, c] with dims [3, 1, 2] -> [c, h, w]. */
  permute(options: PermuteOptions): LayerSpec<'Permute', PermuteOptions>;
  /** Keras' ReLU layer, with an optional cap (MobileNet's relu6), slope and threshold. */
  reLU(options?: ReLUOptions): LayerSpec<'ReLU', ReLUOptions>;
  /** x for x >= 0, alpha * x below (alpha default 0.3). */
  leakyReLU(options?: AlphaOptions): LayerSpec<'LeakyReLU', AlphaOptions>;
  /** x for x > 0, alpha * (exp(x) - 1) below (alpha default 1). */
  elu(options?: AlphaOptions): LayerSpec<'ELU', AlphaOptions>;
  /** Leaky ReLU with a learned slope (weight 'alpha', shaped as the input with sharedAxes set to 1). */
  prelu(options?: PReLUOptions): LayerSpec<'PReLU', PReLUOptions>;
  /** Softmax over one axis (default the last; as the last layer it pairs with the cross-entropy losses). */
  softmax(options?: AxisOptions): LayerSpec<'Softmax', AxisOptions>;
  /** Dropout of whole channels of an image [h, w, c] during training (one draw per sample and channel); identity at inference. */
  spatialDropout2d(options: RateOptions): LayerSpec<'SpatialDropout2D', RateOptions>;
  /** Multiplies by seeded N(1, rate / (1 - rate)) noise during training; identity at inference. */
  gaussianDropout(options: RateOptions): LayerSpec<'GaussianDropout', RateOptions>;
  /** x0 - x1 of two inputs of one shape. A merge layer, like {@link layers.add}: graph models only. */
  subtract(options?: LayerOptions): LayerSpec<'Subtract', LayerOptions>;
  /** The element-wise product of two or more inputs of one shape (a merge layer: graph models only). */
  multiply(options?: LayerOptions): LayerSpec<'Multiply', LayerOptions>;
  /** The element-wise mean of two or more inputs of one shape (a merge layer: graph models only). */
  average(options?: LayerOptions): LayerSpec<'Average', LayerOptions>;
  /** The element-wise maximum (on ties the gradient goes to the first input); a merge layer: graph models only. */
  maximum(options?: LayerOptions): LayerSpec<'Maximum', LayerOptions>;
  /** The element-wise minimum (on ties the gradient goes to the first input); a merge layer: graph models only. */
  minimum(options?: LayerOptions): LayerSpec<'Minimum', LayerOptions>;
  /** Joins inputs that match on every axis but `axis` (default -1: channels), a merge layer for graph models. */
  concatenate(options?: AxisOptions): LayerSpec<'Concatenate', AxisOptions>;
};

/** Initializers as TF.js' tf.initializers: each returns the name kernelInitializer/biasInitializer take. */
export const initializers: {
  /** Glorot (Xavier) uniform: limit sqrt(6 / (fanIn + fanOut)). */
  glorotUniform(): InitializerName;
  /** Glorot normal (truncated at 2 standard deviations, as Keras). */
  glorotNormal(): InitializerName;
  /** He uniform: limit sqrt(6 / fanIn). */
  heUniform(): InitializerName;
  /** He normal (truncated). */
  heNormal(): InitializerName;
  /** LeCun uniform: limit sqrt(3 / fanIn). */
  leCunUniform(): InitializerName;
  /** LeCun normal (truncated): variance 1 / fanIn. */
  leCunNormal(): InitializerName;
  /** All zeros. */
  zeros(): InitializerName;
  /** All ones. */
  ones(): InitializerName;
  /**
   * Keras' VarianceScaling (defaults scale 1, mode 'fanIn', distribution 'normal' (truncated)):
   * the named initializer with the same scale, mode and distribution.
   * @throws Error for a combination no named initializer has (the message lists them), or a seed.
   */
  varianceScaling(options?: { scale?: number; mode?: 'fanIn' | 'fanOut' | 'fanAvg'; distribution?: 'normal' | 'uniform' | 'truncatedNormal' }): InitializerName;
};

/** Weight penalties for {@link WeightedLayerOptions.kernelRegularizer} / `biasRegularizer`. Coefficients are finite and >= 0. */
export const regularizers: {
  /** loss += l1 * sum|w| (default l1 0.01). */
  l1(options?: { l1?: number }): Regularizer;
  /** loss += l2 * sum w^2 (default l2 0.01). */
  l2(options?: { l2?: number }): Regularizer;
  /** Both penalties (defaults 0.01 each). */
  l1l2(options?: { l1?: number; l2?: number }): Regularizer;
};

// ---------------------------------------------------------------------------------------------
// Optimizers, losses, compile
// ---------------------------------------------------------------------------------------------

/** Options of {@link optimizers.sgd}. */
export interface SgdOptions {
  /** Default 0.01. */
  learningRate?: number;
  /** In [0, 1); default 0 (plain SGD). */
  momentum?: number;
  /** Nesterov momentum; default false. */
  nesterov?: boolean;
}

/** Options of {@link optimizers.adam} (Keras' defaults). */
export interface AdamOptions {
  /** Default 0.001. */
  learningRate?: number;
  /** In [0, 1); default 0.9. */
  beta1?: number;
  /** In [0, 1); default 0.999. */
  beta2?: number;
  /** Default 1e-7. */
  epsilon?: number;
}

/** An SGD optimizer spec, as made by {@link optimizers.sgd}. */
export interface SgdSpec {
  type: 'sgd';
  learningRate: number;
  momentum: number;
  nesterov: boolean;
}

/** An Adam optimizer spec, as made by {@link optimizers.adam}. */
export interface AdamSpec {
  type: 'adam';
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** Options of {@link optimizers.rmsprop} (TF.js' defaults). */
export interface RmspropOptions {
  /** Default 0.001. */
  learningRate?: number;
  /** Decay of the running mean square, in [0, 1); default 0.9. */
  rho?: number;
  /** TF.js' name for rho (give one of them). */
  decay?: number;
  /** In [0, 1); default 0. */
  momentum?: number;
  /** Default 1e-7. */
  epsilon?: number;
}

/** An RMSprop optimizer spec, as made by {@link optimizers.rmsprop}. */
export interface RmspropSpec {
  type: 'rmsprop';
  learningRate: number;
  rho: number;
  momentum: number;
  epsilon: number;
}

/** The full optimizer record a compiled model keeps (see {@link CompileConfig}); every field present (rho only for rmsprop). */
export interface OptimizerConfig {
  type: 'sgd' | 'adam' | 'rmsprop';
  learningRate: number;
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  epsilon: number;
  rho?: number;
}

/** An optimizer for {@link CompileOptions.optimizer}: a name (with default settings) or a spec. */
export type Optimizer = 'sgd' | 'adam' | 'rmsprop' | SgdSpec | AdamSpec | RmspropSpec | OptimizerConfig;

/** Optimizer factories. Options are checked at once (unknown names, negative or non-finite numbers throw). */
export const optimizers: {
  /** SGD with optional (Nesterov) momentum: v = momentum * v - lr * g; w += v. */
  sgd(options?: SgdOptions): SgdSpec;
  /** Adam (Kingma & Ba 2015). */
  adam(options?: AdamOptions): AdamSpec;
  /**
   * RMSprop (Tieleman & Hinton 2012) as TF.js computes it: ms = rho ms + (1 - rho) g^2;
   * mom = momentum mom + lr g / sqrt(ms + epsilon); w -= mom.
   */
  rmsprop(options?: RmspropOptions): RmspropSpec;
};

/**
 * Loss names, in Keras' camelCase or snake_case spelling ('mse' is meanSquaredError).
 * - sparseCategoricalCrossentropy: y holds class indices.
 * - categoricalCrossentropy: y holds one-hot (or probability) rows [n, k].
 * - meanSquaredError: y holds target rows [n, k].
 */
export type LossName =
  | 'sparseCategoricalCrossentropy' | 'sparse_categorical_crossentropy'
  | 'categoricalCrossentropy' | 'categorical_crossentropy'
  | 'meanSquaredError' | 'mean_squared_error' | 'mse';

/** Metric names. Accuracy (arg-max matches the target class) is the only metric, and is always reported. */
export type MetricName = 'accuracy' | 'acc';

/** Options of {@link Model.compile}. */
export interface CompileOptions {
  /** Default 'adam'. */
  optimizer?: Optimizer;
  /** Required. */
  loss: LossName;
  /** Default ['accuracy']. */
  metrics?: MetricName | MetricName[];
}

/** What a compiled model keeps and saves: the loss in its camelCase name and the full optimizer record. */
export interface CompileConfig {
  loss: 'sparseCategoricalCrossentropy' | 'categoricalCrossentropy' | 'meanSquaredError';
  optimizer: OptimizerConfig;
  metrics: MetricName[];
}

// ---------------------------------------------------------------------------------------------
// Training: options, logs, history, callbacks
// ---------------------------------------------------------------------------------------------

/**
 * Data augmentation applied inside the core to each training batch (never to validation data or
 * targets), drawn from the model's seeded generator. Everything is off by default. Needs image inputs [n, h, w, c].
 * Each image gets one transform, resampled once (bilinear, zeros outside). See it with {@link data.augment}.
 * Values out of range throw when fit() starts.
 */
export interface AugmentOptions {
  /** Max rotation in degrees, in [0, 180]; each image's angle is uniform in [-rotation, rotation]. */
  rotation?: number;
  /** In [0, 0.9]; the scale is uniform in [1 - zoom, 1 + zoom] (> 1 enlarges the digit). */
  zoom?: number;
  /** Max shift as a fraction of the width (x) and height (y), in [0, 0.5]. */
  translate?: number;
  /** Pads by `crop` zero pixels and takes a random crop of the original size: a whole-pixel shift of up to `crop` pixels; an integer in [0, min(height, width) / 2]. */
  crop?: number;
  /** Flip left-right with probability 0.5. */
  flipHorizontal?: boolean;
  /** Flip upside down with probability 0.5. */
  flipVertical?: boolean;
}

/** Options of {@link Model.fit}. Unknown option names throw. */
export interface FitOptions {
  /** Passes over the training data; a positive integer, default 1. */
  epochs?: number;
  /** Samples per optimisation step; a positive integer, default 32. The last batch of an epoch may be smaller. */
  batchSize?: number;
  /**
   * Fraction in [0, 1) of the samples kept for validation, taken from the end before shuffling
   * (as Keras does). Adds val_loss / val_acc to the epoch logs. Ignored when validationData is given.
   */
  validationSplit?: number;
  /** Separate validation samples [x, y]; adds val_loss / val_acc to the epoch logs. */
  validationData?: [Tensor | TensorLike, Labels];
  /** Shuffle the training samples each epoch with the model's seeded generator; default true. */
  shuffle?: boolean;
  /** One callback object or several; hooks are awaited in order. */
  callbacks?: Callback | Callback[];
  /** Aborting it stops training after the current batch; fit() then resolves (history.stopped is true). */
  signal?: AbortSignal;
  /** Augment each training batch. */
  augment?: AugmentOptions;
  /**
   * fit() yields to the event loop (scheduler.yield, setImmediate or a message) whenever this many
   * milliseconds have passed since it last did, so pages, timers and workers' messages keep running. Default 10; >= 0.
   */
  yieldEvery?: number;
  /** The epoch to start at (resuming), in [0, epochs); epochs before it are skipped. Default 0. */
  initialEpoch?: number;
  /** Accepted for Keras compatibility and ignored: wasmcnn prints nothing. */
  verbose?: number | boolean;
}

/** Logs passed to {@link Callback.onBatchBegin}. */
export interface BatchBeginLogs {
  /** Index of the batch within its epoch. */
  batch: number;
  /** Samples in this batch. */
  size: number;
}

/** Logs passed to {@link Callback.onBatchEnd}. */
export interface BatchLogs extends BatchBeginLogs {
  /** Mean loss over the batch (including regularisation penalties). */
  loss: number;
  /** Accuracy over the batch. */
  acc: number;
  /** Same as acc (both spellings, as Keras versions differ). */
  accuracy: number;
  /** Samples trained on so far in this epoch. */
  samplesSeen: number;
  /** Training throughput in this epoch so far. */
  imagesPerSecond: number;
}

/** Logs passed to {@link Callback.onEpochEnd} (and recorded in {@link History.history}). */
export interface EpochLogs {
  /** Mean training loss over the epoch's batches (weighted by batch size). */
  loss: number;
  /** Training accuracy over the epoch. */
  acc: number;
  /** Same as acc. */
  accuracy: number;
  /** Validation loss, with validationSplit or validationData. */
  val_loss?: number;
  /** Validation accuracy, with validationSplit or validationData. */
  val_acc?: number;
  /** Same as val_acc. */
  val_accuracy?: number;
  /** The learning rate at the end of the epoch. */
  lr: number;
  /** Wall-clock seconds the epoch's training and validation took. */
  seconds: number;
  [metric: string]: number | undefined;
}

/** The fixed facts of a fit() run, as {@link Callback.setParams} and {@link History.params} see them. */
export interface FitParams {
  epochs: number;
  batchSize: number;
  /** Training samples (without the validation split). */
  samples: number;
  /** Batches per epoch. */
  steps: number;
  doValidation: boolean;
}

/** What fit() resolves to (Keras' History). */
export interface History {
  /** The epochs that ran (0-based; starts at initialEpoch). */
  epoch: number[];
  /** One array per log key, one value per epoch that ran: history.loss[i] belongs to epoch[i]. */
  history: {
    loss: number[];
    acc: number[];
    accuracy: number[];
    val_loss?: number[];
    val_acc?: number[];
    val_accuracy?: number[];
    lr: number[];
    seconds: number[];
    [metric: string]: number[] | undefined;
  };
  params: FitParams;
  /** True when training ended early: stopTraining, an aborted signal, earlyStopping, or a worker's stop(). */
  stopped: boolean;
}

/**
 * A training callback: an object with any of these hooks (other `on*` names throw). Hooks may be
 * async; fit() awaits them. Setting `model.stopTraining = true` in a hook ends training after the
 * current batch, and a hook that throws rejects fit().
 */
export interface Callback {
  /** Called first with the model being trained. */
  setModel?(model: Model): void;
  /** Called first with the run's parameters. */
  setParams?(params: FitParams): void;
  onTrainBegin?(logs: Record<string, never>): void | Promise<void>;
  onEpochBegin?(epoch: number, logs: Record<string, never>): void | Promise<void>;
  onBatchBegin?(batch: number, logs: BatchBeginLogs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: BatchLogs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: EpochLogs): void | Promise<void>;
  /** Called with the last epoch's logs (empty when no epoch completed). */
  onTrainEnd?(logs: EpochLogs | Record<string, never>): void | Promise<void>;
}

/** A built-in callback: a Callback that can be sent to a training worker (see {@link trainInWorker}). */
export interface BuiltInCallback extends Callback {
  /** Its serialised form, re-created inside a worker. */
  toJSON(): { callback: 'earlyStopping' | 'reduceLROnPlateau' | 'learningRateScheduler'; options: object };
}

/** 'auto' picks 'max' for accuracy-like metrics (names containing "acc") and 'min' otherwise. */
export type MonitorMode = 'auto' | 'min' | 'max';

/** Options of {@link callbacks.earlyStopping} (Keras' semantics). */
export interface EarlyStoppingOptions {
  /** An epoch log key; default 'val_loss' (which needs validation data). A key missing from the logs throws. */
  monitor?: string;
  /** Smallest change that counts as an improvement; >= 0, default 0. */
  minDelta?: number;
  /**
   * Training stops at the end of the `patience`-th epoch in a row without improvement (as in Keras:
   * with patience 2 and the best epoch 3, epochs 4 and 5 run and training stops after 5; 0 stops at
   * the first epoch that does not improve). An integer >= 0, default 0.
   */
  patience?: number;
  /** Default 'auto'. */
  mode?: MonitorMode;
  /** Training stops unless the monitored value beats this. */
  baseline?: number;
  /** When training ends, restore the weights of the best epoch; default false. */
  restoreBestWeights?: boolean;
}

/** Options of {@link callbacks.reduceLROnPlateau} (Keras' semantics). */
export interface ReduceLROnPlateauOptions {
  /** Default 'val_loss'. */
  monitor?: string;
  /** New lr = lr * factor, in (0, 1); default 0.1. */
  factor?: number;
  /** Epochs without improvement before reducing; default 10. */
  patience?: number;
  /** Default 1e-4. */
  minDelta?: number;
  /** Epochs to wait after a reduction; default 0. */
  cooldown?: number;
  /** Lower bound of the learning rate; default 0. */
  minLr?: number;
  /** Default 'auto'. */
  mode?: MonitorMode;
}

/** A learning-rate schedule: lr for an epoch. Those from {@link schedules} carry a `spec` and can go to a worker. */
export interface Schedule {
  (epoch: number, currentLr?: number): number;
  spec?: { kind: 'step' | 'exponential' | 'cosine'; [option: string]: number | string };
}

/** Built-in callbacks. Options are checked at once; unknown names throw. */
export const callbacks: {
  /** Stops training when the monitored metric stops improving; can restore the best weights. */
  earlyStopping(options?: EarlyStoppingOptions): BuiltInCallback;
  /** Multiplies the learning rate by `factor` when the monitored metric plateaus. */
  reduceLROnPlateau(options?: ReduceLROnPlateauOptions): BuiltInCallback;
  /**
   * Sets the learning rate at the start of each epoch to schedule(epoch, currentLr). A schedule from
   * {@link schedules} can be sent to a worker; a plain function only works with fit().
   */
  learningRateScheduler(schedule: Schedule | ((epoch: number, currentLr: number) => number)): BuiltInCallback;
};

/** Learning-rate schedules by epoch, for {@link callbacks.learningRateScheduler}. All numbers must be positive. */
export const schedules: {
  /** initial * factor ^ floor(epoch / every); defaults factor 0.5, every 10. */
  step(options: { initial: number; factor?: number; every?: number }): Schedule;
  /** initial * rate ^ epoch; default rate 0.9. */
  exponential(options: { initial: number; rate?: number }): Schedule;
  /** Cosine annealing (Loshchilov & Hutter 2017) from initial down to min (default 0) over `epochs`. */
  cosine(options: { initial: number; epochs: number; min?: number }): Schedule;
};

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

/** Options of {@link sequential}. Unknown names throw. */
export interface SequentialOptions {
  /** Input shape without the batch dimension, 1 to 3 positive integers ([h, w, c] for images). Defaults to the first layer's inputShape. */
  inputShape?: number[];
  /** Seeds weight initialisation, dropout, noise, augmentation and shuffling; a non-negative integer, default 42. */
  seed?: number;
  /** The layers, first to last. */
  layers?: LayerRecord[];
}

/** A model's architecture, as {@link Model.toSpec} returns it; {@link sequential} accepts it back. */
export interface ModelSpec {
  inputShape: number[];
  seed: number;
  layers: LayerRecord[];
  /** Graph models only: the model and input names, and the names each layer reads ('' is the input). */
  graph?: { name: string; input: string; inputs: string[][] };
}

/** Options of {@link Model.predict} and {@link Model.evaluate}. Unknown names throw. */
export interface PredictOptions {
  /** Samples per core call (memory vs. call overhead; results do not depend on it); default 256. */
  batchSize?: number;
  /** Accepted for Keras compatibility and ignored. */
  verbose?: number | boolean;
}

/** What {@link Model.evaluate} and {@link Model.trainOnBatch} return. */
export interface EvaluateResult {
  /** Mean loss (for evaluate: over all samples, including regularisation penalties). */
  loss: number;
  /** Fraction of samples whose arg-max matches the target class. */
  accuracy: number;
  /** Same as accuracy. */
  acc: number;
}

/** One weight tensor, as {@link Model.getWeights} returns it (a copy) and {@link Model.setWeights} accepts it. */
export interface WeightRecord {
  /** The layer's name. */
  layer: string;
  /** 'kernel', 'bias', 'gamma', 'beta', 'moving_mean' or 'moving_variance'. */
  name: string;
  /** Conv kernels are [kh, kw, ic, oc], dense kernels [in, units], as in Keras. */
  shape: number[];
  /** False for frozen layers and for statistics (BatchNormalization's moving mean and variance). */
  trainable: boolean;
  data: Float32Array;
}

/** One layer's output for one sample, from {@link Model.activations}. */
export interface LayerActivation {
  name: string;
  className: LayerClassName;
  /** With a batch dimension of 1, e.g. [1, 24, 24, 6]. */
  shape: number[];
  /** A copy. */
  data: Float32Array;
}

/**
 * A view of one layer of a model ({@link Model.layers}, {@link Model.getLayer}). Reads the model
 * every time, so it stays current; it throws once the model is disposed.
 */
export interface Layer {
  /** The model it belongs to. */
  readonly model: Model;
  /** Its position in the model, from 0. */
  readonly index: number;
  /** Its unique name, e.g. 'conv2d_1'. */
  readonly name: string;
  /** Its Keras class name, e.g. 'Conv2D'. */
  readonly className: LayerClassName;
  /** The layer's spec options, with Keras' defaults left out. */
  getConfig(): LayerOptions & Record<string, unknown>;
  /** [null, ...]; a list of them for a layer with several inputs (a merge). */
  readonly inputShape: [null, ...number[]] | Array<[null, ...number[]]>;
  /** [null, ...] */
  readonly outputShape: [null, ...number[]];
  /** The symbolic tensor this layer outputs in its model: cut the model there with `cnn.model({ inputs: model.inputs, outputs: layer.output })`. */
  readonly output: SymbolicTensor;
  /** The symbolic tensor(s) it reads in its model (an array for several inputs). */
  readonly input: SymbolicTensor | SymbolicTensor[];
  /** This layer applied to other symbolic tensors; a model built from the result starts from a copy of its weights. */
  apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor;
  /** Setting false freezes the layer: fit() keeps its weights bit-identical. Takes effect without recompiling. */
  trainable: boolean;
  /** Multiplies the learning rate for this layer (>= 0). */
  lrMultiplier: number;
  /** Number of weights in the layer. */
  countParams(): number;
}

/** Saves model bytes somewhere; used by {@link Model.save}. */
export interface SaveHandler<R = unknown> {
  save(bytes: Uint8Array, model: Model): Promise<R> | R;
}

/** Loads model bytes from somewhere; used by {@link loadModel}. May also return a Model. */
export interface LoadHandler {
  load(): Promise<Uint8Array | ArrayBuffer | Model> | Uint8Array | ArrayBuffer | Model;
}

/** What the built-in save handlers resolve to. */
export interface SaveResult {
  /** 'downloads://name' or 'indexeddb://name'. */
  url: string;
  /** Size of the model file. */
  bytes: number;
}

/**
 * A CNN whose weights live in wasm memory: a sequential stack or a graph. Make one with
 * {@link sequential}, {@link model} or {@link loadModel}; free it with {@link Model.dispose} (a finalizer frees forgotten ones eventually,
 * but not promptly). Every method of a disposed model throws "model: this model was disposed".
 */
export class Model {
  /** @internal use {@link sequential} or {@link loadModel}. */
  private constructor(handle: unknown);
  /** Set it to true (e.g. in a callback) to end fit() after the current batch. fit() resets it when it starts. */
  stopTraining: boolean;
  /**
   * True while fit() runs, as in TensorFlow.js. Meanwhile fit(), trainOnBatch(), compile(), add()
   * and pop() throw instead of interleaving with it; predict() and evaluate() work.
   */
  readonly isTraining: boolean;
  /** True after dispose(). */
  readonly disposed: boolean;
  /** [null, ...inputShape]. */
  readonly inputShape: [null, ...number[]];
  /** [null, ...outputShape], e.g. [null, 10]. */
  readonly outputShape: [null, ...number[]];
  /** Views of the layers, first to last (in topological order for a graph model); the same objects on every read. */
  readonly layers: Layer[];
  /** 'sequential' for {@link sequential}, the name given to {@link model} (default 'model'). */
  readonly name: string;
  /** True for a model built by {@link model} (or imported from a TF.js functional model); kept by save/load; exported to TF.js as class 'Model'. */
  readonly isGraph: boolean;
  /** [the symbolic input] (wasmcnn models have one): for {@link model}, to cut or extend this model. */
  readonly inputs: SymbolicTensor[];
  /** [the symbolic output]: the last layer's output. */
  readonly outputs: SymbolicTensor[];
  /**
   * false freezes every layer (fit() keeps their weights bit-identical, also in a worker), true
   * unfreezes every layer, as TF.js' model.trainable. Reads true while any layer is trainable.
   */
  trainable: boolean;
  /**
   * This model used as a layer of another graph: its layers are inlined into the graph (flattened),
   * starting from copies of its weights. x must have this model's input shape.
   * @throws Error for another shape or several inputs; applying it twice in one graph is refused by {@link model}.
   */
  apply(x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor;
  /**
   * A layer by name or index.
   * @throws Error listing the layer names when there is no such layer.
   */
  getLayer(nameOrIndex: string | number): Layer;
  /** Marks the named layers (all when omitted) non-trainable: fit() keeps their weights bit-identical. */
  freeze(names?: Array<string | number>): void;
  /** Marks the named layers (all when omitted) trainable again. */
  unfreeze(names?: Array<string | number>): void;
  /** The architecture (Keras' getConfig()): input shape, seed and layer specs. */
  toSpec(): ModelSpec;
  /**
   * Appends a layer (after {@link Model.pop}, to put a new head on a trained base). Keeps the
   * compile settings (the optimizer state restarts). While a head is being replaced the output may
   * not suit the loss for a while (pop, pop, add...): add() and pop() still succeed, fit(),
   * evaluate() and trainOnBatch() say why they can't run until it does, and save() stores such a
   * model uncompiled.
   * @throws Error naming the layer and the shapes when it does not fit the previous layer's output.
   */
  add(layer: LayerRecord): this;
  /** Removes the last layer. Keeps the compile settings as add() does (the optimizer state restarts). */
  pop(): this;
  /**
   * Sets the loss and the optimizer; needed before fit, evaluate and trainOnBatch (not predict).
   * Compiling again restarts the optimizer state and keeps the weights.
   * @throws Error for an unknown loss, optimizer, metric or option name.
   */
  compile(options: CompileOptions): this;
  /**
   * The compile settings, a copy; null before compile(). `optimizer.learningRate` is the current
   * learning rate (schedules change it). Saved with the model and restored by loadModel().
   */
  readonly compileConfig: CompileConfig | null;
  /**
   * The optimizer's current learning rate (schedules and reduceLROnPlateau change it); setting it
   * keeps the optimizer's state. Saved with the model. Throws before compile().
   */
  learningRate: number;
  /**
   * Free-form JSON-safe data saved in the model file (class names, preprocessing, accuracy, ...).
   * Setting a value JSON cannot represent throws. Default {}.
   */
  metadata: Record<string, unknown>;
  /**
   * Prints the table TF.js prints (Layer (type), Output shape, Param #; for a graph model also the
   * input and Connected to; frozen layers marked), one line per printFn call (default console.log),
   * and returns the text. Columns fit their contents unless lineLength (and positions: column ends,
   * fractions of lineLength when all <= 1) are given; then longer fields are cut, as in TF.js.
   */
  summary(lineLength?: number, positions?: number[], printFn?: (line: string) => void): string;
  /** Number of weights in the model (trainable or not). */
  countParams(): number;
  /**
   * Runs the model on x ([n, ...inputShape]) and returns the outputs [n, ...outputShape] (for a
   * softmax head, one row of probabilities per sample). Inference mode: dropout and noise are off.
   * @throws Error for a wrong shape or a non-finite value in x.
   */
  predict(x: Tensor | TensorLike, options?: PredictOptions): Tensor;
  /**
   * predict() on every thread of this context ({@link setThreads}): with the workers strategy, x is
   * cut into contiguous slices predicted by this thread and the helper workers (which get this
   * model's current weights with each call); otherwise it is predict(). Resolves to predict()'s
   * result, bit for bit. A helper that dies rejects it with an Error naming the helper
   * ("wasmcnn: helper worker 2 of 3 died during predictAsync (...)").
   */
  predictAsync(x: Tensor | TensorLike, options?: PredictOptions): Promise<Tensor>;
  /** The output of every layer for the first sample of x: what each layer "sees". */
  activations(x: Tensor | TensorLike): LayerActivation[];
  /**
   * Loss and accuracy on x, y in inference mode.
   * @throws Error before compile(), or for bad shapes, counts, non-finite values or labels out of range.
   */
  evaluate(x: Tensor | TensorLike, y: Labels, options?: PredictOptions): EvaluateResult;
  /**
   * One optimisation step on the whole of x (one batch).
   * @throws Error as evaluate() does, and when the loss diverges (the weights of the last finite step are kept).
   */
  trainOnBatch(x: Tensor | TensorLike, y: Labels): EvaluateResult;
  /**
   * Trains for `epochs` over x, y in shuffled mini-batches, yielding to the event loop as it goes
   * (see {@link FitOptions.yieldEvery}), so a page stays responsive. Checks every argument before training.
   * Stop it early with `model.stopTraining = true`, an AbortSignal or {@link callbacks.earlyStopping}: it then resolves normally.
   * Runs on this context's threads ({@link setThreads}); the result is the same for any thread count.
   * @returns the History of the epochs that ran.
   * @throws (rejects with) an Error for bad arguments, a throwing callback, a diverging loss, a helper
   *   worker that died or failed ("wasmcnn: helper worker 2 of 3 died during training (...)") (those
   *   Errors carry the `history` so far; the weights of the last finished step are kept), or
   *   another fit() still running on the same model.
   */
  fit(x: Tensor | TensorLike, y: Labels, options?: FitOptions): Promise<History>;
  /** Every weight tensor in layer order, as copies. */
  getWeights(): WeightRecord[];
  /**
   * Sets every weight tensor: records from getWeights() (checked by layer and weight name) or plain
   * arrays, in getWeights() order.
   * @throws Error for a wrong count, a wrong length, a name mismatch or a non-finite value.
   */
  setWeights(weights: ReadonlyArray<WeightRecord | Float32Array | ArrayLike<number>>): void;
  /** The model as one self-describing file (weights, architecture, compile config, metadata). */
  save(): Uint8Array;
  /** Saves to 'downloads://name' (a page download of name.wcnn) or 'indexeddb://name' (also in workers). */
  save(handler: string): Promise<SaveResult>;
  /** Passes the bytes to a handler and resolves to what it returns. */
  save<R>(handler: SaveHandler<R>): Promise<R>;
  /** The model file's bytes (what save() returns). */
  toBytes(): Uint8Array;
  /** Frees the model's wasm memory at once. Idempotent. */
  dispose(): void;
}

/** Options of {@link input}. Unknown names throw. */
export interface InputOptions {
  /** The per-sample shape, 1 to 3 positive integers ([h, w, c] for images). */
  shape?: number[];
  /** [null, ...shape], instead of shape. */
  batchShape?: [null, ...number[]];
  /** Default 'input_1'. */
  name?: string;
  /** Only 'float32'. */
  dtype?: 'float32';
}

/**
 * A placeholder of the functional API ({@link input}, {@link LayerSpec.apply}, {@link model}), as
 * TF.js' SymbolicTensor: it holds no data, only a shape and the layer that makes it.
 */
export class SymbolicTensor {
  /** @internal made by {@link input} and apply(). */
  private constructor();
  /** [null, ...per-sample shape]. */
  readonly shape: [null, ...number[]];
  /** Always 'float32'. */
  readonly dtype: 'float32';
  /** '<layer>/output', or the input's name. */
  readonly name: string;
  /** shape.length. */
  readonly rank: number;
  /** The layer that outputs it: a spec, a model's {@link Layer}, or `{ name, className: 'InputLayer' }` for an input. */
  readonly sourceLayer: LayerSpec | Layer | { name: string; className: 'InputLayer'; batchInputShape: [null, ...number[]] };
  /** "SymbolicTensor name [null,...]". */
  toString(): string;
}

/** A model input for {@link model}: `cnn.input({ shape: [28, 28, 1] })`, as tf.input. */
export function input(options: InputOptions): SymbolicTensor;

/** Options of {@link model}. Unknown names throw. */
export interface GraphModelOptions {
  /** The input: from {@link input}, or another model's `inputs` (one only). */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The output: from a layer's apply() or a model layer's `output` (one only). */
  outputs: SymbolicTensor | SymbolicTensor[];
  /** Default 'model'. */
  name?: string;
  /** Seeds the initialisation of new layers, dropout, noise, augmentation and shuffling; default 42. */
  seed?: number;
}

/**
 * A graph model from symbolic tensors, as tf.model({ inputs, outputs }): the layers between them in
 * topological order, each reading the layers its apply() was given (residual connections, merges,
 * nested models). Compile, fit (also in a worker), evaluate, predict, save and load as a sequential model.
 * Differences from TF.js: one input and one output; a layer has one place in a graph (a shared
 * layer, or a model applied twice, is refused); a new model never shares weights with another:
 * layers taken from a built model (model.getLayer(x).output, model.apply(x), a spec already built
 * into a model) start from a copy of its weights, new layers are initialised from the seed.
 * @throws Error for several inputs or outputs, an output that does not depend only on the input,
 *   a shared layer, or clashing layer names.
 */
export function model(options: GraphModelOptions): Model;

/**
 * A new sequential model. Each layer's shape is checked as it is added. Without an input shape and
 * layers (`cnn.sequential()`, as tf.sequential()), the first {@link Model.add} must bring one in
 * its inputShape option; until then the model has no layers and other calls say so.
 * @throws Error naming the layer and the shapes for layers that do not fit, or for absurd sizes
 *   ("dense 'dense_1': shape [784,1000000000] has more than 2^28 elements").
 */
export function sequential(options?: SequentialOptions): Model;

/** Where {@link loadModel} reads a model from. */
export type ModelSource = Uint8Array | ArrayBuffer | ArrayBufferView | string | URL | LoadHandler | TfjsModelArtifacts;

/**
 * Loads a model: wasmcnn model-file bytes; a URL of a .wcnn file (fetched; under Node a path or
 * file: URL read from disk, relative paths against the working directory); 'indexeddb://name'; a
 * handler with load(); or a TensorFlow.js layers model (ModelArtifacts, or a URL/path ending in .json,
 * see {@link io.fromTfjs}). A model saved compiled comes back compiled (same loss and optimizer
 * settings) and with its metadata.
 * @throws (rejects with) an Error naming the problem (and the byte offset) for damaged or truncated files.
 */
export function loadModel(source: ModelSource): Promise<Model>;

/** One weight of a TensorFlow.js model, as listed in model.json's weightsManifest. */
export interface TfjsWeightSpec {
  /** 'layer/weight' (TF.js, Keras 2), 'layer/cell/weight' or 'layer/index' (Keras 3). */
  name: string;
  shape: number[];
  dtype: string;
  /** tensorflowjs_converter's quantized weights (uint8/uint16/float16), de-quantized on import. */
  quantization?: { dtype: string; scale?: number; min?: number };
}

/**
 * TensorFlow.js' ModelArtifacts for a layers model (what tf.io.fromMemory() takes and
 * tf.io.withSaveHandler() receives). wasmcnn's own extras travel in userDefinedMetadata.wasmcnn.
 */
export interface TfjsModelArtifacts {
  /** A Keras Sequential or functional Model topology (snake_case, as TF.js writes it; Keras 3's form is read too). */
  modelTopology: object;
  /** 'layers-model' (TF.js graph models from tensorflowjs_converter's tf_saved_model/tf_frozen_model modes can't be imported). */
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightSpecs?: TfjsWeightSpec[];
  /** Weights, little-endian, concatenated in weightSpecs order. */
  weightData?: ArrayBuffer | ArrayBuffer[];
  /** Keras' training config (loss, optimizer_config); used to compile when wasmcnn's own settings are absent. */
  trainingConfig?: object | null;
  userDefinedMetadata?: Record<string, unknown>;
}

/** What saving through {@link io.tfjs} resolves to (as TF.js' SaveResult, plus where it went). */
export interface TfjsSaveResult {
  modelArtifactsInfo: {
    dateSaved: Date;
    modelTopologyType: 'JSON';
    modelTopologyBytes: number;
    weightSpecsBytes: number;
    weightDataBytes: number;
  };
  /** 'downloads://name' for a page download. */
  url?: string;
  /** Under Node: the model.json and weights.bin paths written. */
  files?: string[];
}

/** A file from a file input or a drop (a DOM File, or anything with a name, text() and arrayBuffer()). */
export interface NamedFile {
  name: string;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Where {@link io.tfjs} writes: a path or URL, 'downloads://name', a TF.js IOHandler with save(), or a function given the artifacts. */
export type TfjsSaveTarget<R = unknown> = string | URL | { save(artifacts: TfjsModelArtifacts): R | Promise<R> } |
  ((artifacts: TfjsModelArtifacts) => R | Promise<R>);

/** Built-in save/load handlers; {@link Model.save} and {@link loadModel} also accept their URL strings. */
export const io: {
  /** A page download of `name` (.wcnn added). Only works in a page. */
  downloads(name: string): SaveHandler<SaveResult>;
  /** The browser's IndexedDB (database 'wasmcnn-models'), also usable in workers. */
  indexedDb(key: string): SaveHandler<SaveResult> & LoadHandler;
  /**
   * A handler for model.save() that writes TensorFlow.js' layers-model format: to a directory or
   * model.json path / file: URL (Node: model.json + weights.bin), to 'downloads://name' (a page:
   * name.json + name.weights.bin), to a TF.js IOHandler, or to a function given the artifacts.
   * For a path or URL the handler also loads: loadModel(cnn.io.tfjs(dir)).
   */
  tfjs<R = TfjsSaveResult>(target: TfjsSaveTarget<R>): SaveHandler<R> & Partial<LoadHandler>;
  /**
   * A load handler for loadModel() reading a TensorFlow.js layers model: ModelArtifacts, a TF.js
   * IOHandler with load() (e.g. tf.io.fromMemory(...)), a model.json URL, a directory or model.json
   * path (Node), or files (one model.json and its weight files). Only files next to model.json are read.
   */
  fromTfjs(source: TfjsModelArtifacts | { load(): Promise<TfjsModelArtifacts> } | string | URL | Iterable<NamedFile>): LoadHandler;
};

/**
 * The model as TensorFlow.js ModelArtifacts (for tf.loadLayersModel(tf.io.fromMemory(...))). Seed,
 * learning-rate multipliers, compile settings and metadata travel in userDefinedMetadata.wasmcnn, so
 * a round trip through this format loses nothing.
 */
export function toTfjsArtifacts(model: Model): TfjsModelArtifacts;

/**
 * A Model from TensorFlow.js ModelArtifacts of a layers model.
 * @throws Error naming the layer and the option for anything wasmcnn cannot compute the same way.
 */
export function fromTfjsArtifacts(artifacts: TfjsModelArtifacts): Model;

// ---------------------------------------------------------------------------------------------
// Training in a worker
// ---------------------------------------------------------------------------------------------

/** A reference to the bundled MNIST sample, loaded by the worker itself (no copy from this thread). */
export interface SampleRef {
  dataset: 'mnistSample';
  /** The first `count` images; all 10,000 when omitted. */
  count?: number;
}

/** Options of {@link trainInWorker}: fit() options plus these. */
export interface TrainInWorkerOptions extends Omit<FitOptions, 'callbacks'> {
  /** Compile settings: required with a spec; with a Model, recompiles it (else its own settings are used). */
  compile?: CompileOptions;
  /**
   * The worker script (web/lib/worker.js, also exported as 'wasmcnn/worker'), relative to the page;
   * default: `ready({ workerUrl })`'s, else the one your bundler emitted or the file next to the library.
   * A script that fails to load rejects the job with an Error naming the URL and the HTTP status or MIME type.
   */
  workerUrl?: string | URL;
  /** The older name of `workerUrl`. */
  worker?: string | URL;
  /** Where the worker loads the core from (see {@link ReadyOptions.wasmUrl}); default: `ready({ wasmUrl })`'s. */
  wasmUrl?: WasmSource;
  /** The older name of `wasmUrl`. */
  wasm?: WasmSource;
  /** Hand x and y's buffers to the worker instead of copying them (they become unusable here). Default false. */
  transfer?: boolean;
  /** Minimum milliseconds between 'batch' events; default 50 (0: every batch). */
  progressEvery?: number;
  /**
   * The worker's threads, 1 to 16; default: this context's {@link threads}(). With the pthreads
   * strategy the worker runs its own pool; with the workers strategy this context starts n - 1
   * helper workers and connects them to the training worker (a helper that dies rejects the job:
   * "trainInWorker: wasmcnn: helper worker 1 of 3 died during training (...)"). Same weights for any n.
   */
  threads?: number;
  /**
   * Built-in callbacks ({@link callbacks}) are sent to the worker and run there; other callback
   * objects run on this thread from the progress events (onBatchBegin is not forwarded, and they get no model).
   */
  callbacks?: Callback | Callback[];
  /** Called on this thread when training starts. */
  onTrainBegin?: (logs: Record<string, never>) => void | Promise<void>;
  /** Called on this thread at each epoch's start. */
  onEpochBegin?: (epoch: number, logs: Record<string, never>) => void | Promise<void>;
  /** Called on this thread for the batches that produce a 'batch' event (see progressEvery); logs include `epoch`. */
  onBatchEnd?: (batch: number, logs: BatchLogs & { epoch: number }) => void | Promise<void>;
  /** Called on this thread after each epoch. */
  onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
  /** Called on this thread once the trained model has arrived. */
  onTrainEnd?: (logs: Record<string, never>) => void | Promise<void>;
}

/** What a {@link TrainingJob} resolves to. */
export interface TrainResult {
  /** The trained model, on this thread (dispose it when done). */
  model: Model;
  history: History;
}

/** A job's events and their payloads. */
export interface TrainingJobEvents {
  /** The worker started training; `backendInfo` is the training worker's ({@link backendInfo}: its strategy and threads). */
  trainBegin: { backendInfo: BackendInfo };
  epochBegin: { type: 'epochBegin'; epoch: number };
  /** Progress, at most every `progressEvery` ms. */
  batch: { type: 'batch'; epoch: number; batch: number; logs: BatchLogs };
  /** An epoch ended. */
  epoch: { type: 'epoch'; epoch: number; logs: EpochLogs };
  /** The trained model arrived (the job resolves with the same value). */
  done: TrainResult;
  /** The job failed (it rejects with the same Error). */
  error: Error;
  /** stop() was called. */
  stopped: Record<string, never>;
}

/**
 * A training run in a dedicated worker (a Web Worker in browsers, worker_threads under Node).
 * Await it (it is a thenable) or its `promise` for `{ model, history }`. Listen with on().
 */
export class TrainingJob implements PromiseLike<TrainResult> {
  /** @internal made by {@link trainInWorker}. */
  private constructor(start: (job: TrainingJob) => Promise<void>);
  /** Resolves to the trained model and its history; rejects with an Error ("trainInWorker: ..." naming the problem). */
  readonly promise: Promise<TrainResult>;
  /** Adds a listener; listeners that throw don't disturb the job. */
  on<K extends keyof TrainingJobEvents>(type: K, listener: (payload: TrainingJobEvents[K]) => void): this;
  /**
   * Ends training after the current batch (or before the first, if training has not started); the
   * job still resolves, with the model trained so far and history.stopped true.
   */
  stop(): void;
  /** Kills the worker at once; the job rejects with "trainInWorker: the training worker was terminated". */
  terminate(): void;
  then<T1 = TrainResult, T2 = never>(
    onFulfilled?: ((value: TrainResult) => T1 | PromiseLike<T1>) | null,
    onRejected?: ((reason: unknown) => T2 | PromiseLike<T2>) | null,
  ): Promise<T1 | T2>;
  catch<T = never>(onRejected?: ((reason: unknown) => T | PromiseLike<T>) | null): Promise<TrainResult | T>;
}

/**
 * Trains a model in a dedicated worker, keeping this thread free. `model` is a Model (copied in as
 * bytes; the original is untouched) or a spec `{ inputShape, seed, layers }` with `options.compile`.
 * x and y are tensors and labels (copied, or moved with `transfer`), or x is {@link data.sampleRef}
 * and y is null. Errors in the worker (bad options, bad layers, bad data) reject the job with an
 * Error whose message starts "trainInWorker: " and names the problem.
 * @example
 *   const job = cnn.trainInWorker(spec, cnn.data.sampleRef({ count: 2000 }), null,
 *     { compile: { loss: 'sparseCategoricalCrossentropy' }, epochs: 1 });
 *   job.on('epoch', (e) => console.log(e.epoch, e.logs.loss));
 *   const { model, history } = await job;
 */
export function trainInWorker(
  model: Model | ModelSpec | (SequentialOptions & { inputShape: number[] }),
  x: Tensor | TensorLike | SampleRef,
  y: Labels | null | undefined,
  options?: TrainInWorkerOptions,
): TrainingJob;

// ---------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------

/** The bundled MNIST sample, as {@link data.mnistSample} returns it. */
export interface MnistSample {
  /** [count, 28, 28, 1], values in [0, 1]. */
  images: Tensor;
  /** The digit (0-9) of each image. */
  labels: Uint8Array;
  count: number;
}

/** The bundled data set: 10,000 real MNIST digits (7.8 MB, mnist-sample.bin), in a fixed shuffled order. */
export const data: {
  /**
   * The sample, or its first `count` images (any prefix is a fair sample of all ten digits). Read
   * once (from disk under Node, fetched elsewhere) and cached; `url` overrides the file's location.
   * @throws (rejects with) an Error when count is not an integer in [1, 10000].
   */
  mnistSample(options?: { count?: number; url?: string | URL }): Promise<MnistSample>;
  /** A reference to the sample for {@link trainInWorker}: the worker loads it itself. */
  sampleRef(options?: { count?: number }): SampleRef;
  /**
   * Augmented copies of `images` [n, height, width, channels]: what {@link FitOptions.augment} does
   * to a training batch, to look at before training. Each image gets its own random transform from a
   * generator seeded by `seed` (default 42): the same seed gives the same images, bit for bit. The
   * draws are not those of a model's fit(), whose generator also initialises and shuffles. The input
   * is not changed; options that are all off return a copy.
   * @throws Error for images that are not [n, h, w, c], an unknown option or a value of the wrong
   *   type ("data.augment: augment.zoom must be a number"), a seed that is not a non-negative integer,
   *   or a value out of range ("augment: crop must be in [0, 14] pixels for input shape [28,28,1], got 20").
   * @example
   *   const { images } = await cnn.data.mnistSample({ count: 4 });
   *   const seen = cnn.data.augment(images, { rotation: 10, zoom: 0.1 }, { seed: 1 });  // Tensor [4,28,28,1]
   */
  augment(images: Tensor | TensorLike, options?: AugmentOptions, config?: { seed?: number }): Tensor;
};

/** A DOM class's instance type where the DOM library is loaded (browsers), `never` elsewhere (a Node project). */
type DomInstance<K extends string> = typeof globalThis extends Record<K, { prototype: infer T }> ? T : never;

/** What {@link image.fromPixels} reads: anything a 2D canvas can draw, or ImageData (also a plain `{ data, width, height }` RGBA object in Node). */
export type PixelSource =
  | { data: ArrayLike<number>; width: number; height: number }
  | DomInstance<'ImageData'> | DomInstance<'HTMLCanvasElement'> | DomInstance<'OffscreenCanvas'>
  | DomInstance<'HTMLImageElement'> | DomInstance<'ImageBitmap'> | DomInstance<'HTMLVideoElement'>;

/** Options of {@link image.fromPixels}. */
export interface FromPixelsOptions {
  /** [height, width] of the result; default: the source's own size. */
  size?: [number, number];
  /** 1 (luminance, 0.299 R + 0.587 G + 0.114 B), 3 (RGB, the default) or 4 (RGBA). */
  channels?: 1 | 3 | 4;
  /**
   * 'stretch' (default): resize to `size`, aspect ratio not kept. 'contain': keep the aspect ratio,
   * fit inside and pad with 0. 'cover': keep the aspect ratio, fill and crop the middle.
   */
  fit?: 'contain' | 'cover' | 'stretch';
}

/** A drawing prepared as an MNIST model's input by {@link image.digitFromCanvas}. */
export interface DigitInput {
  /** [1, 28, 28, 1] in [0, 1], white ink on black: pass it to `model.predict`. */
  tensor: Tensor;
  /** The same 784 values. */
  data: Float32Array;
  /** No ink at all: `data` is all zeros and a prediction means nothing. */
  empty: boolean;
  /** The pen width found in the drawing, in source pixels (before it was re-stroked). */
  strokeWidth: number;
  /** The drawing's longer side minus one pen width, in pen widths: about 0 for a dot, several for a digit. */
  extent: number;
  /** Mean of the 20x20 box the digit is scaled into: digits leave most of it dark, scribbles fill it. */
  inkShare: number;
}

/** Pictures in, tensors out: any picture the browser can draw, and the demo's digit preprocessing. */
export const image: {
  /**
   * A picture as a Tensor [1, h, w, channels] with values in [0, 1], resized bilinearly (half-pixel
   * centres, as TensorFlow). An <img> or <video> must have loaded.
   * @throws Error naming the problem: an unknown source, channels not 1/3/4, an unknown fit, a size
   *   that is not [h, w] in whole pixels, an ImageData whose byte count does not match its size.
   * @example
   *   const x = cnn.image.fromPixels(video, { size: [96, 96], channels: 3, fit: 'cover' });
   */
  fromPixels(source: PixelSource, options?: FromPixelsOptions): Tensor;
  /**
   * The demo page's MNIST preprocessing for a drawn digit: the ink is re-stroked at MNIST's relative
   * pen width (so small digits drawn with a thick pen read as well as big ones), cropped, its longer
   * side scaled to 20 px by area averaging and centred by mass in 28x28, as MNIST was made.
   * `ink`: 'alpha' (any colour on a transparent canvas), 'light' (light on dark), 'dark' (dark on
   * light) or 'auto' (default: alpha when the canvas has transparency, else the rarer of the two).
   * A grey image `{ data: Float32Array, width, height }` (ink > 0) is taken as it is.
   * @example
   *   const { tensor, empty } = cnn.image.digitFromCanvas(pad);
   *   if (!empty) console.log(model.predict(tensor).argMax()[0]);
   */
  digitFromCanvas(source: PixelSource | { data: Float32Array; width: number; height: number },
    options?: { ink?: 'auto' | 'alpha' | 'light' | 'dark'; normalizeStroke?: boolean }): DigitInput;
  /**
   * Bilinear resampling of the rectangle `from` of an interleaved image [sh, sw, c] onto the whole of
   * `dst` [dh, dw, c] (default `from`: the whole source). Returns `dst`.
   */
  resizeBilinear(src: ArrayLike<number>, srcSize: [number, number], channels: number, dst: Float32Array,
    dstSize: [number, number], from?: { x: number; y: number; width: number; height: number }): Float32Array;
};
