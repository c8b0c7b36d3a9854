// ONNX Runtime Web 1.30, wasm execution provider (SIMD, one thread). Inference only. It runs
// wasmcnn's trained weights, written into an .onnx file in memory with protobufjs and the ONNX
// schema that onnxruntime-web ships (lib/onnxjs/ort-schema/protobuf/onnx.js, compiled protobufjs
// code that resolves protobufjs from onnxruntime-web's own dependencies).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { lenetWeights } from './common.mjs';
import { toOihw } from './onnx_sequential.mjs';

export const name = 'ONNX Runtime Web';
export const canTrain = false;
export const whyNoTraining = 'cannot train (inference runtime)';

let ort = null;
let session = null;
let memories = [];

/** The ONNX schema bundled with onnxruntime-web, as protobufjs static code. */
function onnxSchema() {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('onnxruntime-web')); // .../onnxruntime-web/dist
  const file = join(dist, '..', 'lib', 'onnxjs', 'ort-schema', 'protobuf', 'onnx.js');
  try {
    return createRequire(file)(file).onnx;
  } catch (e) {
    throw new Error(`no ONNX schema at ${file} (${e.message})`);
  }
}

/**
 * LeNet-5 as an ONNX graph (opset 13) with wasmcnn's weights. ONNX convolutions are NCHW with
 * OIHW kernels. The input has one channel, so NHWC [n,28,28,1] and NCHW [n,1,28,28] are the same
 * bytes and the input needs no transpose. After the second pooling the activations are NCHW
 * [n,16,5,5], whose flatten order (c,h,w) differs from wasmcnn's NHWC (h,w,c): the rows of the first
 * dense kernel are permuted to match, so the graph does no transpose at run time either.
 */
export function lenetOnnx(onnx, list) {
  const w = lenetWeights(list);
  const AT = onnx.AttributeProto.AttributeType;
  const tensors = [];
  const tensor = (name, dims, f32) => {
    tensors.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength) });
    return name;
  };
  // dense_1 rows: NCHW flatten index c*25 + h*5 + w takes wasmcnn's row (h*5 + w)*16 + c.
  const d1 = new Float32Array(400 * 120);
  for (let c = 0; c < 16; c++)
    for (let p = 0; p < 25; p++) d1.set(w.dense1.kernel.subarray((p * 16 + c) * 120, (p * 16 + c + 1) * 120), (c * 25 + p) * 120);

  const ints = (name, v) => ({ name, type: AT.INTS, ints: v });
  const int = (name, v) => ({ name, type: AT.INT, i: v });
  const node = (opType, input, output, attribute = []) => ({ opType, input, output, name: output[0], attribute });
  const pool = [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])];
  const nodes = [
    node('Conv', ['x', tensor('w1', [6, 1, 5, 5], toOihw(w.conv1.kernel, [5, 5, 1, 6])), tensor('b1', [6], w.conv1.bias)], ['c1'],
      [ints('kernel_shape', [5, 5]), ints('pads', [2, 2, 2, 2])]),
    node('Relu', ['c1'], ['r1']),
    node('MaxPool', ['r1'], ['p1'], pool),
    node('Conv', ['p1', tensor('w2', [16, 6, 5, 5], toOihw(w.conv2.kernel, [5, 5, 6, 16])), tensor('b2', [16], w.conv2.bias)], ['c2'],
      [ints('kernel_shape', [5, 5])]),
    node('Relu', ['c2'], ['r2']),
    node('MaxPool', ['r2'], ['p2'], pool),
    node('Flatten', ['p2'], ['f'], [int('axis', 1)]),
    node('Gemm', ['f', tensor('w3', [400, 120], d1), tensor('b3', [120], w.dense1.bias)], ['g3']),
    node('Relu', ['g3'], ['r3']),
    node('Gemm', ['r3', tensor('w4', [120, 84], w.dense2.kernel), tensor('b4', [84], w.dense2.bias)], ['g4']),
    node('Relu', ['g4'], ['r4']),
    node('Gemm', ['r4', tensor('w5', [84, 10], w.dense3.kernel), tensor('b5', [10], w.dense3.bias)], ['g5']),
    node('Softmax', ['g5'], ['y'], [int('axis', 1)]),
  ];
  const value = (name, dims) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'wasmcnn bench',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'lenet5', node: nodes, initializer: tensors, input: [value('x', ['n', 1, 28, 28])], output: [value('y', ['n', 10])] },
  });
  return onnx.ModelProto.encode(model).finish();
}

export async function setup(d, { weights }) {
  if (!weights) throw new Error("needs wasmcnn's trained weights, and wasmcnn did not run");
  const bytes = lenetOnnx(onnxSchema(), weights);
  ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1; // no worker threads
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  // ORT keeps its wasm instance to itself; to report its memory, note the WebAssembly.Memory
  // objects its loader creates while the session starts.
  const Memory = WebAssembly.Memory;
  WebAssembly.Memory = new Proxy(Memory, {
    construct(target, args) {
      const m = Reflect.construct(target, args);
      memories.push(m);
      return m;
    },
  });
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  } finally {
    WebAssembly.Memory = Memory;
  }
  return { version: ort.env.versions?.web ?? '?', detail: `wasm EP, SIMD, ${ort.env.wasm.numThreads} thread; .onnx ${(bytes.length / 1024).toFixed(0)} KiB` };
}

async function run(x, n) {
  const feeds = { x: new ort.Tensor('float32', x, [n, 1, 28, 28]) };
  const out = await session.run(feeds);
  const y = out.y.data;
  out.y.dispose?.();
  return y;
}

export async function predictOne(x) {
  return run(x, 1);
}

export async function predictBatch(x, n) {
  return run(x, n);
}

export function memory() {
  const sizes = memories.map((m) => m.buffer.byteLength);
  return sizes.length ? { bytes: Math.max(...sizes), detail: 'the WebAssembly.Memory its loader made' } : { bytes: null, detail: 'not visible' };
}

export async function dispose() {
  await session?.release();
  session = null;
}
