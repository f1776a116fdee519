// The benchmark suite: one entry per workload. Every peer implements the same ids with
// the same shapes (bench/peers/*); the orchestrator (bench/run.ts) picks, runs, reports.

/**
 * numpy: OpenBLAS called directly (the GEMM reference), in the Python child whose
 * environment lacks OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE. numpy-env and fluxion-noenv are
 * diagnostics shown in the notes: numpy with Fluxion's environment (GEMM rows), Fluxion
 * with the peers' one (GEMM, MLP gradient, MLP step and CNN rows).
 */
export type PeerId = 'fluxion' | 'torch' | 'numpy' | 'numpy-env' | 'fluxion-noenv' | 'tfjs-cpu' | 'tfjs-wasm';

export type Group = 'gemm' | 'small' | 'scalar' | 'mlp' | 'step' | 'cnn' | 'epoch' | 'stream' | 'memory';

/**
 * One matrix product of a workload's GEMM formulation, as numpy times it: A [m, k] · B [k, n];
 * `ta` / `tb` = 1 when that operand is stored transposed (the product reads a transposed view).
 */
export type Gemm = [m: number, k: number, n: number, ta: 0 | 1, tb: 0 | 1];

export interface Workload {
  id: string;
  /** Row label in the table. */
  title: string;
  group: Group;
  /** How the table shows a time: µs, ms or s (children always report milliseconds). */
  unit: 'µs' | 'ms' | 's';
  /** Shapes and settings, passed verbatim to every peer. */
  params: Record<string, number | string>;
  /** One line for the README / RESULTS notes. */
  measures: string;
  /**
   * The products of the workload's GEMM formulation (CNN rows): their FLOPs (Σ 2·m·k·n) at the
   * n = 2048 sgemm rate are its floor, and numpy times them in these shapes ("its GEMMs").
   */
  gemms?: Gemm[];
}

export const MLP_SIZES = [784, 512, 512, 10] as const;
/** FLOP of one training step per sample: forward 2·Σ in·out, weight grads the same, input grads of layers 2 and 3. */
export const STEP_FLOP_PER_SAMPLE = 2 * (784 * 512 + 512 * 512 + 512 * 10) * 2 + 2 * (512 * 512 + 512 * 10);
export const SGD_LR = 0.01;
export const ADAM_LR = 1e-3;

const gemm = (n: number): Workload => ({
  id: `gemm-${n}`,
  title: `GEMM ${n}×${n}·${n}×${n}`,
  group: 'gemm',
  unit: 'ms',
  params: { n },
  measures: `C = A·B for float32 A, B of ${n}×${n} (a fresh output each call); GFLOP/s = 2n³/t.`,
});

const step = (batch: number, opt: 'sgd' | 'adam'): Workload => ({
  id: `step-b${batch}-${opt}`,
  title: `MLP step b${batch} ${opt === 'sgd' ? 'SGD' : 'Adam'}`,
  group: 'step',
  unit: 'ms',
  params: { batch, opt, lr: opt === 'sgd' ? SGD_LR : ADAM_LR },
  measures: `One training step of the 784-512-512-10 ReLU MLP at batch ${batch}: forward, logit cross-entropy, backward, ${opt === 'sgd' ? 'SGD (Descent)' : 'Adam'} update, loss read back as a number.`,
});

/** GFLOP of a list of products, Σ 2·m·k·n / 1e9. */
export const gemmGflop = (gs: readonly Gemm[]): number => gs.reduce((n, [m, k, q]) => n + 2 * m * k * q, 0) / 1e9;

/**
 * A convolution's products in the batch-inside im2col layout (cols [C·k², N·L], L = Hout·Wout):
 * forward W [O, C·k²] · cols; weight gradient gY [O, N·L] · colsᵀ; input gradient Wᵀ · gY
 * (before col2im), left out when the input needs no gradient. Each is 2·O·C·k²·N·L FLOP.
 */
function convGemms(o: { O: number; C: number; k: number; N: number; L: number }, pass: 'fwd' | 'step' | 'step-first'): Gemm[] {
  const CK = o.C * o.k * o.k;
  const NL = o.N * o.L;
  const fwd: Gemm = [o.O, CK, NL, 0, 0];
  if (pass === 'fwd') return [fwd];
  const wgrad: Gemm = [o.O, NL, CK, 0, 1];
  return pass === 'step-first' ? [fwd, wgrad] : [fwd, wgrad, [CK, o.O, NL, 1, 0]];
}

/** A Dense layer's products at batch b (weight [out, in]): forward x·Wᵀ, input gradient g·W, weight gradient gᵀ·x. */
const denseGemms = (b: number, inF: number, outF: number): Gemm[] => [
  [b, inF, outF, 0, 1],
  [b, outF, inF, 0, 0],
  [outF, b, inF, 1, 0],
];

const LENET_GEMMS: Gemm[] = [
  ...convGemms({ O: 16, C: 1, k: 5, N: 64, L: 28 * 28 }, 'step-first'),
  ...convGemms({ O: 32, C: 16, k: 5, N: 64, L: 14 * 14 }, 'step'),
  ...denseGemms(64, 1568, 128),
  ...denseGemms(64, 128, 10),
];
const RESBLOCK_CONV = { O: 64, C: 64, k: 3, N: 16, L: 32 * 32 };
const RESBLOCK_GEMMS: Gemm[] = [...convGemms(RESBLOCK_CONV, 'step-first'), ...convGemms(RESBLOCK_CONV, 'step')];
const CONV_FWD_GEMMS: Gemm[] = convGemms(RESBLOCK_CONV, 'fwd');
const gf = (gs: Gemm[]) => `${gemmGflop(gs).toFixed(gemmGflop(gs) < 10 ? 3 : 1)} GFLOP`;

const epoch = (opt: 'sgd' | 'adam'): Workload => ({
  id: `mnist-${opt}`,
  title: `MNIST epoch ${opt === 'sgd' ? 'SGD' : 'Adam'}`,
  group: 'epoch',
  unit: 's',
  params: { n: 8000, batch: 128, opt, lr: opt === 'sgd' ? SGD_LR : ADAM_LR },
  measures: `One epoch over the same 8,000 real MNIST digits (batch 128, reshuffled each epoch, last batch partial) with ${opt === 'sgd' ? 'SGD' : 'Adam'}.`,
});

export const WORKLOADS: Workload[] = [
  gemm(256),
  gemm(1024),
  gemm(2048),
  {
    id: 'add-64',
    title: 'add 64 + 64 (per op)',
    group: 'small',
    unit: 'µs',
    params: { size: 64 },
    measures: 'One elementwise add of two 64-element float32 tensors, result allocated: the per-op overhead.',
  },
  {
    id: 'chain-fwd',
    title: 'chain 1000 add/mul (per op)',
    group: 'small',
    unit: 'µs',
    params: { size: 64, ops: 1000 },
    measures: 'x ← (x + b)·c repeated: 1,000 ops on 64-element tensors, time per op.',
  },
  {
    id: 'chain-grad',
    title: 'gradient of the chain (per op)',
    group: 'small',
    unit: 'µs',
    params: { size: 64, ops: 1000 },
    measures: 'gradient of sum(chain(x)) with respect to x: recording, backward and the forward itself, per forward op.',
  },
  {
    id: 'scalar-grad',
    title: "gradient(f, 2), f=3x²+2x+1",
    group: 'scalar',
    unit: 'µs',
    params: { x: 2 },
    measures: "f'(2) = 14 of f(x) = 3x²+2x+1 from a plain number, value read back (PyTorch: torch.autograd.grad).",
  },
  {
    id: 'scalar-grad2',
    title: "second derivative f''(2)",
    group: 'scalar',
    unit: 'µs',
    params: { x: 2 },
    measures: "f''(2) = 6 by differentiating the gradient (PyTorch: autograd.grad with create_graph=True, twice).",
  },
  {
    id: 'mlp-fwd',
    title: 'MLP loss forward b128',
    group: 'mlp',
    unit: 'ms',
    params: { batch: 128 },
    measures: 'Loss of the 784-512-512-10 MLP at batch 128 (logit cross-entropy), no gradient: the baseline for the two rows below.',
  },
  {
    id: 'mlp-grad',
    title: 'MLP gradient b128 (÷ fwd)',
    group: 'mlp',
    unit: 'ms',
    params: { batch: 128 },
    measures: 'Gradient of that loss with respect to every parameter; shown with its ratio to the forward.',
  },
  {
    id: 'mlp-grad2',
    title: 'MLP 2nd order b128 (÷ grad)',
    group: 'mlp',
    unit: 'ms',
    params: { batch: 128 },
    measures: 'Gradient of the squared gradient norm Σ‖∂L/∂θ‖² (second order); shown with its ratio to the first-order gradient.',
  },
  step(128, 'sgd'),
  step(128, 'adam'),
  step(1024, 'sgd'),
  step(1024, 'adam'),
  {
    id: 'lenet-step-b64',
    title: 'LeNet step b64 Adam',
    group: 'cnn',
    unit: 'ms',
    params: { batch: 64, lr: ADAM_LR },
    gemms: LENET_GEMMS,
    measures:
      'One training step of the LeNet-style MNIST network (Conv 5×5 1→16 relu pad 2, MaxPool 2, Conv 5×5 16→32 relu pad 2, MaxPool 2, Flatten, Dense 1568→128 relu, Dense 128→10) ' +
      `on a random [64, 1, 28, 28] batch with integer labels: forward, logit cross-entropy, backward, Adam (1e-3), loss read back. Floor: ${gf(LENET_GEMMS)} = ` +
      'each conv 2·O·C·k²·N·Hout·Wout for the forward and the same for the weight gradient, and for the input gradient except the first conv (its input needs none); ' +
      'each Dense 2·b·in·out forward, weight and input gradient (as the MLP formula: both Dense layers have a layer before them). ' +
      'PyTorch: the same nn.Sequential (Conv2d, ReLU, MaxPool2d, ..., Linear). TF.js: NHWC (its layout; filters [kh, kw, in, out]), optimizer.minimize with tf.train.adam.',
  },
  {
    id: 'resblock-step-b16',
    title: 'ResNet block step b16 Adam',
    group: 'cnn',
    unit: 'ms',
    params: { batch: 16, channels: 64, size: 32, lr: ADAM_LR },
    gemms: RESBLOCK_GEMMS,
    measures:
      'One training step of a ResNet basic block on x [16, 64, 32, 32]: h = relu(BN1(conv1(x))), out = relu(BN2(conv2(h)) + x), convs 3×3 64→64 pad 1 without bias, ' +
      `BatchNorm(64) in training mode (batch statistics; running statistics updated), loss mean(out²), Adam (1e-3) on every parameter, loss read back. Floor: ${gf(RESBLOCK_GEMMS)} = ` +
      '5 × 2·64·64·9·16·32·32 (forward and weight gradient of both convs, input gradient of conv2 only: x needs none). ' +
      'TF.js: NHWC, tf.moments + tf.batchNorm, running statistics updated after the step, optimizer.minimize with tf.train.adam.',
  },
  {
    id: 'conv-fwd',
    title: 'conv 3×3 64→64 fwd b16',
    group: 'cnn',
    unit: 'ms',
    params: { batch: 16, channels: 64, size: 32 },
    gemms: CONV_FWD_GEMMS,
    measures:
      `conv(x, w, { pad: 1 }) forward alone, x [16, 64, 32, 32], w [64, 64, 3, 3], no bias, no gradient. Floor: ${gf(CONV_FWD_GEMMS)} = 2·O·C·k²·N·Hout·Wout ` +
      '(the one GEMM W [64, 576] · cols [576, 16·1024]). TF.js: tf.conv2d in NHWC, "same" padding.',
  },
  {
    id: 'maxpool-fwd',
    title: 'maxPool 2×2 fwd [16,64,32,32]',
    group: 'cnn',
    unit: 'ms',
    params: { batch: 16, channels: 64, size: 32 },
    measures: 'maxPool of x [16, 64, 32, 32] over 2×2 windows, stride 2, forward alone, no gradient (no GEMM: no floor). TF.js: tf.maxPool in NHWC.',
  },
  {
    id: 'batchnorm-step',
    title: 'BatchNorm(64) fwd+bwd [16,64,32,32]',
    group: 'cnn',
    unit: 'ms',
    params: { batch: 16, channels: 64, size: 32 },
    measures:
      'BatchNorm(64) in training mode on x [16, 64, 32, 32]: the gradient of sum(BN(x)) with respect to x, γ and β (forward with batch statistics and running-statistics update, then backward; no GEMM: no floor). ' +
      'TF.js: tf.grads of tf.batchNorm with tf.moments, NHWC.',
  },
  epoch('sgd'),
  epoch('adam'),
  {
    id: 'mnist-stream',
    title: 'MNIST epoch SGD, file ÷ memory',
    group: 'stream',
    unit: 's',
    params: { n: 8000, batch: 128, opt: 'sgd', lr: SGD_LR },
    measures:
      'Fluxion only: the SGD MNIST epoch with its 8,000 digits streamed from a dataset on disk (FileDataLoader: safetensors shards, shuffled, a worker thread reading ahead) ' +
      'against the same epoch from the in-memory DataLoader, epochs of the two alternating in one process; the ratio is file ÷ memory.',
  },
  {
    id: 'memory',
    title: 'RSS after 2000 vs 100 steps',
    group: 'memory',
    unit: 'ms',
    params: { batch: 128, early: 100, late: 2000 },
    measures: 'Fluxion only: resident set size after 100 and after 2,000 Adam training steps at batch 128 (after a GC), as a leak check.',
  },
];

/** Which peers run a workload (others show "—"). numpy is the OpenBLAS-direct GEMM reference. */
export function peersOf(w: Workload): PeerId[] {
  if (w.group === 'memory' || w.group === 'stream') return ['fluxion'];
  if (w.group === 'gemm') return ['fluxion', 'torch', 'tfjs-cpu', 'tfjs-wasm', 'numpy', 'numpy-env', 'fluxion-noenv'];
  if (w.group === 'mlp' || w.group === 'step' || w.group === 'cnn') return ['fluxion', 'torch', 'tfjs-cpu', 'tfjs-wasm', 'fluxion-noenv'];
  return ['fluxion', 'torch', 'tfjs-cpu', 'tfjs-wasm'];
}

/** Workloads whose id contains any of the comma-separated substrings (all when none). */
export function select(only: string | undefined): Workload[] {
  if (!only) return WORKLOADS;
  const keys = only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return WORKLOADS.filter((w) => keys.some((k) => w.id.includes(k)));
}
