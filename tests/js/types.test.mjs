// web/lib/index.d.ts, the hand-written reference: a strict TypeScript program that uses the API
// compiles (as a Node project and as a browser project), wrongly typed calls don't, and every name
// the JavaScript exports (with the members of its namespaces and classes) is declared and documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as cnn from '../../web/lib/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSC = path.join(root, 'node_modules/.bin/tsc');
const DTS = path.join(root, 'web/lib/index.d.ts');

function tsc(project) {
  const started = performance.now();
  const r = spawnSync(TSC, ['--noEmit', '-p', project], { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, seconds: (performance.now() - started) / 1000 };
}

test('the example compiles in strict mode as a Node project (tsc --noEmit -p tests/js/types)', (t) => {
  const r = tsc('tests/js/types');
  t.diagnostic(`tsc: ${r.seconds.toFixed(1)} s`);
  assert.equal(r.code, 0, r.out);
});

test('the example compiles as a browser project (DOM lib, no Node types)', () => {
  const r = tsc('tests/js/types/tsconfig.browser.json');
  assert.equal(r.code, 0, r.out);
});

test('wrongly typed calls fail to compile, each with the expected error', () => {
  const file = path.join(root, 'tests/js/types/wrong/wrong.ts');
  const expected = new Map();
  fs.readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    const m = /\/\/ error (TS\d+)$/.exec(line);
    if (m) expected.set(i + 1, m[1]);
  });
  assert.ok(expected.size >= 10);
  const r = tsc('tests/js/types/wrong');
  assert.notEqual(r.code, 0, 'wrong.ts compiled');
  const got = new Map();
  for (const m of r.out.matchAll(/wrong\.ts\((\d+),\d+\): error (TS\d+)/g)) got.set(Number(m[1]), m[2]);
  assert.deepEqual(Object.fromEntries(got), Object.fromEntries(expected), r.out);
});

// --- every public name is declared, with a JSDoc comment ---

const source = ts.createSourceFile(DTS, fs.readFileSync(DTS, 'utf8'), ts.ScriptTarget.Latest, true);
const hasDoc = (node) => ts.getJSDocCommentsAndTags(node).length > 0;
const nameOf = (node) => node.name && ts.isIdentifier(node.name) ? node.name.text : node.name?.getText();
const isExported = (node) => node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** Top-level exported declarations: name -> node (value declarations only; types are listed apart). */
function declarations() {
  const values = new Map();
  const types = new Map();
  for (const s of source.statements) {
    if (!isExported(s)) continue;
    if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) values.set(d.name.text, { node: s, type: d.type });
    } else if (ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) {
      // Overloads repeat the name; the first carries the doc.
      if (!values.has(nameOf(s))) values.set(nameOf(s), { node: s });
      if (ts.isClassDeclaration(s)) types.set(nameOf(s), s);
    } else if (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) {
      types.set(nameOf(s), s);
    }
  }
  return { values, types };
}

const { values, types } = declarations();

test('every name index.js exports is declared in index.d.ts, and nothing more', () => {
  const runtime = Object.keys(cnn).sort();
  assert.deepEqual([...values.keys()].sort(), runtime);
});

test('every exported declaration has a JSDoc comment', () => {
  const undocumented = [...values].filter(([, v]) => !hasDoc(v.node)).map(([k]) => k);
  const undocumentedTypes = [...types].filter(([, node]) => !hasDoc(node)).map(([k]) => k);
  assert.deepEqual([...undocumented, ...undocumentedTypes], []);
});

test('the members of each namespace object (layers, optimizers, io, data...) are declared and documented', () => {
  const namespaces = Object.keys(cnn).filter((k) => cnn[k] && typeof cnn[k] === 'object');
  assert.ok(namespaces.length >= 7, namespaces.join());
  for (const name of namespaces) {
    const type = values.get(name).type;
    if (!type || !ts.isTypeLiteralNode(type)) {
      assert.equal(typeof cnn[name], 'string', `${name} is declared without a member list`);
      continue;
    }
    const members = new Map(type.members.map((m) => [nameOf(m), m]));
    assert.deepEqual([...members.keys()].sort(), Object.keys(cnn[name]).sort(), `members of ${name}`);
    const undocumented = [...members].filter(([, m]) => !hasDoc(m)).map(([k]) => `${name}.${k}`);
    assert.deepEqual(undocumented, [], `undocumented members of ${name}`);
  }
});

/** Public members of a runtime prototype: no leading underscore, no constructor. */
function publicMembers(proto) {
  return Object.getOwnPropertyNames(proto).filter((k) => k !== 'constructor' && !k.startsWith('_')).sort();
}

function declaredMembers(decl) {
  return [...new Set(decl.members.map(nameOf).filter((k) => k && k !== 'constructor'))];
}

test('the public members of Model, Tensor, TrainingJob and a layer view are declared', () => {
  const model = cnn.sequential({ inputShape: [4], layers: [cnn.layers.dense({ units: 2 })] });
  const instanceFields = {
    Model: Object.keys(model),
    Tensor: Object.keys(cnn.tensor([1], [1])),
    TrainingJob: ['promise'],
    Layer: Object.keys(model.layers[0]),
  };
  const classes = {
    Model: cnn.Model.prototype, Tensor: cnn.Tensor.prototype, TrainingJob: cnn.TrainingJob.prototype,
    Layer: Object.getPrototypeOf(model.layers[0]),
  };
  for (const [name, proto] of Object.entries(classes)) {
    const decl = types.get(name);
    assert.ok(decl, `${name} is not declared`);
    const declared = declaredMembers(decl);
    const runtime = [...new Set([...publicMembers(proto), ...instanceFields[name]])];
    const missing = runtime.filter((k) => !declared.includes(k));
    assert.deepEqual(missing, [], `${name} members missing from index.d.ts`);
    const extra = declared.filter((k) => !runtime.includes(k));
    assert.deepEqual(extra, [], `${name} members declared in index.d.ts that do not exist`);
    const undocumented = decl.members.filter((m) => nameOf(m) && !['then', 'catch'].includes(nameOf(m)) && !hasDoc(m) &&
      // an overload or a get/set pair needs one comment
      !decl.members.some((o) => o !== m && nameOf(o) === nameOf(m) && hasDoc(o)));
    assert.deepEqual(undocumented.map(nameOf), [], `${name} members without a JSDoc comment`);
  }
  model.dispose();
});
