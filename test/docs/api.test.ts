// The API reference: every public export has a doc comment with a short example. The exports
// that do not yet are listed in undocumented.json; the list may only shrink: a new export
// without them fails here, and so does a listed one that has them now (take it off the list).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { exportDocs } from './api-docs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const known: { noDocComment: string[]; noExample: string[] } = JSON.parse(readFileSync(path.join(here, 'undocumented.json'), 'utf8'));

test('every public export has a doc comment and an example, except the listed ones, and the list is exact', (t) => {
  const docs = exportDocs(root);
  t.true(docs.length > 100, `read ${docs.length} exports`);
  const noDoc = docs.filter((d) => !d.documented).map((d) => d.name).sort();
  const noExample = docs.filter((d) => d.documented && !d.example).map((d) => d.name).sort();
  const newNoDoc = noDoc.filter((n) => !known.noDocComment.includes(n));
  const newNoExample = noExample.filter((n) => !known.noExample.includes(n) && !known.noDocComment.includes(n));
  t.deepEqual(newNoDoc, [], 'exports without a doc comment (write one, with an example)');
  t.deepEqual(newNoExample, [], 'exports whose doc comment has no example');
  const fixed = [...known.noDocComment.filter((n) => !noDoc.includes(n) && !noExample.includes(n)), ...known.noExample.filter((n) => !noExample.includes(n) && !noDoc.includes(n))];
  t.deepEqual(fixed, [], 'documented now, or no longer exported: take these off test/docs/undocumented.json');
});
