// Builds bench/micro/ext_kernels.cpp with em++ into build/micro/ and runs it under node: the
// activation, merge and resize kernels, SIMD against portable (GB/s and speed-up).
//
//   export NODE_PATH=/usr/share/nodejs; taskset -c 0 node bench/micro/ext_kernels.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = join(root, 'build/micro');
mkdirSync(out, { recursive: true });
const src = join(root, 'src');
const files = ['activation_ext.cpp', 'activation_ext_simd.cpp', 'copy_ops.cpp', 'resize.cpp'].map((f) => join(src, 'kernels', f));
execFileSync('em++', ['-std=c++17', '-O3', '-DNDEBUG', '-I', src, '-msimd128', join(root, 'bench/micro/ext_kernels.cpp'),
  ...files, '-sENVIRONMENT=node', '-sALLOW_MEMORY_GROWTH=1', '-sSINGLE_FILE=1', '-o', join(out, 'ext_kernels.cjs')],
{ stdio: 'inherit', env: { ...process.env, NODE_PATH: '/usr/share/nodejs' } });
process.stdout.write(execFileSync('node', [join(out, 'ext_kernels.cjs')]));
