// The checkpoint fuzzer: a valid checkpoint of a small model with Adam state, and a few
// hundred variants of it made deterministically (truncations, lying header lengths, shifted,
// overlapping and aliased offsets, gaps, trailing bytes, wrong dtypes and shapes, duplicate
// keys, optimiser numbers of the wrong type or range, missing and extra tensors, garbage
// metadata, random header bytes). Each one either makes loadState throw a CheckpointError
// with the model and the optimiser state bit for bit as they were, or loads and leaves
// exactly the values that were saved. Nothing else: no other error, no partial write.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { Adam, Chain, CheckpointError, Dense, RNG, collectWithPaths, gradient, loadState, rand, relu, saveState, setup, update } from '../../ts/index.js';
import { type StateTree, stateLeaves } from '../../ts/optim/state.js';
import { build, copy, parts, relayout, seeded, tensorNames } from './ckpt-bytes.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fluxion-ckpt-fuzz-'));

function trained(seedValue: number, steps: number) {
  const rng = new RNG(seedValue);
  const m = Chain(Dense(3, 4, relu, { rng }), Dense(4, 2, undefined, { rng }));
  const opt = setup(new Adam(0.01), m);
  const x = rand(5, 3, { rng });
  for (let i = 0; i < steps; i++) update(opt, m, gradient((mm: typeof m) => mm(x).pow(2).sum(), m)[0]);
  return { m, opt };
}

interface Snapshot {
  tensors: Map<string, { t: unknown; bytes: Buffer }>;
  numbers: Map<string, unknown>;
}

/** Every tensor's bytes (model and optimiser state, by checkpoint name) and every optimiser number. */
function snapshot(m: unknown, opt: StateTree): Snapshot {
  const tensors = new Map<string, { t: unknown; bytes: Buffer }>();
  const numbers = new Map<string, unknown>();
  const add = (name: string, t: any) => {
    const d = t.data();
    tensors.set(name, { t, bytes: Buffer.from(d.buffer, d.byteOffset, d.byteLength) });
  };
  for (const [name, t] of collectWithPaths(m)) add(name, t);
  for (const [p, leaf] of stateLeaves(opt)) {
    add(`optim.${p}.m`, leaf.state.m);
    add(`optim.${p}.v`, leaf.state.v);
    numbers.set(`optim.${p}.t`, leaf.state.t);
  }
  return { tensors, numbers };
}

/** What differs between two snapshots (same tensor objects expected when `sameObjects`); '' when nothing. */
function difference(a: Snapshot, b: Snapshot, sameObjects: boolean): string {
  if (a.tensors.size !== b.tensors.size) return `${a.tensors.size} vs ${b.tensors.size} tensors`;
  for (const [name, x] of a.tensors) {
    const y = b.tensors.get(name);
    if (y === undefined) return `no tensor ${name}`;
    if (sameObjects && x.t !== y.t) return `tensor ${name} was replaced`;
    if (!x.bytes.equals(y.bytes)) return `tensor ${name} differs`;
  }
  for (const [name, v] of a.numbers) if (!Object.is(v, b.numbers.get(name))) return `number ${name}: ${String(b.numbers.get(name))} vs ${String(v)}`;
  return '';
}

type Expect = 'reject' | 'accept' | 'either';
interface Variant {
  name: string;
  bytes: Buffer;
  expect: Expect;
  strict?: boolean;
  /** optimiser numbers the accepted file holds, where they differ from the saved ones */
  numbers?: Record<string, number>;
}

function variants(base: Buffer): Variant[] {
  const out: Variant[] = [];
  const add = (name: string, bytes: Buffer, expect: Expect = 'reject', more: Partial<Variant> = {}) => out.push({ name, bytes, expect, ...more });
  const P = parts(base);
  const names = tensorNames(P.header);
  const meta = P.header.__metadata__;
  const optimText: string = meta['fluxion.optim'];
  const optim = JSON.parse(optimText);
  const tKeys = Object.keys(optim.numbers);
  const withHeader = (f: (h: Record<string, any>) => void, data: Buffer = P.data) => {
    const h = copy(P.header);
    f(h);
    return build(h, data);
  };
  const withOptim = (text: string) => withHeader((h) => (h.__metadata__['fluxion.optim'] = text));
  const random = seeded(20240611);

  // truncations: every length of the first 24 bytes, many in between, the last 8
  for (let len = 0; len < 24; len++) add(`truncated to ${len} bytes`, base.subarray(0, len));
  for (let i = 0; i < 60; i++) {
    const len = 24 + random(base.length - 32);
    add(`truncated to ${len} bytes`, base.subarray(0, len));
  }
  for (let k = 1; k <= 8; k++) add(`last ${k} bytes cut`, base.subarray(0, base.length - k));

  // the header length lies
  for (const d of [-8, -7, -3, -2, -1, 1, 2, 3, 7, 8]) add(`header length ${d > 0 ? '+' : ''}${d}`, build(P.text, P.data, { pad: false, lengthDelta: d }));
  for (let bit = 0; bit < 64; bit += 4) {
    const b = Buffer.from(base);
    b[bit >> 3] ^= 1 << (bit & 7);
    add(`header length bit ${bit} flipped`, b);
  }
  add('header length 0', build('', Buffer.concat([Buffer.from(P.text), P.data]), { pad: false }));
  add('header length = the whole rest', build(Buffer.concat([Buffer.from(P.text), P.data]), Buffer.alloc(0), { pad: false }));

  // offsets: one entry shifted, all shifted, overlapping, aliased
  for (const name of names)
    for (const d of [-4, -1, 1, 4])
      add(`${name} offsets shifted by ${d}`, withHeader((h) => (h[name].data_offsets = h[name].data_offsets.map((o: number) => o + d))));
  for (const d of [1, 4, 8]) {
    const all = (h: Record<string, any>) => {
      for (const n of names) h[n].data_offsets = h[n].data_offsets.map((o: number) => o + d);
    };
    add(`all offsets +${d} (bytes prepended)`, withHeader(all, Buffer.concat([Buffer.alloc(d), P.data])));
    add(`all offsets +${d} (data as is)`, withHeader(all));
  }
  for (let i = 1; i < names.length; i++) {
    // the entry reaches back into its predecessor, and the data is one element shorter
    const [a, b] = [names[i - 1], names[i]];
    add(`${b} overlaps ${a}`, withHeader((h) => {
      h[a].data_offsets[1] += 4;
      h[a].shape = [h[a].shape.reduce((x: number, y: number) => x * y, 1) + 1];
    }));
  }
  const sizeOf = (n: string) => P.header[n].data_offsets[1] - P.header[n].data_offsets[0];
  for (const a of names)
    for (const b of names) {
      if (a >= b || sizeOf(a) !== sizeOf(b) || P.header[a].dtype !== P.header[b].dtype) continue;
      // b aliases a's bytes: its own bytes removed, the rest re-laid out to tile
      const r = relayout(P.header, P.data, names.filter((n) => n !== b));
      r.header[b] = { ...P.header[b], data_offsets: [...r.header[a].data_offsets] };
      add(`${b} aliases ${a}`, build(r.header, r.data));
      add(`${b} aliases ${a}, its bytes left as a gap`, withHeader((h) => (h[b].data_offsets = [...h[a].data_offsets])));
      if (P.header[a].shape.join() === P.header[b].shape.join()) {
        // a valid file: the two entries' bytes and offsets both swapped
        const data = Buffer.from(P.data);
        const [a0, a1] = P.header[a].data_offsets;
        const [b0, b1] = P.header[b].data_offsets;
        P.data.copy(data, a0, b0, b1);
        P.data.copy(data, b0, a0, a1);
        add(`${a} and ${b} stored swapped`, withHeader((h) => ([h[a].data_offsets, h[b].data_offsets] = [h[b].data_offsets, h[a].data_offsets]), data), 'accept');
      }
    }

  // gaps in the data, trailing bytes
  for (const name of [null, ...names])
    for (const g of [1, 4]) {
      const at = name === null ? 0 : P.header[name].data_offsets[1];
      const data = Buffer.concat([P.data.subarray(0, at), Buffer.alloc(g, 0x41), P.data.subarray(at)]);
      // every entry from `at` on moves by g; the one ending at `at` stays
      const moved = (h: Record<string, any>) => {
        for (const n of names) if (h[n].data_offsets[0] >= at) h[n].data_offsets = h[n].data_offsets.map((o: number) => o + g);
      };
      add(`gap of ${g} after ${name ?? 'the header'}`, withHeader(moved, data));
    }
  for (const g of [1, 4, 8, 100]) add(`${g} bytes appended`, Buffer.concat([base, Buffer.alloc(g, 7)]));

  // dtypes and shapes
  for (const name of names)
    for (const dt of ['F64', 'I32', 'F16', 'BF16', 'f32', '', 5, null]) add(`${name} dtype ${JSON.stringify(dt)}`, withHeader((h) => (h[name].dtype = dt)));
  for (const name of names.slice(0, 4)) {
    const s: number[] = P.header[name].shape;
    const n = s.reduce((x, y) => x * y, 1);
    const shapes: unknown[] = [[n], [...s, 1], [1, ...s], [...s].reverse(), [-n], [n / 2, 2.0000001], ['2'], null, 'x', [[n]], [n, 0]];
    for (const shape of shapes) if (JSON.stringify(shape) !== JSON.stringify(s)) add(`${name} shape ${JSON.stringify(shape)}`, withHeader((h) => (h[name].shape = shape)));
  }

  // entries that are not entries
  for (const name of [names[0], names[5]]) {
    for (const v of [null, 5, 'x', [], {}]) add(`${name} is ${JSON.stringify(v)}`, withHeader((h) => (h[name] = v)));
    add(`${name} has an extra field`, withHeader((h) => (h[name].note = 'hi')));
    for (const o of [null, 'x', [0], [0, 1, 2], ['0', '16'], [0.5, 16.5], [-16, 0], [16, 0], [0, 2 ** 60]])
      add(`${name} data_offsets ${JSON.stringify(o)}`, withHeader((h) => (h[name].data_offsets = o)));
  }

  // duplicate keys, which JSON.parse would silently resolve to the last
  const afterBrace = (s: string) => P.text.replace(/^\{/, `{${s},`);
  for (const name of names) {
    const e = JSON.stringify(P.header[name]);
    add(`${name} twice, identical`, build(afterBrace(`${JSON.stringify(name)}:${e}`), P.data));
    const other = names.find((n) => n !== name && sizeOf(n) === sizeOf(name)) ?? names[0];
    add(`${name} twice, the first pointing elsewhere`, build(afterBrace(`${JSON.stringify(name)}:${JSON.stringify({ ...P.header[name], data_offsets: P.header[other].data_offsets })}`), P.data));
  }
  add('a key twice, once escaped', build(afterBrace(`"\\u006cayers.0.bias":${JSON.stringify(P.header['layers.0.bias'])}`), P.data));
  add('dtype twice in an entry', build(P.text.replace('"dtype":"F32"', '"dtype":"F64","dtype":"F32"'), P.data));
  add('data_offsets twice in an entry', build(P.text.replace('"data_offsets":[', '"data_offsets":[0,0],"data_offsets":['), P.data));
  add('format twice in the metadata', build(P.text.replace('"format":"fluxion"', '"format":"x","format":"fluxion"'), P.data));
  add('__metadata__ twice', build(afterBrace('"__metadata__":{}'), P.data));
  add('a step count twice in the optimiser metadata', withOptim(optimText.replace('"numbers":{', `"numbers":{"${tKeys[0]}":-1,`)));
  add('a leaf twice in the optimiser metadata', withOptim(optimText.replace('"leaves":{', '"leaves":{"layers.0.weight":{"rule":"x","frozen":true},')));
  add('a key twice in extra', withHeader((h) => (h.__metadata__['fluxion.extra'] = '{"epoch":3,"epoch":4}')));

  // optimiser numbers of the wrong type or range; a valid other value loads
  for (const key of tKeys) {
    const set = (v: string) => optimText.replace(new RegExp(`"${key.replace(/\./g, '\\.')}":\\d+`), `"${key}":${v}`);
    for (const v of ['"abc"', '-1', 'null', '{}', '[]', 'true', '1.5', '"2"', '9007199254740993', '1e400', '-1e400', 'NaN', 'Infinity', '0x2', '[2]', '-0.5'])
      add(`${key} = ${v}`, withOptim(set(v)));
    for (const v of [0, 7]) add(`${key} = ${v}`, withOptim(set(String(v))), 'accept', { numbers: { [key]: v } });
    add(`${key} missing`, withOptim(JSON.stringify({ ...optim, numbers: Object.fromEntries(Object.entries(optim.numbers).filter(([k]) => k !== key)) })));
  }

  // missing and extra tensors and optimiser entries
  for (const name of names) {
    const r = relayout(P.header, P.data, names.filter((n) => n !== name));
    add(`${name} missing`, build(r.header, r.data));
  }
  const extraTensor = { entry: { dtype: 'F32', shape: [2] }, bytes: Buffer.from(new Float32Array([1, 2]).buffer) };
  for (const name of ['layers.2.weight', 'optim.layers.0.weight.z', 'optim.layers.7.weight.m', 'extra']) {
    const r = relayout(P.header, P.data, [...names, name], { [name]: extraTensor });
    add(`extra tensor ${name}`, build(r.header, r.data));
    add(`extra tensor ${name}, strict: false`, build(r.header, r.data), 'accept', { strict: false });
  }
  const moreNumbers = JSON.stringify({ ...optim, numbers: { ...optim.numbers, 'optim.layers.0.weight.s': 1 } });
  add('extra optimiser number', withOptim(moreNumbers));
  add('extra optimiser number, strict: false', withOptim(moreNumbers), 'accept', { strict: false });
  const moreLeaves = JSON.stringify({ ...optim, leaves: { ...optim.leaves, 'layers.9.weight': { rule: 'Adam()', frozen: false } } });
  add('extra optimiser leaf', withOptim(moreLeaves));
  add('extra optimiser leaf, strict: false', withOptim(moreLeaves), 'accept', { strict: false });
  add('a leaf missing from the optimiser metadata', withOptim(JSON.stringify({ ...optim, leaves: { ...optim.leaves, 'layers.0.bias': undefined } })));

  // garbage metadata
  for (const v of [null, [], 'x', 5, { format: 5 }, { format: null }, { 'fluxion.optim': { leaves: {} } }]) add(`__metadata__ = ${JSON.stringify(v)}`, withHeader((h) => (h.__metadata__ = v)));
  add('no __metadata__', withHeader((h) => delete h.__metadata__));
  add('no optimiser metadata', withHeader((h) => delete h.__metadata__['fluxion.optim']));
  for (const v of ['', 'not json', 'null', '[]', '5', '"x"', '{}', '{"leaves":{},"numbers":[]}', '{"leaves":[],"numbers":{}}', '{"leaves":{"layers.0.weight":{"rule":5,"frozen":false}},"numbers":{}}', optimText.slice(0, -1)])
    add(`optimiser metadata ${JSON.stringify(v.slice(0, 30))}`, withOptim(v));
  for (const v of ['{bad', '', 'undefined', '{"epoch":3']) add(`extra ${JSON.stringify(v)}`, withHeader((h) => (h.__metadata__['fluxion.extra'] = v)));
  add('another metadata key', withHeader((h) => (h.__metadata__.note = 'made elsewhere')), 'accept');
  add('another format', withHeader((h) => (h.__metadata__.format = 'pt')), 'accept');

  // the header as a whole
  for (const v of ['[]', 'null', '"x"', '5', '{}', ' {}', '{"a":1}']) add(`header ${v}`, build(v, P.data));
  add('header with a leading space', build(` ${P.text.trimEnd()}`, P.data));
  add('header with a byte-order mark', build(`\ufeff${P.text.trimEnd()}`, P.data));
  add('header padded with tabs', build(P.text.trimEnd() + '\t'.repeat(8), P.data, { pad: false }));
  add('header padded with NULs', build(P.text.trimEnd() + '\0'.repeat(8), P.data, { pad: false }));
  const latin = Buffer.from(P.text);
  latin[latin.indexOf('layers') + 1] = 0xff;
  add('header not UTF-8', build(latin, P.data));
  add('header pretty-printed', build(JSON.stringify(P.header, null, 2), P.data), 'accept');
  add('header with its keys in reverse order', build(Object.fromEntries(Object.entries(P.header).reverse()), P.data), 'accept');
  add('header padded with more spaces', build(`${P.text}${' '.repeat(16)}`, P.data, { pad: false }), 'accept');
  add('header not padded', build(JSON.stringify(P.header), P.data, { pad: false }), 'accept');

  // random bytes of the header changed: whatever they do, they do not lie
  for (let i = 0; i < 80; i++) {
    const b = Buffer.from(base);
    const at = 8 + random(P.text.length);
    b[at] = (b[at] + 1 + random(255)) & 0xff;
    add(`header byte ${at - 8} changed to ${b[at]}`, b, 'either');
  }
  return out;
}

test('malformed checkpoints are refused with a CheckpointError, leaving the model and the optimiser state bit for bit; valid ones load exactly', (t) => {
  const source = trained(1, 2);
  const file = path.join(dir, 'base.safetensors');
  saveState(file, source.m, source.opt, { epoch: 3 });
  const saved = snapshot(source.m, source.opt);
  const all = variants(readFileSync(file));
  t.true(all.length >= 300, `${all.length} variants`);
  const variantFile = path.join(dir, 'variant.safetensors');
  let target = trained(2, 1);
  let before = snapshot(target.m, target.opt);
  const counts = { rejected: 0, accepted: 0 };
  const failures: string[] = [];
  for (const v of all) {
    writeFileSync(variantFile, v.bytes);
    let error: unknown = null;
    try {
      loadState(variantFile, target.m, target.opt, v.strict === undefined ? undefined : { strict: v.strict });
    } catch (e) {
      error = e;
    }
    const after = snapshot(target.m, target.opt);
    if (process.env.FLUXION_FUZZ_LOG) t.log(`${v.name}: ${error === null ? 'loaded' : (error as Error).message}`);
    if (error !== null) {
      counts.rejected++;
      if (!(error instanceof CheckpointError)) failures.push(`${v.name}: threw ${(error as Error)?.name}: ${(error as Error)?.message}`);
      else if (v.expect === 'accept') failures.push(`${v.name}: refused: ${error.message}`);
      const diff = difference(before, after, true);
      if (diff !== '') failures.push(`${v.name}: refused but changed the model: ${diff}`);
    } else {
      counts.accepted++;
      if (v.expect === 'reject') failures.push(`${v.name}: loaded`);
      const expected: Snapshot = { tensors: saved.tensors, numbers: new Map(saved.numbers) };
      for (const [k, x] of Object.entries(v.numbers ?? {})) expected.numbers.set(k, x);
      const diff = difference(expected, after, false);
      if (diff !== '') failures.push(`${v.name}: loaded, but not the saved values: ${diff}`);
      target = trained(2, 1);
    }
    before = snapshot(target.m, target.opt);
  }
  t.log(`${all.length} variants: ${counts.rejected} rejected with the model untouched, ${counts.accepted} accepted with exactly the saved values`);
  t.deepEqual(failures, []);
  t.true(counts.accepted >= 10);
});
