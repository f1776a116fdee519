// The vision layers and ops against PyTorch: every case of test/fixtures/torch-vision.json
// (made by scripts/make-torch-fixtures.py with PyTorch, in float64) builds the Fluxion layer with
// PyTorch's parameters and compares the output, the gradients of sum(output · cotangent) with
// respect to the input and every parameter, and BatchNorm's running statistics after the step.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import {
  AdaptiveMaxPool, AdaptiveMeanPool, BatchNorm, Conv, ConvTranspose, GroupNorm, InstanceNorm, LayerNorm, MaxPool, MeanPool, PixelShuffle, type Tensor, Upsample,
  conv, erf, pad, std, tensor, testMode, trainMode, variance, withGradient,
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
  mode?: 'train' | 'eval';
  inputs: T[];
  params: Record<string, T>;
  buffers?: Record<string, T | number> | null;
  output: T;
  cotangent: T;
  grad_inputs: T[];
  grad_params: Record<string, T>;
  buffers_after?: Record<string, T | number> | null;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(readFileSync(path.join(here, '../fixtures/torch-vision.json'), 'utf8')) as { cases: Case[] };
const f64 = (t: T) => tensor(t.data, { shape: t.shape, dtype: 'float64' });

type Built = { fn: (x: Tensor) => Tensor; params: Record<string, Tensor>; layer?: unknown };

/** The Fluxion layer (or op) for a case, with PyTorch's parameter values. */
function build(c: Case): Built {
  const a = c.args;
  const dtype = 'float64' as const;
  const set = (layer: Record<string, any>, names: Record<string, string>) => {
    const params: Record<string, Tensor> = {};
    for (const [torchName, field] of Object.entries(names)) {
      if (!(torchName in c.params)) continue;
      layer[field].assign(f64(c.params[torchName]));
      params[torchName] = layer[field];
    }
    return params;
  };
  const dims = (m: string) => Number(/(\d)d$/.exec(m)?.[1] ?? 2);
  const k = (v: number | number[], nd: number) => (typeof v === 'number' ? new Array(nd).fill(v) : v);
  const mod = c.module;
  if (/^Conv\dd$/.test(mod) || /^ConvTranspose\dd$/.test(mod)) {
    const nd = dims(mod);
    const opts = { stride: a.stride, pad: a.padding, dilation: a.dilation, groups: a.groups, bias: a.bias, dtype, outputPad: a.output_padding };
    const layer = mod.startsWith('ConvTranspose')
      ? ConvTranspose(k(a.kernel_size, nd), a.in_channels, a.out_channels, undefined, opts)
      : Conv(k(a.kernel_size, nd), a.in_channels, a.out_channels, undefined, opts);
    const params = set(layer as unknown as Record<string, any>, { weight: 'weight', bias: 'bias' });
    return { fn: (x) => layer(x), params, layer };
  }
  if (mod === 'functional:conv2d_padded') {
    const w = f64(c.params.weight);
    const b = c.params.bias ? f64(c.params.bias) : null;
    const params: Record<string, Tensor> = b ? { weight: w, bias: b } : { weight: w };
    return { fn: (x) => {
      const y = conv(x, params.weight, { pad: a.pad, stride: a.stride, dilation: a.dilation, groups: a.groups });
      return params.bias ? y.add(params.bias.reshape([-1, 1, 1])) : y;
    }, params };
  }
  const poolOpts = { stride: a.stride, pad: a.padding };
  if (/^MaxPool\dd$/.test(mod)) return { fn: MaxPool(k(a.kernel_size, dims(mod)), poolOpts), params: {} };
  if (/^AvgPool\dd$/.test(mod)) return { fn: MeanPool(k(a.kernel_size, dims(mod)), poolOpts), params: {} };
  if (/^AdaptiveAvgPool\dd$/.test(mod)) return { fn: AdaptiveMeanPool(k(a.output_size, dims(mod))), params: {} };
  if (/^AdaptiveMaxPool\dd$/.test(mod)) return { fn: AdaptiveMaxPool(k(a.output_size, dims(mod))), params: {} };
  if (/^BatchNorm\dd$/.test(mod)) {
    const layer = BatchNorm(a.num_features, undefined, { eps: a.eps, momentum: a.momentum, affine: a.affine, trackStats: a.track_running_stats, dtype });
    const params = set(layer as unknown as Record<string, any>, { weight: 'weight', bias: 'bias' });
    if (c.buffers) {
      (layer.runningMean as Tensor).assign(f64(c.buffers.running_mean as T));
      (layer.runningVar as Tensor).assign(f64(c.buffers.running_var as T));
    }
    if (c.mode === 'train') trainMode(layer);
    else testMode(layer);
    return { fn: (x) => layer(x), params, layer };
  }
  if (mod === 'LayerNorm') {
    const layer = LayerNorm(a.normalized_shape, undefined, { eps: a.eps, affine: a.elementwise_affine, dtype });
    return { fn: (x) => layer(x), params: set(layer as unknown as Record<string, any>, { weight: 'weight', bias: 'bias' }), layer };
  }
  if (mod === 'GroupNorm') {
    const layer = GroupNorm(a.num_groups, a.num_channels, undefined, { eps: a.eps, affine: a.affine, dtype });
    return { fn: (x) => layer(x), params: set(layer as unknown as Record<string, any>, { weight: 'weight', bias: 'bias' }), layer };
  }
  if (mod === 'InstanceNorm2d') {
    const layer = InstanceNorm(a.num_features, undefined, { eps: a.eps, affine: a.affine, dtype });
    return { fn: (x) => layer(x), params: set(layer as unknown as Record<string, any>, { weight: 'weight', bias: 'bias' }), layer };
  }
  if (mod === 'functional:pad') return { fn: (x) => pad(x, a.pad, { mode: a.mode, value: a.value }), params: {} };
  if (mod === 'functional:var') return { fn: (x) => variance(x, a.dim ?? undefined, { correction: a.correction, keepdims: a.keepdim }), params: {} };
  if (mod === 'functional:std') return { fn: (x) => std(x, a.dim ?? undefined, { correction: a.correction, keepdims: a.keepdim }), params: {} };
  if (mod === 'functional:erf') return { fn: (x) => erf(x), params: {} };
  if (mod === 'Upsample') return { fn: Upsample({ scale: a.scale_factor, mode: a.mode }), params: {} };
  if (mod === 'PixelShuffle') return { fn: PixelShuffle(a.upscale_factor), params: {} };
  throw new Error(`no Fluxion counterpart for ${mod}`);
}

const TOL = { atol: 1e-10, rtol: 1e-9 };

for (const c of fixture.cases)
  test(`${c.module} ${c.name}`, (t) => {
    const { fn, params, layer } = build(c);
    const x = f64(c.inputs[0]);
    const cot = f64(c.cotangent);
    const names = Object.keys(params);
    const { val, grad } = withGradient(
      (xi: Tensor, ...ps: Tensor[]) => {
        // the layers read their own fields; a functional case gets its parameters as arguments
        if (layer === undefined)
          names.forEach((n, i) => {
            params[n] = ps[i];
          });
        const y = fn(xi);
        return { loss: y.mul(cot).sum(), y };
      },
      x,
      ...names.map((n) => params[n]),
    );
    const y = (val as { y: Tensor }).y;
    t.deepEqual(y.shape, c.output.shape, 'output shape');
    close(t, y, c.output.data, TOL, 'output');
    close(t, grad[0] as Tensor, c.grad_inputs[0].data, TOL, 'input gradient');
    names.forEach((n, i) => {
      close(t, grad[i + 1] as Tensor, c.grad_params[n].data, TOL, `gradient of ${n}`);
    });
    if (c.buffers_after && layer) {
      const bn = layer as { runningMean: Tensor; runningVar: Tensor };
      close(t, bn.runningMean, (c.buffers_after.running_mean as T).data, TOL, 'running mean');
      close(t, bn.runningVar, (c.buffers_after.running_var as T).data, TOL, 'running variance');
    }
  });
