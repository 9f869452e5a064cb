#!/usr/bin/env node
// Fails on an import cycle anywhere in src/, and on an import that points up
// the layers (docs/architecture.md): domain → store/bus → hub → services →
// edge → transports/compat/ssr → http (the app's assembly) → the entry points.
//
// Written on the TypeScript compiler's own pre-parser (a dependency already)
// rather than madge or dpdm: no new package and its tree to trust, `import
// type` counts as an import (a type-only cycle is still two files that cannot
// be read apart), and one graph serves both checks.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SRC = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'src');

/** A folder's rank: a file may import its own folder or a lower rank, never a higher one or a sibling. */
const RANK = {
  domain: 0,
  'config.ts': 0,
  'config-types.ts': -2, // the key types, then their specs, then the defaults and makeConfig
  'config-spec.ts': -1,
  store: 1,
  bus: 1,
  files: 1.5, // file bytes: may use the store's connection, used by services
  hub: 2,
  services: 3,
  edge: 4,
  transports: 5,
  compat: 5,
  ssr: 5,
  http: 6,
  'config-sources.ts': 7,
  'server.ts': 7,
  'serve.ts': 8,
  'cli.ts': 9,
};

const files = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) files.push(p);
  }
})(SRC);

const unit = (file) => path.relative(SRC, file).split(path.sep)[0];
const problems = [];
const graph = new Map();
for (const file of files) {
  const deps = [];
  for (const ref of ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true).importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const target = path.resolve(path.dirname(file), ref.fileName).replace(/\.js$/, '.ts');
    if (!fs.existsSync(target)) continue; // tsc reports missing modules
    deps.push(target);
    const [from, to] = [unit(file), unit(target)];
    if (from === to) continue;
    if (!(from in RANK) || !(to in RANK))
      problems.push(`${rel(file)}: ${!(from in RANK) ? from : to} has no layer in scripts/check-imports.mjs`);
    else if (RANK[to] >= RANK[from])
      problems.push(`${rel(file)} imports ${rel(target)}: ${from} may not depend on ${to} (layers: docs/architecture.md)`);
  }
  graph.set(file, deps);
}

// Tarjan's strongly connected components: any with more than one file (or a file importing itself) is a cycle.
let next = 0;
const index = new Map(),
  low = new Map(),
  stack = [],
  onStack = new Set();
function visit(v) {
  index.set(v, next);
  low.set(v, next++);
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) !== index.get(v)) return;
  const scc = [];
  let w;
  do {
    w = stack.pop();
    onStack.delete(w);
    scc.push(w);
  } while (w !== v);
  if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) problems.push(`import cycle: ${scc.map(rel).sort().join(' ⇄ ')}`);
}
for (const f of files) if (!index.has(f)) visit(f);

function rel(f) {
  return path.relative(path.dirname(SRC), f);
}

if (problems.length > 0) {
  for (const p of problems) console.error(`check-imports: ${p}`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} files in src/, no cycle, every import points down the layers`);
