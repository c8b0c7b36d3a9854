// The f32x4 multiply-add peak under V8 on this machine: builds peak.cpp with em++ into
// build/bench/peak.wasm when it is missing or older than its source, and times it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const source = join(root, 'bench/peak/peak.cpp');
const output = join(root, 'build/bench/peak.wasm');
export const FLOP_PER_ITER = 12 * 8; // 12 accumulators x 4 lanes x (mul + add)

function build() {
  if (existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) return false;
  mkdirSync(dirname(output), { recursive: true });
  // emcc 3.1.6 needs acorn from Debian's node modules to link at -O2 and above.
  const env = { ...process.env, NODE_PATH: [process.env.NODE_PATH, '/usr/share/nodejs'].filter(Boolean).join(':') };
  try {
    execFileSync('em++', ['-O3', '-msimd128', '--no-entry', '-sSTANDALONE_WASM=1', '-o', output, source], { env, stdio: 'pipe' });
  } catch (e) {
    const why = e.code === 'ENOENT' ? 'em++ not found' : String(e.stderr || e.message).trim().split('\n').slice(-3).join(' ');
    throw new Error(`could not build ${output}: ${why}`);
  }
  return true;
}

/**
 * Loads the kernel (building it first if needed) and returns { built, run(seconds) }: run times one
 * call sized to last about `seconds` and returns GFLOP/s. Warmed up here, so V8's optimising tier runs.
 */
export async function loadPeak() {
  const built = build();
  const { instance } = await WebAssembly.instantiate(readFileSync(output), {});
  const f = instance.exports.peak12;
  let sink = 0;
  for (let i = 0; i < 300; i++) sink += f(1000, 0.999, 0.001);
  const t0 = performance.now();
  sink += f(1e6, 0.999, 0.001);
  const perIter = Math.max((performance.now() - t0) / 1e3 / 1e6, 1e-11);
  return {
    built,
    path: output,
    run(seconds = 0.25) {
      const iters = Math.max(1000, Math.round(seconds / perIter));
      const t = performance.now();
      sink += f(iters, 0.999, 0.001);
      const s = (performance.now() - t) / 1e3;
      if (!Number.isFinite(sink)) throw new Error('peak: the accumulators overflowed');
      return (FLOP_PER_ITER * iters) / s / 1e9;
    },
  };
}
