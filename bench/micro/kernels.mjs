// Builds bench/micro/kernels.cpp with em++ (into build/micro/) and prints tables: the f32x4
// multiply-add peak, LeNet-5's GEMM shapes through kernels::gemm, the conv2d_* kernels (this tree
// only), element-wise and pooling kernels, im2col/col2im, and per-layer breakdowns of a training
// step (batch 32) and of inference (batch 1 and 256), with operator new calls per layer call.
//
//   export NODE_PATH=/usr/share/nodejs; taskset -c 0 node bench/micro/kernels.mjs [--src other/src]
//
// Times are the best of several runs of the process's CPU time (see kernels.cpp). Per-layer times
// at batch 1 include ~2 us of timer overhead each; the Model::predict line does not.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../', import.meta.url));
// --src DIR benchmarks another source tree (e.g. an export of the last commit) with this harness.
const srcArg = process.argv.indexOf('--src');
const srcRoot = srcArg > 0 ? process.argv[srcArg + 1] : join(root, 'src');
const out = join(root, 'build/micro', srcArg > 0 ? 'other' : 'this');
mkdirSync(out, { recursive: true });
const srcs = ['core', 'kernels', 'layers', 'train', 'io'].flatMap((d) =>
  readdirSync(join(srcRoot, d)).filter((f) => f.endsWith('.cpp')).map((f) => join(srcRoot, d, f)));
execFileSync('em++', ['-std=c++17', '-O3', '-DNDEBUG', '-msimd128', '-fwasm-exceptions', '-I', srcRoot,
  join(root, 'bench/micro/kernels.cpp'), ...srcs, '-sMODULARIZE=1', '-sEXPORT_ES6=1', '-sENVIRONMENT=web',
  '-sALLOW_MEMORY_GROWTH=1', '-sFILESYSTEM=0', '-o', join(out, 'kernels.mjs')], { stdio: 'inherit' });

const { readFile } = await import('node:fs/promises');
const bytes = await readFile(join(out, 'kernels.wasm'));
const { default: create } = await import(join(out, 'kernels.mjs'));
const mod = await create({
  instantiateWasm(imports, receive) {
    WebAssembly.instantiate(bytes, imports).then((r) => receive(r.instance, r.module));
    return {};
  },
});

const peak = mod._bench_peak();
console.log(`f32x4 multiply-add peak (4x8 register tile, L1 data): ${peak.toFixed(1)} GFLOP/s\n`);

const B = 32;
const gemms = [
  // name, trans_a, trans_b, m, n, k
  ['conv1 fwd  col*W', 0, 0, B * 784, 6, 25],
  ['conv1 dW col^T*dz', 1, 0, 25, 6, B * 784],
  ['conv2 fwd  col*W', 0, 0, B * 100, 16, 150],
  ['conv2 dW col^T*dz', 1, 0, 150, 16, B * 100],
  ['conv2 dcol dz*W^T', 0, 1, B * 100, 150, 16],
  ['dense1 fwd', 0, 0, B, 120, 400],
  ['dense1 dW', 1, 0, 400, 120, B],
  ['dense1 dx', 0, 1, B, 400, 120],
  ['conv1 fwd (256)', 0, 0, 256 * 784, 6, 25],
  ['conv2 fwd (256)', 0, 0, 256 * 100, 16, 150],
];
console.log('kernels::gemm on LeNet-5 shapes       m      n      k   GFLOP/s  % of peak');
for (const [name, ta, tb, m, n, k] of gemms) {
  const g = mod._bench_gemm(ta, tb, m, n, k);
  console.log(`${name.padEnd(28)} ${String(m).padStart(7)} ${String(n).padStart(6)} ${String(k).padStart(6)} ${g.toFixed(1).padStart(9)} ${(100 * g / peak).toFixed(0).padStart(9)}%`);
}
if (mod._bench_conv) {
  console.log('\nconv2d kernels, batch 32 (GFLOP/s of the product, and % of the peak above)');
  for (const [w, kind, name] of [[1, 0, 'conv1 forward (+bias+relu)'], [1, 1, 'conv1 dkernel'], [2, 0, 'conv2 forward (+bias+relu)'],
    [2, 1, 'conv2 dkernel'], [2, 2, 'conv2 dx (dcol GEMM + col2im)']]) {
    const g = mod._bench_conv(w, kind, B);
    console.log(`${name.padEnd(32)} ${g.toFixed(1).padStart(7)} ${(100 * g / peak).toFixed(0).padStart(5)}%`);
  }
}
console.log('');
['relu_backward conv1 (150528)', 'bias_grad conv1 (25088 x 6)', 'bias_grad conv2 (3200 x 16)', 'max_pool_forward pool1 x32',
  'max_pool_backward pool1 x32'].forEach((name, i) => console.log(`${name.padEnd(32)} ${mod._bench_misc(i).toFixed(1).padStart(7)} us`));
console.log('');
for (const [w, b] of [[1, 0], [2, 0], [2, 1]])
  console.log(`${b ? 'col2im' : 'im2col'} conv${w}, ${B} images: ${mod._bench_im2col(w, b, B).toFixed(0)} us`);
console.log('');
mod._bench_lenet_layers(B, 1);
mod._bench_lenet_layers(1, 0);
mod._bench_lenet_layers(256, 0);
