// `npm start`: install what is missing (no browser needed), build the sample data, the wasm module and
// the page bundle, then serve web/ on loopback until Ctrl-C. Env: PORT, HOST (see serve.mjs).
import { build } from './build.mjs';
import { serveFromEnv } from './serve.mjs';
import { runOrThrow } from './lib/run.mjs';

try {
  await runOrThrow('bash', ['scripts/setup.sh']);
  await build({ only: ['data', 'wasm', 'demo'] });
  await serveFromEnv(); // prints the URL; exits 0 on Ctrl-C
} catch (err) {
  console.error(`\nstart: ${err.message}`);
  process.exit(1);
}
