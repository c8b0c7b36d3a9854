// Table rows for bench.mjs: one line per peer with its figure, the ratio wasmcnn / peer, and what
// that ratio means in words.

export const fmtNum = (x, digits = 0) =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const fmtBytes = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/**
 * Prints one line per result. o.get(r) gives { median, min?, max? } or nothing (then o.missing(r)
 * says why); o.higherIsBetter orients the verdict; o.cpu(r) gives a figure's { cpu, perCpu } (see
 * withCpu in bench.mjs) and marks it with '*' when its smallest CPU share was under 0.9.
 */
export function printRow(results, base, o) {
  const format = o.format ?? ((x) => fmtNum(x, o.digits ?? 0));
  const [better, worse] = o.words ?? ['faster', 'slower'];
  const b = base && o.get(base);
  for (const r of results) {
    const v = o.get(r);
    const name = `   ${r.name.padEnd(17)}`;
    if (!v) {
      console.log(`${name} ${o.missing?.(r) ?? 'n/a'}`);
      continue;
    }
    const spread = v.min !== undefined && v.max !== undefined && v.min !== v.max ? ` [${format(v.min)}–${format(v.max)}]` : '';
    const c = o.cpu?.(r);
    const star = c && c.cpu < 0.9 ? '*' : '';
    const figure = `${format(v.median)}${spread}${o.unit ? ` ${o.unit}` : ''}${star}`;
    let ratio = '';
    if (b && r !== base) {
      const q = b.median / v.median;
      const good = o.higherIsBetter ? q >= 1 : q <= 1;
      const factor = q >= 1 ? q : 1 / q;
      const words = factor < 1.05 ? 'about the same' : `wasmcnn ${factor.toFixed(1)}x ${good ? better : worse}`;
      ratio = `${q.toFixed(q < 0.1 ? 3 : 2).padStart(6)}  (${words})`;
    } else if (r === base) {
      ratio = `${'1.00'.padStart(6)}  (wasmcnn / peer)`;
    }
    const perCpu = star && `${format(c.perCpu.median)}${o.unit ? ` ${o.unit}` : ''} ${o.higherIsBetter ? 'per CPU-s' : 'of CPU'}`;
    const extra = [o.extra?.(r), star && `*CPU ${(100 * c.cpu).toFixed(0)}%: ~${perCpu}`].filter(Boolean).join('; ');
    console.log(`${name} ${figure.padEnd(36)} ${ratio.padEnd(32)} ${extra}`.trimEnd());
  }
}
