// Checkpoints of a model on the device, on the emulated device (FLUXION_EMULATE_CUDA=1): each
// tensor is read into a fresh one on its target's device, so loading into a 'cuda' model
// works (it used to fail at the first tensor: assign from the host), and a bad file leaves
// the device model untouched.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { build, copy, parts } from './ckpt-bytes.js';

process.env.FLUXION_EMULATE_CUDA = '1';
const fx = await import('../../ts/index.js');
const dir = mkdtempSync(path.join(tmpdir(), 'fluxion-ckpt-device-'));

test('a model and its optimiser state on the device save and load; a bad file changes nothing there', (t) => {
  const { Chain, Dense, relu, gpu, setup, Adam, saveState, loadState, update, gradient, rand, CheckpointError } = fx;
  const make = () => {
    const m = gpu(Chain(Dense(4, 3, relu), Dense(3, 2)));
    const opt = setup(new Adam(0.01), m);
    const x = rand(5, 4).to('cuda');
    update(opt, m, gradient((mm: typeof m) => mm(x).pow(2).sum(), m)[0]);
    return { m, opt };
  };
  const a = make();
  const file = path.join(dir, 'device.safetensors');
  saveState(file, a.m, a.opt);
  const b = make();
  loadState(file, b.m, b.opt);
  t.is(b.m.layers[0].weight.device, 'cuda');
  t.deepEqual(Array.from(b.m.layers[1].weight.data()), Array.from(a.m.layers[1].weight.data()));
  const sa = (a.opt as any).layers[0].weight.state;
  const sb = (b.opt as any).layers[0].weight.state;
  t.is(sb.m.device, 'cuda');
  t.deepEqual(Array.from(sb.v.data()), Array.from(sa.v.data()));
  t.is(sb.t, sa.t);
  // a lying offset: refused, the device tensors untouched
  const P = parts(readFileSync(file));
  const h = copy(P.header);
  h['layers.1.bias'].data_offsets = h['layers.1.bias'].data_offsets.map((o: number) => o + 4);
  writeFileSync(file, build(h, P.data));
  const c = make();
  const before = Array.from(c.m.layers[1].bias!.data());
  t.throws(() => loadState(file, c.m, c.opt), { instanceOf: CheckpointError });
  t.deepEqual(Array.from(c.m.layers[1].bias!.data()), before);
});
