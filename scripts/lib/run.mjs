// Child-process helpers shared by the build, start and test scripts.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** True when the module at `metaUrl` is the script node was started with (not imported). */
export function isMain(metaUrl) {
  return !!process.argv[1] && metaUrl === pathToFileURL(path.resolve(process.argv[1])).href;
}

/** A command as a person would type it, for log and error lines. */
export function show(cmd, args) {
  return [cmd, ...args].map((a) => (/^[\w./:=,@+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/**
 * Runs `cmd args` in the repo root (unless opts.cwd), streaming its stdout/stderr to ours.
 * With opts.capture the output is also collected and returned as `output`.
 * With opts.timeoutMs the child's process group is killed (SIGKILL) after that long.
 * Resolves to {code, signal, output, timedOut, ms}; rejects only when the command can't be started.
 */
export function run(cmd, args = [], opts = {}) {
  const { cwd = repoRoot, env = process.env, capture = false, timeoutMs = 0 } = opts;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // detached: its own process group, so a timeout can kill grandchildren too.
    const child = spawn(cmd, args, {
      cwd, env, detached: timeoutMs > 0,
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    });
    const chunks = [];
    if (capture) {
      child.stdout.on('data', (d) => { process.stdout.write(d); chunks.push(d); });
      child.stderr.on('data', (d) => { process.stderr.write(d); chunks.push(d); });
    }
    let timedOut = false;
    const timer = timeoutMs > 0 && setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }, timeoutMs);
    // Ctrl-C reaches a detached child's group only through us; then we stop too.
    let interrupted = false;
    const forward = () => {
      interrupted = true;
      try { process.kill(-child.pid, 'SIGINT'); } catch { /* gone */ }
    };
    if (timeoutMs > 0) process.on('SIGINT', forward);
    child.on('error', (err) => {
      clearTimeout(timer);
      process.off('SIGINT', forward);
      reject(new Error(`cannot run ${show(cmd, args)}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('SIGINT', forward);
      if (interrupted) process.exit(130);
      resolve({ code, signal, timedOut, output: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started });
    });
  });
}

/** Like run(), but throws an Error naming the command when it does not exit 0. */
export async function runOrThrow(cmd, args = [], opts = {}) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const why = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`;
    throw new Error(`${show(cmd, args)} ${why}`);
  }
  return r;
}
