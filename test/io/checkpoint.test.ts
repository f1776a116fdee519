import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import {
  Adam, Chain, CheckpointError, Dense, readSafetensors, loadState, relu, saveState, setup, tensor, update, gradient, rand, type Tensor,
} from '../../ts/index.js';
import { ArgumentError, collectWithPaths, fcollect } from '../../ts/index.js';
import { _io, duplicateKey } from '../../ts/io/checkpoint.js';
import { flat } from '../helpers.js';
import { build, copy, parts, relayout, tensorNames } from './ckpt-bytes.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fluxion-ckpt-'));
const here = path.dirname(fileURLToPath(import.meta.url));

function trained() {
  const m = Chain(Dense(4, 3, relu), Dense(3, 2));
  const opt = setup(new Adam(0.01), m);
  const x = rand(5, 4);
  for (let i = 0; i < 3; i++) update(opt, m, gradient((mm: typeof m) => mm(x).pow(2).sum(), m)[0]);
  return { m, opt };
}

test('save and load round-trip the model, the optimiser state and extra data; names are model paths', (t) => {
  const { m, opt } = trained();
  const file = path.join(dir, 'roundtrip.safetensors');
  saveState(file, m, opt, { epoch: 3, note: 'hi' });
  const { entries } = readSafetensors(file);
  t.true(entries.has('layers.0.weight') && entries.has('layers.1.bias') && entries.has('optim.layers.0.weight.m'));
  const { m: m2, opt: opt2 } = trained();
  m2.layers[0].weight.fill(0);
  const { extra } = loadState(file, m2, opt2);
  t.deepEqual(extra, { epoch: 3, note: 'hi' });
  t.deepEqual(flat(m2.layers[0].weight), flat(m.layers[0].weight));
  const s1 = (opt as any).layers[0].weight.state;
  const s2 = (opt2 as any).layers[0].weight.state;
  t.deepEqual(flat(s2.v), flat(s1.v));
  t.is(s2.t, s1.t);
  // one more identical step from both gives identical weights
  const x = rand(2, 4);
  update(opt, m, gradient((mm: typeof m) => mm(x).sum(), m)[0]);
  update(opt2, m2, gradient((mm: typeof m2) => mm(x).sum(), m2)[0]);
  t.deepEqual(flat(m2.layers[1].weight), flat(m.layers[1].weight));
});

function expectUntouched(t: any, file: string, pattern: RegExp) {
  const m = Chain(Dense(4, 3, relu), Dense(3, 2));
  const before = flat(m.layers[0].weight);
  t.throws(() => loadState(file, m), { instanceOf: CheckpointError, message: pattern });
  t.deepEqual(flat(m.layers[0].weight), before);
}

test('a truncated file, a bad header, wrong shapes and wrong dtypes are refused; the model is untouched', (t) => {
  const { m } = trained();
  const good = path.join(dir, 'good.safetensors');
  saveState(good, m);
  const bytes = readFileSync(good);
  const cut = path.join(dir, 'cut.safetensors');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
  expectUntouched(t, cut, /outside the \d+ data bytes \(truncated file\?\)/);
  writeFileSync(cut, bytes.subarray(0, 5));
  expectUntouched(t, cut, /truncated \(5 bytes, no header\)/);
  const bad = Buffer.from(bytes);
  bad.write('{{{{', 8);
  writeFileSync(path.join(dir, 'bad.safetensors'), bad);
  expectUntouched(t, path.join(dir, 'bad.safetensors'), /bad header/);
  // the first layer matches but the second does not: still nothing changes
  const other = Chain(Dense(4, 3, relu), Dense(3, 5));
  saveState(path.join(dir, 'shape.safetensors'), other);
  expectUntouched(t, path.join(dir, 'shape.safetensors'), /'layers.1.weight' is float32 \[5, 3\] in .* but float32 \[2, 3\] in the model/);
  const wide = Chain(Dense(4, 3, relu, { dtype: 'float64' }), Dense(3, 2));
  saveState(path.join(dir, 'dtype.safetensors'), wide);
  expectUntouched(t, path.join(dir, 'dtype.safetensors'), /'layers.0.weight' is float64 \[3, 4\]/);
  t.throws(() => loadState(path.join(dir, 'missing.safetensors'), m), { instanceOf: CheckpointError, message: /cannot read/ });
});

test('a process killed in the middle of a save leaves the previous checkpoint intact', async (t) => {
  t.timeout(120_000);
  const file = path.join(dir, 'killed.safetensors');
  for (let round = 0; round < 4; round++) {
    const child = spawn(process.execPath, ['--import=tsx', path.join(here, 'save-loop.ts'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let saved = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        saved += (d.toString().match(/saved/g) ?? []).length;
        // kill at a different moment each round, while the next save is being written
        if (saved >= 1 + round) setTimeout(() => child.kill('SIGKILL'), 5 + 17 * round);
      });
      child.on('exit', () => resolve());
    });
    const model = { a: tensor(new Float32Array(3_000_000)), b: tensor(new Float32Array(3_000_000)) };
    const { extra } = loadState(file, model) as { extra: { version: number } };
    const v = extra.version;
    t.true(v >= 1);
    const a = model.a.data();
    t.true(a[0] === v && a[a.length - 1] === v && model.b.data()[1234] === v, `round ${round}: file consistent with version ${v}`);
  }
});

test('an independent reader (Python + numpy) reads the file', (t) => {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.log('skipped: /usr/bin/python3 with numpy is not available');
    t.pass();
    return;
  }
  const file = path.join(dir, 'py.safetensors');
  const w = tensor([[1.5, -2], [3, 4.25]]);
  const model = { w, b: tensor([1, 2, 3], { dtype: 'float64' }), ids: tensor([7, -1], { dtype: 'int32' }) };
  saveState(file, model);
  const script = `
import json, struct, sys
import numpy as np
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
kinds = {'F32': '<f4', 'F64': '<f8', 'I32': '<i4'}
out = {}
for name, e in header.items():
    if name == '__metadata__':
        continue
    b, end = e['data_offsets']
    out[name] = np.frombuffer(data[b:end], dtype=kinds[e['dtype']]).reshape(e['shape']).tolist()
print(json.dumps(out))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', script, file], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const read = JSON.parse(r.stdout);
  t.deepEqual(read.w, [[1.5, -2], [3, 4.25]]);
  t.deepEqual(read.b, [1, 2, 3]);
  t.deepEqual(read.ids, [7, -1]);
  void (null as unknown as Tensor);
});

// ---------------------------------------------------------------------------------------
// Checkpoints that cannot lie: every malformed file is a CheckpointError, and nothing changes

function expectRefused(t: any, file: string, model: any, opt: any, pattern: RegExp, opts?: { strict?: boolean }) {
  const snap = () => [...collectWithPaths(model), ...(opt ? collectWithPaths(opt) : [])].map(([p, x]) => `${p}:${Buffer.from(x.data().buffer).toString('hex')}`);
  const numbers = () => JSON.stringify(opt ? [...fcollect(opt, { keep: (x) => typeof x === 'number' || x === null })].map(([p, x]) => [p, x]) : []);
  const [before, nums] = [snap(), numbers()];
  t.throws(() => loadState(file, model, opt ?? undefined, opts), { instanceOf: CheckpointError, message: pattern });
  t.deepEqual(snap(), before, 'the model and the optimiser state are untouched');
  t.is(numbers(), nums, 'the optimiser numbers are untouched');
}

function saveOf(name: string, m: unknown, opt?: any, extra?: unknown): { file: string; bytes: Buffer } {
  const file = path.join(dir, name);
  saveState(file, m, opt, extra);
  return { file, bytes: readFileSync(file) };
}

test('a header length or data offsets off by a few bytes, overlapping or aliased offsets, gaps and trailing bytes are refused', (t) => {
  const { m, opt } = trained();
  const { bytes } = saveOf('tile.safetensors', m, opt);
  const P = parts(bytes);
  const bad = path.join(dir, 'tile-bad.safetensors');
  const refuse = (b: Buffer, pattern: RegExp) => {
    writeFileSync(bad, b);
    const target = trained();
    expectRefused(t, bad, target.m, target.opt, pattern);
  };
  for (const d of [-2, -1, 1, 2, 8]) refuse(build(P.text, P.data, { pad: false, lengthDelta: d }), /bad header|belong to no entry|truncated/);
  const shifted = copy(P.header);
  shifted['layers.0.bias'].data_offsets = shifted['layers.0.bias'].data_offsets.map((o: number) => o + 1);
  refuse(build(shifted, P.data), /overlap|belong to no entry/);
  const aliased = copy(P.header);
  aliased['optim.layers.0.bias.m'].data_offsets = [...aliased['layers.0.bias'].data_offsets];
  refuse(build(aliased, P.data), /entries 'layers.0.bias' and 'optim.layers.0.bias.m' overlap/);
  const names = tensorNames(P.header);
  const { header: relaid, data: tight } = relayout(P.header, P.data, names.filter((n) => n !== 'optim.layers.0.bias.v'));
  relaid['optim.layers.0.bias.v'] = { ...P.header['optim.layers.0.bias.v'], data_offsets: [...relaid['optim.layers.0.bias.m'].data_offsets] };
  refuse(build(relaid, tight), /overlap/);
  refuse(Buffer.concat([bytes, Buffer.alloc(4)]), /the last 4 data bytes belong to no entry/);
  const gap = copy(P.header);
  for (const n of names) if (gap[n].data_offsets[0] >= 64) gap[n].data_offsets = gap[n].data_offsets.map((o: number) => o + 8);
  refuse(build(gap, Buffer.concat([P.data.subarray(0, 64), Buffer.alloc(8), P.data.subarray(64)])), /data bytes \[\d+, \d+\) belong to no entry/);
  // garbage-sized values used to load: the header shortened into its padding
  const { bytes: small } = saveOf('small.safetensors', { w: tensor([1, 2, 3, 4]) });
  const S = parts(small);
  const pad = S.text.length - S.text.trimEnd().length;
  if (pad > 0) {
    writeFileSync(bad, build(S.text, S.data, { pad: false, lengthDelta: -1 }));
    const w = tensor([0, 0, 0, 0]);
    t.throws(() => loadState(bad, { w }), { instanceOf: CheckpointError, message: /the last 1 data bytes belong to no entry/ });
    t.deepEqual(flat(w), [0, 0, 0, 0]);
  }
});

test('duplicate keys, at any depth of the header or of its JSON metadata, are refused', (t) => {
  t.is(duplicateKey('{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}'), null);
  t.is(duplicateKey('{"a":1,"a":2}'), '"a"');
  t.is(duplicateKey('{"x":{"y":[0,{"k":1,"k":2}]}}'), '"k" (in x.y.1)');
  t.is(duplicateKey('{"a":1,"\\u0061":2}'), '"a"');
  t.is(duplicateKey('{"a\\"b":1,"a\\"b":2}'), '"a\\"b"');
  t.is(duplicateKey('{"s":"{\\"a\\":1,\\"a\\":2}","t":"}{[,"}'), null, 'braces and quotes inside strings are not structure');
  t.is(duplicateKey('[{"a":[],"b":{},"a":0}]'), '"a" (in 0)');
  const { m, opt } = trained();
  const { bytes } = saveOf('dups.safetensors', m, opt, { epoch: 1 });
  const P = parts(bytes);
  const bad = path.join(dir, 'dups-bad.safetensors');
  const refuse = (text: string, pattern: RegExp) => {
    writeFileSync(bad, build(text, P.data));
    const target = trained();
    expectRefused(t, bad, target.m, target.opt, pattern);
  };
  refuse(P.text.replace(/^\{/, `{"layers.0.bias":${JSON.stringify({ ...P.header['layers.0.bias'], data_offsets: P.header['optim.layers.0.bias.m'].data_offsets })},`), /the key "layers.0.bias" appears twice/);
  refuse(P.text.replace('"dtype":"F32"', '"dtype":"F64","dtype":"F32"'), /the key "dtype" \(in layers.0.weight\) appears twice/);
  const meta = (f: (h: any) => void) => {
    const h = copy(P.header);
    f(h.__metadata__);
    return JSON.stringify(h);
  };
  const optim = P.header.__metadata__['fluxion.optim'] as string;
  refuse(meta((md) => (md['fluxion.optim'] = optim.replace('"numbers":{', '"numbers":{"optim.layers.0.weight.t":-1,'))), /optimiser metadata: the key "optim.layers.0.weight.t" \(in numbers\) appears twice/);
  refuse(meta((md) => (md['fluxion.extra'] = '{"epoch":1,"epoch":2}')), /extra data .*"epoch" appears twice/);
});

test('optimiser numbers of the wrong type or range are refused; the state is untouched and still steps', (t) => {
  const { m, opt } = trained();
  const { bytes } = saveOf('numbers.safetensors', m, opt);
  const P = parts(bytes);
  const optim = P.header.__metadata__['fluxion.optim'] as string;
  const bad = path.join(dir, 'numbers-bad.safetensors');
  const target = trained();
  const x = rand(2, 4);
  for (const [v, pattern] of [
    ['"abc"', /is the string "abc", not a finite number/],
    ['-1', /is -1, but a step count must be a non-negative integer/],
    ['2.5', /step count must be a non-negative integer/],
    ['null', /is null in the file but a number in the optimiser state/],
    ['{}', /is an object, not a finite number/],
    ['1e400', /is the number Infinity, not a finite number/],
    ['NaN', /unreadable optimiser metadata/],
  ] as const) {
    const h = copy(P.header);
    h.__metadata__['fluxion.optim'] = optim.replace(/"optim\.layers\.1\.bias\.t":\d+/, `"optim.layers.1.bias.t":${v}`);
    writeFileSync(bad, build(h, P.data));
    expectRefused(t, bad, target.m, target.opt, pattern);
    // not poisoned: the next step works and keeps the parameters finite
    update(target.opt, target.m, gradient((mm: typeof m) => mm(x).sum(), target.m)[0]);
    t.true(flat(target.m.layers[1].bias).every(Number.isFinite), `after ${v}`);
    t.true(Number.isInteger((target.opt as any).layers[1].bias.state.t));
  }
  // a valid other step count loads
  const h = copy(P.header);
  h.__metadata__['fluxion.optim'] = optim.replace(/"optim\.layers\.1\.bias\.t":\d+/, '"optim.layers.1.bias.t":11');
  writeFileSync(bad, build(h, P.data));
  loadState(bad, target.m, target.opt);
  t.is((target.opt as any).layers[1].bias.state.t, 11);
  t.deepEqual(flat(target.m.layers[0].weight), flat(m.layers[0].weight));
  // and a state holding a number no checkpoint can restore is refused at save
  (opt as any).layers[0].weight.state.t = Number.NaN;
  t.throws(() => saveState(path.join(dir, 'nan.safetensors'), m, opt), { instanceOf: ArgumentError, message: /holds NaN at 'optim.layers.0.weight.t'/ });
});

test('parameters that cannot be written, and unreadable extra data, are found before anything is written', (t) => {
  const { file } = saveOf('targets.safetensors', { a: tensor([1, 2, 3]), b: tensor([4, 5, 6]) }, undefined, { note: 'x' });
  const cases: [string, () => Tensor, RegExp][] = [
    ['a broadcast view', () => tensor([0]).expand([3]), /cannot load 'b' .*broadcast view/],
    ['a disposed tensor', () => {
      const d = tensor([0, 0, 0]);
      d.dispose();
      return d;
    }, /cannot load 'b' .*disposed/],
    ['a read-only tensor', () => tensor([0, 0, 0])._markReadonly(), /cannot load 'b' .*read-only/],
  ];
  for (const [what, make, pattern] of cases) {
    const a = tensor([0, 0, 0]);
    const b = make();
    t.throws(() => loadState(file, { a, b }), { instanceOf: CheckpointError, message: pattern }, what);
    t.deepEqual(flat(a), [0, 0, 0], `${what}: a is untouched`);
  }
  // a tensor a running gradient tracks
  const a = tensor([0, 0, 0]);
  const b = tensor([0, 0, 0]);
  t.throws(
    () =>
      gradient((bb: Tensor) => {
        loadState(file, { a, b: bb });
        return bb.sum();
      }, b),
    { instanceOf: CheckpointError, message: /cannot load 'b' .*being differentiated/ },
  );
  t.deepEqual(flat(a), [0, 0, 0]);
  t.deepEqual(flat(b), [0, 0, 0]);
  // extra data that is not JSON: refused before the tensors are written
  const bytes = readFileSync(file);
  const P = parts(bytes);
  const h = copy(P.header);
  h.__metadata__['fluxion.extra'] = '{"note": "x"';
  const bad = path.join(dir, 'targets-bad.safetensors');
  writeFileSync(bad, build(h, P.data));
  expectRefused(t, bad, { a, b }, null, /unreadable extra data/);
  t.deepEqual(loadState(file, { a, b }).extra, { note: 'x' });
  t.deepEqual(flat(b), [4, 5, 6]);
});

test('model paths that collide when flattened are an error at save, naming both', (t) => {
  const file = path.join(dir, 'collide.safetensors');
  t.throws(() => saveState(file, { 'a.b': tensor([1]), a: { b: tensor([2, 3]) } }), {
    instanceOf: ArgumentError,
    message: /two values would be saved under the one name 'a.b': model\["a.b"\] \(float32 \[1\]\) and model.a.b \(float32 \[2\]\)/,
  });
  t.throws(() => saveState(file, { layers: [{ w: tensor([1]) }], 'layers.0': { w: tensor([2]) } }), {
    instanceOf: ArgumentError,
    message: /'layers.0.w': model.layers\[0\].w \(float32 \[1\]\) and model\["layers.0"\].w \(float32 \[1\]\)/,
  });
  // a model field named optim against the optimiser state's names
  const w = tensor([1, 2]);
  const model = { w, optim: { w: { m: tensor([0, 0]) } } };
  const opt = setup(new Adam(), { w });
  t.throws(() => saveState(file, model, opt), { instanceOf: ArgumentError, message: /'optim.w.m': model.optim.w.m \(float32 \[2\]\) and the optimiser state of 'w'/ });
  // (a field starting with '_' is never walked, but a Map key is)
  t.throws(() => saveState(file, new Map([['__metadata__', tensor([1])]])), { instanceOf: ArgumentError, message: /'__metadata__' is reserved/ });
  t.false(existsSync(file), 'nothing was written');
  // other save-time errors, before the file is touched
  t.throws(() => saveState(file, { w }, undefined, { big: 1n }), { instanceOf: ArgumentError, message: /extra cannot be written as JSON/ });
  t.throws(() => saveState(file, { w }, undefined, () => 1), { instanceOf: ArgumentError, message: /expected extra to be a JSON-able value/ });
  const gone = tensor([1]);
  gone.dispose();
  t.throws(() => saveState(file, { w, gone }), { instanceOf: ArgumentError, message: /'gone' of shape \[1\] was disposed/ });
  t.false(existsSync(file));
  // the same keys without a collision save and load
  const ok = { 'a.b': tensor([1]), c: { d: tensor([2, 3]) } };
  saveState(file, ok);
  const back = { 'a.b': tensor([0]), c: { d: tensor([0, 0]) } };
  loadState(file, back);
  t.deepEqual(flat(back.c.d), [2, 3]);
});

test('loadState checks both ways: tensors the model lacks are an error listing them, unless strict: false', (t) => {
  const three = Chain(Dense(4, 3, relu), Dense(3, 3, relu), Dense(3, 2));
  const opt3 = setup(new Adam(0.01), three);
  const { file } = saveOf('three.safetensors', three, opt3);
  const two = Chain(Dense(4, 3, relu), Dense(3, 3, relu));
  expectRefused(t, file, two, null, /holds tensors 'layers.2.weight', 'layers.2.bias', which the model lacks \(pass \{ strict: false \}/);
  const opt2 = setup(new Adam(0.01), two);
  expectRefused(t, file, two, opt2, /holds optimiser state for 'layers.2.weight', 'layers.2.bias', which the optimiser state lacks/);
  loadState(file, two, undefined, { strict: false });
  t.deepEqual(flat(two.layers[1].weight), flat(three.layers[1].weight));
  loadState(file, two, opt2, { strict: false });
  t.deepEqual(flat((opt2 as any).layers[0].weight.state.m), flat((opt3 as any).layers[0].weight.state.m));
  // the optimiser state in the file is not 'extra' when no optimiser state is loaded
  const same = Chain(Dense(4, 3, relu), Dense(3, 3, relu), Dense(3, 2));
  loadState(file, same);
  t.deepEqual(flat(same.layers[2].bias), flat(three.layers[2].bias));
  t.throws(() => loadState(file, same, undefined, { strict: 'no' } as any), { instanceOf: ArgumentError, message: /expected opts.strict to be a boolean/ });
  t.throws(() => loadState(file, same, undefined, 5 as any), { instanceOf: ArgumentError, message: /expected opts to be an options object/ });
});

test('non-regular files (/dev/zero, a FIFO, a folder) are refused at once', (t) => {
  const m = { w: tensor([1, 2]) };
  const start = Date.now();
  if (existsSync('/dev/zero')) {
    t.throws(() => loadState('/dev/zero', m), { instanceOf: CheckpointError, message: /\/dev\/zero is a character device, not a checkpoint file/ });
    t.throws(() => readSafetensors('/dev/zero'), { instanceOf: CheckpointError, message: /character device/ });
  }
  const fifo = path.join(dir, 'fifo.safetensors');
  if (spawnSync('mkfifo', [fifo]).status === 0) t.throws(() => loadState(fifo, m), { instanceOf: CheckpointError, message: /is a FIFO, not a checkpoint file/ });
  else t.log('mkfifo is not available: the FIFO case is skipped');
  t.throws(() => loadState(dir, m), { instanceOf: CheckpointError, message: /is a folder, not a checkpoint file/ });
  t.true(Date.now() - start < 5000, 'refused without reading');
  t.deepEqual(flat(m.w), [1, 2]);
});

test('stale temporary files of the same checkpoint are removed on the next save; live ones are kept', (t) => {
  const sub = mkdtempSync(path.join(dir, 'temps-'));
  const file = path.join(sub, 'model.safetensors');
  const dead = spawnSync(process.execPath, ['-e', '']).pid as number;
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    const now = Date.now();
    const made = {
      deadNow: `model.safetensors.tmp-${dead}-${now}`,
      deadOld: `model.safetensors.tmp-${dead}-1`,
      ourOld: `model.safetensors.tmp-${process.pid}-1`,
      liveNow: `model.safetensors.tmp-${live.pid}-${now}`,
      ourNow: `model.safetensors.tmp-${process.pid}-${now}`,
      otherFile: `other.safetensors.tmp-${dead}-1`,
      notOurs: 'model.safetensors.tmp-abc',
      suffixed: `model.safetensors.tmp-${dead}-1.bak`,
    };
    for (const name of Object.values(made)) writeFileSync(path.join(sub, name), 'partial');
    utimesSync(path.join(sub, made.ourOld), new Date(1000), new Date(1000)); // from before this process began
    saveState(file, { w: tensor([1, 2]) });
    const left = new Set(readdirSync(sub));
    for (const k of ['deadNow', 'deadOld', 'ourOld'] as const) t.false(left.has(made[k]), `${k} removed`);
    for (const k of ['liveNow', 'ourNow', 'otherFile', 'notOurs', 'suffixed'] as const) t.true(left.has(made[k]), `${k} kept`);
    t.deepEqual([...left].filter((n) => n.startsWith('model.safetensors.tmp-') && !Object.values(made).includes(n)), [], 'the save left no temporary file of its own');
    t.true(left.has('model.safetensors'));
  } finally {
    live.kill('SIGKILL');
  }
});

test('a save after a process was killed mid-save removes the temporary file it left', async (t) => {
  t.timeout(60_000);
  const sub = mkdtempSync(path.join(dir, 'killed-'));
  const file = path.join(sub, 'k.safetensors');
  const child = spawn(process.execPath, ['--import=tsx', path.join(here, 'save-loop.ts'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => {
    child.stdout.once('data', () => setTimeout(() => child.kill('SIGKILL'), 10));
    child.on('exit', () => resolve());
  });
  const temps = () => readdirSync(sub).filter((n) => n.startsWith('k.safetensors.tmp-'));
  t.log(`${temps().length} temporary file(s) left by the killed process`);
  saveState(file, { a: tensor([1]) });
  t.deepEqual(temps(), []);
});

test('tensors are read and written in chunks: a small chunk size round-trips every dtype exactly', (t) => {
  const chunk = _io.chunkBytes;
  try {
    _io.chunkBytes = 7; // not a multiple of any element size
    const model = {
      a: rand(1001),
      b: tensor(Array.from({ length: 13 }, (_, i) => i / 3 - 2), { dtype: 'float64' }),
      c: tensor([7, -1, 2 ** 31 - 1, -(2 ** 31), 0], { dtype: 'int32' }),
      e: tensor(new Float32Array(0)),
      s: tensor(1.25),
    };
    const file = path.join(dir, 'chunks.safetensors');
    const writes = _io.writes;
    saveState(file, model, undefined, { note: 'chunked' });
    const bytes = readFileSync(file).length;
    t.true(_io.writes - writes >= Math.ceil(bytes / 7), `${_io.writes - writes} write calls for ${bytes} bytes`);
    const reads = _io.reads;
    const back = { a: rand(1001), b: tensor(new Float64Array(13)), c: tensor(new Int32Array(5)), e: tensor(new Float32Array(0)), s: tensor(0) };
    t.deepEqual(loadState(file, back).extra, { note: 'chunked' });
    t.true(_io.reads - reads >= Math.ceil((bytes - 8) / 7), `${_io.reads - reads} read calls`);
    for (const k of ['a', 'b', 'c', 'e', 's'] as const) t.deepEqual(Buffer.from(back[k].data().buffer), Buffer.from(model[k].data().buffer), k);
    const { entries } = readSafetensors(file);
    t.deepEqual(Array.from(new Int32Array(entries.get('c')!.data.buffer)), [7, -1, 2 ** 31 - 1, -(2 ** 31), 0]);
  } finally {
    _io.chunkBytes = chunk;
  }
});
