// `npm start`: install what is missing (no browser needed), build the sample data and the wasm module,
// then serve web/ on loopback until Ctrl-C. Env: PORT, HOST (see serve.mjs).
import { build } from './build.mjs';
import { serveFromEnv } from './serve.mjs';
import { runOrThrow } from './lib/run.mjs';

try {
  await runOrThrow('bash', ['scripts/setup.sh']);
  await build({ only: ['data', 'wasm'] });
  await serveFromEnv(); // prints the URL; exits 0 on Ctrl-C
} catch (err) {
  console.error(`\nstart: ${err.message}`);
  process.exit(1);
}
