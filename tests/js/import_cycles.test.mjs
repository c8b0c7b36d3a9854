// web/lib has no import cycles: modules form a one-way graph (page -> worker -> library -> core), so
// any module can be loaded, bundled or tested on its own. A cycle fails here, naming its modules.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const lib = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../web/lib');

/** The relative static imports and re-exports of a module (import ... from './x.js', export ... from './x.js'). */
export function relativeImports(source) {
  const out = [];
  const re = /^\s*(?:import|export)\s[^;]*?\sfrom\s+['"](\.\.?\/[^'"]+)['"]|^\s*import\s+['"](\.\.?\/[^'"]+)['"]/gm;
  for (const m of source.matchAll(re)) out.push(m[1] ?? m[2]);
  return out;
}

/** Every cycle's module list, found by depth-first search over the graph { module: [imports] }. */
export function findCycles(graph) {
  const cycles = [];
  const state = new Map();  // undefined: unvisited, 1: on the stack, 2: done
  const stack = [];
  const visit = (m) => {
    state.set(m, 1);
    stack.push(m);
    for (const d of graph[m] ?? []) {
      if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d]);
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(m, 2);
  };
  for (const m of Object.keys(graph)) if (!state.has(m)) visit(m);
  return cycles;
}

test('the cycle finder finds a cycle and passes a chain (so the check below can fail)', () => {
  assert.deepEqual(findCycles({ 'a.js': ['b.js'], 'b.js': ['a.js'] }), [['a.js', 'b.js', 'a.js']]);
  assert.deepEqual(findCycles({ 'a.js': ['b.js'], 'b.js': ['c.js'], 'c.js': [] }), []);
  assert.deepEqual(relativeImports("import { x } from './fit.js';\nexport { y } from './model.js';\nimport './side.js';"),
    ['./fit.js', './model.js', './side.js']);
});

test('web/lib has no import cycles', () => {
  const graph = {};
  for (const file of fs.readdirSync(lib).filter((f) => f.endsWith('.js'))) {
    const source = fs.readFileSync(path.join(lib, file), 'utf8');
    graph[file] = relativeImports(source).map((p) => path.relative(lib, path.join(lib, p)));
  }
  assert.ok(Object.keys(graph).length > 10 && graph['model.js'].includes('fit.js'), 'the graph was read');
  const cycles = findCycles(graph);
  assert.deepEqual(cycles.map((c) => c.join(' -> ')), []);
});
