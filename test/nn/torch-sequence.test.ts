// The sequence layers and attention against PyTorch: every case of
// test/fixtures/torch-sequence.json (scripts/make-torch-fixtures.py, float64) builds the Fluxion
// layer with PyTorch's parameters and compares every output, and the gradients of
// Σ sum(output_i · cotangent_i) with respect to the inputs, the parameters and the initial state.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import {
  GRU, GRUCell, LSTM, LSTMCell, MultiHeadAttention, RNN, RNNCell, type Tensor, concat, dotProductAttention, type Grads, gradient, params as paramsOf, relu, tanh, tensor, withGradient,
} from '../../ts/index.js';
import { close } from '../helpers.js';

interface T {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  module: string;
  args: Record<string, any>;
  state?: Record<string, T> | null;
  inputs: T[];
  input_roles?: string[];
  causal?: boolean;
  mask?: T & { true_means: 'not_allowed' | 'may_attend' };
  params: Record<string, T>;
  output?: T;
  cotangent?: T;
  outputs?: T[];
  cotangents?: T[];
  output_names?: string[];
  grad_inputs?: T[];
  grad_params: Record<string, T>;
  grad_state?: Record<string, T>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(readFileSync(path.join(here, '../fixtures/torch-sequence.json'), 'utf8')) as { cases: Case[] };
const f64 = (t: T) => tensor(t.data, { shape: t.shape, dtype: 'float64' });
const dtype = 'float64' as const;
const TOL = { atol: 1e-10, rtol: 1e-9 };

/** Fluxion's field for each PyTorch parameter name of a recurrent module. */
const RECURRENT_FIELDS: Record<string, string> = { weight_ih: 'weightIh', weight_hh: 'weightHh', bias_ih: 'biasIh', bias_hh: 'biasHh' };

interface Built {
  /** The outputs, in the order of the case's outputs. */
  run: (inputs: Tensor[], state: Record<string, Tensor>) => Tensor[];
  params: Record<string, Tensor>;
}

function setRecurrent(layer: Record<string, any>, c: Case): Record<string, Tensor> {
  const params: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(c.params)) {
    const field = RECURRENT_FIELDS[name.replace(/_l0$/, '')];
    layer[field].assign(f64(value));
    params[name] = layer[field];
  }
  return params;
}

function build(c: Case): Built {
  const a = c.args;
  const opts = { bias: a.bias !== false, dtype };
  const σ = a.nonlinearity === 'relu' ? relu : tanh;
  switch (c.module) {
    case 'RNN':
    case 'GRU': {
      const layer = c.module === 'RNN' ? RNN(a.input_size, a.hidden_size, σ, opts) : GRU(a.input_size, a.hidden_size, opts);
      return {
        params: setRecurrent(layer as never, c),
        run: ([x], s) => {
          const { output, state } = layer.run(x, s.h);
          return [output, state];
        },
      };
    }
    case 'LSTM': {
      const layer = LSTM(a.input_size, a.hidden_size, opts);
      return {
        params: setRecurrent(layer as never, c),
        run: ([x], s) => {
          const { output, state } = layer.run(x, s.h ? { h: s.h, c: s.c } : undefined);
          return [output, state.h, state.c];
        },
      };
    }
    case 'RNNCell':
    case 'GRUCell': {
      const cell = c.module === 'RNNCell' ? RNNCell(a.input_size, a.hidden_size, σ, opts) : GRUCell(a.input_size, a.hidden_size, opts);
      return { params: setRecurrent(cell as never, c), run: ([x], s) => [cell(x, s.h)] };
    }
    case 'LSTMCell': {
      const cell = LSTMCell(a.input_size, a.hidden_size, opts);
      return {
        params: setRecurrent(cell as never, c),
        run: ([x], s) => {
          const r = cell(x, s.h ? { h: s.h, c: s.c } : undefined);
          return [r.h, r.c];
        },
      };
    }
    case 'MultiheadAttention': {
      const E = a.embed_dim;
      const mha = MultiHeadAttention(E, a.num_heads, { bias: a.bias !== false, dtype });
      // in_proj_weight [3E, E] is the q, k, v projections' weights stacked (and its bias likewise)
      const W = f64(c.params.in_proj_weight);
      mha.qProj.weight.assign(W.slice(0, 0, E));
      mha.kProj.weight.assign(W.slice(0, E, 2 * E));
      mha.vProj.weight.assign(W.slice(0, 2 * E, 3 * E));
      mha.outProj.weight.assign(f64(c.params['out_proj.weight']));
      if (c.params.in_proj_bias) {
        const b = f64(c.params.in_proj_bias);
        mha.qProj.bias?.assign(b.slice(0, 0, E));
        mha.kProj.bias?.assign(b.slice(0, E, 2 * E));
        mha.vProj.bias?.assign(b.slice(0, 2 * E, 3 * E));
        mha.outProj.bias?.assign(f64(c.params['out_proj.bias']));
      }
      const mask = c.causal ? { causal: true } : {};
      return {
        params: { _layer: mha as never },
        run: (xs) => [c.input_roles?.[0] === 'qkv' ? mha(xs[0], mask) : mha(xs[0], xs[1], mask)],
      };
    }
    case 'functional:dot_product_attention': {
      const mask = c.mask ? tensor(c.mask.data, { shape: c.mask.shape, dtype: 'int32' }) : undefined;
      return { params: {}, run: ([q, k, v]) => [dotProductAttention(q, k, v, { mask, causal: a.causal, scale: a.scale ?? undefined })] };
    }
  }
  throw new Error(`no Fluxion counterpart for ${c.module}`);
}

for (const c of fixture.cases)
  test(`${c.module} ${c.name}`, (t) => {
    const { run, params } = build(c);
    const layer = (params as { _layer?: ReturnType<typeof MultiHeadAttention> })._layer;
    const inputs = c.inputs.map(f64);
    const stateNames = c.state ? Object.keys(c.state) : [];
    const state = Object.fromEntries(stateNames.map((n) => [n, f64((c.state as Record<string, T>)[n])]));
    const outputs = c.outputs ?? [c.output as T];
    const cotangents = (c.cotangents ?? [c.cotangent as T]).map(f64);
    // MultiheadAttention's in-projection gradients are three layers' gradients stacked
    const trainable: Tensor[] = layer
      ? [layer.qProj.weight, layer.kProj.weight, layer.vProj.weight, layer.outProj.weight, ...(layer.qProj.bias ? [layer.qProj.bias, layer.kProj.bias!, layer.vProj.bias!, layer.outProj.bias!] : [])]
      : Object.values(params);
    if (trainable.length === 0 && Object.keys(c.grad_params).length > 0) t.fail('parameters missing');
    const { val, grad } = withGradient(
      (...vars: Tensor[]) => {
        const xs = vars.slice(0, inputs.length);
        const s = Object.fromEntries(stateNames.map((n, i) => [n, vars[inputs.length + i]]));
        const ys = run(xs, s);
        return { loss: ys.reduce((acc, y, i) => acc.add(y.mul(cotangents[i]).sum()), tensor(0, { dtype })), ys };
      },
      ...inputs,
      ...stateNames.map((n) => state[n]),
    );
    const ys = (val as { ys: Tensor[] }).ys;
    outputs.forEach((o, i) => {
      t.deepEqual(ys[i].shape, o.shape, `shape of ${c.output_names?.[i] ?? 'output'}`);
      close(t, ys[i], o.data, TOL, c.output_names?.[i] ?? 'output');
    });
    (c.grad_inputs ?? []).forEach((g, i) => {
      close(t, grad[i] as Tensor, g.data, TOL, `gradient of input ${i}`);
    });
    stateNames.forEach((n, i) => {
      if (c.grad_state?.[n]) close(t, grad[inputs.length + i] as Tensor, c.grad_state[n].data, TOL, `gradient of state ${n}`);
    });
    // parameter gradients: the layers read their own fields, so take them as implicit parameters
    const lossOf = (ys2: Tensor[]) => ys2.reduce((acc, y, i) => acc.add(y.mul(cotangents[i]).sum()), tensor(0, { dtype }));
    const gs = gradient(() => lossOf(run(inputs, state)), paramsOf(...trainable)) as unknown as Grads;
    const g = (p: Tensor) => gs.get(p) as Tensor;
    if (layer) {
      close(t, concat([g(layer.qProj.weight), g(layer.kProj.weight), g(layer.vProj.weight)]), c.grad_params.in_proj_weight.data, TOL, 'gradient of in_proj_weight');
      close(t, g(layer.outProj.weight), c.grad_params['out_proj.weight'].data, TOL, 'gradient of out_proj.weight');
      if (layer.qProj.bias) {
        close(t, concat([g(layer.qProj.bias), g(layer.kProj.bias!), g(layer.vProj.bias!)]), c.grad_params.in_proj_bias.data, TOL, 'gradient of in_proj_bias');
        close(t, g(layer.outProj.bias as Tensor), c.grad_params['out_proj.bias'].data, TOL, 'gradient of out_proj.bias');
      }
    } else
      for (const [name, expected] of Object.entries(c.grad_params)) close(t, g(params[name] as Tensor), expected.data, TOL, `gradient of ${name}`);
  });
