// A wasmcnn sequential model of Conv2D, MaxPooling2D, Flatten and Dense layers (relu/softmax/linear
// activations) as an ONNX graph (opset 13) with its weights, for ONNX Runtime Web. Used by the threads
// bench (bench/threads.mjs) for LeNet and the CIFAR-sized VGG; peers/ort.mjs keeps its own LeNet writer.
//
// The graph takes wasmcnn's NHWC input bytes and transposes them to NCHW once (a Transpose node:
// well under 1% of a convolution's time here); kernels go HWIO -> OIHW; the first Dense after a
// Flatten gets its rows permuted from NHWC (h,w,c) to NCHW (c,h,w) flatten order, so no other
// transpose runs at inference time.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The ONNX schema bundled with onnxruntime-web, as protobufjs static code (see bench/README.md). */
export function onnxSchema() {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('onnxruntime-web'));
  const file = join(dist, '..', 'lib', 'onnxjs', 'ort-schema', 'protobuf', 'onnx.js');
  try {
    return createRequire(file)(file).onnx;
  } catch (e) {
    throw new Error(`no ONNX schema at ${file} (${e.message})`);
  }
}

// HWIO [kh,kw,ic,oc] -> OIHW [oc,ic,kh,kw] (ort.mjs' hand-built LeNet uses it too)
export function toOihw(k, [kh, kw, ic, oc]) {
  const out = new Float32Array(k.length);
  for (let o = 0; o < oc; o++)
    for (let i = 0; i < ic; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((o * ic + i) * kh + y) * kw + x] = k[((y * kw + x) * ic + i) * oc + o];
  return out;
}

// Rows of a [h*w*c, units] dense kernel from NHWC flatten order to NCHW: row c*hw + p takes row p*c + ch.
function nchwRows(k, [h, w, c], units) {
  const out = new Float32Array(k.length);
  for (let ch = 0; ch < c; ch++)
    for (let p = 0; p < h * w; p++) out.set(k.subarray((p * c + ch) * units, (p * c + ch + 1) * units), (ch * h * w + p) * units);
  return out;
}

/**
 * The ONNX bytes of `model` (a wasmcnn sequential model). Throws naming the layer it cannot write.
 * Input 'x' is NHWC [n, h, w, c] float32, output 'y' is [n, classes].
 */
export function sequentialOnnx(onnx, model) {
  const AT = onnx.AttributeProto.AttributeType;
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const weights = new Map();
  for (const w of model.getWeights()) weights.set(`${w.layer}/${w.name}`, w);
  const tensors = [];
  const tensor = (name, dims, f32) => {
    tensors.push({ name, dims, dataType: FLOAT, rawData: new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength) });
    return name;
  };
  const ints = (name, v) => ({ name, type: AT.INTS, ints: v });
  const int = (name, v) => ({ name, type: AT.INT, i: v });
  const nodes = [];
  let last = 'x';
  const node = (opType, inputs, attribute = []) => {
    const out = `t${nodes.length}`;
    nodes.push({ opType, input: [last, ...inputs], output: [out], name: out, attribute });
    last = out;
  };
  const activation = (l, a) => {
    if (!a || a === 'linear') return;
    if (a === 'relu') node('Relu', []);
    else if (a === 'softmax') node('Softmax', [], [int('axis', 1)]);
    else throw new Error(`onnx: layer ${l.name}: activation '${a}' is not written`);
  };
  const [, h0, w0, c0] = model.layers[0].inputShape;
  node('Transpose', [], [ints('perm', [0, 3, 1, 2])]);
  let flattenedFrom = null; // the NHWC shape a Flatten saw, for the Dense after it
  for (const l of model.layers) {
    const c = l.getConfig();
    const w = (name) => weights.get(`${l.name}/${name}`);
    if (l.className === 'Conv2D') {
      const k = w('kernel');
      const [kh, kw, ic, oc] = k.shape;
      const same = c.padding === 'same';
      if ((same && (kh % 2 === 0 || kw % 2 === 0 || c.strides.some((s) => s !== 1))) || c.dilationRate.some((d) => d !== 1)) {
        throw new Error(`onnx: layer ${l.name}: only stride-1 odd 'same' or 'valid' undilated convolutions are written`);
      }
      const pads = same ? [(kh - 1) / 2, (kw - 1) / 2, (kh - 1) / 2, (kw - 1) / 2] : [0, 0, 0, 0];
      const b = w('bias');
      node('Conv', [tensor(`${l.name}_w`, [oc, ic, kh, kw], toOihw(k.data, k.shape)), ...(b ? [tensor(`${l.name}_b`, [oc], b.data)] : [])],
        [ints('kernel_shape', [kh, kw]), ints('strides', c.strides), ints('pads', pads)]);
      activation(l, c.activation);
    } else if (l.className === 'MaxPooling2D') {
      if (c.padding !== 'valid') throw new Error(`onnx: layer ${l.name}: only 'valid' pooling is written`);
      node('MaxPool', [], [ints('kernel_shape', c.poolSize), ints('strides', c.strides)]);
    } else if (l.className === 'Flatten') {
      flattenedFrom = l.inputShape.slice(1);
      node('Flatten', [], [int('axis', 1)]);
    } else if (l.className === 'Dense') {
      const k = w('kernel');
      const [inputs, units] = k.shape;
      const data = flattenedFrom ? nchwRows(k.data, flattenedFrom, units) : k.data;
      flattenedFrom = null;
      node('Gemm', [tensor(`${l.name}_w`, [inputs, units], data), tensor(`${l.name}_b`, [units], w('bias').data)]);
      activation(l, c.activation);
    } else {
      throw new Error(`onnx: layer ${l.name}: ${l.className} is not written`);
    }
  }
  nodes[nodes.length - 1].output = ['y'];
  const value = (name, dims) => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const classes = model.layers[model.layers.length - 1].outputShape[1];
  const proto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'wasmcnn bench',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'sequential', node: nodes, initializer: tensors, input: [value('x', ['n', h0, w0, c0])], output: [value('y', ['n', classes])] },
  });
  return onnx.ModelProto.encode(proto).finish();
}
