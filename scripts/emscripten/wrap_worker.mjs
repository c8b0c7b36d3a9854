// Rewrites the pthread worker script Emscripten emits (web/lib/wasmcnn_core_mt.worker.js) so that
// `process` and `global` are parameters of a function around it rather than free Node globals: a
// bundler that processes the script (Parcel does, from core.js' new URL) then finds nothing to
// polyfill. The script behaves as before: in Node it still reads the real process and global object.
// Runs after every link of wasmcnn_core_mt (CMakeLists.txt), on the freshly written file.
//
// Usage: node scripts/emscripten/wrap_worker.mjs <file>
import fs from 'node:fs';

const file = process.argv[2];
const text = fs.readFileSync(file, 'utf8');
const OPEN = '(function (process, global) {\n';
if (text.startsWith(OPEN)) throw new Error(`${file} is wrapped already: it should have been written by the link just now`);
fs.writeFileSync(file, `${OPEN}${text}\n})(globalThis.process, globalThis);\n`);
