// Builds bench/micro/depthwise.cpp twice — natively (g++ -O3 -march=x86-64, the portable kernels)
// and with em++ (-msimd128, the SIMD twins, run by node) — into build/micro/, runs both and prints
// their tables. Pin it to one core for stable numbers:
//
//   export NODE_PATH=/usr/share/nodejs; taskset -c 0 node bench/micro/depthwise.mjs [--wasm-only]
//
// Columns: fwd, memcpy and scalar are GB/s of the forward kernel, of a memcpy moving the same
// bytes, and of the portable forward kernel; fwd/cp = memcpy time / kernel time; simd/x = the
// portable kernel's time over the dispatched kernel's (1.0 natively, where they are the same);
// dW+db and dX are the two gradient kernels' GB/s.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = join(root, 'build/micro');
mkdirSync(out, { recursive: true });
const src = join(root, 'src');
const files = [join(root, 'bench/micro/depthwise.cpp'), join(src, 'kernels/depthwise.cpp'),
  join(src, 'kernels/depthwise_simd.cpp'), join(src, 'kernels/window.cpp')];
const flags = ['-std=c++17', '-O3', '-DNDEBUG', '-I', src];

if (!process.argv.includes('--wasm-only')) {
  execFileSync('g++', [...flags, ...files, '-o', join(out, 'depthwise_native')], { stdio: 'inherit' });
  process.stdout.write(execFileSync(join(out, 'depthwise_native'), ['native (portable kernels)']));
}
execFileSync('em++', [...flags, '-msimd128', ...files, '-sENVIRONMENT=node', '-sALLOW_MEMORY_GROWTH=1',
  '-sSINGLE_FILE=1', '-o', join(out, 'depthwise.cjs')], { stdio: 'inherit', env: { ...process.env, NODE_PATH: '/usr/share/nodejs' } });
process.stdout.write(execFileSync('node', [join(out, 'depthwise.cjs'), 'wasm SIMD (node)']));
