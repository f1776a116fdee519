// PyTorch weights in and out: state_dicts saved by PyTorch (test/fixtures/torch-state, made by
// scripts/make-torch-state-fixtures.py) load into the equivalent Fluxion models and predict what
// PyTorch predicted; torchStateDict gives back PyTorch's names and values entry for entry.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import {
  ArgumentError, BatchNorm, Chain, CheckpointError, Conv, ConvTranspose, Dense, Embedding, Flatten, GRU, GroupNorm, LSTM, LSTMCell,
  LayerNorm, MaxPool, MultiHeadAttention, RNN, type Tensor, loadState, loadTorchState, readSafetensors, relu, saveTorchState, tanh,
  tensor, testMode, torchNames, torchStateDict, zeros,
} from '../../ts/index.js';
import { close, flat } from '../helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, '..', 'fixtures', 'torch-state');
const dir = mkdtempSync(path.join(tmpdir(), 'fluxion-torch-'));

interface Case {
  name: string;
  file: string;
  input: { shape: number[]; dtype: string; data: number[] };
  output: { shape: number[]; data: number[] };
}
const cases: Case[] = JSON.parse(readFileSync(path.join(fixtures, 'cases.json'), 'utf8')).cases;
const fixture = (name: string) => cases.find((c) => c.name === name) as Case;
const fileOf = (name: string) => path.join(fixtures, fixture(name).file);
const inputOf = (c: Case) => tensor(c.input.data, { shape: c.input.shape, dtype: c.input.dtype === 'int64' ? 'int32' : 'float32' });

// The Fluxion twins of the PyTorch models in the script, with fresh (different) weights.
const models: Record<string, () => { model: unknown; predict: (x: Tensor) => Tensor }> = {
  mlp: () => {
    const m = Chain(Dense(4, 8, relu), Dense(8, 8, tanh), Dense(8, 3));
    return { model: m, predict: (x) => m(x) };
  },
  cnn: () => {
    const m = Chain(
      Conv([3, 3], 1, 4, undefined, { pad: 1 }), BatchNorm(4, relu), MaxPool([2, 2]),
      Conv([3, 3], 4, 6), GroupNorm(2, 6, tanh), ConvTranspose([2, 2], 6, 3, undefined, { stride: 2 }),
      Flatten(), Dense(48, 5),
    );
    return { model: m, predict: (x) => testMode(m)(x) };
  },
  sequence: () => {
    const m = { embed: Embedding(10, 3), lstm: LSTM(3, 6), gru: GRU(6, 4), rnn: RNN(4, 4), attn: MultiHeadAttention(4, 2), norm: LayerNorm(4), head: Dense(4, 2) };
    const predict = (ids: Tensor) => {
      const y = m.rnn(m.gru(m.lstm(m.embed(ids))));
      return m.head(m.norm(y.add(m.attn(y))));
    };
    return { model: m, predict };
  },
};

for (const name of Object.keys(models)) {
  test(`a PyTorch state_dict (${name}) loads into the equivalent Fluxion model and predicts what PyTorch did`, (t) => {
    const c = fixture(name);
    const { model, predict } = models[name]();
    const before = flat(predict(inputOf(c)));
    loadTorchState(fileOf(name), model);
    const after = predict(inputOf(c));
    t.deepEqual(after.shape, c.output.shape);
    close(t, after, c.output.data, { atol: 2e-5, rtol: 1e-4 });
    t.notDeepEqual(before, flat(after)); // the fresh weights predicted something else
  });

  test(`torchStateDict (${name}) gives PyTorch's names, order, shapes and values back`, (t) => {
    const { model } = models[name]();
    loadTorchState(fileOf(name), model);
    const ours = torchStateDict(model);
    const theirs = readSafetensors(fileOf(name)).entries;
    t.deepEqual([...ours.keys()], [...theirs.keys()]);
    for (const [k, e] of theirs) {
      const mine = ours.get(k) as Tensor;
      t.deepEqual(mine.shape, e.shape, k);
      if (e.dtype === 'int64') {
        t.true(k.endsWith('num_batches_tracked'), k);
        t.is(mine.dtype, 'int32');
        continue;
      }
      t.is(mine.dtype, e.dtype, k);
      t.deepEqual(flat(mine), Array.from(new Float32Array(e.data.buffer, e.data.byteOffset, e.data.byteLength / 4)), k);
    }
  });

  test(`saveTorchState (${name}) writes a file that loads back into a fresh model`, (t) => {
    const c = fixture(name);
    const a = models[name]();
    loadTorchState(fileOf(name), a.model);
    const file = path.join(dir, `${name}.safetensors`);
    saveTorchState(file, a.model);
    const b = models[name]();
    loadTorchState(file, b.model);
    t.deepEqual(flat(b.predict(inputOf(c))), flat(a.predict(inputOf(c))));
  });
}

test('PyTorch numbering: activations carried by a layer take their own slot, functions one each, named Chains keep names', (t) => {
  const m = Chain(Dense(2, 3, relu), Dense(3, 3), (x: Tensor) => x, Chain(Dense(3, 2, tanh), Dense(2, 1)), Chain({ enc: Dense(1, 2, relu), dec: Dense(2, 1) }));
  t.deepEqual(
    torchNames(m).map((e) => [e.torch, e.paths.join('+')]),
    [
      ['0.weight', 'layers.0.weight'], ['0.bias', 'layers.0.bias'],
      ['2.weight', 'layers.1.weight'], ['2.bias', 'layers.1.bias'],
      ['4.0.weight', 'layers.3.layers.0.weight'], ['4.0.bias', 'layers.3.layers.0.bias'],
      ['4.2.weight', 'layers.3.layers.1.weight'], ['4.2.bias', 'layers.3.layers.1.bias'],
      ['5.enc.weight', 'layers.4.layers.enc.weight'], ['5.enc.bias', 'layers.4.layers.enc.bias'],
      ['5.dec.weight', 'layers.4.layers.dec.weight'], ['5.dec.bias', 'layers.4.layers.dec.bias'],
    ],
  );
  const attn = MultiHeadAttention(4, 2, { bias: false });
  t.deepEqual(torchNames({ attn, cell: LSTMCell(2, 3) }).map((e) => e.torch), [
    'attn.in_proj_weight', 'attn.out_proj.weight', 'cell.weight_ih', 'cell.weight_hh', 'cell.bias_ih', 'cell.bias_hh',
  ]);
  // a tensor shared by two layers is named once, where it first appears
  const d = Dense(2, 2);
  t.deepEqual(torchNames(Chain(d, d)).map((e) => e.torch), ['0.weight', '0.bias']);
});

test('a PyTorch checkpoint with more layers than the model is an error listing them, unless strict: false', (t) => {
  const two = Chain(Dense(4, 8, relu), Dense(8, 8, tanh));
  const before = flat(two.layers[0].weight);
  t.throws(() => loadTorchState(fileOf('mlp'), two), { instanceOf: CheckpointError, message: /mlp\.safetensors holds tensors '4\.weight', '4\.bias', which the model lacks \(pass \{ strict: false \}/ });
  t.deepEqual(flat(two.layers[0].weight), before); // nothing changed
  loadTorchState(fileOf('mlp'), two, { strict: false });
  const full = models.mlp().model as ReturnType<typeof Chain>;
  loadTorchState(fileOf('mlp'), full);
  t.deepEqual(flat(two.layers[1].weight), flat((full.layers as any)[1].weight));
});

test('a model with layers the checkpoint lacks names the PyTorch name and the Fluxion path', (t) => {
  const bigger = Chain(Dense(4, 8, relu), Dense(8, 8, tanh), Dense(8, 3), Dense(3, 3));
  t.throws(() => loadTorchState(fileOf('mlp'), bigger), { instanceOf: CheckpointError, message: /has no '5\.weight' \(for layers\.3\.weight, \[3, 3\]\)/ });
  const wrong = Chain(Dense(4, 8, relu), Dense(8, 8, tanh), Dense(8, 2));
  t.throws(() => loadTorchState(fileOf('mlp'), wrong), { instanceOf: CheckpointError, message: /'4\.weight' \(renamed 'layers\.2\.weight'\) is float32 \[3, 8\] in .*mlp\.safetensors but float32 \[2, 8\] in the model/ });
  const attn = MultiHeadAttention(4, 2);
  t.throws(() => loadTorchState({ in_proj_weight: zeros(6, 4), in_proj_bias: zeros(12), 'out_proj.weight': zeros(4, 4), 'out_proj.bias': zeros(4) }, attn), {
    instanceOf: CheckpointError, message: /'in_proj_weight' is \[6, 4\] in the given tensors, but the model's qProj\.weight, kProj\.weight, vProj\.weight stack to \[12, 4\]/,
  });
});

test('loadTorchState from tensors in memory, with a rename (nn.DataParallel\'s module. prefix)', (t) => {
  const src = models.mlp();
  loadTorchState(fileOf('mlp'), src.model);
  const prefixed = new Map([...torchStateDict(src.model)].map(([k, v]) => [`module.${k}`, v]));
  const dst = models.mlp();
  t.throws(() => loadTorchState(prefixed, dst.model), { instanceOf: CheckpointError, message: /has no '0\.weight'/ });
  loadTorchState(prefixed, dst.model, { rename: (n) => n.replace(/^module\./, '') });
  const x = inputOf(fixture('mlp'));
  t.deepEqual(flat(dst.predict(x)), flat(src.predict(x)));
  t.throws(() => loadTorchState(prefixed, dst.model, { rename: () => 5 as any }), { instanceOf: ArgumentError, message: /expected rename\('module\.0\.weight'\) to be a non-empty name or null, got the number 5/ });
  t.throws(() => loadTorchState(42 as any, dst.model), { instanceOf: ArgumentError, message: /expected source to be a file path, or a Map or object/ });
});

test('loadState reads tensors in memory and renames; a rename to null leaves a tensor out', (t) => {
  const m = Chain(Dense(2, 3, relu), Dense(3, 1));
  const w = tensor([[1, 2], [3, 4], [5, 6]]);
  const src = { w0: w, b0: zeros(3), w1: tensor([[1, 1, 1]]), b1: tensor([0.5]), junk: zeros(7) };
  const names = { w0: 'layers.0.weight', b0: 'layers.0.bias', w1: 'layers.1.weight', b1: 'layers.1.bias' };
  t.throws(() => loadState(src, m, undefined, { rename: names }), { instanceOf: CheckpointError, message: /the given tensors holds a tensor 'junk', which the model lacks/ });
  loadState(src, m, undefined, { rename: { ...names, junk: null } });
  t.deepEqual(flat(m.layers[0].weight), [1, 2, 3, 4, 5, 6]);
  t.not(m.layers[0].weight, w); // copied, not shared
  t.deepEqual(flat(m(tensor([1, 1]))), [3 + 7 + 11 + 0.5]);
  loadState(new Map(Object.entries(src)), m, undefined, { rename: (n) => (n === 'junk' ? null : names[n as keyof typeof names]) });
  t.throws(() => loadState(src, m, undefined, { rename: { w0: 'layers.0.weight', w1: 'layers.0.weight' } }), { instanceOf: ArgumentError, message: /rename gives 'w0' and 'w1' the one name 'layers\.0\.weight'/ });
  t.throws(() => loadState({ a: [1, 2] } as any, m), { instanceOf: ArgumentError, message: /expected source\['a'\] to be a Tensor/ });
  t.throws(() => loadState(src, m, undefined, { rename: 'x' } as any), { instanceOf: ArgumentError, message: /expected opts\.rename to be an object of new names or a function/ });
});
