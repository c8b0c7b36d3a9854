// Timing for the threads bench's columns (bench/threads_side.mjs): wall time per repetition, the
// CPU time of the column's own process and of the processes it started, and how much of the pinned
// CPUs other processes took meanwhile (/proc/stat busy time of those CPUs minus our own CPU time).
// On this shared machine that, not a CPU share of our own, says whether a 2-thread figure was
// disturbed: with two threads our own share also drops when the split merely waits.
import { readFileSync, readdirSync } from 'node:fs';
import { gc, stats } from './measure.mjs';

/** The CPUs this process may run on, from Cpus_allowed_list ("0", "0-1", "0,1"). */
function allowedCpus() {
  const list = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  return list.split(',').flatMap((part) => {
    const [a, b = a] = part.split('-').map(Number);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}
export const cpus = (() => {
  try {
    return allowedCpus();
  } catch {
    return [];
  }
})();
const USER_HZ = 100; // /proc/stat counts in clock ticks of 1/100 s on Linux

/** Busy seconds (everything but idle and iowait, steal included) of our CPUs since boot, or null off Linux. */
function busySeconds() {
  try {
    let busy = 0;
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const m = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!m || !cpus.includes(Number(m[1]))) continue;
      const [user, nice, system, , , irq, softirq, steal = 0] = m[2].trim().split(/\s+/).map(Number);
      busy += user + nice + system + irq + softirq + steal;
    }
    return busy / USER_HZ;
  } catch {
    return null;
  }
}

/** CPU seconds of the live processes this one started, and theirs (Chromium's), from /proc. */
function descendantsCpuSeconds() {
  if (!cpus.length) return 0; // not Linux
  const parent = new Map();
  const cpu = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' '); // from field 3 (state) on
      parent.set(Number(d), Number(f[1]));
      cpu.set(Number(d), (Number(f[11]) + Number(f[12])) / USER_HZ); // utime, stime
    } catch { /* the process ended meanwhile */ }
  }
  let total = 0;
  const mine = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!mine.has(pid) && mine.has(ppid)) {
        mine.add(pid);
        total += cpu.get(pid);
        grew = true;
      }
    }
  }
  return total;
}
/**
 * Runs fn once: wall seconds, the CPU time of this process (all its threads) and of the processes it
 * started (helper processes, Chromium) in CPUs, and the share of the pinned CPUs that other processes
 * (or the hypervisor) took meanwhile: null when the run was too short for /proc/stat's 10 ms ticks to
 * tell. The slow /proc scan for child processes runs outside the busy-time window.
 */
export async function timed(fn) {
  const d0 = descendantsCpuSeconds();
  const b0 = busySeconds();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1e3;
  const c = process.cpuUsage(c0);
  const b1 = busySeconds();
  const ours = (c.user + c.system) / 1e6 + (descendantsCpuSeconds() - d0);
  const enough = cpus.length && seconds * cpus.length >= 0.2;
  const others = b0 === null || !enough ? null : Math.min(1, Math.max(0, (b1 - b0 - ours) / (seconds * cpus.length)));
  return { seconds, cpus: ours / seconds, others };
}

/** Stats of per-repetition values with the worst "others" share among the repetitions. */
function summary(values, runs, extra = {}) {
  const others = runs.map((r) => r.others).filter((x) => x !== null);
  return { ...stats(values), others: others.length ? Math.max(...others) : null, cpus: stats(runs.map((r) => r.cpus)).median, ...extra };
}

/** images/s of `calls` calls of fn(i) (each `images` images) per repetition. */
export async function rate(fn, { images, calls, reps }) {
  const values = [];
  const runs = [];
  for (let rep = 0; rep < reps; rep++) {
    gc();
    const t = await timed(async () => {
      for (let i = 0; i < calls; i++) await fn(i);
    });
    values.push((calls * images) / t.seconds);
    runs.push(t);
  }
  return summary(values, runs, { calls, images });
}

/** The median milliseconds of one call over `calls` calls, per repetition. */
export async function latency(fn, { calls, reps }) {
  const values = [];
  const runs = [];
  for (let rep = 0; rep < reps; rep++) {
    gc();
    const ms = [];
    const t = await timed(async () => {
      for (let i = 0; i < calls; i++) {
        const t0 = performance.now();
        await fn(i);
        ms.push(performance.now() - t0);
      }
    });
    values.push(stats(ms).median);
    runs.push(t);
  }
  return summary(values, runs, { calls });
}

/** images/s of training: a fresh model per repetition (made outside the timed region), one pass over `count` images. */
export async function training(make, { count, reps, warmupImages }) {
  const warm = await make(Math.min(count, warmupImages));
  await warm.run();
  warm.dispose();
  const values = [];
  const runs = [];
  for (let rep = 0; rep < reps; rep++) {
    const side = await make(count);
    gc();
    const t = await timed(() => side.run());
    side.dispose();
    values.push(count / t.seconds);
    runs.push(t);
  }
  return summary(values, runs, { count });
}

/** Per repetition: once() gives the figure (e.g. timed inside a page), timed() around it the CPU accounting. */
export async function measured(reps, once, extra) {
  const values = [];
  const runs = [];
  for (let rep = 0; rep < reps; rep++) {
    gc();
    let v;
    runs.push(await timed(async () => {
      v = await once();
    }));
    values.push(v);
  }
  return summary(values, runs, extra);
}

/** Seconds per call of fn over n calls (after warm-up): sizes the timed passes. */
export async function perCall(fn, n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return (performance.now() - t0) / 1e3 / n;
}

/** The largest |a - b|, whether every element has the same bits, and how many rows have the same arg-max. */
export function compare(a, b, rows) {
  let d = 0;
  let bits = a.length === b.length;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    if (ua[i] !== ub[i]) bits = false;
  }
  let same = 0;
  const k = a.length / rows;
  for (let r = 0; r < rows; r++) {
    let ia = 0;
    let ib = 0;
    for (let c = 1; c < k; c++) {
      if (a[r * k + c] > a[r * k + ia]) ia = c;
      if (b[r * k + c] > b[r * k + ib]) ib = c;
    }
    same += ia === ib ? 1 : 0;
  }
  return { maxAbsDiff: d, bitIdentical: bits, sameArgMax: same, of: rows };
}
