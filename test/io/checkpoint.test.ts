import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import {
  Adam, Chain, CheckpointError, Dense, readSafetensors, loadState, relu, saveState, setup, tensor, update, gradient, rand, type Tensor,
} from '../../ts/index.js';
import { flat } from '../helpers.js';

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
