// `npm start`: install what is missing (no browser needed), build the sample data, the wasm module and
// the page bundle, then serve web/ on loopback until Ctrl-C, cross-origin isolated (COOP/COEP: the
// demo trains on the pthreads build) unless `npm start -- --no-isolation`. Env: PORT, HOST (see serve.mjs).
import { build } from './build.mjs';
import { parseIsolation, serveFromEnv } from './serve.mjs';
import { runOrThrow } from './lib/run.mjs';

try {
  const isolated = parseIsolation(process.argv.slice(2));
  await runOrThrow('bash', ['scripts/setup.sh']);
  await build({ only: ['data', 'wasm', 'demo'] });
  await serveFromEnv({ isolated }); // prints the URL; exits 0 on Ctrl-C
} catch (err) {
  console.error(`\nstart: ${err.message}`);
  process.exit(1);
}
