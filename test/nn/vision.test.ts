// The vision layers as users meet them: a gradient penalty through conv, BatchNorm and
// pooling against central differences; the errors for bad input (naming the layer, the op and
// both shapes, never a crash); printing; BatchNorm's running statistics as state (outside params
// and optimisers, inside checkpoints and conversions, in both modes); and memory over 2,000
// CNN training steps.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import {
  Adam, AdaptiveMaxPool, AdaptiveMeanPool, ArgumentError, BatchNorm, Chain, Conv, ConvTranspose, DataLoader, Dense, Flatten, GlobalMaxPool,
  GlobalMeanPool, GroupNorm, InstanceNorm, LayerNorm, MaxPool, MeanPool, PixelShuffle, RNG, ShapeError, type Tensor, Upsample, conv,
  convTranspose, f32, f64, gradient, logitCrossEntropy, loadState, maxPool, meanPool, params, randn, relu, saveState, setup, tanh,
  tensor, testMode, train, trainMode, unfold, update, zeros,
} from '../../ts/index.js';
import { assertFlatMemory, close, flat, numericGrad } from '../helpers.js';

test('gradient penalty ‖∂f/∂x‖² through Conv, BatchNorm and MaxPool: the weight gradient matches central differences', (t) => {
  const rng = new RNG(21);
  const o = { dtype: 'float64' as const, rng };
  // tanh rather than relu: no kinks for the differences to straddle
  const model = Chain(Conv([3, 3], 2, 3, tanh, { pad: 1, ...o }), BatchNorm(3, tanh, { dtype: 'float64' }), MaxPool([2, 2]), Flatten(), Dense(12, 1, undefined, o));
  const bn = model.layers[1] as ReturnType<typeof BatchNorm>;
  bn.weight?.addInPlace(randn([3], o).mul(0.3));
  bn.bias?.addInPlace(randn([3], o).mul(0.3));
  const x = randn([4, 2, 4, 4], o);
  const penalty = () => {
    const [gx] = gradient((xx: Tensor) => model(xx).sum(), x) as Tensor[];
    return gx.pow(2).sum();
  };
  const ps = params(model);
  t.is(ps.length, 6); // conv weight and bias, γ, β, dense weight and bias: no running statistics
  const gs = gradient(penalty, ps);
  const dense = model.layers[4] as ReturnType<typeof Dense>;
  for (const p of ps) {
    const numeric = numericGrad(() => penalty().item(), p);
    // the last bias shifts f but not ∂f/∂x: no dependence, so no gradient
    if (p === dense.bias) {
      t.is(gs.get(p), null);
      close(t, numeric, new Array(p.size).fill(0), { atol: 1e-8 });
      continue;
    }
    close(t, gs.get(p), numeric, { atol: 1e-6, rtol: 1e-5 }, p.shape.join('×'));
  }
});

test('wrong channel counts name the layer and both shapes', (t) => {
  const x = randn([2, 1, 8, 8]);
  t.throws(() => Conv([3, 3], 3, 8, relu)(x), {
    instanceOf: ShapeError,
    message: 'Conv([3, 3], 3 => 8, relu) expects input [N, 3, ...2 spatial dims] (channels in dim 1), got [2, 1, 8, 8]',
  });
  t.throws(() => ConvTranspose([2, 2], 4, 2)(x), { instanceOf: ShapeError, message: /^ConvTranspose\(\[2, 2\], 4 => 2\) expects input \[N, 4, .*got \[2, 1, 8, 8\]$/ });
  t.throws(() => Conv([3], 1, 8)(x), { message: /^Conv\(\[3\], 1 => 8\) expects input \[N, 1, \.\.\.1 spatial dims\].*got \[2, 1, 8, 8\]$/ });
  t.throws(() => BatchNorm(3)(x), { instanceOf: ShapeError, message: 'BatchNorm(3) expects input [N, 3, ...] (channels in dim 1), got [2, 1, 8, 8]' });
  t.throws(() => GroupNorm(2, 4)(x), { instanceOf: ShapeError, message: /^GroupNorm\(2, 4\).*got \[2, 1, 8, 8\]$/ });
  t.throws(() => InstanceNorm(3)(x), { instanceOf: ShapeError, message: /^InstanceNorm\(3\).*got \[2, 1, 8, 8\]$/ });
  t.throws(() => LayerNorm([4, 4])(x), { instanceOf: ShapeError, message: /^LayerNorm\(\[4, 4\]\).*got \[2, 1, 8, 8\]$/ });
  t.throws(() => conv(x, randn([8, 3, 3, 3])), { instanceOf: ShapeError, message: 'conv: x [2, 1, 8, 8] has 1 channels, so w needs 1 input channels per group (groups 1), got w [8, 3, 3, 3]' });
  t.throws(() => conv(x, randn([8, 1, 3])), { instanceOf: ShapeError, message: /^conv: expected w of shape \[O, C\/groups, \.\.\.k\] with 2 kernel dims, got \[8, 1, 3\] for x \[2, 1, 8, 8\]$/ });
  t.throws(() => convTranspose(x, randn([3, 2, 2, 2])), { instanceOf: ShapeError, message: 'convTranspose: x [2, 1, 8, 8] has 1 channels but w [3, 2, 2, 2] is for 3' });
  // the error inside a Chain is the failing layer's
  t.throws(() => Chain(Conv([3, 3], 1, 4, relu), Conv([3, 3], 3, 4))(x), { message: /^Conv\(\[3, 3\], 3 => 4\) expects input \[N, 3/ });
  t.throws(() => Chain(Conv([3, 3], 1, 2), Flatten(), Dense(10, 3))(x), { message: 'Dense(10 => 3) expects last dimension 10, got [2, 72]' });
});

test('a kernel or window larger than the padded input is an error naming the op, the window and the padded size', (t) => {
  const x = randn([1, 1, 3, 3]);
  t.throws(() => conv(x, randn([1, 1, 5, 5])), { instanceOf: ShapeError, message: 'conv: the window (5×5, dilation 1×1) is larger than the padded input [3, 3] in spatial dim 0' });
  t.deepEqual(conv(x, randn([1, 1, 5, 5]), { pad: 1 }).shape, [1, 1, 1, 1]); // fits once padded
  t.throws(() => conv(x, randn([1, 1, 2, 2]), { dilation: [1, 3] }), { message: /larger than the padded input \[3, 3\] in spatial dim 1/ });
  t.throws(() => Conv([5, 5], 1, 8)(x), { instanceOf: ShapeError, message: /^conv: the window \(5×5/ });
  t.throws(() => maxPool(x, 4), { instanceOf: ShapeError, message: /^maxPool: the window \(4×4, dilation 1×1\) is larger than the padded input \[3, 3\]/ });
  t.throws(() => meanPool(x, 2, { pad: 2 }), { instanceOf: ShapeError, message: 'meanPool: the padding (2, 2) must be at most half the window (2) in spatial dim 0' });
  t.throws(() => unfold(x, [2, 7]), { message: /^unfold: the window \(2×7/ });
  t.throws(() => convTranspose(randn([1, 1, 1, 1]), randn([1, 1, 1, 1]), { pad: 1 }), { instanceOf: ShapeError, message: /^convTranspose: the padding leaves no output/ });
  t.throws(() => conv(zeros([1, 1, 0, 5]), randn([1, 1, 3, 3])), { message: /larger than the padded input \[0, 5\]/ });
});

test('zero, negative, fractional and malformed sizes are refused with what was expected and what was received', (t) => {
  const x = randn([1, 2, 6, 6]);
  const w = randn([2, 2, 3, 3]);
  t.throws(() => Conv([0, 3], 1, 8), { instanceOf: ArgumentError, message: /^Conv: expected k to be the kernel size.*got the array \[0, 3\]$/ });
  t.throws(() => Conv(3, -1, 8), { instanceOf: ArgumentError, message: 'Conv: expected in to be a positive integer, got the number -1' });
  t.throws(() => Conv(3, 1, 0), { message: 'Conv: expected out to be a positive integer, got the number 0' });
  t.throws(() => Conv([1, 2, 3, 4], 1, 1), { message: /^Conv: expected k .*got the array \[1, 2, 3, 4\]$/ });
  t.throws(() => conv(x, w, { stride: 0 }), { instanceOf: ArgumentError, message: 'conv: expected stride to be a positive integer or 2 of them (one per spatial dim), got the number 0' });
  t.throws(() => conv(x, w, { stride: [1, 1, 1] }), { message: /^conv: expected stride .*got the array \[1, 1, 1\]$/ });
  t.throws(() => conv(x, w, { dilation: 1.5 }), { message: /^conv: expected dilation .*got the number 1.5$/ });
  t.throws(() => conv(x, w, { pad: -1 }), { message: /^conv: expected pad to be a non-negative integer.*got the number -1$/ });
  t.throws(() => conv(x, w, { pad: [[1, 2]] as never }), { message: /^conv: expected pad .*got the array \[\[1, 2\]\]$/ });
  t.throws(() => conv(x, w, { pad: 'same', stride: 2 }), { message: "conv: pad 'same' needs stride 1, got stride [2, 2]" });
  t.throws(() => maxPool(x, 0), { message: /^maxPool: expected k to be a positive integer/ });
  t.throws(() => MaxPool([2, -2]), { message: /^MaxPool: expected k .*got the array \[2, -2\]$/ });
  t.throws(() => AdaptiveMeanPool([0, 1]), { message: /^AdaptiveMeanPool: expected outSize .*\[0, 1\]$/ });
  t.throws(() => BatchNorm(0), { message: 'BatchNorm: expected channels to be a positive integer, got the number 0' });
  t.throws(() => BatchNorm(4, undefined, { momentum: 2 }), { message: /^BatchNorm: expected momentum to be a number in \[0, 1\], got the number 2$/ });
  t.throws(() => BatchNorm(4, undefined, { eps: -1 }), { message: /^BatchNorm: expected eps to be a non-negative number/ });
  t.throws(() => PixelShuffle(0), { message: /^PixelShuffle: expected r to be a positive integer/ });
  t.throws(() => Upsample({ scale: 0 }), { message: /^Upsample: expected scale/ });
  t.throws(() => conv(randn([1, 2, 6]).get(0) as Tensor, w), { instanceOf: ShapeError, message: /^conv: expected x of shape \[N, C, \.\.\.spatial\] with 1 to 3 spatial dims, got \[2, 6\]$/ });
  t.throws(() => conv(x, tensor([[1]], { dtype: 'int32' }) as never), { message: /^conv/ });
  // an empty batch is not an error: it gives an empty batch
  t.deepEqual(conv(zeros([0, 2, 6, 6]), w).shape, [0, 2, 4, 4]);
});

test('groups must divide both channel counts', (t) => {
  t.throws(() => Conv([3, 3], 4, 6, relu, { groups: 4 }), { instanceOf: ShapeError, message: 'Conv: groups 4 must be a positive integer dividing the input channels 4 and the output channels 6' });
  t.throws(() => Conv([3, 3], 6, 4, relu, { groups: 4 }), { message: /groups 4 must be a positive integer dividing the input channels 6/ });
  t.throws(() => Conv([3, 3], 4, 4, relu, { groups: 0 }), { message: /groups 0 must be a positive integer/ });
  t.throws(() => ConvTranspose([3, 3], 4, 6, relu, { groups: 4 }), { message: /^ConvTranspose: groups 4 must be a positive integer dividing/ });
  t.throws(() => conv(randn([1, 4, 5, 5]), randn([6, 1, 3, 3]), { groups: 4 }), { instanceOf: ShapeError, message: 'conv: groups 4 must divide the input channels 4 and the output channels 6' });
  t.throws(() => conv(randn([1, 4, 5, 5]), randn([4, 1, 3, 3]), { groups: 2.5 }), { instanceOf: ArgumentError, message: 'conv: expected groups to be a positive integer, got the number 2.5' });
  t.throws(() => GroupNorm(3, 4), { message: /^GroupNorm: groups 3 must divide the channels 4/ });
  // a valid grouped (depthwise) layer
  t.deepEqual(Conv([3, 3], 4, 8, relu, { groups: 4 }).weight.shape, [8, 1, 3, 3]);
});

test('layers print Flux style, and nest in a Chain', (t) => {
  t.is(String(Conv([3, 3], 1, 16, relu)), 'Conv([3, 3], 1 => 16, relu)');
  t.is(String(Conv(5, 1, 16, relu, { pad: 2 })), 'Conv([5, 5], 1 => 16, relu, pad=2)');
  t.is(String(Conv([3, 3], 8, 16, undefined, { stride: 2, pad: [1, 1], groups: 2, bias: false })), 'Conv([3, 3], 8 => 16, stride=2, pad=[1, 1], groups=2, bias=false)');
  t.is(String(Conv([3], 2, 4, tanh, { pad: 'same', dilation: 2 })), "Conv([3], 2 => 4, tanh, pad='same', dilation=2)");
  t.is(String(ConvTranspose([4, 4], 16, 8, relu, { stride: 2, pad: 1, outputPad: 1 })), 'ConvTranspose([4, 4], 16 => 8, relu, stride=2, pad=1, outputPad=1)');
  t.is(String(MaxPool([2, 2])), 'MaxPool([2, 2])');
  t.is(String(MeanPool([3, 3], { stride: 1, pad: 1 })), 'MeanPool([3, 3], stride=1, pad=1)');
  t.is(String(AdaptiveMeanPool([4, 4])), 'AdaptiveMeanPool([4, 4])');
  t.is(String(AdaptiveMaxPool([1, 1])), 'AdaptiveMaxPool([1, 1])');
  t.is(String(GlobalMeanPool()), 'GlobalMeanPool()');
  t.is(String(GlobalMaxPool()), 'GlobalMaxPool()');
  t.is(String(Flatten()), 'Flatten()');
  t.is(String(PixelShuffle(2)), 'PixelShuffle(2)');
  t.is(String(BatchNorm(16, relu)), 'BatchNorm(16, relu)');
  t.is(String(BatchNorm(16, undefined, { affine: false, trackStats: false })), 'BatchNorm(16, affine=false, trackStats=false)');
  t.is(String(LayerNorm(32)), 'LayerNorm(32)');
  t.is(String(LayerNorm([4, 4], tanh, { affine: false })), 'LayerNorm([4, 4], tanh, affine=false)');
  t.is(String(InstanceNorm(8, relu, { affine: true })), 'InstanceNorm(8, relu, affine=true)');
  const bare = BatchNorm(3, undefined, { affine: false, trackStats: false });
  t.deepEqual(bare(randn([2, 3, 2, 2])).shape, [2, 3, 2, 2]); // the channel count is kept without any tensor
  t.is(String(GroupNorm(4, 16, relu)), 'GroupNorm(4, 16, relu)');
  t.is(String(InstanceNorm(8)), 'InstanceNorm(8)');
  t.true(String(Upsample({ scale: 2 })).startsWith('Upsample('));
  t.is(
    String(Chain(Conv([5, 5], 1, 16, relu, { pad: 2 }), MaxPool([2, 2]), Flatten(), Dense(3136, 10))),
    'Chain(Conv([5, 5], 1 => 16, relu, pad=2), MaxPool([2, 2]), Flatten(), Dense(3136 => 10))',
  );
});

test('Conv defaults: Glorot-uniform weight [out, in/groups, ...k], zero bias, float32; 1-D and 3-D', (t) => {
  const c = Conv([3, 5], 2, 4);
  t.deepEqual(c.weight.shape, [4, 2, 3, 5]);
  t.is(c.weight.dtype, 'float32');
  t.deepEqual(flat(c.bias as Tensor), [0, 0, 0, 0]);
  // Flux's Glorot for conv: fan_in = in·∏k, fan_out = out·∏k
  const bound = Math.sqrt(6 / (2 * 15 + 4 * 15));
  t.true(flat(c.weight).every((w) => Math.abs(w) <= bound));
  t.true(flat(c.weight).some((w) => Math.abs(w) > bound / 2));
  t.deepEqual(Conv([3], 2, 4)(randn([5, 2, 10])).shape, [5, 4, 8]);
  t.deepEqual(Conv([3, 3, 3], 2, 4, relu, { pad: 1 })(randn([1, 2, 4, 5, 6])).shape, [1, 4, 4, 5, 6]);
  t.is(Conv(3, 1, 1, relu, { dtype: 'float64' }).weight.dtype, 'float64');
});

test('BatchNorm running statistics are state: not params, not updated by optimisers, saved in checkpoints, moved by f64()', (t) => {
  const rng = new RNG(4);
  const model = Chain(Conv([3, 3], 1, 4, relu, { rng }), BatchNorm(4));
  const bn = model.layers[1] as ReturnType<typeof BatchNorm>;
  const ps = params(model);
  t.is(ps.length, 4);
  for (const p of ps) t.true(p !== bn.runningMean && p !== bn.runningVar);
  const x = randn([8, 1, 6, 6], { rng }).mul(3).add(2);
  // a training step: the optimiser moves γ and β, the forward pass (not the optimiser) the statistics
  const state = setup(new Adam(0.1), model);
  const [g] = gradient((m: typeof model) => m(x).pow(2).mean(), model) as [unknown];
  const afterForward = flat(bn.runningMean as Tensor);
  t.true(afterForward.some((v) => v !== 0));
  const varBefore = flat(bn.runningVar as Tensor);
  const gammaBefore = flat(bn.weight as Tensor);
  update(state, model, g);
  t.deepEqual(flat(bn.runningMean as Tensor), afterForward);
  t.deepEqual(flat(bn.runningVar as Tensor), varBefore);
  t.notDeepEqual(flat(bn.weight as Tensor), gammaBefore);
  // checkpoints carry the statistics
  const dir = mkdtempSync(path.join(tmpdir(), 'fluxion-bn-'));
  try {
    const file = path.join(dir, 'm.safetensors');
    saveState(file, model);
    const fresh = Chain(Conv([3, 3], 1, 4, relu), BatchNorm(4));
    loadState(file, fresh);
    const fb = fresh.layers[1] as ReturnType<typeof BatchNorm>;
    t.deepEqual(flat(fb.runningMean as Tensor), afterForward);
    t.deepEqual(flat(fb.runningVar as Tensor), varBefore);
    close(t, testMode(fresh)(x), testMode(model)(x), { atol: 0, rtol: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const m64 = f64(model);
  const b64 = m64.layers[1] as ReturnType<typeof BatchNorm>;
  t.is(b64.runningMean?.dtype, 'float64');
  t.is(b64.runningVar?.dtype, 'float64');
  close(t, b64.runningVar as Tensor, varBefore, { atol: 0, rtol: 0 });
  t.is((f32(m64).layers[1] as ReturnType<typeof BatchNorm>).runningMean?.dtype, 'float32');
});

test('BatchNorm modes: active inside gradient and under trainMode (batch statistics, running ones updated); inactive otherwise', (t) => {
  const rng = new RNG(9);
  const bn = BatchNorm(3, undefined, { momentum: 0.5 });
  const x = randn([16, 3, 4, 4], { rng }).mul(2).add(1);
  // inactive outside gradient: running statistics (0, 1) → the identity up to eps, nothing updated
  close(t, bn(x), x.div(Math.sqrt(1 + 1e-5)), { atol: 1e-6 });
  t.deepEqual(flat(bn.runningMean as Tensor), [0, 0, 0]);
  // active inside gradient: per-channel zero mean, unit (biased) variance, and an update
  gradient((m: typeof bn) => m(x).sum(), bn);
  const mu = x.mean([0, 2, 3]);
  const v = x.variance([0, 2, 3], { correction: 1 });
  close(t, bn.runningMean as Tensor, mu.mul(0.5), { atol: 1e-6 });
  close(t, bn.runningVar as Tensor, v.mul(0.5).add(0.5), { atol: 1e-5 });
  // forced on outside gradient
  trainMode(bn);
  const y = bn(x);
  close(t, y.mean([0, 2, 3]), [0, 0, 0], { atol: 1e-5 });
  close(t, y.variance([0, 2, 3], { correction: 0 }), [1, 1, 1], { atol: 1e-3 });
  close(t, bn.runningMean as Tensor, mu.mul(0.75), { atol: 1e-6 }); // a second update
  // forced off inside gradient: running statistics and no update
  testMode(bn);
  const before = flat(bn.runningMean as Tensor);
  const [g] = gradient((xx: Tensor) => bn(xx).sum(), x) as Tensor[];
  t.deepEqual(flat(bn.runningMean as Tensor), before);
  const rv = (bn.runningVar as Tensor).reshape([1, 3, 1, 1]);
  close(t, g, zeros(x.shape).add(1).div(rv.add(1e-5).sqrt()), { atol: 1e-5 });
  // trackStats false: batch statistics in both modes
  const free = BatchNorm(3, undefined, { trackStats: false });
  close(t, free(x).mean([0, 2, 3]), [0, 0, 0], { atol: 1e-5 });
  t.is(free.runningMean, null);
  t.is(params(free).length, 2);
});

test('memory stays flat over 2,000 CNN training steps (native memory, JS heap and tensor bytes)', async (t) => {
  const rng = new RNG(12);
  const model = Chain(
    Conv([3, 3], 1, 4, relu, { pad: 1, rng }),
    BatchNorm(4),
    MaxPool([2, 2]),
    Conv([3, 3], 4, 8, relu, { pad: 1, rng }),
    GlobalMeanPool(),
    Flatten(),
    Dense(8, 3, undefined, { rng }),
  );
  const state = setup(new Adam(1e-3), model);
  const X = randn([64, 1, 8, 8], { rng });
  const labels = tensor(Array.from({ length: 64 }, (_, i) => i % 3), { dtype: 'int32' });
  const data = new DataLoader([X, labels], { batchSize: 16, shuffle: true, seed: 3 }); // 4 steps per epoch
  const loss = (m: typeof model, x: Tensor, y: Tensor) => logitCrossEntropy(m(x), y);
  await assertFlatMemory(
    t,
    () => train(loss, model, data, state, { epochs: 50, progress: false }), // 200 steps of warm-up
    () => train(loss, model, data, state, { epochs: 250, progress: false }), // 1,000 steps, twice
    256 * 1024,
  );
  t.true(flat(model(X)).every(Number.isFinite));
});
